//! `labbook exp encodings` (alias `audio-embed`): three encodings of spoken words
//! compared on the synthetic speech set — log-mel statistics, MFCC statistics, and a
//! small convolutional encoder trained in Candle — each feeding the same small word
//! classifier on the same splits.
//!
//! Data: every word span of the corpus (`labbook data speech`) is a sample labelled
//! with its word; words seen at least `min_count` times in the training split are the
//! classes. Train = the `train` and `dev` items (clean and noisy copies); test = the
//! clean items of the held-out voice, plus three shifted copies of it: their noisy
//! copies (`accuracy_noise`), reverberated (`accuracy_reverb`, RT60 0.4 s) and sped up
//! 1.1× (`accuracy_speed`).
//!
//! Reported (metrics protocol): `loss` and test `accuracy` while training; at the end
//! `accuracy`, macro `f1`, the three shifted accuracies, `nn_accuracy` (each test word's
//! nearest training word by cosine distance in the encoding itself, no classifier) and
//! `silhouette` (cosine, test words grouped by word).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use candle_core::{DType, Device, Tensor, Var, D};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Parameters;
use crate::audio::{self, synth};
use crate::nn::optim::AdamW;
use crate::util::rng::Rng;

/// Frames (10 ms) the learned encoder sees per word: longer words are cropped around
/// their centre, shorter ones padded.
pub const FRAMES: usize = 48;
const N_MELS: usize = 80;

/// How a word's audio is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    LogMel,
    Mfcc,
    Learned,
}

/// Parameters of `labbook exp encodings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// logmel and mfcc: hand-crafted statistics of a fixed front end; learned: a small
    /// convolutional encoder trained with the classifier.
    pub encoding: Encoding,
    /// Optimiser steps.
    pub steps: usize,
    /// Learning rate (AdamW).
    pub lr: f64,
    /// Seed for weight initialisation and data order.
    pub seed: u64,
    /// A speech set made by `labbook data speech`.
    pub data: PathBuf,
    /// Words seen fewer times than this in the training split are not classes.
    pub min_count: usize,
    /// Words per batch.
    pub batch_size: usize,
    /// Steps between test-accuracy evaluations.
    pub eval_every: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            encoding: Encoding::LogMel,
            steps: 2000,
            lr: 1e-3,
            seed: 1337,
            data: PathBuf::from("data/speech-sample"),
            min_count: 2,
            batch_size: 64,
            eval_every: 100,
        }
    }
}

impl Parameters for Params {
    fn validate(&mut self) -> anyhow::Result<()> {
        super::params::positive_steps(self.steps)?;
        super::params::positive_lr(self.lr)?;
        self.min_count = self.min_count.max(1);
        self.batch_size = self.batch_size.max(1);
        Ok(())
    }
}

/// One spoken word: its class and its input (statistics vector or mel frames).
#[derive(Debug, Clone)]
struct Sample {
    class: usize,
    x: Vec<f32>,
}

/// Mean and standard deviation of each row of a rows × frames matrix.
fn row_stats(data: &[f32], rows: usize, frames: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(2 * rows);
    for r in 0..rows {
        let row = &data[r * frames..(r + 1) * frames];
        let n = row.len().max(1) as f32;
        let mean = row.iter().sum::<f32>() / n;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        out.push(mean);
        out.push(var.sqrt());
    }
    out
}

/// The encoding's input for one word's samples (16 kHz).
fn features(enc: Encoding, x: &[f32], mfcc: &audio::MfccExtractor) -> anyhow::Result<Vec<f32>> {
    // Whisper's log-mel needs 201 samples; very short words are padded with silence.
    let mut x = x.to_vec();
    if x.len() < 1600 {
        x.resize(1600, 0.0);
    }
    match enc {
        Encoding::LogMel => {
            let m = audio::log_mel(&x, N_MELS)?;
            Ok(row_stats(&m.data, m.n_mels, m.n_frames))
        }
        Encoding::Mfcc => {
            let m = mfcc.compute(&x)?;
            Ok(row_stats(&m.data, m.n_mfcc, m.n_frames))
        }
        Encoding::Learned => {
            let m = audio::log_mel(&x, N_MELS)?;
            let (n, t) = (m.n_mels, m.n_frames);
            let min = m.data.iter().copied().fold(f32::INFINITY, f32::min);
            let start = t.saturating_sub(FRAMES) / 2;
            let pad = FRAMES.saturating_sub(t) / 2;
            let mut out = vec![min; n * FRAMES];
            for b in 0..n {
                for f in 0..FRAMES.min(t) {
                    out[b * FRAMES + pad + f] = m.data[b * t + start + f];
                }
            }
            Ok(out)
        }
    }
}

