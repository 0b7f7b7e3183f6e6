//! A decoder-only transformer (nanoGPT shape): token embeddings, a position scheme,
//! pre-LayerNorm blocks of causal multi-head self-attention and an MLP, a final
//! LayerNorm and an untied head. Every op here has a backward (decision 6 — candle's
//! own fused softmax, norms and RoPE give zero gradients upstream): on the CPU the
//! attention softmax, LayerNorm and GELU are fused kernels with hand-written backward
//! passes (`ops.rs`, each checked against finite differences); elsewhere, and for
//! RoPE everywhere, they are composed from differentiable tensor ops.

use crate::util::rng::Rng;
use candle_core::{Device, Module, Result, Tensor, Var, D};

/// How positions enter the model.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    /// A learned table added to the token embeddings (GPT-2).
    Learned,
    /// Fixed sines and cosines added to the token embeddings (Vaswani et al.).
    Sinusoidal,
    /// Rotary embeddings applied to queries and keys (RoFormer).
    Rope,
    /// Linear biases on the attention scores, one slope per head (Press et al.).
    Alibi,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub vocab: usize,
    pub block: usize,
    pub n_layer: usize,
    pub n_head: usize,
    pub n_embd: usize,
    pub position: Position,
    /// Dropout probability on embeddings, attention weights and residual branches
    /// (training only; 0 disables it).
    pub dropout: f64,
}

/// The trainable parameters, by name (the order is fixed, so checkpoints and
/// optimizers line up).
pub struct Params {
    pub vars: Vec<(String, Var)>,
}

impl Params {
    fn var(
        &mut self,
        name: &str,
        shape: &[usize],
        init: impl FnMut() -> f64,
        dev: &Device,
    ) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        let mut init = init;
        let data: Vec<f32> = (0..n).map(|_| init() as f32).collect();
        let v = Var::from_vec(data, shape, dev)?;
        let t = v.as_tensor().clone();
        self.vars.push((name.to_string(), v));
        Ok(t)
    }

    pub fn all(&self) -> Vec<Var> {
        self.vars.iter().map(|(_, v)| v.clone()).collect()
    }
}

/// LayerNorm with a weight and no bias (a fused kernel with its own backward on the CPU).
struct LayerNorm {
    weight: Tensor,
}

impl Module for LayerNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        crate::nn::ops::layer_norm(x, &self.weight)
    }
}

/// x (…, in) · wᵀ (in, out) (see [`crate::nn::ops::linear`]).
fn linear(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    crate::nn::ops::linear(x, w)
}

struct Block {
    ln_1: LayerNorm,
    c_attn: Tensor,
    c_proj: Tensor,
    ln_2: LayerNorm,
    fc: Tensor,
    fc_proj: Tensor,
}

pub struct Gpt {
    pub cfg: Config,
    wte: Tensor,
    wpe: Option<Tensor>,
    blocks: Vec<Block>,
    ln_f: LayerNorm,
    lm_head: Tensor,
    /// Additive causal mask (T×T, -inf above the diagonal).
    mask: Tensor,
    /// Fixed tables: sinusoidal positions (block×C), RoPE cos/sin (block×hs/2), ALiBi (H×T×T).
    sinusoid: Option<Tensor>,
    rope: Option<(Tensor, Tensor)>,
    alibi: Option<Tensor>,
}

