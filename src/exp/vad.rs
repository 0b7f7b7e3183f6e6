//! `labbook exp vad`: train the small causal VAD of [`crate::vad::trained`] on the
//! synthetic speech set, with noise mixed in on the fly.
//!
//! Data: the clean items of a set made by `labbook data speech` (utterances and
//! dialogues; its own noisy copies are not used). Training crops (4 s) come from the
//! `train` split; each is given a random gain (−20…+6 dB) and, unless the drawn SNR is
//! `clean`, one of five noises — white, pink, brown, pink with a slow random envelope
//! (non-stationary), mains hum with pink — at an SNR drawn from `snrs` (clean power
//! over the crop, as `data speech` defines it). The `dev` split (train voices, unseen
//! items) picks the decision threshold and hangover at the end; the `test` split (the
//! held-out voice) is the validation set, mixed with white or pink noise at 20, 10, 5
//! and 0 dB and scored through the streaming detector itself.
//!
//! Metrics: `loss` every step; `val_f1` (threshold 0.5 while training) and `val_auc`
//! every `eval_every` steps; at the end `val_f1`/`val_auc` with the tuned decision,
//! `val_f1_<snr>db` and `val_f1_clean`, `threshold`, `hangover`, `us_per_32ms`.
//! Weights: `out/vad.safetensors` + `out/vad.json` (`out` defaults to the run
//! directory; `labbook eval vad DIR --trained out/vad.safetensors` compares it).

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, bail, Context};
use candle_core::{Device, Tensor};
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Parameters;
use crate::audio::{self, augment, synth};
use crate::nn::optim::AdamW;
use crate::util::rng::Rng;
use crate::vad::eval::{f1, roc_auc};
use crate::vad::trained::{
    bce_with_logits, decide, save, FrontEnd, NetShape, TrainedVad, TrainedVadConfig, VadNet, HOP,
    N_FEATURES,
};

/// Parameters of `labbook exp vad`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// A speech set made by `labbook data speech` (the sample is small: make a larger
    /// one, e.g. --utterances 400 --dialogues 200, for real numbers).
    pub data: PathBuf,
    /// Optimiser steps.
    pub steps: usize,
    /// Peak learning rate (50-step warm-up, cosine decay to 10 %).
    pub lr: f64,
    /// Training crops per batch.
    pub batch_size: usize,
    /// Length of a training crop in milliseconds.
    pub crop_ms: usize,
    /// Width of the causal conv stack (4 layers, kernel 3, dilations 1-2-4-8: 310 ms
    /// of context).
    pub channels: usize,
    /// Training SNRs in dB (and `clean`), comma-separated; each crop draws one, and
    /// one of five noises.
    #[serde(alias = "snr_db")]
    pub snrs: Snrs,
    /// Seed for weight initialisation, item choice, augmentation and data order.
    pub seed: u64,
    /// Steps between validation scores on the held-out voice (0: only at the end).
    pub eval_every: usize,
    /// Clean training items loaded (a seeded choice when the set has more).
    pub max_items: usize,
    /// Items of the dev and held-out splits scored.
    pub val_items: usize,
    /// Where `vad.safetensors` and `vad.json` go (default: the run directory).
    pub out: Option<PathBuf>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            data: PathBuf::from("data/speech-sample"),
            steps: 1500,
            lr: 3e-3,
            batch_size: 16,
            crop_ms: 4000,
            channels: 32,
            snrs: Snrs(vec![
                None,
                Some(20.0),
                Some(10.0),
                Some(5.0),
                Some(0.0),
                Some(-5.0),
            ]),
            seed: 1337,
            eval_every: 250,
            max_items: 240,
            val_items: 30,
            out: None,
        }
    }
}

impl Parameters for Params {
    fn validate(&mut self) -> anyhow::Result<()> {
        super::params::positive_steps(self.steps)?;
        super::params::positive_lr(self.lr)?;
        self.batch_size = self.batch_size.max(1);
        self.crop_ms = self.crop_ms.max(100);
        self.channels = self.channels.max(1);
        self.max_items = self.max_items.max(1);
        self.val_items = self.val_items.max(1);
        Ok(())
    }
}

/// Signal-to-noise ratios in dB, `None` for clean; written `clean,20,10`.
#[derive(Debug, Clone, PartialEq)]
pub struct Snrs(pub Vec<Option<f64>>);

