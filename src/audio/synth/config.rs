//! What a speech set is made of: the fixed parameters of the construction (levels,
//! rates, pauses, probabilities) and the [`SpeechSetConfig`] a caller chooses.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Output sample rate (Hz).
pub const SAMPLE_RATE: u32 = 16_000;
/// Samples per millisecond at [`SAMPLE_RATE`].
pub(super) const SPM: u64 = (SAMPLE_RATE / 1000) as u64;
/// Sample rate that espeak-ng writes (checked on every call).
pub const ESPEAK_SAMPLE_RATE: u32 = 22_050;
/// Frame length of the VAD labels.
pub const FRAME_MS: u32 = 10;
/// Frame length in samples.
pub const FRAME_SAMPLES: usize = 160;
/// A frame is speech iff at least this many of its samples lie inside a word span.
pub const SPEECH_FRAME_MIN_SAMPLES: usize = 80;
/// Trim envelope window (samples, 5 ms), centred.
pub const TRIM_WINDOW_SAMPLES: usize = 80;
/// Trim threshold relative to the word's envelope peak (dB).
pub const TRIM_REL_DB: f64 = -40.0;
/// Absolute floor of the trim threshold (linear full scale, −60 dBFS).
pub const TRIM_FLOOR: f64 = 1e-3;
/// Margin kept before the first and after the last above-threshold sample (5 ms).
pub const TRIM_MARGIN_SAMPLES: usize = 80;
/// Every clean item is scaled so that its peak is this (−6 dBFS).
pub const PEAK_LEVEL: f64 = 0.5;
/// A noisy mixture whose peak would exceed this is scaled down (`mix_gain`).
pub const MIX_PEAK_MAX: f64 = 0.98;
/// Speaking rate range (words per minute, espeak `-s`), uniform, inclusive.
pub const RATE_WPM: (u64, u64) = (130, 200);
/// Pitch range (espeak `-p`, 0–99), uniform, inclusive.
pub const PITCH: (u64, u64) = (30, 70);
/// Gap between words of one phrase (ms), uniform.
pub const WORD_GAP_MS: (u64, u64) = (30, 120);
/// Leading silence of an item (ms), uniform.
pub const LEAD_MS: (u64, u64) = (100, 250);
/// Trailing silence of an item before padding to whole frames (ms), uniform.
pub const TRAIL_MS: (u64, u64) = (100, 250);
/// Hold pause between phrases of one turn (ms), uniform.
pub const HOLD_MS: (u64, u64) = (150, 600);
/// Hold pause with `long_holds` (ms), log-uniform: median ≈ 470 ms, a third over 700 ms.
pub const HOLD_MS_LONG: (u64, u64) = (150, 1500);
/// End-of-turn gap (ms), uniform.
pub const SHIFT_MS: (u64, u64) = (200, 1200);
/// Overlap of the next turn with the end of the previous one (ms), uniform.
pub const OVERLAP_MS: (u64, u64) = (50, 300);
/// Nominal probability that a turn starts with an overlap (see [`generate`](super::generate) docs).
pub const OVERLAP_PROB: f64 = 0.2;
/// Turns per dialogue, uniform, inclusive.
pub const TURNS: (u64, u64) = (3, 6);
/// Probability that a dialogue phrase comes from [`DIALOGUE_TEMPLATES`](super::DIALOGUE_TEMPLATES) (else from
/// [`UTTERANCE_TEMPLATES`](super::UTTERANCE_TEMPLATES)).
pub const DIALOGUE_PHRASE_PROB: f64 = 0.7;
/// Probability of 1, 2, 3 phrases in a turn.
pub const PHRASES_PER_TURN: [f64; 3] = [0.7, 0.25, 0.05];
/// Fraction of non-held-out clean items put in `dev` (seeded, per item).
pub const DEV_FRACTION: f64 = 0.15;
/// Probability that a noisy variant uses pink (rather than white) noise.
pub const PINK_PROB: f64 = 0.5;

/// Which noisy copies each clean item gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoisyCopies {
    /// One copy per SNR in `snrs_db` for every clean item.
    EverySnr,
    /// One copy per clean item; the SNR cycles through `snrs_db` (item `i` gets
    /// `snrs_db[i % len]`), so every SNR gets the same share of items.
    OnePerItem,
}

/// What to generate.
#[derive(Debug, Clone, Serialize)]
pub struct SpeechSetConfig {
    /// Output directory (created; a previous corpus there is replaced).
    pub out_dir: PathBuf,
    /// Single-speaker utterances.
    pub n_utterances: usize,
    /// Two-party dialogues (need at least two voices).
    pub n_dialogues: usize,
    /// espeak-ng voices, `LANG` or `LANG+VARIANT` (e.g. `en-us+f3`).
    pub voices: Vec<String>,
    /// SNRs (dB) of the noisy copies; empty = clean only.
    pub snrs_db: Vec<f64>,
    /// Seed: same seed (and espeak-ng version) → byte-identical output.
    pub seed: u64,
    /// The espeak-ng binary (a name looked up on `PATH`, or a path).
    pub espeak: PathBuf,
    /// Noisy copies per clean item.
    pub noisy: NoisyCopies,
    /// Dialogues only: synthesise the last word of each phrase with clause punctuation
    /// (and the words before it with a comma, i.e. continuation intonation instead of
    /// the fall of a word said alone) so espeak-ng gives it phrase-final intonation — mostly a fall (`.`) or a question
    /// rise (`?`) before an end of turn, mostly a continuation rise (`,`) before a hold,
    /// with the mismatched cue on a minority of pauses ([`TURN_CUES_END`],
    /// [`TURN_CUES_HOLD`]); each pause records its cue. Off by default (the sets made
    /// before it existed stay byte-identical).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub turn_prosody: bool,
    /// Dialogues only: hold pauses log-uniform over [`HOLD_MS_LONG`] instead of uniform
    /// over [`HOLD_MS`] — conversational corpora find pauses inside a turn as long as the
    /// gaps between turns, many over half a second, which is what defeats a fixed silence
    /// threshold. Drawn from the same random number, so the rest of the set is unchanged.
    /// Off by default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub long_holds: bool,
}

impl Default for SpeechSetConfig {
    fn default() -> Self {
        Self {
            out_dir: PathBuf::from("speechset"),
            n_utterances: 24,
            n_dialogues: 4,
            voices: DEFAULT_VOICES.iter().map(|s| s.to_string()).collect(),
            snrs_db: vec![20.0, 10.0, 5.0, 0.0],
            seed: 1,
            espeak: PathBuf::from("espeak-ng"),
            noisy: NoisyCopies::OnePerItem,
            turn_prosody: false,
            long_holds: false,
        }
    }
}

/// Cue (clause punctuation of a phrase's last word) before an end of turn, with its
/// probability, when [`SpeechSetConfig::turn_prosody`] is on.
pub const TURN_CUES_END: [(char, f64); 3] = [('.', 0.7), ('?', 0.2), (',', 0.1)];
/// Cue before a hold (the same speaker goes on).
pub const TURN_CUES_HOLD: [(char, f64); 2] = [(',', 0.7), ('.', 0.3)];

/// Default voices (all present in espeak-ng 1.51).
pub const DEFAULT_VOICES: [&str; 6] = [
    "en-us",
    "en-us+f3",
    "en-gb",
    "en-gb-scotland+m3",
    "en-029",
    "en-gb-x-rp+f2",
];
