//! Tests of whole generated sets (they need `espeak-ng`): one small set is shared by
//! the label checks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::*;
use crate::audio::augment;

fn require_espeak() {
    let ok = Command::new("espeak-ng")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "espeak-ng is not installed (or not on PATH); these tests need it: \
         sudo apt-get install espeak-ng  (macOS: brew install espeak-ng)"
    );
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("h-speech-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn test_config(out_dir: PathBuf) -> SpeechSetConfig {
    SpeechSetConfig {
        out_dir,
        n_utterances: 6,
        n_dialogues: 3,
        voices: vec!["en-us".into(), "en-us+f3".into(), "en-gb-scotland".into()],
        snrs_db: vec![20.0, 10.0, 5.0, 0.0],
        seed: 7,
        espeak: PathBuf::from("espeak-ng"),
        noisy: NoisyCopies::EverySnr,
        turn_prosody: false,
        long_holds: false,
    }
}

/// One corpus shared by the label tests.
fn corpus() -> &'static (PathBuf, Vec<ManifestItem>) {
    static C: OnceLock<(PathBuf, Vec<ManifestItem>)> = OnceLock::new();
    C.get_or_init(|| {
        require_espeak();
        let dir = tmp("shared");
        let mut calls = Vec::new();
        let s = generate(&test_config(dir.clone()), |d, t| calls.push((d, t))).unwrap();
        assert_eq!(calls.last(), Some(&(9, 9)));
        assert_eq!(s.n_clean, 9);
        assert_eq!(s.n_noisy, 36);
        let m = read_manifest(&dir).unwrap();
        (dir, m)
    })
}

fn read_wav(path: &Path) -> Vec<i16> {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (16_000, 1, 16)
    );
    r.samples::<i16>().map(|s| s.unwrap()).collect()
}

fn clean_items() -> Vec<&'static ManifestItem> {
    corpus().1.iter().filter(|r| r.snr_db.is_none()).collect()
}

#[test]
fn missing_binary_is_reported_with_install_command() {
    let mut cfg = test_config(tmp("missing"));
    cfg.espeak = PathBuf::from("/nonexistent/dir/espeak-ng");
    let e = generate(&cfg, |_, _| {}).unwrap_err().to_string();
    assert!(e.contains("espeak-ng not found"), "{e}");
    assert!(e.contains("/nonexistent/dir/espeak-ng"), "{e}");
    assert!(e.contains("sudo apt-get install espeak-ng"), "{e}");
    assert!(e.contains("brew install espeak-ng"), "{e}");
    assert!(!cfg.out_dir.exists(), "nothing should be written");
}

#[test]
fn unknown_voice_is_named() {
    require_espeak();
    let mut cfg = test_config(tmp("voice"));
    cfg.voices = vec!["en-us".into(), "en-zz".into()];
    let e = generate(&cfg, |_, _| {}).unwrap_err().to_string();
    assert!(e.contains("`en-zz`") && e.contains("no voice"), "{e}");
    cfg.voices = vec!["en-us".into(), "en-gb+nosuchvariant".into()];
    let e = generate(&cfg, |_, _| {}).unwrap_err().to_string();
    assert!(
        e.contains("nosuchvariant") && e.contains("no voice variant"),
        "{e}"
    );
}

#[test]
fn refuses_a_foreign_non_empty_dir() {
    require_espeak();
    let dir = tmp("foreign");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("precious.txt"), "x").unwrap();
    let e = generate(&test_config(dir.clone()), |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("not empty"), "{e}");
    assert!(dir.join("precious.txt").exists());
}

#[test]
fn word_spans_are_ordered_inside_and_cover_all_energy() {
    let (dir, _) = corpus();
    for r in clean_items() {
        let wav = read_wav(&dir.join(&r.wav));
        assert_eq!(wav.len(), r.n_samples, "{}", r.id);
        assert_eq!(r.n_samples, r.n_frames * FRAME_SAMPLES);
        assert!((r.duration - r.n_samples as f64 / 16_000.0).abs() < 1e-12);
        assert!(!r.words.is_empty());
        let mut covered = vec![false; wav.len()];
        for s in 0..r.speakers.len() {
            let mut prev_end = 0usize;
            for w in r.words.iter().filter(|w| w.speaker == s) {
                assert!(w.start_sample >= prev_end, "{}: {} overlaps", r.id, w.word);
                assert!(w.start_sample < w.end_sample && w.end_sample <= wav.len());
                assert!((w.start - w.start_sample as f64 / 16_000.0).abs() < 1e-12);
                assert!((w.end - w.end_sample as f64 / 16_000.0).abs() < 1e-12);
                prev_end = w.end_sample;
            }
        }
        for w in &r.words {
            covered[w.start_sample..w.end_sample]
                .iter_mut()
                .for_each(|c| *c = true);
        }
        // Words sit on digital silence: nothing outside the spans.
        for (i, (&v, &c)) in wav.iter().zip(&covered).enumerate() {
            assert!(
                c || v == 0,
                "{}: sample {i} = {v} outside every word span",
                r.id
            );
        }
        // Each span starts and ends on speech energy (within the 5 ms margin).
        let x: Vec<f32> = wav.iter().map(|&v| v as f32 / 32768.0).collect();
        for w in &r.words {
            let alone = !r.words.iter().any(|o| {
                o.speaker != w.speaker
                    && o.start_sample < w.end_sample
                    && w.start_sample < o.end_sample
            });
            if !alone {
                continue;
            }
            let span = &x[w.start_sample..w.end_sample];
            let peak = trim_envelope(span).into_iter().fold(0.0f64, f64::max);
            assert!(
                peak > 0.01,
                "{}: {} is near-silent (peak {peak})",
                r.id,
                w.word
            );
            let edge = FRAME_SAMPLES.min(span.len());
            let rms = |s: &[f32]| {
                (s.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / s.len() as f64).sqrt()
            };
            let (head, tail) = (rms(&span[..edge]), rms(&span[span.len() - edge..]));
            assert!(
                head >= 0.005 * peak,
                "{}: {} starts silent ({head} vs {peak})",
                r.id,
                w.word
            );
            assert!(
                tail >= 0.005 * peak,
                "{}: {} ends silent ({tail} vs {peak})",
                r.id,
                w.word
            );
        }
    }
}

