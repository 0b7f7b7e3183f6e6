//! The real-time turn-taking loop: latency accounting on a scripted stream whose speech
//! end times are known, barge-in, the pipeline on WAV input end to end (the `latency`
//! experiment and the demo command), WebRTC VAD, and the live view.

use std::path::Path;

use labbook::rt::engine::{self, Engine, Event, Recorder, Settings, SilenceEot};
use labbook::rt::source::{AudioSource, Script, FRAME_S};
use labbook::vad::{EnergyVad, Vad};

use crate::common::{json_lines, lb, lb_scratch};

fn answer(seconds: f64) -> Vec<f32> {
    (0..(seconds * 16_000.0) as usize)
        .map(|i| 0.2 * (i as f32 * 0.05).sin())
        .collect()
}

fn session(
    script: &Script,
    silence_ms: u32,
    barge_ms: u32,
) -> (engine::Summary, Vec<Event>, labbook::rt::Truth) {
    let mut src = script.source(false);
    let truth = src.truth().cloned().unwrap();
    let mut eng = Engine::new(
        Box::new(EnergyVad::default()),
        Box::new(SilenceEot::new(silence_ms)),
        Settings {
            answer: answer(2.0),
            barge_ms,
        },
    );
    let mut rec = Recorder::default();
    let mut events = Vec::new();
    let s = engine::run(&mut src, &mut eng, &mut rec, None, |e| {
        if !matches!(e, Event::Frame(_)) {
            events.push(e.clone());
        }
        Ok(())
    })
    .unwrap();
    (s, events, truth)
}

