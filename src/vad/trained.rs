//! A small voice activity detector trained in Candle (`labbook exp vad`), and its
//! streaming inference in plain Rust.
//!
//! Front end ([`FrontEnd`], causal, one 10 ms hop at a time): the last 25 ms (400
//! samples, periodic Hann) → power spectrum → 40 Slaney mel bands (librosa's filters,
//! 0–8 kHz) → `log10(mel + 1e-7)`; beside each band, its height above a causal noise
//! floor (the band's minimum over the last ≈ 3 s: 30 blocks of 100 ms plus the block in
//! progress). 80 features per hop, standardised with the training set's mean and
//! standard deviation (stored in the config).
//!
//! Network ([`VadNet`] for training, [`TrainedVad`] for streaming), a causal temporal
//! convolution stack over the feature frames (B batch, T frames, C channels):
//!
//! ```text
//! x (B, T, 80)
//! layer 0: h = gelu(conv_k,d0(x))           (B, T, C)   kernel k taps, dilation d0
//! layer l: h = h + gelu(conv_k,dl(h))       (B, T, C)   residual
//! logit  = h · w_out + b_out                (B, T)
//! ```
//!
//! Each conv only looks back (zero left padding of (k−1)·d frames), written as a
//! matmul over the k stacked, shifted copies of its input — plain differentiable ops,
//! so every parameter gets its gradient. With k = 3 and dilations 1, 2, 4, 8 the model
//! sees 310 ms of the past. Streaming keeps each layer's last (k−1)·d + 1 inputs and
//! computes one new frame per hop: about 17 k multiply-adds per 10 ms.
//!
//! Decision: speech while `p ≥ threshold`, held for `hangover` hops after the last
//! such hop (both tuned on the dev split at the end of training).
//!
//! Files: `NAME.safetensors` (tensors `layers.L.w` (k·Cin, C), `layers.L.b` (C),
//! `out.w` (C, 1), `out.b` (1)) and `NAME.json` ([`TrainedVadConfig`]) beside it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use candle_core::{Device, Tensor, Var};
use rustfft::num_complex::Complex;
use serde::{Deserialize, Serialize};

use super::Vad;
use crate::audio::dsp::{RealFft, RealFftScratch};
use crate::util::rng::Rng;

/// Samples per hop (10 ms at 16 kHz).
pub const HOP: usize = 160;
/// Analysis window (25 ms).
pub const WIN: usize = 400;
/// Mel bands.
pub const N_MELS: usize = 40;
/// Features per hop: log-mel and its height above the floor.
pub const N_FEATURES: usize = 2 * N_MELS;
const LOG_EPS: f32 = 1e-7;
const FLOOR_BLOCK: usize = 10;
const FLOOR_BLOCKS: usize = 30;

/// The causal feature extractor: one hop of 160 samples in, [`N_FEATURES`] values out.
pub struct FrontEnd {
    fft: Arc<RealFft<f32>>,
    scratch: RealFftScratch<f32>,
    spectrum: Vec<Complex<f32>>,
    window: Vec<f32>,
    /// Mel filters as (first bin, weights).
    filters: Vec<(usize, Vec<f32>)>,
    buf: Vec<f32>,
    frame: Vec<f32>,
    power: Vec<f32>,
    /// Minima of finished 100 ms blocks (oldest first) and of the block in progress.
    blocks: std::collections::VecDeque<[f32; N_MELS]>,
    current: [f32; N_MELS],
    in_block: usize,
}