/// The ≥ 50 % rule recomputed with interval arithmetic.
fn reference_frames(spans: &[(usize, usize)], n_frames: usize) -> Vec<usize> {
    let mut merged: Vec<(usize, usize)> = spans.to_vec();
    merged.sort();
    let mut m: Vec<(usize, usize)> = Vec::new();
    for (a, b) in merged {
        match m.last_mut() {
            Some(l) if a <= l.1 => l.1 = l.1.max(b),
            _ => m.push((a, b)),
        }
    }
    (0..n_frames)
        .map(|f| {
            let (fa, fb) = (f * 160, f * 160 + 160);
            let inside: usize = m
                .iter()
                .map(|&(a, b)| b.min(fb).saturating_sub(a.max(fa)))
                .sum();
            usize::from(2 * inside >= 160)
        })
        .collect()
}

fn check_runs(runs: &[[usize; 3]], n_frames: usize) {
    assert_eq!(runs.first().map(|r| r[0]), Some(0));
    assert_eq!(runs.last().map(|r| r[1]), Some(n_frames));
    for w in runs.windows(2) {
        assert_eq!(w[0][1], w[1][0]);
        assert_ne!(w[0][2], w[1][2]);
    }
}

#[test]
fn frame_labels_follow_the_spans() {
    for r in clean_items() {
        let all: Vec<(usize, usize)> = r
            .words
            .iter()
            .map(|w| (w.start_sample, w.end_sample))
            .collect();
        check_runs(&r.vad, r.n_frames);
        assert_eq!(
            expand_runs(&r.vad),
            reference_frames(&all, r.n_frames),
            "{}",
            r.id
        );
        assert_eq!(r.vad_speakers.len(), r.speakers.len());
        for (s, runs) in r.vad_speakers.iter().enumerate() {
            let spans: Vec<(usize, usize)> = r
                .words
                .iter()
                .filter(|w| w.speaker == s)
                .map(|w| (w.start_sample, w.end_sample))
                .collect();
            check_runs(runs, r.n_frames);
            assert_eq!(
                expand_runs(runs),
                reference_frames(&spans, r.n_frames),
                "{}",
                r.id
            );
        }
    }
}

