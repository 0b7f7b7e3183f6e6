//! `labbook exp lm`: train a small character-level transformer language model and
//! report progress with the metrics protocol (loss, val_loss, val_ppl, lr, grad_norm,
//! tokens_per_s).

pub mod bench;
pub mod model;
pub mod tokenizer;

use std::io::Write;
use std::time::Instant;

use anyhow::{anyhow, bail, Context};
use candle_core::{Device, Tensor};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Parameters;

use crate::nn::{clip_grads, optim};
use crate::util::rng::Rng;
use model::{Config, Gpt, Position};

/// The corpus shipped with labbook (see data/corpus/README.md).
pub const DEFAULT_CORPUS: &str = "data/corpus/tiny.txt";
const EMBEDDED_CORPUS: &str = include_str!("../../../data/corpus/tiny.txt");

/// The vocabulary: one token per distinct byte, or a byte-pair encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Vocabulary {
    Char,
    Bpe,
}

/// Hyper-parameters (`--param KEY=VALUE`); the defaults are those of
/// projects/lm/project.toml.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Hparams {
    /// Optimiser steps.
    pub steps: usize,
    /// Sequences per batch.
    pub batch_size: usize,
    /// Context length in tokens.
    pub block_size: usize,
    /// Transformer blocks.
    pub n_layer: usize,
    /// Attention heads per block (must divide n_embd).
    pub n_head: usize,
    /// Model width.
    pub n_embd: usize,
    /// Peak learning rate (AdamW).
    pub lr: f64,
    /// Linear warm-up steps before the peak learning rate.
    pub warmup: usize,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Clip the global gradient norm to this value (0 disables clipping).
    pub grad_clip: f64,
    /// Dropout probability on embeddings, attention weights and residual branches
    /// (training only; 0 disables it).
    pub dropout: f64,
    /// How position enters the model: learned or sinusoidal absolute embeddings,
    /// rotary (RoPE) on q/k, or ALiBi biases.
    pub position: Position,
    /// Character-level vocabulary or a byte-pair encoding trained on the corpus.
    pub tokenizer: Vocabulary,
    /// BPE vocabulary size, bytes included (tokenizer=bpe only).
    pub vocab_size: usize,
    /// UTF-8 text file to train on (the built-in corpus when the default path is
    /// missing); the last 10 % is held out for validation.
    pub corpus: String,
    /// Seed for weight initialisation, data order and dropout masks.
    pub seed: u64,
    /// Steps between validation-loss evaluations.
    pub eval_every: usize,
    /// Batches averaged for each validation loss.
    pub eval_batches: usize,
    /// Characters sampled from the model at the end (0: none).
    pub sample_chars: usize,
    /// Sampling temperature.
    pub temperature: f64,
    /// Sample from the k most likely tokens.
    pub top_k: usize,
    /// Save a checkpoint every N steps (0: only at the end).
    pub checkpoint_every: usize,
    /// Where checkpoints go (default: `checkpoint/` in the run directory; none when
    /// run by hand without it).
    pub out: Option<String>,
    /// Resume from this checkpoint directory.
    pub resume: Option<String>,
    /// cpu, cuda or cuda:N (cuda needs labbook built with --features cuda).
    pub device: String,
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
            dropout: 0.0,
            position: Position::Learned,
            tokenizer: Vocabulary::Char,
            vocab_size: 512,
            corpus: DEFAULT_CORPUS.into(),
            seed: 1337,
            eval_every: 100,
            eval_batches: 8,
            sample_chars: 200,
            temperature: 0.8,
            top_k: 20,
            checkpoint_every: 0,
            out: None,
            resume: None,
            device: "cpu".into(),
        }
    }
}