impl Snrs {
    fn parse(v: &str) -> anyhow::Result<Snrs> {
        let out = v
            .split(',')
            .map(|s| match s.trim() {
                "clean" => Ok(None),
                x => x
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(Some)
                    .ok_or_else(|| anyhow!("snrs={v}: `{x}` is neither a number nor `clean`")),
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        if out.is_empty() {
            bail!("snrs is empty");
        }
        Ok(Snrs(out))
    }
}

impl std::fmt::Display for Snrs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let words: Vec<String> = self
            .0
            .iter()
            .map(|s| s.map_or("clean".to_string(), |v| v.to_string()))
            .collect();
        f.write_str(&words.join(","))
    }
}

impl Serialize for Snrs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Snrs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Snrs, D::Error> {
        let text = String::deserialize(d)?;
        Snrs::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Snrs {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Snrs".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string"})
    }
}

/// One clean item: 16 kHz samples and 0/1 labels per 10 ms frame.
pub struct Item {
    pub id: String,
    pub samples: Vec<f32>,
    pub labels: Vec<u8>,
}

/// Clean items of one split (at most `max`, a seeded choice when there are more).
pub fn load_split(
    dir: &std::path::Path,
    split: &str,
    max: usize,
    seed: u64,
) -> anyhow::Result<Vec<Item>> {
    let items = synth::read_manifest(dir).with_context(|| {
        format!(
            "reading the speech set in {} (make one with `labbook data speech --out {}`)",
            dir.display(),
            dir.display()
        )
    })?;
    let mut chosen: Vec<&synth::ManifestItem> = items
        .iter()
        .filter(|it| it.snr_db.is_none() && it.split == split)
        .collect();
    let mut rng = Rng::new(seed);
    // Fisher–Yates, then keep the first `max` (in manifest order, for stable logs).
    for i in (1..chosen.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        chosen.swap(i, j);
    }
    chosen.truncate(max);
    chosen.sort_by(|a, b| a.id.cmp(&b.id));
    chosen
        .iter()
        .map(|it| {
            let path = dir.join(&it.wav);
            let a = audio::read_wav(&path)?;
            let x = audio::resample::resample(&a.to_mono()?, a.sample_rate, 16_000)?;
            let mut labels: Vec<u8> = synth::expand_runs(&it.vad)
                .into_iter()
                .map(|v| v as u8)
                .collect();
            labels.resize(x.len() / HOP, 0);
            Ok(Item {
                id: it.id.clone(),
                samples: x,
                labels,
            })
        })
        .collect()
}

/// The noises training draws from.
pub const NOISES: [&str; 5] = ["white", "pink", "brown", "pink-modulated", "hum"];

/// `n` samples of one of [`NOISES`] (any level: mixing sets it).
pub fn make_noise(kind: &str, n: usize, seed: u64) -> anyhow::Result<Vec<f32>> {
    let mut rng = Rng::new(seed ^ 0x5EED);
    Ok(match kind {
        "white" => augment::white_noise(n, seed),
        "pink" => augment::pink_noise(n, seed),
        "brown" => {
            let w = augment::white_noise(n, seed);
            let mut acc = 0f32;
            w.iter()
                .map(|v| {
                    acc = 0.995 * acc + v;
                    acc
                })
                .collect()
        }
        "pink-modulated" => {
            // A slow random envelope (a 2-pole smoothed random walk, 10–30 dB swings).
            let p = augment::pink_noise(n, seed);
            let (mut e, mut de) = (0f32, 0f32);
            let depth = 1.0 + 2.0 * (rng.next_u64() % 1000) as f32 / 1000.0;
            p.iter()
                .enumerate()
                .map(|(i, v)| {
                    if i % 160 == 0 {
                        de = 0.95 * de + 0.05 * rng.normal() as f32;
                        e = (e + de * 0.3).clamp(-depth, 0.0);
                    }
                    v * 10f32.powf(e / 2.0)
                })
                .collect()
        }
        "hum" => {
            let f0 = if rng.next_u64().is_multiple_of(2) {
                50.0
            } else {
                60.0
            };
            let p = augment::pink_noise(n, seed);
            (0..n)
                .map(|i| {
                    let t = i as f32 / 16_000.0;
                    let h: f32 = (1..=6)
                        .map(|k| (2.0 * std::f32::consts::PI * f0 * k as f32 * t).sin() / k as f32)
                        .sum();
                    h + 0.3 * p[i]
                })
                .collect()
        }
        other => bail!("unknown noise `{other}` (one of {NOISES:?})"),
    })
}