#[test]
fn dialogue_pauses_are_classified() {
    let dlgs: Vec<_> = clean_items()
        .into_iter()
        .filter(|r| r.kind == "dialogue")
        .collect();
    assert_eq!(dlgs.len(), 3);
    for r in dlgs {
        assert_eq!(r.speakers.len(), 2);
        assert_ne!(r.speakers[0].voice, r.speakers[1].voice);
        for t in r.turns.windows(2) {
            assert_ne!(t[0].speaker, t[1].speaker, "{}: turns must alternate", r.id);
            assert!(t[1].end_sample > t[0].end_sample);
        }
        let holds: usize = r.turns.iter().map(|t| t.n_phrases - 1).sum();
        let count = |k: &str| r.pauses.iter().filter(|p| p.kind == k).count();
        assert_eq!(count("hold"), holds, "{}", r.id);
        assert_eq!(
            count("shift") + count("overlap"),
            r.turns.len() - 1,
            "{}",
            r.id
        );
        for p in &r.pauses {
            let ms = (p.end_sample - p.start_sample) as f64 / 16.0;
            let ends = r.words.iter().find(|w| w.end_sample == p.start_sample);
            let starts = r.words.iter().find(|w| w.start_sample == p.end_sample);
            match p.kind.as_str() {
                "hold" | "shift" => {
                    let before = ends.unwrap_or_else(|| panic!("{}: no word ends at {p:?}", r.id));
                    let after =
                        starts.unwrap_or_else(|| panic!("{}: no word starts at {p:?}", r.id));
                    assert_eq!(before.speaker, p.from_speaker);
                    assert_eq!(after.speaker, p.to_speaker);
                    if p.kind == "hold" {
                        assert_eq!(p.from_speaker, p.to_speaker, "{}: hold {p:?}", r.id);
                        assert!((150.0..=600.0).contains(&ms), "{}: hold {ms} ms", r.id);
                    } else {
                        assert_ne!(p.from_speaker, p.to_speaker, "{}: shift {p:?}", r.id);
                        assert!((200.0..=1200.0).contains(&ms), "{}: shift {ms} ms", r.id);
                    }
                    // silence: no word of anyone inside
                    assert!(
                        r.words
                            .iter()
                            .all(|w| w.end_sample <= p.start_sample
                                || w.start_sample >= p.end_sample),
                        "{}: speech inside {p:?}",
                        r.id
                    );
                }
                "overlap" => {
                    assert_ne!(p.from_speaker, p.to_speaker);
                    assert!((50.0..=300.0).contains(&ms), "{}: overlap {ms} ms", r.id);
                    let w_to = r.words.iter().find(|w| w.start_sample == p.start_sample);
                    let w_from = r.words.iter().find(|w| w.end_sample == p.end_sample);
                    assert_eq!(w_to.map(|w| w.speaker), Some(p.to_speaker));
                    assert_eq!(w_from.map(|w| w.speaker), Some(p.from_speaker));
                }
                k => panic!("unknown pause kind {k}"),
            }
        }
    }
}

#[test]
fn noisy_copies_hit_the_snr() {
    let (dir, rows) = corpus();
    let clean: BTreeMap<&str, &ManifestItem> = rows
        .iter()
        .filter(|r| r.snr_db.is_none())
        .map(|r| (r.id.as_str(), r))
        .collect();
    let mut n = 0;
    for r in rows.iter().filter(|r| r.snr_db.is_some()) {
        let c = clean[r.clean_id.as_str()];
        assert_eq!(
            (&r.words, &r.vad, &r.pauses, &r.split),
            (&c.words, &c.vad, &c.pauses, &c.split)
        );
        let s: Vec<f32> = read_wav(&dir.join(&c.wav))
            .iter()
            .map(|&v| v as f32 / 32768.0)
            .collect();
        let y: Vec<f32> = read_wav(&dir.join(&r.wav))
            .iter()
            .map(|&v| v as f32 / 32768.0)
            .collect();
        assert_eq!(s.len(), y.len());
        let g = r.mix_gain.unwrap();
        assert!(g > 0.0 && g <= 1.0);
        let got =
            augment::measure_snr_db_scaled(&s, g, &y, augment::SnrReference::WholeSignal).unwrap();
        let (target, recorded) = (r.snr_db.unwrap(), r.achieved_snr_db.unwrap());
        assert!(
            (got - recorded).abs() < 1e-6,
            "{}: {got} vs recorded {recorded}",
            r.id
        );
        assert!(
            (got - target).abs() <= 0.1,
            "{}: {got} dB vs {target} dB",
            r.id
        );
        assert!(matches!(r.noise.as_deref(), Some("white") | Some("pink")));
        n += 1;
    }
    assert_eq!(n, 36);
}

#[test]
fn splits_hold_out_one_voice() {
    let (dir, rows) = corpus();
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("stats.json")).unwrap()).unwrap();
    assert!(stats["espeak_version"]
        .as_str()
        .unwrap()
        .contains("eSpeak NG"));
    let held = stats["held_out_voice"].as_str().unwrap().to_string();
    for r in rows {
        let has = r.speakers.iter().any(|s| s.voice == held);
        assert_eq!(has, r.held_out_voice);
        assert_eq!(r.split == "test", has, "{}", r.id);
        assert!(["train", "dev", "test"].contains(&r.split.as_str()));
    }
    assert!(rows.iter().any(|r| r.split == "test"));
    assert!(rows.iter().any(|r| r.split != "test"));
    assert!(dir.join("README.md").exists());
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for sub in [dir.to_path_buf(), dir.join("wav")] {
        for e in std::fs::read_dir(&sub).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn same_seed_gives_identical_files() {
    let (dir, _) = corpus();
    let again = tmp("again");
    generate(&test_config(again.clone()), |_, _| {}).unwrap();
    let (a, b) = (files(dir), files(&again));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert_eq!(a.len(), 9 * 5 + 3);
    for (k, v) in &a {
        assert!(v == &b[k], "{k} differs between two runs with one seed");
    }
    // Regenerating into an existing corpus replaces it; another seed changes it.
    let mut cfg = test_config(again.clone());
    cfg.seed = 8;
    cfg.n_dialogues = 0;
    generate(&cfg, |_, _| {}).unwrap();
    let c = files(&again);
    assert_eq!(c.len(), 6 * 5 + 3);
    assert_ne!(c["manifest.jsonl"], a["manifest.jsonl"]);
    let _ = std::fs::remove_dir_all(&again);
}
