//! Speed perturbation (Kaldi/sox `speed`) and gain, fixed or seeded.

use anyhow::{ensure, Context, Result};

use super::db_to_amplitude;
use crate::audio::resample::resample;
use crate::util::rng::Rng;

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

#[cfg(test)]
mod tests {
    //! Measured numbers are printed with `eprintln!`; see them with
    //! `cargo test -- --nocapture` (the README quotes them).
    use super::*;
    use crate::audio::augment::test_signals::*;
    use crate::audio::augment::white_noise;

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
}
