//! Speech data augmentation, deterministic by seed.
//!
//! Everything random here draws from labbook's one generator,
//! [`crate::util::rng::Rng`] (SplitMix64), so an augmentation is reproduced exactly
//! from its `u64` seed (same seed → same samples). The generator itself is plain
//! integer arithmetic, identical everywhere; Gaussian draws go through `ln`/`cos`,
//! whose last bit may differ between platform maths libraries.
//!
//! | what                         | functions                                                   |
//! |------------------------------|-------------------------------------------------------------|
//! | noise sources                | [`white_noise`], [`pink_noise`]                             |
//! | additive noise at an SNR     | [`mix_at_snr`], [`mix_at_snr_active`], [`mix_at_snr_with`]  |
//! | room impulse responses       | [`rir_image_source`], [`rir_exponential`], [`schroeder_rt60`] |
//! | reverberation                | [`reverberate`], [`reverberate_with`]                       |
//! | speed perturbation           | [`speed_perturb`]                                           |
//! | gain                         | [`gain_db`], [`random_gain`]                                |
//! | a whole recipe               | [`Recipe`] (alias [`Chain`])                                |
//!
//! Conventions (the README repeats them with measured numbers):
//!
//! * **SNR** is `10·log10(P_clean / P_noise)` with `P` the mean square. By default
//!   `P_clean` is taken over the *whole* clean signal, silences included; the
//!   "active" variant takes it only over frames whose energy is within
//!   [`ACTIVE_THRESHOLD_DB`] of the loudest frame (speech-active SNR). `P_noise`
//!   is always over the whole mixture length (noise is assumed stationary).
//! * **RIRs** put time zero (the emission) at index 0, so the direct path sits at
//!   `distance / c · sample_rate`; they are scaled so the direct-path peak is 1.
//! * **Reverberation** output has the input's length and is aligned to the
//!   direct path (the first peak reaching half the RIR's maximum, see
//!   [`direct_path_index`]), so the dry and wet signals line up.
//! * **Speed perturbation** is Kaldi/sox `speed`: tempo and pitch both change by
//!   `factor`, the length becomes `len / factor`.

use std::f64::consts::{LN_10, PI};

use anyhow::{bail, ensure, Context, Result};
use rustfft::num_complex::Complex;
use rustfft::FftPlanner;

use super::resample::resample;
use super::wav::{pcm16, PCM16_SCALE};
use crate::util::rng::{derive_seed, Rng};

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/// Mean square (power) of `x`, accumulated in f64; 0 for an empty slice.
pub fn mean_square(x: &[f32]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    x.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>() / x.len() as f64
}

fn db_to_amplitude(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

fn ensure_finite(x: &[f32], what: &str) -> Result<()> {
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        bail!("{what} has a non-finite sample ({}) at index {i}", x[i]);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Noise sources
// ---------------------------------------------------------------------------

/// `n` samples of Gaussian white noise, N(0, 1) (so RMS ≈ 1, peaks around ±4):
/// a noise *source*, meant to be scaled by [`mix_at_snr`], not written as is.
pub fn white_noise(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.normal() as f32).collect()
}

/// Samples the pinking filter runs before output starts, so its slowest section
/// (pole 0.99886, time constant ≈ 880 samples) has forgotten its zero start.
const PINK_WARMUP: usize = 8192;

/// `n` samples of pink (1/f, −3 dB/octave) noise, scaled to RMS exactly 1.
///
/// Method: *filtered* white noise, Paul Kellet's "refined" pinking filter — N(0, 1)
/// white noise feeds seven first-order sections in parallel whose poles
/// (0.99886 … 0.55, plus one at −0.7616 that shapes the top octave) are spread so
/// that their summed responses approximate a 1/f power spectrum to about ±0.05 dB
/// from 2·10⁻⁴ of the sample rate (9 Hz at 44.1 kHz) up to Nyquist. The
/// alternative, Voss–McCartney (summing held random values updated at
/// octave-spaced rates), has ripple of a dB or so and notches; the filter is smoother.
pub fn pink_noise(n: usize, seed: u64) -> Vec<f32> {
    if n == 0 {
        return Vec::new();
    }
    let mut rng = Rng::new(seed);
    let mut b = [0f64; 7];
    let mut out = Vec::with_capacity(n);
    for i in 0..PINK_WARMUP + n {
        let w = rng.normal();
        b[0] = 0.99886 * b[0] + w * 0.0555179;
        b[1] = 0.99332 * b[1] + w * 0.0750759;
        b[2] = 0.96900 * b[2] + w * 0.1538520;
        b[3] = 0.86650 * b[3] + w * 0.3104856;
        b[4] = 0.55000 * b[4] + w * 0.5329522;
        b[5] = -0.7616 * b[5] - w * 0.0168980;
        let pink = b.iter().sum::<f64>() + w * 0.5362;
        b[6] = w * 0.115926;
        if i >= PINK_WARMUP {
            out.push(pink);
        }
    }
    let rms = (out.iter().map(|v| v * v).sum::<f64>() / n as f64).sqrt();
    let scale = if rms > 0.0 { 1.0 / rms } else { 1.0 };
    out.iter().map(|v| (v * scale) as f32).collect()
}

// ---------------------------------------------------------------------------
// Additive noise at a target SNR
// ---------------------------------------------------------------------------

/// Frame energies below this many dB under the loudest frame count as silence
/// for the speech-active SNR ([`SnrReference::ActiveOnly`]).
pub const ACTIVE_THRESHOLD_DB: f64 = -40.0;

/// Frame length, in samples, for the speech-active energy threshold
/// (16 ms at 16 kHz). The last frame may be shorter.
pub const ACTIVE_FRAME_LEN: usize = 256;

/// A mixture whose peak would exceed this is scaled down so its peak equals it:
/// a hair under full scale, so a later 16-bit write cannot clip.
pub const PEAK_LIMIT: f32 = 0.99;

/// Over which samples the clean signal's power is measured for the SNR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnrReference {
    /// Mean square over the whole clean signal, silences included (the common
    /// definition in augmentation pipelines; a clean file with long pauses gets
    /// relatively *less* noise than its speech-active SNR suggests).
    WholeSignal,
    /// Mean square over the frames of [`ACTIVE_FRAME_LEN`] samples whose energy is
    /// at least [`ACTIVE_THRESHOLD_DB`] relative to the loudest frame, like a
    /// speech-active level (ITU-T P.56 in spirit, much simplified).
    ActiveOnly,
}

/// The result of mixing noise into a clean signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Mixed {
    /// `rescale · (clean + noise_gain · noise_segment)`, as f32 (with
    /// [`MixOutput::Pcm16`], rounded to 16-bit values `k / 32768`).
    pub mixture: Vec<f32>,
    /// The noise as it was added into `mixture` (after gain and any rescale; before
    /// the rounding of [`MixOutput::Pcm16`]).
    pub noise: Vec<f32>,
    /// The SNR measured afterwards from the output mixture:
    /// `10·log10(P(rescale·clean) / P(mixture − rescale·clean))`, using the same
    /// [`SnrReference`] as the request ([`measure_snr_db_scaled`]).
    pub achieved_snr_db: f64,
    /// Where in the noise the segment started (it loops past the end).
    pub noise_offset: usize,
    /// The amplitude gain applied to the noise segment to reach the SNR.
    pub noise_gain: f64,
    /// `Some(g)` if the mixture would have peaked above the peak limit
    /// ([`MixOptions::peak_limit`], by default [`PEAK_LIMIT`]) and both
    /// clean and noise were multiplied by `g < 1` (the SNR is unchanged, but the
    /// clean speech inside the mixture is now `g · clean`).
    pub rescale: Option<f64>,
}

/// Power of the clean signal for the SNR, as defined by `reference`.
pub fn clean_power(clean: &[f32], reference: SnrReference) -> f64 {
    match reference {
        SnrReference::WholeSignal => mean_square(clean),
        SnrReference::ActiveOnly => {
            let frame_energy: Vec<f64> = clean.chunks(ACTIVE_FRAME_LEN).map(mean_square).collect();
            let loudest = frame_energy.iter().cloned().fold(0.0, f64::max);
            let threshold = loudest * 10f64.powf(ACTIVE_THRESHOLD_DB / 10.0);
            let (mut sum, mut count) = (0.0, 0usize);
            for (frame, &e) in clean.chunks(ACTIVE_FRAME_LEN).zip(&frame_energy) {
                if e > 0.0 && e >= threshold {
                    sum += mean_square(frame) * frame.len() as f64;
                    count += frame.len();
                }
            }
            if count == 0 {
                0.0
            } else {
                sum / count as f64
            }
        }
    }
}

/// The SNR in dB of `mixture` against the clean signal it contains:
/// `10·log10(P_clean / P(mixture − clean))`, P as in `reference`.
/// Errors if the lengths differ or either power is zero.
pub fn measure_snr_db(clean: &[f32], mixture: &[f32], reference: SnrReference) -> Result<f64> {
    measure_snr_db_scaled(clean, 1.0, mixture, reference)
}

