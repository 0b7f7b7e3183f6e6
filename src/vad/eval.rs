//! Frame-level VAD evaluation against Audacity-style labels (`start<TAB>end<TAB>label`,
//! seconds, one line per speech segment): frame F1 of the decisions, ROC-AUC of the
//! scores, onset and offset latency per labelled segment, and the cost per 32 ms of
//! audio. Frames are the detector's hops; a frame is speech in the reference when at
//! least half of it lies inside a labelled segment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use serde::Serialize;

use super::Vad;
use crate::audio;

/// One label of an Audacity label file.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub start: f64,
    pub end: f64,
    /// The label's text (empty when the line has none).
    pub text: String,
    /// 1-based line number, for errors.
    pub line: usize,
}

/// Every label of an Audacity label file — `start<TAB>end[<TAB>text]` in seconds, blank
/// lines and `#` comments skipped — in file order; `expected` (the form the caller
/// wants) names what a bad line should have looked like.
pub fn read_audacity(path: &Path, expected: &str) -> anyhow::Result<Vec<Label>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let num = |s: Option<&&str>| {
            s.and_then(|s| s.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite())
        };
        match (num(f.first()), num(f.get(1))) {
            (Some(a), Some(b)) if b >= a && a >= 0.0 => out.push(Label {
                start: a,
                end: b,
                text: f.get(2).map_or("", |t| t.trim()).to_string(),
                line: i + 1,
            }),
            _ => bail!(
                "{}:{}: expected `{expected}` in seconds, got `{line}`",
                path.display(),
                i + 1
            ),
        }
    }
    Ok(out)
}

/// Speech segments (seconds) from an Audacity label file, in time order.
pub fn read_labels(path: &Path) -> anyhow::Result<Vec<(f64, f64)>> {
    let mut segs: Vec<(f64, f64)> = read_audacity(path, "start<TAB>end[<TAB>label]")?
        .into_iter()
        .map(|l| (l.start, l.end))
        .collect();
    segs.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(segs)
}

/// Audacity labels for speech runs of 10 ms frames (`[start, end, 0|1]`).
pub fn labels_from_runs(runs: &[[usize; 3]], frame_s: f64) -> String {
    runs.iter()
        .filter(|r| r[2] == 1)
        .map(|r| {
            format!(
                "{:.3}\t{:.3}\tspeech\n",
                r[0] as f64 * frame_s,
                r[1] as f64 * frame_s
            )
        })
        .collect()
}

/// One file run through one detector.
#[derive(Debug, Clone, Default)]
pub struct FileResult {
    pub truth: Vec<bool>,
    pub scores: Vec<f32>,
    pub decisions: Vec<bool>,
    /// Per labelled segment: onset latency (s) or None (missed).
    pub onsets: Vec<Option<f64>>,
    /// Per labelled segment: offset latency (s) or None (speech never ended before the
    /// next segment or the end of the file).
    pub offsets: Vec<Option<f64>>,
    pub seconds: f64,
    pub cpu_seconds: f64,
}

/// Run `vad` over 16 kHz `samples` against `segments`.
pub fn run_file(
    vad: &mut dyn Vad,
    samples: &[f32],
    segments: &[(f64, f64)],
) -> anyhow::Result<FileResult> {
    vad.reset();
    let hop = vad.hop();
    let frame_s = hop as f64 / 16_000.0;
    let n = samples.len() / hop;
    let mut r = FileResult {
        seconds: samples.len() as f64 / 16_000.0,
        ..Default::default()
    };
    let t0 = Instant::now();
    for f in 0..n {
        let (s, d) = vad.push(&samples[f * hop..(f + 1) * hop])?;
        r.scores.push(s);
        r.decisions.push(d);
    }
    r.cpu_seconds = t0.elapsed().as_secs_f64();
    r.truth = (0..n)
        .map(|f| {
            let (a, b) = (f as f64 * frame_s, (f + 1) as f64 * frame_s);
            let inside: f64 = segments
                .iter()
                .map(|(s, e)| (b.min(*e) - a.max(*s)).max(0.0))
                .sum();
            inside >= frame_s / 2.0
        })
        .collect();
    for (k, (s, e)) in segments.iter().enumerate() {
        let first = (s / frame_s).floor() as usize;
        let last = ((e / frame_s).ceil() as usize).min(n);
        r.onsets.push(
            (first..last)
                .find(|f| r.decisions[*f])
                .map(|f| (f as f64 * frame_s - s).max(0.0)),
        );
        let next = segments
            .get(k + 1)
            .map_or(n, |(ns, _)| ((ns / frame_s).floor() as usize).min(n));
        let from = ((e / frame_s).floor() as usize).min(n);
        r.offsets.push(
            (from..next.max(from))
                .find(|f| !r.decisions[*f])
                .map(|f| (f as f64 * frame_s - e).max(0.0)),
        );
    }
    Ok(r)
}

