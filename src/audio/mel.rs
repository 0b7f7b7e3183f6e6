//! Mel filterbanks (librosa-compatible) and Whisper's log-mel spectrogram.
//!
//! # Whisper's `log_mel_spectrogram`, step by step
//!
//! This reproduces `whisper/audio.py` (openai-whisper) for its default
//! arguments (`padding=0`, optional extra right padding supported):
//!
//! 1. Input: mono `f32` audio at 16 kHz ([`SAMPLE_RATE`]).
//! 2. `torch.stft(audio, n_fft=400, hop_length=160, window=hann_window(400),
//!    center=True, pad_mode="reflect")`: the signal is reflect-padded by
//!    `n_fft / 2 = 200` samples on each side (`[a b c ...]` -> `[... c b | a b c
//!    ...]`, the edge sample is *not* repeated), then frame `t` covers padded
//!    samples `t*160 .. t*160+400`, i.e. it is centred on input sample `t*160`.
//!    That gives `1 + len / 160` frames (integer division).
//! 3. `magnitudes = stft[..., :-1].abs() ** 2`: power spectrum, and the **last
//!    frame is dropped**, so the output has exactly `len / 160` frames
//!    (3000 frames for 30 s).
//! 4. `mel = filters @ magnitudes` with `librosa.filters.mel(sr=16000,
//!    n_fft=400, n_mels)` (Slaney mel scale, Slaney area normalisation);
//!    computed here by [`mel_filterbank`] rather than loaded from a file.
//! 5. `log_spec = log10(max(mel, 1e-10))`, then
//!    `log_spec = max(log_spec, log_spec.max() - 8)` (an 80 dB dynamic range
//!    below the loudest bin of the *whole* input), then `(log_spec + 4) / 4`.
//!
//! Whisper works in float32 throughout; so does this implementation
//! (window computed like torch, f32 FFT, f32 filters). On the test fixtures
//! the largest difference from torch is 5e-5, the same size as the gap
//! between torch's float32 result and the same recipe in float64 (the
//! differences sit in quiet bins near the `max - 8` floor).
//!
//! Speed: frames are processed in blocks of 16 so that the sparse mel
//! product vectorises, the 400-point real FFT costs one 200-point complex
//! FFT, and `log10` is a branch-free polynomial; 30 s of audio takes ~2 ms
//! on one core (see `benches_cmd.md`).
//!
//! Torch refuses reflect padding when the input is not longer than the pad,
//! so inputs (including any extra `padding`) of 200 samples or fewer are an
//! error here too ([`MelExtractor::MIN_SAMPLES`] = 201).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{bail, Result};
use rustfft::num_complex::Complex;

use crate::audio::dsp::{hann_periodic_torch_f32, reflect_index, RealFft};

/// Whisper's sample rate in Hz.
pub const SAMPLE_RATE: u32 = 16_000;
/// Whisper's FFT size (25 ms at 16 kHz).
pub const N_FFT: usize = 400;
/// Whisper's hop length (10 ms at 16 kHz).
pub const HOP_LENGTH: usize = 160;

// ---------------------------------------------------------------------------
// Mel scale and filterbank (librosa.filters.mel)
// ---------------------------------------------------------------------------

/// Slaney mel scale constants (librosa `htk=False`): linear below 1 kHz
/// (3 mels per 200 Hz), logarithmic above with 27 mels per factor 6.4.
const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP; // 15.0

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

/// Hz -> mel on the Slaney scale, exactly as `librosa.hz_to_mel(f, htk=False)`.
pub fn hz_to_mel(hz: f64) -> f64 {
    if hz >= MIN_LOG_HZ {
        MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / log_step()
    } else {
        hz / F_SP
    }
}

/// Mel -> Hz on the Slaney scale, exactly as `librosa.mel_to_hz(m, htk=False)`.
pub fn mel_to_hz(mel: f64) -> f64 {
    if mel >= MIN_LOG_MEL {
        MIN_LOG_HZ * (log_step() * (mel - MIN_LOG_MEL)).exp()
    } else {
        F_SP * mel
    }
}

/// A dense mel filterbank: `n_mels` rows of `n_fft / 2 + 1` weights, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct MelFilterbank {
    /// Number of mel bands (rows).
    pub n_mels: usize,
    /// Number of FFT bins (columns) = `n_fft / 2 + 1`.
    pub n_bins: usize,
    /// Row-major weights, `weights[m * n_bins + k]`.
    pub weights: Vec<f64>,
}