impl FrontEnd {
    pub fn new() -> anyhow::Result<FrontEnd> {
        let fft = Arc::new(RealFft::<f32>::new(WIN)?);
        let bank = crate::audio::mel::mel_filterbank(16_000.0, WIN, N_MELS, 0.0, Some(8_000.0))?;
        let mut filters = Vec::with_capacity(N_MELS);
        for m in 0..N_MELS {
            let row = bank.row(m);
            let first = row.iter().position(|w| *w > 0.0).unwrap_or(0);
            let last = row.iter().rposition(|w| *w > 0.0).unwrap_or(first);
            filters.push((first, row[first..=last].iter().map(|w| *w as f32).collect()));
        }
        let window = crate::audio::dsp::hann_periodic_f64(WIN)
            .into_iter()
            .map(|w| w as f32)
            .collect();
        Ok(FrontEnd {
            scratch: fft.make_scratch(),
            spectrum: vec![Complex::new(0.0, 0.0); fft.spectrum_len()],
            fft,
            window,
            filters,
            buf: vec![0.0; WIN],
            frame: vec![0.0; WIN],
            power: vec![0.0; WIN / 2 + 1],
            blocks: std::collections::VecDeque::with_capacity(FLOOR_BLOCKS + 1),
            current: [f32::INFINITY; N_MELS],
            in_block: 0,
        })
    }

    /// Forget the past (a new stream).
    pub fn reset(&mut self) {
        self.buf.iter_mut().for_each(|v| *v = 0.0);
        self.blocks.clear();
        self.current = [f32::INFINITY; N_MELS];
        self.in_block = 0;
    }

    /// One hop of [`HOP`] samples → `out` ([`N_FEATURES`] values, not standardised).
    pub fn push(&mut self, hop: &[f32], out: &mut [f32]) -> anyhow::Result<()> {
        if hop.len() != HOP || out.len() != N_FEATURES {
            bail!(
                "front end: expected {HOP} samples and {N_FEATURES} outputs, got {} and {}",
                hop.len(),
                out.len()
            );
        }
        self.buf.copy_within(HOP.., 0);
        self.buf[WIN - HOP..].copy_from_slice(hop);
        for ((f, x), w) in self.frame.iter_mut().zip(&self.buf).zip(&self.window) {
            *f = x * w;
        }
        self.fft
            .forward(&self.frame, &mut self.spectrum, &mut self.scratch)?;
        for (p, s) in self.power.iter_mut().zip(&self.spectrum) {
            *p = s.norm_sqr();
        }
        for (m, (first, w)) in self.filters.iter().enumerate() {
            let e: f32 = w
                .iter()
                .zip(&self.power[*first..])
                .map(|(a, b)| a * b)
                .sum();
            let v = (e + LOG_EPS).log10();
            out[m] = v;
            self.current[m] = self.current[m].min(v);
        }
        for m in 0..N_MELS {
            let floor = self
                .blocks
                .iter()
                .map(|b| b[m])
                .fold(self.current[m], f32::min);
            out[N_MELS + m] = out[m] - floor;
        }
        self.in_block += 1;
        if self.in_block == FLOOR_BLOCK {
            if self.blocks.len() == FLOOR_BLOCKS {
                self.blocks.pop_front();
            }
            self.blocks.push_back(self.current);
            self.current = [f32::INFINITY; N_MELS];
            self.in_block = 0;
        }
        Ok(())
    }

    /// Features of a whole signal from a cold start: frames × [`N_FEATURES`], row-major
    /// (`samples.len() / HOP` frames; a partial last hop is dropped).
    pub fn features(samples: &[f32]) -> anyhow::Result<Vec<f32>> {
        let mut fe = FrontEnd::new()?;
        let n = samples.len() / HOP;
        let mut out = vec![0.0; n * N_FEATURES];
        for (f, row) in out.chunks_mut(N_FEATURES).enumerate() {
            fe.push(&samples[f * HOP..(f + 1) * HOP], row)?;
        }
        Ok(out)
    }
}

/// The network's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetShape {
    pub input: usize,
    pub channels: usize,
    pub kernel: usize,
    pub dilations: Vec<usize>,
}

impl NetShape {
    pub fn default_vad() -> NetShape {
        NetShape {
            input: N_FEATURES,
            channels: 32,
            kernel: 3,
            dilations: vec![1, 2, 4, 8],
        }
    }

    /// Frames of the past the output depends on, the current one included.
    pub fn receptive_field(&self) -> usize {
        1 + self
            .dilations
            .iter()
            .map(|d| (self.kernel - 1) * d)
            .sum::<usize>()
    }

    fn in_dim(&self, layer: usize) -> usize {
        if layer == 0 {
            self.input
        } else {
            self.channels
        }
    }
}