/// F1 of the speech class.
pub fn f1(truth: &[bool], pred: &[bool]) -> f64 {
    let tp = truth.iter().zip(pred).filter(|(t, p)| **t && **p).count() as f64;
    let fp = truth.iter().zip(pred).filter(|(t, p)| !**t && **p).count() as f64;
    let fneg = truth.iter().zip(pred).filter(|(t, p)| **t && !**p).count() as f64;
    if tp == 0.0 {
        0.0
    } else {
        2.0 * tp / (2.0 * tp + fp + fneg)
    }
}

/// Area under the ROC curve (the Mann–Whitney statistic, ties counted half); None
/// when one class is absent.
pub fn roc_auc(truth: &[bool], scores: &[f32]) -> Option<f64> {
    let mut idx: Vec<usize> = (0..truth.len()).collect();
    idx.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let (npos, nneg) = (
        truth.iter().filter(|t| **t).count() as f64,
        truth.iter().filter(|t| !**t).count() as f64,
    );
    if npos == 0.0 || nneg == 0.0 {
        return None;
    }
    // Average ranks over ties.
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for k in i..=j {
            if truth[idx[k]] {
                rank_sum_pos += avg;
            }
        }
        i = j + 1;
    }
    Some((rank_sum_pos - npos * (npos + 1.0) / 2.0) / (npos * nneg))
}

/// A group's figures (one detector, one SNR).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub vad: String,
    pub group: String,
    pub files: usize,
    pub frames: usize,
    pub f1: f64,
    pub roc_auc: Option<f64>,
    pub onset_p50_ms: Option<f64>,
    pub onset_p90_ms: Option<f64>,
    pub missed_segments: usize,
    pub offset_p50_ms: Option<f64>,
    pub offset_p90_ms: Option<f64>,
    pub segments: usize,
    /// CPU time per 32 ms of audio.
    pub us_per_32ms: f64,
}

fn pct(v: &[f64], q: f64) -> Option<f64> {
    crate::eval::latency::percentile(v, q).ok()
}

pub fn summarize(vad: &str, group: &str, files: &[FileResult]) -> Summary {
    let truth: Vec<bool> = files.iter().flat_map(|f| f.truth.iter().copied()).collect();
    let dec: Vec<bool> = files
        .iter()
        .flat_map(|f| f.decisions.iter().copied())
        .collect();
    let sc: Vec<f32> = files
        .iter()
        .flat_map(|f| f.scores.iter().copied())
        .collect();
    let on: Vec<f64> = files
        .iter()
        .flat_map(|f| f.onsets.iter().flatten().map(|v| v * 1e3))
        .collect();
    let off: Vec<f64> = files
        .iter()
        .flat_map(|f| f.offsets.iter().flatten().map(|v| v * 1e3))
        .collect();
    let segments = files.iter().map(|f| f.onsets.len()).sum();
    let secs: f64 = files.iter().map(|f| f.seconds).sum();
    let cpu: f64 = files.iter().map(|f| f.cpu_seconds).sum();
    Summary {
        vad: vad.to_string(),
        group: group.to_string(),
        files: files.len(),
        frames: truth.len(),
        f1: f1(&truth, &dec),
        roc_auc: roc_auc(&truth, &sc),
        onset_p50_ms: pct(&on, 50.0),
        onset_p90_ms: pct(&on, 90.0),
        missed_segments: files
            .iter()
            .map(|f| f.onsets.iter().filter(|o| o.is_none()).count())
            .sum(),
        offset_p50_ms: pct(&off, 50.0),
        offset_p90_ms: pct(&off, 90.0),
        segments,
        us_per_32ms: if secs > 0.0 {
            cpu / secs * 0.032 * 1e6
        } else {
            0.0
        },
    }
}

/// The SNR group of a file name (`…_snr5.wav` → `5 dB`), else `clean`.
pub fn group_of(name: &str) -> String {
    match name.rsplit_once("_snr") {
        Some((_, rest)) => {
            let num: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '-' || *c == '.')
                .collect();
            if num.is_empty() {
                "clean".into()
            } else {
                format!("{num} dB")
            }
        }
        None => "clean".into(),
    }
}