impl MelFilterbank {
    /// Weights of band `m` (`n_bins` values).
    pub fn row(&self, m: usize) -> &[f64] {
        &self.weights[m * self.n_bins..(m + 1) * self.n_bins]
    }
}

/// `numpy.linspace(start, stop, num)` with numpy's exact arithmetic
/// (`start + i * step`, last element forced to `stop`).
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num == 1 {
        return vec![start];
    }
    let step = (stop - start) / (num - 1) as f64;
    let mut v: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    if let Some(last) = v.last_mut() {
        *last = stop;
    }
    v
}

/// `librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin,
/// fmax=fmax, htk=False, norm="slaney", dtype=np.float64)`.
///
/// Triangular filters whose corners are `n_mels + 2` points equally spaced on
/// the Slaney mel scale between `fmin` and `fmax` (default `sr / 2`), each
/// scaled by `2 / (upper_hz - lower_hz)` so every filter has (roughly) unit
/// area. The arithmetic follows librosa operation by operation, so the f64
/// result agrees with librosa to ~1e-16 and rounding it to f32 gives
/// librosa's default float32 filters to within one ulp.
pub fn mel_filterbank(
    sr: f64,
    n_fft: usize,
    n_mels: usize,
    fmin: f64,
    fmax: Option<f64>,
) -> Result<MelFilterbank> {
    let fmax = fmax.unwrap_or(sr / 2.0);
    if n_mels == 0 || n_fft == 0 || sr <= 0.0 || !(0.0..fmax).contains(&fmin) {
        bail!(
            "mel_filterbank: invalid arguments sr={sr} n_fft={n_fft} n_mels={n_mels} fmin={fmin} fmax={fmax}"
        );
    }
    let n_bins = n_fft / 2 + 1;
    // np.fft.rfftfreq(n_fft, d=1/sr): k * (1 / (n_fft * (1/sr)))
    let d = 1.0 / sr;
    let val = 1.0 / (n_fft as f64 * d);
    let fft_freqs: Vec<f64> = (0..n_bins).map(|k| k as f64 * val).collect();

    // Band edges: n_mels + 2 points uniformly spaced in mel.
    let mel_f: Vec<f64> = linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2)
        .into_iter()
        .map(mel_to_hz)
        .collect();
    let fdiff: Vec<f64> = mel_f.windows(2).map(|w| w[1] - w[0]).collect();

    let mut weights = vec![0.0; n_mels * n_bins];
    for m in 0..n_mels {
        // Slaney normalisation: divide by half the triangle's width in Hz.
        let enorm = 2.0 / (mel_f[m + 2] - mel_f[m]);
        let row = &mut weights[m * n_bins..(m + 1) * n_bins];
        for (w, &f) in row.iter_mut().zip(&fft_freqs) {
            // ramps = mel_f[:, None] - fftfreqs[None, :]
            let lower = -(mel_f[m] - f) / fdiff[m];
            let upper = (mel_f[m + 2] - f) / fdiff[m + 1];
            *w = 0.0f64.max(lower.min(upper)) * enorm;
        }
    }
    Ok(MelFilterbank {
        n_mels,
        n_bins,
        weights,
    })
}

/// A mel filterbank stored sparsely: each band keeps only its contiguous run
/// of non-zero weights (a triangle spans a handful of FFT bins), which makes
/// applying it ~40x cheaper than a dense `n_mels x n_bins` product.
#[derive(Debug, Clone)]
pub(crate) struct SparseFilterbank<T> {
    /// `(first_bin, offset_into_weights, len)` per band.
    spans: Vec<(usize, usize, usize)>,
    weights: Vec<T>,
}

impl<T: Copy + std::ops::Mul<Output = T> + std::iter::Sum<T>> SparseFilterbank<T> {
    pub(crate) fn from_dense(fb: &MelFilterbank, cast: impl Fn(f64) -> T) -> Self {
        let mut spans = Vec::with_capacity(fb.n_mels);
        let mut weights = Vec::new();
        for m in 0..fb.n_mels {
            let row = fb.row(m);
            let first = row.iter().position(|&w| w != 0.0).unwrap_or(0);
            let last = row.iter().rposition(|&w| w != 0.0).map_or(first, |l| l + 1);
            spans.push((first, weights.len(), last - first));
            weights.extend(row[first..last].iter().map(|&w| cast(w)));
        }
        Self { spans, weights }
    }