impl Gpt {
    /// Build the model with weights drawn from `seed` (normal, std 0.02; the residual
    /// projections 0.02/√(2·layers), as in GPT-2).
    pub fn new(cfg: Config, seed: u64, dev: &Device) -> Result<(Gpt, Params)> {
        let mut rng = Rng::new(seed);
        let mut p = Params { vars: Vec::new() };
        let c = cfg.n_embd;
        let std = 0.02;
        let proj_std = 0.02 / ((2 * cfg.n_layer) as f64).sqrt();
        let wte = p.var("wte", &[cfg.vocab, c], || rng.normal() * std, dev)?;
        let wpe = match cfg.position {
            Position::Learned => Some(p.var("wpe", &[cfg.block, c], || rng.normal() * std, dev)?),
            _ => None,
        };
        let mut blocks = Vec::new();
        for l in 0..cfg.n_layer {
            let ln_1 = LayerNorm {
                weight: p.var(&format!("h.{l}.ln_1"), &[c], || 1.0, dev)?,
            };
            let c_attn = p.var(
                &format!("h.{l}.attn.c_attn"),
                &[3 * c, c],
                || rng.normal() * std,
                dev,
            )?;
            let c_proj = p.var(
                &format!("h.{l}.attn.c_proj"),
                &[c, c],
                || rng.normal() * proj_std,
                dev,
            )?;
            let ln_2 = LayerNorm {
                weight: p.var(&format!("h.{l}.ln_2"), &[c], || 1.0, dev)?,
            };
            let fc = p.var(
                &format!("h.{l}.mlp.c_fc"),
                &[4 * c, c],
                || rng.normal() * std,
                dev,
            )?;
            let fc_proj = p.var(
                &format!("h.{l}.mlp.c_proj"),
                &[c, 4 * c],
                || rng.normal() * proj_std,
                dev,
            )?;
            blocks.push(Block {
                ln_1,
                c_attn,
                c_proj,
                ln_2,
                fc,
                fc_proj,
            });
        }
        let ln_f = LayerNorm {
            weight: p.var("ln_f", &[c], || 1.0, dev)?,
        };
        let lm_head = p.var("lm_head", &[cfg.vocab, c], || rng.normal() * std, dev)?;
        // Fixed tables cover twice the training context, so the variants that can
        // (sinusoidal, RoPE, ALiBi) are evaluated beyond it (`val_loss_long`).
        let t = 2 * cfg.block;
        let mask: Vec<f32> = (0..t * t)
            .map(|i| {
                if i % t > i / t {
                    f32::NEG_INFINITY
                } else {
                    0.0
                }
            })
            .collect();
        let mask = Tensor::from_vec(mask, (t, t), dev)?;
        let hs = c / cfg.n_head;
        let sinusoid = (cfg.position == Position::Sinusoidal)
            .then(|| sinusoidal(t, c, dev))
            .transpose()?;
        let rope = (cfg.position == Position::Rope)
            .then(|| rope_tables(t, hs, dev))
            .transpose()?;
        let alibi = (cfg.position == Position::Alibi)
            .then(|| alibi_bias(cfg.n_head, t, dev))
            .transpose()?;
        Ok((
            Gpt {
                cfg,
                wte,
                wpe,
                blocks,
                ln_f,
                lm_head,
                mask,
                sinusoid,
                rope,
                alibi,
            },
            p,
        ))
    }

    /// Logits (B, T, vocab) for token ids (B, T), in evaluation mode (no dropout).
    pub fn forward(&self, idx: &Tensor) -> Result<Tensor> {
        self.forward_t(idx, None)
    }

    /// Inverted dropout: zero each entry with probability p, scale the rest by 1/(1−p).
    /// The mask comes from `rng`, so a seeded run is reproducible.
    fn dropout(&self, x: Tensor, rng: &mut Option<&mut Rng>) -> Result<Tensor> {
        let p = self.cfg.dropout;
        let Some(rng) = rng.as_mut().filter(|_| p > 0.0) else {
            return Ok(x);
        };
        let keep = (1.0 / (1.0 - p)) as f32;
        let mask: Vec<f32> = (0..x.elem_count())
            .map(|_| if rng.unit() < p { 0.0 } else { keep })
            .collect();
        x.mul(&Tensor::from_vec(mask, x.shape(), x.device())?)
    }

