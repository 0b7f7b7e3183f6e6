//! The eot-bench protocol: every silence of at least 100 ms between speech is a pause
//! to decide on — a **hold** when the same speaker goes on after it, an **end of turn**
//! (shift) when the other one does. Silences before the first and after the last
//! speech are not pauses.
//!
//! A detector is a score per 10 ms hop of a pause (P(end of turn) for a model, the
//! silence length for the silence-only baseline) and a threshold: it fires at the end
//! of the first hop whose score reaches the threshold. Over thresholds:
//!
//! * **false cut-off rate** — the share of holds on which it fires before the speaker
//!   resumes;
//! * **latency** — on ends of turn, the time from the end of speech to the decision
//!   (the median over ends of turn; a detector that has not fired within the horizon
//!   counts the horizon). To measure past the real gap (the other speaker answers
//!   after 0.2–1.2 s), the stream after an end of turn is continued with that gap's
//!   own audio, looped, as if nobody answered;
//! * (a) the false cut-off rate at a latency budget: the lowest rate among thresholds
//!   whose median latency is within the budget (300 ms, 500 ms);
//! * (b) the latency at a false cut-off budget: the lowest median latency among
//!   thresholds with at most 5 % false cut-offs;
//! * (c) hold/shift balanced accuracy of the decision at the query point (100 ms into
//!   each pause): shift when the score there reaches 0.5 for a model. The silence-only
//!   baseline sees the same 100 ms of silence in every pause, so it cannot separate
//!   them: 0.5 by construction.
//!
//! Speech frames come from labelled segments with a speaker each (a frame is speech
//! when at least half of it is inside a segment, as in `eval vad`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Serialize;

use super::EotDetector;
use crate::audio::synth;
use crate::vad::Vad;

/// Frames (10 ms) per second.
const FPS: f64 = 100.0;

/// A stretch of speech by one speaker (seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub speaker: String,
}

/// A pause to decide on: frames `[start, end)` of silence; `hold` = same speaker after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Event {
    pub start: usize,
    pub end: usize,
    pub hold: bool,
}

impl Event {
    pub fn frames(&self) -> usize {
        self.end - self.start
    }
}

/// The pauses of a labelled file of `n_frames` frames.
pub fn events(segments: &[Segment], n_frames: usize, min_silence_frames: usize) -> Vec<Event> {
    let speech: Vec<bool> = (0..n_frames)
        .map(|f| {
            let (a, b) = (f as f64 / FPS, (f + 1) as f64 / FPS);
            let inside: f64 = segments
                .iter()
                .map(|s| (b.min(s.end) - a.max(s.start)).max(0.0))
                .sum();
            inside >= 0.5 / FPS
        })
        .collect();
    let mut out = Vec::new();
    let mut f = 0;
    while f < n_frames {
        if speech[f] {
            f += 1;
            continue;
        }
        let start = f;
        while f < n_frames && !speech[f] {
            f += 1;
        }
        let end = f;
        if start == 0 || end == n_frames || end - start < min_silence_frames {
            continue;
        }
        let (t0, t1) = (start as f64 / FPS, end as f64 / FPS);
        // The speaker who spoke last before the pause and the one who speaks first after.
        let before = segments
            .iter()
            .filter(|s| s.start < t0)
            .max_by(|a, b| a.end.total_cmp(&b.end));
        let after = segments
            .iter()
            .filter(|s| s.end > t1)
            .min_by(|a, b| a.start.total_cmp(&b.start));
        if let (Some(a), Some(b)) = (before, after) {
            out.push(Event {
                start,
                end,
                hold: a.speaker == b.speaker,
            });
        }
    }
    out
}

/// One pause's scores from its first hop on (`horizon` hops at most).
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub hold: bool,
    /// Length of the real pause in hops.
    pub frames: usize,
    pub scores: Vec<f32>,
}

impl Trace {
    /// Hops until the detector fires (it fires at the end of hop k: k + 1), if it
    /// does within the trace; for a hold, only hops inside the pause count.
    pub fn fire(&self, threshold: f32) -> Option<usize> {
        let n = if self.hold {
            self.frames.min(self.scores.len())
        } else {
            self.scores.len()
        };
        self.scores[..n]
            .iter()
            .position(|s| *s >= threshold)
            .map(|k| k + 1)
    }
}

/// A detector's figures at one threshold.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OperatingPoint {
    pub threshold: f32,
    pub cutoff_rate: f64,
    pub latency_p50_ms: f64,
    pub latency_mean_ms: f64,
    pub latency_p90_ms: f64,
    /// Ends of turn on which it did not fire within the horizon.
    pub missed: usize,
}

fn percentile(v: &[f64], q: f64) -> f64 {
    crate::eval::latency::percentile(v, q).unwrap_or(f64::NAN)
}

