//! Words on a timeline: a speaker's voice (rate, pitch, word cache), a phrase laid
//! out word by word with seeded gaps, and the layout of an utterance.

use anyhow::Result;
use std::collections::BTreeMap;

use super::config::{
    SpeechSetConfig, HOLD_MS, HOLD_MS_LONG, LEAD_MS, PITCH, RATE_WPM, SPM, WORD_GAP_MS,
};
use super::espeak::{cued, Espeak};
use super::manifest::{Pause, SpeakerInfo, Turn};
use super::phrases::{expand, UTTERANCE_TEMPLATES};
use super::seeds::draw_ms;
use crate::util::rng::Rng;

/// One item laid out on the timeline, before it is rendered and labelled.
pub(super) struct Layout {
    pub(super) placed: Vec<Placed>,
    pub(super) speakers: Vec<SpeakerInfo>,
    /// Dialogues only.
    pub(super) turns: Vec<Turn>,
    /// Dialogues only, in the order they were made.
    pub(super) pauses: Vec<Pause>,
    /// Where the last phrase (utterance) or turn (dialogue) ends.
    pub(super) end_of_speech: usize,
}

/// An utterance: one phrase from [`UTTERANCE_TEMPLATES`] said by `voice` after a lead-in
/// silence.
pub(super) fn lay_utterance(
    espeak: &Espeak,
    voice: &str,
    rng: &mut Rng,
    gaps: &mut Vec<usize>,
) -> Result<Layout> {
    let mut voice = Voice::new(espeak, voice, rng);
    let t = UTTERANCE_TEMPLATES[rng.below(UTTERANCE_TEMPLATES.len())];
    let words = expand(t, rng)?;
    let lead = draw_ms(rng, LEAD_MS);
    let placed = lay_phrase(&mut voice, 0, &words, lead, rng, gaps, None)?;
    let end_of_speech = placed.last().map(|p| p.end()).unwrap_or(lead);
    Ok(Layout {
        placed,
        speakers: vec![voice.info],
        turns: Vec::new(),
        pauses: Vec::new(),
        end_of_speech,
    })
}

/// A word laid on the timeline.
pub(super) struct Placed {
    pub(super) speaker: usize,
    pub(super) word: String,
    pub(super) start: usize,
    pub(super) audio: std::sync::Arc<Vec<f32>>,
}

impl Placed {
    pub(super) fn end(&self) -> usize {
        self.start + self.audio.len()
    }
}

/// Per-speaker word cache within one item.
pub(super) struct Voice<'a> {
    espeak: &'a Espeak,
    pub(super) info: SpeakerInfo,
    cache: BTreeMap<String, std::sync::Arc<Vec<f32>>>,
}

impl<'a> Voice<'a> {
    pub(super) fn new(espeak: &'a Espeak, voice: &str, rng: &mut Rng) -> Self {
        let rate = rng.range_inclusive(RATE_WPM.0, RATE_WPM.1) as u32;
        let pitch = rng.range_inclusive(PITCH.0, PITCH.1) as u32;
        Self {
            espeak,
            info: SpeakerInfo {
                voice: voice.to_string(),
                rate,
                pitch,
            },
            cache: BTreeMap::new(),
        }
    }
    pub(super) fn word(&mut self, w: &str, cue: Option<char>) -> Result<std::sync::Arc<Vec<f32>>> {
        let key = cued(w, cue);
        if let Some(a) = self.cache.get(&key) {
            return Ok(a.clone());
        }
        let a = std::sync::Arc::new(self.espeak.word(&self.info, w, cue)?);
        self.cache.insert(key, a.clone());
        Ok(a)
    }
}

/// A uniform draw over [`HOLD_MS`] (in samples) mapped to the log-uniform
/// [`HOLD_MS_LONG`].
pub(super) fn long_hold(uniform: usize) -> usize {
    let (lo, hi) = ((HOLD_MS.0 * SPM) as f64, (HOLD_MS.1 * SPM) as f64);
    let u = ((uniform as f64 - lo) / (hi - lo)).clamp(0.0, 1.0);
    let (a, b) = (HOLD_MS_LONG.0 as f64, HOLD_MS_LONG.1 as f64);
    (a * (b / a).powf(u) * SPM as f64).round() as usize
}

/// Lay out a phrase starting at `start`: returns the placed words; inter-word gaps are
/// pushed to `gaps` (samples). `cue` is the punctuation the last word is said with;
/// with a cue, the words before the last are said with a comma (continuation
/// intonation, not the citation-form fall of a word said alone).
pub(super) fn lay_phrase(
    voice: &mut Voice<'_>,
    speaker: usize,
    words: &[String],
    start: usize,
    rng: &mut Rng,
    gaps: &mut Vec<usize>,
    cue: Option<char>,
) -> Result<Vec<Placed>> {
    let mut out = Vec::with_capacity(words.len());
    let mut cursor = start;
    for (k, w) in words.iter().enumerate() {
        if k > 0 {
            let g = draw_ms(rng, WORD_GAP_MS);
            gaps.push(g);
            cursor += g;
        }
        let word_cue = match cue {
            Some(c) if k + 1 == words.len() => Some(c),
            Some(_) => Some(','),
            None => None,
        };
        let audio = voice.word(w, word_cue)?;
        let p = Placed {
            speaker,
            word: w.clone(),
            start: cursor,
            audio,
        };
        cursor = p.end();
        out.push(p);
    }
    Ok(out)
}

pub(super) fn voice_at(cfg: &SpeechSetConfig, offset: usize, k: usize) -> &str {
    &cfg.voices[(offset + k) % cfg.voices.len()]
}