    /// Logits; with `train` (the dropout generator) dropout is applied.
    pub fn forward_t(&self, idx: &Tensor, mut train: Option<&mut Rng>) -> Result<Tensor> {
        let (b, t) = idx.dims2()?;
        let c = self.cfg.n_embd;
        let limit = if self.wpe.is_some() {
            self.cfg.block
        } else {
            2 * self.cfg.block
        };
        if t > limit {
            return Err(candle_core::Error::Msg(format!(
                "a sequence of {t} tokens is longer than this model's {limit} positions"
            )));
        }
        let mut x = self
            .wte
            .embedding(&idx.flatten_all()?)?
            .reshape((b, t, c))?;
        if let Some(wpe) = &self.wpe {
            x = x.broadcast_add(&wpe.narrow(0, 0, t)?)?;
        }
        if let Some(s) = &self.sinusoid {
            // As in Vaswani et al.: token embeddings scaled by √C, so the fixed
            // positions (values in [-1, 1]) do not drown them.
            x = (x * (c as f64).sqrt())?.broadcast_add(&s.narrow(0, 0, t)?)?;
        }
        x = self.dropout(x, &mut train)?;
        for blk in &self.blocks {
            let a = self.attention(blk, &blk.ln_1.forward(&x)?, &mut train)?;
            x = (&x + self.dropout(a, &mut train)?)?;
            let h = crate::nn::ops::gelu(&linear(&blk.ln_2.forward(&x)?, &blk.fc)?)?;
            let m = linear(&h, &blk.fc_proj)?;
            x = (&x + self.dropout(m, &mut train)?)?;
        }
        linear(&self.ln_f.forward(&x)?, &self.lm_head)
    }

    fn attention(&self, blk: &Block, x: &Tensor, train: &mut Option<&mut Rng>) -> Result<Tensor> {
        let (b, t, c) = x.dims3()?;
        let nh = self.cfg.n_head;
        let hs = c / nh;
        let qkv = linear(x, &blk.c_attn)?; // (B, T, 3C)
        let scale = 1.0 / (hs as f64).sqrt();
        let dropping = train.is_some() && self.cfg.dropout > 0.0;
        if crate::nn::ops::fused_available(&qkv) && !dropping {
            // The whole of it as one op with its own backward (ops::Attention); the
            // composed form below is what it computes.
            let rope = match &self.rope {
                Some((cos, sin)) => Some((
                    cos.flatten_all()?.to_vec1::<f32>()?,
                    sin.flatten_all()?.to_vec1::<f32>()?,
                )),
                None => None,
            };
            let slopes = self.alibi.as_ref().map(|_| alibi_slopes(nh));
            let op = crate::nn::ops::Attention::new(nh, scale as f32, slopes, rope);
            let y = crate::nn::ops::attention(&qkv, op)?; // (B, T, C)
            return linear(&y, &blk.c_proj);
        }
        let heads = |i: usize| -> Result<Tensor> {
            qkv.narrow(2, i * c, c)?
                .reshape((b, t, nh, hs))?
                .transpose(1, 2)?
                .contiguous() // (B, H, T, hs)
        };
        let (mut q, mut k, v) = (heads(0)?, heads(1)?, heads(2)?);
        if let Some((cos, sin)) = &self.rope {
            q = apply_rope(&q, &cos.narrow(0, 0, t)?, &sin.narrow(0, 0, t)?)?;
            k = apply_rope(&k, &cos.narrow(0, 0, t)?, &sin.narrow(0, 0, t)?)?;
        }
        let scores = q.matmul(&k.t()?)?; // (B, H, T, T)
        let att = if crate::nn::ops::fused_available(&scores) {
            // One pass: scale, causal mask, ALiBi and softmax (and one for the backward).
            let slopes = self.alibi.as_ref().map(|_| alibi_slopes(nh));
            crate::nn::ops::causal_softmax(&scores, scale, slopes)?
        } else {
            let mut att = (scores * scale)?;
            att = att.broadcast_add(&self.mask.narrow(0, 0, t)?.narrow(1, 0, t)?)?;
            if let Some(al) = &self.alibi {
                att = att.broadcast_add(&al.narrow(1, 0, t)?.narrow(2, 0, t)?)?;
            }
            crate::nn::ops::softmax(&att)?
        };
        let y = self.dropout(att, train)?.matmul(&v)?; // (B, H, T, hs)
        let y = y.transpose(1, 2)?.reshape((b, t, c))?;
        linear(&y, &blk.c_proj)
    }

    /// Mean cross-entropy of next-token prediction (evaluation mode).
    pub fn loss(&self, idx: &Tensor, targets: &Tensor) -> Result<Tensor> {
        self.loss_t(idx, targets, None)
    }

