//! End-of-turn detection: from the VAD stream and prosody to the probability that the
//! speaker's turn has ended, decided at every pause.
//!
//! # Streaming API (for a real-time loop)
//!
//! ```no_run
//! # fn demo(samples: &[f32], vad_prob_of_this_chunk: f32) -> anyhow::Result<()> {
//! use labbook::turn::EotDetector;
//! // A model trained by `labbook exp turn` (turn.safetensors + turn.json), or
//! // `EotDetector::silence_only(500.0)` for the fixed-silence baseline.
//! let mut det = EotDetector::load(std::path::Path::new("run/turn.safetensors"))?;
//! // Feed 16 kHz mono audio in any chunk size with the VAD's speech probability for
//! // that chunk (e.g. 160 samples with a 10 ms VAD, 512 with Silero): one output per
//! // completed 10 ms hop.
//! for p in det.push(samples, vad_prob_of_this_chunk) {
//!     match p {
//!         None => { /* the VAD hears speech: the turn goes on */ }
//!         Some(p) if det.is_end(p) => { /* end of turn: answer now */ }
//!         Some(_p) => { /* a pause, not (yet) the end */ }
//!     }
//! }
//! det.reset(); // a new conversation
//! # Ok(()) }
//! ```
//!
//! Every 10 ms hop goes through [`features::FeatureTracker`] (pause length so far;
//! the final pitch of the last speech against the speaker's own recent pitch, its fall
//! inside the last word, from the recent peak and trough, its slope; energy; speaking
//! rate; the VAD probability) and, in a pause, the MLP of [`model`] gives P(end of
//! turn). The
//! detector's `threshold` (from training: the validation operating point with at most
//! 5 % false cut-offs) turns it into a decision; past the longest pause it was trained
//! on (`max_silence_ms`, 1.5 s) the score is 1, so no turn goes unanswered. Cost: one YIN pitch frame per speech
//! hop plus a 15→32→32→1 MLP per pause hop (tens of µs per 10 ms).
//!
//! [`eval`] scores detectors with the eot-bench protocol.

pub mod eval;
pub mod features;
pub mod model;

use std::path::Path;
use std::sync::Arc;

use features::{FeatureTracker, N_FEATURES};
use model::EotModel;

/// Samples per hop (10 ms at 16 kHz).
pub const HOP: usize = 160;

#[derive(Debug, Clone)]
enum Kind {
    /// End of turn after this many ms of silence.
    Silence(f32),
    Model(Arc<EotModel>),
}

/// The streaming end-of-turn detector (see the module docs).
#[derive(Debug, Clone)]
pub struct EotDetector {
    kind: Kind,
    tracker: FeatureTracker,
    pending: Vec<f32>,
    feats: [f32; N_FEATURES],
    /// `is_end(p)` is `p ≥ threshold`.
    pub threshold: f32,
}

impl EotDetector {
    /// The trained detector; its threshold comes from the model's config.
    pub fn new(model: EotModel) -> EotDetector {
        let threshold = model.config.threshold;
        EotDetector {
            kind: Kind::Model(Arc::new(model)),
            tracker: FeatureTracker::new(),
            pending: Vec::with_capacity(2 * HOP),
            feats: [0.0; N_FEATURES],
            threshold,
        }
    }

    /// Load a model written by `labbook exp turn` (`FILE.safetensors` + `FILE.json`).
    pub fn load(path: &Path) -> anyhow::Result<EotDetector> {
        Ok(EotDetector::new(EotModel::load(path)?))
    }

    /// The silence-only baseline: P = 1 once the VAD has heard `after_ms` of silence,
    /// else 0.
    pub fn silence_only(after_ms: f32) -> EotDetector {
        EotDetector {
            kind: Kind::Silence(after_ms),
            tracker: FeatureTracker::new(),
            pending: Vec::with_capacity(2 * HOP),
            feats: [0.0; N_FEATURES],
            threshold: 0.5,
        }
    }

    /// Forget the conversation so far.
    pub fn reset(&mut self) {
        self.tracker = FeatureTracker::new();
        self.pending.clear();
    }

    /// Silence (by the VAD) so far, in ms; 0 while speech goes on.
    pub fn silence_ms(&self) -> f32 {
        self.tracker.silence_hops() as f32 * 10.0
    }

    /// The features of the last hop (raw, before standardisation).
    pub fn features(&self) -> &[f32; N_FEATURES] {
        &self.feats
    }

    pub fn is_end(&self, p: f32) -> bool {
        p >= self.threshold
    }

    /// One hop of exactly [`HOP`] samples: `None` while the VAD says speech
    /// (`vad_prob ≥ 0.5`), else `Some(P(end of turn))`.
    pub fn push_hop(&mut self, hop: &[f32], vad_prob: f32) -> Option<f32> {
        self.tracker.push(hop, vad_prob, &mut self.feats);
        if self.tracker.speaking() {
            return None;
        }
        Some(match &self.kind {
            Kind::Silence(ms) => {
                if self.silence_ms() >= *ms {
                    1.0
                } else {
                    0.0
                }
            }
            Kind::Model(m) => m.score(&self.feats),
        })
    }

    /// Any number of samples with the VAD's probability for them: one output per hop
    /// completed (samples left over wait for the next call).
    pub fn push(&mut self, samples: &[f32], vad_prob: f32) -> Vec<Option<f32>> {
        let mut out = Vec::with_capacity((self.pending.len() + samples.len()) / HOP);
        let mut rest = samples;
        if !self.pending.is_empty() {
            let need = HOP - self.pending.len();
            let take = need.min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == HOP {
                let hop = std::mem::take(&mut self.pending);
                out.push(self.push_hop(&hop, vad_prob));
                self.pending = hop;
                self.pending.clear();
            }
        }
        let mut chunks = rest.chunks_exact(HOP);
        for hop in chunks.by_ref() {
            out.push(self.push_hop(hop, vad_prob));
        }
        self.pending.extend_from_slice(chunks.remainder());
        out
    }

    /// A whole signal with one VAD probability per hop (`vad_probs[i]` for samples
    /// `160 i .. 160 i + 160`), from the current state.
    pub fn run(&mut self, samples: &[f32], vad_probs: &[f32]) -> Vec<Option<f32>> {
        samples
            .chunks_exact(HOP)
            .zip(vad_probs)
            .map(|(h, v)| self.push_hop(h, *v))
            .collect()
    }
}
