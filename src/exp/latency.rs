//! `labbook exp latency` (alias of the demo's engine without a screen): parameters,
//! building the loop from them, and reporting through the metrics protocol.
//!
//! Records on stdout: an info record (source, VAD, detector), one frame record every
//! `every` frames (`energy_db`, `vad_prob`, `eot_prob`, `state` 0–3, step = frame),
//! one record per answer (`eot_decision_ms`, `voice_to_voice_ms`, `cut_off`, step =
//! answer), one per barge-in (`barge_in_ms`, step = barge-in), and a summary record
//! (`v2v_p50_ms` … `interruptions`). The session's audio (input left, agent right) and
//! `latency.json` go to `out=DIR` or the run directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Parameters;
use crate::rt::engine::{self, EndOfTurn, Engine, Event, Output, Recorder, Settings, SilenceEot};
use crate::rt::source::{self, AudioSource, Script, RATE};

/// The built-in answer: "Sure. Let me check that for you." (espeak-ng, 16 kHz).
pub const ANSWER_WAV: &[u8] = include_bytes!("../../data/demo/answer.wav");

/// Parameters of a session (`labbook exp latency`, `labbook demo turn-taking`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// synthetic (scripted user turns with hold pauses and barge-ins), speech:DIR (the
    /// same script spoken by a labelled speech set), turns:DIR (whole dialogue turns of
    /// a speech set, with their own pauses and intonation), wav:FILE (played at
    /// real-time pace; Audacity labels in FILE.txt give the truth, label `hold` for a
    /// pause inside a turn), or mic (needs the `mic` feature).
    pub source: String,
    /// realtime = frames arrive as a live stream would deliver them; fast = as fast as
    /// the loop runs (offline measurement; the processing lag is still measured).
    pub pace: Pace,
    /// energy, webrtc[:MODE] (WebRTC VAD, modes 0-3), silero:PATH (Silero VAD v6
    /// weights as safetensors) or trained:PATH (the VAD of `labbook exp vad`).
    pub vad: String,
    /// How end of turn is decided: a fixed silence window after the VAD goes quiet,
    /// or the end-of-turn detector of the `turn` project (its model file in `model`).
    pub detector: Detector,
    /// Weights of the end-of-turn detector (detector=turn).
    pub model: Option<PathBuf>,
    /// Decision threshold of the end-of-turn model (empty: the one it was saved with,
    /// the ≤ 5 % cut-off point; turn.json's trained.threshold_at_300ms is the faster
    /// point).
    pub eot_threshold: Option<f32>,
    /// Silence window in milliseconds before the silence detector replies.
    pub silence_ms: u32,
    /// User speech this long during the answer stops it (barge-in), milliseconds.
    pub barge_ms: u32,
    /// User turns of the synthetic source.
    pub turns: usize,
    /// Seed of the synthetic source.
    pub seed: u64,
    /// The answer clip: builtin (a 2.3 s pre-rendered sentence) or a WAV file.
    pub answer: String,
    /// Play the answer on the speaker (`mic` feature).
    pub play: bool,
    /// A frame record every this many 10 ms frames.
    pub every: u64,
    /// Where `session.wav` and `latency.json` go (default: the run directory).
    pub out: Option<PathBuf>,
}

/// How frames arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Pace {
    Realtime,
    Fast,
}

/// How end of turn is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Detector {
    Silence,
    Turn,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            source: "synthetic".into(),
            pace: Pace::Realtime,
            vad: "energy".into(),
            detector: Detector::Silence,
            model: None,
            eot_threshold: None,
            silence_ms: 500,
            barge_ms: 150,
            turns: 20,
            seed: 1337,
            answer: "builtin".into(),
            play: false,
            every: 2,
            out: None,
        }
    }
}

