//! Voice activity detection: a streaming interface every detector implements, the
//! energy + hangover baseline, and the frame-level evaluation behind `labbook eval vad`.

pub mod energy;
pub mod eval;
pub mod silero;
pub mod trained;
pub mod webrtc;

pub use energy::EnergyVad;

/// A streaming voice activity detector at 16 kHz: it takes consecutive hops of
/// [`Vad::hop`] samples and answers, for each, a speech score in 0..=1 (for ROC curves)
/// and its decision (after its own smoothing, e.g. hangover).
pub trait Vad {
    fn name(&self) -> &str;
    /// Samples per hop at 16 kHz.
    fn hop(&self) -> usize;
    /// Forget all state (a new stream).
    fn reset(&mut self);
    /// The next hop of audio (exactly `hop()` samples).
    fn push(&mut self, hop: &[f32]) -> anyhow::Result<(f32, bool)>;
}
