//! librosa-compatible mel spectrogram and MFCC.
//!
//! Reproduces (librosa 0.10/0.11 defaults)
//!
//! ```python
//! S = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop,
//!         n_mels=n_mels, power=2.0, center=True, pad_mode="constant",
//!         window="hann")                      # periodic Hann, Slaney mel
//! M = librosa.feature.mfcc(S=librosa.power_to_db(S, ref=1.0, amin=1e-10,
//!         top_db=80.0), n_mfcc=n_mfcc)        # DCT-II, norm="ortho"
//! ```
//!
//! which is what `librosa.feature.mfcc(y=y, sr=sr, n_mfcc=..., n_fft=...,
//! hop_length=..., n_mels=...)` does.
//!
//! Conventions:
//! * Centre padding with **zeros** (`pad_mode="constant"`, librosa's default
//!   since 0.10; older librosa reflected), `n_fft / 2` on each side.
//! * Frame count `1 + (len + 2*(n_fft/2) - n_fft) / hop`, i.e. `1 + len/hop`
//!   for even `n_fft`. Unlike Whisper, no frame is dropped.
//! * Periodic Hann window (`scipy.signal.get_window("hann", n_fft)`).
//! * `power_to_db` uses the **global** maximum of the whole spectrogram for
//!   `top_db`, so results for a clip depend on its loudest frame.
//!
//! Everything is computed in f64 (librosa mostly works in float32), and the
//! outputs are rounded to f32.

use anyhow::{bail, Result};
use rustfft::num_complex::Complex;

use crate::audio::dsp::{centered_frame_count, hann_periodic_f64, zero_padded_frame, RealFft};
use crate::audio::mel::{mel_filterbank, Mel, SparseFilterbank};

/// Parameters of [`MfccExtractor`]. [`Default`] is a common 16 kHz speech
/// setting: 25 ms window, 10 ms hop, 40 mel bands, 13 coefficients.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MfccConfig {
    /// Sample rate of the input in Hz.
    pub sample_rate: f64,
    /// FFT size = window length in samples.
    pub n_fft: usize,
    /// Hop between frames in samples.
    pub hop_length: usize,
    /// Number of mel bands.
    pub n_mels: usize,
    /// Number of cepstral coefficients kept (`<= n_mels`).
    pub n_mfcc: usize,
    /// Lowest mel filter edge in Hz (librosa default 0).
    pub fmin: f64,
    /// Highest mel filter edge in Hz; `None` = `sample_rate / 2`.
    pub fmax: Option<f64>,
    /// `power_to_db` dynamic range in dB below the global max; `None` = no clamp.
    pub top_db: Option<f64>,
}

impl Default for MfccConfig {
    fn default() -> Self {
        Self {
            sample_rate: 16_000.0,
            n_fft: 400,
            hop_length: 160,
            n_mels: 40,
            n_mfcc: 13,
            fmin: 0.0,
            fmax: None,
            top_db: Some(80.0),
        }
    }
}

/// MFCCs: a row-major `n_mfcc x n_frames` matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Mfcc {
    /// Number of coefficients (rows).
    pub n_mfcc: usize,
    /// Number of frames (columns).
    pub n_frames: usize,
    /// `data[c * n_frames + t]` is coefficient `c` of frame `t`.
    pub data: Vec<f32>,
}

impl Mfcc {
    /// Coefficient `c` of frame `t`.
    pub fn get(&self, c: usize, t: usize) -> f32 {
        self.data[c * self.n_frames + t]
    }
}

/// Reusable mel-spectrogram/MFCC extractor (FFT plan, window, filters and DCT
/// matrix are built once).
pub struct MfccExtractor {
    config: MfccConfig,
    fft: RealFft<f64>,
    window: Vec<f64>,
    filters: SparseFilterbank<f64>,
    /// `n_mfcc x n_mels` orthonormal DCT-II matrix.
    dct: Vec<f64>,
}