impl Parameters for Hparams {
    fn validate(&mut self) -> anyhow::Result<()> {
        crate::nn::parse_device_spec(&self.device)?;
        if !(0.0..1.0).contains(&self.dropout) {
            bail!("dropout={}: expected a probability in [0, 1)", self.dropout);
        }
        if self.n_head == 0 || !self.n_embd.is_multiple_of(self.n_head) {
            bail!(
                "n_embd ({}) must be a multiple of n_head ({})",
                self.n_embd,
                self.n_head
            );
        }
        if self.position == Position::Rope && !(self.n_embd / self.n_head).is_multiple_of(2) {
            bail!(
                "rope needs an even head size (n_embd / n_head = {})",
                self.n_embd / self.n_head
            );
        }
        if self.steps == 0 || self.batch_size == 0 || self.block_size == 0 || self.n_layer == 0 {
            bail!("steps, batch_size, block_size and n_layer must be positive");
        }
        Ok(())
    }
}

impl Hparams {
    /// The tokenizer to build (`vocab_size` counts for BPE only).
    pub fn tokenizer_kind(&self) -> tokenizer::Kind {
        match self.tokenizer {
            Vocabulary::Char => tokenizer::Kind::Char,
            Vocabulary::Bpe => tokenizer::Kind::Bpe {
                vocab_size: self.vocab_size,
            },
        }
    }
}

/// The text as token ids, and the tokenizer that made them.
pub struct Corpus {
    pub data: Vec<u32>,
    pub tok: tokenizer::Tokenizer,
}

impl Corpus {
    /// The corpus file's bytes (the built-in corpus when the default path is missing).
    pub fn read(path: &str) -> anyhow::Result<Vec<u8>> {
        match std::fs::read(path) {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && path == DEFAULT_CORPUS => {
                Ok(EMBEDDED_CORPUS.as_bytes().to_vec())
            }
            Err(e) => Err(e).with_context(|| format!("reading the corpus {path}")),
        }
    }

    /// Load with the character tokenizer (the reference's vocabulary).
    pub fn load(path: &str) -> anyhow::Result<Corpus> {
        Ok(Corpus::from_bytes(&Corpus::read(path)?))
    }

    /// Load and tokenize with `kind`; a BPE is trained on the first 90% (the training
    /// split), so validation text plays no part in it.
    pub fn load_with(path: &str, kind: tokenizer::Kind) -> anyhow::Result<Corpus> {
        let bytes = Corpus::read(path)?;
        match kind {
            tokenizer::Kind::Char => Ok(Corpus::from_bytes(&bytes)),
            tokenizer::Kind::Bpe { vocab_size } => {
                let train = &bytes[..bytes.len() * 9 / 10];
                let tok = tokenizer::Tokenizer::train_bpe(train, &bytes, vocab_size)
                    .with_context(|| format!("training a BPE tokenizer on {path}"))?;
                Corpus::encode(&bytes, tok)
            }
        }
    }

    /// Tokenize `bytes` with an existing tokenizer (a checkpoint's).
    pub fn encode(bytes: &[u8], tok: tokenizer::Tokenizer) -> anyhow::Result<Corpus> {
        Ok(Corpus {
            data: tok.encode(bytes)?,
            tok,
        })
    }

    pub fn from_bytes(bytes: &[u8]) -> Corpus {
        let tok = tokenizer::Tokenizer::chars(bytes);
        let mut index = [0u32; 256];
        for (i, p) in tok.pieces.iter().enumerate() {
            index[p[0] as usize] = i as u32;
        }
        Corpus {
            data: bytes.iter().map(|b| index[*b as usize]).collect(),
            tok,
        }
    }

    pub fn vocab_size(&self) -> usize {
        self.tok.vocab_size()
    }

