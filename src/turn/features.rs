//! Causal per-frame features for end-of-turn detection: pause length from the VAD
//! stream, pitch and energy of the last speech, speaking rate. One 10 ms hop (160
//! samples at 16 kHz) and the VAD's speech probability for it in, [`N_FEATURES`]
//! numbers out, every hop.
//!
//! Pitch: a single-frame YIN (cumulative mean normalised difference, threshold 0.15,
//! parabolic refinement) over the last 32 ms, 60–500 Hz, in semitones re 100 Hz;
//! unvoiced when no dip falls under the threshold or the hop is 45 dB below the
//! speaker's running speech level. Only speech hops (VAD ≥ 0.5) enter the "last
//! speech" history (the last [`HISTORY`] of them, skipping pauses) and the speaker's
//! running pitch and level (exponential averages over speech hops).

use std::collections::VecDeque;

/// Features per hop.
pub const N_FEATURES: usize = 12;
/// Speech hops remembered for the prosody of the last stretch.
pub const HISTORY: usize = 50;
/// Hops of the window for speech fraction and rate (3 s).
const RATE_WINDOW: usize = 300;
const YIN_WIN: usize = 256;
const YIN_MIN_LAG: usize = 32; // 500 Hz
const YIN_MAX_LAG: usize = 266; // ≈ 60 Hz
const YIN_BUF: usize = YIN_WIN + YIN_MAX_LAG + 1;
const YIN_THRESHOLD: f32 = 0.15;

/// What each feature is (same order as the vector), with its group for ablations.
pub const FEATURE_NAMES: [(&str, &str); N_FEATURES] = [
    ("silence_s", "pause"),
    ("log_silence", "pause"),
    ("final_pitch_st", "pitch"),
    ("pitch_slope_300ms", "pitch"),
    ("pitch_slope_500ms", "pitch"),
    ("final_level_db", "energy"),
    ("level_slope_300ms", "energy"),
    ("voiced_fraction", "pitch"),
    ("speech_fraction_3s", "rate"),
    ("onsets_per_s", "rate"),
    ("last_run_s", "rate"),
    ("vad_prob", "vad"),
];

/// The feature groups an ablation can keep (`pause` is always kept).
pub const GROUPS: [&str; 5] = ["pause", "pitch", "energy", "rate", "vad"];

/// Parse `all` or `pause+pitch+…` into a keep-mask over the features.
pub fn feature_mask(spec: &str) -> anyhow::Result<Vec<bool>> {
    if spec == "all" {
        return Ok(vec![true; N_FEATURES]);
    }
    let groups: Vec<&str> = spec.split('+').map(str::trim).collect();
    for g in &groups {
        if !GROUPS.contains(g) {
            anyhow::bail!("features={spec}: `{g}` is not a feature group ({GROUPS:?} or `all`)");
        }
    }
    Ok(FEATURE_NAMES
        .iter()
        .map(|(_, g)| *g == "pause" || groups.contains(g))
        .collect())
}

#[derive(Debug, Clone, Copy)]
struct Hop {
    db: f32,
    /// Semitones re 100 Hz, NaN when unvoiced.
    st: f32,
}

/// The streaming feature tracker.
#[derive(Debug, Clone)]
pub struct FeatureTracker {
    buf: Vec<f32>,
    diff: Vec<f32>,
    history: VecDeque<Hop>,
    /// Speech flags of the last [`RATE_WINDOW`] hops.
    recent: VecDeque<bool>,
    silence_hops: usize,
    run_hops: usize,
    last_run_hops: usize,
    speaking: bool,
    mean_st: Option<f32>,
    mean_db: Option<f32>,
}

impl Default for FeatureTracker {
    fn default() -> Self {
        FeatureTracker::new()
    }
}

/// Least-squares slope of `ys` against their index (per hop).
fn slope(ys: &[f32]) -> Option<f32> {
    if ys.len() < 3 {
        return None;
    }
    let n = ys.len() as f32;
    let mx = (n - 1.0) / 2.0;
    let my = ys.iter().sum::<f32>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, y) in ys.iter().enumerate() {
        let dx = i as f32 - mx;
        sxy += dx * (y - my);
        sxx += dx * dx;
    }
    Some(sxy / sxx)
}

impl FeatureTracker {
    pub fn new() -> FeatureTracker {
        FeatureTracker {
            buf: vec![0.0; YIN_BUF],
            diff: vec![0.0; YIN_MAX_LAG + 2],
            history: VecDeque::with_capacity(HISTORY + 1),
            recent: VecDeque::with_capacity(RATE_WINDOW + 1),
            silence_hops: 0,
            run_hops: 0,
            last_run_hops: 0,
            speaking: false,
            mean_st: None,
            mean_db: None,
        }
    }

    /// Hops of silence (VAD < 0.5) so far; 0 while speech goes on.
    pub fn silence_hops(&self) -> usize {
        self.silence_hops
    }

    /// Whether the last hop was speech by the VAD.
    pub fn speaking(&self) -> bool {
        self.speaking
    }

