//! Silero VAD v6 (16 kHz branch) ported to Candle (CPU, f32).
//!
//! The model takes 512-sample chunks of 16 kHz mono audio (32 ms) and returns one speech
//! probability per chunk. It keeps two pieces of streaming state between chunks: the
//! last 64 input samples (prepended to the next chunk as context) and the LSTM state
//! `(h, c)`, each `[1, 128]`.
//!
//! Forward pass for one chunk (constants read from the reference TorchScript model):
//! 1. `x = [context (64) | chunk (512)]` → 576 samples;
//! 2. reflection padding of 64 samples on the right only → 640 samples;
//! 3. STFT as a conv1d with a fixed `[258, 1, 256]` basis, stride 128, no padding →
//!    `[1, 258, 4]`; magnitude `sqrt(re² + im²)` of rows `0..129` / `129..258` → `[1, 129, 4]`;
//! 4. encoder: four conv1d (kernel 3, padding 1) + ReLU blocks with strides 1, 2, 2, 1:
//!    129→128, 128→64, 64→64, 64→128 channels; time 4 → 4 → 2 → 1 → 1;
//! 5. `LSTMCell(128, 128)`, PyTorch gate order `i, f, g, o`, biases `b_ih + b_hh`;
//! 6. decoder: ReLU(h) → conv1d 1×1 (128→1) → sigmoid → mean over time (one frame).
//!
//! Weights are read from safetensors with the tensor names of the `silero_vad_16k`
//! layout (see [`TENSOR_SHAPES`]); `fixtures/export_silero_safetensors.py` writes such a
//! file from the wheel's TorchScript model.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor};

/// Samples per chunk at 16 kHz (32 ms).
pub const CHUNK_SAMPLES: usize = 512;
/// Samples of the previous input prepended to each chunk.
pub const CONTEXT_SAMPLES: usize = 64;
/// Sample rate the model expects.
pub const SAMPLE_RATE: u32 = 16_000;
/// LSTM hidden size.
pub const HIDDEN: usize = 128;

/// STFT filter length (the basis kernel size).
const FILTER_LENGTH: usize = 256;
/// STFT hop (conv stride).
const HOP: usize = 128;
/// Right reflection padding before the STFT.
const REFLECT_PAD: usize = 64;
/// Frequency bins kept (`FILTER_LENGTH / 2 + 1`).
const CUTOFF: usize = FILTER_LENGTH / 2 + 1;
/// STFT frames per chunk: (576 + 64 - 256) / 128 + 1 = 4.
const N_FRAMES: usize = (CONTEXT_SAMPLES + CHUNK_SAMPLES + REFLECT_PAD - FILTER_LENGTH) / HOP + 1;
/// Encoder conv strides (kernel 3, padding 1 each).
const ENCODER_STRIDES: [usize; 4] = [1, 2, 2, 1];

/// Every tensor the model needs, with its expected shape (PyTorch layout).
pub const TENSOR_SHAPES: [(&str, &[usize]); 15] = [
    ("stft_conv.weight", &[2 * CUTOFF, 1, FILTER_LENGTH]),
    ("conv1.weight", &[128, CUTOFF, 3]),
    ("conv1.bias", &[128]),
    ("conv2.weight", &[64, 128, 3]),
    ("conv2.bias", &[64]),
    ("conv3.weight", &[64, 64, 3]),
    ("conv3.bias", &[64]),
    ("conv4.weight", &[HIDDEN, 64, 3]),
    ("conv4.bias", &[HIDDEN]),
    ("lstm_cell.weight_ih", &[4 * HIDDEN, HIDDEN]),
    ("lstm_cell.weight_hh", &[4 * HIDDEN, HIDDEN]),
    ("lstm_cell.bias_ih", &[4 * HIDDEN]),
    ("lstm_cell.bias_hh", &[4 * HIDDEN]),
    ("final_conv.weight", &[1, HIDDEN, 1]),
    ("final_conv.bias", &[1]),
];