    pub fn decode(&self, ids: &[u32]) -> String {
        self.tok.decode(ids)
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

/// A training run: model, optimizer and the samplers' state, resumable from a checkpoint.
pub struct Trainer {
    pub h: Hparams,
    pub corpus: Corpus,
    pub model: Gpt,
    pub names: Vec<String>,
    pub opt: optim::AdamW,
    pub rng: Lcg,
    pub val_rng: Lcg,
    /// Dropout masks.
    pub drop_rng: Rng,
    /// The next step to run.
    pub step: usize,
    split: usize,
    dev: Device,
}

/// What a checkpoint's `state.json` holds besides the tensors.
#[derive(serde::Serialize, serde::Deserialize)]
struct State {
    params: Vec<String>,
    step: usize,
    opt_t: u64,
    rng: u64,
    val_rng: u64,
    #[serde(default)]
    drop_rng: u64,
}

impl Trainer {
    pub fn new(h: Hparams) -> anyhow::Result<Trainer> {
        let corpus = Corpus::load_with(&h.corpus, h.tokenizer_kind())?;
        Trainer::with_corpus(h, corpus)
    }

    /// A fresh run on an already tokenized corpus.
    pub fn with_corpus(h: Hparams, corpus: Corpus) -> anyhow::Result<Trainer> {
        if corpus.data.len() < 10 * (h.block_size + 2) {
            bail!(
                "the corpus has {} tokens: too short for block_size {}",
                corpus.data.len(),
                h.block_size
            );
        }
        let dev = crate::nn::device(&h.device)?;
        let cfg = Config {
            vocab: corpus.vocab_size(),
            block: h.block_size,
            n_layer: h.n_layer,
            n_head: h.n_head,
            n_embd: h.n_embd,
            position: h.position,
            dropout: h.dropout,
        };
        let (model, params) = Gpt::new(cfg, h.seed, &dev)?;
        let names = params.vars.iter().map(|(n, _)| n.clone()).collect();
        let opt = optim::AdamW::new(params.all(), h.lr, 0.9, 0.99, 1e-8, h.weight_decay)?;
        let split = corpus.data.len() * 9 / 10;
        Ok(Trainer {
            rng: Lcg(h.seed),
            val_rng: Lcg(h.seed ^ 0x5EED),
            drop_rng: Rng::new(h.seed ^ 0xD80F),
            h,
            corpus,
            model,
            names,
            opt,
            step: 0,
            split,
            dev,
        })
    }

    /// Continue a run from a checkpoint directory written by [`Trainer::save`]; the
    /// hyper-parameters are the checkpoint's, with `steps` (and checkpointing) from `h`.
    pub fn resume(dir: &str, h: &Hparams) -> anyhow::Result<Trainer> {
        let state: State = serde_json::from_slice(
            &std::fs::read(format!("{dir}/state.json"))
                .with_context(|| format!("reading the checkpoint {dir}/state.json"))?,
        )
        .with_context(|| format!("{dir}/state.json is not a labbook checkpoint"))?;
        let mut saved = Hparams::from_pairs(&state.params)
            .with_context(|| format!("{dir}/state.json: the saved parameters"))?;
        // What the run is and how it was trained come from the checkpoint; how far to go,
        // where to save, what to sample and on which device from today's command.
        saved.steps = h.steps;
        saved.checkpoint_every = h.checkpoint_every;
        saved.out = h.out.clone();
        saved.resume = h.resume.clone();
        saved.sample_chars = h.sample_chars;
        saved.temperature = h.temperature;
        saved.top_k = h.top_k;
        // Resuming may move a run between devices: the device is today's, not the checkpoint's.
        saved.device = h.device.clone();
        // The checkpoint's own tokenizer: a BPE retrained on an edited corpus would not
        // match the embeddings.
        let tok_path = format!("{dir}/tokenizer.json");
        let mut t = if std::path::Path::new(&tok_path).exists() {
            let tok = tokenizer::Tokenizer::load(&tok_path)?;
            let corpus = Corpus::encode(&Corpus::read(&saved.corpus)?, tok).with_context(|| {
                format!(
                    "the corpus {} no longer fits the checkpoint's tokenizer",
                    saved.corpus
                )
            })?;
            Trainer::with_corpus(saved, corpus)?
        } else {
            Trainer::new(saved)?
        };
        let weights = candle_core::safetensors::load(format!("{dir}/model.safetensors"), &t.dev)
            .with_context(|| format!("reading {dir}/model.safetensors"))?;
        let moments =
            candle_core::safetensors::load(format!("{dir}/optimizer.safetensors"), &t.dev)
                .with_context(|| format!("reading {dir}/optimizer.safetensors"))?;
        for (i, name) in t.names.iter().enumerate() {
            let get = |map: &std::collections::HashMap<String, Tensor>, k: &str| {
                map.get(k)
                    .cloned()
                    .ok_or_else(|| anyhow!("the checkpoint has no tensor `{k}`"))
            };
            let w = get(&weights, name)?;
            if w.dims() != t.opt.vars[i].dims() {
                bail!(
                    "checkpoint tensor `{name}` has shape {:?}, the model expects {:?}",
                    w.dims(),
                    t.opt.vars[i].dims()
                );
            }
            t.opt.vars[i].set(&w)?;
            t.opt.m[i] = get(&moments, &format!("m.{name}"))?;
            t.opt.v[i] = get(&moments, &format!("v.{name}"))?;
        }
        t.opt.t = state.opt_t;
        t.rng = Lcg(state.rng);
        t.val_rng = Lcg(state.val_rng);
        t.drop_rng = Rng::new(state.drop_rng);
        t.step = state.step;
        Ok(t)
    }

    /// Write `model.safetensors`, `optimizer.safetensors` and `state.json` into `dir`.
    pub fn save(&self, dir: &str) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {dir}"))?;
        let mut weights = std::collections::HashMap::new();
        let mut moments = std::collections::HashMap::new();
        for (i, name) in self.names.iter().enumerate() {
            weights.insert(name.clone(), self.opt.vars[i].as_tensor().clone());
            moments.insert(format!("m.{name}"), self.opt.m[i].clone());
            moments.insert(format!("v.{name}"), self.opt.v[i].clone());
        }
        // Written to temporary names and renamed, so a crash never leaves half a checkpoint.
        let tmp = |f: &str| format!("{dir}/{f}.tmp");
        candle_core::safetensors::save(&weights, tmp("model.safetensors"))?;
        candle_core::safetensors::save(&moments, tmp("optimizer.safetensors"))?;
        let state = State {
            params: self.h.to_pairs(),
            step: self.step,
            opt_t: self.opt.t,
            rng: self.rng.0,
            val_rng: self.val_rng.0,
            drop_rng: self.drop_rng.state(),
        };
        std::fs::write(tmp("state.json"), serde_json::to_vec_pretty(&state)?)?;
        self.corpus.tok.save(&tmp("tokenizer.json"))?;
        for f in [
            "model.safetensors",
            "optimizer.safetensors",
            "tokenizer.json",
            "state.json",
        ] {
            std::fs::rename(tmp(f), format!("{dir}/{f}"))
                .with_context(|| format!("writing {dir}/{f}"))?;
        }
        Ok(())
    }

    /// One optimisation step; returns (loss, lr, grad norm, seconds).
    pub fn train_step(&mut self) -> anyhow::Result<(f64, f64, f64, f64)> {
        let t0 = Instant::now();
        let lr = lr_at(self.step, &self.h);
        self.opt.lr = lr;
        let (x, y) = batch(
            &self.corpus.data[..self.split],
            self.h.batch_size,
            self.h.block_size,
            &mut self.rng,
            &self.dev,
        )?;
        let loss = self.model.loss_t(&x, &y, Some(&mut self.drop_rng))?;
        let mut grads = loss.backward()?;
        let grad_norm = clip_grads(&mut grads, &self.opt.vars, self.h.grad_clip)?;
        self.opt.step(&grads)?;
        self.step += 1;
        Ok((
            loss.to_scalar::<f32>()? as f64,
            lr,
            grad_norm,
            t0.elapsed().as_secs_f64(),
        ))
    }

    /// Mean validation loss over `eval_batches` batches.
    pub fn validate(&mut self) -> anyhow::Result<f64> {
        self.validate_at(self.h.block_size)
    }

    /// Validation loss on windows twice the training context, for the position schemes
    /// that extend beyond it (None for learned positions, which have no table there).
    pub fn validate_long(&mut self) -> anyhow::Result<Option<f64>> {
        let long = 2 * self.h.block_size;
        if self.h.position == Position::Learned || self.corpus.data.len() - self.split < long + 2 {
            return Ok(None);
        }
        // Its own sampler, so the ordinary validation batches stay the same.
        let saved = self.val_rng.0;
        self.val_rng = Lcg(saved ^ 0x10A6);
        let r = self.validate_at(long);
        self.val_rng = Lcg(saved);
        r.map(Some)
    }

    fn validate_at(&mut self, block: usize) -> anyhow::Result<f64> {
        let mut total = 0.0;
        let n = self.h.eval_batches.max(1);
        for _ in 0..n {
            let (vx, vy) = batch(
                &self.corpus.data[self.split..],
                self.h.batch_size,
                block,
                &mut self.val_rng,
                &self.dev,
            )?;
            total += self.model.loss(&vx, &vy)?.to_scalar::<f32>()? as f64;
        }
        Ok(total / n as f64)
    }
}

/// `labbook exp lm`.
pub struct Lm;

impl super::Experiment for Lm {
    type Params = Hparams;