    /// Pitch of the newest 32 ms in semitones re 100 Hz, or NaN if unvoiced.
    fn pitch(&mut self) -> f32 {
        let x = &self.buf;
        let start = YIN_BUF - YIN_WIN - YIN_MAX_LAG - 1;
        // Difference function d(τ) over a window ending τ samples after `start`.
        let w = &x[start..start + YIN_WIN];
        let energy: f32 = w.iter().map(|v| v * v).sum();
        if energy <= 1e-10 {
            return f32::NAN;
        }
        for tau in 1..=YIN_MAX_LAG {
            let s = &x[start + tau..start + tau + YIN_WIN];
            self.diff[tau] = w.iter().zip(s).map(|(a, b)| (a - b) * (a - b)).sum();
        }
        let mut running = 0.0;
        let mut cmnd = [1.0f32; YIN_MAX_LAG + 1];
        for (tau, c) in cmnd.iter_mut().enumerate().skip(1) {
            running += self.diff[tau];
            *c = self.diff[tau] * tau as f32 / running.max(1e-12);
        }
        let mut tau = YIN_MIN_LAG;
        while tau < YIN_MAX_LAG {
            if cmnd[tau] < YIN_THRESHOLD {
                while tau + 1 < YIN_MAX_LAG && cmnd[tau + 1] < cmnd[tau] {
                    tau += 1;
                }
                let (a, b, c) = (cmnd[tau - 1], cmnd[tau], cmnd[tau + 1]);
                let den = a + c - 2.0 * b;
                let shift = if den.abs() > 1e-9 {
                    (0.5 * (a - c) / den).clamp(-1.0, 1.0)
                } else {
                    0.0
                };
                let f0 = 16_000.0 / (tau as f32 + shift);
                return 12.0 * (f0 / 100.0).log2();
            }
            tau += 1;
        }
        f32::NAN
    }

    /// One hop of 160 samples and the VAD's speech probability → the features.
    pub fn push(&mut self, hop: &[f32], vad_prob: f32, out: &mut [f32; N_FEATURES]) {
        let n = hop.len().min(YIN_BUF);
        self.buf.copy_within(n.., 0);
        self.buf[YIN_BUF - n..].copy_from_slice(&hop[hop.len() - n..]);
        let ms = hop.iter().map(|v| v * v).sum::<f32>() / hop.len().max(1) as f32;
        let db = 10.0 * ms.max(1e-12).log10();
        let speech = vad_prob >= 0.5;
        if speech {
            let loud_enough = self.mean_db.is_none_or(|m| db > m - 45.0);
            let st = if loud_enough { self.pitch() } else { f32::NAN };
            if self.history.len() == HISTORY {
                self.history.pop_front();
            }
            self.history.push_back(Hop { db, st });
            self.mean_db = Some(self.mean_db.map_or(db, |m| 0.99 * m + 0.01 * db));
            if st.is_finite() {
                self.mean_st = Some(self.mean_st.map_or(st, |m| 0.99 * m + 0.01 * st));
            }
            if !self.speaking {
                self.run_hops = 0;
            }
            self.run_hops += 1;
            self.silence_hops = 0;
        } else {
            if self.speaking {
                self.last_run_hops = self.run_hops;
            }
            self.silence_hops += 1;
        }
        self.speaking = speech;
        if self.recent.len() == RATE_WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(speech);

        let sil_ms = self.silence_hops as f32 * 10.0;
        out[0] = sil_ms.min(3000.0) / 1000.0;
        out[1] = (1.0 + sil_ms / 100.0).ln();
        let hist: Vec<Hop> = self.history.iter().copied().collect();
        let voiced = |k: usize| -> Vec<f32> {
            hist[hist.len().saturating_sub(k)..]
                .iter()
                .filter(|h| h.st.is_finite())
                .map(|h| h.st)
                .collect()
        };
        let last10 = voiced(10);
        let mean_st = self.mean_st.unwrap_or(0.0);
        out[2] = if last10.is_empty() {
            0.0
        } else {
            last10.iter().sum::<f32>() / last10.len() as f32 - mean_st
        };
        // Slopes per 100 ms (10 hops).
        out[3] = slope(&voiced(30)).map_or(0.0, |s| 10.0 * s);
        out[4] = slope(&voiced(50)).map_or(0.0, |s| 10.0 * s);
        let dbs = |k: usize| -> Vec<f32> {
            hist[hist.len().saturating_sub(k)..]
                .iter()
                .map(|h| h.db)
                .collect()
        };
        let d10 = dbs(10);
        out[5] = if d10.is_empty() {
            0.0
        } else {
            d10.iter().sum::<f32>() / d10.len() as f32 - self.mean_db.unwrap_or(0.0)
        };
        out[6] = slope(&dbs(30)).map_or(0.0, |s| 10.0 * s);
        let last20 = &hist[hist.len().saturating_sub(20)..];
        out[7] = if last20.is_empty() {
            0.0
        } else {
            last20.iter().filter(|h| h.st.is_finite()).count() as f32 / last20.len() as f32
        };
        let nr = self.recent.len().max(1) as f32;
        out[8] = self.recent.iter().filter(|s| **s).count() as f32 / nr;
        let onsets = self
            .recent
            .iter()
            .zip(self.recent.iter().skip(1))
            .filter(|(a, b)| !**a && **b)
            .count();
        out[9] = onsets as f32 / (nr / 100.0);
        let run = if self.speaking {
            self.run_hops
        } else {
            self.last_run_hops
        };
        out[10] = (run as f32 / 100.0).min(3.0);
        out[11] = vad_prob.clamp(0.0, 1.0);
    }
}