/// The figures at one threshold (`horizon` hops: the latency of a miss).
pub fn operating_point(traces: &[Trace], threshold: f32, horizon: usize) -> OperatingPoint {
    let holds: Vec<&Trace> = traces.iter().filter(|t| t.hold).collect();
    let cut = holds.iter().filter(|t| t.fire(threshold).is_some()).count();
    let mut lat: Vec<f64> = Vec::new();
    let mut missed = 0;
    for t in traces.iter().filter(|t| !t.hold) {
        match t.fire(threshold) {
            Some(k) => lat.push(k as f64 * 10.0),
            None => {
                missed += 1;
                lat.push(horizon as f64 * 10.0);
            }
        }
    }
    let mean = lat.iter().sum::<f64>() / lat.len().max(1) as f64;
    OperatingPoint {
        threshold,
        cutoff_rate: cut as f64 / holds.len().max(1) as f64,
        latency_p50_ms: percentile(&lat, 50.0),
        latency_mean_ms: mean,
        latency_p90_ms: percentile(&lat, 90.0),
        missed,
    }
}

/// Candidate thresholds: every distinct score, or 2,000 quantiles of them.
fn thresholds(traces: &[Trace]) -> Vec<f32> {
    let mut v: Vec<f32> = traces
        .iter()
        .flat_map(|t| t.scores.iter().copied())
        .filter(|s| s.is_finite())
        .collect();
    v.sort_by(f32::total_cmp);
    v.dedup();
    if v.len() > 2000 {
        let n = v.len();
        v = (0..2000).map(|i| v[i * (n - 1) / 1999]).collect();
    }
    // Just above the largest score: never fires.
    if let Some(last) = v.last().copied() {
        v.push(last + 1.0);
    }
    v
}

/// Every operating point over the candidate thresholds.
pub fn curve(traces: &[Trace], horizon: usize) -> Vec<OperatingPoint> {
    thresholds(traces)
        .into_iter()
        .map(|th| operating_point(traces, th, horizon))
        .collect()
}

/// (a) The lowest false cut-off rate whose median latency is within `budget_ms`.
pub fn cutoff_at_latency(curve: &[OperatingPoint], budget_ms: f64) -> Option<OperatingPoint> {
    curve
        .iter()
        .filter(|p| p.latency_p50_ms <= budget_ms)
        .min_by(|a, b| {
            a.cutoff_rate
                .total_cmp(&b.cutoff_rate)
                .then(a.latency_p50_ms.total_cmp(&b.latency_p50_ms))
        })
        .cloned()
}

/// (b) The lowest median latency with at most `rate` false cut-offs.
pub fn latency_at_cutoff(curve: &[OperatingPoint], rate: f64) -> Option<OperatingPoint> {
    curve
        .iter()
        .filter(|p| p.cutoff_rate <= rate + 1e-12)
        .min_by(|a, b| {
            a.latency_p50_ms
                .total_cmp(&b.latency_p50_ms)
                .then(a.cutoff_rate.total_cmp(&b.cutoff_rate))
        })
        .cloned()
}

/// (c) Balanced accuracy of "end of turn iff score at hop `at` ≥ `threshold`".
pub fn balanced_accuracy(traces: &[Trace], at: usize, threshold: f32) -> f64 {
    let rate = |hold: bool| {
        let set: Vec<&Trace> = traces.iter().filter(|t| t.hold == hold).collect();
        let right = set
            .iter()
            .filter(|t| {
                let said_end = t.scores.get(at).is_some_and(|s| *s >= threshold);
                said_end != hold
            })
            .count();
        right as f64 / set.len().max(1) as f64
    };
    (rate(true) + rate(false)) / 2.0
}

/// ROC-AUC of the score at hop `at` for end of turn against hold.
pub fn auc_at(traces: &[Trace], at: usize) -> Option<f64> {
    let truth: Vec<bool> = traces.iter().map(|t| !t.hold).collect();
    let s: Vec<f32> = traces
        .iter()
        .map(|t| t.scores.get(at).copied().unwrap_or(0.0))
        .collect();
    crate::vad::eval::roc_auc(&truth, &s)
}

/// One hop of VAD probability per 10 ms: the score of the last VAD frame completed by
/// the end of each hop (causal for any VAD hop), from a fresh state.
pub fn vad_probs(vad: &mut dyn Vad, samples: &[f32]) -> anyhow::Result<Vec<f32>> {
    vad.reset();
    let hop = vad.hop();
    let scores: Vec<f32> = samples
        .chunks_exact(hop)
        .map(|h| vad.push(h).map(|(s, _)| s))
        .collect::<anyhow::Result<_>>()?;
    let n = samples.len() / super::HOP;
    Ok((0..n)
        .map(|i| {
            let done = ((i + 1) * super::HOP / hop).min(scores.len());
            if done == 0 {
                0.0
            } else {
                scores[done - 1]
            }
        })
        .collect())
}