    const NAME: &'static str = "lm";
    const SUMMARY: &'static str = "decoder-only transformer language model with attention variants";

    /// Train (or resume), reporting every step and validation through `cx`; checkpoints
    /// go to `out` or the run directory's `checkpoint/`.
    fn run(&self, mut h: Self::Params, cx: &mut super::Context) -> anyhow::Result<()> {
        if h.out.is_none() {
            h.out = cx
                .run_dir()
                .map(|d| d.join("checkpoint").display().to_string());
        }
        let mut tr = match &h.resume {
            Some(dir) => Trainer::resume(dir, &h)?,
            None => Trainer::new(h.clone())?,
        };
        let nparams: usize = tr.opt.vars.iter().map(|v| v.elem_count()).sum();
        writeln!(
            cx,
            "lm: {} parameters, vocabulary {} tokens, {} train / {} val tokens, position {:?}{}",
            nparams,
            tr.corpus.vocab_size(),
            tr.split,
            tr.corpus.data.len() - tr.split,
            tr.h.position,
            if tr.step > 0 {
                format!(", resumed at step {}", tr.step)
            } else {
                String::new()
            }
        )?;
        cx.emit(&serde_json::json!({
            "params": nparams.to_string(),
            "vocab": tr.corpus.vocab_size().to_string(),
            "tokenizer": tr.h.tokenizer,
            "corpus": tr.h.corpus,
        }))?;
        let tokens_per_step = (tr.h.batch_size * tr.h.block_size) as f64;
        while tr.step < tr.h.steps {
            let step = tr.step;
            let (loss, lr, grad_norm, secs) = tr.train_step()?;
            let mut rec = serde_json::json!({"step": step, "loss": loss, "lr": lr, "grad_norm": grad_norm, "tokens_per_s": tokens_per_step / secs});
            let every = tr.h.eval_every;
            if (every > 0 && tr.step % every == 0) || tr.step == tr.h.steps {
                let val_loss = tr.validate()?;
                rec["val_loss"] = serde_json::json!(val_loss);
                rec["val_ppl"] = serde_json::json!(val_loss.exp());
                if let Some(long) = tr.validate_long()? {
                    rec["val_loss_long"] = serde_json::json!(long);
                }
            }
            cx.emit(&rec)?;
            if !loss.is_finite() {
                bail!("the loss became {loss} at step {step}; lower lr or raise grad_clip");
            }
            if let Some(dir) = &tr.h.out {
                let ck = tr.h.checkpoint_every;
                if (ck > 0 && tr.step % ck == 0) || tr.step == tr.h.steps {
                    tr.save(dir)?;
                    writeln!(cx, "checkpoint: step {} saved to {dir}", tr.step)?;
                }
            }
        }
        if tr.h.sample_chars > 0 {
            let text = generate(
                &tr.model,
                &tr.corpus,
                tr.h.sample_chars,
                tr.h.temperature,
                tr.h.top_k,
                tr.h.seed,
                &tr.dev,
            )?;
            cx.emit(&serde_json::json!({"sample": text}))?;
            writeln!(cx, "sample: {}", text.replace('\n', " "))?;
        }
        Ok(())
    }
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
    let start = corpus.tok.id_of_byte(b'\n').unwrap_or(0);
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