/// Mix `clean` at `snr` (None = leave clean) with `noise` after a gain in dB.
pub fn corrupt(
    clean: &[f32],
    gain_db: f64,
    snr: Option<f64>,
    noise: &str,
    seed: u64,
) -> anyhow::Result<Vec<f32>> {
    let x = augment::gain_db(clean, gain_db);
    let Some(snr) = snr else {
        return Ok(x);
    };
    if augment::mean_square(&x) <= 0.0 {
        // A silent crop: noise alone, at a typical level.
        let n = make_noise(noise, x.len(), seed)?;
        let rms = (augment::mean_square(&n)).sqrt().max(1e-9) as f32;
        return Ok(n.iter().map(|v| v / rms * 0.01).collect());
    }
    let n = make_noise(noise, x.len(), seed)?;
    Ok(augment::mix_at_snr(&x, &n, snr, seed)?.mixture)
}

/// One training example: features (T × N_FEATURES) and labels (T).
fn example(items: &[Item], p: &Params, seed: u64) -> anyhow::Result<(Vec<f32>, Vec<f32>)> {
    let mut rng = Rng::new(seed);
    let crop = p.crop_ms / 10;
    let it = &items[(rng.next_u64() % items.len() as u64) as usize];
    let n = it.labels.len();
    let start = if n > crop {
        (rng.next_u64() % (n - crop + 1) as u64) as usize
    } else {
        0
    };
    let mut clean = vec![0f32; crop * HOP];
    let mut labels = vec![0f32; crop];
    for f in 0..crop.min(n - start) {
        labels[f] = it.labels[start + f] as f32;
        let a = (start + f) * HOP;
        clean[f * HOP..(f + 1) * HOP].copy_from_slice(&it.samples[a..a + HOP]);
    }
    let gain = -20.0 + 26.0 * (rng.next_u64() % 10_000) as f64 / 10_000.0;
    let snr = p.snrs.0[(rng.next_u64() % p.snrs.0.len() as u64) as usize];
    let noise = NOISES[(rng.next_u64() % NOISES.len() as u64) as usize];
    let x = corrupt(&clean, gain, snr, noise, rng.next_u64())?;
    Ok((FrontEnd::features(&x)?, labels))
}

/// A validation/dev file: a noisy copy of one clean item.
pub struct EvalFile {
    pub snr: Option<f64>,
    pub samples: Vec<f32>,
    pub labels: Vec<bool>,
}

/// Every item at clean, 20, 10, 5 and 0 dB, white or pink noise in turn (seeded).
pub fn eval_files(items: &[Item], seed: u64) -> anyhow::Result<Vec<EvalFile>> {
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        for (k, snr) in [None, Some(20.0), Some(10.0), Some(5.0), Some(0.0)]
            .into_iter()
            .enumerate()
        {
            let noise = if (i + k) % 2 == 0 { "white" } else { "pink" };
            let s = crate::util::rng::derive_seed(seed, (i * 8 + k) as u64);
            out.push(EvalFile {
                snr,
                samples: corrupt(&it.samples, 0.0, snr, noise, s)?,
                labels: it.labels.iter().map(|v| *v == 1).collect(),
            });
        }
    }
    Ok(out)
}

/// Streaming probabilities of every file (`us` = CPU µs per 32 ms of audio).
fn stream_probs(vad: &mut TrainedVad, files: &[EvalFile]) -> anyhow::Result<(Vec<Vec<f32>>, f64)> {
    let t0 = Instant::now();
    let mut frames = 0usize;
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let mut p = vad.probs(&f.samples)?;
        p.resize(f.labels.len(), 0.0);
        frames += p.len();
        out.push(p);
    }
    let us = t0.elapsed().as_secs_f64() * 1e6 / (frames.max(1) as f64 / 3.2);
    Ok((out, us))
}

/// (F1, AUC) of a group of files.
fn score(
    files: &[&EvalFile],
    probs: &[&Vec<f32>],
    threshold: f32,
    hangover: usize,
) -> (f64, Option<f64>) {
    let truth: Vec<bool> = files.iter().flat_map(|f| f.labels.clone()).collect();
    let p: Vec<f32> = probs.iter().flat_map(|p| p.iter().copied()).collect();
    let d: Vec<bool> = probs
        .iter()
        .flat_map(|p| decide(p, threshold, hangover))
        .collect();
    (f1(&truth, &d), roc_auc(&truth, &p))
}

fn to_vad(
    net: &VadNet,
    mean: &[f32],
    std: &[f32],
    threshold: f32,
    hangover: usize,
    trained: serde_json::Value,
) -> anyhow::Result<TrainedVad> {
    TrainedVad::new(
        TrainedVadConfig {
            shape: net.shape.clone(),
            mean: mean.to_vec(),
            std: std.to_vec(),
            threshold,
            hangover,
            trained,
        },
        &net.tensors(),
    )
}

