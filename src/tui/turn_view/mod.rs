//! The turn-taking live view: energy and VAD probability over the last seconds, the
//! end-of-turn probability, the agent's state, and the histogram of voice-to-voice
//! latency with its percentiles. Fed from the run's metrics records (the stdout of
//! `labbook exp latency`), so the TUI's run view and `labbook demo turn-taking` draw
//! the same thing. `watch` is the demo's live view of a run directory.

mod render;
mod watch;

use crate::protocol::{parse_line, Line, Record};
use crate::rt::State;
pub use render::render;
pub use watch::{watch, Watched};

/// Seconds of signal shown.
pub const WINDOW_S: f64 = 8.0;
/// Histogram bins of voice-to-voice latency, ms (the last is open-ended).
pub const BINS_MS: [f64; 9] = [
    0.0, 200.0, 300.0, 400.0, 500.0, 600.0, 800.0, 1000.0, 1500.0,
];

/// What the view shows; built from metrics records.
#[derive(Debug, Clone, Default)]
pub struct TurnData {
    /// (stream s, value)
    pub energy: Vec<(f64, f64)>,
    pub vad: Vec<(f64, f64)>,
    pub eot: Vec<(f64, f64)>,
    pub state: Option<State>,
    pub v2v_ms: Vec<f64>,
    pub eot_ms: Vec<f64>,
    pub barge_ms: Vec<f64>,
    pub cut_offs: usize,
    pub info: Vec<(String, String)>,
    /// The summary line, once the session is over.
    pub done: Option<String>,
}

impl TurnData {
    /// Take one record of `labbook exp latency`.
    pub fn push(&mut self, r: &Record) {
        let get = |k: &str| r.points.iter().find(|(n, _)| n == k).map(|p| p.1);
        if let (Some(step), Some(e)) = (r.step, get("energy_db")) {
            let t = (step + 1) as f64 * 0.01;
            self.energy.push((t, e));
            if let Some(v) = get("vad_prob") {
                self.vad.push((t, v));
            }
            if let Some(v) = get("eot_prob") {
                self.eot.push((t, v));
            }
            if let Some(s) = get("state") {
                self.state = Some(State::from_code(s));
            }
            // keep a little more than the window
            let keep = |v: &mut Vec<(f64, f64)>| {
                if v.len() > 4000 {
                    v.drain(..v.len() - 2000);
                }
            };
            keep(&mut self.energy);
            keep(&mut self.vad);
            keep(&mut self.eot);
        }
        // latency is that of answers to finished turns; cut-offs are counted apart
        if get("cut_off") == Some(1.0) {
            self.cut_offs += 1;
        } else {
            if let Some(v) = get("voice_to_voice_ms") {
                self.v2v_ms.push(v);
            }
            if let Some(v) = get("eot_decision_ms") {
                self.eot_ms.push(v);
            }
        }
        if let Some(v) = get("barge_in_ms") {
            self.barge_ms.push(v);
        }
        if let Some(p) = get("v2v_p50_ms") {
            let q = |k| get(k).map_or("-".to_string(), |v| format!("{v:.0}"));
            self.done = Some(format!(
                "session over: voice to voice p50 {p:.0} · p95 {} · p99 {} ms; interruptions {} · missed turns {}",
                q("v2v_p95_ms"),
                q("v2v_p99_ms"),
                q("interruptions"),
                q("missed_turns")
            ));
        }
        for (k, v) in &r.info {
            match self.info.iter_mut().find(|(n, _)| n == k) {
                Some(slot) => slot.1 = v.clone(),
                None => self.info.push((k.clone(), v.clone())),
            }
        }
    }

    /// Take every record among lines of a run's stdout (the rest is log).
    pub fn feed<S: AsRef<str>>(&mut self, lines: impl IntoIterator<Item = S>) {
        for l in lines {
            if let Line::Record(r) = parse_line(l.as_ref()) {
                self.push(&r);
            }
        }
    }

    /// From stored series (the TUI's run view): metric name → points (step, time, value).
    pub fn from_series(series: &[(String, Vec<crate::runs::query::Point>)]) -> TurnData {
        let mut d = TurnData::default();
        let find = |k: &str| series.iter().find(|(n, _)| n == k).map(|(_, p)| p);
        let track = |k: &str| -> Vec<(f64, f64)> {
            find(k)
                .map(|p| {
                    p.iter()
                        .map(|(s, _, v)| ((*s + 1) as f64 * 0.01, *v))
                        .collect()
                })
                .unwrap_or_default()
        };
        d.energy = track("energy_db");
        d.vad = track("vad_prob");
        d.eot = track("eot_prob");
        d.state = find("state")
            .and_then(|p| p.last())
            .map(|p| State::from_code(p.2));
        let values = |k: &str| -> Vec<f64> {
            find(k)
                .map(|p| p.iter().map(|x| x.2).collect())
                .unwrap_or_default()
        };
        // answers are stepped by their number; keep those that did not cut the user off
        let cut: std::collections::HashSet<i64> = find("cut_off")
            .map(|p| p.iter().filter(|x| x.2 == 1.0).map(|x| x.0).collect())
            .unwrap_or_default();
        let answers = |k: &str| -> Vec<f64> {
            find(k)
                .map(|p| {
                    p.iter()
                        .filter(|x| !cut.contains(&x.0))
                        .map(|x| x.2)
                        .collect()
                })
                .unwrap_or_default()
        };
        d.v2v_ms = answers("voice_to_voice_ms");
        d.eot_ms = answers("eot_decision_ms");
        d.barge_ms = values("barge_in_ms");
        d.cut_offs = cut.len();
        d
    }

    /// Counts per bin of [`BINS_MS`].
    pub fn histogram(&self) -> Vec<(String, u64)> {
        let mut counts = vec![0u64; BINS_MS.len()];
        for v in &self.v2v_ms {
            let i = BINS_MS.iter().rposition(|b| v >= b).unwrap_or(0);
            counts[i] += 1;
        }
        BINS_MS
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let label = match BINS_MS.get(i + 1) {
                    Some(n) => format!("<{n:.0}"),
                    None => format!("≥{b:.0}"),
                };
                (label, counts[i])
            })
            .collect()
    }
}

/// The metrics the view needs from a run.
pub const SERIES: [&str; 8] = [
    "energy_db",
    "vad_prob",
    "eot_prob",
    "state",
    "voice_to_voice_ms",
    "eot_decision_ms",
    "barge_in_ms",
    "cut_off",
];
