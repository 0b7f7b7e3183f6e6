//! The energy baseline: frame energy in dB against a causally tracked noise floor,
//! with an onset requirement and a hangover — what a classic VAD does before any model.

use super::Vad;

/// Energy VAD over 10 ms hops.
#[derive(Debug, Clone)]
pub struct EnergyVad {
    /// Speech when the frame is this many dB above the noise floor.
    pub margin_db: f32,
    /// Consecutive loud frames needed to switch to speech.
    pub onset_frames: usize,
    /// Frames speech is held after the last loud frame.
    pub hangover_frames: usize,
    floor_db: f32,
    loud_run: usize,
    since_loud: usize,
    speaking: bool,
}

impl Default for EnergyVad {
    fn default() -> Self {
        EnergyVad {
            margin_db: 9.0,
            onset_frames: 2,
            hangover_frames: 20,
            floor_db: -60.0,
            loud_run: 0,
            since_loud: usize::MAX,
            speaking: false,
        }
    }
}

impl Vad for EnergyVad {
    fn name(&self) -> &str {
        "energy"
    }

    fn hop(&self) -> usize {
        160
    }

    fn reset(&mut self) {
        *self = EnergyVad {
            margin_db: self.margin_db,
            onset_frames: self.onset_frames,
            hangover_frames: self.hangover_frames,
            ..Default::default()
        };
    }

    fn push(&mut self, hop: &[f32]) -> anyhow::Result<(f32, bool)> {
        let ms = hop.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / hop.len().max(1) as f64;
        let db = (10.0 * ms.max(1e-12).log10()) as f32;
        // The floor follows quiet frames down at once and rises slowly (≈ 1 dB/s), so
        // speech does not lift it but a louder background eventually does.
        if db < self.floor_db {
            self.floor_db = db;
        } else {
            self.floor_db += 0.01;
        }
        let excess = db - (self.floor_db + self.margin_db);
        let score = 1.0 / (1.0 + (-excess / 2.0).exp());
        if excess > 0.0 {
            self.loud_run += 1;
            self.since_loud = 0;
        } else {
            self.loud_run = 0;
            self.since_loud = self.since_loud.saturating_add(1);
        }
        if !self.speaking && self.loud_run >= self.onset_frames {
            self.speaking = true;
        } else if self.speaking && self.since_loud > self.hangover_frames {
            self.speaking = false;
        }
        Ok((score, self.speaking))
    }
}