/// The SNR in dB of `mixture` against `gain · clean` (the clean signal as it sits
/// inside a mixture that was scaled by `gain`, see [`Mixed::rescale`]):
/// `10·log10(P(gain·clean) / P(mixture − gain·clean))`, in f64, P as in `reference`.
/// Errors if the lengths differ or either power is zero.
pub fn measure_snr_db_scaled(
    clean: &[f32],
    gain: f64,
    mixture: &[f32],
    reference: SnrReference,
) -> Result<f64> {
    ensure!(
        clean.len() == mixture.len(),
        "clean has {} samples but the mixture has {}",
        clean.len(),
        mixture.len()
    );
    // The active-frame threshold is relative, so scaling the clean signal scales its power.
    let p_clean = gain * gain * clean_power(clean, reference);
    let p_noise = clean
        .iter()
        .zip(mixture)
        .map(|(&c, &m)| {
            let d = m as f64 - gain * c as f64;
            d * d
        })
        .sum::<f64>()
        / clean.len().max(1) as f64;
    ensure!(p_clean > 0.0, "the clean signal is silent: SNR undefined");
    ensure!(
        p_noise > 0.0,
        "the mixture contains no noise: SNR is infinite"
    );
    Ok(10.0 * (p_clean / p_noise).log10())
}

/// Adds `noise` to `clean` at `snr_db`, clean power over the whole signal
/// ([`SnrReference::WholeSignal`]); see [`mix_at_snr_with`].
pub fn mix_at_snr(clean: &[f32], noise: &[f32], snr_db: f64, seed: u64) -> Result<Mixed> {
    mix_at_snr_with(clean, noise, snr_db, seed, SnrReference::WholeSignal)
}

/// Adds `noise` to `clean` at a speech-active `snr_db`
/// ([`SnrReference::ActiveOnly`]); see [`mix_at_snr_with`].
pub fn mix_at_snr_active(clean: &[f32], noise: &[f32], snr_db: f64, seed: u64) -> Result<Mixed> {
    mix_at_snr_with(clean, noise, snr_db, seed, SnrReference::ActiveOnly)
}

/// The form of a [`Mixed::mixture`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MixOutput {
    /// f32 samples, as summed (the SNR is exact to about 10⁻⁶ dB).
    #[default]
    Float,
    /// 16-bit PCM values (each sample `k / 32768`, see [`super::wav::pcm16`]), ready
    /// to be written as they are. Rounding to 16 bits adds its own noise, which
    /// matters at high SNRs and for quiet signals, so the noise gain is re-tuned (up
    /// to [`PCM16_TRIES`] mixtures) until the SNR measured on the quantised mixture
    /// is within [`PCM16_STOP_DB`] of the target; the best mixture is kept, and it
    /// is an error if that one is more than [`PCM16_MAX_ERROR_DB`] off.
    Pcm16,
}

/// Most mixtures [`MixOutput::Pcm16`] tries.
pub const PCM16_TRIES: usize = 8;
/// [`MixOutput::Pcm16`] stops re-tuning once the quantised SNR is this close (dB).
pub const PCM16_STOP_DB: f64 = 0.005;
/// [`MixOutput::Pcm16`] fails if the best quantised SNR is further off than this (dB).
pub const PCM16_MAX_ERROR_DB: f64 = 0.1;

/// How [`mix_at_snr_opts`] mixes. The default is what [`mix_at_snr`] does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MixOptions {
    /// How the clean power is measured.
    pub reference: SnrReference,
    /// Where the noise segment starts: `None` draws the offset from the seed (the
    /// default); `Some(i)` starts at sample `i` of the noise (e.g. 0 for noise made
    /// for this signal, as long as it).
    pub noise_offset: Option<usize>,
    /// A mixture whose peak would exceed this is scaled down so its peak equals it
    /// (default [`PEAK_LIMIT`]).
    pub peak_limit: f64,
    /// f32 or 16-bit PCM output.
    pub output: MixOutput,
}

impl Default for MixOptions {
    fn default() -> Self {
        MixOptions {
            reference: SnrReference::WholeSignal,
            noise_offset: None,
            peak_limit: PEAK_LIMIT as f64,
            output: MixOutput::Float,
        }
    }
}

/// Adds `noise` to `clean` so that `10·log10(P_clean / P_noise) = snr_db`, with the
/// default [`MixOptions`] but for `reference`; see [`mix_at_snr_opts`].
pub fn mix_at_snr_with(
    clean: &[f32],
    noise: &[f32],
    snr_db: f64,
    seed: u64,
    reference: SnrReference,
) -> Result<Mixed> {
    let opts = MixOptions {
        reference,
        ..MixOptions::default()
    };
    mix_at_snr_opts(clean, noise, snr_db, seed, &opts)
}

/// Adds `noise` to `clean` so that `10·log10(P_clean / P_noise) = snr_db`.
///
/// 1. A segment of `noise` as long as `clean` is taken from a random offset
///    (drawn from `seed`; or [`MixOptions::noise_offset`]), looping back to the
///    start of `noise` if it is shorter.
/// 2. `P_clean` is measured as [`MixOptions::reference`] says; `P_noise` over the
///    segment. The noise gain is `sqrt(P_clean / (P_noise · 10^(snr/10)))`.
/// 3. Clean + scaled noise is summed in f64. If its peak exceeds
///    [`MixOptions::peak_limit`] both parts are scaled by the same `g` (reported in
///    [`Mixed::rescale`]), which leaves the SNR untouched.
/// 4. The achieved SNR is measured again from the output mixture
///    ([`measure_snr_db_scaled`] against `g · clean`); with [`MixOutput::Pcm16`]
///    the output is quantised and steps 2–4 repeat as that variant says.
///
/// Errors: empty or non-finite input, a non-finite `snr_db`, a silent clean
/// signal (or, for `ActiveOnly`, no active frame), a silent noise segment, an
/// offset outside the noise, or (PCM) a target the quantised mixture cannot reach.
pub fn mix_at_snr_opts(
    clean: &[f32],
    noise: &[f32],
    snr_db: f64,
    seed: u64,
    opts: &MixOptions,
) -> Result<Mixed> {
    ensure!(!clean.is_empty(), "the clean signal is empty");
    ensure!(!noise.is_empty(), "the noise signal is empty");
    ensure!(
        snr_db.is_finite(),
        "target SNR must be finite, got {snr_db}"
    );
    ensure!(
        opts.peak_limit.is_finite() && opts.peak_limit > 0.0,
        "the peak limit must be a positive number, got {}",
        opts.peak_limit
    );
    ensure_finite(clean, "the clean signal")?;
    ensure_finite(noise, "the noise signal")?;

    let p_clean = clean_power(clean, opts.reference);
    ensure!(
        p_clean > 0.0,
        "the clean signal is silent (power 0): an SNR relative to it is undefined"
    );

    let offset = match opts.noise_offset {
        Some(i) => {
            ensure!(
                i < noise.len(),
                "noise offset {i} is past the end of the noise ({} samples)",
                noise.len()
            );
            i
        }
        None => Rng::new(seed).below(noise.len()),
    };
    let segment: Vec<f64> = (0..clean.len())
        .map(|i| noise[(offset + i) % noise.len()] as f64)
        .collect();
    let p_noise = segment.iter().map(|v| v * v).sum::<f64>() / segment.len() as f64;
    ensure!(
        p_noise > 0.0,
        "the noise signal is silent (power 0 over the {} samples used from offset {offset}): \
         it cannot be scaled to any SNR",
        segment.len()
    );

    let mut noise_gain = (p_clean / (p_noise * 10f64.powf(snr_db / 10.0))).sqrt();
    let mix = |noise_gain: f64| -> Result<Mixed> {
        let sum: Vec<f64> = clean
            .iter()
            .zip(&segment)
            .map(|(&c, &n)| c as f64 + noise_gain * n)
            .collect();
        let peak = sum.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let g = if peak > opts.peak_limit {
            opts.peak_limit / peak
        } else {
            1.0
        };
        let mixture: Vec<f32> = match opts.output {
            MixOutput::Float => sum.iter().map(|v| (v * g) as f32).collect(),
            MixOutput::Pcm16 => sum
                .iter()
                .map(|v| pcm16(g * v) as f32 / PCM16_SCALE as f32)
                .collect(),
        };
        let noise_out: Vec<f32> = segment
            .iter()
            .map(|v| (v * noise_gain * g) as f32)
            .collect();
        let achieved_snr_db = measure_snr_db_scaled(clean, g, &mixture, opts.reference)?;
        Ok(Mixed {
            mixture,
            noise: noise_out,
            achieved_snr_db,
            noise_offset: offset,
            noise_gain,
            rescale: (g < 1.0).then_some(g),
        })
    };

    if opts.output == MixOutput::Float {
        return mix(noise_gain);
    }
    let mut best: Option<Mixed> = None;
    for _ in 0..PCM16_TRIES {
        let m = mix(noise_gain).with_context(|| format!("the 16-bit mixture at {snr_db} dB"))?;
        let err = m.achieved_snr_db - snr_db;
        if best
            .as_ref()
            .is_none_or(|b| err.abs() < (b.achieved_snr_db - snr_db).abs())
        {
            best = Some(m);
        }
        if err.abs() <= PCM16_STOP_DB {
            break;
        }
        noise_gain *= 10f64.powf(err / 20.0);
    }
    let m = best.context("no mixture was made")?;
    ensure!(
        (m.achieved_snr_db - snr_db).abs() <= PCM16_MAX_ERROR_DB,
        "the 16-bit mixture reaches {:.3} dB SNR, more than {PCM16_MAX_ERROR_DB} dB from the \
         target {snr_db} dB",
        m.achieved_snr_db
    );
    Ok(m)
}

// ---------------------------------------------------------------------------
// Room impulse responses
// ---------------------------------------------------------------------------

/// Speed of sound used throughout, m/s (dry air at about 20 °C).
pub const SPEED_OF_SOUND_M_S: f64 = 343.0;

/// Taps of the windowed-sinc fractional-delay filter that places each image
/// source between samples (Hann window, odd so it is centred).
pub const FRACTIONAL_DELAY_TAPS: usize = 81;
const HALF_TAPS: i64 = (FRACTIONAL_DELAY_TAPS as i64 - 1) / 2;