/// Everything beside the weights: shape, input standardisation, decision rule, and
/// what it was trained on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainedVadConfig {
    pub shape: NetShape,
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
    pub threshold: f32,
    pub hangover: usize,
    #[serde(default)]
    pub trained: serde_json::Value,
}

/// The network as Candle tensors, for training.
pub struct VadNet {
    pub shape: NetShape,
    /// Per layer: weight (k·Cin, C) and bias (C).
    pub layers: Vec<(Tensor, Tensor)>,
    pub out_w: Tensor,
    pub out_b: Tensor,
    pub vars: Vec<(String, Var)>,
}

/// Seeded He-normal initialisation (fan_in 0 = zeros), registered as a named `Var`.
pub(crate) fn init_var(
    vars: &mut Vec<(String, Var)>,
    rng: &mut Rng,
    name: &str,
    shape: &[usize],
    fan_in: usize,
    dev: &Device,
) -> candle_core::Result<Tensor> {
    let v = crate::nn::he_normal(rng, shape, fan_in, dev)?;
    let t = v.as_tensor().clone();
    vars.push((name.to_string(), v));
    Ok(t)
}

/// A causal dilated convolution over (B, T, Cin) as one matmul: the k taps are the
/// input shifted back by (k−1−j)·d frames (zeros before the start), stacked on the
/// channel axis. `w` is (k·Cin, Cout), row j·Cin + c for tap j, channel c.
pub fn causal_conv(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    kernel: usize,
    dilation: usize,
) -> candle_core::Result<Tensor> {
    let (bsz, t, cin) = x.dims3()?;
    let cout = w.dim(1)?;
    let pad = (kernel - 1) * dilation;
    let xp = x.pad_with_zeros(1, pad, 0)?;
    let taps = (0..kernel)
        .map(|j| xp.narrow(1, j * dilation, t))
        .collect::<candle_core::Result<Vec<_>>>()?;
    let stacked = Tensor::cat(&taps, 2)?.reshape((bsz * t, kernel * cin))?;
    stacked.matmul(w)?.broadcast_add(b)?.reshape((bsz, t, cout))
}

impl VadNet {
    pub fn new(shape: NetShape, seed: u64, dev: &Device) -> anyhow::Result<VadNet> {
        let mut rng = Rng::new(seed);
        let mut vars = Vec::new();
        let mut layers = Vec::new();
        for l in 0..shape.dilations.len() {
            let fan = shape.kernel * shape.in_dim(l);
            let w = init_var(
                &mut vars,
                &mut rng,
                &format!("layers.{l}.w"),
                &[fan, shape.channels],
                fan,
                dev,
            )?;
            let b = init_var(
                &mut vars,
                &mut rng,
                &format!("layers.{l}.b"),
                &[shape.channels],
                0,
                dev,
            )?;
            layers.push((w, b));
        }
        let out_w = init_var(
            &mut vars,
            &mut rng,
            "out.w",
            &[shape.channels, 1],
            shape.channels,
            dev,
        )?;
        let out_b = init_var(&mut vars, &mut rng, "out.b", &[1], 0, dev)?;
        Ok(VadNet {
            shape,
            layers,
            out_w,
            out_b,
            vars,
        })
    }

    /// Logits (B, T) of standardised features (B, T, input).
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (bsz, t, _) = x.dims3()?;
        let mut h = x.clone();
        for (l, ((w, b), d)) in self.layers.iter().zip(&self.shape.dilations).enumerate() {
            let y = causal_conv(&h, w, b, self.shape.kernel, *d)?.gelu()?;
            h = if l == 0 { y } else { (h + y)? };
        }
        h.reshape((bsz * t, self.shape.channels))?
            .matmul(&self.out_w)?
            .broadcast_add(&self.out_b)?
            .reshape((bsz, t))
    }

    /// The weights by file name.
    pub fn tensors(&self) -> HashMap<String, Tensor> {
        self.vars
            .iter()
            .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
            .collect()
    }
}

