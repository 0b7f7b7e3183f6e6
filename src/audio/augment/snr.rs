//! Additive noise at a target SNR: the clean-power reference, the measurement, and
//! the mixing (f32 or 16-bit output).

use anyhow::{ensure, Context, Result};

use super::{ensure_finite, mean_square};
use crate::audio::wav::{pcm16, PCM16_SCALE};
use crate::util::rng::Rng;

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
    /// 16-bit PCM values (each sample `k / 32768`, see [`crate::audio::wav::pcm16`]), ready
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

#[cfg(test)]
mod tests {
    //! Measured numbers are printed with `eprintln!`; see them with
    //! `cargo test -- --nocapture` (the README quotes them).
    use super::*;
    use crate::audio::augment::test_signals::*;
    use crate::audio::augment::{gain_db, pink_noise, white_noise};

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
        let g = m
            .rescale
            .expect("a 0.92-peak tone plus 0 dB noise must be rescaled");
        assert!(g < 1.0);
        assert_eq!(m.noise_offset, 0);
        // Within half a 16-bit step of the limit (the limit is applied before rounding).
        assert!(m
            .mixture
            .iter()
            .all(|&v| v.abs() as f64 <= 0.98 + 0.5 / 32768.0));
        assert!(m
            .mixture
            .iter()
            .all(|&v| (v as f64 * 32768.0).fract() == 0.0));
        let got = measure_snr_db_scaled(&clean, g, &m.mixture, SnrReference::WholeSignal).unwrap();
        assert_eq!(got, m.achieved_snr_db);
        assert!((got - 0.0).abs() < 0.01, "{got}");
        assert!(
            mix_at_snr_opts(&[0.0; 100], &noise[..100], 10.0, 0, &pcm16_options(0.98)).is_err()
        );
        let err = mix_at_snr_opts(
            &clean,
            &noise,
            0.0,
            0,
            &MixOptions {
                noise_offset: Some(clean.len()),
                ..MixOptions::default()
            },
        )
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
        let plain = mix_at_snr_opts(
            &clean,
            &noise,
            target,
            0,
            &MixOptions {
                noise_offset: Some(0),
                ..MixOptions::default()
            },
        )
        .unwrap();
        let rounded: Vec<f32> = plain
            .mixture
            .iter()
            .map(|&v| pcm16(v as f64) as f32 / 32768.0)
            .collect();
        let naive = measure_snr_db(&clean, &rounded, SnrReference::WholeSignal).unwrap();
        let m =
            mix_at_snr_opts(&clean, &noise, target, 0, &pcm16_options(PEAK_LIMIT as f64)).unwrap();
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
        assert!(
            (m.achieved_snr_db - target).abs() <= PCM16_STOP_DB,
            "{}",
            m.achieved_snr_db
        );
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
}
