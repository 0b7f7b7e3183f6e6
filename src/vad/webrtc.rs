//! WebRTC's VAD (the GMM detector of Chromium, via libfvad bundled in the `webrtc-vad`
//! crate): modes 0–3 (quality … very aggressive), 10/20/30 ms frames at 16 kHz. It answers
//! only a decision, so its score is that decision (its ROC curve has one point).

use anyhow::{bail, Result};

use super::Vad;

/// WebRTC VAD at 16 kHz as a streaming [`Vad`].
pub struct WebRtcVad {
    inner: webrtc_vad::Vad,
    mode: u8,
    frame_ms: u32,
    name: String,
    pcm: Vec<i16>,
}

fn vad_mode(mode: u8) -> webrtc_vad::VadMode {
    match mode {
        0 => webrtc_vad::VadMode::Quality,
        1 => webrtc_vad::VadMode::LowBitrate,
        2 => webrtc_vad::VadMode::Aggressive,
        _ => webrtc_vad::VadMode::VeryAggressive,
    }
}

impl WebRtcVad {
    /// Mode 0–3 and a frame of 10, 20 or 30 ms; anything else is an error.
    pub fn new(mode: u8, frame_ms: u32) -> Result<WebRtcVad> {
        if mode > 3 {
            bail!("WebRTC VAD mode {mode}: expected 0, 1, 2 or 3");
        }
        if ![10, 20, 30].contains(&frame_ms) {
            bail!("WebRTC VAD frame {frame_ms} ms: expected 10, 20 or 30");
        }
        Ok(WebRtcVad {
            inner: webrtc_vad::Vad::new_with_rate_and_mode(
                webrtc_vad::SampleRate::Rate16kHz,
                vad_mode(mode),
            ),
            mode,
            frame_ms,
            name: format!("webrtc-{mode}"),
            pcm: Vec::new(),
        })
    }

    pub fn mode(&self) -> u8 {
        self.mode
    }
}

impl Vad for WebRtcVad {
    fn name(&self) -> &str {
        &self.name
    }

    fn hop(&self) -> usize {
        16 * self.frame_ms as usize
    }

    fn reset(&mut self) {
        // fvad_reset also resets the rate and mode; set them again.
        self.inner.reset();
        self.inner
            .set_sample_rate(webrtc_vad::SampleRate::Rate16kHz);
        self.inner.set_mode(vad_mode(self.mode));
    }

    fn push(&mut self, hop: &[f32]) -> Result<(f32, bool)> {
        if hop.len() != self.hop() {
            bail!(
                "{} takes {}-sample frames, got {}",
                self.name,
                self.hop(),
                hop.len()
            );
        }
        self.pcm.clear();
        self.pcm.extend(
            hop.iter()
                .map(|s| (s.clamp(-1.0, 1.0) * 32767.0).round() as i16),
        );
        let speech = self
            .inner
            .is_voice_segment(&self.pcm)
            .map_err(|()| anyhow::anyhow!("{}: libfvad rejected the frame", self.name))?;
        Ok((if speech { 1.0 } else { 0.0 }, speech))
    }
}
