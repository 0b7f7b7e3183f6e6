//! `labbook exp lm`: train a small character-level transformer language model and
//! report progress with the metrics protocol (loss, val_loss, val_ppl, lr, grad_norm,
//! tokens_per_s).

pub mod model;

use std::io::Write;
use std::time::Instant;

use anyhow::{anyhow, bail, Context};
use candle_core::{Device, Tensor};
use candle_nn::Optimizer;

use model::{Config, Gpt, Position, Rng};

/// The corpus shipped with labbook (see data/corpus/README.md).
pub const DEFAULT_CORPUS: &str = "data/corpus/tiny.txt";
const EMBEDDED_CORPUS: &str = include_str!("../../../data/corpus/tiny.txt");

/// Hyper-parameters (`--param k=v`), with the defaults of projects/lm/project.toml.
#[derive(Debug, Clone, PartialEq)]
pub struct Hparams {
    pub steps: usize,
    pub batch_size: usize,
    pub block_size: usize,
    pub n_layer: usize,
    pub n_head: usize,
    pub n_embd: usize,
    pub lr: f64,
    pub warmup: usize,
    pub weight_decay: f64,
    pub grad_clip: f64,
    pub position: Position,
    pub corpus: String,
    pub seed: u64,
    pub eval_every: usize,
    pub eval_batches: usize,
    pub sample_chars: usize,
    pub temperature: f64,
    pub top_k: usize,
}

impl Default for Hparams {
    fn default() -> Self {
        Hparams {
            steps: 2000,
            batch_size: 16,
            block_size: 128,
            n_layer: 4,
            n_head: 4,
            n_embd: 128,
            lr: 1e-3,
            warmup: 100,
            weight_decay: 0.1,
            grad_clip: 1.0,
            position: Position::Learned,
            corpus: DEFAULT_CORPUS.into(),
            seed: 1337,
            eval_every: 100,
            eval_batches: 8,
            sample_chars: 200,
            temperature: 0.8,
            top_k: 20,
        }
    }
}

impl Hparams {
    /// Parse `k=v` pairs; unknown names and bad values are errors naming them.
    pub fn parse(pairs: &[String]) -> anyhow::Result<Hparams> {
        let mut h = Hparams::default();
        for p in pairs {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| anyhow!("--param `{p}` is not K=V"))?;
            let int = || {
                v.parse::<usize>()
                    .map_err(|_| anyhow!("{k}={v}: expected a whole number"))
            };
            let num = || {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| anyhow!("{k}={v}: expected a number"))
            };
            match k {
                "steps" => h.steps = int()?,
                "batch_size" => h.batch_size = int()?,
                "block_size" => h.block_size = int()?,
                "n_layer" => h.n_layer = int()?,
                "n_head" => h.n_head = int()?,
                "n_embd" => h.n_embd = int()?,
                "lr" => h.lr = num()?,
                "warmup" => h.warmup = int()?,
                "weight_decay" => h.weight_decay = num()?,
                "grad_clip" => h.grad_clip = num()?,
                "position" => {
                    h.position = Position::parse(v).ok_or_else(|| {
                        anyhow!("position={v}: expected learned, sinusoidal, rope or alibi")
                    })?
                }
                "corpus" => h.corpus = v.to_string(),
                "seed" => {
                    h.seed = v
                        .parse()
                        .map_err(|_| anyhow!("seed={v}: expected a whole number"))?
                }
                "eval_every" => h.eval_every = int()?,
                "eval_batches" => h.eval_batches = int()?,
                "sample_chars" => h.sample_chars = int()?,
                "temperature" => h.temperature = num()?,
                "top_k" => h.top_k = int()?,
                "dropout" => {
                    if num()? != 0.0 {
                        bail!("dropout={v}: dropout is not built yet (only 0 is supported)");
                    }
                }
                "tokenizer" => {
                    if v != "char" {
                        bail!("tokenizer={v}: only the character tokenizer is built yet");
                    }
                }
                "device" => {
                    if v != "cpu" {
                        bail!("device={v}: only the CPU backend is built yet");
                    }
                }
                other => bail!("unknown parameter `{other}` for the lm experiment"),
            }
        }
        if h.n_head == 0 || h.n_embd % h.n_head != 0 {
            bail!(
                "n_embd ({}) must be a multiple of n_head ({})",
                h.n_embd,
                h.n_head
            );
        }
        if h.position == Position::Rope && (h.n_embd / h.n_head) % 2 != 0 {
            bail!(
                "rope needs an even head size (n_embd / n_head = {})",
                h.n_embd / h.n_head
            );
        }
        if h.steps == 0 || h.batch_size == 0 || h.block_size == 0 || h.n_layer == 0 {
            bail!("steps, batch_size, block_size and n_layer must be positive");
        }
        Ok(h)
    }
}

