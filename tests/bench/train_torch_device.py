# Derived from shared/bench/train_torch.py (the PyTorch reference) for the GPU comparison:
# adds --device, moves model and batches to it, and synchronises CUDA before each timestamp.
# Run: python3 tests/bench/train_torch_device.py --device cuda --corpus data/corpus/tiny.txt
# Reference for the LM training-speed comparison: a char-level GPT (nanoGPT shape, scaled
# down) timed on CPU with PyTorch. Prints one JSON line: ms/step (mean and median over the
# measured steps), tokens/s, forward/backward/optimizer split, and losses.
# Batches come from a 64-bit LCG (seed 42) so another implementation can draw the same data:
#   s = s * 6364136223846793005 + 1442695040888963407 (mod 2^64); offset = (s >> 33) % (len - block - 1)
import sys, time, math, json, argparse
import torch, torch.nn as nn, torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--attn', default='manual', choices=['manual', 'sdpa'])
p.add_argument('--warmup', type=int, default=10)
p.add_argument('--steps', type=int, default=50)
p.add_argument('--threads', type=int, default=2)
p.add_argument('--fused', action='store_true')
p.add_argument('--corpus', required=True, help='text file; vocabulary = its distinct bytes')
p.add_argument('--layers', type=int, default=4)
p.add_argument('--heads', type=int, default=4)
p.add_argument('--embd', type=int, default=128)
p.add_argument('--block', type=int, default=128)
p.add_argument('--batch', type=int, default=16)
p.add_argument('--device', default='cpu')
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(1337)

N_LAYER, N_HEAD, N_EMBD, BLOCK, BATCH = args.layers, args.heads, args.embd, args.block, args.batch
data_raw = open(args.corpus, 'rb').read()
chars = sorted(set(data_raw))
stoi = {c: i for i, c in enumerate(chars)}
V = len(chars)
data = torch.tensor([stoi[c] for c in data_raw], dtype=torch.long)
DEV = torch.device(args.device)
sync = (lambda: torch.cuda.synchronize()) if DEV.type == 'cuda' else (lambda: None)

MASK64 = (1 << 64) - 1
class Lcg:  # identical batch sampler in the Rust program
    def __init__(self, seed): self.s = seed
    def next(self):
        self.s = (self.s * 6364136223846793005 + 1442695040888963407) & MASK64
        return self.s >> 33
rng = Lcg(42)
def get_batch():
    offs = [rng.next() % (len(data) - BLOCK - 1) for _ in range(BATCH)]
    x = torch.stack([data[o:o + BLOCK] for o in offs])
    y = torch.stack([data[o + 1:o + 1 + BLOCK] for o in offs])
    return x.to(DEV), y.to(DEV)

class LN(nn.Module):  # LayerNorm, weight only (bias=False)
    def __init__(s, n): super().__init__(); s.weight = nn.Parameter(torch.ones(n))
    def forward(s, x): return F.layer_norm(x, s.weight.shape, s.weight, None, 1e-5)

class Attn(nn.Module):
    def __init__(s):
        super().__init__()
        s.c_attn = nn.Linear(N_EMBD, 3 * N_EMBD, bias=False)
        s.c_proj = nn.Linear(N_EMBD, N_EMBD, bias=False)
        s.register_buffer('mask', torch.full((BLOCK, BLOCK), float('-inf')).triu(1))
    def forward(s, x):
        B, T, C = x.shape; hs = C // N_HEAD
        q, k, v = s.c_attn(x).split(N_EMBD, dim=2)
        q = q.view(B, T, N_HEAD, hs).transpose(1, 2)
        k = k.view(B, T, N_HEAD, hs).transpose(1, 2)
        v = v.view(B, T, N_HEAD, hs).transpose(1, 2)
        if args.attn == 'sdpa':
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
            att = att + s.mask[:T, :T]          # additive -inf causal mask
            att = F.softmax(att, dim=-1)
            y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return s.c_proj(y)

class MLP(nn.Module):
    def __init__(s):
        super().__init__()
        s.c_fc = nn.Linear(N_EMBD, 4 * N_EMBD, bias=False)
        s.c_proj = nn.Linear(4 * N_EMBD, N_EMBD, bias=False)
    def forward(s, x): return s.c_proj(F.gelu(s.c_fc(x)))  # exact (erf) GELU

class Block(nn.Module):
    def __init__(s):
        super().__init__(); s.ln_1 = LN(N_EMBD); s.attn = Attn(); s.ln_2 = LN(N_EMBD); s.mlp = MLP()
    def forward(s, x):
        x = x + s.attn(s.ln_1(x))
        return x + s.mlp(s.ln_2(x))

class GPT(nn.Module):
    def __init__(s):
        super().__init__()
        s.wte = nn.Embedding(V, N_EMBD); s.wpe = nn.Embedding(BLOCK, N_EMBD)
        s.h = nn.ModuleList([Block() for _ in range(N_LAYER)])
        s.ln_f = LN(N_EMBD); s.lm_head = nn.Linear(N_EMBD, V, bias=False)  # untied
        for n, p_ in s.named_parameters():
            if p_.dim() == 2:
                std = 0.02 / math.sqrt(2 * N_LAYER) if n.endswith('c_proj.weight') else 0.02
                nn.init.normal_(p_, 0.0, std)
    def forward(s, idx, tgt):
        B, T = idx.shape
        x = s.wte(idx) + s.wpe(torch.arange(T, device=idx.device))
        for b in s.h: x = b(x)
        logits = s.lm_head(s.ln_f(x))
        return F.cross_entropy(logits.view(-1, V), tgt.view(-1))

model = GPT().to(DEV)
nparams = sum(p_.numel() for p_ in model.parameters())
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1,
                        eps=1e-8, fused=True if args.fused else None)
losses, times, tf, tb, to = [], [], [], [], []
for step in range(args.warmup + args.steps):
    t0 = time.perf_counter()
    x, y = get_batch()
    loss = model(x, y)
    sync()
    t1 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    sync()
    t2 = time.perf_counter()
    opt.step()
    sync()
    t3 = time.perf_counter()
    losses.append(loss.item())
    if step >= args.warmup:
        times.append(t3 - t0); tf.append(t1 - t0); tb.append(t2 - t1); to.append(t3 - t2)
ms = 1000 * sum(times) / len(times)
med = lambda a: 1000 * sorted(a)[len(a) // 2]
res = dict(impl='torch-' + args.device + '-' + args.attn + ('-fusedadamw' if args.fused else ''), torch=torch.__version__,
           threads=torch.get_num_threads(), vocab=V, params=nparams,
           ms_per_step=round(ms, 2), ms_median=round(med(times), 2),
           tok_per_s=round(BATCH * BLOCK / (ms / 1000)),
           fwd_ms=round(med(tf), 2), bwd_ms=round(med(tb), 2), opt_ms=round(med(to), 2),
           loss0=round(losses[0], 4), loss10=round(losses[min(10, len(losses) - 1)], 4), loss50=round(losses[min(50, len(losses) - 1)], 4),
           loss_last=round(losses[-1], 4))
print(json.dumps(res)); sys.stdout.flush()