impl Parameters for Params {
    fn validate(&mut self) -> Result<()> {
        if let Some(t) = self.eot_threshold {
            if !(t > 0.0 && t < 1.0) {
                bail!("eot_threshold={t}: expected a probability between 0 and 1");
            }
        }
        if self.turns == 0 {
            bail!("turns=0: nothing to measure");
        }
        self.every = self.every.max(1);
        Ok(())
    }
}

impl Params {
    /// Frames arrive at real-time pace.
    pub fn realtime(&self) -> bool {
        self.pace == Pace::Realtime
    }
}

/// The source a parameter names.
pub fn open_source(p: &Params) -> Result<Box<dyn AudioSource>> {
    match p.source.as_str() {
        "synthetic" => Ok(Box::new(
            Script {
                turns: p.turns,
                seed: p.seed,
                ..Script::default()
            }
            .source(p.realtime()),
        )),
        "mic" => crate::rt::mic::open_mic(),
        s => {
            if let Some(path) = s.strip_prefix("wav:") {
                return Ok(Box::new(source::wav(Path::new(path), p.realtime())?));
            }
            let script = Script {
                turns: p.turns,
                seed: p.seed,
                ..Script::default()
            };
            let (rendered, what) = if let Some(dir) = s.strip_prefix("speech:") {
                let utts = source::load_utterances(Path::new(dir))?;
                (
                    script.render_speech(&utts),
                    format!(
                        "speech {dir}: {} turns of {} utterances",
                        p.turns,
                        utts.len()
                    ),
                )
            } else if let Some(dir) = s.strip_prefix("turns:") {
                let turns = source::load_turns(Path::new(dir))?;
                (
                    script.render_turns(&turns),
                    format!("dialogue turns {dir}: {} of {} turns", p.turns, turns.len()),
                )
            } else {
                bail!("source={s}: expected synthetic, speech:DIR, turns:DIR, wav:PATH or mic")
            };
            let (x, truth) = rendered;
            Ok(Box::new(source::BufferSource::new(
                x,
                Some(truth),
                p.realtime(),
                format!("{what}, seed {}", p.seed),
            )))
        }
    }
}

/// The end-of-turn detector the parameters name.
pub fn open_detector(p: &Params) -> Result<Box<dyn EndOfTurn>> {
    match p.detector {
        Detector::Silence => Ok(Box::new(SilenceEot::new(p.silence_ms))),
        Detector::Turn => {
            let Some(path) = &p.model else {
                bail!(
                    "detector=turn needs model=PATH (turn.safetensors written by `labbook exp turn`)"
                );
            };
            let mut det = crate::turn::EotDetector::load(path)?;
            if let Some(t) = p.eot_threshold {
                det.threshold = t;
            }
            Ok(Box::new(ModelEot { det }))
        }
    }
}

/// The end-of-turn model of `labbook exp turn` in the loop: silent (0) while its own
/// VAD view hears speech, P(end of turn) during a pause.
struct ModelEot {
    det: crate::turn::EotDetector,
}

impl EndOfTurn for ModelEot {
    fn name(&self) -> String {
        format!("turn model (threshold {:.2})", self.det.threshold)
    }
    fn reset(&mut self) {
        self.det.reset();
    }
    fn push(&mut self, frame: &[f32], vad_prob: f32, _speech: bool) -> Result<f32> {
        Ok(self.det.push_hop(frame, vad_prob).unwrap_or(0.0))
    }
    fn threshold(&self) -> f32 {
        self.det.threshold
    }
}

/// The answer clip at 16 kHz.
pub fn answer_clip(spec: &str) -> Result<Vec<f32>> {
    let a = if spec == "builtin" {
        let r = hound::WavReader::new(std::io::Cursor::new(ANSWER_WAV))
            .context("reading the built-in answer")?;
        let sample_rate = r.spec().sample_rate;
        let samples = r
            .into_samples::<i16>()
            .map(|v| v.map(|v| v as f32 / 32768.0))
            .collect::<std::result::Result<Vec<f32>, _>>()
            .context("reading the built-in answer")?;
        crate::audio::wav::Audio {
            sample_rate,
            channels: 1,
            samples,
        }
    } else {
        crate::audio::read_wav(spec)?
    };
    crate::audio::resample::resample(&a.to_mono()?, a.sample_rate, RATE)
}