/// Train and test sets of one encoding.
struct Data {
    classes: Vec<String>,
    train: Vec<Sample>,
    test: Vec<Sample>,
    test_noise: Vec<Sample>,
    test_reverb: Vec<Sample>,
    test_speed: Vec<Sample>,
}

fn load(p: &Params) -> anyhow::Result<Data> {
    let items = synth::read_manifest(&p.data).with_context(|| {
        format!(
            "reading the speech set in {} (make one with `labbook data speech --out {}`)",
            p.data.display(),
            p.data.display()
        )
    })?;
    // Words per split, with their audio.
    let mut words: Vec<(String, bool, Option<f64>, Vec<f32>)> = Vec::new(); // (word, test?, snr, samples)
    for it in &items {
        let wav = audio::read_wav(p.data.join(&it.wav))?;
        let x = wav.to_mono()?;
        let x = audio::resample::resample(&x, wav.sample_rate, 16_000)?;
        let test = it.split == "test";
        for w in &it.words {
            let (a, b) = (w.start_sample.min(x.len()), w.end_sample.min(x.len()));
            if b > a {
                words.push((w.word.clone(), test, it.snr_db, x[a..b].to_vec()));
            }
        }
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (w, test, snr, _) in &words {
        if !test && snr.is_none() {
            *counts.entry(w.as_str()).or_default() += 1;
        }
    }
    let classes: Vec<String> = counts
        .iter()
        .filter(|(_, n)| **n >= p.min_count)
        .map(|(w, _)| w.to_string())
        .collect();
    if classes.len() < 2 {
        bail!(
            "{}: fewer than two words occur {} times in the training split; generate a larger set (`labbook data speech --utterances 60`) or lower min_count",
            p.data.display(),
            p.min_count
        );
    }
    let index: BTreeMap<&str, usize> = classes
        .iter()
        .enumerate()
        .map(|(i, w)| (w.as_str(), i))
        .collect();
    let mfcc = audio::MfccExtractor::new(audio::MfccConfig::default())?;
    let mut d = Data {
        classes: classes.clone(),
        train: vec![],
        test: vec![],
        test_noise: vec![],
        test_reverb: vec![],
        test_speed: vec![],
    };
    for (k, (w, test, snr, x)) in words.iter().enumerate() {
        let Some(&class) = index.get(w.as_str()) else {
            continue;
        };
        let s = |x: &[f32]| -> anyhow::Result<Sample> {
            Ok(Sample {
                class,
                x: features(p.encoding, x, &mfcc)?,
            })
        };
        match (test, snr) {
            (false, _) => d.train.push(s(x)?),
            (true, Some(_)) => d.test_noise.push(s(x)?),
            (true, None) => {
                d.test.push(s(x)?);
                let rev = audio::augment::Recipe::new(p.seed ^ k as u64)
                    .reverb_exponential(0.4)
                    .apply(x, 16_000)?;
                d.test_reverb.push(s(&rev)?);
                d.test_speed
                    .push(s(&audio::augment::speed_perturb(x, 16_000, 1.1)?)?);
            }
        }
    }
    if d.test.is_empty() {
        bail!(
            "{}: the held-out voice says none of the {} training words; generate a larger set",
            p.data.display(),
            classes.len()
        );
    }
    Ok(d)
}

/// The classifier (and, for `learned`, the encoder in front of it).
pub struct Model {
    enc: Encoding,
    /// Conv encoder: (64, 80, 5), (64,), (64, 64, 5), (64,).
    conv: Option<[Tensor; 4]>,
    w1: Tensor,
    b1: Tensor,
    w2: Tensor,
    b2: Tensor,
    pub vars: Vec<Var>,
}

const HIDDEN: usize = 64;

impl Model {
    pub fn new(
        enc: Encoding,
        in_dim: usize,
        classes: usize,
        seed: u64,
        dev: &Device,
    ) -> anyhow::Result<Model> {
        let mut rng = Rng::new(seed);
        let mut vars = Vec::new();
        // He-normal weights from the seeded generator; fan_in 0 means zeros (biases).
        let mut var = |shape: &[usize], fan_in: usize| -> anyhow::Result<Tensor> {
            let v = crate::nn::he_normal(&mut rng, shape, fan_in, dev)?;
            let t = v.as_tensor().clone();
            vars.push(v);
            Ok(t)
        };
        let (conv, feat) = if enc == Encoding::Learned {
            let c = [
                var(&[HIDDEN, N_MELS, 5], N_MELS * 5)?,
                var(&[HIDDEN], 0)?,
                var(&[HIDDEN, HIDDEN, 5], HIDDEN * 5)?,
                var(&[HIDDEN], 0)?,
            ];
            (Some(c), HIDDEN)
        } else {
            (None, in_dim)
        };
        let w1 = var(&[HIDDEN, feat], feat)?;
        let b1 = var(&[HIDDEN], 0)?;
        let w2 = var(&[classes, HIDDEN], HIDDEN)?;
        let b2 = var(&[classes], 0)?;
        Ok(Model {
            enc,
            conv,
            w1,
            b1,
            w2,
            b2,
            vars,
        })
    }

    /// The encoding of a batch: for `learned` the encoder's pooled output (B, 64),
    /// else the (standardised) statistics as given.
    pub fn encode(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match &self.conv {
            Some([k1, c1, k2, c2]) => {
                let h = x
                    .conv1d(k1, 2, 1, 1, 1)?
                    .broadcast_add(&c1.reshape((1, HIDDEN, 1))?)?
                    .gelu_erf()?;
                let h = h
                    .conv1d(k2, 2, 1, 1, 1)?
                    .broadcast_add(&c2.reshape((1, HIDDEN, 1))?)?
                    .gelu_erf()?;
                h.mean(D::Minus1)
            }
            None => Ok(x.clone()),
        }
    }

    /// Class logits (B, classes).
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let e = self.encode(x)?;
        let h = e
            .matmul(&self.w1.t()?)?
            .broadcast_add(&self.b1)?
            .gelu_erf()?;
        h.matmul(&self.w2.t()?)?.broadcast_add(&self.b2)
    }

    fn input_shape(&self, n: usize, dim: usize) -> Vec<usize> {
        match self.enc {
            Encoding::Learned => vec![n, N_MELS, FRAMES],
            _ => vec![n, dim],
        }
    }
}

