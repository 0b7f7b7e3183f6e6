//! Prosodic features: frame RMS energy and YIN pitch, both matching librosa.
//!
//! Framing convention for both (librosa `center=True, pad_mode="constant"`):
//! the signal is padded with `frame_length / 2` **zeros** on each side and
//! frame `t` covers padded samples `t*hop .. t*hop + frame_length`, so it is
//! centred on input sample `t*hop`. Frame count:
//! `1 + (len + 2*(frame_length/2) - frame_length) / hop` (`1 + len/hop` for
//! even `frame_length`).

use anyhow::{bail, Result};
use rustfft::num_complex::Complex;

use crate::audio::dsp::{centered_frame_count, zero_padded_frame, RealFft};

/// Frame RMS, `librosa.feature.rms(y=y, frame_length, hop_length,
/// center=True, pad_mode="constant")`: `sqrt(mean(frame^2))` over each
/// un-windowed, zero-padded frame. Accumulated in f64, returned as f32.
pub fn rms(samples: &[f32], frame_length: usize, hop_length: usize) -> Result<Vec<f32>> {
    if frame_length == 0 || hop_length == 0 {
        bail!("rms: frame_length and hop_length must be positive");
    }
    if samples.is_empty() {
        bail!("rms of an empty signal");
    }
    let n_frames = centered_frame_count(samples.len(), frame_length, hop_length);
    let mut frame = vec![0.0f64; frame_length];
    Ok((0..n_frames)
        .map(|t| {
            zero_padded_frame(samples, t, hop_length, &mut frame);
            let mean = frame.iter().map(|v| v * v).sum::<f64>() / frame_length as f64;
            mean.sqrt() as f32
        })
        .collect())
}

/// Parameters of [`yin`] / [`YinTracker`] (librosa's names and meaning).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YinConfig {
    /// Sample rate in Hz.
    pub sample_rate: f64,
    /// Lowest detectable f0 in Hz (sets the longest period searched).
    pub fmin: f64,
    /// Highest detectable f0 in Hz (sets the shortest period searched).
    pub fmax: f64,
    /// Frame length in samples; must hold more than one period of `fmin`.
    pub frame_length: usize,
    /// Hop between frames in samples.
    pub hop_length: usize,
    /// librosa's `trough_threshold`: a dip of the normalised difference
    /// function below this counts as a pitch period (default 0.1).
    pub trough_threshold: f64,
    /// *Not librosa*: frames whose RMS is below this are never marked voiced
    /// (guards against digital silence, where YIN is 0/0). Default 1e-4
    /// (-80 dBFS).
    pub voicing_min_rms: f64,
}

impl Default for YinConfig {
    /// 16 kHz speech: 65-500 Hz, 64 ms frames, 10 ms hop.
    fn default() -> Self {
        Self {
            sample_rate: 16_000.0,
            fmin: 65.0,
            fmax: 500.0,
            frame_length: 1024,
            hop_length: 160,
            trough_threshold: 0.1,
            voicing_min_rms: 1e-4,
        }
    }
}

/// Output of the YIN tracker, one entry per frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Pitch {
    /// Estimated f0 in Hz, exactly what `librosa.yin` returns (always a
    /// number: unvoiced frames still get the global-minimum estimate).
    pub f0: Vec<f64>,
    /// Value of the cumulative mean normalised difference at the chosen
    /// period (0 = perfectly periodic, ~1 = noise). The "aperiodicity".
    pub aperiodicity: Vec<f64>,
    /// This crate's voicing decision (not part of librosa.yin): `true` when a
    /// trough below `trough_threshold` was found (i.e. librosa did not have
    /// to fall back to the global minimum) **and** the frame RMS is at least
    /// `voicing_min_rms`.
    pub voiced: Vec<bool>,
}

/// Reusable YIN pitch tracker (FFT plan built once).
pub struct YinTracker {
    config: YinConfig,
    min_period: usize,
    max_period: usize,
    fft: RealFft<f64>,
}

impl YinTracker {
    /// Validates the parameters exactly like librosa (`fmin < fmax <= sr/2`,
    /// `sr / fmin < frame_length - 1`).
    pub fn new(config: YinConfig) -> Result<Self> {
        let c = &config;
        if c.hop_length == 0 || c.frame_length < 3 || c.sample_rate <= 0.0 {
            bail!("YinConfig: need hop_length > 0, frame_length >= 3, sample_rate > 0: {c:?}");
        }
        if c.fmax > c.sample_rate / 2.0 {
            bail!(
                "YinConfig: fmax={} exceeds the Nyquist frequency {}",
                c.fmax,
                c.sample_rate / 2.0
            );
        }
        if !(c.fmin > 0.0 && c.fmin < c.fmax) {
            bail!(
                "YinConfig: need 0 < fmin < fmax, got fmin={} fmax={}",
                c.fmin,
                c.fmax
            );
        }
        if c.sample_rate / c.fmin >= (c.frame_length - 1) as f64 {
            bail!(
                "YinConfig: fmin={} is too small for frame_length={} at sr={} \
                 (need sr/fmin < frame_length - 1)",
                c.fmin,
                c.frame_length,
                c.sample_rate
            );
        }
        // librosa: min_period = floor(sr/fmax), max_period = min(ceil(sr/fmin), frame_length-1)
        let min_period = (c.sample_rate / c.fmax).floor() as usize;
        let max_period = ((c.sample_rate / c.fmin).ceil() as usize).min(c.frame_length - 1);
        if min_period < 1 || max_period < min_period + 1 {
            bail!("YinConfig: period range {min_period}..={max_period} is too narrow");
        }
        // Zero-pad to >= 2*frame_length - 1 so circular = linear correlation.
        let fft_len = (2 * c.frame_length - 1).next_power_of_two();
        Ok(Self {
            config,
            min_period,
            max_period,
            fft: RealFft::new(fft_len)?,
        })
    }