/// What the detector gave at one hop of a pause.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    /// `None` while the VAD hears speech.
    pub p: Option<f32>,
    pub silence_ms: f32,
    pub features: [f32; super::features::N_FEATURES],
}

/// Run `det` over a file and collect, per pause, its steps from the pause's first hop
/// on (`horizon` at most; after an end of turn the pause's own audio is looped on a
/// copy of the detector, as if nobody answered).
pub fn walk(
    det: &EotDetector,
    samples: &[f32],
    vad: &[f32],
    events: &[Event],
    horizon: usize,
) -> Vec<Vec<Step>> {
    let mut det = det.clone();
    det.reset();
    let n = (samples.len() / super::HOP).min(vad.len());
    let hop = |f: usize| &samples[f * super::HOP..(f + 1) * super::HOP];
    let step = |d: &EotDetector, p: Option<f32>| Step {
        p,
        silence_ms: d.silence_ms(),
        features: *d.features(),
    };
    let mut out: Vec<Vec<Step>> = vec![Vec::new(); events.len()];
    for f in 0..n {
        for (k, e) in events.iter().enumerate() {
            if !e.hold && e.end == f && e.frames() < horizon {
                let mut c = det.clone();
                for j in 0..horizon - e.frames() {
                    let src = e.start + j % e.frames();
                    let p = c.push_hop(hop(src), vad[src]);
                    out[k].push(step(&c, p));
                }
            }
        }
        let p = det.push_hop(hop(f), vad[f]);
        for (k, e) in events.iter().enumerate() {
            if f >= e.start && f < e.end && f < e.start + horizon {
                // Real hops come before the loop's (which are added at `e.end`).
                let at = f - e.start;
                out[k].insert(at, step(&det, p));
            }
        }
    }
    out
}

/// Model traces (P, or 0 while the VAD hears speech) and silence-baseline traces
/// (silence so far in ms) of one file's pauses.
pub fn trace_file(
    det: &EotDetector,
    samples: &[f32],
    vad: &[f32],
    events: &[Event],
    horizon: usize,
) -> (Vec<Trace>, Vec<Trace>) {
    let steps = walk(det, samples, vad, events, horizon);
    let mk = |f: &dyn Fn(&Step) -> f32| -> Vec<Trace> {
        events
            .iter()
            .zip(&steps)
            .map(|(e, st)| Trace {
                hold: e.hold,
                frames: e.frames(),
                scores: st.iter().map(f).collect(),
            })
            .collect()
    };
    (mk(&|s| s.p.unwrap_or(0.0)), mk(&|s| s.silence_ms))
}

/// One labelled dialogue: 16 kHz samples and speaker segments.
pub struct Dialogue {
    pub name: String,
    /// `clean` or the SNR group (`5 dB`).
    pub group: String,
    pub split: String,
    pub samples: Vec<f32>,
    pub segments: Vec<Segment>,
}

/// Speaker segments of a manifest item: its words, by speaker.
pub fn segments_of(item: &synth::ManifestItem) -> Vec<Segment> {
    item.words
        .iter()
        .map(|w| Segment {
            start: w.start,
            end: w.end,
            speaker: w.speaker.to_string(),
        })
        .collect()
}

/// Audacity labels with the speaker as the label (`start<TAB>end<TAB>speaker`).
pub fn read_speaker_labels(path: &Path) -> anyhow::Result<Vec<Segment>> {
    const FORM: &str = "start<TAB>end<TAB>speaker";
    crate::vad::eval::read_audacity(path, FORM)?
        .into_iter()
        .map(|l| {
            if l.text.is_empty() {
                bail!(
                    "{}:{}: expected `{FORM}` in seconds, got a label without a speaker",
                    path.display(),
                    l.line
                );
            }
            Ok(Segment {
                start: l.start,
                end: l.end,
                speaker: l.text,
            })
        })
        .collect()
}

fn load_16k(path: &Path) -> anyhow::Result<Vec<f32>> {
    let a = crate::audio::read_wav(path)?;
    crate::audio::resample::resample(&a.to_mono()?, a.sample_rate, 16_000)
}