/// Per-dimension standardisation with the training set's statistics (stats encodings).
fn standardise(d: &mut Data) {
    let dim = d.train[0].x.len();
    let n = d.train.len() as f32;
    let mut mean = vec![0f32; dim];
    let mut sd = vec![0f32; dim];
    for s in &d.train {
        for (m, v) in mean.iter_mut().zip(&s.x) {
            *m += v / n;
        }
    }
    for s in &d.train {
        for ((q, v), m) in sd.iter_mut().zip(&s.x).zip(&mean) {
            *q += (v - m) * (v - m) / n;
        }
    }
    for q in sd.iter_mut() {
        *q = q.sqrt().max(1e-6);
    }
    for set in [
        &mut d.train,
        &mut d.test,
        &mut d.test_noise,
        &mut d.test_reverb,
        &mut d.test_speed,
    ] {
        for s in set.iter_mut() {
            for ((v, m), q) in s.x.iter_mut().zip(&mean).zip(&sd) {
                *v = (*v - m) / q;
            }
        }
    }
}

fn batch_tensor(m: &Model, set: &[&Sample], dev: &Device) -> candle_core::Result<(Tensor, Tensor)> {
    let dim = set[0].x.len();
    let x: Vec<f32> = set.iter().flat_map(|s| s.x.iter().copied()).collect();
    let y: Vec<u32> = set.iter().map(|s| s.class as u32).collect();
    Ok((
        Tensor::from_vec(x, m.input_shape(set.len(), dim), dev)?,
        Tensor::from_vec(y, set.len(), dev)?,
    ))
}