    /// The configuration this tracker was built with.
    pub fn config(&self) -> YinConfig {
        self.config
    }

    /// Shortest and longest candidate periods in samples.
    pub fn period_range(&self) -> (usize, usize) {
        (self.min_period, self.max_period)
    }

    /// Runs YIN over `samples` (see the module docs for framing).
    pub fn track(&self, samples: &[f32]) -> Result<Pitch> {
        if samples.is_empty() {
            bail!("yin of an empty signal");
        }
        if let Some(i) = samples.iter().position(|s| !s.is_finite()) {
            bail!("yin input sample {i} is not finite ({})", samples[i]);
        }
        let c = &self.config;
        let fl = c.frame_length;
        let n_frames = centered_frame_count(samples.len(), fl, c.hop_length);
        let n_lags = self.max_period - self.min_period + 1;

        let mut frame = vec![0.0f64; fl];
        let mut padded = vec![0.0f64; self.fft.len()];
        let mut spectrum = vec![Complex::new(0.0, 0.0); self.fft.spectrum_len()];
        let mut acf = vec![0.0f64; self.fft.len()];
        let mut scratch = self.fft.make_scratch();
        let mut diff = vec![0.0f64; self.max_period + 1];
        let mut cmnd = vec![0.0f64; n_lags];

        let mut out = Pitch {
            f0: Vec::with_capacity(n_frames),
            aperiodicity: Vec::with_capacity(n_frames),
            voiced: Vec::with_capacity(n_frames),
        };
        for t in 0..n_frames {
            zero_padded_frame(samples, t, c.hop_length, &mut frame);

            // Autocorrelation via FFT (librosa.autocorrelate): irfft(|rfft(x)|^2).
            padded[..fl].copy_from_slice(&frame);
            self.fft.forward(&padded, &mut spectrum, &mut scratch)?;
            for s in spectrum.iter_mut() {
                *s = Complex::new(s.norm_sqr(), 0.0);
            }
            self.fft.inverse(&spectrum, &mut acf, &mut scratch)?;
            let scale = 1.0 / self.fft.len() as f64;

            // librosa's difference function:
            //   d(0) = 0,  d(k) = 2 (acf(0) - acf(k)) - sum_{m<k} x(m)^2
            // (an approximation of the textbook YIN difference that omits
            // the energy of the frame's last k samples).
            let acf0 = acf[0] * scale;
            let mut energy = 0.0; // running sum_{m<k} x(m)^2
            diff[0] = 0.0;
            for k in 1..=self.max_period {
                energy += frame[k - 1] * frame[k - 1];
                diff[k] = 2.0 * (acf0 - acf[k] * scale) - energy;
            }

            // Cumulative mean normalised difference for tau in min..=max:
            //   d'(tau) = d(tau) / (mean_{1<=j<=tau} d(j) + tiny)
            let mut running = 0.0;
            for k in 1..=self.max_period {
                running += diff[k];
                if k >= self.min_period {
                    let mean = running / k as f64;
                    cmnd[k - self.min_period] = diff[k] / (mean + f64::MIN_POSITIVE);
                }
            }

            let (index, found) = pick_trough(&cmnd, c.trough_threshold);
            let period = (self.min_period + index) as f64 + parabolic_shift(&cmnd, index);
            out.f0.push(c.sample_rate / period);
            out.aperiodicity.push(cmnd[index]);
            let frame_rms = (acf0 / fl as f64).max(0.0).sqrt();
            out.voiced.push(found && frame_rms >= c.voicing_min_rms);
        }
        Ok(out)
    }
}

/// librosa's trough rule on the normalised difference `x`:
/// a lag is a trough if `x[i] < x[i-1] and x[i] <= x[i+1]` (first lag:
/// `x[0] < x[1]`; last lag: `x[n-1] < x[n-2]`). The first trough below
/// `threshold` wins; if there is none, the global minimum (first occurrence)
/// is used. Returns `(index, found_below_threshold)`.
fn pick_trough(x: &[f64], threshold: f64) -> (usize, bool) {
    let n = x.len();
    let is_trough = |i: usize| -> bool {
        if i == 0 {
            x[0] < x[1]
        } else if i == n - 1 {
            x[n - 1] < x[n - 2]
        } else {
            x[i] < x[i - 1] && x[i] <= x[i + 1]
        }
    };
    if let Some(i) = (0..n).find(|&i| x[i] < threshold && is_trough(i)) {
        return (i, true);
    }
    // np.argmin: first index of the smallest value.
    let mut best = 0;
    for i in 1..n {
        if x[i] < x[best] {
            best = i;
        }
    }
    (best, false)
}