/// Sabine's constant `24·ln(10)/c` ≈ 0.1611 s/m, so that `RT60 = K·V / (S·α)`.
pub const SABINE_K: f64 = 24.0 * LN_10 / SPEED_OF_SOUND_M_S;

/// The uniform wall absorption `α` that Sabine's formula
/// `RT60 = 0.161·V / (S·α)` gives for a shoebox room, where `V` is the volume
/// and `S` the total wall area. Errors if `α` would exceed 1 (the requested
/// RT60 is shorter than even fully absorbing walls give by Sabine).
pub fn sabine_absorption(room_dims_m: [f64; 3], rt60_s: f64) -> Result<f64> {
    let [lx, ly, lz] = room_dims_m;
    let volume = lx * ly * lz;
    let surface = 2.0 * (lx * ly + lx * lz + ly * lz);
    let alpha = SABINE_K * volume / (surface * rt60_s);
    ensure!(
        alpha <= 1.0,
        "RT60 {rt60_s} s is too short for a {lx}×{ly}×{lz} m room: Sabine needs absorption \
         α = {alpha:.2} > 1 (the shortest possible is {:.3} s)",
        SABINE_K * volume / surface
    );
    Ok(alpha)
}

/// A max reflection order that includes every image source up to the end of
/// the RIR that [`rir_image_source`] returns (direct path + RT60), for rooms
/// of `room_dims_m`: an image at distance `d` has at most about
/// `d·sqrt(Σ 1/L²) + 3` reflections. Grows with RT60 and the inverse room
/// size; cost grows as its cube.
pub fn suggested_max_order(room_dims_m: [f64; 3], rt60_s: f64) -> usize {
    let diagonal = room_dims_m.iter().map(|l| l * l).sum::<f64>().sqrt();
    let reach = diagonal + SPEED_OF_SOUND_M_S * rt60_s.max(0.0);
    let per_metre = room_dims_m
        .iter()
        .map(|l| 1.0 / (l * l))
        .sum::<f64>()
        .sqrt();
    (reach * per_metre).ceil() as usize + 3
}

/// Adds an impulse of amplitude `amp` at fractional time `tau` (samples) to
/// `h`, spread over [`FRACTIONAL_DELAY_TAPS`] taps of a Hann-windowed sinc.
/// Taps that fall outside `h` are dropped.
fn add_fractional_impulse(h: &mut [f64], tau: f64, amp: f64) {
    let centre = tau.round() as i64;
    // sin(π(n − τ)) for n = centre + k is (−1)^k · sin(π(centre − τ)): one sin per impulse.
    let sin_centre = (PI * (centre as f64 - tau)).sin();
    for k in -HALF_TAPS..=HALF_TAPS {
        let n = centre + k;
        if n < 0 || n >= h.len() as i64 {
            continue;
        }
        let t = n as f64 - tau; // |t| ≤ HALF_TAPS + 0.5
        let sinc = if t.abs() < 1e-12 {
            1.0
        } else {
            let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
            sign * sin_centre / (PI * t)
        };
        let window = 0.5 * (1.0 + (PI * t / (HALF_TAPS + 1) as f64).cos());
        h[n as usize] += amp * sinc * window;
    }
}

/// Cut-off of the high-pass that [`rir_image_source`] applies, Hz.
pub const RIR_HIGH_PASS_HZ: f64 = 100.0;

/// The high-pass filter of Allen & Berkley (1979), as in Habets' `rir_generator`:
/// zeros at DC and at `r = exp(−2π·fc/fs)`, a pole pair at `r·e^{±j2π·fc/fs}`,
/// leading coefficient 1 (so an impulse keeps its first sample).
fn allen_berkley_high_pass(h: &mut [f64], fs: f64) {
    let w = 2.0 * PI * RIR_HIGH_PASS_HZ / fs;
    let r = (-w).exp();
    let (b1, b2) = (2.0 * r * w.cos(), -r * r);
    let a1 = -(1.0 + r);
    let (mut y1, mut y2) = (0.0, 0.0);
    for v in h.iter_mut() {
        let y0 = b1 * y1 + b2 * y2 + *v;
        *v = y0 + a1 * y1 + r * y2;
        y2 = y1;
        y1 = y0;
    }
}

fn validate_point(name: &str, p: [f64; 3], room: [f64; 3]) -> Result<()> {
    for (axis, (&v, &l)) in ["x", "y", "z"].iter().zip(p.iter().zip(&room)) {
        ensure!(
            v.is_finite() && v > 0.0 && v < l,
            "the {name} is outside the room: {axis} = {v} m, but the room spans 0 < {axis} < {l} m \
             ({name} at {p:?}, room {room:?})"
        );
    }
    Ok(())
}

/// Room impulse response of a shoebox room by the image-source method
/// (Allen & Berkley, 1979), at `sample_rate`.
///
/// * The room spans `[0, Lx]×[0, Ly]×[0, Lz]`; `src` and `mic` must be strictly inside.
/// * All six walls share one pressure reflection coefficient `β = sqrt(1 − α)`,
///   with `α` from Sabine's formula for `rt60_s` ([`sabine_absorption`]).
/// * Image sources: along each axis an image sits at `(1 − 2q)·s + 2nL`
///   (`q ∈ {0, 1}`, `n ∈ ℤ`) after `|n − q| + |n|` reflections. Images whose total
///   reflection count exceeds `max_order` are left out (0 → direct path only;
///   [`suggested_max_order`] gives one that covers the whole RIR).
/// * Each image contributes `β^reflections / distance` at delay
///   `distance / c · sample_rate` samples, through an 81-tap Hann-windowed sinc
///   (fractional delay). Index 0 is the moment of emission.
/// * Length: direct-path delay + `rt60_s` + half the filter, in samples.
/// * The result is scaled so the direct path's own largest sample is 1.0.
///
/// * The RIR is then high-passed at [`RIR_HIGH_PASS_HZ`] as Allen & Berkley do:
///   without it the pile-up of positive image pulses forms a DC drift that
///   makes the decay look far too slow (5×4×3 m at 0.6 s: T30 0.80 s instead
///   of 0.63 s, early decay time nearly doubled).
///
/// How close the decay is to the request: with one β on every reflection the
/// early decay follows Eyring (a little shorter than Sabine when `α` is large),
/// and a specular shoebox is not diffuse, so late energy travelling along the
/// longest axis (fewest reflections per metre) decays more slowly. In the tests
/// (5×4×3, 7×5.5×3.2, 4×4×4 m; 0.3 and 0.6 s) the Schroeder T30 is within 13 %;
/// elongated rooms come out longer (8×6×3 m: +28 % at 0.6 s; a 10×3×2.5 m
/// corridor: +70 to +85 %; README table). [`schroeder_rt60`] measures it.
pub fn rir_image_source(
    room_dims_m: [f64; 3],
    src: [f64; 3],
    mic: [f64; 3],
    rt60_s: f64,
    sample_rate: u32,
    max_order: usize,
) -> Result<Vec<f32>> {
    for (axis, &l) in ["x", "y", "z"].iter().zip(&room_dims_m) {
        ensure!(
            l.is_finite() && l > 0.0,
            "room dimension {axis} must be a positive length in metres, got {l}"
        );
    }
    validate_point("source", src, room_dims_m)?;
    validate_point("microphone", mic, room_dims_m)?;
    ensure!(
        rt60_s.is_finite() && rt60_s > 0.0,
        "RT60 must be a positive number of seconds, got {rt60_s}"
    );
    ensure!(sample_rate > 0, "sample rate must be positive");
    let distance = src
        .iter()
        .zip(&mic)
        .map(|(s, m)| (s - m).powi(2))
        .sum::<f64>()
        .sqrt();
    ensure!(
        distance > 1e-3,
        "source and microphone coincide ({distance} m apart): the direct path is infinite"
    );
    let alpha = sabine_absorption(room_dims_m, rt60_s)?;
    let beta = (1.0 - alpha).sqrt();

    let fs = sample_rate as f64;
    let samples_per_metre = fs / SPEED_OF_SOUND_M_S;
    let direct_delay = distance * samples_per_metre;
    let len = (direct_delay + rt60_s * fs).ceil() as usize + HALF_TAPS as usize + 1;
    let last_delay = len as f64; // images arriving later than this cannot touch h

    // Per axis, every (offset from the mic, reflection count) with at most
    // `max_order` reflections.
    let order = max_order as i64;
    let axis_images = |s: f64, m: f64, l: f64| -> Vec<(f64, usize)> {
        let mut v = Vec::new();
        for n in -order..=order {
            for q in 0..=1i64 {
                let reflections = ((n - q).abs() + n.abs()) as usize;
                if reflections <= max_order {
                    let image = (1 - 2 * q) as f64 * s + 2.0 * n as f64 * l;
                    v.push((image - m, reflections));
                }
            }
        }
        v
    };
    let xs = axis_images(src[0], mic[0], room_dims_m[0]);
    let ys = axis_images(src[1], mic[1], room_dims_m[1]);
    let zs = axis_images(src[2], mic[2], room_dims_m[2]);
    let beta_pow: Vec<f64> = (0..=max_order).map(|r| beta.powi(r as i32)).collect();

    let mut h = vec![0.0f64; len];
    for &(dx, rx) in &xs {
        if dx.abs() * samples_per_metre >= last_delay {
            continue;
        }
        for &(dy, ry) in &ys {
            if rx + ry > max_order || dx.hypot(dy) * samples_per_metre >= last_delay {
                continue;
            }
            for &(dz, rz) in &zs {
                let reflections = rx + ry + rz;
                if reflections > max_order {
                    continue;
                }
                let d = (dx * dx + dy * dy + dz * dz).sqrt();
                let tau = d * samples_per_metre;
                if tau >= last_delay {
                    continue;
                }
                // 1/(4πd) spherical spreading; the 4π cancels in the normalisation.
                add_fractional_impulse(&mut h, tau, beta_pow[reflections] / d);
            }
        }
    }

    // Allen & Berkley's high-pass: every image adds a *positive* pulse, and as
    // their number grows with t² their sum builds a large slowly varying (DC)
    // part that is not sound and that would make the decay look far too slow.
    allen_berkley_high_pass(&mut h, fs);

    // Normalise by the direct path alone (through the same high-pass), so
    // "direct peak = 1" does not depend on reflections that happen to overlap it.
    let mut direct = vec![0.0f64; len];
    add_fractional_impulse(&mut direct, direct_delay, 1.0 / distance);
    allen_berkley_high_pass(&mut direct, fs);
    let direct_peak = direct.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    ensure!(direct_peak > 0.0, "the direct path fell outside the RIR");
    Ok(h.iter().map(|v| (v / direct_peak) as f32).collect())
}