/// One encoder block: conv1d (kernel 3, padding 1) + ReLU, computed time-major as
/// im2col (built from `narrow`/`cat`/`reshape`) followed by one matmul.
#[derive(Debug, Clone)]
struct ConvBlock {
    /// `[3 * in, out]`: the PyTorch `[out, in, 3]` weight permuted to `[3, in, out]`.
    weight: Tensor,
    /// `[1, out]`.
    bias: Tensor,
    stride: usize,
}

impl ConvBlock {
    fn new(weight: &Tensor, bias: &Tensor, stride: usize) -> Result<Self> {
        let (cout, cin, k) = weight.dims3()?;
        let weight = weight
            .permute((2, 1, 0))?
            .reshape((k * cin, cout))?
            .contiguous()?;
        let bias = bias.reshape((1, cout))?;
        Ok(Self {
            weight,
            bias,
            stride,
        })
    }

    /// `x`: `[time, in]` → `[time / stride, out]`.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (t, c) = x.dims2()?;
        // Zero padding of one frame on each side: [t + 2, c].
        let xp = x.pad_with_zeros(0, 1, 1)?;
        let cols = match self.stride {
            1 => Tensor::cat(
                &[
                    xp.narrow(0, 0, t)?,
                    xp.narrow(0, 1, t)?,
                    xp.narrow(0, 2, t)?,
                ],
                1,
            )?,
            2 => {
                // Output frame j reads padded rows 2j, 2j + 1, 2j + 2.
                let t_out = t.div_ceil(2);
                let pairs = xp.narrow(0, 0, 2 * t_out)?.reshape((t_out, 2 * c))?;
                let thirds = xp
                    .narrow(0, 2, 2 * t_out)?
                    .reshape((t_out, 2 * c))?
                    .narrow(1, 0, c)?;
                Tensor::cat(&[pairs, thirds], 1)?
            }
            s => bail!("internal: unsupported encoder stride {s}"),
        };
        Ok(cols
            .matmul(&self.weight)?
            .broadcast_add(&self.bias)?
            .relu()?)
    }
}

/// Silero VAD v6, 16 kHz, streaming over 512-sample chunks.
#[derive(Debug, Clone)]
pub struct SileroVad {
    device: Device,
    /// `[256, 258]` STFT basis, transposed (real columns, then imaginary columns).
    stft_basis: Tensor,
    encoder: [ConvBlock; 4],
    /// `[2 * HIDDEN, 4 * HIDDEN]`: `[W_ih; W_hh]` transposed, so `[x | h] @ w` gives the gates.
    lstm_weight: Tensor,
    /// `[1, 4 * HIDDEN]`: `b_ih + b_hh`.
    lstm_bias: Tensor,
    /// `[HIDDEN, 1]`: the 1×1 decoder conv as a matmul.
    out_weight: Tensor,
    /// `[1, 1]`.
    out_bias: Tensor,
    /// Last `CONTEXT_SAMPLES` samples of the previous model input.
    context: [f32; CONTEXT_SAMPLES],
    /// LSTM hidden state `[1, HIDDEN]`.
    h: Tensor,
    /// LSTM cell state `[1, HIDDEN]`.
    c: Tensor,
}

impl SileroVad {
    /// Loads the model from a safetensors file with the `silero_vad_16k` tensor names.
    ///
    /// Fails with a message naming the tensor when one is missing or has the wrong
    /// shape. Tensors of another float dtype are converted to f32.
    pub fn load(path: &Path) -> Result<Self> {
        let device = Device::Cpu;
        let tensors = candle_core::safetensors::load(path, &device)
            .with_context(|| format!("reading Silero VAD safetensors {}", path.display()))?;
        Self::from_tensors(tensors, &device)
            .with_context(|| format!("loading Silero VAD weights from {}", path.display()))
    }

