//! Short-Time Objective Intelligibility (STOI, Taal et al. 2010/2011) and extended
//! STOI (Jensen & Taal 2016), reproducing `pystoi.stoi` (pystoi 0.4.1) step by step.
//!
//! Conventions (all as pystoi):
//!
//! * Internal rate 10 kHz. Other rates are resampled with pystoi's `resample_oct`: a
//!   Kaiser-windowed sinc FIR designed like Octave's `resample` (rejection 60 dB,
//!   roll-off 10 % of the stop-band edge `1 / (2 max(p, q))`, normalised to unit sum)
//!   applied through SciPy's `resample_poly` (zero padding outside the signal; filter
//!   delay compensated by SciPy's `n_pre_pad` / `n_pre_remove` rule; output length
//!   `ceil(n * p / q)`).
//! * Frames of 256 samples, hop 128, window `np.hanning(258)[1:-1]`; frame starts are
//!   `range(0, len - 256, 128)` (a frame ending exactly at the last sample is *not*
//!   used, as in pystoi).
//! * Silent frames: frames whose clean-signal energy `20 log10(||w x|| + eps)` is not
//!   more than 40 dB below the loudest frame are kept; kept windowed frames of both
//!   signals are overlap-added (hop 128) into new signals.
//! * STFT: 512-point FFT of the windowed 256-sample frames (same frame rule), 15
//!   one-third-octave bands from 150 Hz (band edges snapped to the nearest FFT bin,
//!   upper edge exclusive), band magnitudes `sqrt(sum |X|^2)`.
//! * Segments of 30 frames (every start). Standard STOI: scale the processed segment
//!   to the clean segment's norm, clip at `x (1 + 10^(15/20))` (beta = -15 dB), then
//!   average the correlation coefficients over bands and segments. Extended STOI:
//!   row- then column-normalise (mean and norm) each segment and average
//!   `sum(x_n * y_n) / 30` over segments.
//! * Fewer than 30 STFT frames after silence removal: pystoi warns and returns
//!   `1e-5`; so does this function (returns `Ok(`[`TOO_FEW_FRAMES_SCORE`]`)`).
//!
//! Deliberate differences: pystoi's extended mode adds `eps * N(0, 1)` random noise
//! before each normalisation (to avoid division by zero). This implementation adds no
//! noise; where pystoi's result would be decided by that noise (a band row or frame
//! column that is exactly constant within a segment, e.g. digital silence in the
//! processed signal) the normalised row/column is taken as zero. Elsewhere the effect
//! of the noise is of the order of 1e-15.

use anyhow::{bail, ensure, Result};
use rustfft::num_complex::Complex;
use rustfft::FftPlanner;

/// Internal sampling rate of STOI (Hz).
pub const FS: u32 = 10_000;
/// Frame length (samples at 10 kHz).
pub const N_FRAME: usize = 256;
/// FFT size.
pub const NFFT: usize = 512;
/// Number of one-third-octave bands.
pub const NUM_BANDS: usize = 15;
/// Centre frequency of the lowest band (Hz).
pub const MIN_FREQ: f64 = 150.0;
/// Frames per intermediate-intelligibility segment.
pub const N_SEG: usize = 30;
/// Lower signal-to-distortion bound (dB) for the clipping step.
pub const BETA: f64 = -15.0;
/// Dynamic range (dB) for silent-frame removal.
pub const DYN_RANGE: f64 = 40.0;
/// Value returned (like pystoi) when fewer than [`N_SEG`] frames remain after
/// silent-frame removal.
pub const TOO_FEW_FRAMES_SCORE: f64 = 1e-5;

const EPS: f64 = f64::EPSILON;

