//! `labbook exp turn`: the end-of-turn detector of [`crate::turn`], trained on the
//! dialogues of a speech set and scored with the eot-bench protocol against the
//! silence-only baseline.
//!
//! Data: the dialogues (clean and noisy copies) of a set made by `labbook data speech
//! --turn-prosody` (without it every phrase ends with the same citation-form fall and
//! prosody cannot help). The VAD stream comes from the energy VAD, or from a trained
//! VAD (`vad=FILE`, written by `labbook exp vad`). Every pause of ≥ `min_silence_ms`
//! is an example: its hops, from the first one on, each give a feature row labelled
//! hold (0) or end of turn (1); after an end of turn the pause is continued with its
//! own audio up to 1.5 s so long silences are learned as ends. Batches are balanced
//! between holds and ends. `train` trains, `dev` picks the decision threshold (the
//! operating point with ≤ 5 % false cut-offs), `test` (the held-out voice) reports.
//!
//! Metrics: `loss` every step; `val_balanced_acc` every `eval_every` steps; at the end
//! `cutoff_rate_at_300ms`, `cutoff_rate_at_500ms`, `latency_at_5pct_ms`,
//! `val_balanced_acc`, `val_auc_100ms` for the model and `baseline_…` for the silence
//! baseline (with `model=silence`, the baseline's figures under the plain names).
//! Weights: `out/turn.safetensors` + `out/turn.json`.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use candle_core::Tensor;
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Parameters;
use crate::nn::optim::AdamW;
use crate::turn::eval::{self, Dialogue, Trace};
use crate::turn::features::{feature_mask, N_FEATURES, VAD_FEATURE};
use crate::turn::model::{EotConfig, EotModel, EotNet};
use crate::turn::EotDetector;
use crate::vad::trained::bce_with_logits;
use crate::vad::Vad;

/// Parameters of `labbook exp turn`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// A speech set made by `labbook data speech --turn-prosody`.
    pub data: PathBuf,
    /// The model to train, or the silence-only baseline alone.
    pub model: TurnModel,
    /// Feature groups the model sees, joined by `+` (pause, pitch, vad, energy, rate),
    /// or `all`.
    pub features: String,
    /// A pause this long (ms) is where the detector is asked first (the query point).
    pub min_silence_ms: usize,
    /// Optimiser steps.
    pub steps: usize,
    /// Peak learning rate (cosine decay to 10 %).
    pub lr: f64,
    /// Feature rows per batch (half holds, half ends of turn).
    pub batch_size: usize,
    /// Width of the MLP's hidden layer.
    pub hidden: usize,
    /// Seed for weight initialisation and data order.
    pub seed: u64,
    /// The VAD the detector listens through: `energy`, or the weights of a trained VAD
    /// (vad.safetensors written by `labbook exp vad`).
    pub vad: String,
    /// Steps between validation scores on the held-out voice (0: only at the end).
    pub eval_every: usize,
    /// At most this many dialogues per split (evenly spread over the set).
    pub max_dialogues: usize,
    /// Where `turn.safetensors` and `turn.json` go (default: the run directory).
    pub out: Option<PathBuf>,
    /// Share of training rows drawn from a pause's first 400 ms (the rest from
    /// anywhere in it).
    pub early_share: f64,
    /// Write every pause's features at the query hop (CSV) here.
    pub features_csv: Option<PathBuf>,
}

/// What `labbook exp turn` trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TurnModel {
    Silence,
    Classifier,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            data: PathBuf::from("data/speech-sample"),
            model: TurnModel::Classifier,
            features: DEFAULT_FEATURES.into(),
            min_silence_ms: 100,
            steps: 2000,
            lr: 3e-3,
            batch_size: 256,
            hidden: 32,
            seed: 1337,
            vad: "energy".into(),
            eval_every: 250,
            max_dialogues: 300,
            out: None,
            early_share: 0.75,
            features_csv: None,
        }
    }
}

impl Parameters for Params {
    fn validate(&mut self) -> anyhow::Result<()> {
        feature_mask(&self.features)?;
        super::params::positive_lr(self.lr)?;
        if !(0.0..=1.0).contains(&self.early_share) {
            bail!(
                "early_share={}: expected a number from 0 to 1",
                self.early_share
            );
        }
        if self.model == TurnModel::Classifier {
            super::params::positive_steps(self.steps)?;
        }
        self.min_silence_ms = self.min_silence_ms.max(10);
        self.batch_size = self.batch_size.max(1);
        self.hidden = self.hidden.max(1);
        self.max_dialogues = self.max_dialogues.max(1);
        Ok(())
    }
}