/// The text, as bytes, and its vocabulary (its distinct bytes, sorted — the same
/// vocabulary as the PyTorch reference).
pub struct Corpus {
    pub data: Vec<u32>,
    pub vocab: Vec<u8>,
}

impl Corpus {
    pub fn load(path: &str) -> anyhow::Result<Corpus> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && path == DEFAULT_CORPUS => {
                EMBEDDED_CORPUS.as_bytes().to_vec()
            }
            Err(e) => return Err(e).with_context(|| format!("reading the corpus {path}")),
        };
        Ok(Corpus::from_bytes(&bytes))
    }

    pub fn from_bytes(bytes: &[u8]) -> Corpus {
        let mut seen = [false; 256];
        for b in bytes {
            seen[*b as usize] = true;
        }
        let vocab: Vec<u8> = (0..=255u8).filter(|b| seen[*b as usize]).collect();
        let mut index = [0u32; 256];
        for (i, b) in vocab.iter().enumerate() {
            index[*b as usize] = i as u32;
        }
        Corpus {
            data: bytes.iter().map(|b| index[*b as usize]).collect(),
            vocab,
        }
    }

    pub fn decode(&self, ids: &[u32]) -> String {
        String::from_utf8_lossy(
            &ids.iter()
                .map(|i| self.vocab[*i as usize])
                .collect::<Vec<u8>>(),
        )
        .into_owned()
    }
}

/// The reference's batch sampler: a 64-bit LCG, offset = (s >> 33) % (len − block − 1).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next_offset(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// A batch (inputs, targets) of `batch` windows of `block` tokens from `data`.
pub fn batch(
    data: &[u32],
    batch: usize,
    block: usize,
    rng: &mut Lcg,
    dev: &Device,
) -> candle_core::Result<(Tensor, Tensor)> {
    let span = (data.len() - block - 1) as u64;
    let mut x = Vec::with_capacity(batch * block);
    let mut y = Vec::with_capacity(batch * block);
    for _ in 0..batch {
        let o = (rng.next_offset() % span) as usize;
        x.extend_from_slice(&data[o..o + block]);
        y.extend_from_slice(&data[o + 1..o + 1 + block]);
    }
    Ok((
        Tensor::from_vec(x, (batch, block), dev)?,
        Tensor::from_vec(y, (batch, block), dev)?,
    ))
}

/// Linear warm-up to `lr`, then cosine decay to lr/10 at the last step.
pub fn lr_at(step: usize, h: &Hparams) -> f64 {
    if step < h.warmup {
        return h.lr * (step + 1) as f64 / h.warmup as f64;
    }
    let span = (h.steps.saturating_sub(h.warmup)).max(1) as f64;
    let progress = ((step - h.warmup) as f64 / span).min(1.0);
    let min = h.lr * 0.1;
    min + 0.5 * (h.lr - min) * (1.0 + (std::f64::consts::PI * progress).cos())
}

/// Scale gradients so their global L2 norm is at most `clip`; returns the norm before.
pub fn clip_grads(
    grads: &mut candle_core::backprop::GradStore,
    vars: &[candle_core::Var],
    clip: f64,
) -> candle_core::Result<f64> {
    let mut total = 0f64;
    for v in vars {
        if let Some(g) = grads.get(v.as_tensor()) {
            total += g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
        }
    }
    let norm = total.sqrt();
    if clip > 0.0 && norm > clip {
        let scale = clip / (norm + 1e-6);
        for v in vars {
            if let Some(g) = grads.get(v.as_tensor()) {
                let scaled = (g * scale)?;
                grads.insert(v.as_tensor(), scaled);
            }
        }
    }
    Ok(norm)
}

fn emit(out: &mut impl Write, v: &serde_json::Value) -> anyhow::Result<()> {
    writeln!(out, "{v}")?;
    out.flush()?;
    Ok(())
}