/// Predicted classes for a set.
fn predict(m: &Model, set: &[Sample], dev: &Device) -> anyhow::Result<Vec<usize>> {
    let mut out = Vec::with_capacity(set.len());
    for chunk in set.chunks(256) {
        let refs: Vec<&Sample> = chunk.iter().collect();
        let (x, _) = batch_tensor(m, &refs, dev)?;
        let am = m.forward(&x)?.argmax(D::Minus1)?.to_vec1::<u32>()?;
        out.extend(am.into_iter().map(|v| v as usize));
    }
    Ok(out)
}

fn encodings(m: &Model, set: &[Sample], dev: &Device) -> anyhow::Result<Vec<Vec<f32>>> {
    let mut out = Vec::with_capacity(set.len());
    for chunk in set.chunks(256) {
        let refs: Vec<&Sample> = chunk.iter().collect();
        let (x, _) = batch_tensor(m, &refs, dev)?;
        let e = m.encode(&x)?.to_dtype(DType::F32)?.to_vec2::<f32>()?;
        out.extend(e);
    }
    Ok(out)
}

pub fn accuracy(pred: &[usize], truth: &[usize]) -> f64 {
    let hit = pred.iter().zip(truth).filter(|(a, b)| a == b).count();
    hit as f64 / truth.len().max(1) as f64
}

/// Macro-averaged F1 over the classes present in `truth`.
pub fn macro_f1(pred: &[usize], truth: &[usize]) -> f64 {
    let classes: std::collections::BTreeSet<usize> = truth.iter().copied().collect();
    let mut total = 0.0;
    for c in &classes {
        let tp = pred
            .iter()
            .zip(truth)
            .filter(|(p, t)| *p == c && *t == c)
            .count() as f64;
        let fp = pred
            .iter()
            .zip(truth)
            .filter(|(p, t)| *p == c && *t != c)
            .count() as f64;
        let fneg = pred
            .iter()
            .zip(truth)
            .filter(|(p, t)| *p != c && *t == c)
            .count() as f64;
        let f1 = if tp == 0.0 {
            0.0
        } else {
            2.0 * tp / (2.0 * tp + fp + fneg)
        };
        total += f1;
    }
    total / classes.len().max(1) as f64
}

fn cosine_distance(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    1.0 - dot / (na * nb).max(1e-12)
}

/// Each query's nearest gallery item (cosine); the fraction with the same label.
pub fn nn_accuracy(query: &[Vec<f32>], ql: &[usize], gallery: &[Vec<f32>], gl: &[usize]) -> f64 {
    let mut hit = 0;
    for (q, l) in query.iter().zip(ql) {
        let best = gallery
            .iter()
            .enumerate()
            .min_by(|(_, a), (_, b)| cosine_distance(q, a).total_cmp(&cosine_distance(q, b)))
            .map(|(i, _)| gl[i]);
        if best == Some(*l) {
            hit += 1;
        }
    }
    hit as f64 / query.len().max(1) as f64
}

/// Mean silhouette (cosine distance) of points grouped by label; a point alone in its
/// group scores 0 (as scikit-learn).
pub fn silhouette(points: &[Vec<f32>], labels: &[usize]) -> f64 {
    let n = points.len();
    if n < 2 {
        return 0.0;
    }
    let groups: std::collections::BTreeSet<usize> = labels.iter().copied().collect();
    if groups.len() < 2 {
        return 0.0;
    }
    let mut total = 0.0;
    for i in 0..n {
        let mut sums: BTreeMap<usize, (f64, usize)> = BTreeMap::new();
        for j in 0..n {
            if i != j {
                let e = sums.entry(labels[j]).or_default();
                e.0 += cosine_distance(&points[i], &points[j]);
                e.1 += 1;
            }
        }
        let Some(&(sa, na)) = sums.get(&labels[i]) else {
            continue; // alone in its group: 0
        };
        let a = sa / na as f64;
        let b = sums
            .iter()
            .filter(|(l, _)| **l != labels[i])
            .map(|(_, (s, c))| s / *c as f64)
            .fold(f64::INFINITY, f64::min);
        if b.is_finite() {
            total += (b - a) / a.max(b).max(1e-12);
        }
    }
    total / n as f64
}