    /// Band `m` as `(first_bin, weights)`: its weights apply to bins
    /// `first_bin .. first_bin + weights.len()`.
    #[inline]
    pub(crate) fn band(&self, m: usize) -> (usize, &[T]) {
        let (first, offset, len) = self.spans[m];
        (first, &self.weights[offset..offset + len])
    }

    /// Energy of band `m` given a power spectrum.
    #[inline]
    pub(crate) fn apply_band(&self, m: usize, power: &[T]) -> T {
        let (first, weights) = self.band(m);
        weights
            .iter()
            .zip(&power[first..first + weights.len()])
            .map(|(&w, &p)| w * p)
            .sum()
    }
}

// ---------------------------------------------------------------------------
// Whisper log-mel
// ---------------------------------------------------------------------------

/// Configuration of a Whisper log-mel extractor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MelConfig {
    /// Number of mel bands: 80 for Whisper tiny..large-v2, 128 for large-v3.
    /// (Whisper itself only accepts these two; any positive value works here.)
    pub n_mels: usize,
    /// Zeros appended to the right of the audio *before* the reflect padding,
    /// like `log_mel_spectrogram(..., padding=N)`. Whisper's default is 0
    /// (`transcribe()` passes 480000 = 30 s).
    pub padding: usize,
}

impl Default for MelConfig {
    fn default() -> Self {
        Self {
            n_mels: 80,
            padding: 0,
        }
    }
}

/// A row-major `n_mels x n_frames` matrix of mel features.
///
/// For [`log_mel`] / [`MelExtractor`] the values are Whisper's normalised
/// log-mel (`(max(log10(mel), max - 8) + 4) / 4`); for
/// `MfccExtractor::melspectrogram` they are mel *power*.
#[derive(Debug, Clone, PartialEq)]
pub struct Mel {
    /// Number of mel bands (rows).
    pub n_mels: usize,
    /// Number of frames (columns).
    pub n_frames: usize,
    /// `data[m * n_frames + t]` is band `m` of frame `t`.
    pub data: Vec<f32>,
}

impl Mel {
    /// Value of band `m` at frame `t`.
    pub fn get(&self, m: usize, t: usize) -> f32 {
        self.data[m * self.n_frames + t]
    }

    /// All frames of band `m`.
    pub fn row(&self, m: usize) -> &[f32] {
        &self.data[m * self.n_frames..(m + 1) * self.n_frames]
    }
}

/// Reusable Whisper log-mel extractor: the FFT plan, window and sparse mel
/// filters are built once in [`MelExtractor::new`] and shared by every call.
/// It is `Send + Sync`; each call allocates its output plus a few small
/// work buffers (one frame, one spectrum, a 16-frame power block).
pub struct MelExtractor {
    config: MelConfig,
    fft: RealFft<f32>,
    window: Vec<f32>,
    filters: SparseFilterbank<f32>,
}

impl MelExtractor {
    /// Shortest accepted input (after `padding`): torch's reflect padding
    /// needs strictly more samples than the 200-sample pad.
    pub const MIN_SAMPLES: usize = N_FFT / 2 + 1;

    /// Builds the extractor (FFT plan, torch-style Hann window, filters).
    pub fn new(config: MelConfig) -> Result<Self> {
        if config.n_mels == 0 {
            bail!("MelConfig: n_mels must be at least 1");
        }
        let dense = mel_filterbank(SAMPLE_RATE as f64, N_FFT, config.n_mels, 0.0, None)?;
        Ok(Self {
            config,
            fft: RealFft::new(N_FFT)?,
            window: hann_periodic_torch_f32(N_FFT),
            // Whisper's filters are librosa's float32 output.
            filters: SparseFilterbank::from_dense(&dense, |w| w as f32),
        })
    }

    /// The configuration this extractor was built with.
    pub fn config(&self) -> MelConfig {
        self.config
    }

    /// Number of output frames for `n_samples` input samples:
    /// `(n_samples + padding) / 160` (torch's `1 + len/160` minus the dropped
    /// last frame).
    pub fn n_frames(&self, n_samples: usize) -> usize {
        (n_samples + self.config.padding) / HOP_LENGTH
    }