/// Mean binary cross-entropy of logits `z` against 0/1 targets `y` (same shape), in
/// differentiable ops: softplus(z) − y·z with softplus(z) = relu(z) + ln(1 + e^−|z|).
pub fn bce_with_logits(z: &Tensor, y: &Tensor) -> candle_core::Result<Tensor> {
    let softplus = (z.relu()? + (z.abs()?.neg()?.exp()? + 1.0)?.log()?)?;
    (softplus - (y * z)?)?.mean_all()
}

/// Write `NAME.safetensors` and `NAME.json`.
pub fn save(
    path: &Path,
    tensors: &HashMap<String, Tensor>,
    cfg: &TrainedVadConfig,
) -> anyhow::Result<()> {
    crate::nn::checkpoint::save(path, tensors, cfg)
}

/// One causal conv layer's streaming state.
#[derive(Debug, Clone)]
struct StreamLayer {
    w: Vec<f32>,
    b: Vec<f32>,
    cin: usize,
    cout: usize,
    dilation: usize,
    /// The last (k−1)·d + 1 inputs, ring buffer of rows.
    hist: Vec<f32>,
    len: usize,
    pos: usize,
}

impl StreamLayer {
    fn reset(&mut self) {
        self.hist.iter_mut().for_each(|v| *v = 0.0);
        self.pos = 0;
    }

    /// Push one input row, write one output row (before the activation).
    fn step(&mut self, x: &[f32], kernel: usize, y: &mut [f32]) {
        let cin = self.cin;
        self.hist[self.pos * cin..(self.pos + 1) * cin].copy_from_slice(x);
        y.copy_from_slice(&self.b);
        for j in 0..kernel {
            let back = (kernel - 1 - j) * self.dilation;
            let row = (self.pos + self.len - back) % self.len;
            let xin = &self.hist[row * cin..(row + 1) * cin];
            for (c, xv) in xin.iter().enumerate() {
                if *xv == 0.0 {
                    continue;
                }
                let wr = &self.w[(j * cin + c) * self.cout..(j * cin + c + 1) * self.cout];
                for (yo, wv) in y.iter_mut().zip(wr) {
                    *yo += xv * wv;
                }
            }
        }
        self.pos = (self.pos + 1) % self.len;
    }
}

/// GELU, tanh approximation (Candle's `gelu`).
pub fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + (0.797_884_6 * (x + 0.044_715 * x * x * x)).tanh())
}

/// A causal conv stack that takes one input row per step (the inference twin of the
/// Candle model, weights as plain vectors).
#[derive(Debug, Clone)]
pub struct StreamNet {
    kernel: usize,
    channels: usize,
    layers: Vec<StreamLayer>,
    out_w: Vec<f32>,
    out_b: f32,
    a: Vec<f32>,
    h: Vec<f32>,
}

impl StreamNet {
    pub fn new(shape: &NetShape, t: &HashMap<String, Tensor>) -> anyhow::Result<StreamNet> {
        if shape.kernel == 0 || shape.channels == 0 || shape.dilations.is_empty() {
            bail!("network shape {shape:?} is empty");
        }
        let c = shape.channels;
        let mut layers = Vec::new();
        for (l, d) in shape.dilations.iter().enumerate() {
            let cin = shape.in_dim(l);
            let len = (shape.kernel - 1) * d + 1;
            layers.push(StreamLayer {
                w: crate::nn::checkpoint::tensor_vec(
                    t,
                    &format!("layers.{l}.w"),
                    shape.kernel * cin * c,
                )?,
                b: crate::nn::checkpoint::tensor_vec(t, &format!("layers.{l}.b"), c)?,
                cin,
                cout: c,
                dilation: *d,
                hist: vec![0.0; len * cin],
                len,
                pos: 0,
            });
        }
        Ok(StreamNet {
            kernel: shape.kernel,
            channels: c,
            layers,
            out_w: crate::nn::checkpoint::tensor_vec(t, "out.w", c)?,
            out_b: crate::nn::checkpoint::tensor_vec(t, "out.b", 1)?[0],
            a: vec![0.0; c],
            h: vec![0.0; c],
        })
    }