/// A group's SNR for ordering (`clean` is +∞).
fn snr_of(group: &str) -> f64 {
    group
        .strip_suffix(" dB")
        .and_then(|n| n.parse().ok())
        .unwrap_or(f64::INFINITY)
}

/// Every `NAME.wav` in `dir` with a `NAME.txt` beside it.
pub fn labelled_files(dir: &Path) -> anyhow::Result<Vec<(PathBuf, PathBuf)>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "wav") {
            let lab = p.with_extension("txt");
            if lab.exists() {
                out.push((p, lab));
            }
        }
    }
    out.sort();
    if out.is_empty() {
        bail!(
            "{} has no NAME.wav with a NAME.txt label file beside it (Audacity labels: start<TAB>end<TAB>label per speech segment, seconds)",
            dir.display()
        );
    }
    Ok(out)
}

/// Evaluate detectors on a directory; one summary per detector and SNR group, plus
/// an `all` group.
pub fn evaluate(dir: &Path, vads: &mut [Box<dyn Vad>]) -> anyhow::Result<Vec<Summary>> {
    let files = labelled_files(dir)?;
    let mut loaded = Vec::new();
    for (wav, lab) in &files {
        let a = audio::read_wav(wav)?;
        let x = audio::resample::resample(&a.to_mono()?, a.sample_rate, 16_000)?;
        let name = wav
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        loaded.push((group_of(&name), x, read_labels(lab)?));
    }
    let mut out = Vec::new();
    for vad in vads.iter_mut() {
        let mut groups: BTreeMap<String, Vec<FileResult>> = BTreeMap::new();
        for (g, x, segs) in &loaded {
            let r = run_file(vad.as_mut(), x, segs)?;
            groups.entry(g.clone()).or_default().push(r);
        }
        let all: Vec<FileResult> = groups.values().flatten().cloned().collect();
        // clean first, then from the highest SNR down
        let mut order: Vec<(&String, &Vec<FileResult>)> = groups.iter().collect();
        order.sort_by(|a, b| snr_of(b.0).total_cmp(&snr_of(a.0)));
        for (g, rs) in order {
            out.push(summarize(vad.name(), g, rs));
        }
        if groups.len() > 1 {
            out.push(summarize(vad.name(), "all", &all));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_and_f1_by_hand() {
        let t = [false, false, true, true];
        assert_eq!(roc_auc(&t, &[0.1, 0.4, 0.35, 0.8]), Some(0.75));
        assert_eq!(roc_auc(&t, &[0.5, 0.5, 0.5, 0.5]), Some(0.5));
        assert_eq!(roc_auc(&[true, true], &[0.1, 0.2]), None);
        assert!((f1(&t, &[false, true, true, false]) - 0.5).abs() < 1e-12);
        assert_eq!(group_of("utt-0001_snr5"), "5 dB");
        assert_eq!(group_of("utt-0001_snr-5"), "-5 dB");
        assert_eq!(group_of("utt-0001"), "clean");
    }

    #[test]
    fn latencies_on_a_scripted_stream() {
        // 1 s silence, 1 s tone, 1 s silence: the energy VAD's onset is 2 frames
        // (20 ms) late by design and its offset is the hangover (20 frames, 200 ms).
        let mut x = vec![0.0f32; 48_000];
        for (i, v) in x[16_000..32_000].iter_mut().enumerate() {
            *v = (i as f32 * 2.0 * std::f32::consts::PI * 200.0 / 16_000.0).sin() * 0.3;
        }
        let mut vad = super::super::EnergyVad::default();
        let r = run_file(&mut vad, &x, &[(1.0, 2.0)]).unwrap();
        let on = r.onsets[0].unwrap();
        let off = r.offsets[0].unwrap();
        assert!((on - 0.01).abs() < 0.011, "onset {on}");
        assert!((off - 0.21).abs() < 0.011, "offset {off}");
        assert!(f1(&r.truth, &r.decisions) > 0.85);
        assert!(roc_auc(&r.truth, &r.scores).unwrap() > 0.99);
    }

    #[test]
    fn bad_label_lines_are_named() {
        let d = std::env::temp_dir().join(format!("lb-vad-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("x.txt");
        std::fs::write(&p, "0.5\t1.0\tspeech\n2.0\tone\n").unwrap();
        let e = read_labels(&p).unwrap_err().to_string();
        assert!(e.contains("x.txt:2"), "{e}");
        let _ = std::fs::remove_dir_all(&d);
    }
}