#[test]
fn the_scripted_stream_is_deterministic_and_its_truth_consistent() {
    let sc = Script {
        turns: 6,
        ..Script::default()
    };
    let (a, ta) = sc.render();
    let (b, tb) = sc.render();
    assert_eq!(a, b);
    assert_eq!(ta, tb);
    assert_eq!(ta.turn_ends.len(), 6);
    assert!(ta.segments.len() >= 6);
    for e in &ta.turn_ends {
        assert!(ta.segments.iter().any(|s| s.1 == *e));
    }
    for w in ta.segments.windows(2) {
        assert!(w[0].1 < w[1].0, "segments overlap: {w:?}");
    }
    // speech is loud, gaps are at the noise floor
    let rms = |from: f64, to: f64| {
        let x = &a[(from * 16e3) as usize..(to * 16e3) as usize];
        (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt()
    };
    let (s0, e0) = ta.segments[0];
    assert!(rms(s0 + 0.1, e0 - 0.1) > 0.02);
    assert!(rms(0.0, s0 - 0.05) < 0.005);
    assert_ne!(
        a,
        Script {
            seed: 2,
            ..sc.clone()
        }
        .render()
        .0
    );
}

#[test]
fn latency_is_accounted_from_the_true_end_of_speech() {
    // Energy VAD: 200 ms hangover; silence window 300 ms; holds are at most 450 ms, so
    // every answer comes ≈ 500 ms after a turn's true end and no hold is cut off.
    let sc = Script {
        turns: 12,
        early_share: 0.0,
        ..Script::default()
    };
    let (s, events, truth) = session(&sc, 300, 150);
    assert_eq!(s.turns, 12, "{events:?}");
    assert_eq!(s.missed_turns, 0);
    assert_eq!(s.interruptions, 0);
    let turns: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Turn(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    for (t, end) in turns.iter().zip(&truth.turn_ends) {
        assert!(t.from_truth);
        assert!(
            (t.speech_end - end).abs() < 1e-9,
            "{} vs {end}",
            t.speech_end
        );
        // stream part: hangover + window, to the frame; the measured lag adds a little
        let stream_ms = (t.decided_at - end) * 1000.0;
        assert!((480.0..=530.0).contains(&stream_ms), "{stream_ms}");
        assert!(t.eot_ms >= stream_ms && t.eot_ms < stream_ms + 50.0);
        assert!(t.voice_to_voice_ms >= t.eot_ms);
        assert_eq!(t.cut_off, Some(false));
    }
    // the processing cost is measured per frame
    assert!(s.cost_us_p50 > 0.0 && s.cost_us_p99 >= s.cost_us_p50);
}

#[test]
fn a_short_window_cuts_users_off_in_hold_pauses_and_it_is_counted() {
    // 10 ms window: the answer comes 210 ms after any pause — inside most holds.
    let sc = Script {
        turns: 12,
        early_share: 0.0,
        hold_ms: (300, 450),
        ..Script::default()
    };
    let (s, events, truth) = session(&sc, 10, 150);
    let holds = truth.segments.len() - truth.turn_ends.len();
    assert!(holds > 0);
    assert_eq!(s.interruptions, holds, "{events:?}");
    assert_eq!(s.missed_turns, 0);
}

#[test]
fn the_user_speaking_over_the_answer_stops_it() {
    let sc = Script {
        turns: 12,
        early_share: 1.0,
        early_ms: (900, 1000),
        ..Script::default()
    };
    let (s, events, truth) = session(&sc, 300, 150);
    // every turn but the last is followed by speech 0.9–1.0 s after its end, while the
    // 2 s answer (started ≈ 0.5 s after the end) is playing
    let barges: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::BargeIn(b) => Some(b.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(barges.len(), 11, "{events:?}");
    assert_eq!(s.false_barge_ins, 0);
    for b in &barges {
        assert!(b.from_truth);
        assert!(truth
            .segments
            .iter()
            .any(|(on, _)| (on - b.onset).abs() < 1e-9));
        // VAD onset (2 frames) + 150 ms of speech, to the frame
        assert!((150.0..=200.0).contains(&b.stop_ms), "{}", b.stop_ms);
    }
}

#[test]
fn webrtc_vad_hears_a_voiced_signal_and_checks_its_arguments() {
    let (x, truth) = Script {
        turns: 2,
        ..Script::default()
    }
    .render();
    let mut v = labbook::vad::webrtc::WebRtcVad::new(2, 30).unwrap();
    assert_eq!(v.hop(), 480);
    let mut agree = 0;
    let n = x.len() / 480;
    for k in 0..n {
        let (_, d) = v.push(&x[k * 480..(k + 1) * 480]).unwrap();
        agree += (d == truth.speaking_at((k as f64 + 0.5) * 0.03)) as usize;
    }
    assert!(agree as f64 / n as f64 > 0.8, "{agree}/{n}");
    assert!(v
        .push(&x[..100])
        .unwrap_err()
        .to_string()
        .contains("480-sample"));
    assert!(labbook::vad::webrtc::WebRtcVad::new(4, 30).is_err());
    assert!(labbook::vad::webrtc::WebRtcVad::new(2, 25).is_err());
}

fn write_stream(dir: &Path, turns: usize) -> std::path::PathBuf {
    let (x, truth) = Script {
        turns,
        early_share: 0.0,
        ..Script::default()
    }
    .render();
    let wav = dir.join("talk.wav");
    labbook::audio::wav::write_wav_f32(&wav, &x, 1, 16_000).unwrap();
    let mut labels = String::new();
    for (s, e) in &truth.segments {
        let hold = !truth.turn_ends.contains(e);
        labels.push_str(&format!(
            "{s:.6}\t{e:.6}\t{}\n",
            if hold { "hold" } else { "speech" }
        ));
    }
    std::fs::write(wav.with_extension("txt"), labels).unwrap();
    wav
}

#[test]
fn the_latency_experiment_runs_a_wav_file_end_to_end() {
    let d = tempfile::tempdir().unwrap();
    let wav = write_stream(d.path(), 5);
    let out = d.path().join("out");
    let o = lb_scratch()
        .args(["exp", "latency", "--param"])
        .arg(format!("source=wav:{}", wav.display()))
        .args([
            "--param",
            "pace=fast",
            "--param",
            "silence_ms=300",
            "--param",
        ])
        .arg(format!("out={}", out.display()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    let recs = json_lines(text.as_bytes());
    assert!(recs[0]["source"].as_str().unwrap().contains("talk.wav"));
    let answers: Vec<_> = recs
        .iter()
        .filter(|r| r.get("voice_to_voice_ms").is_some())
        .collect();
    assert_eq!(answers.len(), 5, "{text}");
    for a in &answers {
        let v = a["voice_to_voice_ms"].as_f64().unwrap();
        assert!((480.0..600.0).contains(&v), "{v}");
        assert_eq!(a["cut_off"], 0);
    }
    assert!(recs.iter().filter(|r| r.get("vad_prob").is_some()).count() > 100);
    let last = recs.last().unwrap();
    assert_eq!(last["turns"], 5);
    assert_eq!(last["interruptions"], 0);
    assert_eq!(last["missed_turns"], 0);
    assert!(last["v2v_p95_ms"].as_f64().unwrap() >= last["v2v_p50_ms"].as_f64().unwrap());
    // the session recording: input left, agent right, as long as the input
    let a = labbook::audio::read_wav(out.join("session.wav")).unwrap();
    assert_eq!(a.channels, 2);
    let input = labbook::audio::read_wav(&wav).unwrap();
    assert!((a.n_frames() as i64 - input.n_frames() as i64).abs() < 160);
    let agent: f32 = a.samples.iter().skip(1).step_by(2).map(|v| v.abs()).sum();
    assert!(agent > 0.0, "the answers are on the right channel");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("latency.json")).unwrap()).unwrap();
    assert_eq!(j["turns"], 5);
}

#[test]
fn real_time_pace_takes_as_long_as_the_audio() {
    let d = tempfile::tempdir().unwrap();
    let (x, _) = Script {
        turns: 1,
        ..Script::default()
    }
    .render();
    let x = &x[..16_000 * 2];
    let wav = d.path().join("two.wav");
    labbook::audio::wav::write_wav_f32(&wav, x, 1, 16_000).unwrap();
    let mut src = labbook::rt::source::wav(&wav, true).unwrap();
    let t0 = std::time::Instant::now();
    let mut f = [0f32; 160];
    let mut n = 0;
    while src.next_frame(&mut f).unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 200);
    assert!(t0.elapsed().as_secs_f64() >= 200.0 * FRAME_S * 0.99);
}

#[test]
fn bad_parameters_and_sources_fail_clearly() {
    let run = |args: &[&str]| {
        let o = lb_scratch()
            .args(["exp", "latency"])
            .args(args.iter().flat_map(|a| ["--param", a]))
            .output()
            .unwrap();
        assert!(!o.status.success());
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    assert!(run(&["source=wav:/nonexistent.wav"]).contains("/nonexistent.wav"));
    assert!(run(&["source=tape"])
        .contains("expected synthetic, speech:DIR, turns:DIR, wav:PATH or mic"));
    assert!(run(&["vad=webrtc:7"]).contains("mode 7"));
    assert!(run(&["vad=silero"]).contains("silero:PATH"));
    assert!(run(&["vad=trained"]).contains("trained:PATH"));
    assert!(run(&["vad=trained:/nonexistent/vad.safetensors"]).contains("/nonexistent"));
    assert!(run(&["eot_threshold=1.5"]).contains("between 0 and 1"));
    assert!(run(&["pace=slow"]).contains("realtime or fast"));
    assert!(run(&["bogus=1"]).contains("unknown parameter `bogus`"));
    assert!(run(&["detector=turn"]).contains("needs model=PATH"));
    assert!(
        run(&["detector=turn", "model=/nonexistent/turn.safetensors"]).contains("/nonexistent")
    );
    #[cfg(not(feature = "mic"))]
    assert!(run(&["source=mic"]).contains("--features mic"));
}

#[test]
fn the_demo_is_recorded_as_a_run_with_its_percentiles() {
    let d = tempfile::tempdir().unwrap();
    let home = d.path().join("home");
    let o = lb(&home)
        .current_dir(d.path())
        .args([
            "demo",
            "turn-taking",
            "--fast",
            "--turns",
            "3",
            "--silence-ms",
            "300",
            "--no-view",
        ])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(text.contains("answer 1: speech ended"), "{text}");
    let o = lb(&home).args(["run", "list", "--json"]).output().unwrap();
    let runs: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &runs.as_array().unwrap()[0];
    assert_eq!(r["project"], "latency");
    let id = r["id"].as_str().unwrap().to_string();
    let o = lb(&home)
        .args(["run", "show", &id, "--json"])
        .output()
        .unwrap();
    let show = String::from_utf8_lossy(&o.stdout);
    for k in [
        "v2v_p50_ms",
        "v2v_p95_ms",
        "v2v_p99_ms",
        "voice_to_voice_ms",
        "barge_in_ms",
    ] {
        assert!(show.contains(k), "{k} missing from {show}");
    }
    let dir = r["dir"].as_str().unwrap();
    assert!(Path::new(dir).join("session.wav").exists());
}

#[test]
fn the_live_view_draws_state_signal_and_histogram() {
    use labbook::protocol::{parse_line, Line};
    use labbook::tui::turn_view::{render, TurnData};
    let mut d = TurnData::default();
    let lines = [
        r#"{"source": "synthetic 3 turns, seed 1", "vad": "energy", "detector": "silence 300 ms", "pace": "fast"}"#,
        r#"{"step": 0, "energy_db": -62.0, "vad_prob": 0.0, "eot_prob": 0.0, "state": 0}"#,
        r#"{"step": 2, "energy_db": -20.0, "vad_prob": 1.0, "eot_prob": 0.0, "state": 1}"#,
        r#"{"step": 1, "eot_decision_ms": 510.2, "voice_to_voice_ms": 510.4, "cut_off": 0}"#,
        r#"{"step": 2, "eot_decision_ms": 250.0, "voice_to_voice_ms": 250.1, "cut_off": 1}"#,
        r#"{"step": 1, "barge_in_ms": 170.0}"#,
        r#"{"step": 4, "energy_db": -60.0, "vad_prob": 0.0, "eot_prob": 1.0, "state": 3}"#,
    ];
    for l in lines {
        if let Line::Record(r) = parse_line(l) {
            d.push(&r);
        }
    }
    // the cut-off answer is counted, not timed
    assert_eq!(d.v2v_ms, vec![510.4]);
    assert_eq!(d.eot_ms, vec![510.2]);
    assert_eq!(d.cut_offs, 1);
    let h = d.histogram();
    assert_eq!(h.iter().map(|b| b.1).sum::<u64>(), 1);
    assert_eq!(h[1], ("<300".to_string(), 0));
    assert_eq!(h[4], ("<600".to_string(), 1));
    let backend = ratatui::backend::TestBackend::new(100, 30);
    let mut term = ratatui::Terminal::new(backend).unwrap();
    term.draw(|f| render(f, f.area(), &d, "Turn-taking"))
        .unwrap();
    let screen: String = term
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    for s in [
        "answering",
        "answers 2",
        "cut-offs 1",
        "barge-ins 1",
        "Voice to voice",
        "p95",
        "detector: silence 300 ms",
    ] {
        assert!(screen.contains(s), "{s} missing");
    }
}

/// The energy VAD and a silence window over a rendered stream, as fast as it runs.
fn energy_loop(x: Vec<f32>, truth: labbook::rt::source::Truth, window_ms: u32) -> engine::Summary {
    let mut src = labbook::rt::BufferSource::new(x, Some(truth), false, "t".into());
    let mut eng = Engine::new(
        Box::new(EnergyVad::default()),
        Box::new(SilenceEot::new(window_ms)),
        Settings {
            answer: answer(1.0),
            barge_ms: 150,
        },
    );
    engine::run(&mut src, &mut eng, &mut Recorder::default(), None, |_| {
        Ok(())
    })
    .unwrap()
}

#[test]
fn a_script_spoken_by_a_speech_set_keeps_word_level_truth() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/speech-sample/wav");
    let utts = labbook::rt::source::load_utterances(&dir).unwrap();
    assert!(utts.len() >= 20);
    let sc = Script {
        turns: 8,
        early_share: 0.0,
        ..Script::default()
    };
    let (x, truth) = sc.render_speech(&utts);
    assert_eq!(truth.turn_ends.len(), 8);
    assert!(truth.segments.len() > 3 * 8, "word segments");
    // the energy baseline with a 300 ms window answers every turn of real speech
    let s = energy_loop(x, truth, 300);
    assert_eq!(s.missed_turns, 0);
    assert!(s.turns >= 8);
    let empty = tempfile::tempdir().unwrap();
    let e = labbook::rt::source::load_utterances(empty.path())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("labbook data speech") || e.contains("no NAME.wav"),
        "{e}"
    );
}

#[test]
fn the_tui_run_view_reads_the_same_numbers_from_stored_series() {
    use labbook::tui::turn_view::TurnData;
    // (step, time, value) as the store keeps them; answer 2 cut the user off
    let series = vec![
        (
            "voice_to_voice_ms".to_string(),
            vec![(1, 0.0, 400.0), (2, 0.0, 220.0), (3, 0.0, 610.0)],
        ),
        (
            "eot_decision_ms".to_string(),
            vec![(1, 0.0, 399.0), (2, 0.0, 219.0), (3, 0.0, 609.0)],
        ),
        (
            "cut_off".to_string(),
            vec![(1, 0.0, 0.0), (2, 0.0, 1.0), (3, 0.0, 0.0)],
        ),
        ("state".to_string(), vec![(0, 0.0, 1.0), (2, 0.0, 3.0)]),
        (
            "energy_db".to_string(),
            vec![(0, 0.0, -60.0), (2, 0.0, -20.0)],
        ),
    ];
    let d = TurnData::from_series(&series);
    assert_eq!(d.v2v_ms, vec![400.0, 610.0]);
    assert_eq!(d.eot_ms, vec![399.0, 609.0]);
    assert_eq!(d.cut_offs, 1);
    assert_eq!(d.state, Some(labbook::rt::State::Responding));
    assert_eq!(d.energy, vec![(0.01, -60.0), (0.03, -20.0)]);
}

#[test]
fn whole_dialogue_turns_keep_their_own_pauses_and_word_truth() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/speech-sample");
    let turns = labbook::rt::source::load_turns(&dir).unwrap();
    assert!(turns.len() >= 3, "{}", turns.len());
    for (clip, segs) in &turns {
        let len = clip.len() as f64 / 16_000.0;
        assert!(!segs.is_empty());
        assert!(segs[0].0.abs() < 0.02, "a turn starts with its first word");
        assert!(
            (segs.last().unwrap().1 - len).abs() < 0.02,
            "and ends with its last"
        );
        assert!(segs.windows(2).all(|w| w[0].1 <= w[1].0 + 1e-9), "{segs:?}");
    }
    let sc = Script {
        turns: 6,
        early_share: 0.0,
        ..Script::default()
    };
    let (x, truth) = sc.render_turns(&turns);
    assert_eq!(truth.turn_ends.len(), 6);
    let s = energy_loop(x, truth, 700);
    assert_eq!(s.missed_turns, 0);
    assert_eq!(s.turns, 6);
    // Through the experiment's parameters too; a set without dialogues is named.
    let empty = tempfile::tempdir().unwrap();
    let o = lb_scratch()
        .args(["exp", "latency", "--param", "pace=fast", "--param"])
        .arg(format!("source=turns:{}", empty.path().display()))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("manifest.jsonl"));
}