/// `labbook exp vad`.
pub struct VadExp;

impl super::Experiment for VadExp {
    type Params = Params;

    const NAME: &'static str = "vad";
    const SUMMARY: &'static str = "voice activity detector trained on the synthetic speech set";

    fn run(&self, p: Self::Params, cx: &mut super::Context) -> anyhow::Result<()> {
        let train = load_split(&p.data, "train", p.max_items, p.seed)?;
        let devset = load_split(&p.data, "dev", p.val_items, p.seed ^ 1)?;
        let test = load_split(&p.data, "test", p.val_items, p.seed ^ 2)?;
        if train.is_empty() || test.is_empty() {
            bail!(
                "{}: need clean items in the train split and of the held-out voice (test split); found {} and {}",
                p.data.display(),
                train.len(),
                test.len()
            );
        }
        let dev_files = if devset.is_empty() {
            eval_files(&train[..train.len().min(p.val_items)], p.seed ^ 3)?
        } else {
            eval_files(&devset, p.seed ^ 3)?
        };
        let val_files = eval_files(&test, p.seed ^ 4)?;
        let secs = |v: &[Item]| v.iter().map(|i| i.samples.len()).sum::<usize>() as f64 / 16_000.0;
        writeln!(
            cx,
            "vad: {} train items ({:.0} s), {} dev, {} held-out voice items × 5 conditions; SNRs {:?}; noises {:?}",
            train.len(),
            secs(&train),
            devset.len(),
            test.len(),
            p.snrs.0,
            NOISES
        )?;

        // Feature standardisation from 32 training examples.
        let mut rng = cx.rng(0xFEA7);
        let seeds: Vec<u64> = (0..32).map(|_| rng.next_u64()).collect();
        let ex: Vec<(Vec<f32>, Vec<f32>)> = seeds
            .par_iter()
            .map(|s| example(&train, &p, *s))
            .collect::<anyhow::Result<_>>()?;
        let mut mean = vec![0f64; N_FEATURES];
        let mut sq = vec![0f64; N_FEATURES];
        let mut count = 0f64;
        for (f, _) in &ex {
            for row in f.chunks(N_FEATURES) {
                for (k, v) in row.iter().enumerate() {
                    mean[k] += *v as f64;
                    sq[k] += (*v as f64).powi(2);
                }
                count += 1.0;
            }
        }
        let mean_f: Vec<f32> = mean.iter().map(|m| (m / count) as f32).collect();
        let std_f: Vec<f32> = sq
            .iter()
            .zip(&mean)
            .map(|(s, m)| ((s / count - (m / count).powi(2)).max(1e-6).sqrt()) as f32)
            .collect();

        let dev = cx.device()?.clone();
        let shape = NetShape {
            channels: p.channels,
            ..NetShape::default_vad()
        };
        let net = VadNet::new(shape, p.seed, &dev)?;
        let n_params: usize = net.vars.iter().map(|(_, v)| v.elem_count()).sum();
        writeln!(
            cx,
            "model: causal conv, {} channels, kernel {}, dilations {:?} ({} ms of context), {n_params} parameters",
            net.shape.channels,
            net.shape.kernel,
            net.shape.dilations,
            net.shape.receptive_field() * 10
        )?;
        let mut opt =
            AdamW::with_defaults(net.vars.iter().map(|(_, v)| v.clone()).collect(), p.lr)?;
        let base_lr = p.lr;
        let t0 = Instant::now();
        for step in 0..p.steps {
            // Cosine decay to 10 % after a 50-step warm-up.
            let warm = (step as f64 + 1.0) / 50.0;
            let prog = step as f64 / p.steps as f64;
            opt.lr = base_lr
                * warm.min(1.0)
                * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * prog).cos()));
            let seeds: Vec<u64> = (0..p.batch_size).map(|_| rng.next_u64()).collect();
            let (x, y) = batch(&train, &p, &seeds, &mean_f, &std_f, &dev)?;
            let loss = bce_with_logits(&net.forward(&x)?, &y)?;
            let grads = loss.backward()?;
            opt.step(&grads)?;
            let loss_v = loss.to_scalar::<f32>()?;
            let mut rec = serde_json::json!({"step": step, "loss": loss_v, "lr": opt.lr});
            if p.eval_every > 0 && (step + 1) % p.eval_every == 0 && step + 1 != p.steps {
                let mut vad = to_vad(&net, &mean_f, &std_f, 0.5, 0, serde_json::Value::Null)?;
                let (probs, _) = stream_probs(&mut vad, &val_files)?;
                let (f, a) = score(
                    &val_files.iter().collect::<Vec<_>>(),
                    &probs.iter().collect::<Vec<_>>(),
                    0.5,
                    0,
                );
                rec["val_f1"] = serde_json::json!(f);
                rec["val_auc"] = serde_json::json!(a);
            }
            cx.emit(&rec)?;
        }
        let train_s = t0.elapsed().as_secs_f64();

        // Decision rule from the dev split.
        let mut vad = to_vad(&net, &mean_f, &std_f, 0.5, 0, serde_json::Value::Null)?;
        let (dev_probs, _) = stream_probs(&mut vad, &dev_files)?;
        let all_dev: Vec<&EvalFile> = dev_files.iter().collect();
        let all_dev_p: Vec<&Vec<f32>> = dev_probs.iter().collect();
        let mut best = (0.5f32, 0usize, -1.0f64);
        for th in [0.2f32, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8] {
            for hang in [0usize, 2, 4, 6, 10] {
                let (f, _) = score(&all_dev, &all_dev_p, th, hang);
                if f > best.2 {
                    best = (th, hang, f);
                }
            }
        }
        let (threshold, hangover, dev_f1) = best;

        let (val_probs, us) = stream_probs(&mut vad, &val_files)?;
        let mut rec = serde_json::json!({"step": p.steps, "threshold": threshold, "hangover": hangover,
            "dev_f1": dev_f1, "us_per_32ms": us, "train_seconds": train_s});
        let all: Vec<&EvalFile> = val_files.iter().collect();
        let all_p: Vec<&Vec<f32>> = val_probs.iter().collect();
        let (f, a) = score(&all, &all_p, threshold, hangover);
        rec["val_f1"] = serde_json::json!(f);
        rec["val_auc"] = serde_json::json!(a);
        let mut per = Vec::new();
        for snr in [None, Some(20.0), Some(10.0), Some(5.0), Some(0.0)] {
            let idx: Vec<usize> = (0..val_files.len())
                .filter(|i| val_files[*i].snr == snr)
                .collect();
            let (f, a) = score(
                &idx.iter().map(|i| &val_files[*i]).collect::<Vec<_>>(),
                &idx.iter().map(|i| &val_probs[*i]).collect::<Vec<_>>(),
                threshold,
                hangover,
            );
            let key = match snr {
                None => "clean".to_string(),
                Some(s) => format!("{s:.0}db"),
            };
            rec[format!("val_f1_{key}")] = serde_json::json!(f);
            rec[format!("val_auc_{key}")] = serde_json::json!(a);
            per.push(format!(
                "{key} {f:.3}/{}",
                a.map_or("-".into(), |a| format!("{a:.3}"))
            ));
        }
        cx.emit(&rec)?;
        writeln!(
            cx,
            "result: held-out voice F1 {f:.3}, AUC {} (threshold {threshold}, hangover {hangover} hops); per condition F1/AUC: {}; {us:.1} µs per 32 ms",
            a.map_or("-".into(), |a| format!("{a:.3}")),
            per.join(", ")
        )?;
        cx.save_model("vad.safetensors", |path| {
            let cfg = TrainedVadConfig {
                shape: net.shape.clone(),
                mean: mean_f,
                std: std_f,
                threshold,
                hangover,
                trained: serde_json::json!({
                    "data": p.data, "steps": p.steps, "lr": p.lr, "seed": p.seed,
                    "snrs": p.snrs.0, "noises": NOISES, "train_items": train.len(),
                    "val_f1": f, "val_auc": a,
                }),
            };
            save(path, &net.tensors(), &cfg)
        })?;
        Ok(())
    }
}

fn batch(
    items: &[Item],
    p: &Params,
    seeds: &[u64],
    mean: &[f32],
    std: &[f32],
    dev: &Device,
) -> anyhow::Result<(Tensor, Tensor)> {
    let ex: Vec<(Vec<f32>, Vec<f32>)> = seeds
        .par_iter()
        .map(|s| example(items, p, *s))
        .collect::<anyhow::Result<_>>()?;
    let t = p.crop_ms / 10;
    let mut x = Vec::with_capacity(seeds.len() * t * N_FEATURES);
    let mut y = Vec::with_capacity(seeds.len() * t);
    for (f, l) in ex {
        for row in f.chunks(N_FEATURES) {
            x.extend(row.iter().zip(mean).zip(std).map(|((v, m), s)| (v - m) / s));
        }
        y.extend(l);
    }
    Ok((
        Tensor::from_vec(x, (seeds.len(), t, N_FEATURES), dev)?,
        Tensor::from_vec(y, (seeds.len(), t), dev)?,
    ))
}