    /// Computes Whisper's normalised log-mel spectrogram of 16 kHz mono audio.
    ///
    /// Returns an error if `samples.len() + padding < 201` (see
    /// [`MIN_SAMPLES`](Self::MIN_SAMPLES)) or if the input contains NaN/inf.
    pub fn compute(&self, samples: &[f32]) -> Result<Mel> {
        let n_mels = self.config.n_mels;
        let total = samples.len() + self.config.padding;
        if total < Self::MIN_SAMPLES {
            bail!(
                "log-mel needs at least {} samples (got {}{}): torch.stft's reflect \
                 padding of {} requires a longer input",
                Self::MIN_SAMPLES,
                samples.len(),
                if self.config.padding > 0 {
                    format!(" + {} padding", self.config.padding)
                } else {
                    String::new()
                },
                N_FFT / 2
            );
        }
        if !all_finite(samples) {
            bail!("log-mel input contains NaN or infinite samples");
        }

        let n_frames = self.n_frames(samples.len());
        let n_bins = self.fft.spectrum_len();
        let mut data = vec![0.0f32; n_mels * n_frames];
        let mut frame = vec![0.0f32; N_FFT];
        let mut spectrum = vec![Complex::new(0.0f32, 0.0); n_bins];
        let mut scratch = self.fft.make_scratch();
        // Power spectra of BLOCK consecutive frames, bin-major:
        // power[k * BLOCK + b] = |X_k|^2 of frame (block_start + b).
        let mut power = vec![0.0f32; n_bins * BLOCK];
        let mut max_mel = [1e-10f32; BLOCK];

        for block_start in (0..n_frames).step_by(BLOCK) {
            let in_block = BLOCK.min(n_frames - block_start);
            for b in 0..in_block {
                self.windowed_frame(samples, total, block_start + b, &mut frame);
                self.fft.forward(&frame, &mut spectrum, &mut scratch)?;
                for (k, c) in spectrum.iter().enumerate() {
                    power[k * BLOCK + b] = c.re * c.re + c.im * c.im;
                }
            }
            // mel[m][frames of this block] = sum_k w[m][k] * power[k][..]:
            // a small sparse matrix product whose inner loop runs over the
            // BLOCK frames, which the compiler turns into SIMD.
            for m in 0..n_mels {
                let (first_bin, weights) = self.filters.band(m);
                let mut acc = [0.0f32; BLOCK];
                for (i, &w) in weights.iter().enumerate() {
                    let k = first_bin + i;
                    let row = &power[k * BLOCK..(k + 1) * BLOCK];
                    for (a, &p) in acc.iter_mut().zip(row) {
                        *a += w * p;
                    }
                }
                for (mx, &a) in max_mel.iter_mut().zip(&acc[..in_block]) {
                    *mx = mx.max(a);
                }
                let row = m * n_frames + block_start;
                data[row..row + in_block].copy_from_slice(&acc[..in_block]);
            }
        }

        // log10(clamp(mel, 1e-10)), floored at (global max - 8). The max of
        // the logs is the log of the max, so one log pass is enough.
        let max_mel = max_mel.iter().fold(1e-10f32, |a, &b| a.max(b));
        let floor = log10_f32(max_mel) - 8.0;
        for v in &mut data {
            let log = log10_f32(v.max(1e-10));
            *v = (log.max(floor) + 4.0) / 4.0;
        }
        Ok(Mel {
            n_mels,
            n_frames,
            data,
        })
    }

    /// Fills `frame` with window * (reflect-padded input) for frame `t`.
    /// `total` is the input length including the extra zero `padding`.
    #[inline]
    fn windowed_frame(&self, samples: &[f32], total: usize, t: usize, frame: &mut [f32]) {
        // Frame t covers original indices t*hop - 200 .. t*hop + 200.
        let start = (t * HOP_LENGTH) as isize - (N_FFT / 2) as isize;
        let end = start + N_FFT as isize;
        if start >= 0 && end as usize <= samples.len() {
            // Interior frame: read the input directly.
            let src = &samples[start as usize..end as usize];
            for ((f, &x), &w) in frame.iter_mut().zip(src).zip(&self.window) {
                *f = x * w;
            }
        } else {
            // Edge frame: reflect padding over (samples ++ zeros(padding)).
            for (j, (f, &w)) in frame.iter_mut().zip(&self.window).enumerate() {
                let i = reflect_index(start + j as isize, total);
                let x = samples.get(i).copied().unwrap_or(0.0);
                *f = x * w;
            }
        }
    }
}

