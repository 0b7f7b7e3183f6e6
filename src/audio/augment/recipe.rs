//! Recipes: a seeded sequence of augmentation steps, described in one line.

use anyhow::{Context, Result};

use super::{
    gain_db, mix_at_snr_with, pink_noise, random_gain, reverberate_with, rir_exponential,
    rir_image_source, speed_perturb, suggested_max_order, white_noise, ReverbLevel, SnrReference,
};
use crate::util::rng::derive_seed;

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
    use crate::audio::augment::test_signals::*;

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