/// Round to 0.1 ms for the records.
fn ms(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Run a session, writing the protocol to `w` and the session's audio and figures to
/// `out_dir`. Returns the summary.
pub fn run_to(p: &Params, out_dir: Option<&Path>, w: &mut impl Write) -> Result<engine::Summary> {
    let mut src = open_source(p)?;
    let vad = crate::vad::from_spec(&p.vad)?;
    let eot = open_detector(p)?;
    let settings = Settings {
        answer: answer_clip(&p.answer)?,
        barge_ms: p.barge_ms,
    };
    let vad_name = vad.name().to_string();
    let det_name = eot.name();
    let mut engine = Engine::new(vad, eot, settings);
    crate::protocol::emit(
        w,
        &json!({"source": src.describe(), "vad": vad_name, "detector": det_name,
                 "pace": if p.realtime() { "realtime" } else { "fast" }}),
    )?;
    let mut input: Vec<f32> = Vec::new();
    let mut rec = Recorder::default();
    let mut speaker = if p.play {
        Some(crate::rt::mic::open_speaker()?)
    } else {
        None
    };
    struct Both<'a> {
        rec: &'a mut Recorder,
        speaker: Option<&'a mut Box<dyn Output>>,
    }
    impl Output for Both<'_> {
        fn play(&mut self, s: &[f32]) -> Result<()> {
            self.rec.play(s)?;
            if let Some(sp) = self.speaker.as_mut() {
                sp.play(s)?;
            }
            Ok(())
        }
        fn stop(&mut self) -> Result<()> {
            if let Some(sp) = self.speaker.as_mut() {
                sp.stop()?;
            }
            Ok(())
        }
        fn latency_ms(&self) -> f64 {
            self.speaker.as_ref().map_or(0.0, |s| s.latency_ms())
        }
    }
    let mut out = Both {
        rec: &mut rec,
        speaker: speaker.as_mut(),
    };
    let every = p.every;
    let mut user_turns = 0usize;
    let summary = engine::run(src.as_mut(), &mut engine, &mut out, Some(&mut input), |e| {
        match e {
            Event::Frame(f) => {
                if f.index % every == 0 {
                    crate::protocol::emit(
                        w,
                        &json!({"step": f.index, "energy_db": ms(f.energy_db as f64),
                                 "vad_prob": (f.vad_prob * 1000.0).round() / 1000.0,
                                 "eot_prob": (f.eot_prob * 1000.0).round() / 1000.0,
                                 "state": f.state as u8}),
                    )?;
                }
            }
            Event::Turn(t) => {
                crate::protocol::emit(
                    w,
                    &json!({"step": t.n, "eot_decision_ms": ms(t.eot_ms),
                             "voice_to_voice_ms": ms(t.voice_to_voice_ms),
                             "cut_off": t.cut_off.map(|c| c as u8)}),
                )?;
                writeln!(
                    w,
                    "answer {}: speech ended {:.2} s ({}) → end of turn +{:.0} ms → first answer sample +{:.0} ms{}",
                    t.n,
                    t.speech_end,
                    if t.from_truth { "truth" } else { "VAD estimate" },
                    t.eot_ms,
                    t.voice_to_voice_ms,
                    if t.cut_off == Some(true) { " — CUT THE USER OFF (mid-turn)" } else { "" }
                )?;
            }
            Event::BargeIn(b) => {
                crate::protocol::emit(w, &json!({"step": b.n, "barge_in_ms": ms(b.stop_ms)}))?;
                writeln!(
                    w,
                    "barge-in {}: the user spoke at {:.2} s → answer stopped +{:.0} ms{}",
                    b.n,
                    b.onset,
                    b.stop_ms,
                    if b.real == Some(false) {
                        " (no user speech in the truth)"
                    } else {
                        ""
                    }
                )?;
            }
            Event::AnswerDone { .. } => user_turns += 1,
        }
        Ok(())
    })?;
    if let Some(dir) = out_dir {
        write_session(dir, &input, &rec.track, &summary)?;
    }
    let pct = |xs: &[f64], q: f64| engine::Summary::pct(xs, q).map(ms);
    crate::protocol::emit(
        w,
        &json!({
            "turns": summary.turns,
            "eot_p50_ms": pct(&summary.eot_ms, 50.0), "eot_p95_ms": pct(&summary.eot_ms, 95.0),
            "eot_p99_ms": pct(&summary.eot_ms, 99.0),
            "v2v_p50_ms": pct(&summary.v2v_ms, 50.0), "v2v_p95_ms": pct(&summary.v2v_ms, 95.0),
            "v2v_p99_ms": pct(&summary.v2v_ms, 99.0),
            "barge_ins": summary.barge_ms.len(), "barge_in_p50_ms": pct(&summary.barge_ms, 50.0),
            "interruptions": summary.interruptions, "missed_turns": summary.missed_turns,
            "false_barge_ins": summary.false_barge_ins,
            "cost_us_mean": ms(summary.cost_us_mean), "cost_us_p50": ms(summary.cost_us_p50),
            "cost_us_p99": ms(summary.cost_us_p99), "audio_s": ms(summary.seconds),
            "wall_s": ms(summary.wall_s),
        }),
    )?;
    writeln!(
        w,
        "{} answers in {:.1} s of audio ({:.1} s wall); answers to finished turns: end of turn \
         p50/p95/p99 {} / {} / {} ms, voice to voice {} / {} / {} ms; {} answers cut the user \
         off, {} turns missed, {} barge-ins; {:.1} µs per 10 ms frame (mean)",
        summary.turns,
        summary.seconds,
        summary.wall_s,
        fmt(pct(&summary.eot_ms, 50.0)),
        fmt(pct(&summary.eot_ms, 95.0)),
        fmt(pct(&summary.eot_ms, 99.0)),
        fmt(pct(&summary.v2v_ms, 50.0)),
        fmt(pct(&summary.v2v_ms, 95.0)),
        fmt(pct(&summary.v2v_ms, 99.0)),
        summary.interruptions,
        summary.missed_turns,
        summary.barge_ms.len(),
        summary.cost_us_mean
    )?;
    Ok(summary)
}

