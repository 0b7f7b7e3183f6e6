//! Causal per-frame features for end-of-turn detection: pause length from the VAD
//! stream, pitch and energy of the last speech, speaking rate. One 10 ms hop (160
//! samples at 16 kHz) and the VAD's speech probability for it in, [`N_FEATURES`]
//! numbers out, every hop.
//!
//! Pitch: a single-frame YIN (cumulative mean normalised difference, threshold 0.25,
//! parabolic refinement) over the last 32 ms of the signal low-passed at 900 Hz
//! (second-order Butterworth: in white or pink noise this keeps the voice trackable
//! down to ≈ 5 dB SNR), 60–500 Hz, in semitones re 100 Hz; unvoiced when no dip falls
//! under the threshold or the hop is 45 dB below the speaker's running speech level.
//! Only speech hops (VAD ≥ 0.5) enter the "last speech" history (the last [`HISTORY`]
//! of them, skipping pauses); the pitch and level features are medians over it, taken
//! against the history's own median, so they describe the contour, not the voice.

use std::collections::VecDeque;

/// Features per hop.
pub const N_FEATURES: usize = 15;
/// Index of the VAD probability in the feature vector.
pub const VAD_FEATURE: usize = 14;
/// Speech hops remembered for the prosody of the last stretch (and as the reference
/// the final pitch and level are measured against: the speaker's own recent speech).
pub const HISTORY: usize = 150;
/// Hops of the window for speech fraction and rate (3 s).
const RATE_WINDOW: usize = 300;
const YIN_WIN: usize = 256;
const YIN_MIN_LAG: usize = 32; // 500 Hz
const YIN_MAX_LAG: usize = 266; // ≈ 60 Hz
const YIN_BUF: usize = YIN_WIN + YIN_MAX_LAG + 1;
const YIN_THRESHOLD: f32 = 0.25;
/// Voiced hops the final pitch is the median of, and the speech hops they are looked
/// for in.
const FINAL_VOICED: usize = 8;
const FINAL_SPAN: usize = 40;

/// What each feature is (same order as the vector), with its group for ablations.
///
/// Pitch is in semitones and every pitch and level feature is relative to the
/// speaker's own recent speech (medians over the last [`HISTORY`] speech hops), so a
/// high and a low voice give the same numbers for the same contour:
/// `final_pitch_st` is the median of the last 8 voiced hops against that reference
/// (a turn-final fall ends well below it, a continuation rise near or above it);
/// `pitch_fall_st` the final pitch against the median of speech hops 12–25 back (the
/// movement inside the last word); `pitch_from_peak_st` / `pitch_from_trough_st`
/// against the highest / lowest 5-hop median of the last 40 speech hops;
/// `pitch_range_st` the spread (90th − 10th percentile) of the reference stretch.
pub const FEATURE_NAMES: [(&str, &str); N_FEATURES] = [
    ("silence_s", "pause"),
    ("log_silence", "pause"),
    ("final_pitch_st", "pitch"),
    ("pitch_fall_st", "pitch"),
    ("pitch_from_peak_st", "pitch"),
    ("pitch_from_trough_st", "pitch"),
    ("pitch_slope_300ms", "pitch"),
    ("pitch_range_st", "pitch"),
    ("voiced_fraction", "pitch"),
    ("final_level_db", "energy"),
    ("level_fall_db", "energy"),
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
    mean_db: Option<f32>,
    /// Scratch for medians.
    scratch: Vec<f32>,
    /// The low-pass in front of the pitch tracker.
    lowpass: Biquad,
    /// Features 2–10 (they change only when speech is pushed).
    prosody: [f32; N_FEATURES],
}

impl Default for FeatureTracker {
    fn default() -> Self {
        FeatureTracker::new()
    }
}

/// A second-order Butterworth section (RBJ cookbook), direct form I.
#[derive(Debug, Clone)]
struct Biquad {
    b: [f32; 3],
    a: [f32; 2],
    x: [f32; 2],
    y: [f32; 2],
}

impl Biquad {
    fn lowpass(cutoff_hz: f32, rate_hz: f32) -> Biquad {
        let w = 2.0 * std::f32::consts::PI * cutoff_hz / rate_hz;
        let alpha = w.sin() / (2.0 * std::f32::consts::FRAC_1_SQRT_2);
        let a0 = 1.0 + alpha;
        let c = w.cos();
        Biquad {
            b: [(1.0 - c) / 2.0 / a0, (1.0 - c) / a0, (1.0 - c) / 2.0 / a0],
            a: [-2.0 * c / a0, (1.0 - alpha) / a0],
            x: [0.0; 2],
            y: [0.0; 2],
        }
    }

    fn run(&mut self, x: f32) -> f32 {
        let y = self.b[0] * x + self.b[1] * self.x[0] + self.b[2] * self.x[1]
            - self.a[0] * self.y[0]
            - self.a[1] * self.y[1];
        self.x = [x, self.x[0]];
        self.y = [y, self.y[0]];
        y
    }
}