/// True if no sample is NaN or infinite. Written as an integer max over the
/// magnitude bits (exponent all ones <=> not finite) so it vectorises.
fn all_finite(samples: &[f32]) -> bool {
    let max_bits = samples
        .iter()
        .map(|s| s.to_bits() & 0x7fff_ffff)
        .max()
        .unwrap_or(0);
    max_bits < 0x7f80_0000
}

/// Frames processed together in [`MelExtractor::compute`] (SIMD width x 4).
const BLOCK: usize = 16;

/// Fast `log10` for positive, normal `f32` (all our inputs are >= 1e-10).
///
/// Splits `x = 2^e * m` with `m` in `[sqrt(1/2), sqrt(2))` by bit
/// manipulation (as musl's `logf` does), then uses
/// `ln(m) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + s^7/7 + s^9/9 + ...)`,
/// `s = (m - 1) / (m + 1)`, `|s| < 0.172`, whose truncation error (< 1e-9) is
/// far below f32 rounding. Branch-free, so the loop calling it vectorises.
/// Agrees with `f32::log10` to within ~2 ulp (tested below).
#[inline]
fn log10_f32(x: f32) -> f32 {
    const SQRT_HALF_BITS: u32 = 0x3f35_04f3; // bits of sqrt(0.5)
    let bits = x.to_bits().wrapping_add(0x3f80_0000 - SQRT_HALF_BITS);
    let exponent = (bits >> 23) as i32 - 127;
    let m = f32::from_bits((bits & 0x007f_ffff) + SQRT_HALF_BITS);
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let series = 1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0))));
    let ln_m = 2.0 * s * series;
    exponent as f32 * std::f32::consts::LOG10_2 + ln_m * std::f32::consts::LOG10_E
}

/// Process-wide cache of extractors used by [`log_mel`], keyed by `n_mels`.
fn cached_extractor(n_mels: usize) -> Result<Arc<MelExtractor>> {
    static CACHE: OnceLock<Mutex<HashMap<usize, Arc<MelExtractor>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    // A poisoned lock only means another thread panicked mid-insert; the map
    // itself is still valid.
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(e) = map.get(&n_mels) {
        return Ok(Arc::clone(e));
    }
    let e = Arc::new(MelExtractor::new(MelConfig { n_mels, padding: 0 })?);
    map.insert(n_mels, Arc::clone(&e));
    Ok(e)
}