    /// Builds the model from named tensors (same names and shapes as [`TENSOR_SHAPES`]).
    pub fn from_tensors(mut tensors: HashMap<String, Tensor>, device: &Device) -> Result<Self> {
        let mut take = |name: &str| -> Result<Tensor> {
            let expected = TENSOR_SHAPES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, s)| *s)
                .with_context(|| format!("internal: no expected shape for {name}"))?;
            let t = tensors.remove(name).with_context(|| {
                format!("missing tensor `{name}` (expected shape {expected:?})")
            })?;
            if t.dims() != expected {
                bail!(
                    "tensor `{name}` has shape {:?}, expected {expected:?}",
                    t.dims()
                );
            }
            Ok(t.to_dtype(DType::F32)?.to_device(device)?)
        };

        let stft_basis = take("stft_conv.weight")?
            .reshape((2 * CUTOFF, FILTER_LENGTH))?
            .t()?
            .contiguous()?;
        let mut blocks = Vec::with_capacity(4);
        for (i, stride) in ENCODER_STRIDES.iter().enumerate() {
            let weight = take(&format!("conv{}.weight", i + 1))?;
            let bias = take(&format!("conv{}.bias", i + 1))?;
            blocks.push(ConvBlock::new(&weight, &bias, *stride)?);
        }
        let encoder: [ConvBlock; 4] = blocks
            .try_into()
            .map_err(|_| anyhow::anyhow!("internal: expected 4 encoder blocks"))?;

        let w_ih = take("lstm_cell.weight_ih")?;
        let w_hh = take("lstm_cell.weight_hh")?;
        let b_ih = take("lstm_cell.bias_ih")?;
        let b_hh = take("lstm_cell.bias_hh")?;
        let lstm_weight = Tensor::cat(&[&w_ih, &w_hh], 1)?.t()?.contiguous()?;
        let lstm_bias = (b_ih + b_hh)?.reshape((1, 4 * HIDDEN))?;

        let out_weight = take("final_conv.weight")?
            .reshape((1, HIDDEN))?
            .t()?
            .contiguous()?;
        let out_bias = take("final_conv.bias")?.reshape((1, 1))?;

        let zeros = Tensor::zeros((1, HIDDEN), DType::F32, device)?;
        Ok(Self {
            device: device.clone(),
            stft_basis,
            encoder,
            lstm_weight,
            lstm_bias,
            out_weight,
            out_bias,
            context: [0.0; CONTEXT_SAMPLES],
            h: zeros.clone(),
            c: zeros,
        })
    }

    /// Clears the streaming state (context samples and LSTM state), as at the start of a
    /// new stream.
    pub fn reset(&mut self) -> Result<()> {
        self.context = [0.0; CONTEXT_SAMPLES];
        self.h = Tensor::zeros((1, HIDDEN), DType::F32, &self.device)?;
        self.c = self.h.clone();
        Ok(())
    }

    /// Runs one 512-sample (32 ms) chunk and returns its speech probability, updating the
    /// context and the LSTM state.
    pub fn process_chunk(&mut self, chunk: &[f32; CHUNK_SAMPLES]) -> Result<f32> {
        // [context | chunk | reflect pad (right)], 640 samples.
        const N: usize = CONTEXT_SAMPLES + CHUNK_SAMPLES;
        let mut buf = [0.0f32; N + REFLECT_PAD];
        buf[..CONTEXT_SAMPLES].copy_from_slice(&self.context);
        buf[CONTEXT_SAMPLES..N].copy_from_slice(chunk);
        for j in 0..REFLECT_PAD {
            buf[N + j] = buf[N - 2 - j];
        }

        // STFT as a strided conv1d = frames [4, 256] @ basis [256, 258].
        let mut frames = [0.0f32; N_FRAMES * FILTER_LENGTH];
        for (t, frame) in frames.chunks_exact_mut(FILTER_LENGTH).enumerate() {
            frame.copy_from_slice(&buf[t * HOP..t * HOP + FILTER_LENGTH]);
        }
        let frames = Tensor::from_slice(&frames[..], (N_FRAMES, FILTER_LENGTH), &self.device)?;
        let spec = frames.matmul(&self.stft_basis)?;
        let re = spec.narrow(1, 0, CUTOFF)?;
        let im = spec.narrow(1, CUTOFF, CUTOFF)?;
        // Magnitude, time-major [4, 129].
        let mut y = (re.sqr()? + im.sqr()?)?.sqrt()?;
        for block in &self.encoder {
            y = block.forward(&y)?;
        }
        // One frame left: [1, 128].
        let feat = y;

        // LSTM cell, gates i, f, g, o.
        let xh = Tensor::cat(&[&feat, &self.h], 1)?;
        let gates = xh
            .matmul(&self.lstm_weight)?
            .broadcast_add(&self.lstm_bias)?;
        let act = candle_nn::ops::sigmoid(&gates)?;
        let i = act.narrow(1, 0, HIDDEN)?;
        let f = act.narrow(1, HIDDEN, HIDDEN)?;
        let g = gates.narrow(1, 2 * HIDDEN, HIDDEN)?.tanh()?;
        let o = act.narrow(1, 3 * HIDDEN, HIDDEN)?;
        let c = ((f * &self.c)? + (i * g)?)?;
        let h = (o * c.tanh()?)?;

        // Decoder: ReLU -> 1x1 conv -> sigmoid (one frame, so the mean is the value).
        let logit = h
            .relu()?
            .matmul(&self.out_weight)?
            .broadcast_add(&self.out_bias)?;
        let p = candle_nn::ops::sigmoid(&logit)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        // Commit the state only once everything succeeded.
        self.context.copy_from_slice(&buf[N - CONTEXT_SAMPLES..N]);
        self.h = h;
        self.c = c;
        p.first().copied().context("internal: empty decoder output")
    }

    /// Speech probability for every 512-sample chunk of `audio` (16 kHz mono), in order,
    /// continuing from the current state. A last partial chunk is zero-padded, as in
    /// the reference `silero_vad` `audio_forward`. Call [`SileroVad::reset`] first for a
    /// fresh stream.
    pub fn probabilities(&mut self, audio: &[f32]) -> Result<Vec<f32>> {
        let mut out = Vec::with_capacity(audio.len().div_ceil(CHUNK_SAMPLES));
        let mut chunk = [0.0f32; CHUNK_SAMPLES];
        for piece in audio.chunks(CHUNK_SAMPLES) {
            chunk[..piece.len()].copy_from_slice(piece);
            chunk[piece.len()..].fill(0.0);
            out.push(self.process_chunk(&chunk)?);
        }
        Ok(out)
    }

    /// The LSTM state `(h, c)` as two `[1, 128]` tensors.
    pub fn state(&self) -> (&Tensor, &Tensor) {
        (&self.h, &self.c)
    }
}

/// Silero as a streaming [`super::Vad`]: 32 ms hops, the probability as the score,
/// speech when it is at least `threshold` (Silero's own default, 0.5).
pub struct SileroStream {
    pub model: SileroVad,
    pub threshold: f32,
}

impl super::Vad for SileroStream {
    fn name(&self) -> &str {
        "silero"
    }

    fn hop(&self) -> usize {
        CHUNK_SAMPLES
    }

    fn reset(&mut self) {
        let _ = self.model.reset();
    }

    fn push(&mut self, hop: &[f32]) -> Result<(f32, bool)> {
        let chunk: &[f32; CHUNK_SAMPLES] = hop.try_into().map_err(|_| {
            anyhow::anyhow!(
                "Silero takes {CHUNK_SAMPLES}-sample chunks, got {}",
                hop.len()
            )
        })?;
        let p = self.model.process_chunk(chunk)?;
        Ok((p, p >= self.threshold))
    }
}