    pub fn reset(&mut self) {
        self.layers.iter_mut().for_each(StreamLayer::reset);
    }

    /// One input row → the logit of this frame.
    pub fn step(&mut self, x: &[f32]) -> f32 {
        let k = self.kernel;
        for (l, layer) in self.layers.iter_mut().enumerate() {
            if l == 0 {
                layer.step(x, k, &mut self.a);
                for (h, a) in self.h.iter_mut().zip(&self.a) {
                    *h = gelu(*a);
                }
            } else {
                let input = self.h.clone();
                layer.step(&input, k, &mut self.a);
                for (h, a) in self.h.iter_mut().zip(&self.a) {
                    *h += gelu(*a);
                }
            }
        }
        debug_assert_eq!(self.h.len(), self.channels);
        self.out_b
            + self
                .h
                .iter()
                .zip(&self.out_w)
                .map(|(h, w)| h * w)
                .sum::<f32>()
    }
}

/// The trained VAD as a streaming detector over 10 ms hops.
pub struct TrainedVad {
    pub config: TrainedVadConfig,
    front: FrontEnd,
    net: StreamNet,
    feat: Vec<f32>,
    since_speech: usize,
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

impl TrainedVad {
    pub fn new(
        config: TrainedVadConfig,
        tensors: &HashMap<String, Tensor>,
    ) -> anyhow::Result<TrainedVad> {
        if config.mean.len() != config.shape.input
            || config.std.len() != config.shape.input
            || config.shape.input != N_FEATURES
        {
            bail!(
                "trained VAD config: input {} with {} means and {} deviations (expected {N_FEATURES})",
                config.shape.input,
                config.mean.len(),
                config.std.len()
            );
        }
        Ok(TrainedVad {
            net: StreamNet::new(&config.shape, tensors)?,
            front: FrontEnd::new()?,
            feat: vec![0.0; N_FEATURES],
            since_speech: usize::MAX,
            config,
        })
    }

    /// Load `FILE.safetensors` and the `FILE.json` beside it.
    pub fn load(path: &Path) -> anyhow::Result<TrainedVad> {
        let (config, tensors) =
            crate::nn::checkpoint::load(path, "trained VAD", "labbook exp vad")?;
        TrainedVad::new(config, &tensors).with_context(|| format!("loading {}", path.display()))
    }

    /// Speech probability of the next hop (no decision smoothing).
    pub fn prob(&mut self, hop: &[f32]) -> anyhow::Result<f32> {
        self.front.push(hop, &mut self.feat)?;
        for ((v, m), s) in self
            .feat
            .iter_mut()
            .zip(&self.config.mean)
            .zip(&self.config.std)
        {
            *v = (*v - m) / s;
        }
        Ok(sigmoid(self.net.step(&self.feat)))
    }

    /// Probabilities of every whole hop of a signal, from a fresh state.
    pub fn probs(&mut self, samples: &[f32]) -> anyhow::Result<Vec<f32>> {
        self.reset();
        samples.chunks_exact(HOP).map(|h| self.prob(h)).collect()
    }
}

/// Decisions from probabilities: speech while `p ≥ threshold`, held `hangover` hops.
pub fn decide(probs: &[f32], threshold: f32, hangover: usize) -> Vec<bool> {
    let mut since = usize::MAX;
    probs
        .iter()
        .map(|p| {
            if *p >= threshold {
                since = 0;
            } else {
                since = since.saturating_add(1);
            }
            since <= hangover
        })
        .collect()
}

impl Vad for TrainedVad {
    fn name(&self) -> &str {
        "trained"
    }

    fn hop(&self) -> usize {
        HOP
    }

    fn reset(&mut self) {
        self.front.reset();
        self.net.reset();
        self.since_speech = usize::MAX;
    }

    fn push(&mut self, hop: &[f32]) -> anyhow::Result<(f32, bool)> {
        let p = self.prob(hop)?;
        if p >= self.config.threshold {
            self.since_speech = 0;
        } else {
            self.since_speech = self.since_speech.saturating_add(1);
        }
        Ok((p, self.since_speech <= self.config.hangover))
    }
}