impl MfccExtractor {
    /// Validates the configuration and precomputes everything.
    pub fn new(config: MfccConfig) -> Result<Self> {
        let c = &config;
        if c.n_fft == 0 || c.hop_length == 0 || c.n_mels == 0 || c.n_mfcc == 0 {
            bail!("MfccConfig: n_fft, hop_length, n_mels and n_mfcc must be positive: {c:?}");
        }
        if c.n_mfcc > c.n_mels {
            bail!(
                "MfccConfig: n_mfcc ({}) cannot exceed n_mels ({})",
                c.n_mfcc,
                c.n_mels
            );
        }
        let dense = mel_filterbank(c.sample_rate, c.n_fft, c.n_mels, c.fmin, c.fmax)?;
        Ok(Self {
            config,
            fft: RealFft::new(c.n_fft)?,
            window: hann_periodic_f64(c.n_fft),
            filters: SparseFilterbank::from_dense(&dense, |w| w),
            dct: dct2_ortho_matrix(c.n_mfcc, c.n_mels),
        })
    }

    /// The configuration this extractor was built with.
    pub fn config(&self) -> MfccConfig {
        self.config
    }

    /// Number of frames for `n_samples` of input (see module docs).
    pub fn n_frames(&self, n_samples: usize) -> usize {
        centered_frame_count(n_samples, self.config.n_fft, self.config.hop_length)
    }

    /// Mel power spectrogram in f64, `n_mels x n_frames` row-major
    /// (`librosa.feature.melspectrogram(power=2.0)`).
    fn mel_power_f64(&self, samples: &[f32]) -> Result<(Vec<f64>, usize)> {
        if samples.is_empty() {
            bail!("mel spectrogram of an empty signal");
        }
        if let Some(i) = samples.iter().position(|s| !s.is_finite()) {
            bail!("input sample {i} is not finite ({})", samples[i]);
        }
        let n_fft = self.config.n_fft;
        let n_mels = self.config.n_mels;
        let n_frames = self.n_frames(samples.len());
        let mut out = vec![0.0f64; n_mels * n_frames];
        let mut frame = vec![0.0f64; n_fft];
        let mut spectrum = vec![Complex::new(0.0, 0.0); self.fft.spectrum_len()];
        let mut power = vec![0.0f64; self.fft.spectrum_len()];
        let mut scratch = self.fft.make_scratch();
        for t in 0..n_frames {
            zero_padded_frame(samples, t, self.config.hop_length, &mut frame);
            for (f, w) in frame.iter_mut().zip(&self.window) {
                *f *= w;
            }
            self.fft.forward(&frame, &mut spectrum, &mut scratch)?;
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p = c.norm_sqr();
            }
            for m in 0..n_mels {
                out[m * n_frames + t] = self.filters.apply_band(m, &power);
            }
        }
        Ok((out, n_frames))
    }

    /// `librosa.feature.melspectrogram(y, sr, n_fft, hop_length, n_mels,
    /// power=2.0)`: mel **power** (not dB), `n_mels x n_frames`.
    pub fn melspectrogram(&self, samples: &[f32]) -> Result<Mel> {
        let (power, n_frames) = self.mel_power_f64(samples)?;
        Ok(Mel {
            n_mels: self.config.n_mels,
            n_frames,
            data: power.iter().map(|&v| v as f32).collect(),
        })
    }

    /// `librosa.power_to_db(melspectrogram(...), ref=1.0, amin=1e-10,
    /// top_db)`: log-mel in dB, `n_mels x n_frames`.
    pub fn log_mel_db(&self, samples: &[f32]) -> Result<Mel> {
        let (mut power, n_frames) = self.mel_power_f64(samples)?;
        power_to_db_in_place(&mut power, 1.0, 1e-10, self.config.top_db);
        Ok(Mel {
            n_mels: self.config.n_mels,
            n_frames,
            data: power.iter().map(|&v| v as f32).collect(),
        })
    }

    /// `librosa.feature.mfcc(y, sr, n_mfcc, n_fft, hop_length, n_mels)`:
    /// orthonormal DCT-II over the mel axis of the dB mel spectrogram,
    /// keeping the first `n_mfcc` coefficients (no liftering).
    pub fn compute(&self, samples: &[f32]) -> Result<Mfcc> {
        let (mut db, n_frames) = self.mel_power_f64(samples)?;
        power_to_db_in_place(&mut db, 1.0, 1e-10, self.config.top_db);
        let (n_mels, n_mfcc) = (self.config.n_mels, self.config.n_mfcc);
        let mut data = vec![0.0f32; n_mfcc * n_frames];
        let mut column = vec![0.0f64; n_mels];
        for t in 0..n_frames {
            for (m, c) in column.iter_mut().enumerate() {
                *c = db[m * n_frames + t];
            }
            for k in 0..n_mfcc {
                let basis = &self.dct[k * n_mels..(k + 1) * n_mels];
                let v: f64 = basis.iter().zip(&column).map(|(b, x)| b * x).sum();
                data[k * n_frames + t] = v as f32;
            }
        }
        Ok(Mfcc {
            n_mfcc,
            n_frames,
            data,
        })
    }
}