/// Run the experiment in the foreground, printing metrics records and log lines.
pub fn run(params: &[String]) -> anyhow::Result<()> {
    let h = Hparams::parse(params)?;
    let corpus = Corpus::load(&h.corpus)?;
    if corpus.data.len() < 10 * (h.block_size + 2) {
        bail!(
            "the corpus has {} characters: too short for block_size {}",
            corpus.data.len(),
            h.block_size
        );
    }
    let dev = Device::Cpu;
    let split = corpus.data.len() * 9 / 10;
    let (train, val) = corpus.data.split_at(split);
    let cfg = Config {
        vocab: corpus.vocab.len(),
        block: h.block_size,
        n_layer: h.n_layer,
        n_head: h.n_head,
        n_embd: h.n_embd,
        position: h.position,
    };
    let (model, params_) = Gpt::new(cfg, h.seed, &dev)?;
    let vars = params_.all();
    let nparams: usize = vars.iter().map(|v| v.elem_count()).sum();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "lm: {} parameters, vocabulary {} characters, {} train / {} val tokens, position {:?}",
        nparams,
        corpus.vocab.len(),
        train.len(),
        val.len(),
        h.position
    )?;
    emit(
        &mut out,
        &serde_json::json!({"params": nparams.to_string(), "vocab": corpus.vocab.len().to_string(), "corpus": h.corpus}),
    )?;
    let mut opt = candle_nn::AdamW::new(
        vars.clone(),
        candle_nn::ParamsAdamW {
            lr: h.lr,
            beta1: 0.9,
            beta2: 0.99,
            eps: 1e-8,
            weight_decay: h.weight_decay,
        },
    )?;
    let mut rng = Lcg(h.seed);
    let mut val_rng = Lcg(h.seed ^ 0x5EED);
    let tokens_per_step = (h.batch_size * h.block_size) as f64;
    for step in 0..h.steps {
        let t0 = Instant::now();
        let lr = lr_at(step, &h);
        opt.set_learning_rate(lr);
        let (x, y) = batch(train, h.batch_size, h.block_size, &mut rng, &dev)?;
        let loss = model.loss(&x, &y)?;
        let mut grads = loss.backward()?;
        let grad_norm = clip_grads(&mut grads, &vars, h.grad_clip)?;
        opt.step(&grads)?;
        let loss_v = loss.to_scalar::<f32>()? as f64;
        let secs = t0.elapsed().as_secs_f64();
        let mut rec = serde_json::json!({"step": step, "loss": loss_v, "lr": lr, "grad_norm": grad_norm, "tokens_per_s": tokens_per_step / secs});
        if (h.eval_every > 0 && (step + 1) % h.eval_every == 0) || step + 1 == h.steps {
            let mut total = 0.0;
            for _ in 0..h.eval_batches.max(1) {
                let (vx, vy) = batch(val, h.batch_size, h.block_size, &mut val_rng, &dev)?;
                total += model.loss(&vx, &vy)?.to_scalar::<f32>()? as f64;
            }
            let val_loss = total / h.eval_batches.max(1) as f64;
            rec["val_loss"] = serde_json::json!(val_loss);
            rec["val_ppl"] = serde_json::json!(val_loss.exp());
        }
        emit(&mut out, &rec)?;
        if !loss_v.is_finite() {
            bail!("the loss became {loss_v} at step {step}; lower lr or raise grad_clip");
        }
    }
    if h.sample_chars > 0 {
        let text = generate(
            &model,
            &corpus,
            h.sample_chars,
            h.temperature,
            h.top_k,
            h.seed,
            &dev,
        )?;
        emit(&mut out, &serde_json::json!({"sample": text}))?;
        writeln!(out, "sample: {}", text.replace('\n', " "))?;
    }
    Ok(())
}

/// Generate `n` characters, starting from a newline.
pub fn generate(
    model: &Gpt,
    corpus: &Corpus,
    n: usize,
    temperature: f64,
    top_k: usize,
    seed: u64,
    dev: &Device,
) -> anyhow::Result<String> {
    let start = corpus.vocab.iter().position(|b| *b == b'\n').unwrap_or(0) as u32;
    let mut ids = vec![start];
    let mut rng = Rng::new(seed ^ 0xABCD);
    for _ in 0..n {
        let ctx: Vec<u32> = ids[ids.len().saturating_sub(model.cfg.block)..].to_vec();
        let t = ctx.len();
        let x = Tensor::from_vec(ctx, (1, t), dev)?;
        let logits = model
            .forward(&x)?
            .narrow(1, t - 1, 1)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        ids.push(model::sample(&logits, temperature, top_k, &mut rng) as u32);
    }
    Ok(corpus.decode(&ids[1..]))
}
