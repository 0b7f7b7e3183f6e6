//! Voice activity detection: a streaming interface every detector implements, the
//! energy + hangover baseline, and the frame-level evaluation behind `labbook eval vad`.

pub mod energy;
pub mod eval;
pub mod silero;
pub mod trained;
pub mod webrtc;

pub use energy::EnergyVad;

use anyhow::{bail, Context as _};

/// The detector a spec names — what `vad=` takes everywhere: `energy`,
/// `webrtc[:MODE[:FRAME_MS]]` (WebRTC's VAD, aggressiveness 0–3, default 2, in 10,
/// 20 or 30 ms frames, default 10), `silero:PATH` (Silero VAD v6 as safetensors) or
/// `trained:PATH` (the VAD `labbook exp vad` writes).
pub fn from_spec(spec: &str) -> anyhow::Result<Box<dyn Vad>> {
    let (kind, arg) = spec.split_once(':').unwrap_or((spec, ""));
    let path = |what: &str| -> anyhow::Result<&std::path::Path> {
        if arg.is_empty() {
            bail!("vad={kind} needs the weights: vad={kind}:PATH ({what})");
        }
        Ok(std::path::Path::new(arg))
    };
    Ok(match kind {
        "energy" if arg.is_empty() => Box::new(EnergyVad::default()),
        "webrtc" => {
            let (mode, frame) = arg.split_once(':').unwrap_or((arg, ""));
            let number = |text: &str, default: u32| {
                if text.is_empty() {
                    return Ok(default);
                }
                text.parse::<u32>()
                    .with_context(|| format!("vad={spec}: expected webrtc[:MODE[:FRAME_MS]]"))
            };
            let mode = u8::try_from(number(mode, 2)?).unwrap_or(u8::MAX);
            let frame = number(frame, 10)?;
            Box::new(webrtc::WebRtcVad::new(mode, frame).with_context(|| format!("vad={spec}"))?)
        }
        "silero" => Box::new(silero::SileroStream {
            model: silero::SileroVad::load(path("silero_vad_16k.safetensors")?)?,
            threshold: 0.5,
        }),
        "trained" => Box::new(trained::TrainedVad::load(path(
            "vad.safetensors, written by `labbook exp vad`",
        )?)?),
        _ => bail!(
            "vad={spec}: expected energy, webrtc[:MODE[:FRAME_MS]], silero:PATH or trained:PATH"
        ),
    })
}

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