/// Energy of the [`rir_exponential`] tail relative to the unit direct spike,
/// per second of RT60: a 0.5 s RIR has tail energy 5 (direct-to-reverberant
/// ratio −7 dB), whatever the sample rate.
pub const EXP_TAIL_ENERGY_PER_S: f64 = 10.0;

/// A synthetic RIR: a direct-path spike of 1.0 at index 0, then Gaussian noise
/// (from `seed`) whose amplitude decays as `exp(−3·ln10 · t / rt60)` (energy
/// −60 dB after `rt60_s`), scaled so the tail energy is
/// [`EXP_TAIL_ENERGY_PER_S`]` · rt60_s`. Length `ceil(rt60 · sample_rate) + 1`.
pub fn rir_exponential(rt60_s: f64, sample_rate: u32, seed: u64) -> Result<Vec<f32>> {
    ensure!(
        rt60_s.is_finite() && rt60_s > 0.0,
        "RT60 must be a positive number of seconds, got {rt60_s}"
    );
    ensure!(sample_rate > 0, "sample rate must be positive");
    let fs = sample_rate as f64;
    let len = (rt60_s * fs).ceil() as usize + 1;
    let decay_per_sample = 3.0 * LN_10 / (rt60_s * fs);
    let mut rng = Rng::new(seed);
    let tail: Vec<f64> = (1..len)
        .map(|n| rng.normal() * (-decay_per_sample * n as f64).exp())
        .collect();
    let energy = tail.iter().map(|v| v * v).sum::<f64>();
    let scale = if energy > 0.0 {
        (EXP_TAIL_ENERGY_PER_S * rt60_s / energy).sqrt()
    } else {
        0.0
    };
    let mut h = Vec::with_capacity(len);
    h.push(1.0f32);
    h.extend(tail.iter().map(|v| (v * scale) as f32));
    Ok(h)
}

/// Which part of the Schroeder decay curve an RT60 was extrapolated from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecayRange {
    /// −5 to −35 dB, ×2.
    T30,
    /// −5 to −25 dB, ×3 (used when the curve never reaches −35 dB).
    T20,
}

/// An RT60 measured from an impulse response.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rt60Estimate {
    /// Reverberation time in seconds (time for a 60 dB decay).
    pub rt60_s: f64,
    /// The range the straight line was fitted over.
    pub range: DecayRange,
}

/// Measures RT60 by Schroeder backward integration: the energy decay curve
/// `EDC(t) = Σ_{n ≥ t} h[n]²` (in dB re its start) is fitted by least squares
/// between −5 and −35 dB (T30; −25 dB, T20, if −35 is never reached), and the
/// fitted slope extrapolated to −60 dB.
pub fn schroeder_rt60(rir: &[f32], sample_rate: u32) -> Result<Rt60Estimate> {
    ensure!(sample_rate > 0, "sample rate must be positive");
    let mut edc = vec![0.0f64; rir.len()];
    let mut acc = 0.0;
    for (e, &v) in edc.iter_mut().zip(rir).rev() {
        acc += (v as f64) * (v as f64);
        *e = acc;
    }
    ensure!(acc > 0.0, "the impulse response is silent");
    let db: Vec<f64> = edc.iter().map(|&e| 10.0 * (e / acc).log10()).collect();
    let (range, stop) = if db.iter().any(|&d| d <= -35.0) {
        (DecayRange::T30, -35.0)
    } else if db.iter().any(|&d| d <= -25.0) {
        (DecayRange::T20, -25.0)
    } else {
        bail!("the decay curve never falls 25 dB: the impulse response is too short to measure");
    };
    // Fit dB = a + b·t over −5 ≥ dB ≥ stop.
    let points: Vec<(f64, f64)> = db
        .iter()
        .enumerate()
        .filter(|(_, &d)| d <= -5.0 && d >= stop)
        .map(|(i, &d)| (i as f64 / sample_rate as f64, d))
        .collect();
    ensure!(
        points.len() >= 2,
        "too few points on the decay curve to fit"
    );
    let n = points.len() as f64;
    let mean_t = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_d = points.iter().map(|p| p.1).sum::<f64>() / n;
    let cov = points
        .iter()
        .map(|p| (p.0 - mean_t) * (p.1 - mean_d))
        .sum::<f64>();
    let var = points.iter().map(|p| (p.0 - mean_t).powi(2)).sum::<f64>();
    let slope_db_per_s = cov / var;
    ensure!(slope_db_per_s < 0.0, "the decay curve does not decay");
    Ok(Rt60Estimate {
        rt60_s: -60.0 / slope_db_per_s,
        range,
    })
}

// ---------------------------------------------------------------------------
// Reverberation
// ---------------------------------------------------------------------------

/// How [`reverberate_with`] sets the output level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReverbLevel {
    /// Plain convolution: with a direct-peak-1 RIR the dry part keeps its
    /// level and the reverberant energy is added on top.
    Raw,
    /// The output is rescaled to the input's energy (mean square), so reverb
    /// changes the sound but not the loudness.
    PreserveEnergy,
}

/// Index of the direct path in `rir`: the first sample whose magnitude reaches
/// half the RIR's largest, then onwards to the top of that peak. (Not simply
/// the largest sample: in a small room two reflections arriving together can
/// exceed the direct sound.) 0 for an empty or silent RIR.
pub fn direct_path_index(rir: &[f32]) -> usize {
    let peak = rir.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let Some(mut i) = rir.iter().position(|v| v.abs() >= 0.5 * peak && peak > 0.0) else {
        return 0;
    };
    while i + 1 < rir.len() && rir[i + 1].abs() > rir[i].abs() {
        i += 1;
    }
    i
}

/// Full linear convolution of `a` and `b` (length `a + b − 1`) by one FFT of
/// the next power of two at least that long, in f64. Memory is about
/// 32 bytes × 2 × that size, fine for utterances (a minute at 16 kHz: ~120 MB).
fn fft_convolve(a: &[f32], b: &[f32]) -> Vec<f64> {
    if a.is_empty() || b.is_empty() {
        return Vec::new();
    }
    let full = a.len() + b.len() - 1;
    let size = full.next_power_of_two();
    let mut planner = FftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(size);
    let inverse = planner.plan_fft_inverse(size);
    let to_complex = |x: &[f32]| -> Vec<Complex<f64>> {
        let mut v: Vec<Complex<f64>> = x.iter().map(|&s| Complex::new(s as f64, 0.0)).collect();
        v.resize(size, Complex::new(0.0, 0.0));
        v
    };
    let mut fa = to_complex(a);
    let mut fb = to_complex(b);
    forward.process(&mut fa);
    forward.process(&mut fb);
    for (x, y) in fa.iter_mut().zip(&fb) {
        *x *= y;
    }
    inverse.process(&mut fa);
    // rustfft does not normalise: forward then inverse multiplies by `size`.
    fa[..full].iter().map(|c| c.re / size as f64).collect()
}

/// Convolves `x` with `rir` ([`ReverbLevel::Raw`]); see [`reverberate_with`].
pub fn reverberate(x: &[f32], rir: &[f32]) -> Vec<f32> {
    reverberate_with(x, rir, ReverbLevel::Raw)
}

/// Convolves `x` with `rir` by FFT and returns `x.len()` samples aligned to
/// the direct path: `y[n] = (x * rir)[n + d]` with `d` = [`direct_path_index`].
/// So the dry signal is not delayed, a unit impulse RIR (at any position)
/// returns `x` unchanged, and the reverberant tail past the end of `x` is cut.
/// An empty or all-zero RIR gives silence.
pub fn reverberate_with(x: &[f32], rir: &[f32], level: ReverbLevel) -> Vec<f32> {
    let full = fft_convolve(x, rir);
    if full.is_empty() {
        return vec![0.0; x.len()];
    }
    let d = direct_path_index(rir);
    let mut y: Vec<f64> = full[d..d + x.len()].to_vec();
    if level == ReverbLevel::PreserveEnergy {
        let e_in = mean_square(x);
        let e_out = y.iter().map(|v| v * v).sum::<f64>() / y.len().max(1) as f64;
        if e_out > 0.0 {
            let g = (e_in / e_out).sqrt();
            y.iter_mut().for_each(|v| *v *= g);
        }
    }
    y.iter().map(|&v| v as f32).collect()
}

// ---------------------------------------------------------------------------
// Speed perturbation and gain
// ---------------------------------------------------------------------------

/// Range of speed factors [`speed_perturb`] accepts.
pub const SPEED_RANGE: (f64, f64) = (0.5, 2.0);