/// STOI (or extended STOI) of `processed` against the reference `clean`, both sampled
/// at `fs` Hz. Matches `pystoi.stoi(clean, processed, fs, extended)`.
///
/// # Errors
/// * the signals differ in length (pystoi raises),
/// * `fs` is 0, or a sample is not finite,
/// * the signal (after resampling to 10 kHz) has at most 256 samples, so no frame
///   can be formed (pystoi fails with a NumPy error there).
///
/// Too few frames after silence removal is *not* an error: like pystoi (which also
/// warns), the function returns `Ok(1e-5)` ([`TOO_FEW_FRAMES_SCORE`]).
pub fn stoi(clean: &[f64], processed: &[f64], fs: u32, extended: bool) -> Result<f64> {
    ensure!(
        clean.len() == processed.len(),
        "clean and processed signals must have the same length, found {} and {}",
        clean.len(),
        processed.len()
    );
    ensure!(fs > 0, "sampling rate must be positive");
    if let Some(i) = clean.iter().position(|v| !v.is_finite()) {
        bail!("clean signal has a non-finite sample at index {i}");
    }
    if let Some(i) = processed.iter().position(|v| !v.is_finite()) {
        bail!("processed signal has a non-finite sample at index {i}");
    }
    let (x, y) = if fs != FS {
        let filter = ResampleFilter::new(FS, fs)?;
        (filter.apply(clean), filter.apply(processed))
    } else {
        (clean.to_vec(), processed.to_vec())
    };
    ensure!(
        x.len() > N_FRAME,
        "signal too short for STOI: {} samples at 10 kHz ({} at {fs} Hz), need more than {N_FRAME}",
        x.len(),
        clean.len()
    );
    let window = hann_window();
    let (x, y) = remove_silent_frames(&x, &y, &window);
    let x_tob = third_octave_magnitudes(&x, &window);
    let y_tob = third_octave_magnitudes(&y, &window);
    let frames = x_tob.len();
    if frames < N_SEG {
        return Ok(TOO_FEW_FRAMES_SCORE);
    }
    let segments = frames - N_SEG + 1;
    if extended {
        Ok(extended_score(&x_tob, &y_tob, segments))
    } else {
        Ok(standard_score(&x_tob, &y_tob, segments))
    }
}

/// `np.hanning(N_FRAME + 2)[1:-1]`.
fn hann_window() -> Vec<f64> {
    let m = (N_FRAME + 2) as f64;
    (1..=N_FRAME)
        .map(|k| {
            let n = 1.0 - m + 2.0 * k as f64;
            0.5 + 0.5 * (std::f64::consts::PI * n / (m - 1.0)).cos()
        })
        .collect()
}

/// Frame start indices as pystoi: `range(0, len - framelen, hop)`.
fn frame_starts(len: usize, framelen: usize, hop: usize) -> impl Iterator<Item = usize> {
    (0..len.saturating_sub(framelen)).step_by(hop)
}

/// pystoi's `remove_silent_frames` (mask from the clean signal, windowed frames,
/// overlap-add with hop `N_FRAME / 2`).
fn remove_silent_frames(x: &[f64], y: &[f64], w: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let hop = N_FRAME / 2;
    let starts: Vec<usize> = frame_starts(x.len(), N_FRAME, hop).collect();
    let energies: Vec<f64> = starts
        .iter()
        .map(|&s| {
            let e: f64 = x[s..s + N_FRAME]
                .iter()
                .zip(w)
                .map(|(v, wv)| (v * wv) * (v * wv))
                .sum();
            20.0 * (e.sqrt() + EPS).log10()
        })
        .collect();
    let max_e = energies.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let kept: Vec<usize> = starts
        .iter()
        .zip(&energies)
        .filter(|(_, &e)| (max_e - DYN_RANGE - e) < 0.0)
        .map(|(&s, _)| s)
        .collect();
    if kept.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let out_len = (kept.len() - 1) * hop + N_FRAME;
    let mut xo = vec![0.0; out_len];
    let mut yo = vec![0.0; out_len];
    for (k, &s) in kept.iter().enumerate() {
        let o = k * hop;
        for t in 0..N_FRAME {
            xo[o + t] += w[t] * x[s + t];
            yo[o + t] += w[t] * y[s + t];
        }
    }
    (xo, yo)
}

/// pystoi's `thirdoct(10000, 512, 15, 150)`: for each band, the FFT bin range
/// `[lo, hi)` (edges snapped to the nearest bin).
fn band_bins() -> [(usize, usize); NUM_BANDS] {
    let f: Vec<f64> = (0..=NFFT / 2)
        .map(|i| i as f64 * (f64::from(FS) / NFFT as f64))
        .collect();
    let nearest = |target: f64| -> usize {
        let mut best = 0;
        let mut best_d = f64::INFINITY;
        for (i, &fi) in f.iter().enumerate() {
            let d = (fi - target) * (fi - target);
            if d < best_d {
                best_d = d;
                best = i;
            }
        }
        best
    };
    let mut bands = [(0, 0); NUM_BANDS];
    for (k, band) in bands.iter_mut().enumerate() {
        let kf = k as f64;
        let lo = MIN_FREQ * 2f64.powf((2.0 * kf - 1.0) / 6.0);
        let hi = MIN_FREQ * 2f64.powf((2.0 * kf + 1.0) / 6.0);
        *band = (nearest(lo), nearest(hi));
    }
    bands
}

