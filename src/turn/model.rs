//! The end-of-turn classifier: a two-layer MLP over the standardised features of one
//! hop (Candle for training, plain Rust for streaming).
//!
//! ```text
//! x (B, F) → gelu(x·W1 + b1) (B, H) → gelu(·W2 + b2) (B, H) → ·w3 + b3 → logit (B)
//! ```
//!
//! Files: `NAME.safetensors` (`w1` (F, H), `b1` (H), `w2` (H, H), `b2` (H), `w3` (H, 1),
//! `b3` (1)) and `NAME.json` ([`EotConfig`]) beside it.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use candle_core::{Device, Tensor, Var};
use serde::{Deserialize, Serialize};

use super::features::N_FEATURES;
use crate::util::rng::Rng;
use crate::vad::trained::{gelu, init_var};

/// Everything beside the weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EotConfig {
    pub hidden: usize,
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
    /// Features kept (the others are set to their training mean, i.e. 0 after
    /// standardisation).
    pub mask: Vec<bool>,
    /// The decision threshold on P(end of turn): the validation operating point with at
    /// most 5 % false cut-offs.
    #[serde(default = "half")]
    pub threshold: f32,
    /// Silence (ms) after which the detector answers whatever the model says: past
    /// the longest pause it was trained on, its output means little (a turn never
    /// answered is worse than a late answer).
    #[serde(default = "default_max_silence")]
    pub max_silence_ms: f32,
    #[serde(default)]
    pub trained: serde_json::Value,
}

fn half() -> f32 {
    0.5
}

/// The longest pause `labbook exp turn` trains on.
pub const DEFAULT_MAX_SILENCE_MS: f32 = 1500.0;

fn default_max_silence() -> f32 {
    DEFAULT_MAX_SILENCE_MS
}

/// The MLP as Candle tensors, for training.
pub struct EotNet {
    pub hidden: usize,
    pub w1: Tensor,
    pub b1: Tensor,
    pub w2: Tensor,
    pub b2: Tensor,
    pub w3: Tensor,
    pub b3: Tensor,
    pub vars: Vec<(String, Var)>,
}

impl EotNet {
    pub fn new(hidden: usize, seed: u64, dev: &Device) -> anyhow::Result<EotNet> {
        let mut rng = Rng::new(seed);
        let mut vars = Vec::new();
        let f = N_FEATURES;
        let w1 = init_var(&mut vars, &mut rng, "w1", &[f, hidden], f, dev)?;
        let b1 = init_var(&mut vars, &mut rng, "b1", &[hidden], 0, dev)?;
        let w2 = init_var(&mut vars, &mut rng, "w2", &[hidden, hidden], hidden, dev)?;
        let b2 = init_var(&mut vars, &mut rng, "b2", &[hidden], 0, dev)?;
        let w3 = init_var(&mut vars, &mut rng, "w3", &[hidden, 1], hidden, dev)?;
        let b3 = init_var(&mut vars, &mut rng, "b3", &[1], 0, dev)?;
        Ok(EotNet {
            hidden,
            w1,
            b1,
            w2,
            b2,
            w3,
            b3,
            vars,
        })
    }

    /// Logits (B) of standardised features (B, F).
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let h = x.matmul(&self.w1)?.broadcast_add(&self.b1)?.gelu()?;
        let h = h.matmul(&self.w2)?.broadcast_add(&self.b2)?.gelu()?;
        h.matmul(&self.w3)?.broadcast_add(&self.b3)?.squeeze(1)
    }

    pub fn tensors(&self) -> HashMap<String, Tensor> {
        self.vars
            .iter()
            .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
            .collect()
    }
}

/// The MLP for streaming: plain vectors, one feature row at a time.
#[derive(Debug, Clone)]
pub struct EotModel {
    pub config: EotConfig,
    w1: Vec<f32>,
    b1: Vec<f32>,
    w2: Vec<f32>,
    b2: Vec<f32>,
    w3: Vec<f32>,
    b3: f32,
}

impl EotModel {
    pub fn new(config: EotConfig, t: &HashMap<String, Tensor>) -> anyhow::Result<EotModel> {
        let (f, h) = (N_FEATURES, config.hidden);
        if config.mean.len() != f || config.std.len() != f || config.mask.len() != f || h == 0 {
            bail!(
                "end-of-turn config: {} means, {} deviations, {} mask entries for {f} features, hidden {h}",
                config.mean.len(),
                config.std.len(),
                config.mask.len()
            );
        }
        Ok(EotModel {
            w1: crate::nn::checkpoint::tensor_vec(t, "w1", f * h)?,
            b1: crate::nn::checkpoint::tensor_vec(t, "b1", h)?,
            w2: crate::nn::checkpoint::tensor_vec(t, "w2", h * h)?,
            b2: crate::nn::checkpoint::tensor_vec(t, "b2", h)?,
            w3: crate::nn::checkpoint::tensor_vec(t, "w3", h)?,
            b3: crate::nn::checkpoint::tensor_vec(t, "b3", 1)?[0],
            config,
        })
    }

    /// Load `FILE.safetensors` and the `FILE.json` beside it.
    pub fn load(path: &Path) -> anyhow::Result<EotModel> {
        let (config, t) = crate::nn::checkpoint::load(path, "end-of-turn", "labbook exp turn")?;
        EotModel::new(config, &t).with_context(|| format!("loading {}", path.display()))
    }

    /// Write `FILE.safetensors` + `FILE.json`.
    pub fn save(
        path: &Path,
        tensors: &HashMap<String, Tensor>,
        config: &EotConfig,
    ) -> anyhow::Result<()> {
        crate::nn::checkpoint::save(path, tensors, config)
    }

    /// Standardise and mask raw features in place.
    pub fn standardise(&self, x: &mut [f32]) {
        for (k, v) in x.iter_mut().enumerate() {
            *v = if self.config.mask[k] {
                (*v - self.config.mean[k]) / self.config.std[k]
            } else {
                0.0
            };
        }
    }

    /// The detector's score of one raw feature row: P(turn ended), or 1 once the
    /// silence reaches `max_silence_ms`.
    pub fn score(&self, raw: &[f32; N_FEATURES]) -> f32 {
        if raw[0] * 1000.0 >= self.config.max_silence_ms {
            1.0
        } else {
            self.prob(raw)
        }
    }

    /// P(turn ended) of one raw feature row.
    pub fn prob(&self, raw: &[f32; N_FEATURES]) -> f32 {
        let mut x = *raw;
        self.standardise(&mut x);
        let h = self.config.hidden;
        let mut a = self.b1.clone();
        for (k, xv) in x.iter().enumerate() {
            for (ai, w) in a.iter_mut().zip(&self.w1[k * h..(k + 1) * h]) {
                *ai += xv * w;
            }
        }
        a.iter_mut().for_each(|v| *v = gelu(*v));
        let mut b = self.b2.clone();
        for (k, av) in a.iter().enumerate() {
            for (bi, w) in b.iter_mut().zip(&self.w2[k * h..(k + 1) * h]) {
                *bi += av * w;
            }
        }
        let z = self.b3
            + b.iter()
                .zip(&self.w3)
                .map(|(v, w)| gelu(*v) * w)
                .sum::<f32>();
        1.0 / (1.0 + (-z).exp())
    }
}