/// Kaldi-style speed perturbation (what `sox … speed 1.1` does): tempo *and*
/// pitch scale by `factor`, the length by `1 / factor`. A 440 Hz tone becomes
/// `440·factor` Hz.
///
/// Implementation: the samples are taken to have been recorded at
/// `round(sample_rate · factor)` Hz and resampled to `sample_rate` with the
/// band-limited resampler (`resample`, whose delay is removed). That is the same
/// ratio as "resample `sr → sr/factor` and relabel as `sr`", but `sr · factor`
/// is an integer for the usual factors (0.9, 1.1 at 8/16/22.05/44.1/48 kHz), so
/// the ratio is exact and the output has `round(len / factor)` samples for any
/// length. (Rounding `sr / factor` instead — 16000/1.1 → 14545 — is off by
/// 3·10⁻⁵, half a sample per second of audio.) `factor` must lie in [`SPEED_RANGE`].
pub fn speed_perturb(x: &[f32], sample_rate: u32, factor: f64) -> Result<Vec<f32>> {
    ensure!(sample_rate > 0, "sample rate must be positive");
    ensure!(
        (SPEED_RANGE.0..=SPEED_RANGE.1).contains(&factor),
        "speed factor must be in [{}, {}], got {factor}",
        SPEED_RANGE.0,
        SPEED_RANGE.1
    );
    if factor == 1.0 {
        return Ok(x.to_vec());
    }
    let recorded_at = (sample_rate as f64 * factor).round() as u32;
    resample(x, recorded_at, sample_rate)
        .with_context(|| format!("speed perturbation by {factor} at {sample_rate} Hz"))
}

/// `x` scaled by `db` decibels (amplitude `10^(db/20)`). No clipping is applied.
pub fn gain_db(x: &[f32], db: f64) -> Vec<f32> {
    let g = db_to_amplitude(db);
    x.iter().map(|&v| (v as f64 * g) as f32).collect()
}

/// `x` scaled by a gain drawn uniformly in dB from `[min_db, max_db]` by `seed`.
/// Errors if the bounds are not finite or `min_db > max_db`.
pub fn random_gain(x: &[f32], min_db: f64, max_db: f64, seed: u64) -> Result<Vec<f32>> {
    let db = draw_gain_db(min_db, max_db, seed)?;
    Ok(gain_db(x, db))
}

/// The gain in dB that [`random_gain`] applies for these arguments.
pub fn draw_gain_db(min_db: f64, max_db: f64, seed: u64) -> Result<f64> {
    ensure!(
        min_db.is_finite() && max_db.is_finite() && min_db <= max_db,
        "random gain needs finite bounds with min ≤ max, got [{min_db}, {max_db}] dB"
    );
    Ok(Rng::new(seed).uniform_in(min_db, max_db))
}

// ---------------------------------------------------------------------------
// Recipes
// ---------------------------------------------------------------------------

/// Where the noise of a [`Step::Noise`] comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum NoiseSource {
    /// [`white_noise`], as long as the signal.
    White,
    /// [`pink_noise`], as long as the signal.
    Pink,
    /// A recording (same sample rate as the signal), looped/cropped from a
    /// seeded offset. `name` is only for [`Recipe::describe`].
    Recording {
        /// Label, e.g. the file stem.
        name: String,
        /// The noise samples.
        samples: Vec<f32>,
    },
}

/// Which RIR a [`Step::Reverb`] uses.
#[derive(Debug, Clone, PartialEq)]
pub enum RirSource {
    /// [`rir_image_source`] with these arguments (the sample rate is the signal's).
    ImageSource {
        /// Room size (m).
        room_dims_m: [f64; 3],
        /// Source position (m).
        src: [f64; 3],
        /// Microphone position (m).
        mic: [f64; 3],
        /// Target RT60 (s).
        rt60_s: f64,
        /// Highest reflection order kept.
        max_order: usize,
    },
    /// [`rir_exponential`] (seeded by the step's seed).
    Exponential {
        /// Target RT60 (s).
        rt60_s: f64,
    },
    /// A given RIR (same sample rate as the signal).
    Measured {
        /// Label for [`Recipe::describe`].
        name: String,
        /// The impulse response.
        rir: Vec<f32>,
    },
}

/// One augmentation in a [`Recipe`].
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// [`speed_perturb`] by this factor.
    Speed(f64),
    /// [`reverberate_with`] an RIR.
    Reverb {
        /// The RIR.
        rir: RirSource,
        /// Output level convention.
        level: ReverbLevel,
    },
    /// [`mix_at_snr_with`] noise at an SNR.
    Noise {
        /// The noise.
        source: NoiseSource,
        /// Target SNR (dB).
        snr_db: f64,
        /// How the clean power is measured.
        reference: SnrReference,
    },
    /// [`gain_db`].
    Gain(f64),
    /// [`random_gain`] in `[min_db, max_db]`.
    RandomGain {
        /// Lower bound (dB).
        min_db: f64,
        /// Upper bound (dB).
        max_db: f64,
    },
}

impl Step {
    /// A short human-readable description, e.g. `noise pink 5 dB SNR`.
    pub fn describe(&self) -> String {
        match self {
            Step::Speed(f) => format!("speed {f}"),
            Step::Reverb { rir, level } => {
                let keep = if *level == ReverbLevel::PreserveEnergy {
                    ", energy-preserving"
                } else {
                    ""
                };
                match rir {
                    RirSource::ImageSource { rt60_s, .. } => {
                        format!("reverb rt60 {rt60_s} s (image source{keep})")
                    }
                    RirSource::Exponential { rt60_s } => {
                        format!("reverb rt60 {rt60_s} s (exponential{keep})")
                    }
                    RirSource::Measured { name, .. } => format!("reverb rir '{name}'{keep}"),
                }
            }
            Step::Noise {
                source,
                snr_db,
                reference,
            } => {
                let what = match source {
                    NoiseSource::White => "white".to_string(),
                    NoiseSource::Pink => "pink".to_string(),
                    NoiseSource::Recording { name, .. } => format!("'{name}'"),
                };
                let snr = match reference {
                    SnrReference::WholeSignal => "SNR",
                    SnrReference::ActiveOnly => "active SNR",
                };
                format!("noise {what} {snr_db} dB {snr}")
            }
            Step::Gain(db) => format!("gain {db:+} dB"),
            Step::RandomGain { min_db, max_db } => format!("gain random {min_db}..{max_db} dB"),
        }
    }
}

/// A reproducible sequence of augmentations: the steps run in order on one
/// mono signal, and step `i` draws its randomness from
/// [`derive_seed`]`(seed, i)`, so the same recipe gives the same output.
///
/// ```text
/// Recipe::new(7)
///     .speed(1.1)
///     .reverb_image_source([5.0, 4.0, 3.0], [1.0, 1.5, 1.6], [3.5, 2.5, 1.4], 0.4)
///     .noise(NoiseSource::Pink, 5.0)
///     .describe()
///   == "speed 1.1 → reverb rt60 0.4 s (image source) → noise pink 5 dB SNR seed 7"
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Recipe {
    /// The one seed behind every random choice in the recipe.
    pub seed: u64,
    /// The augmentations, applied first to last.
    pub steps: Vec<Step>,
}

/// Another name for [`Recipe`].
pub type Chain = Recipe;

impl Recipe {
    /// An empty recipe (the identity) with this seed.
    pub fn new(seed: u64) -> Self {
        Recipe {
            seed,
            steps: Vec::new(),
        }
    }

    /// Appends a step.
    pub fn then(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    /// Appends [`Step::Speed`].
    pub fn speed(self, factor: f64) -> Self {
        self.then(Step::Speed(factor))
    }

    /// Appends an image-source reverb (raw level) with
    /// [`suggested_max_order`] for the room.
    pub fn reverb_image_source(
        self,
        room_dims_m: [f64; 3],
        src: [f64; 3],
        mic: [f64; 3],
        rt60_s: f64,
    ) -> Self {
        let max_order = suggested_max_order(room_dims_m, rt60_s);
        self.then(Step::Reverb {
            rir: RirSource::ImageSource {
                room_dims_m,
                src,
                mic,
                rt60_s,
                max_order,
            },
            level: ReverbLevel::Raw,
        })
    }

    /// Appends an exponential-tail reverb (raw level).
    pub fn reverb_exponential(self, rt60_s: f64) -> Self {
        self.then(Step::Reverb {
            rir: RirSource::Exponential { rt60_s },
            level: ReverbLevel::Raw,
        })
    }

    /// Appends noise at a whole-signal SNR.
    pub fn noise(self, source: NoiseSource, snr_db: f64) -> Self {
        self.then(Step::Noise {
            source,
            snr_db,
            reference: SnrReference::WholeSignal,
        })
    }

    /// Appends a fixed gain.
    pub fn gain(self, db: f64) -> Self {
        self.then(Step::Gain(db))
    }

    /// Appends a random gain in `[min_db, max_db]`.
    pub fn random_gain(self, min_db: f64, max_db: f64) -> Self {
        self.then(Step::RandomGain { min_db, max_db })
    }

    /// The seed step `index` uses.
    pub fn step_seed(&self, index: usize) -> u64 {
        derive_seed(self.seed, index as u64)
    }

    /// One line, e.g.
    /// `speed 1.1 → reverb rt60 0.4 s (image source) → noise pink 5 dB SNR seed 7`;
    /// `identity seed 7` for no steps.
    pub fn describe(&self) -> String {
        let steps = if self.steps.is_empty() {
            "identity".to_string()
        } else {
            self.steps
                .iter()
                .map(Step::describe)
                .collect::<Vec<_>>()
                .join(" → ")
        };
        format!("{steps} seed {}", self.seed)
    }

    /// Runs the steps on `x` (mono, `sample_rate` Hz). The sample rate is
    /// unchanged by every step (speed perturbation keeps it, the length changes).
    pub fn apply(&self, x: &[f32], sample_rate: u32) -> Result<Vec<f32>> {
        let mut y = x.to_vec();
        for (i, step) in self.steps.iter().enumerate() {
            let seed = self.step_seed(i);
            y = apply_step(step, &y, sample_rate, seed)
                .with_context(|| format!("augmentation step {} ({})", i + 1, step.describe()))?;
        }
        Ok(y)
    }
}

fn apply_step(step: &Step, x: &[f32], sample_rate: u32, seed: u64) -> Result<Vec<f32>> {
    Ok(match step {
        Step::Speed(factor) => speed_perturb(x, sample_rate, *factor)?,
        Step::Reverb { rir, level } => {
            let h = match rir {
                RirSource::ImageSource {
                    room_dims_m,
                    src,
                    mic,
                    rt60_s,
                    max_order,
                } => rir_image_source(*room_dims_m, *src, *mic, *rt60_s, sample_rate, *max_order)?,
                RirSource::Exponential { rt60_s } => rir_exponential(*rt60_s, sample_rate, seed)?,
                RirSource::Measured { rir, .. } => rir.clone(),
            };
            reverberate_with(x, &h, *level)
        }
        Step::Noise {
            source,
            snr_db,
            reference,
        } => {
            let noise = match source {
                NoiseSource::White => white_noise(x.len(), derive_seed(seed, 0)),
                NoiseSource::Pink => pink_noise(x.len(), derive_seed(seed, 0)),
                NoiseSource::Recording { samples, .. } => samples.clone(),
            };
            mix_at_snr_with(x, &noise, *snr_db, derive_seed(seed, 1), *reference)?.mixture
        }
        Step::Gain(db) => gain_db(x, *db),
        Step::RandomGain { min_db, max_db } => random_gain(x, *min_db, *max_db, seed)?,
    })
}

#[cfg(test)]
mod tests {
    //! Measured numbers are printed with `eprintln!`; see them with
    //! `cargo test -- --nocapture` (the README quotes them).
    use super::*;

