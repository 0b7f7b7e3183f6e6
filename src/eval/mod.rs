//! Evaluation metrics, each identical to its reference (fixtures made by the scripts
//! in `tests/fixtures/eval/`):
//!
//! * [`wer`]: word/character error rates identical to jiwer 4.0 (counts, alignments,
//!   measures), built on [`levenshtein`] (rapidfuzz-exact alignment).
//! * [`normalize`]: Whisper's `BasicTextNormalizer` and a documented subset of its
//!   `EnglishTextNormalizer`.
//! * [`stoi`]: STOI / extended STOI matching pystoi 0.4.
//! * [`latency`]: latency summaries with NumPy's default (`linear`) percentiles.

pub mod latency;
pub mod levenshtein;
pub mod normalize;
mod pytext;
pub mod stoi;
pub mod wer;
