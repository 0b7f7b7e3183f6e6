//! The turn-taking loop: every 10 ms frame goes through the VAD and an end-of-turn
//! detector; an agent answers (a short clip) once the detector says the user's turn is
//! over, and stops as soon as the user speaks over it (barge-in). Every decision is
//! timed against the truth of the stream where the source knows it.
//!
//! Latency of a decision made on frame k (which ends at stream time t_k):
//! `(t_k − end of speech) + (now − when frame k became available)`, i.e. the stream
//! time the detector waited plus the measured processing lag on the monotonic clock. The
//! first answer sample is timed the same way, when the output accepted it, plus the
//! output's own buffer latency.

use std::time::Instant;

use anyhow::Result;
use serde::Serialize;

use super::source::{AudioSource, Truth, FRAME, FRAME_S};
use crate::vad::Vad;

/// Decides, frame by frame, how likely it is that the user's turn has ended.
pub trait EndOfTurn {
    fn name(&self) -> String;
    fn reset(&mut self);
    /// One 10 ms frame and the VAD's view of it → P(the turn has ended).
    fn push(&mut self, frame: &[f32], vad_prob: f32, speech: bool) -> Result<f32>;
    /// The probability at which the agent answers.
    fn threshold(&self) -> f32;
}

/// The silence-only baseline: the turn is over after `silence_ms` without speech.
#[derive(Debug, Clone)]
pub struct SilenceEot {
    pub silence_ms: u32,
    quiet_ms: u32,
}

impl SilenceEot {
    pub fn new(silence_ms: u32) -> SilenceEot {
        SilenceEot {
            silence_ms: silence_ms.max(10),
            quiet_ms: 0,
        }
    }
}

impl EndOfTurn for SilenceEot {
    fn name(&self) -> String {
        format!("silence {} ms", self.silence_ms)
    }
    fn reset(&mut self) {
        self.quiet_ms = 0;
    }
    fn push(&mut self, _frame: &[f32], _vad_prob: f32, speech: bool) -> Result<f32> {
        self.quiet_ms = if speech { 0 } else { self.quiet_ms + 10 };
        Ok((self.quiet_ms as f32 / self.silence_ms as f32).min(1.0))
    }
    fn threshold(&self) -> f32 {
        1.0
    }
}

/// Feeds a VAD with any hop size from 10 ms frames; between its hops the last answer
/// holds.
pub struct VadFeed {
    pub vad: Box<dyn Vad>,
    buf: Vec<f32>,
    last: (f32, bool),
}

impl VadFeed {
    pub fn new(vad: Box<dyn Vad>) -> VadFeed {
        VadFeed {
            vad,
            buf: Vec::new(),
            last: (0.0, false),
        }
    }
    pub fn reset(&mut self) {
        self.vad.reset();
        self.buf.clear();
        self.last = (0.0, false);
    }
    pub fn push(&mut self, frame: &[f32]) -> Result<(f32, bool)> {
        self.buf.extend_from_slice(frame);
        let hop = self.vad.hop();
        let mut used = 0;
        while self.buf.len() - used >= hop {
            self.last = self.vad.push(&self.buf[used..used + hop])?;
            used += hop;
        }
        self.buf.drain(..used);
        Ok(self.last)
    }
}

/// Where the agent is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Nothing said yet, or the answer is over.
    Listening = 0,
    /// The user is speaking.
    Speaking = 1,
    /// The user paused; the detector has not decided.
    Pause = 2,
    /// The agent is answering.
    Responding = 3,
}

impl State {
    pub fn label(self) -> &'static str {
        match self {
            State::Listening => "listening",
            State::Speaking => "user speaking",
            State::Pause => "pause",
            State::Responding => "answering",
        }
    }
    pub fn from_code(c: f64) -> State {
        match c.round() as i64 {
            1 => State::Speaking,
            2 => State::Pause,
            3 => State::Responding,
            _ => State::Listening,
        }
    }
}

/// One frame as the loop saw it.
#[derive(Debug, Clone, Serialize)]
pub struct FrameOut {
    pub index: u64,
    /// End of the frame, stream seconds.
    pub t: f64,
    pub energy_db: f32,
    pub vad_prob: f32,
    pub speech: bool,
    pub eot_prob: f32,
    pub state: State,
}

/// One answer the agent gave.
#[derive(Debug, Clone, Serialize)]
pub struct TurnOut {
    pub n: usize,
    /// End of the user's speech (stream s): from the truth, or the VAD's estimate.
    pub speech_end: f64,
    pub from_truth: bool,
    /// Stream time of the decision frame's end.
    pub decided_at: f64,
    pub eot_ms: f64,
    pub voice_to_voice_ms: f64,
    /// The truth says the user was mid-turn (a hold pause, or still speaking).
    pub cut_off: Option<bool>,
}