impl Params {
    /// The trained VAD's weights, `None` for the energy VAD.
    pub fn vad_path(&self) -> Option<PathBuf> {
        (self.vad != "energy").then(|| PathBuf::from(&self.vad))
    }
}

/// The VAD the experiment listens through: the energy VAD, or a trained one.
pub fn make_vad(path: Option<&std::path::Path>) -> anyhow::Result<Box<dyn Vad>> {
    crate::vad::from_spec(&match path {
        Some(p) => format!("trained:{}", p.display()),
        None => "energy".to_string(),
    })
}

/// One pause's feature rows (hop by hop) and its label.
#[derive(Debug, Clone)]
pub struct PauseRows {
    pub hold: bool,
    pub frames: usize,
    pub rows: Vec<[f32; N_FEATURES]>,
}

/// Feature rows of every pause of the dialogues (in parallel, one VAD per worker).
pub fn pause_rows(
    dialogues: &[Dialogue],
    vad: Option<&std::path::Path>,
    min_silence_ms: usize,
    horizon: usize,
) -> anyhow::Result<Vec<PauseRows>> {
    let det = EotDetector::silence_only(f32::INFINITY);
    let min_frames = min_silence_ms.div_ceil(10).max(1);
    let per: Vec<Vec<PauseRows>> = dialogues
        .par_iter()
        .map(|d| -> anyhow::Result<Vec<PauseRows>> {
            let mut v = make_vad(vad)?;
            let probs = eval::vad_probs(v.as_mut(), &d.samples)?;
            let ev = eval::events(&d.segments, probs.len(), min_frames);
            let steps = eval::walk(&det, &d.samples, &probs, &ev, horizon);
            Ok(ev
                .iter()
                .zip(steps)
                .map(|(e, st)| PauseRows {
                    hold: e.hold,
                    frames: e.frames(),
                    rows: st.iter().map(|s| s.features).collect(),
                })
                .collect())
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(per.into_iter().flatten().collect())
}

/// Model and baseline traces of cached pauses (what streaming would give: the model
/// only speaks while the VAD hears silence).
pub fn traces(pauses: &[PauseRows], model: Option<&EotModel>) -> (Vec<Trace>, Vec<Trace>) {
    let mk = |f: &dyn Fn(&[f32; N_FEATURES]) -> f32| -> Vec<Trace> {
        pauses
            .iter()
            .map(|p| Trace {
                hold: p.hold,
                frames: p.frames,
                scores: p.rows.iter().map(f).collect(),
            })
            .collect()
    };
    let m = match model {
        Some(m) => mk(&|r| {
            if r[VAD_FEATURE] >= 0.5 {
                0.0
            } else {
                m.score(r)
            }
        }),
        None => Vec::new(),
    };
    (
        m,
        mk(&|r| {
            if r[VAD_FEATURE] >= 0.5 {
                0.0
            } else {
                r[0] * 1000.0
            }
        }),
    )
}

/// One line per pause: split, label, length and the features at hop `query` (the
/// pause's first hop when it is shorter).
fn write_features_csv(
    path: &std::path::Path,
    sets: &[(&str, &[PauseRows])],
    query: usize,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let mut text = String::from("split,hold,pause_ms");
    for (name, _) in crate::turn::features::FEATURE_NAMES {
        text.push(',');
        text.push_str(name);
    }
    text.push('\n');
    for (split, pauses) in sets {
        for p in pauses.iter() {
            let Some(row) = p.rows.get(query).or_else(|| p.rows.first()) else {
                continue;
            };
            text.push_str(&format!("{split},{},{}", u8::from(p.hold), p.frames * 10));
            for v in row {
                text.push_str(&format!(",{v}"));
            }
            text.push('\n');
        }
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// `labbook exp turn`.
pub struct TurnExp;

impl super::Experiment for TurnExp {
    type Params = Params;

    const NAME: &'static str = "turn";
    const SUMMARY: &'static str = "end-of-turn detector from VAD and prosody";

    fn run(&self, p: Self::Params, cx: &mut super::Context) -> anyhow::Result<()> {
        let t0 = Instant::now();
        // At most `max_dialogues` files per split (evenly spread over the manifest).
        let load = |split: &str| -> anyhow::Result<Vec<Dialogue>> {
            eval::load_dialogues(&p.data, Some(split))
                .map(|v| {
                    let n = v.len();
                    let keep = p.max_dialogues.min(n);
                    v.into_iter()
                        .enumerate()
                        .filter(|(i, _)| keep == n || (i * keep) % n < keep)
                        .map(|(_, d)| d)
                        .collect()
                })
                .or_else(|e| {
                    if split == "dev" {
                        Ok(Vec::new())
                    } else {
                        Err(e)
                    }
                })
        };
        let (train_d, dev_d, test_d) = (load("train")?, load("dev")?, load("test")?);
        let vad_path = p.vad_path();
        let vad = vad_path.as_deref();
        let train = pause_rows(&train_d, vad, p.min_silence_ms, TRAIN_HORIZON)?;
        let devp = pause_rows(&dev_d, vad, p.min_silence_ms, HORIZON)?;
        let test = pause_rows(&test_d, vad, p.min_silence_ms, HORIZON)?;
        let count = |v: &[PauseRows], hold: bool| v.iter().filter(|x| x.hold == hold).count();
        writeln!(
            cx,
            "turn: {} train dialogues ({} holds, {} ends of turn), {} dev ({} / {}), {} held-out voice ({} / {}); VAD {}; features {}; {:.1} s to extract",
            train_d.len(),
            count(&train, true),
            count(&train, false),
            dev_d.len(),
            count(&devp, true),
            count(&devp, false),
            test_d.len(),
            count(&test, true),
            count(&test, false),
            vad.map_or("energy".to_string(), |v| v.display().to_string()),
            p.features,
            t0.elapsed().as_secs_f64()
        )?;
        if count(&test, true) == 0 || count(&test, false) == 0 {
            bail!(
                "{}: the held-out voice's dialogues need both holds and ends of turn; generate more dialogues (`labbook data speech --dialogues 200 --turn-prosody`)",
                p.data.display()
            );
        }
        let query = p.min_silence_ms.div_ceil(10).max(1) - 1;
        if let Some(path) = &p.features_csv {
            write_features_csv(
                path,
                &[("train", &train), ("dev", &devp), ("test", &test)],
                query,
            )?;
            writeln!(
                cx,
                "features at the query hop written to {}",
                path.display()
            )?;
        }
        let (_, base) = traces(&test, None);
        let base_fig = figures("silence", &base, query, true);
        if p.model == TurnModel::Silence {
            let mut rec = base_fig.clone();
            rec["step"] = serde_json::json!(0);
            cx.emit(&rec)?;
            writeln!(
                cx,
                "result (silence-only baseline, held-out voice): {base_fig}"
            )?;
            return Ok(());
        }
        if count(&train, true) == 0 || count(&train, false) == 0 {
            bail!(
                "{}: the training dialogues need both holds and ends of turn",
                p.data.display()
            );
        }

        // Standardisation over all training rows.
        let mask = feature_mask(&p.features)?;
        let mut mean = [0f64; N_FEATURES];
        let mut sq = [0f64; N_FEATURES];
        let mut n = 0f64;
        for r in train.iter().flat_map(|x| x.rows.iter()) {
            for k in 0..N_FEATURES {
                mean[k] += r[k] as f64;
                sq[k] += (r[k] as f64).powi(2);
            }
            n += 1.0;
        }
        let mean_f: Vec<f32> = mean.iter().map(|m| (m / n) as f32).collect();
        let std_f: Vec<f32> = sq
            .iter()
            .zip(&mean)
            .map(|(s, m)| ((s / n - (m / n).powi(2)).max(1e-8).sqrt()) as f32)
            .collect();
        let cfg = |threshold: f32, trained: serde_json::Value| EotConfig {
            hidden: p.hidden,
            mean: mean_f.clone(),
            std: std_f.clone(),
            mask: mask.clone(),
            threshold,
            max_silence_ms: (TRAIN_HORIZON * 10) as f32,
            trained,
        };

        let dev = cx.device()?.clone();
        let net = EotNet::new(p.hidden, p.seed, &dev)?;
        let mut opt =
            AdamW::with_defaults(net.vars.iter().map(|(_, v)| v.clone()).collect(), p.lr)?;
        let holds: Vec<&PauseRows> = train.iter().filter(|x| x.hold).collect();
        let ends: Vec<&PauseRows> = train.iter().filter(|x| !x.hold).collect();
        let mut rng = cx.rng(0x7E55);
        let standardise = |r: &[f32; N_FEATURES]| -> Vec<f32> {
            (0..N_FEATURES)
                .map(|k| {
                    if mask[k] {
                        (r[k] - mean_f[k]) / std_f[k]
                    } else {
                        0.0
                    }
                })
                .collect()
        };
        for step in 0..p.steps {
            let prog = step as f64 / p.steps as f64;
            opt.lr = p.lr * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * prog).cos()));
            let mut x = Vec::with_capacity(p.batch_size * N_FEATURES);
            let mut y = Vec::with_capacity(p.batch_size);
            for i in 0..p.batch_size {
                let set = if i % 2 == 0 { &holds } else { &ends };
                let e = set[(rng.next_u64() % set.len() as u64) as usize];
                // Mostly from the pause's first EARLY_HOPS hops (where holds and ends must
                // be told apart), the rest from anywhere in it (long silences are ends).
                let span = if rng.unit() < p.early_share {
                    e.rows.len().min(EARLY_HOPS)
                } else {
                    e.rows.len()
                };
                let r = &e.rows[(rng.next_u64() % span.max(1) as u64) as usize];
                x.extend(standardise(r));
                y.push(if e.hold { 0f32 } else { 1.0 });
            }
            let xt = Tensor::from_vec(x, (p.batch_size, N_FEATURES), &dev)?;
            let yt = Tensor::from_vec(y, p.batch_size, &dev)?;
            let loss = bce_with_logits(&net.forward(&xt)?, &yt)?;
            let grads = loss.backward()?;
            opt.step(&grads)?;
            let mut rec = serde_json::json!({"step": step, "loss": loss.to_scalar::<f32>()?});
            if p.eval_every > 0 && (step + 1) % p.eval_every == 0 && step + 1 != p.steps {
                let m = EotModel::new(cfg(0.5, serde_json::Value::Null), &net.tensors())?;
                let (mt, _) = traces(&test, Some(&m));
                rec["val_balanced_acc"] =
                    serde_json::json!(eval::balanced_accuracy(&mt, query, 0.5));
            }
            cx.emit(&rec)?;
        }

        // Threshold: ≤ 5 % false cut-offs on dev (or on train without a dev split).
        let m = EotModel::new(cfg(0.5, serde_json::Value::Null), &net.tensors())?;
        let pick = if devp.is_empty() { &train } else { &devp };
        let (dt, _) = traces(pick, Some(&m));
        let threshold = eval::latency_at_cutoff(&eval::curve(&dt, HORIZON), 0.05)
            .map_or(0.5, |op| op.threshold);
        // For the loop: the dev operating point whose median latency is within 300 ms.
        let threshold_300ms =
            eval::cutoff_at_latency(&eval::curve(&dt, HORIZON), 300.0).map(|op| op.threshold);
        let (mt, _) = traces(&test, Some(&m));
        let fig = figures("model", &mt, query, false);
        let at = eval::operating_point(&mt, threshold, HORIZON);
        let mut rec = fig.clone();
        rec["step"] = serde_json::json!(p.steps);
        rec["threshold"] = serde_json::json!(threshold);
        rec["cutoff_rate_at_threshold"] = serde_json::json!(at.cutoff_rate);
        rec["latency_at_threshold_ms"] = serde_json::json!(at.latency_p50_ms);
        for (k, v) in base_fig.as_object().into_iter().flatten() {
            rec[format!("baseline_{k}")] = v.clone();
        }
        cx.emit(&rec)?;
        writeln!(
            cx,
            "result (held-out voice): model {fig}; silence-only baseline {base_fig}; threshold {threshold:.3} from {} (there: ≤ 5 % cut-offs), on the held-out voice {:.1} % cut-offs at {:.0} ms median latency",
            if devp.is_empty() { "train" } else { "dev" },
            at.cutoff_rate * 100.0,
            at.latency_p50_ms
        )?;
        cx.save_model("turn.safetensors", |path| {
            let c = cfg(
                threshold,
                serde_json::json!({"data": p.data, "steps": p.steps, "lr": p.lr, "seed": p.seed,
                    "vad": vad_path, "features": p.features, "min_silence_ms": p.min_silence_ms,
                    "result": fig, "baseline": base_fig,
                    "threshold_at_300ms": threshold_300ms, "early_share": p.early_share}),
            );
            EotModel::save(path, &net.tensors(), &c)
        })?;
        Ok(())
    }
}

const HORIZON: usize = 300;
const TRAIN_HORIZON: usize = 150;
/// The feature groups used unless `features=` says otherwise: pause, pitch and VAD.
/// Energy and speaking-rate features made the held-out voice worse (they describe the
/// voice and the noise more than the turn; `features=all` keeps them).
pub const DEFAULT_FEATURES: &str = "pause+pitch+vad";
/// Training rows come mostly from a pause's first 400 ms.
const EARLY_HOPS: usize = 40;

fn figures(prefix: &str, traces: &[Trace], query: usize, baseline: bool) -> serde_json::Value {
    let r = eval::row(prefix, "", 0, traces, HORIZON, query, baseline);
    serde_json::json!({
        "cutoff_rate_at_300ms": r.cutoff_at_300ms.as_ref().map(|p| p.cutoff_rate),
        "cutoff_rate_at_500ms": r.cutoff_at_500ms.as_ref().map(|p| p.cutoff_rate),
        "latency_at_5pct_ms": r.latency_at_5pct.as_ref().map(|p| p.latency_p50_ms),
        "val_balanced_acc": r.balanced_accuracy,
        "val_auc_100ms": r.auc_at_100ms,
    })
}