/// Whisper's `log_mel_spectrogram(samples, n_mels)` with the default
/// `padding=0`: `n_mels x (len / 160)` normalised log-mel values.
///
/// `samples` must be 16 kHz mono with at least 201 samples. The extractor for
/// each `n_mels` is built once and cached for the life of the process.
pub fn log_mel(samples: &[f32], n_mels: usize) -> Result<Mel> {
    cached_extractor(n_mels)?.compute(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_scale_round_trips_and_has_slaney_breakpoint() {
        // 1000 / (200/3) rounds to 14.999999999999998 in f64, as in librosa.
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
        assert!(hz_to_mel(999.999) < hz_to_mel(1000.0));
        assert!((hz_to_mel(200.0) - 3.0).abs() < 1e-12);
        // 27 mels per factor 6.4 above 1 kHz.
        assert!((hz_to_mel(6400.0) - 42.0).abs() < 1e-12);
        for hz in [0.0, 55.0, 999.0, 1000.0, 4321.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-9);
        }
    }

    #[test]
    fn filterbank_shape_and_slaney_normalisation() {
        let fb = mel_filterbank(16000.0, 400, 80, 0.0, None).unwrap();
        assert_eq!(
            (fb.n_mels, fb.n_bins, fb.weights.len()),
            (80, 201, 80 * 201)
        );
        // Every band has some weight, and no weight is negative.
        for m in 0..80 {
            assert!(fb.row(m).iter().any(|&w| w > 0.0), "band {m} empty");
        }
        assert!(fb.weights.iter().all(|&w| w >= 0.0));
        // Slaney normalisation: integral over Hz of each triangle is ~1, i.e.
        // sum(weights) * bin_width(40 Hz) ~ 1 for bands wide enough to be
        // sampled well (the narrow low bands are undersampled).
        for m in 40..80 {
            let area: f64 = fb.row(m).iter().sum::<f64>() * 40.0;
            assert!((area - 1.0).abs() < 0.1, "band {m} area {area}");
        }
    }

    #[test]
    fn sparse_filters_equal_dense_product() {
        let fb = mel_filterbank(16000.0, 400, 128, 0.0, None).unwrap();
        let sparse = SparseFilterbank::from_dense(&fb, |w| w);
        let power: Vec<f64> = (0..201).map(|k| ((k * 37) % 11) as f64 + 0.5).collect();
        for m in 0..128 {
            let dense: f64 = fb.row(m).iter().zip(&power).map(|(w, p)| w * p).sum();
            assert!((sparse.apply_band(m, &power) - dense).abs() < 1e-12 * dense.max(1.0));
        }
    }

    #[test]
    fn fast_log10_is_accurate() {
        // Sweep 1e-10 .. 1e8 geometrically, plus exact powers of ten/two.
        let mut worst: f64 = 0.0;
        let mut x = 1e-10f64;
        while x < 1e8 {
            let xf = x as f32;
            let exact = (xf as f64).log10();
            let err = (log10_f32(xf) as f64 - exact).abs();
            // Allow 2 ulp of the result (ulp of |log10| <= 16 is <= 1.9e-6).
            let ulp = f32::EPSILON as f64 * exact.abs().max(1.0);
            assert!(err <= 2.0 * ulp, "x={xf}: {} vs {exact}", log10_f32(xf));
            worst = worst.max(err);
            x *= 1.000_37;
        }
        assert_eq!(log10_f32(1.0), 0.0);
        assert!((log10_f32(1e-10) + 10.0).abs() < 2e-6);
        assert!(worst < 2e-6);
        assert!(all_finite(&[0.0, -1.0, f32::MAX, f32::MIN_POSITIVE]));
        assert!(!all_finite(&[0.0, f32::INFINITY]));
        assert!(!all_finite(&[f32::NAN, 1.0]));
    }

    #[test]
    fn frame_count_and_min_length() {
        let e = MelExtractor::new(MelConfig::default()).unwrap();
        assert!(e.compute(&[0.0; 200]).is_err());
        let err = format!("{:#}", e.compute(&[0.1; 10]).unwrap_err());
        assert!(err.contains("at least 201"), "{err}");
        assert_eq!(e.compute(&[0.1; 201]).unwrap().n_frames, 1);
        assert_eq!(e.compute(&[0.1; 479]).unwrap().n_frames, 2);
        assert_eq!(e.compute(&vec![0.0; 480_000]).unwrap().n_frames, 3000);

        // Padding counts towards the minimum length and the frame count.
        let p = MelExtractor::new(MelConfig {
            n_mels: 80,
            padding: 300,
        })
        .unwrap();
        assert_eq!(p.compute(&[0.1; 20]).unwrap().n_frames, 2);
    }

    #[test]
    fn silence_gives_constant_floor_and_nan_is_rejected() {
        // All-zero input: mel = 0 -> clamp 1e-10 -> log10 = -10 -> (-10+4)/4.
        let m = log_mel(&[0.0; 1600], 80).unwrap();
        assert!(m.data.iter().all(|&v| (v + 1.5).abs() < 1e-6));
        let mut x = vec![0.0f32; 1600];
        x[7] = f32::NAN;
        assert!(log_mel(&x, 80).is_err());
        assert!(log_mel(&x, 0).is_err());
    }

    #[test]
    fn dynamic_range_is_clamped_to_8_decades() {
        let x: Vec<f32> = (0..16000)
            .map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 16000.0).sin())
            .collect();
        let m = log_mel(&x, 80).unwrap();
        let max = m.data.iter().cloned().fold(f32::MIN, f32::max);
        let min = m.data.iter().cloned().fold(f32::MAX, f32::min);
        // (log + 4)/4 scale: 8 decades = 2.0 units.
        assert!((max - min - 2.0).abs() < 1e-5, "range {}", max - min);
        // 440 Hz must land in a band whose centre is near 440 Hz.
        let t = m.n_frames / 2;
        let best = (0..80)
            .max_by(|&a, &b| m.get(a, t).total_cmp(&m.get(b, t)))
            .unwrap();
        let centre = mel_to_hz(
            hz_to_mel(0.0) + (best + 1) as f64 * (hz_to_mel(8000.0) - hz_to_mel(0.0)) / 81.0,
        );
        assert!(
            (centre - 440.0).abs() < 60.0,
            "peak band {best} at {centre} Hz"
        );
    }
}