    /// Mean cross-entropy, with dropout when `train` is given.
    pub fn loss_t(
        &self,
        idx: &Tensor,
        targets: &Tensor,
        train: Option<&mut Rng>,
    ) -> Result<Tensor> {
        let logits = self.forward_t(idx, train)?;
        let (b, t, v) = logits.dims3()?;
        candle_nn::loss::cross_entropy(&logits.reshape((b * t, v))?, &targets.reshape(b * t)?)
    }
}

fn sinusoidal(t: usize, c: usize, dev: &Device) -> Result<Tensor> {
    let mut data = vec![0f32; t * c];
    for pos in 0..t {
        for i in 0..c / 2 {
            let freq = 1.0 / 10000f64.powf(2.0 * i as f64 / c as f64);
            data[pos * c + 2 * i] = (pos as f64 * freq).sin() as f32;
            data[pos * c + 2 * i + 1] = (pos as f64 * freq).cos() as f32;
        }
    }
    Tensor::from_vec(data, (t, c), dev)
}

/// cos and sin tables (T, hs/2) for rotary embeddings.
fn rope_tables(t: usize, hs: usize, dev: &Device) -> Result<(Tensor, Tensor)> {
    let half = hs / 2;
    let mut cos = vec![0f32; t * half];
    let mut sin = vec![0f32; t * half];
    for pos in 0..t {
        for i in 0..half {
            let theta = pos as f64 / 10000f64.powf(2.0 * i as f64 / hs as f64);
            cos[pos * half + i] = theta.cos() as f32;
            sin[pos * half + i] = theta.sin() as f32;
        }
    }
    Ok((
        Tensor::from_vec(cos, (t, half), dev)?,
        Tensor::from_vec(sin, (t, half), dev)?,
    ))
}

/// Rotary embedding in differentiable form: rotate the two halves of each head by
/// position-dependent angles. x: (B, H, T, hs).
pub fn apply_rope(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
    let hs = x.dim(D::Minus1)?;
    let half = hs / 2;
    let x1 = x.narrow(D::Minus1, 0, half)?;
    let x2 = x.narrow(D::Minus1, half, half)?;
    let r1 = (x1.broadcast_mul(cos)? - x2.broadcast_mul(sin)?)?;
    let r2 = (x1.broadcast_mul(sin)? + x2.broadcast_mul(cos)?)?;
    Tensor::cat(&[&r1, &r2], D::Minus1)
}

/// ALiBi slopes: 2^(-8·(h+1)/H) for head h (Press et al., for H a power of two).
pub fn alibi_slopes(h: usize) -> Vec<f32> {
    (0..h)
        .map(|head| 2f64.powf(-8.0 * (head + 1) as f64 / h as f64) as f32)
        .collect()
}

/// ALiBi biases (H, T, T): -slope_h · (i - j) for keys j ≤ i (the causal mask hides the rest).
fn alibi_bias(h: usize, t: usize, dev: &Device) -> Result<Tensor> {
    let mut data = vec![0f32; h * t * t];
    for (head, slope) in alibi_slopes(h).into_iter().enumerate() {
        let slope = slope as f64;
        for i in 0..t {
            for j in 0..=i {
                data[head * t * t + i * t + j] = (-slope * (i - j) as f64) as f32;
            }
        }
    }
    Tensor::from_vec(data, (h, t, t), dev)
}

/// Sample one token id from logits (vocab) with temperature and top-k.
pub fn sample(logits: &[f32], temperature: f64, top_k: usize, rng: &mut Rng) -> usize {
    let t = temperature.max(1e-6);
    let mut idx: Vec<usize> = (0..logits.len()).collect();
    idx.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
    let k = if top_k == 0 {
        logits.len()
    } else {
        top_k.min(logits.len())
    };
    let top = &idx[..k];
    let max = logits[top[0]] as f64;
    let w: Vec<f64> = top
        .iter()
        .map(|&i| ((logits[i] as f64 - max) / t).exp())
        .collect();
    let total: f64 = w.iter().sum();
    let mut r = rng.unit() * total;
    for (i, wi) in top.iter().zip(&w) {
        if r < *wi {
            return *i;
        }
        r -= wi;
    }
    top[k - 1]
}