fn fmt(v: Option<f64>) -> String {
    v.map_or("-".into(), |x| format!("{x:.0}"))
}

/// `session.wav` (input left, agent right) and `latency.json` in `dir`.
fn write_session(dir: &Path, input: &[f32], agent: &[f32], s: &engine::Summary) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let n = input.len().max(agent.len());
    let mut inter = Vec::with_capacity(2 * n);
    for i in 0..n {
        inter.push(input.get(i).copied().unwrap_or(0.0));
        inter.push(agent.get(i).copied().unwrap_or(0.0));
    }
    if n > 0 {
        crate::audio::wav::write_wav_i16(dir.join("session.wav"), &inter, 2, RATE)?;
    }
    std::fs::write(dir.join("latency.json"), serde_json::to_string_pretty(s)?)
        .with_context(|| format!("writing {}/latency.json", dir.display()))?;
    Ok(())
}

/// `labbook exp latency` (the turn-taking demo's engine without a screen).
pub struct Latency;

impl super::Experiment for Latency {
    type Params = Params;

    const NAME: &'static str = "latency";
    const SUMMARY: &'static str =
        "real-time turn-taking loop: end of speech → end-of-turn decision → first answer sample";
    const TRAINS: bool = false;

    fn run(&self, p: Params, cx: &mut super::Context) -> Result<()> {
        let out_dir = cx.out_dir().map(Path::to_path_buf);
        run_to(&p, out_dir.as_deref(), cx)?;
        Ok(())
    }
}