    const SR: u32 = 16_000;

    fn tone(hz: f64, sr: u32, secs: f64, amp: f64) -> Vec<f32> {
        (0..(sr as f64 * secs).round() as usize)
            .map(|i| (amp * (2.0 * PI * hz * i as f64 / sr as f64).sin()) as f32)
            .collect()
    }

    /// A speech-like test signal: a 120 Hz harmonic complex with a 4 Hz
    /// syllabic envelope, peak below 0.5.
    fn speechy(secs: f64) -> Vec<f32> {
        let n = (SR as f64 * secs) as usize;
        (0..n)
            .map(|i| {
                let t = i as f64 / SR as f64;
                let env = 0.5 * (1.0 - (2.0 * PI * 4.0 * t).cos());
                let voice: f64 = (1..=10)
                    .map(|k| (2.0 * PI * 120.0 * k as f64 * t).sin() / k as f64)
                    .sum();
                (0.15 * env * voice) as f32
            })
            .collect()
    }

    fn energy(x: &[f32]) -> f64 {
        x.iter().map(|&v| (v as f64).powi(2)).sum()
    }

    /// Frequency from zero crossings, linearly interpolated: (crossings − 1)/2
    /// periods between the first and the last upward/downward crossing.
    fn zero_crossing_hz(x: &[f32], sr: u32) -> f64 {
        let mut times = Vec::new();
        for i in 1..x.len() {
            let (a, b) = (x[i - 1] as f64, x[i] as f64);
            if (a < 0.0 && b >= 0.0) || (a >= 0.0 && b < 0.0) {
                times.push((i - 1) as f64 + a / (a - b));
            }
        }
        let (Some(first), Some(last)) = (times.first(), times.last()) else {
            return 0.0;
        };
        (times.len() - 1) as f64 / 2.0 / ((last - first) / sr as f64)
    }

    // --- SNR -------------------------------------------------------------

    #[test]
    fn achieved_snr_is_within_a_tenth_of_a_db() {
        let clean = speechy(2.0);
        let mut worst = 0.0f64;
        let mut rescaled = 0;
        for (name, gen) in [
            ("white", white_noise as fn(usize, u64) -> Vec<f32>),
            ("pink", pink_noise),
        ] {
            for seed in [1u64, 2, 3] {
                // Noise shorter than the clean signal, so it has to loop.
                let noise = gen(SR as usize * 3 / 2, 100 + seed);
                for target in [-5.0, 0.0, 5.0, 10.0, 20.0] {
                    let m = mix_at_snr(&clean, &noise, target, seed).unwrap();
                    let err = m.achieved_snr_db - target;
                    // Independent check from the returned parts.
                    let clean_in = gain_db(&clean, 20.0 * m.rescale.unwrap_or(1.0).log10());
                    let own = 10.0 * (mean_square(&clean_in) / mean_square(&m.noise)).log10();
                    assert!(
                        err.abs() <= 0.1,
                        "{name} seed {seed} target {target}: {err}"
                    );
                    assert!((own - target).abs() <= 0.1, "{name} {target}: own {own}");
                    assert!(m.mixture.iter().all(|v| v.abs() <= PEAK_LIMIT));
                    worst = worst.max(err.abs()).max((own - target).abs());
                    rescaled += m.rescale.is_some() as usize;
                }
            }
        }
        eprintln!(
            "SNR: worst |achieved − target| over 30 mixes = {worst:.2e} dB ({rescaled} rescaled)"
        );
    }

    #[test]
    fn clipping_is_avoided_by_rescaling_without_changing_the_snr() {
        let clean = tone(300.0, SR, 1.0, 0.95);
        let noise = white_noise(SR as usize, 5);
        let m = mix_at_snr(&clean, &noise, 0.0, 9).unwrap();
        let g = m
            .rescale
            .expect("a 0.95-peak tone plus 0 dB noise must be rescaled");
        let peak = m.mixture.iter().fold(0f32, |a, v| a.max(v.abs()));
        assert!(g < 1.0 && peak <= PEAK_LIMIT, "g {g} peak {peak}");
        assert!(
            (m.achieved_snr_db - 0.0).abs() < 0.1,
            "{}",
            m.achieved_snr_db
        );
        eprintln!(
            "clipping: rescale {g:.4}, peak {peak:.4}, achieved {:.2e} dB",
            m.achieved_snr_db
        );
    }

    #[test]
    fn active_only_snr_ignores_silence() {
        // Speech for 1 s, then 1 s of silence: whole-signal power is half the active power.
        let mut clean = speechy(1.0);
        clean.extend(vec![0.0; SR as usize]);
        let noise = white_noise(clean.len(), 11);
        for target in [0.0, 10.0] {
            let m = mix_at_snr_active(&clean, &noise, target, 3).unwrap();
            assert!((m.achieved_snr_db - target).abs() <= 0.1);
            let whole = measure_snr_db(&clean, &m.mixture, SnrReference::WholeSignal).unwrap();
            // Whole-signal SNR = active SNR + 10·log10(P_whole / P_active) ≈ −3 dB.
            let ratio = clean_power(&clean, SnrReference::WholeSignal)
                / clean_power(&clean, SnrReference::ActiveOnly);
            let expected_whole = target + 10.0 * ratio.log10();
            assert!((ratio - 0.5).abs() < 0.05, "P_whole / P_active = {ratio}");
            assert!(
                (whole - expected_whole).abs() < 0.3,
                "whole {whole} vs {expected_whole}"
            );
            let plain = mix_at_snr(&clean, &noise, target, 3).unwrap();
            assert!(plain.noise_gain < m.noise_gain);
            eprintln!(
                "active SNR {target} dB: achieved {:.4} dB, whole-signal {whole:.2} dB",
                m.achieved_snr_db
            );
        }
    }

    #[test]
    fn mixing_is_deterministic_by_seed() {
        let clean = speechy(0.5);
        let noise = white_noise(SR as usize * 3, 1); // longer: the offset matters
        let a = mix_at_snr(&clean, &noise, 5.0, 7).unwrap();
        let b = mix_at_snr(&clean, &noise, 5.0, 7).unwrap();
        let c = mix_at_snr(&clean, &noise, 5.0, 8).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.mixture, c.mixture);
        assert_ne!(a.noise_offset, c.noise_offset);
        assert_eq!(white_noise(100, 3), white_noise(100, 3));
        assert_ne!(white_noise(100, 3), white_noise(100, 4));
        assert_eq!(pink_noise(100, 3), pink_noise(100, 3));
        assert_ne!(pink_noise(100, 3), pink_noise(100, 4));
    }

    fn pcm16_options(peak_limit: f64) -> MixOptions {
        MixOptions {
            noise_offset: Some(0),
            peak_limit,
            output: MixOutput::Pcm16,
            ..MixOptions::default()
        }
    }