/// librosa's parabolic interpolation around lag `i`: with
/// `a = x[i+1] + x[i-1] - 2 x[i]` and `b = (x[i+1] - x[i-1]) / 2`, the shift
/// is `-b / a`, or 0 if `|b| >= |a|` (vertex more than one lag away) or `i` is
/// the first/last lag.
fn parabolic_shift(x: &[f64], i: usize) -> f64 {
    if i == 0 || i + 1 >= x.len() {
        return 0.0;
    }
    let a = x[i + 1] + x[i - 1] - 2.0 * x[i];
    let b = (x[i + 1] - x[i - 1]) / 2.0;
    if b.abs() >= a.abs() {
        0.0
    } else {
        -b / a
    }
}

/// One-shot `librosa.yin(y, fmin, fmax, sr, frame_length, hop_length,
/// trough_threshold, center=True, pad_mode="constant")` plus this crate's
/// aperiodicity and voicing outputs. Use [`YinTracker`] to reuse the plan.
pub fn yin(samples: &[f32], config: YinConfig) -> Result<Pitch> {
    YinTracker::new(config)?.track(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(f: f64, sr: f64, n: usize, amp: f64) -> Vec<f32> {
        (0..n)
            .map(|i| (amp * (2.0 * std::f64::consts::PI * f * i as f64 / sr).sin()) as f32)
            .collect()
    }

    #[test]
    fn rms_of_constant_and_sine() {
        let r = rms(&[0.5; 4096], 1024, 256).unwrap();
        assert_eq!(r.len(), 1 + 4096 / 256);
        // Interior frames see only 0.5; the first frame is half zero padding.
        assert!((r[8] - 0.5).abs() < 1e-7);
        assert!((r[0] - (0.25f64 / 2.0).sqrt() as f32).abs() < 1e-7);
        let s = rms(&sine(440.0, 16000.0, 16000, 1.0), 800, 160).unwrap();
        // 800 samples = 22 whole periods of 440 Hz, so the mean square is 1/2.
        assert!((s[50] - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-3);
        assert!(rms(&[], 10, 5).is_err());
    }

    #[test]
    fn yin_finds_sine_pitch() {
        let p = yin(&sine(200.0, 16000.0, 16000, 0.5), YinConfig::default()).unwrap();
        assert_eq!(p.f0.len(), 101);
        for t in 10..90 {
            assert!((p.f0[t] - 200.0).abs() < 0.5, "frame {t}: {}", p.f0[t]);
            assert!(p.voiced[t]);
            assert!(p.aperiodicity[t] < 0.05);
        }
    }

    #[test]
    fn silence_is_unvoiced_and_follows_librosa_fallback() {
        let cfg = YinConfig::default();
        let p = yin(&[0.0; 3200], cfg).unwrap();
        // All-zero frames: d' == 0 everywhere, no strict trough, argmin = 0,
        // so librosa reports sr / min_period.
        let min_period = (cfg.sample_rate / cfg.fmax).floor();
        assert!(p.f0.iter().all(|&f| f == cfg.sample_rate / min_period));
        assert!(p.voiced.iter().all(|&v| !v));
    }

    #[test]
    fn trough_and_parabola_rules() {
        // Trough at index 2 below threshold.
        assert_eq!(
            pick_trough(&[0.9, 0.5, 0.05, 0.2, 0.01, 0.3], 0.1),
            (2, true)
        );
        // No trough below 0.1 -> global min (first occurrence).
        assert_eq!(pick_trough(&[0.9, 0.5, 0.3, 0.3, 0.4], 0.1), (2, false));
        // Plateau: x[i] < x[i-1] and x[i] <= x[i+1] accepts the left edge.
        assert_eq!(pick_trough(&[0.5, 0.05, 0.05, 0.5], 0.1), (1, true));
        // Symmetric parabola -> no shift; asymmetric -> shift toward lower side.
        assert_eq!(parabolic_shift(&[1.0, 0.0, 1.0], 1), 0.0);
        let s = parabolic_shift(&[1.0, 0.0, 0.5], 1);
        assert!(s > 0.0 && s < 0.5);
        assert_eq!(parabolic_shift(&[1.0, 0.0, 0.5], 0), 0.0);
    }

    #[test]
    fn config_validation_matches_librosa() {
        let ok = YinConfig::default();
        assert!(YinTracker::new(YinConfig { fmax: 9000.0, ..ok }).is_err());
        assert!(YinTracker::new(YinConfig { fmin: 600.0, ..ok }).is_err());
        assert!(YinTracker::new(YinConfig { fmin: 15.0, ..ok }).is_err());
        let t = YinTracker::new(ok).unwrap();
        assert_eq!(t.period_range(), (32, 247));
    }
}