/// `labbook exp encodings`.
pub struct Encodings;

impl super::Experiment for Encodings {
    type Params = Params;

    const NAME: &'static str = "encodings";
    const SUMMARY: &'static str = "three audio encodings compared on one task";

    fn run(&self, p: Self::Params, cx: &mut super::Context) -> anyhow::Result<()> {
        let mut d = load(&p)?;
        if p.encoding != Encoding::Learned {
            standardise(&mut d);
        }
        let dev = cx.device()?.clone();
        let dim = d.train[0].x.len();
        let model = Model::new(p.encoding, dim, d.classes.len(), p.seed, &dev)?;
        writeln!(
            cx,
            "encodings: {:?}, {} classes (words seen ≥ {} times), {} train / {} test words, input {}",
            p.encoding,
            d.classes.len(),
            p.min_count,
            d.train.len(),
            d.test.len(),
            if p.encoding == Encoding::Learned {
                format!("{N_MELS}×{FRAMES} log-mel frames")
            } else {
                format!("{dim} statistics")
            }
        )?;
        let mut opt = AdamW::with_defaults(model.vars.clone(), p.lr)?;
        let mut rng = cx.rng(0xBA7C);
        let truth = |s: &[Sample]| s.iter().map(|x| x.class).collect::<Vec<_>>();
        for step in 0..p.steps {
            let idx: Vec<&Sample> = (0..p.batch_size.min(d.train.len()))
                .map(|_| &d.train[(rng.next_u64() % d.train.len() as u64) as usize])
                .collect();
            let (x, y) = batch_tensor(&model, &idx, &dev)?;
            let loss = candle_nn::loss::cross_entropy(&model.forward(&x)?, &y)?;
            let grads = loss.backward()?;
            opt.step(&grads)?;
            let mut rec = serde_json::json!({"step": step, "loss": loss.to_scalar::<f32>()?});
            if (p.eval_every > 0 && (step + 1) % p.eval_every == 0) || step + 1 == p.steps {
                rec["accuracy"] =
                    serde_json::json!(accuracy(&predict(&model, &d.test, &dev)?, &truth(&d.test)));
            }
            cx.emit(&rec)?;
        }
        let pred = predict(&model, &d.test, &dev)?;
        let t = truth(&d.test);
        let shifted = |s: &[Sample]| -> anyhow::Result<Option<f64>> {
            if s.is_empty() {
                return Ok(None);
            }
            Ok(Some(accuracy(&predict(&model, s, &dev)?, &truth(s))))
        };
        let (etest, etrain) = (
            encodings(&model, &d.test, &dev)?,
            encodings(&model, &d.train, &dev)?,
        );
        let rec = serde_json::json!({
            "step": p.steps,
            "accuracy": accuracy(&pred, &t),
            "f1": macro_f1(&pred, &t),
            "accuracy_noise": shifted(&d.test_noise)?,
            "accuracy_reverb": shifted(&d.test_reverb)?,
            "accuracy_speed": shifted(&d.test_speed)?,
            "nn_accuracy": nn_accuracy(&etest, &t, &etrain, &truth(&d.train)),
            "silhouette": silhouette(&etest, &t),
            "chance": 1.0 / d.classes.len() as f64,
        });
        cx.emit(&rec)?;
        writeln!(
            cx,
            "result: accuracy {:.3}, f1 {:.3}, nn_accuracy {:.3}, silhouette {:.3} (chance {:.3})",
            rec["accuracy"].as_f64().unwrap_or(f64::NAN),
            rec["f1"].as_f64().unwrap_or(f64::NAN),
            rec["nn_accuracy"].as_f64().unwrap_or(f64::NAN),
            rec["silhouette"].as_f64().unwrap_or(f64::NAN),
            rec["chance"].as_f64().unwrap_or(f64::NAN)
        )?;
        Ok(())
    }
}
