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
//! | additive noise at an SNR     | [`mix_at_snr`], [`mix_at_snr_active`], [`mix_at_snr_with`], [`mix_at_snr_opts`] (noise offset, peak limit, 16-bit output) |
//! | measuring an SNR             | [`measure_snr_db`], [`measure_snr_db_scaled`]               |
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
//!
//! | file          | holds                                                          |
//! |---------------|----------------------------------------------------------------|
//! | `noise.rs`    | the noise sources                                              |
//! | `snr.rs`      | SNR measurement and mixing at a target SNR                     |
//! | `rir.rs`      | room impulse responses and RT60 measurement                    |
//! | `reverb.rs`   | convolution with an RIR                                        |
//! | `perturb.rs`  | speed perturbation and gain                                    |
//! | `recipe.rs`   | [`Recipe`]: a seeded chain of the above                        |

use anyhow::{bail, Result};

mod noise;
mod perturb;
mod recipe;
mod reverb;
mod rir;
mod snr;
#[cfg(test)]
mod test_signals;

pub use noise::{pink_noise, white_noise};
pub use perturb::{draw_gain_db, gain_db, random_gain, speed_perturb, SPEED_RANGE};
pub use recipe::{Chain, NoiseSource, Recipe, RirSource, Step};
pub use reverb::{direct_path_index, reverberate, reverberate_with, ReverbLevel};
pub use rir::{
    rir_exponential, rir_image_source, sabine_absorption, schroeder_rt60, suggested_max_order,
    DecayRange, Rt60Estimate, EXP_TAIL_ENERGY_PER_S, FRACTIONAL_DELAY_TAPS, RIR_HIGH_PASS_HZ,
    SABINE_K, SPEED_OF_SOUND_M_S,
};
pub use snr::{
    clean_power, measure_snr_db, measure_snr_db_scaled, mix_at_snr, mix_at_snr_active,
    mix_at_snr_opts, mix_at_snr_with, MixOptions, MixOutput, Mixed, SnrReference, ACTIVE_FRAME_LEN,
    ACTIVE_THRESHOLD_DB, PCM16_MAX_ERROR_DB, PCM16_STOP_DB, PCM16_TRIES, PEAK_LIMIT,
};

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