/// The user spoke over the answer and the answer stopped.
#[derive(Debug, Clone, Serialize)]
pub struct BargeOut {
    pub n: usize,
    pub onset: f64,
    pub from_truth: bool,
    /// Onset of the user's speech → the answer stopped.
    pub stop_ms: f64,
    /// Whether the truth has the user speaking (false: the VAD heard something else).
    pub real: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub enum Event {
    Frame(FrameOut),
    Turn(TurnOut),
    BargeIn(BargeOut),
    AnswerDone { n: usize, t: f64 },
}

/// Where the answer's samples go. `play` is called once per 10 ms frame while the
/// agent speaks; `stop` when the user barges in. `latency_ms` is the output's buffer
/// latency (0 for a recording).
pub trait Output {
    fn play(&mut self, samples: &[f32]) -> Result<()>;
    fn stop(&mut self) -> Result<()>;
    fn latency_ms(&self) -> f64;
}

/// An output that only keeps what was played (the agent's track of the session).
#[derive(Debug, Default)]
pub struct Recorder {
    pub track: Vec<f32>,
}

impl Output for Recorder {
    fn play(&mut self, samples: &[f32]) -> Result<()> {
        self.track.extend_from_slice(samples);
        Ok(())
    }
    fn stop(&mut self) -> Result<()> {
        Ok(())
    }
    fn latency_ms(&self) -> f64 {
        0.0
    }
}

/// Settings of the loop.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The answer clip (16 kHz mono).
    pub answer: Vec<f32>,
    /// Speech this long during the answer stops it.
    pub barge_ms: u32,
}

/// The loop's state.
pub struct Engine {
    pub vad: VadFeed,
    pub eot: Box<dyn EndOfTurn>,
    pub settings: Settings,
    state: State,
    index: u64,
    answer_pos: usize,
    speech_run: u32,
    speech_onset: f64,
    last_speech_end: Option<f64>,
    turns: usize,
    barges: usize,
    /// Every frame's processing cost, µs.
    pub cost_us: Vec<f64>,
}