    #[test]
    fn pcm16_mixing_is_exact_for_a_loud_item() {
        // A clean signal near full scale forces a rescale at 0 dB.
        let clean: Vec<f32> = (0..16_000)
            .map(|i| ((i as f64 * 0.05).sin() * 30_000.0) as i16 as f32 / 32768.0)
            .collect();
        let noise = pink_noise(clean.len(), 5);
        let m = mix_at_snr_opts(&clean, &noise, 0.0, 0, &pcm16_options(0.98)).unwrap();
        let g = m.rescale.expect("a 0.92-peak tone plus 0 dB noise must be rescaled");
        assert!(g < 1.0);
        assert_eq!(m.noise_offset, 0);
        // Within half a 16-bit step of the limit (the limit is applied before rounding).
        assert!(m.mixture.iter().all(|&v| v.abs() as f64 <= 0.98 + 0.5 / 32768.0));
        assert!(m.mixture.iter().all(|&v| (v as f64 * 32768.0).fract() == 0.0));
        let got = measure_snr_db_scaled(&clean, g, &m.mixture, SnrReference::WholeSignal).unwrap();
        assert_eq!(got, m.achieved_snr_db);
        assert!((got - 0.0).abs() < 0.01, "{got}");
        assert!(mix_at_snr_opts(&[0.0; 100], &noise[..100], 10.0, 0, &pcm16_options(0.98)).is_err());
        let err = mix_at_snr_opts(&clean, &noise, 0.0, 0, &MixOptions {
            noise_offset: Some(clean.len()),
            ..MixOptions::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("past the end of the noise"), "{err}");
    }

    #[test]
    fn pcm16_mixing_makes_up_for_the_rounding_noise() {
        // A quiet item at a high SNR: the noise is under two 16-bit steps (RMS), so
        // rounding the plain f32 mixture to 16 bits adds a noise of its own (RMS
        // 1/√12 of a step) that lowers the SNR by more than the 0.1 dB allowed.
        let clean: Vec<f32> = speechy(1.0)
            .iter()
            .map(|&v| pcm16(v as f64 * 0.1) as f32 / 32768.0)
            .collect();
        let noise = white_noise(clean.len(), 3);
        let target = 45.0;
        let plain = mix_at_snr_opts(&clean, &noise, target, 0, &MixOptions {
            noise_offset: Some(0),
            ..MixOptions::default()
        })
        .unwrap();
        let rounded: Vec<f32> = plain
            .mixture
            .iter()
            .map(|&v| pcm16(v as f64) as f32 / 32768.0)
            .collect();
        let naive = measure_snr_db(&clean, &rounded, SnrReference::WholeSignal).unwrap();
        let m = mix_at_snr_opts(&clean, &noise, target, 0, &pcm16_options(PEAK_LIMIT as f64))
            .unwrap();
        eprintln!(
            "PCM16 at {target} dB: rounding the f32 mixture gives {naive:.3} dB; re-tuned {:.4} dB \
             (noise gain {:.3e} → {:.3e})",
            m.achieved_snr_db, plain.noise_gain, m.noise_gain
        );
        assert!(
            target - naive > PCM16_MAX_ERROR_DB,
            "rounding cost only {} dB",
            target - naive
        );
        assert!((m.achieved_snr_db - target).abs() <= PCM16_STOP_DB, "{}", m.achieved_snr_db);
        assert!(m.noise_gain < plain.noise_gain);
        // A target the rounding alone already misses is refused, not silently missed.
        let err = mix_at_snr_opts(&clean, &noise, 80.0, 0, &pcm16_options(PEAK_LIMIT as f64))
            .unwrap_err();
        let err = format!("{err:#}");
        assert!(err.contains("16-bit mixture"), "{err}");
    }

    #[test]
    fn silent_or_empty_inputs_are_named_errors() {
        let clean = speechy(0.2);
        let noise = white_noise(1000, 1);
        let err = mix_at_snr(&vec![0.0; 1000], &noise, 5.0, 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("clean signal is silent"), "{err}");
        let err = mix_at_snr(&clean, &vec![0.0; 500], 5.0, 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("noise signal is silent"), "{err}");
        assert!(mix_at_snr(&[], &noise, 5.0, 1).is_err());
        assert!(mix_at_snr(&clean, &[], 5.0, 1).is_err());
        assert!(mix_at_snr(&clean, &noise, f64::NAN, 1).is_err());
        assert!(mix_at_snr(&clean, &[f32::NAN; 10], 5.0, 1).is_err());
    }

    // --- Pink noise --------------------------------------------------------

    /// Mean power per FFT bin in octave bands, Welch-averaged (Hann, 8192-point
    /// frames, no overlap), and the least-squares slope in dB per octave.
    fn octave_slope(x: &[f32]) -> (f64, Vec<f64>) {
        const N: usize = 8192;
        let mut planner = FftPlanner::<f64>::new();
        let fft = planner.plan_fft_forward(N);
        let mut psd = vec![0.0f64; N / 2 + 1];
        let frames = x.len() / N;
        for f in 0..frames {
            let mut buf: Vec<Complex<f64>> = (0..N)
                .map(|i| {
                    let w = 0.5 - 0.5 * (2.0 * PI * i as f64 / N as f64).cos();
                    Complex::new(x[f * N + i] as f64 * w, 0.0)
                })
                .collect();
            fft.process(&mut buf);
            for (p, c) in psd.iter_mut().zip(&buf) {
                *p += c.norm_sqr();
            }
        }
        // Octaves [N/2^(k+1), N/2^k) bins for k = 1..=10: bins 4..4096.
        let mut levels = Vec::new();
        for k in (1..=10).rev() {
            let (lo, hi) = (N >> (k + 1), N >> k);
            let mean = psd[lo..hi].iter().sum::<f64>() / (hi - lo) as f64;
            levels.push(10.0 * mean.log10());
        }
        let n = levels.len() as f64;
        let mx = (n - 1.0) / 2.0;
        let my = levels.iter().sum::<f64>() / n;
        let cov: f64 = levels
            .iter()
            .enumerate()
            .map(|(i, y)| (i as f64 - mx) * (y - my))
            .sum();
        let var: f64 = (0..levels.len()).map(|i| (i as f64 - mx).powi(2)).sum();
        (cov / var, levels)
    }

    #[test]
    fn pink_noise_falls_three_db_per_octave() {
        let pink = pink_noise(1 << 20, 2024);
        let rms = mean_square(&pink).sqrt();
        assert!((rms - 1.0).abs() < 1e-4, "rms {rms}");
        let (slope, levels) = octave_slope(&pink);
        let steps: Vec<f64> = levels.windows(2).map(|w| w[1] - w[0]).collect();
        eprintln!("pink: slope {slope:.3} dB/octave; octave-to-octave steps {steps:.2?}");
        assert!((slope + 3.0).abs() <= 1.0, "slope {slope}");
        assert!(steps.iter().all(|s| (s + 3.0).abs() <= 1.0), "{steps:?}");
        let (white_slope, _) = octave_slope(&white_noise(1 << 20, 2024));
        eprintln!("white: slope {white_slope:.3} dB/octave");
        assert!(white_slope.abs() < 0.3, "white slope {white_slope}");
    }

    // --- RIRs ----------------------------------------------------------------

    fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
        a.iter()
            .zip(&b)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            .sqrt()
    }

    #[test]
    fn image_source_direct_path_arrives_after_distance_over_c() {
        let cases = [
            ([5.0, 4.0, 3.0], [1.0, 1.5, 1.6], [3.5, 2.5, 1.4]),
            ([6.0, 5.0, 2.7], [0.5, 0.5, 0.5], [5.2, 4.1, 2.0]),
            ([3.0, 3.0, 2.5], [1.2, 1.7, 1.5], [1.9, 1.1, 1.2]),
        ];
        for (room, src, mic) in cases {
            let h = rir_image_source(room, src, mic, 0.3, SR, 2).unwrap();
            let expected = distance(src, mic) / SPEED_OF_SOUND_M_S * SR as f64;
            let first = h.iter().position(|v| v.abs() > 0.5).unwrap();
            // The direct-path peak: the largest sample within 2 of the first big one.
            let peak = (first..first + 3)
                .max_by(|&a, &b| h[a].abs().total_cmp(&h[b].abs()))
                .unwrap();
            let largest = h.iter().fold(0f32, |m, v| m.max(v.abs()));
            eprintln!(
                "direct path: expected {expected:.2} samples, peak at {peak} (value {:.4}; \
                 largest sample in the RIR {largest:.3})",
                h[peak]
            );
            assert!(
                (peak as f64 - expected).abs() <= 1.0,
                "{peak} vs {expected}"
            );
            // The direct path alone peaks at exactly 1; a reflection arriving
            // within the 40-sample filter half-width can add a sinc tail of ~1 %.
            assert!((h[peak] - 1.0).abs() < 0.03, "direct peak {}", h[peak]);
            assert_eq!(direct_path_index(&h), peak);
        }
    }

    #[test]
    fn image_source_rt60_is_within_twenty_percent() {
        let rooms = [
            ([5.0, 4.0, 3.0], [1.0, 1.5, 1.6], [3.5, 2.5, 1.4]),
            ([7.0, 5.5, 3.2], [2.0, 1.0, 1.5], [4.5, 3.8, 1.2]),
            ([4.0, 4.0, 4.0], [1.0, 1.3, 1.6], [2.9, 2.5, 2.2]),
        ];
        for (room, src, mic) in rooms {
            for rt60 in [0.3, 0.6] {
                let order = suggested_max_order(room, rt60);
                let h = rir_image_source(room, src, mic, rt60, SR, order).unwrap();
                let est = schroeder_rt60(&h, SR).unwrap();
                let alpha = sabine_absorption(room, rt60).unwrap();
                let eyring = rt60 * alpha / -(1.0 - alpha).ln();
                let err = est.rt60_s / rt60 - 1.0;
                eprintln!(
                    "ISM room {room:?} rt60 {rt60}: order {order}, α {alpha:.3}, measured {:.3} s \
                     ({:?}), error {:+.1}% (Eyring predicts {eyring:.3} s)",
                    est.rt60_s,
                    est.range,
                    100.0 * err
                );
                assert!(err.abs() <= 0.2, "measured {} for {rt60}", est.rt60_s);
            }
        }
    }