/// STFT (pystoi `stft`, overlap 2) followed by the one-third-octave band matrix:
/// one `[f64; NUM_BANDS]` of band magnitudes per frame.
fn third_octave_magnitudes(x: &[f64], w: &[f64]) -> Vec<[f64; NUM_BANDS]> {
    let bands = band_bins();
    let mut planner = FftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(NFFT);
    let mut buf = vec![Complex::new(0.0, 0.0); NFFT];
    let mut scratch = vec![Complex::new(0.0, 0.0); fft.get_inplace_scratch_len()];
    let mut power = vec![0.0; NFFT / 2 + 1];
    frame_starts(x.len(), N_FRAME, N_FRAME / 2)
        .map(|s| {
            for (i, b) in buf.iter_mut().enumerate() {
                *b = if i < N_FRAME {
                    Complex::new(w[i] * x[s + i], 0.0)
                } else {
                    Complex::new(0.0, 0.0)
                };
            }
            fft.process_with_scratch(&mut buf, &mut scratch);
            for (p, c) in power.iter_mut().zip(&buf) {
                *p = c.norm_sqr();
            }
            let mut out = [0.0; NUM_BANDS];
            for (o, &(lo, hi)) in out.iter_mut().zip(&bands) {
                *o = power[lo..hi].iter().sum::<f64>().sqrt();
            }
            out
        })
        .collect()
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Classic STOI: average correlation of clipped, normalised band envelopes.
fn standard_score(x_tob: &[[f64; NUM_BANDS]], y_tob: &[[f64; NUM_BANDS]], segments: usize) -> f64 {
    let clip = 10f64.powf(-BETA / 20.0);
    let mut total = 0.0;
    let mut xs = [0.0; N_SEG];
    let mut ys = [0.0; N_SEG];
    for m in 0..segments {
        for b in 0..NUM_BANDS {
            for t in 0..N_SEG {
                xs[t] = x_tob[m + t][b];
                ys[t] = y_tob[m + t][b];
            }
            let c = norm(&xs) / (norm(&ys) + EPS);
            for t in 0..N_SEG {
                ys[t] = (ys[t] * c).min(xs[t] * (1.0 + clip));
            }
            let my = mean(&ys);
            let mx = mean(&xs);
            for t in 0..N_SEG {
                ys[t] -= my;
                xs[t] -= mx;
            }
            let ny = norm(&ys) + EPS;
            let nx = norm(&xs) + EPS;
            total += xs
                .iter()
                .zip(&ys)
                .map(|(a, b)| (a / nx) * (b / ny))
                .sum::<f64>();
        }
    }
    total / (segments * NUM_BANDS) as f64
}

/// pystoi's `row_col_normalize` for one segment (bands x frames), without the random
/// dithering (see module docs); constant rows/columns become zero.
fn row_col_normalize(seg: &mut [[f64; N_SEG]; NUM_BANDS]) {
    for row in seg.iter_mut() {
        let m = mean(row);
        row.iter_mut().for_each(|v| *v -= m);
        let n = norm(row);
        let inv = if n > 0.0 { 1.0 / n } else { 0.0 };
        row.iter_mut().for_each(|v| *v *= inv);
    }
    for t in 0..N_SEG {
        let m = seg.iter().map(|r| r[t]).sum::<f64>() / NUM_BANDS as f64;
        seg.iter_mut().for_each(|r| r[t] -= m);
        let n = seg.iter().map(|r| r[t] * r[t]).sum::<f64>().sqrt();
        let inv = if n > 0.0 { 1.0 / n } else { 0.0 };
        seg.iter_mut().for_each(|r| r[t] *= inv);
    }
}

/// Extended STOI (Jensen & Taal 2016) as in pystoi.
fn extended_score(x_tob: &[[f64; NUM_BANDS]], y_tob: &[[f64; NUM_BANDS]], segments: usize) -> f64 {
    let mut total = 0.0;
    let mut xs = [[0.0; N_SEG]; NUM_BANDS];
    let mut ys = [[0.0; N_SEG]; NUM_BANDS];
    for m in 0..segments {
        for b in 0..NUM_BANDS {
            for t in 0..N_SEG {
                xs[b][t] = x_tob[m + t][b];
                ys[b][t] = y_tob[m + t][b];
            }
        }
        row_col_normalize(&mut xs);
        row_col_normalize(&mut ys);
        for b in 0..NUM_BANDS {
            for t in 0..N_SEG {
                total += xs[b][t] * ys[b][t] / N_SEG as f64;
            }
        }
    }
    total / segments as f64
}

/// pystoi's `utils.resample_oct(x, p, q)`: resample `x` by the rational factor
/// `p / q` (e.g. `p = 10000`, `q = 16000`) with pystoi's Octave-style Kaiser-windowed
/// FIR and SciPy `resample_poly`'s conventions (zero padding, delay compensation,
/// output length `ceil(len * p' / q')` with `p' / q'` the reduced ratio). Returns a
/// copy of `x` when `p == q`.
///
/// # Errors
/// If `p` or `q` is 0.
pub fn resample_oct(x: &[f64], p: u32, q: u32) -> Result<Vec<f64>> {
    Ok(ResampleFilter::new(p, q)?.apply(x))
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Modified Bessel function of the first kind, order 0 (power series; converges to
/// full double precision for the small arguments used here).
fn bessel_i0(x: f64) -> f64 {
    let q = x * x / 4.0;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1.0;
    while term > sum * 1e-18 {
        term *= q / (k * k);
        sum += term;
        k += 1.0;
    }
    sum
}

/// `np.sinc`.
fn sinc(x: f64) -> f64 {
    let y = std::f64::consts::PI * if x == 0.0 { 1.0e-20 } else { x };
    y.sin() / y
}

/// pystoi's `resample_oct(x, p, q)`: `_resample_window_oct` filter + SciPy
/// `resample_poly` with that window (up = p / g, down = q / g).
struct ResampleFilter {
    up: usize,
    down: usize,
    /// Polyphase decomposition of the filter (already multiplied by `up` and
    /// zero-padded in front as `resample_poly` does): `phases[ph][L - 1 - j]` is tap
    /// `h[ph + j * up]`, i.e. each phase is stored reversed so that an output sample
    /// is a dot product with a contiguous window of the input.
    phases: Vec<Vec<f64>>,
    n_pre_remove: usize,
}

impl ResampleFilter {
    fn new(p: u32, q: u32) -> Result<Self> {
        ensure!(
            p > 0 && q > 0,
            "resampling factors must be positive, got {p}/{q}"
        );
        if p == q {
            return Ok(ResampleFilter {
                up: 1,
                down: 1,
                phases: vec![vec![1.0]],
                n_pre_remove: 0,
            });
        }
        let g = gcd(u64::from(p), u64::from(q));
        // pystoi: p /= gcd; q /= gcd (floats)
        let pf = (u64::from(p) / g) as f64;
        let qf = (u64::from(q) / g) as f64;
        let log10_rejection = -3.0;
        let stopband_cutoff_f = 1.0 / (2.0 * pf.max(qf));
        let roll_off_width = stopband_cutoff_f / 10.0;
        let rejection_db = -20.0 * log10_rejection;
        let l = ((rejection_db - 8.0) / (28.714 * roll_off_width)).ceil();
        let beta = if (21.0..=50.0).contains(&rejection_db) {
            0.5842 * (rejection_db - 21.0_f64).powf(0.4) + 0.07886 * (rejection_db - 21.0)
        } else if rejection_db > 50.0 {
            0.1102 * (rejection_db - 8.7)
        } else {
            0.0
        };
        let len = (2.0 * l + 1.0) as usize;
        let alpha = (len as f64 - 1.0) / 2.0;
        let i0_beta = bessel_i0(beta);
        let mut h: Vec<f64> = (0..len)
            .map(|n| {
                let t = -l + n as f64;
                let ideal = 2.0 * pf * stopband_cutoff_f * sinc(2.0 * stopband_cutoff_f * t);
                let r = (n as f64 - alpha) / alpha;
                let kaiser = bessel_i0(beta * (1.0 - r * r).sqrt()) / i0_beta;
                kaiser * ideal
            })
            .collect();
        let sum: f64 = h.iter().sum();
        // resample_poly: reduce p/q, window *= up, zero-pad in front
        let up = (u64::from(p) / g) as usize;
        let down = (u64::from(q) / g) as usize;
        for v in &mut h {
            *v = *v / sum * up as f64;
        }
        let half_len = (h.len() - 1) / 2;
        let n_pre_pad = down - half_len % down;
        let n_pre_remove = (half_len + n_pre_pad) / down;
        let mut padded = vec![0.0; n_pre_pad];
        padded.extend_from_slice(&h);
        let phases = (0..up)
            .map(|ph| {
                let mut taps: Vec<f64> = padded.iter().skip(ph).step_by(up).copied().collect();
                taps.reverse();
                taps
            })
            .collect();
        Ok(ResampleFilter {
            up,
            down,
            phases,
            n_pre_remove,
        })
    }

    /// Output length `ceil(n * up / down)`; samples
    /// `y[k] = sum_m h[k * down - m * up] * x[m]` for `k` in
    /// `n_pre_remove .. n_pre_remove + n_out` (zero outside the signal and past the
    /// end of the filter, as SciPy's `upfirdn` in constant mode).
    fn apply(&self, x: &[f64]) -> Vec<f64> {
        let n_in = x.len();
        let n_out = (n_in * self.up).div_ceil(self.down);
        (self.n_pre_remove..self.n_pre_remove + n_out)
            .map(|k| {
                let n = k * self.down;
                let taps = &self.phases[n % self.up];
                let lt = taps.len();
                // tap j multiplies x[m_top - j]; stored reversed at index lt - 1 - j
                let m_top = n / self.up;
                let m_hi = m_top.min(n_in.saturating_sub(1));
                let m_lo = (m_top + 1).saturating_sub(lt);
                if n_in == 0 || m_lo > m_hi {
                    return 0.0;
                }
                let t0 = lt - 1 - (m_top - m_lo);
                dot(&taps[t0..t0 + (m_hi - m_lo + 1)], &x[m_lo..=m_hi])
            })
            .collect()
    }
}

/// Dot product with four partial sums (vectorisable; rounding differs from a
/// sequential sum only in the last bits).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..4 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        s += x * y;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hann_matches_numpy_definition() {
        let w = hann_window();
        assert_eq!(w.len(), 256);
        // np.hanning(258)[1] = 0.5 - 0.5 cos(2 pi / 257)
        let expected = 0.5 + 0.5 * (std::f64::consts::PI * (-255.0) / 257.0).cos();
        assert!((w[0] - expected).abs() < 1e-15);
        assert!((w[0] - w[255]).abs() < 1e-15);
        assert!(w.iter().all(|&v| v > 0.0 && v < 1.0));
    }

    #[test]
    fn third_octave_bins_match_pystoi() {
        // pystoi.utils.thirdoct(10000, 512, 15, 150): nonzero columns per band
        let bins = band_bins();
        assert_eq!(bins[0], (7, 9));
        assert_eq!(bins[14], (174, 219));
    }

    #[test]
    fn bessel_i0_values() {
        // scipy.special.i0
        assert!((bessel_i0(0.0) - 1.0).abs() < 1e-16);
        assert!((bessel_i0(1.0) - 1.266_065_877_752_008_4).abs() < 1e-15);
        assert!((bessel_i0(5.65326) / 49.048_459_302_582_02 - 1.0).abs() < 1e-14);
    }

    fn tone_bursts(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let t = i as f64 / 10_000.0;
                let gate = if (t * 3.0).fract() < 0.6 { 1.0 } else { 0.0 };
                gate * ((2.0 * std::f64::consts::PI * 440.0 * t).sin()
                    + 0.5 * (2.0 * std::f64::consts::PI * 1250.0 * t).sin())
            })
            .collect()
    }

    #[test]
    fn silent_processed_signal() {
        // pystoi gives exactly 0 for standard STOI here. Its extended STOI is decided
        // by its random dithering (two runs of pystoi 0.4.1 gave -0.0038 and 0.0032);
        // without dithering the zero rows stay zero and the score is 0.
        let x = tone_bursts(20_000);
        let y = vec![0.0; x.len()];
        assert_eq!(stoi(&x, &y, 10_000, false).unwrap(), 0.0);
        assert_eq!(stoi(&x, &y, 10_000, true).unwrap(), 0.0);
        assert!((stoi(&x, &x, 10_000, false).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn errors_and_short_signals() {
        let a = vec![0.1; 1000];
        assert!(stoi(&a, &a[..999], 10_000, false).is_err());
        assert!(stoi(&a[..200], &a[..200], 10_000, false).is_err());
        assert!(stoi(&a, &a, 0, false).is_err());
        let mut nan = a.clone();
        nan[3] = f64::NAN;
        assert!(stoi(&a, &nan, 10_000, false).is_err());
        // 1000 samples: fewer than 30 frames -> pystoi's 1e-5
        assert_eq!(stoi(&a, &a, 10_000, false).unwrap(), TOO_FEW_FRAMES_SCORE);
    }
}