/// `librosa.power_to_db` on a power array, in place:
/// `10 log10(max(amin, S)) - 10 log10(max(amin, ref))`, then (if `top_db`)
/// `max(db, db.max() - top_db)` over the whole array.
pub fn power_to_db_in_place(values: &mut [f64], reference: f64, amin: f64, top_db: Option<f64>) {
    let ref_db = 10.0 * amin.max(reference).log10();
    let mut max_db = f64::NEG_INFINITY;
    for v in values.iter_mut() {
        *v = 10.0 * amin.max(*v).log10() - ref_db;
        max_db = max_db.max(*v);
    }
    if let Some(top) = top_db {
        let floor = max_db - top;
        for v in values.iter_mut() {
            *v = v.max(floor);
        }
    }
}

/// Orthonormal DCT-II matrix (`scipy.fftpack.dct(x, type=2, norm="ortho")`):
/// `D[k][n] = s_k cos(pi k (2n + 1) / (2N))`, `s_0 = sqrt(1/N)`,
/// `s_k = sqrt(2/N)`. Row-major `n_out x n`.
pub fn dct2_ortho_matrix(n_out: usize, n: usize) -> Vec<f64> {
    let mut d = Vec::with_capacity(n_out * n);
    for k in 0..n_out {
        let scale = if k == 0 {
            (1.0 / n as f64).sqrt()
        } else {
            (2.0 / n as f64).sqrt()
        };
        for i in 0..n {
            let angle = std::f64::consts::PI * k as f64 * (2 * i + 1) as f64 / (2 * n) as f64;
            d.push(scale * angle.cos());
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dct_matrix_is_orthonormal() {
        let n = 40;
        let d = dct2_ortho_matrix(n, n);
        for a in 0..n {
            for b in 0..n {
                let dot: f64 = (0..n).map(|i| d[a * n + i] * d[b * n + i]).sum();
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-12, "rows {a},{b}: {dot}");
            }
        }
        // Constant input -> only c0 is non-zero and equals sqrt(N) * value.
        let x = vec![2.0; n];
        let c0: f64 = (0..n).map(|i| d[i] * x[i]).sum();
        assert!((c0 - 2.0 * (n as f64).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn power_to_db_matches_hand_values() {
        let mut v = vec![1.0, 0.1, 1e-20, 100.0];
        power_to_db_in_place(&mut v, 1.0, 1e-10, Some(80.0));
        assert_eq!(v[0], 0.0);
        assert!((v[1] + 10.0).abs() < 1e-12);
        assert!((v[3] - 20.0).abs() < 1e-12);
        // 1e-20 -> amin 1e-10 -> -100 dB, clamped to 20 - 80 = -60.
        assert!((v[2] + 60.0).abs() < 1e-12);
    }

    #[test]
    fn frame_count_and_validation() {
        let e = MfccExtractor::new(MfccConfig::default()).unwrap();
        let m = e.compute(&vec![0.01; 1600]).unwrap();
        assert_eq!((m.n_mfcc, m.n_frames), (13, 11));
        assert!(e.compute(&[]).is_err());
        let bad = MfccConfig {
            n_mfcc: 41,
            ..MfccConfig::default()
        };
        assert!(MfccExtractor::new(bad).is_err());
    }
}