/// Median of the finite values of `it` (`None` when there are none); `buf` is scratch.
fn median(buf: &mut Vec<f32>, it: impl Iterator<Item = f32>) -> Option<f32> {
    buf.clear();
    buf.extend(it.filter(|v| v.is_finite()));
    if buf.is_empty() {
        return None;
    }
    buf.sort_unstable_by(f32::total_cmp);
    let n = buf.len();
    Some(if n % 2 == 1 {
        buf[n / 2]
    } else {
        0.5 * (buf[n / 2 - 1] + buf[n / 2])
    })
}

/// The `q` quantile (0–1, nearest rank) of sorted values.
fn quantile(sorted: &[f32], q: f32) -> f32 {
    let i = ((sorted.len() - 1) as f32 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
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
            mean_db: None,
            scratch: Vec::with_capacity(HISTORY),
            prosody: [0.0; N_FEATURES],
            lowpass: Biquad::lowpass(900.0, 16_000.0),
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

    /// The pitch and level features (indices 2–10) from the speech history.
    fn update_prosody(&mut self) {
        let out = &mut self.prosody;
        for v in out[2..=10].iter_mut() {
            *v = 0.0;
        }
        let hist = &self.history;
        let n = hist.len();
        if n == 0 {
            return;
        }
        let buf = &mut self.scratch;
        // The level features need no voicing.
        let db_ref = median(buf, hist.iter().map(|h| h.db)).unwrap_or(0.0);
        let tail = |k0: usize, k1: usize| hist.range(n.saturating_sub(k1)..n.saturating_sub(k0));
        let final_db = median(buf, tail(0, FINAL_VOICED).map(|h| h.db)).unwrap_or(db_ref);
        out[9] = final_db - db_ref;
        out[10] = median(buf, tail(10, 30).map(|h| h.db)).map_or(0.0, |d| final_db - d);
        let span = tail(0, FINAL_SPAN);
        let voiced = span.clone().filter(|h| h.st.is_finite()).count();
        out[8] = voiced as f32 / span.len().max(1) as f32;
        // Pitch: the reference and its spread.
        buf.clear();
        buf.extend(hist.iter().map(|h| h.st).filter(|v| v.is_finite()));
        if buf.len() < 3 || voiced < 2 {
            return;
        }
        buf.sort_unstable_by(f32::total_cmp);
        let st_ref = quantile(buf, 0.5);
        out[7] = quantile(buf, 0.9) - quantile(buf, 0.1);
        // The last FINAL_VOICED voiced hops (within FINAL_SPAN speech hops).
        let last: Vec<f32> = span
            .rev()
            .filter(|h| h.st.is_finite())
            .take(FINAL_VOICED)
            .map(|h| h.st)
            .collect();
        let Some(fin) = median(buf, last.iter().copied()) else {
            return;
        };
        out[2] = fin - st_ref;
        out[3] = median(buf, tail(12, 25).map(|h| h.st)).map_or(0.0, |m| fin - m);
        // 5-hop medians over the last 40 speech hops: their highest and lowest.
        let (mut hi, mut lo) = (f32::NEG_INFINITY, f32::INFINITY);
        let recent: Vec<f32> = tail(0, 40).map(|h| h.st).collect();
        for w in recent.chunks(5) {
            if let Some(m) = median(buf, w.iter().copied()) {
                hi = hi.max(m);
                lo = lo.min(m);
            }
        }
        if hi.is_finite() {
            out[4] = fin - hi;
            out[5] = fin - lo;
        }
        let v30: Vec<f32> = tail(0, 30)
            .map(|h| h.st)
            .filter(|v| v.is_finite())
            .collect();
        // Slope per 100 ms (10 hops).
        out[6] = slope(&v30).map_or(0.0, |s| 10.0 * s);
    }

    /// One hop of 160 samples and the VAD's speech probability → the features.
    pub fn push(&mut self, hop: &[f32], vad_prob: f32, out: &mut [f32; N_FEATURES]) {
        let n = hop.len().min(YIN_BUF);
        self.buf.copy_within(n.., 0);
        // Pitch is tracked on the signal low-passed at 900 Hz: the fundamental and its
        // first harmonics stay, broadband noise above them goes.
        for (dst, x) in self.buf[YIN_BUF - n..]
            .iter_mut()
            .zip(&hop[hop.len() - n..])
        {
            *dst = self.lowpass.run(*x);
        }
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
        if speech {
            self.update_prosody();
        }
        out[2..=10].copy_from_slice(&self.prosody[2..=10]);
        let nr = self.recent.len().max(1) as f32;
        out[11] = self.recent.iter().filter(|s| **s).count() as f32 / nr;
        let onsets = self
            .recent
            .iter()
            .zip(self.recent.iter().skip(1))
            .filter(|(a, b)| !**a && **b)
            .count();
        out[12] = onsets as f32 / (nr / 100.0);
        let run = if self.speaking {
            self.run_hops
        } else {
            self.last_run_hops
        };
        out[13] = (run as f32 / 100.0).min(3.0);
        out[VAD_FEATURE] = vad_prob.clamp(0.0, 1.0);
    }
}
