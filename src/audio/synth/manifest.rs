//! The labels of a set as `manifest.jsonl` holds them: one [`ManifestItem`] per WAV
//! file, with its words, frame labels, turns and pauses.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

use super::config::SAMPLE_RATE;

/// One word of an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WordSpan {
    pub word: String,
    /// Index into `speakers`.
    pub speaker: usize,
    /// Seconds.
    pub start: f64,
    pub end: f64,
    /// Samples at 16 kHz, end exclusive.
    pub start_sample: usize,
    pub end_sample: usize,
}

/// One voice of an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeakerInfo {
    pub voice: String,
    pub rate: u32,
    pub pitch: u32,
}

/// A dialogue turn: from its first word's start to its last word's end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    pub speaker: usize,
    pub start: f64,
    pub end: f64,
    pub start_sample: usize,
    pub end_sample: usize,
    pub n_phrases: usize,
    pub text: String,
}

/// A labelled silence (or overlap) in a dialogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pause {
    /// `hold`, `shift` or `overlap`.
    pub kind: String,
    pub start: f64,
    pub end: f64,
    pub start_sample: usize,
    pub end_sample: usize,
    /// Speaker before the pause (for `overlap`: the one whose turn is ending).
    pub from_speaker: usize,
    /// Speaker after the pause (for `overlap`: the one whose turn is starting).
    pub to_speaker: usize,
    /// With `turn_prosody`: the punctuation the phrase before the pause ended with
    /// (`.`, `?` or `,`), i.e. its final intonation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cue: Option<String>,
}

/// One line of `manifest.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestItem {
    pub id: String,
    /// `utterance` or `dialogue`.
    pub kind: String,
    /// The clean item this file was made from (its own id when clean).
    pub clean_id: String,
    /// Relative to the corpus directory.
    pub wav: String,
    pub sample_rate: u32,
    pub n_samples: usize,
    /// Seconds.
    pub duration: f64,
    pub text: String,
    pub words: Vec<WordSpan>,
    /// Utterances: the voice; dialogues: null.
    pub speaker: Option<String>,
    pub voice: Option<String>,
    pub rate: Option<u32>,
    pub pitch: Option<u32>,
    pub speakers: Vec<SpeakerInfo>,
    /// Target SNR; null for clean files.
    pub snr_db: Option<f64>,
    pub achieved_snr_db: Option<f64>,
    /// `white` or `pink`; null for clean files.
    pub noise: Option<String>,
    pub noise_seed: Option<u64>,
    /// Scale applied to clean + noise to avoid clipping (1 when none).
    pub mix_gain: Option<f64>,
    /// `train`, `dev` or `test` (test = every item with the held-out voice).
    pub split: String,
    pub held_out_voice: bool,
    pub frame_ms: u32,
    pub n_frames: usize,
    /// Mixed-track frame labels, run-length `[start_frame, end_frame, 0|1]`.
    pub vad: Vec<[usize; 3]>,
    /// Per-speaker frame labels (same encoding), indexed like `speakers`.
    pub vad_speakers: Vec<Vec<[usize; 3]>>,
    /// Dialogues only (empty for utterances).
    pub turns: Vec<Turn>,
    /// Dialogues only (empty for utterances).
    pub pauses: Vec<Pause>,
}

/// Read `DIR/manifest.jsonl`.
pub fn read_manifest(dir: &Path) -> Result<Vec<ManifestItem>> {
    let path = dir.join("manifest.jsonl");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{} line {}", path.display(), i + 1))
        })
        .collect()
}

impl Turn {
    pub(super) fn at(speaker: usize, a: usize, b: usize, n_phrases: usize, text: String) -> Self {
        let sr = SAMPLE_RATE as f64;
        Self {
            speaker,
            start: a as f64 / sr,
            end: b as f64 / sr,
            start_sample: a,
            end_sample: b,
            n_phrases,
            text,
        }
    }
}

impl Pause {
    pub(super) fn new(
        kind: &str,
        a: usize,
        b: usize,
        from_speaker: usize,
        to_speaker: usize,
    ) -> Self {
        let sr = SAMPLE_RATE as f64;
        Self {
            kind: kind.to_string(),
            start: a as f64 / sr,
            end: b as f64 / sr,
            start_sample: a,
            end_sample: b,
            from_speaker,
            to_speaker,
            cue: None,
        }
    }

    pub(super) fn with_cue(mut self, cue: Option<char>) -> Self {
        self.cue = cue.map(String::from);
        self
    }
}
