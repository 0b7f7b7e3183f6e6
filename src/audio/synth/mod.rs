//! Labelled synthetic speech corpus generated with the `espeak-ng` binary.
//!
//! The corpus feeds voice-activity detection (VAD), end-of-turn detection, a tiny CTC
//! ASR and audio-embedding experiments, so every label is exact *by construction*:
//!
//! * each WORD is synthesised on its own (`espeak-ng -v VOICE -s RATE -p PITCH --stdout
//!   WORD`, 22,050 Hz), resampled to 16 kHz with [`resample`], and trimmed of leading
//!   and trailing silence with an energy threshold ([`trim_bounds`]);
//! * trimmed words are laid on a digital-silence (all-zero) background with seeded gaps,
//!   so each word's first and last sample index is known exactly, and every non-zero
//!   sample of a clean file lies inside some word span;
//! * 10 ms frame labels, dialogue turns and pauses are derived from those spans.
//!
//! Definitions (all sample indices at 16 kHz, all intervals half-open `[start, end)`):
//!
//! * **Trim** ([`trim_bounds`]): the envelope `e[i]` is the RMS of the 80 samples
//!   (5 ms) `x[i-40 .. i+40)` (zeros outside the word).  The threshold is
//!   `max(peak(e) · 10^(-40/20), 1e-3)`, i.e. 40 dB below the word's own envelope peak,
//!   never below −60 dBFS.  The word keeps `[first − 80, last + 1 + 80)` where `first`
//!   and `last` are the first and last indices with `e ≥ threshold`: a 5 ms margin on
//!   each side (clamped to the synthesised buffer).
//! * **Word span**: `[start_sample, end_sample)` of the trimmed word in the item;
//!   seconds are `sample / 16000`.  Closures inside a word (stops) belong to the span.
//! * **Frame label**: frame `f` covers samples `[160 f, 160 f + 160)`; every item is
//!   padded (with silence) to a whole number of frames.  A frame is speech (`1`) iff at
//!   least 80 of its 160 samples (≥ 50 %) lie inside some word span (of any speaker for
//!   the mixed track `vad`, of that speaker for `vad_speakers[k]`).  Labels are stored
//!   run-length encoded as `[start_frame, end_frame, label]`, end exclusive, runs
//!   contiguous from frame 0 to `n_frames` with alternating labels.
//! * **Pauses** (dialogues): `hold` = silence between two phrases of one turn (same
//!   speaker on both sides); `shift` = silence between the last word of a turn and the
//!   first word of the next turn (other speaker); `overlap` = the interval where the next
//!   turn has started before the previous one ended (`start` = next turn's first word,
//!   `end` = previous turn's last word end).  Gaps between words of one phrase
//!   (30–120 ms) are not pauses; every listed hold/shift is ≥ 150 ms.
//! * **SNR**: `10·log10(Σ (g·s)² / Σ (y − g·s)²)` over the whole item, where `s` is
//!   the clean file's samples, `y` the noisy file's samples (both as written, i.e. after
//!   16-bit quantisation, divided by 32768) and `g` the item's `mix_gain` (< 1 only when
//!   the mixture would otherwise clip).  Silence counts in the clean power.
//!
//! Approximations, stated plainly: words are read in citation form (no coarticulation or
//! sentence prosody across words); words are resampled with labbook's resampler
//! ([`crate::audio::resample`], rubato's FFT resampler), not espeak-ng's own; the
//! word-boundary margin is 5 ms of near-silence.
//!
//! | file          | holds                                                              |
//! |---------------|--------------------------------------------------------------------|
//! | `config.rs`   | the construction's parameters and [`SpeechSetConfig`]              |
//! | `phrases.rs`  | word lists and sentence templates                                  |
//! | `espeak.rs`   | the `espeak-ng` binary: voices, one word at a time                 |
//! | `labels.rs`   | word trimming and 10 ms frame labels                               |
//! | `seeds.rs`    | the per-item random streams                                        |
//! | `layout.rs`   | voices, phrases and utterances on a timeline                       |
//! | `dialogue.rs` | turn planning: holds, shifts, overlaps, intonation cues            |
//! | `item.rs`     | one item rendered, labelled, split, with its noisy copies          |
//! | `manifest.rs` | [`ManifestItem`] and its parts, [`read_manifest`]                  |
//! | `stats.rs`    | `stats.json` and the set's README                                  |
//! | `set.rs`      | [`generate`]: a whole set on a few threads                         |

mod config;
mod dialogue;
mod espeak;
mod item;
mod labels;
mod layout;
mod manifest;
mod phrases;
mod seeds;
mod set;
mod stats;
#[cfg(test)]
mod tests;

pub use crate::audio::resample::resample;
pub use config::{
    NoisyCopies, SpeechSetConfig, DEFAULT_VOICES, DEV_FRACTION, DIALOGUE_PHRASE_PROB,
    ESPEAK_SAMPLE_RATE, FRAME_MS, FRAME_SAMPLES, HOLD_MS, HOLD_MS_LONG, LEAD_MS, MIX_PEAK_MAX,
    OVERLAP_MS, OVERLAP_PROB, PEAK_LEVEL, PHRASES_PER_TURN, PINK_PROB, PITCH, RATE_WPM,
    SAMPLE_RATE, SHIFT_MS, SPEECH_FRAME_MIN_SAMPLES, TRAIL_MS, TRIM_FLOOR, TRIM_MARGIN_SAMPLES,
    TRIM_REL_DB, TRIM_WINDOW_SAMPLES, TURNS, TURN_CUES_END, TURN_CUES_HOLD, WORD_GAP_MS,
};
pub use espeak::INSTALL_HINT;
pub use labels::{expand_runs, frame_labels, run_length, trim_bounds, trim_envelope};
pub use manifest::{read_manifest, ManifestItem, Pause, SpeakerInfo, Turn, WordSpan};
pub use phrases::{vocabulary, DIALOGUE_TEMPLATES, UTTERANCE_TEMPLATES};
pub use set::{generate, Summary};
pub use stats::{Dist, Stats};
