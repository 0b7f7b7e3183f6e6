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
use serde_json::json;

use super::engine::{self, EndOfTurn, Engine, Event, Output, Recorder, Settings, SilenceEot};
use super::source::{self, AudioSource, Script, RATE};
use crate::vad::Vad;

/// The built-in answer: "Sure. Let me check that for you." (espeak-ng, 16 kHz).
pub const ANSWER_WAV: &[u8] = include_bytes!("../../data/demo/answer.wav");

/// Parameters of a session.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// `synthetic`, `wav:PATH` or `mic`.
    pub source: String,
    /// Real-time pace (a live stream) or as fast as the loop runs.
    pub realtime: bool,
    /// `energy`, `webrtc[:MODE]`, `silero:PATH`, `trained:PATH`.
    pub vad: String,
    /// `silence` or `turn` (with `model`).
    pub detector: String,
    pub model: Option<PathBuf>,
    /// The end-of-turn model's decision threshold (default: the one it was saved with).
    pub eot_threshold: Option<f32>,
    pub silence_ms: u32,
    pub barge_ms: u32,
    pub turns: usize,
    pub seed: u64,
    /// `builtin` or a WAV file.
    pub answer: String,
    /// Play the answer on the speaker (`mic` feature).
    pub play: bool,
    /// A frame record every this many 10 ms frames.
    pub every: u64,
    pub out: Option<PathBuf>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            source: "synthetic".into(),
            realtime: true,
            vad: "energy".into(),
            detector: "silence".into(),
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

impl Params {
    pub fn parse(pairs: &[String]) -> Result<Params> {
        let mut p = Params::default();
        for kv in crate::exp::params::pairs(pairs)? {
            let (k, v) = (kv.key, kv.value);
            match k {
                "source" => p.source = v.into(),
                "pace" => {
                    p.realtime = match v {
                        "realtime" => true,
                        "fast" => false,
                        _ => bail!("pace={v}: expected realtime or fast"),
                    }
                }
                "vad" => p.vad = v.into(),
                "detector" => p.detector = v.into(),
                "model" => p.model = (!v.is_empty()).then(|| v.into()),
                "eot_threshold" if v.is_empty() => p.eot_threshold = None,
                "eot_threshold" => {
                    p.eot_threshold = Some(
                        v.parse::<f32>()
                            .ok()
                            .filter(|t| *t > 0.0 && *t < 1.0)
                            .with_context(|| {
                                format!("eot_threshold={v}: expected a probability between 0 and 1")
                            })?,
                    )
                }
                "silence_ms" => p.silence_ms = kv.u64()? as u32,
                "barge_ms" => p.barge_ms = kv.u64()? as u32,
                "turns" => p.turns = kv.u64()? as usize,
                "seed" => p.seed = kv.u64()?,
                "answer" => p.answer = v.into(),
                "play" => {
                    p.play = match v {
                        "true" | "1" | "yes" => true,
                        "false" | "0" | "no" => false,
                        _ => bail!("play={v}: expected true or false"),
                    }
                }
                "every" => p.every = kv.u64()?.max(1),
                "out" => p.out = Some(v.into()),
                _ => bail!(
                    "unknown parameter `{k}` (source, pace, vad, detector, model, eot_threshold, silence_ms, \
                     barge_ms, turns, seed, answer, play, every, out)"
                ),
            }
        }
        if p.turns == 0 {
            bail!("turns=0: nothing to measure");
        }
        Ok(p)
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
            .source(p.realtime),
        )),
        "mic" => super::mic::open_mic(),
        s => {
            if let Some(path) = s.strip_prefix("wav:") {
                return Ok(Box::new(source::wav(Path::new(path), p.realtime)?));
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
                p.realtime,
                format!("{what}, seed {}", p.seed),
            )))
        }
    }
}

/// The VAD a parameter names.
pub fn open_vad(spec: &str) -> Result<Box<dyn Vad>> {
    let (kind, arg) = spec.split_once(':').unwrap_or((spec, ""));
    Ok(match kind {
        "energy" => Box::new(crate::vad::EnergyVad::default()),
        "webrtc" => {
            let mode = if arg.is_empty() {
                2
            } else {
                arg.parse()
                    .with_context(|| format!("vad={spec}: expected webrtc:0 … webrtc:3"))?
            };
            Box::new(crate::vad::webrtc::WebRtcVad::new(mode, 10)?)
        }
        "silero" => {
            if arg.is_empty() {
                bail!("vad=silero needs the weights: vad=silero:PATH/silero_vad_16k.safetensors");
            }
            Box::new(crate::vad::silero::SileroStream {
                model: crate::vad::silero::SileroVad::load(Path::new(arg))?,
                threshold: 0.5,
            })
        }
        "trained" => {
            if arg.is_empty() {
                bail!("vad=trained needs the weights: vad=trained:PATH/vad.safetensors (written by `labbook exp vad`)");
            }
            Box::new(crate::vad::trained::TrainedVad::load(Path::new(arg))?)
        }
        _ => bail!("vad={spec}: expected energy, webrtc[:MODE], silero:PATH or trained:PATH"),
    })
}

/// The end-of-turn detector the parameters name.
pub fn open_detector(p: &Params) -> Result<Box<dyn EndOfTurn>> {
    match p.detector.as_str() {
        "silence" => Ok(Box::new(SilenceEot::new(p.silence_ms))),
        "turn" => {
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
        d => bail!("detector={d}: expected silence or turn"),
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

fn emit(out: &mut impl Write, v: &serde_json::Value) -> Result<()> {
    writeln!(out, "{v}")?;
    out.flush()?;
    Ok(())
}

/// Round to 0.1 ms for the records.
fn ms(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Run a session, writing the protocol to `w`. Returns the summary.
pub fn run_to(p: &Params, w: &mut impl Write) -> Result<engine::Summary> {
    let mut src = open_source(p)?;
    let vad = open_vad(&p.vad)?;
    let eot = open_detector(p)?;
    let settings = Settings {
        answer: answer_clip(&p.answer)?,
        barge_ms: p.barge_ms,
    };
    let vad_name = vad.name().to_string();
    let det_name = eot.name();
    let mut engine = Engine::new(vad, eot, settings);
    emit(
        w,
        &json!({"source": src.describe(), "vad": vad_name, "detector": det_name,
                 "pace": if p.realtime { "realtime" } else { "fast" }}),
    )?;
    let mut input: Vec<f32> = Vec::new();
    let mut rec = Recorder::default();
    let mut speaker = if p.play {
        Some(super::mic::open_speaker()?)
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
                    emit(
                        w,
                        &json!({"step": f.index, "energy_db": ms(f.energy_db as f64),
                                 "vad_prob": (f.vad_prob * 1000.0).round() / 1000.0,
                                 "eot_prob": (f.eot_prob * 1000.0).round() / 1000.0,
                                 "state": f.state as u8}),
                    )?;
                }
            }
            Event::Turn(t) => {
                emit(
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
                emit(w, &json!({"step": b.n, "barge_in_ms": ms(b.stop_ms)}))?;
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
    if let Some(dir) = p
        .out
        .clone()
        .or_else(|| std::env::var_os("LABBOOK_RUN_DIR").map(PathBuf::from))
    {
        write_session(&dir, &input, &rec.track, &summary)?;
    }
    let pct = |xs: &[f64], q: f64| engine::Summary::pct(xs, q).map(ms);
    emit(
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

/// `labbook exp latency --param k=v …`.
pub fn run(pairs: &[String]) -> Result<()> {
    let p = Params::parse(pairs)?;
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    run_to(&p, &mut w)?;
    Ok(())
}
