//! Real time: audio sources paced like a live stream (a WAV file, a scripted synthetic
//! stream, the microphone behind the `mic` feature), the turn-taking loop (VAD →
//! end of turn → answer, with barge-in) and its latency accounting. `labbook exp
//! latency` runs it headless and reports through the metrics protocol; `labbook demo
//! turn-taking` launches that as a run and shows it live.

pub mod engine;
pub mod mic;
pub mod source;

pub use engine::{EndOfTurn, Engine, Event, Output, Recorder, SilenceEot, State, Summary};
pub use source::{AudioSource, BufferSource, Script, Truth, FRAME, RATE};