impl Engine {
    pub fn new(vad: Box<dyn Vad>, eot: Box<dyn EndOfTurn>, settings: Settings) -> Engine {
        Engine {
            vad: VadFeed::new(vad),
            eot,
            settings,
            state: State::Listening,
            index: 0,
            answer_pos: 0,
            speech_run: 0,
            speech_onset: 0.0,
            last_speech_end: None,
            turns: 0,
            barges: 0,
            cost_us: Vec::new(),
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// One frame. `available`: when the frame became available on the monotonic clock.
    pub fn step(
        &mut self,
        frame: &[f32; FRAME],
        available: Instant,
        truth: Option<&Truth>,
        out: &mut dyn Output,
        events: &mut Vec<Event>,
    ) -> Result<()> {
        let t_start = Instant::now();
        let t = (self.index + 1) as f64 * FRAME_S;
        let t0 = self.index as f64 * FRAME_S;
        let energy = frame.iter().map(|v| v * v).sum::<f32>() / FRAME as f32;
        let energy_db = 10.0 * energy.max(1e-12).log10();
        let (vad_prob, speech) = self.vad.push(frame)?;
        let eot_prob = self.eot.push(frame, vad_prob, speech)?;
        let lag = |now: Instant| now.saturating_duration_since(available).as_secs_f64();
        if speech {
            if self.speech_run == 0 {
                self.speech_onset = t0;
            }
            self.speech_run += 10;
            self.last_speech_end = Some(t);
        } else {
            self.speech_run = 0;
        }
        match self.state {
            State::Listening | State::Pause if speech => self.state = State::Speaking,
            State::Speaking if !speech => self.state = State::Pause,
            State::Pause if eot_prob >= self.eot.threshold() => {
                // The decision: the agent answers now.
                let decided = Instant::now();
                let (speech_end, from_truth, cut_off) = match truth {
                    Some(tr) => match tr.last_end_before(t) {
                        Some((e, is_turn_end)) => {
                            (e, true, Some(!is_turn_end || tr.speaking_at(t0)))
                        }
                        None => (self.last_speech_end.unwrap_or(t), false, Some(true)),
                    },
                    None => (self.last_speech_end.unwrap_or(t), false, None),
                };
                let eot_ms = ((t - speech_end) + lag(decided)) * 1000.0;
                self.answer_pos = 0;
                self.state = State::Responding;
                self.play_next(out)?;
                let first = Instant::now();
                let v2v = ((t - speech_end) + lag(first)) * 1000.0 + out.latency_ms();
                self.turns += 1;
                events.push(Event::Turn(TurnOut {
                    n: self.turns,
                    speech_end,
                    from_truth,
                    decided_at: t,
                    eot_ms,
                    voice_to_voice_ms: v2v,
                    cut_off,
                }));
            }
            State::Responding => {
                if self.speech_run >= self.settings.barge_ms.max(10) {
                    out.stop()?;
                    let stopped = Instant::now();
                    let (onset, from_truth, real) = match truth {
                        Some(tr) => match tr.onset_before(t).filter(|o| tr.speaking_at(*o)) {
                            Some(o) if tr.speaking_at(t0) => (o, true, Some(true)),
                            _ => (self.speech_onset, false, Some(false)),
                        },
                        None => (self.speech_onset, false, None),
                    };
                    self.barges += 1;
                    events.push(Event::BargeIn(BargeOut {
                        n: self.barges,
                        onset,
                        from_truth,
                        stop_ms: ((t - onset) + lag(stopped)) * 1000.0,
                        real,
                    }));
                    self.state = State::Speaking;
                } else if !self.play_next(out)? {
                    self.state = if speech {
                        State::Speaking
                    } else {
                        State::Listening
                    };
                    events.push(Event::AnswerDone { n: self.turns, t });
                }
            }
            _ => {}
        }
        events.push(Event::Frame(FrameOut {
            index: self.index,
            t,
            energy_db,
            vad_prob,
            speech,
            eot_prob,
            state: self.state,
        }));
        self.index += 1;
        self.cost_us.push(t_start.elapsed().as_secs_f64() * 1e6);
        Ok(())
    }

    /// The next 10 ms of the answer; false when it is over.
    fn play_next(&mut self, out: &mut dyn Output) -> Result<bool> {
        let clip = &self.settings.answer;
        if self.answer_pos >= clip.len() {
            return Ok(false);
        }
        let end = (self.answer_pos + FRAME).min(clip.len());
        out.play(&clip[self.answer_pos..end])?;
        self.answer_pos = end;
        Ok(true)
    }
}

/// What a session measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub seconds: f64,
    pub frames: u64,
    pub turns: usize,
    /// End of speech → decision, for answers to finished turns (all answers when the
    /// truth is unknown).
    pub eot_ms: Vec<f64>,
    /// End of speech → first answer sample, likewise.
    pub v2v_ms: Vec<f64>,
    pub barge_ms: Vec<f64>,
    /// Answers that started while the user was mid-turn (truth known).
    pub interruptions: usize,
    /// Turn ends the agent never answered (truth known).
    pub missed_turns: usize,
    /// Barge-ins with no user speech in the truth.
    pub false_barge_ins: usize,
    pub cost_us_mean: f64,
    pub cost_us_p50: f64,
    pub cost_us_p99: f64,
    /// Wall-clock seconds the session took.
    pub wall_s: f64,
}

impl Summary {
    pub fn pct(xs: &[f64], q: f64) -> Option<f64> {
        crate::eval::latency::percentile(xs, q).ok()
    }
}

/// Run a whole source through the engine; `input` keeps what was heard, `on_event`
/// sees every event as it happens (frame events included).
pub fn run(
    source: &mut dyn AudioSource,
    engine: &mut Engine,
    out: &mut dyn Output,
    mut input: Option<&mut Vec<f32>>,
    mut on_event: impl FnMut(&Event) -> Result<()>,
) -> Result<Summary> {
    let started = Instant::now();
    let mut frame = [0f32; FRAME];
    let mut events = Vec::new();
    let mut s = Summary::default();
    let mut answered: Vec<f64> = Vec::new();
    while let Some(due) = source.next_frame(&mut frame)? {
        let available = due.unwrap_or_else(Instant::now);
        if let Some(keep) = input.as_mut() {
            keep.extend_from_slice(&frame);
        }
        events.clear();
        engine.step(&frame, available, source.truth(), out, &mut events)?;
        if engine.state() != State::Responding {
            // silence on the agent's track keeps it aligned with the input
            out.play(&[0.0; FRAME]).ok();
        }
        for e in &events {
            match e {
                Event::Turn(t) => {
                    s.turns += 1;
                    // latency is that of answers to finished turns; a cut-off is counted
                    if t.cut_off == Some(true) {
                        s.interruptions += 1;
                    } else {
                        s.eot_ms.push(t.eot_ms);
                        s.v2v_ms.push(t.voice_to_voice_ms);
                    }
                    answered.push(t.speech_end);
                }
                Event::BargeIn(b) => {
                    s.barge_ms.push(b.stop_ms);
                    if b.real == Some(false) {
                        s.false_barge_ins += 1;
                    }
                }
                Event::Frame(f) => {
                    s.frames += 1;
                    s.seconds = f.t;
                }
                Event::AnswerDone { .. } => {}
            }
            on_event(e)?;
        }
    }
    if let Some(tr) = source.truth() {
        s.missed_turns = tr
            .turn_ends
            .iter()
            .filter(|e| **e <= s.seconds && !answered.iter().any(|a| (a - **e).abs() < 1e-6))
            .count();
    }
    s.cost_us_mean = crate::eval::latency::mean(&engine.cost_us).unwrap_or(0.0);
    s.cost_us_p50 = Summary::pct(&engine.cost_us, 50.0).unwrap_or(0.0);
    s.cost_us_p99 = Summary::pct(&engine.cost_us, 99.0).unwrap_or(0.0);
    s.wall_s = started.elapsed().as_secs_f64();
    Ok(s)
}