    #[test]
    fn exponential_rir_has_the_requested_decay() {
        for rt60 in [0.3, 0.6] {
            let h = rir_exponential(rt60, SR, 5).unwrap();
            assert_eq!(h[0], 1.0);
            assert_eq!(h.len(), (rt60 * SR as f64).ceil() as usize + 1);
            let tail = energy(&h[1..]);
            assert!((tail - EXP_TAIL_ENERGY_PER_S * rt60).abs() < 1e-3);
            let est = schroeder_rt60(&h, SR).unwrap();
            let err = est.rt60_s / rt60 - 1.0;
            eprintln!(
                "exponential rt60 {rt60}: measured {:.3} s, error {:+.1}%",
                est.rt60_s,
                100.0 * err
            );
            assert!(err.abs() <= 0.1);
        }
        assert_eq!(
            rir_exponential(0.3, SR, 1).unwrap(),
            rir_exponential(0.3, SR, 1).unwrap()
        );
        assert_ne!(
            rir_exponential(0.3, SR, 1).unwrap(),
            rir_exponential(0.3, SR, 2).unwrap()
        );
    }

    #[test]
    fn bad_rooms_are_named_errors() {
        let room = [5.0, 4.0, 3.0];
        let err = rir_image_source(room, [5.5, 1.0, 1.0], [2.0, 2.0, 1.5], 0.4, SR, 5)
            .unwrap_err()
            .to_string();
        assert!(err.contains("source is outside the room"), "{err}");
        let err = rir_image_source(room, [1.0, 1.0, 1.0], [2.0, -0.1, 1.5], 0.4, SR, 5)
            .unwrap_err()
            .to_string();
        assert!(err.contains("microphone is outside the room"), "{err}");
        assert!(rir_image_source(room, [1.0; 3], [2.0; 3], 0.0, SR, 5).is_err());
        assert!(rir_image_source(room, [1.0; 3], [2.0; 3], -0.3, SR, 5).is_err());
        assert!(rir_image_source(room, [1.0; 3], [1.0; 3], 0.3, SR, 5).is_err());
        assert!(rir_image_source([0.0, 4.0, 3.0], [1.0; 3], [2.0; 3], 0.3, SR, 5).is_err());
        let err = rir_image_source(room, [1.0; 3], [2.0; 3], 0.05, SR, 5)
            .unwrap_err()
            .to_string();
        assert!(err.contains("too short"), "{err}");
        assert!(rir_exponential(0.0, SR, 1).is_err());
    }

    // --- Reverberation -------------------------------------------------------

    #[test]
    fn a_unit_impulse_rir_returns_the_input() {
        let x = speechy(0.3);
        for delay in [0usize, 1, 37] {
            let mut rir = vec![0.0f32; delay + 5];
            rir[delay] = 1.0;
            let y = reverberate(&x, &rir);
            assert_eq!(y.len(), x.len());
            let err = x
                .iter()
                .zip(&y)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(err < 1e-6, "delay {delay}: max error {err}");
        }
    }

    #[test]
    fn fft_convolution_matches_direct_convolution() {
        let a = white_noise(300, 1);
        let b = white_noise(77, 2);
        let fast = fft_convolve(&a, &b);
        assert_eq!(fast.len(), 376);
        for (n, f) in fast.iter().enumerate() {
            let direct: f64 = (0..b.len())
                .filter(|&k| n >= k && n - k < a.len())
                .map(|k| a[n - k] as f64 * b[k] as f64)
                .sum();
            assert!((f - direct).abs() < 1e-9, "{n}: {f} vs {direct}");
        }
    }

    #[test]
    fn reverberant_energy_grows_with_rt60() {
        let x = speechy(1.0);
        let room = [5.0, 4.0, 3.0];
        let (src, mic) = ([1.0, 1.5, 1.6], [3.5, 2.5, 1.4]);
        let mut last = energy(&x);
        for rt60 in [0.2, 0.4, 0.8] {
            let h = rir_image_source(room, src, mic, rt60, SR, 12).unwrap();
            let e = energy(&reverberate(&x, &h));
            let e_exp = energy(&reverberate(&x, &rir_exponential(rt60, SR, 1).unwrap()));
            eprintln!(
                "reverb rt60 {rt60}: output/input energy {:.2} dB (image source), {:.2} dB (exponential)",
                10.0 * (e / energy(&x)).log10(),
                10.0 * (e_exp / energy(&x)).log10()
            );
            assert!(e > last, "rt60 {rt60}: {e} ≤ {last}");
            last = e;
            let kept = reverberate_with(&x, &h, ReverbLevel::PreserveEnergy);
            assert!((energy(&kept) / energy(&x) - 1.0).abs() < 1e-4);
        }
    }

    // --- Speed and gain ------------------------------------------------------

    #[test]
    fn speed_perturbation_scales_length_and_pitch() {
        let x = tone(440.0, SR, 1.0, 0.5);
        for factor in [0.9, 1.1] {
            let y = speed_perturb(&x, SR, factor).unwrap();
            let want_len = (x.len() as f64 / factor).round() as i64;
            assert!(
                (y.len() as i64 - want_len).abs() <= 1,
                "{} vs {want_len}",
                y.len()
            );
            // Measure away from the edges.
            let hz = zero_crossing_hz(&y[800..y.len() - 800], SR);
            let want = 440.0 * factor;
            let err = hz / want - 1.0;
            eprintln!(
                "speed {factor}: {} → {} samples (want {want_len}), tone {hz:.4} Hz (want {want:.1}, relative error {err:+.1e})",
                x.len(),
                y.len()
            );
            assert!(err.abs() < 0.01, "{hz} vs {want}");
        }
        assert_eq!(speed_perturb(&x, SR, 1.0).unwrap(), x);
    }

    #[test]
    fn any_factor_in_range_gives_the_right_length() {
        let x = white_noise(SR as usize, 4);
        for factor in [0.5, 0.73, 0.9, 1.1, 1.37, 1.2345678, 2.0] {
            let y = speed_perturb(&x, SR, factor).unwrap();
            let want = (x.len() as f64 / factor).round() as i64;
            assert!(
                (y.len() as i64 - want).abs() <= 1,
                "{factor}: {} vs {want}",
                y.len()
            );
        }
        // Ten seconds at 1.1: still exact (a rounded 16000/1.1 would be 4 samples off).
        let long = vec![0.1f32; 10 * SR as usize];
        assert_eq!(speed_perturb(&long, SR, 1.1).unwrap().len(), 145_455);
        assert!(speed_perturb(&x, SR, 0.4).is_err());
        assert!(speed_perturb(&x, SR, 2.5).is_err());
        assert!(speed_perturb(&x, SR, f64::NAN).is_err());
        assert!(speed_perturb(&x, 0, 1.1).is_err());
    }

    #[test]
    fn gains_are_in_decibels_and_seeded() {
        let x = vec![0.25f32, -0.5];
        let y = gain_db(&x, 20.0 * 2f64.log10());
        assert!((y[0] - 0.5).abs() < 1e-6 && (y[1] + 1.0).abs() < 1e-6);
        for seed in 0..50 {
            let db = draw_gain_db(-6.0, 3.0, seed).unwrap();
            assert!((-6.0..=3.0).contains(&db));
            let y = random_gain(&x, -6.0, 3.0, seed).unwrap();
            assert_eq!(y, gain_db(&x, db));
        }
        assert_ne!(
            draw_gain_db(-6.0, 3.0, 1).unwrap(),
            draw_gain_db(-6.0, 3.0, 2).unwrap()
        );
        assert!(random_gain(&x, 3.0, -6.0, 1).is_err());
        assert!(random_gain(&x, f64::NEG_INFINITY, 0.0, 1).is_err());
    }

    // --- Recipes -------------------------------------------------------------

    fn example_recipe(seed: u64) -> Recipe {
        Recipe::new(seed)
            .speed(1.1)
            .reverb_image_source([5.0, 4.0, 3.0], [1.0, 1.5, 1.6], [3.5, 2.5, 1.4], 0.4)
            .noise(NoiseSource::Pink, 5.0)
    }

    #[test]
    fn a_recipe_describes_itself_and_is_deterministic() {
        let r = example_recipe(7);
        assert_eq!(
            r.describe(),
            "speed 1.1 → reverb rt60 0.4 s (image source) → noise pink 5 dB SNR seed 7"
        );
        let x = speechy(1.0);
        let a = r.apply(&x, SR).unwrap();
        assert_eq!(a.len(), 14_545); // round(16000 / 1.1)
        assert_eq!(a, r.apply(&x, SR).unwrap());
        assert_ne!(a, example_recipe(8).apply(&x, SR).unwrap());
        let other = Recipe::new(1)
            .gain(-3.0)
            .random_gain(-6.0, 6.0)
            .reverb_exponential(0.25)
            .then(Step::Noise {
                source: NoiseSource::Recording {
                    name: "fan".into(),
                    samples: white_noise(5000, 1),
                },
                snr_db: 10.0,
                reference: SnrReference::ActiveOnly,
            });
        assert_eq!(
            other.describe(),
            "gain -3 dB → gain random -6..6 dB → reverb rt60 0.25 s (exponential) \
             → noise 'fan' 10 dB active SNR seed 1"
        );
        assert_eq!(other.apply(&x, SR).unwrap().len(), x.len());
        assert_eq!(Recipe::new(3).describe(), "identity seed 3");
        assert_eq!(Recipe::new(3).apply(&x, SR).unwrap(), x);
        let err = Recipe::new(1).speed(3.0).apply(&x, SR).unwrap_err();
        assert!(format!("{err:#}").contains("step 1 (speed 3)"), "{err:#}");
    }
}