/// The dialogues of DIR: a speech set's `manifest.jsonl` (its dialogue items, words
/// with speakers), or else every `NAME.wav` with a `NAME.txt` of speaker labels.
pub fn load_dialogues(dir: &Path, split: Option<&str>) -> anyhow::Result<Vec<Dialogue>> {
    let mut out = Vec::new();
    if dir.join("manifest.jsonl").exists() {
        for it in synth::read_manifest(dir)? {
            if it.kind != "dialogue" || split.is_some_and(|s| s != it.split) {
                continue;
            }
            out.push(Dialogue {
                name: it.id.clone(),
                group: it.snr_db.map_or("clean".to_string(), |s| format!("{s} dB")),
                split: it.split.clone(),
                samples: load_16k(&dir.join(&it.wav))?,
                segments: segments_of(&it),
            });
        }
        if out.is_empty() {
            bail!(
                "{}: the speech set has no dialogues{} (make some with `labbook data speech --dialogues 60 --turn-prosody`)",
                dir.display(),
                split.map_or(String::new(), |s| format!(" in split `{s}`"))
            );
        }
        return Ok(out);
    }
    let mut files: Vec<(PathBuf, PathBuf)> = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "wav") && p.with_extension("txt").exists() {
            files.push((p.clone(), p.with_extension("txt")));
        }
    }
    files.sort();
    if files.is_empty() {
        bail!(
            "{} holds neither a speech set (manifest.jsonl) nor NAME.wav files with NAME.txt speaker labels (start<TAB>end<TAB>speaker per speech segment, seconds)",
            dir.display()
        );
    }
    for (wav, txt) in files {
        let name = wav
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        out.push(Dialogue {
            group: crate::vad::eval::group_of(&name),
            name,
            split: "test".into(),
            samples: load_16k(&wav)?,
            segments: read_speaker_labels(&txt)?,
        });
    }
    Ok(out)
}

/// The protocol's figures for one detector and group.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub detector: String,
    pub group: String,
    pub files: usize,
    pub holds: usize,
    pub shifts: usize,
    pub cutoff_at_300ms: Option<OperatingPoint>,
    pub cutoff_at_500ms: Option<OperatingPoint>,
    pub latency_at_5pct: Option<OperatingPoint>,
    pub balanced_accuracy: f64,
    pub auc_at_100ms: Option<f64>,
}

pub fn row(
    detector: &str,
    group: &str,
    files: usize,
    traces: &[Trace],
    horizon: usize,
    query_hop: usize,
    baseline: bool,
) -> Row {
    let c = curve(traces, horizon);
    Row {
        detector: detector.into(),
        group: group.into(),
        files,
        holds: traces.iter().filter(|t| t.hold).count(),
        shifts: traces.iter().filter(|t| !t.hold).count(),
        cutoff_at_300ms: cutoff_at_latency(&c, 300.0),
        cutoff_at_500ms: cutoff_at_latency(&c, 500.0),
        latency_at_5pct: latency_at_cutoff(&c, 0.05),
        balanced_accuracy: if baseline {
            0.5
        } else {
            balanced_accuracy(traces, query_hop, 0.5)
        },
        auc_at_100ms: if baseline {
            None
        } else {
            auc_at(traces, query_hop)
        },
    }
}

/// Options of [`evaluate`].
pub struct Options {
    pub min_silence_ms: usize,
    pub horizon_ms: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            min_silence_ms: 100,
            horizon_ms: 3000,
        }
    }
}

/// Score the silence-only baseline (and the model, when given) on every dialogue;
/// rows per group (clean / SNR) and `all`.
pub fn evaluate(
    dialogues: &[Dialogue],
    vad: &mut dyn Vad,
    model: Option<&EotDetector>,
    opt: &Options,
) -> anyhow::Result<Vec<Row>> {
    let horizon = opt.horizon_ms / 10;
    let min_frames = opt.min_silence_ms.div_ceil(10).max(1);
    let query = min_frames - 1;
    let plain = EotDetector::silence_only(f32::INFINITY);
    let det = model.unwrap_or(&plain);
    let mut groups: std::collections::BTreeMap<String, (usize, Vec<Trace>, Vec<Trace>)> =
        Default::default();
    for d in dialogues {
        let probs = vad_probs(vad, &d.samples)?;
        let ev = events(&d.segments, probs.len(), min_frames);
        let (m, s) = trace_file(det, &d.samples, &probs, &ev, horizon);
        let g = groups.entry(d.group.clone()).or_default();
        g.0 += 1;
        g.1.extend(m);
        g.2.extend(s);
    }
    let mut rows = Vec::new();
    let mut all = (0usize, Vec::new(), Vec::new());
    let many = groups.len() > 1;
    for (name, (files, m, s)) in groups {
        rows.push(row("silence", &name, files, &s, horizon, query, true));
        if model.is_some() {
            rows.push(row("model", &name, files, &m, horizon, query, false));
        }
        all.0 += files;
        all.1.extend(m);
        all.2.extend(s);
    }
    if many {
        rows.push(row("silence", "all", all.0, &all.2, horizon, query, true));
        if model.is_some() {
            rows.push(row("model", "all", all.0, &all.1, horizon, query, false));
        }
    }
    Ok(rows)
}
