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
//! sentence prosody across words); the built-in resampler is a Kaiser-windowed-sinc
//! polyphase filter, not the host app's; the word-boundary margin is 5 ms of near-silence.

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use super::augment;
use super::wav::{pcm16, write_wav_i16, PCM16_SCALE};
use crate::util::rng::Rng;

// ---------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------

/// Output sample rate (Hz).
pub const SAMPLE_RATE: u32 = 16_000;
/// Samples per millisecond at [`SAMPLE_RATE`].
const SPM: u64 = (SAMPLE_RATE / 1000) as u64;
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
/// Nominal probability that a turn starts with an overlap (see [`generate`] docs).
pub const OVERLAP_PROB: f64 = 0.2;
/// Turns per dialogue, uniform, inclusive.
pub const TURNS: (u64, u64) = (3, 6);
/// Probability that a dialogue phrase comes from [`DIALOGUE_TEMPLATES`] (else from
/// [`UTTERANCE_TEMPLATES`]).
pub const DIALOGUE_PHRASE_PROB: f64 = 0.7;
/// Probability of 1, 2, 3 phrases in a turn.
pub const PHRASES_PER_TURN: [f64; 3] = [0.7, 0.25, 0.05];
/// Fraction of non-held-out clean items put in `dev` (seeded, per item).
pub const DEV_FRACTION: f64 = 0.15;
/// Probability that a noisy variant uses pink (rather than white) noise.
pub const PINK_PROB: f64 = 0.5;

// ---------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------

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

/// What [`generate`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub out_dir: PathBuf,
    pub n_clean: usize,
    pub n_noisy: usize,
    pub n_utterances: usize,
    pub n_dialogues: usize,
    /// Bytes of all WAV files written.
    pub wav_bytes: u64,
    /// Seconds of audio in all WAV files.
    pub audio_seconds: f64,
    /// Seconds of audio in the clean files.
    pub clean_seconds: f64,
    /// Wall-clock generation time.
    pub elapsed_s: f64,
    pub espeak_version: String,
    pub held_out_voice: Option<String>,
}

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

/// Generate the corpus described by `cfg` into `cfg.out_dir`.
///
/// `progress(done, total)` is called after each clean item (with its noisy copies) is
/// written; `total = n_utterances + n_dialogues`.
///
/// Items are built on up to 4 threads; the output does not depend on the thread count.
/// Dialogue turn starts: with probability [`OVERLAP_PROB`] the next turn overlaps the
/// previous one by U(50, 300) ms, clipped to half of the previous turn's last phrase and
/// half of the next turn's first phrase; if the clipped overlap is under 50 ms, or the
/// next speaker's own previous turn ended less than 200 ms before it, the turn instead
/// starts after an end-of-turn gap U(200, 1200) ms like the others.
pub fn generate(cfg: &SpeechSetConfig, mut progress: impl FnMut(usize, usize)) -> Result<Summary> {
    let t0 = Instant::now();
    let espeak = Espeak::new(&cfg.espeak)?;
    check_config(cfg)?;
    espeak.check_voices(&cfg.voices)?;
    prepare_out_dir(&cfg.out_dir)?;
    let wav_dir = cfg.out_dir.join("wav");
    std::fs::create_dir_all(&wav_dir).with_context(|| format!("creating {}", wav_dir.display()))?;

    let mut plan_rng = Rng::new(item_seed(cfg.seed, TAG_PLAN, 0));
    let voice_offset = plan_rng.below(cfg.voices.len());
    let held_out = if cfg.voices.len() >= 2 {
        Some(cfg.voices[plan_rng.below(cfg.voices.len())].clone())
    } else {
        None
    };
    let ctx = Ctx {
        cfg,
        espeak: &espeak,
        voice_offset,
        held_out: held_out.as_deref(),
        wav_dir: &wav_dir,
    };

    let total = cfg.n_utterances + cfg.n_dialogues;
    let mut results: Vec<Option<Built>> = (0..total).map(|_| None).collect();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let n_threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4)
        .min(total.max(1));
    let mut first_err: Option<anyhow::Error> = None;
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, Result<Built>)>();
        for _ in 0..n_threads {
            let tx = tx.clone();
            let (ctx, next, stop) = (&ctx, &next, &stop);
            scope.spawn(move || loop {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= total {
                    break;
                }
                let r = build_item(ctx, i);
                if tx.send((i, r)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut done = 0;
        for (i, r) in rx {
            match r {
                Ok(b) => {
                    results[i] = Some(b);
                    done += 1;
                    progress(done, total);
                }
                Err(e) => {
                    stop.store(true, Ordering::SeqCst);
                    if first_err.is_none() {
                        first_err = Some(e);
                    }
                }
            }
        }
    });
    if let Some(e) = first_err {
        return Err(e);
    }
    let built: Vec<Built> = results
        .into_iter()
        .enumerate()
        .map(|(i, b)| b.ok_or_else(|| anyhow!("item {i} was not generated")))
        .collect::<Result<_>>()?;

    // manifest.jsonl
    let mut manifest = String::new();
    for b in &built {
        for row in &b.rows {
            manifest.push_str(&serde_json::to_string(row).context("serialising manifest")?);
            manifest.push('\n');
        }
    }
    write_file(&cfg.out_dir.join("manifest.jsonl"), manifest.as_bytes())?;

    let stats = Stats::collect(cfg, &espeak.version, held_out.as_deref(), &built);
    let stats_json = serde_json::to_string_pretty(&stats).context("serialising stats")?;
    write_file(&cfg.out_dir.join("stats.json"), stats_json.as_bytes())?;
    write_file(
        &cfg.out_dir.join("README.md"),
        corpus_readme(cfg, &stats).as_bytes(),
    )?;

    Ok(Summary {
        out_dir: cfg.out_dir.clone(),
        n_clean: stats.n_clean,
        n_noisy: stats.n_noisy,
        n_utterances: cfg.n_utterances,
        n_dialogues: cfg.n_dialogues,
        wav_bytes: stats.wav_bytes,
        audio_seconds: stats.audio_seconds,
        clean_seconds: stats.clean_seconds,
        elapsed_s: t0.elapsed().as_secs_f64(),
        espeak_version: espeak.version.clone(),
        held_out_voice: held_out,
    })
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

// ---------------------------------------------------------------------------------
// Resampling and trimming
// ---------------------------------------------------------------------------------

/// One channel from `from` Hz to `to` Hz: labbook's resampler ([`super::resample`]).
pub fn resample(x: &[f32], from: u32, to: u32) -> Result<Vec<f32>> {
    super::resample::resample(x, from, to)
}

/// The 5 ms centred RMS envelope used by the trimmer: `e[i] = sqrt(Σ x[i-40 .. i+40)² / 80)`,
/// samples outside `x` counting as zero.
pub fn trim_envelope(x: &[f32]) -> Vec<f64> {
    let n = x.len();
    let mut cum = vec![0.0f64; n + 1];
    for (i, v) in x.iter().enumerate() {
        cum[i + 1] = cum[i] + (*v as f64) * (*v as f64);
    }
    let h = TRIM_WINDOW_SAMPLES / 2;
    (0..n)
        .map(|i| {
            let a = i.saturating_sub(h);
            let b = (i + h).min(n);
            ((cum[b] - cum[a]) / TRIM_WINDOW_SAMPLES as f64).sqrt()
        })
        .collect()
}

/// The kept region `[start, end)` of a synthesised word (see the module docs), or
/// `None` if the word never rises above −60 dBFS.
pub fn trim_bounds(x: &[f32]) -> Option<(usize, usize)> {
    let e = trim_envelope(x);
    let peak = e.iter().cloned().fold(0.0f64, f64::max);
    let thr = (peak * 10f64.powf(TRIM_REL_DB / 20.0)).max(TRIM_FLOOR);
    if peak < thr {
        return None;
    }
    let first = e.iter().position(|&v| v >= thr)?;
    let last = e.iter().rposition(|&v| v >= thr)?;
    Some((
        first.saturating_sub(TRIM_MARGIN_SAMPLES),
        (last + 1 + TRIM_MARGIN_SAMPLES).min(x.len()),
    ))
}

// ---------------------------------------------------------------------------------
// Frame labels
// ---------------------------------------------------------------------------------

/// Frame labels for `n_frames` 10 ms frames from sample spans (`[start, end)`, any
/// order, may overlap) by the ≥ 50 % rule, run-length encoded.
pub fn frame_labels(spans: &[(usize, usize)], n_frames: usize) -> Vec<[usize; 3]> {
    let n = n_frames * FRAME_SAMPLES;
    let mut inside = vec![false; n];
    for &(a, b) in spans {
        for v in inside.iter_mut().take(b.min(n)).skip(a.min(n)) {
            *v = true;
        }
    }
    let labels: Vec<usize> = (0..n_frames)
        .map(|f| {
            let c = inside[f * FRAME_SAMPLES..(f + 1) * FRAME_SAMPLES]
                .iter()
                .filter(|v| **v)
                .count();
            usize::from(c >= SPEECH_FRAME_MIN_SAMPLES)
        })
        .collect();
    run_length(&labels)
}

/// Run-length encode 0/1 labels as `[start, end, label]` (end exclusive).
pub fn run_length(labels: &[usize]) -> Vec<[usize; 3]> {
    let mut out: Vec<[usize; 3]> = Vec::new();
    for (i, &l) in labels.iter().enumerate() {
        match out.last_mut() {
            Some(r) if r[2] == l => r[1] = i + 1,
            _ => out.push([i, i + 1, l]),
        }
    }
    out
}

/// Expand a run-length list back to one label per frame.
pub fn expand_runs(runs: &[[usize; 3]]) -> Vec<usize> {
    let mut out = Vec::new();
    for r in runs {
        out.extend(std::iter::repeat_n(r[2], r[1].saturating_sub(r[0])));
    }
    out
}

// ---------------------------------------------------------------------------------
// espeak-ng
// ---------------------------------------------------------------------------------

/// Install hint used in the missing-binary error.
pub const INSTALL_HINT: &str =
    "install it with `sudo apt-get install espeak-ng` (Debian/Ubuntu) or `brew install espeak-ng` (macOS)";

struct Espeak {
    bin: PathBuf,
    version: String,
}

impl Espeak {
    fn new(bin: &Path) -> Result<Self> {
        let out = match Command::new(bin).arg("--version").output() {
            Ok(o) => o,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                bail!(
                    "espeak-ng not found (tried `{}`): {INSTALL_HINT}, or give its path (`labbook data speech --espeak PATH`)",
                    bin.display()
                )
            }
            Err(e) => bail!("cannot run espeak-ng at `{}`: {e}", bin.display()),
        };
        if !out.status.success() {
            bail!(
                "`{} --version` failed ({}): {}",
                bin.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let version = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !version.to_lowercase().contains("espeak") {
            bail!(
                "`{}` does not look like espeak-ng (`--version` printed {version:?})",
                bin.display()
            );
        }
        Ok(Self {
            bin: bin.to_path_buf(),
            version,
        })
    }

    fn list(&self, arg: &str) -> Result<String> {
        let out = Command::new(&self.bin)
            .arg(arg)
            .output()
            .with_context(|| format!("running `{} {arg}`", self.bin.display()))?;
        if !out.status.success() {
            bail!("`{} {arg}` failed ({})", self.bin.display(), out.status);
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// espeak-ng silently falls back for unknown voices (`en-zz` → `en`, an unknown
    /// `+variant` is ignored), so voices are checked against its own lists.
    fn check_voices(&self, voices: &[String]) -> Result<()> {
        let mut langs = BTreeSet::new();
        for line in self.list("--voices")?.lines().skip(1) {
            let t: Vec<&str> = line.split_whitespace().collect();
            if t.len() < 5 {
                continue;
            }
            langs.insert(t[1].to_lowercase());
            langs.insert(t[3].to_lowercase());
            if let Some(base) = t[4].rsplit('/').next() {
                langs.insert(base.to_lowercase());
            }
            for tok in &t[5..] {
                if let Some(l) = tok.strip_prefix('(') {
                    langs.insert(l.to_lowercase());
                }
            }
        }
        let variants: BTreeSet<String> = self
            .list("--voices=variant")?
            .split_whitespace()
            .filter_map(|t| t.strip_prefix("!v/").map(str::to_string))
            .collect();
        for v in voices {
            let (lang, variant) = match v.split_once('+') {
                Some((l, var)) => (l, Some(var)),
                None => (v.as_str(), None),
            };
            if !langs.contains(&lang.to_lowercase()) {
                bail!(
                    "espeak-ng has no voice `{lang}` (asked for `{v}`); `espeak-ng --voices=en` lists the English ones"
                );
            }
            if let Some(var) = variant {
                if !variants.contains(var) {
                    bail!(
                        "espeak-ng has no voice variant `{var}` (asked for `{v}`); `espeak-ng --voices=variant` lists them"
                    );
                }
            }
        }
        Ok(())
    }

    /// Synthesise one word as `speaker` says it; returns the raw 22,050 Hz samples.
    fn synth_raw(&self, speaker: &SpeakerInfo, word: &str, cue: Option<char>) -> Result<Vec<f32>> {
        let SpeakerInfo { voice, rate, pitch } = speaker;
        if word.is_empty() || !word.bytes().all(|b| b.is_ascii_lowercase()) {
            bail!("word {word:?} is not plain lowercase ASCII");
        }
        if cue.is_some_and(|c| !matches!(c, '.' | ',' | '?')) {
            bail!("cue {cue:?} is not one of . , ?");
        }
        let text = cued(word, cue);
        let out = Command::new(&self.bin)
            .args([
                "-v",
                voice.as_str(),
                "-s",
                &rate.to_string(),
                "-p",
                &pitch.to_string(),
            ])
            .arg("--stdout")
            .arg(&text)
            .output()
            .with_context(|| format!("running {}", self.bin.display()))?;
        if !out.status.success() {
            bail!(
                "espeak-ng failed on {word:?} with voice `{voice}` ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let (rate_hz, samples) = parse_wav_stream(&out.stdout)
            .with_context(|| format!("reading espeak-ng output for {word:?} ({voice})"))?;
        if rate_hz != ESPEAK_SAMPLE_RATE {
            bail!("espeak-ng wrote {rate_hz} Hz, expected {ESPEAK_SAMPLE_RATE} Hz");
        }
        Ok(samples)
    }

    /// Synthesise, resample to 16 kHz and trim one word.
    fn word(&self, speaker: &SpeakerInfo, word: &str, cue: Option<char>) -> Result<Vec<f32>> {
        let raw = self.synth_raw(speaker, word, cue)?;
        let x = resample(&raw, ESPEAK_SAMPLE_RATE, SAMPLE_RATE)?;
        let (a, b) = trim_bounds(&x).ok_or_else(|| {
            anyhow!(
                "espeak-ng produced silence for {word:?} with voice `{}`",
                speaker.voice
            )
        })?;
        Ok(x[a..b].to_vec())
    }
}

/// The text espeak-ng is given for `word` said with the clause punctuation `cue`.
fn cued(word: &str, cue: Option<char>) -> String {
    match cue {
        Some(c) => format!("{word}{c}"),
        None => word.to_string(),
    }
}

/// Parse the WAV that `espeak-ng --stdout` writes (its size fields are placeholders, so
/// the data chunk runs to the end of the stream).  Returns (sample rate, samples).
fn parse_wav_stream(b: &[u8]) -> Result<(u32, Vec<f32>)> {
    if b.len() < 12 || &b[0..4] != b"RIFF" || &b[8..12] != b"WAVE" {
        bail!("not a RIFF/WAVE stream ({} bytes)", b.len());
    }
    let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let mut pos = 12;
    let mut fmt: Option<(u16, u16, u32, u16)> = None;
    while pos + 8 <= b.len() {
        let id = &b[pos..pos + 4];
        let size = u32_at(pos + 4) as usize;
        let body = pos + 8;
        if id == b"fmt " {
            if body + 16 > b.len() {
                bail!("truncated fmt chunk");
            }
            fmt = Some((
                u16_at(body),
                u16_at(body + 2),
                u32_at(body + 4),
                u16_at(body + 14),
            ));
        } else if id == b"data" {
            let (format, channels, rate, bits) = fmt.ok_or_else(|| anyhow!("data before fmt"))?;
            if format != 1 || channels != 1 || bits != 16 {
                bail!("expected 16-bit mono PCM, got format {format}, {channels} ch, {bits} bit");
            }
            let end = body.saturating_add(size).min(b.len());
            let data = &b[body..end];
            let samples = data
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]) as f32 / 32768.0)
                .collect();
            return Ok((rate, samples));
        }
        pos = body.saturating_add(size + (size & 1));
    }
    bail!("no data chunk")
}

// ---------------------------------------------------------------------------------
// Vocabulary and templates
// ---------------------------------------------------------------------------------

const NOUNS: &[&str] = &[
    "time", "day", "week", "night", "morning", "house", "home", "room", "door", "window", "table",
    "chair", "book", "paper", "letter", "phone", "car", "train", "bus", "road", "street", "city",
    "water", "coffee", "tea", "food", "bread", "music", "movie", "game", "story", "picture",
    "friend", "family", "teacher", "doctor", "dog", "cat", "bird", "garden", "river", "kitchen",
    "office", "meeting", "report", "list", "key", "bag", "box", "light",
];
const VERBS: &[&str] = &[
    "open", "close", "find", "take", "bring", "make", "call", "read", "write", "watch", "play",
    "start", "stop", "move", "check", "send", "show", "keep", "need", "see", "help", "meet", "buy",
    "clean", "fix", "cook", "carry", "finish", "share", "plan",
];
const ADJS: &[&str] = &[
    "good", "new", "old", "big", "small", "long", "short", "early", "late", "quiet", "loud",
    "warm", "cold", "bright", "dark", "busy", "happy", "simple", "ready", "empty", "heavy", "free",
    "nice", "great",
];
const COLORS: &[&str] = &[
    "red", "blue", "green", "yellow", "white", "black", "brown", "orange",
];
const TIMES: &[&str] = &[
    "today",
    "tomorrow",
    "tonight",
    "yesterday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "later",
    "soon",
    "now",
];
const NAMES: &[&str] = &[
    "anna", "david", "maria", "james", "sarah", "peter", "lucy", "thomas", "emma", "daniel",
];
/// Digit / number words.
const NUMBERS: &[&str] = &[
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fifteen", "twenty", "thirty", "forty", "fifty", "hundred",
];
/// Command words.
const COMMANDS: &[&str] = &[
    "yes", "no", "stop", "go", "left", "right", "up", "down", "on", "off", "start", "pause",
    "play", "next", "back", "louder", "quieter", "cancel", "confirm", "repeat",
];
const DIRECTIONS: &[&str] = &["left", "right", "up", "down"];
const ONOFF: &[&str] = &["on", "off"];

/// Slot `{x}` → its word list.
fn slot(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "n" => NOUNS,
        "v" => VERBS,
        "a" => ADJS,
        "c" => COLORS,
        "t" => TIMES,
        "name" => NAMES,
        "num" => NUMBERS,
        "cmd" => COMMANDS,
        "dir" => DIRECTIONS,
        "onoff" => ONOFF,
        _ => return None,
    })
}

/// Sentences for single-speaker utterances (slots in braces).
pub const UTTERANCE_TEMPLATES: &[&str] = &[
    "please {v} the {n}",
    "can you {v} the {n} {t}",
    "the {n} is {a}",
    "the {c} {n} is in the {n}",
    "i need to {v} the {n} {t}",
    "{name} will {v} the {n} {t}",
    "where is the {c} {n}",
    "what time is it",
    "we should {v} the {n} before {t}",
    "call {name} at {num} {num}",
    "my number is {num} {num} {num} {num}",
    "{num} {num} {num}",
    "{cmd}",
    "{cmd} {cmd}",
    "turn {dir}",
    "go {dir} at the {n}",
    "set the timer for {num} minutes",
    "play some {a} music",
    "{name} has the {c} {n}",
    "this {n} is very {a}",
    "is the {n} {a} or {a}",
    "do you want {n} or {n}",
    "let us {v} the {n} {t}",
    "there is one {n} in the {n}",
    "i think the {n} is {a}",
    "the {n} and the {n} are {a}",
    "my {n} is {c}",
    "your {n} is on the {n}",
    "we can meet at {num} {t}",
    "the train leaves at {num} {num}",
    "it is {a} and {a} {t}",
    "{name} and {name} will {v} it {t}",
    "please do not {v} the {n}",
    "how do i {v} the {n}",
    "when will you {v} the {n}",
    "put the {c} {n} on the {n}",
    "i will {v} it {t}",
    "the {n} was too {a}",
    "bring me the {n} please",
    "show me the {c} {n}",
    "room {num} {num} is {a}",
    "my code is {num} {num} {num}",
    "{cmd} the {n}",
    "volume {dir}",
    "turn the light {onoff}",
    "{name} is at the {n}",
    "we need more {n} for the {n}",
    "the {a} {n} is next to the {n}",
    "can we {v} it {t}",
    "i can not find my {n}",
    "what is in the {c} {n}",
    "{t} will be {a}",
    "they want to {v} the {n} with {name}",
    "switch {onoff} the {n}",
];

/// Extra, conversational phrases used (half the time) in dialogues.
pub const DIALOGUE_TEMPLATES: &[&str] = &[
    "yes",
    "no",
    "okay",
    "sure",
    "really",
    "i think so",
    "i do not think so",
    "that sounds good",
    "what do you mean",
    "let me check",
    "well maybe",
    "i am not sure",
    "thank you",
    "sure that is fine",
    "good idea",
    "why not",
    "of course",
    "hold on",
    "wait one second",
    "so what do you think",
    "and then what",
    "yes i can do that",
    "no not {t}",
    "how about {t}",
    "can we do it {t}",
    "i will call {name}",
    "that is too {a}",
    "ask {name} about the {n}",
    "what about the {n}",
];

/// Expand a template with the item's RNG.
fn expand(template: &str, rng: &mut Rng) -> Result<Vec<String>> {
    template
        .split_whitespace()
        .map(
            |tok| match tok.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                Some(name) => {
                    let list =
                        slot(name).ok_or_else(|| anyhow!("unknown slot {tok} in {template:?}"))?;
                    Ok(list[rng.below(list.len())].to_string())
                }
                None => Ok(tok.to_string()),
            },
        )
        .collect()
}

/// Every word the templates can produce, sorted.
pub fn vocabulary() -> Vec<String> {
    let mut set = BTreeSet::new();
    for t in UTTERANCE_TEMPLATES.iter().chain(DIALOGUE_TEMPLATES) {
        for tok in t.split_whitespace() {
            match tok.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                Some(name) => {
                    if let Some(list) = slot(name) {
                        set.extend(list.iter().map(|w| w.to_string()));
                    }
                }
                None => {
                    set.insert(tok.to_string());
                }
            }
        }
    }
    set.into_iter().collect()
}

// ---------------------------------------------------------------------------------
// Seeded randomness
// ---------------------------------------------------------------------------------

const TAG_PLAN: u64 = 1;
const TAG_UTT: u64 = 2;
const TAG_DLG: u64 = 3;
const TAG_SPLIT: u64 = 4;
const TAG_NOISE: u64 = 5;
const TAG_CUE: u64 = 6;

/// A uniform duration in samples for a millisecond range (inclusive).
fn draw_ms(rng: &mut Rng, r: (u64, u64)) -> usize {
    rng.range_inclusive(r.0 * SPM, r.1 * SPM) as usize
}

/// The seed of sub-stream `(tag, index)` of the set's seed. This mixing (not
/// [`crate::util::rng::derive_seed`]) is what the committed sets were made with, so it
/// stays: changing it would change every generated set.
fn item_seed(seed: u64, tag: u64, index: u64) -> u64 {
    let mut r = Rng::new(
        seed ^ tag.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ index.wrapping_mul(0x8CB9_2BA7_2F3D_8DD7),
    );
    r.next_u64();
    r.next_u64()
}

// ---------------------------------------------------------------------------------
// Noisy copies
// ---------------------------------------------------------------------------------

/// `clean` (16-bit values `k / 32768`) with seeded `white` or `pink` noise
/// ([`augment::white_noise`], [`augment::pink_noise`]) at `snr_db`, as 16-bit values:
/// [`augment::mix_at_snr_opts`] with the noise from its start, the peak limited to
/// [`MIX_PEAK_MAX`], and the SNR re-tuned on the quantised mixture
/// ([`augment::MixOutput::Pcm16`], within 0.1 dB of the target).
fn noisy_copy(clean: &[f32], kind: &str, noise_seed: u64, snr_db: f64) -> Result<augment::Mixed> {
    let noise = match kind {
        "white" => augment::white_noise(clean.len(), noise_seed),
        "pink" => augment::pink_noise(clean.len(), noise_seed),
        _ => bail!("unknown noise kind {kind:?} (white|pink)"),
    };
    let opts = augment::MixOptions {
        noise_offset: Some(0),
        peak_limit: MIX_PEAK_MAX,
        output: augment::MixOutput::Pcm16,
        ..augment::MixOptions::default()
    };
    augment::mix_at_snr_opts(clean, &noise, snr_db, 0, &opts)
}

// ---------------------------------------------------------------------------------
// Item construction
// ---------------------------------------------------------------------------------

struct Ctx<'a> {
    cfg: &'a SpeechSetConfig,
    espeak: &'a Espeak,
    voice_offset: usize,
    held_out: Option<&'a str>,
    wav_dir: &'a Path,
}

/// A word laid on the timeline.
struct Placed {
    speaker: usize,
    word: String,
    start: usize,
    audio: std::sync::Arc<Vec<f32>>,
}

impl Placed {
    fn end(&self) -> usize {
        self.start + self.audio.len()
    }
}

/// Per-speaker word cache within one item.
struct Voice<'a> {
    espeak: &'a Espeak,
    info: SpeakerInfo,
    cache: BTreeMap<String, std::sync::Arc<Vec<f32>>>,
}

impl<'a> Voice<'a> {
    fn new(espeak: &'a Espeak, voice: &str, rng: &mut Rng) -> Self {
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
    fn word(&mut self, w: &str, cue: Option<char>) -> Result<std::sync::Arc<Vec<f32>>> {
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
fn long_hold(uniform: usize) -> usize {
    let (lo, hi) = ((HOLD_MS.0 * SPM) as f64, (HOLD_MS.1 * SPM) as f64);
    let u = ((uniform as f64 - lo) / (hi - lo)).clamp(0.0, 1.0);
    let (a, b) = (HOLD_MS_LONG.0 as f64, HOLD_MS_LONG.1 as f64);
    (a * (b / a).powf(u) * SPM as f64).round() as usize
}

/// Lay out a phrase starting at `start`: returns the placed words; inter-word gaps are
/// pushed to `gaps` (samples). `cue` is the punctuation the last word is said with;
/// with a cue, the words before the last are said with a comma (continuation
/// intonation, not the citation-form fall of a word said alone).
fn lay_phrase(
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

/// What one clean item produced (manifest rows for it and its noisy copies, plus stats).
struct Built {
    rows: Vec<ManifestItem>,
    wav_bytes: u64,
    word_gaps: Vec<usize>,
    word_lens: Vec<usize>,
    speech_samples: usize,
}

fn voice_at(cfg: &SpeechSetConfig, offset: usize, k: usize) -> &str {
    &cfg.voices[(offset + k) % cfg.voices.len()]
}

/// One item laid out on the timeline, before it is rendered and labelled.
struct Layout {
    placed: Vec<Placed>,
    speakers: Vec<SpeakerInfo>,
    /// Dialogues only.
    turns: Vec<Turn>,
    /// Dialogues only, in the order they were made.
    pauses: Vec<Pause>,
    /// Where the last phrase (utterance) or turn (dialogue) ends.
    end_of_speech: usize,
}

/// An utterance: one phrase from [`UTTERANCE_TEMPLATES`] said by `voice` after a lead-in
/// silence.
fn lay_utterance(
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

/// Dialogue `j`: two voices taking turns of one to three phrases, with hold pauses
/// inside a turn and shift gaps or overlaps between turns (see [`generate`]).
fn lay_dialogue(
    cfg: &SpeechSetConfig,
    espeak: &Espeak,
    voice_offset: usize,
    j: usize,
    rng: &mut Rng,
    gaps: &mut Vec<usize>,
) -> Result<Layout> {
    let mut placed: Vec<Placed> = Vec::new();
    let mut turns: Vec<Turn> = Vec::new();
    let mut pauses: Vec<Pause> = Vec::new();
    let n = cfg.voices.len();
    let a = voice_at(cfg, voice_offset, j).to_string();
    let b = voice_at(cfg, voice_offset, j + 1 + rng.below(n - 1)).to_string();
    let mut voices = [Voice::new(espeak, &a, rng), Voice::new(espeak, &b, rng)];
    let n_turns = rng.range_inclusive(TURNS.0, TURNS.1) as usize;
    let first_speaker = rng.below(2);
    let mut cursor_end = 0usize; // end of the previous turn's last word
    let mut last_phrase_start = 0usize; // start of the previous turn's last phrase
    let mut last_end: [Option<usize>; 2] = [None, None];
    let lead = draw_ms(rng, LEAD_MS);
    // Phrase-final cues come from their own stream, so the layout's random stream is
    // the same with and without them.
    let mut cue_rng = Rng::new(item_seed(cfg.seed, TAG_CUE, j as u64));
    let mut prev_cue: Option<char> = None;
    for t in 0..n_turns {
        let spk = (first_speaker + t) % 2;
        let u = rng.unit();
        let n_phrases = if u < PHRASES_PER_TURN[0] {
            1
        } else if u < PHRASES_PER_TURN[0] + PHRASES_PER_TURN[1] {
            2
        } else {
            3
        };
        // Lay the turn out from 0, then shift it to its start.
        let mut turn_words: Vec<Placed> = Vec::new();
        let mut phrase_bounds: Vec<(usize, usize)> = Vec::new();
        let mut cursor = 0usize;
        let mut texts = Vec::new();
        let mut cues: Vec<Option<char>> = Vec::new();
        for p in 0..n_phrases {
            let template = if rng.unit() < DIALOGUE_PHRASE_PROB {
                DIALOGUE_TEMPLATES[rng.below(DIALOGUE_TEMPLATES.len())]
            } else {
                UTTERANCE_TEMPLATES[rng.below(UTTERANCE_TEMPLATES.len())]
            };
            let words = expand(template, rng)?;
            if p > 0 {
                let h = draw_ms(rng, HOLD_MS);
                cursor += if cfg.long_holds { long_hold(h) } else { h };
            }
            let cue = cfg.turn_prosody.then(|| {
                let table: &[(char, f64)] = if p + 1 == n_phrases {
                    &TURN_CUES_END
                } else {
                    &TURN_CUES_HOLD
                };
                pick_cue(table, cue_rng.unit())
            });
            cues.push(cue);
            let ph = lay_phrase(&mut voices[spk], spk, &words, cursor, rng, gaps, cue)?;
            let ph_end = ph.last().map(|w| w.end()).unwrap_or(cursor);
            phrase_bounds.push((cursor, ph_end));
            cursor = ph_end;
            texts.push(words.join(" "));
            turn_words.extend(ph);
        }
        let first_dur = phrase_bounds[0].1 - phrase_bounds[0].0;
        // Draw everything so the random stream does not depend on the branch taken.
        let want_overlap = rng.unit() < OVERLAP_PROB;
        let overlap = draw_ms(rng, OVERLAP_MS);
        let shift = draw_ms(rng, SHIFT_MS);
        let start = if t == 0 {
            lead
        } else {
            let prev_last_dur = cursor_end - last_phrase_start;
            // An overlap never exceeds half of either phrase it touches.
            let overlap = overlap.min(first_dur / 2).min(prev_last_dur / 2);
            let cand = cursor_end.saturating_sub(overlap);
            let own_ok = last_end[spk].is_none_or(|e| cand >= e + (SHIFT_MS.0 * SPM) as usize);
            if want_overlap && overlap >= (OVERLAP_MS.0 * SPM) as usize && own_ok {
                pauses
                    .push(Pause::new("overlap", cand, cursor_end, 1 - spk, spk).with_cue(prev_cue));
                cand
            } else {
                pauses.push(
                    Pause::new("shift", cursor_end, cursor_end + shift, 1 - spk, spk)
                        .with_cue(prev_cue),
                );
                cursor_end + shift
            }
        };
        for w in &mut turn_words {
            w.start += start;
        }
        for k in 1..n_phrases {
            let (a, b) = (phrase_bounds[k - 1].1 + start, phrase_bounds[k].0 + start);
            pauses.push(Pause::new("hold", a, b, spk, spk).with_cue(cues[k - 1]));
        }
        let turn_end = start + cursor;
        turns.push(Turn::at(spk, start, turn_end, n_phrases, texts.join(" ")));
        last_phrase_start = start + phrase_bounds[n_phrases - 1].0;
        cursor_end = turn_end;
        last_end[spk] = Some(turn_end);
        prev_cue = cues[n_phrases - 1];
        placed.extend(turn_words);
    }
    let [va, vb] = voices;
    Ok(Layout {
        placed,
        speakers: vec![va.info, vb.info],
        turns,
        pauses,
        end_of_speech: cursor_end,
    })
}

fn build_item(ctx: &Ctx<'_>, idx: usize) -> Result<Built> {
    let cfg = ctx.cfg;
    let (kind, id, rng_seed) = if idx < cfg.n_utterances {
        (
            "utterance",
            format!("utt-{:04}", idx + 1),
            item_seed(cfg.seed, TAG_UTT, idx as u64),
        )
    } else {
        let j = idx - cfg.n_utterances;
        (
            "dialogue",
            format!("dlg-{:04}", j + 1),
            item_seed(cfg.seed, TAG_DLG, j as u64),
        )
    };
    let mut rng = Rng::new(rng_seed);
    let mut gaps = Vec::new();
    let layout = if kind == "utterance" {
        let voice = voice_at(cfg, ctx.voice_offset, idx);
        lay_utterance(ctx.espeak, voice, &mut rng, &mut gaps)?
    } else {
        let j = idx - cfg.n_utterances;
        lay_dialogue(cfg, ctx.espeak, ctx.voice_offset, j, &mut rng, &mut gaps)?
    };
    let Layout {
        mut placed,
        speakers,
        turns,
        mut pauses,
        end_of_speech,
    } = layout;

    // Length: trailing silence, padded to whole frames.
    let end_of_speech = placed
        .iter()
        .map(Placed::end)
        .fold(end_of_speech, usize::max);
    let trail = draw_ms(&mut rng, TRAIL_MS);
    let n_frames = (end_of_speech + trail).div_ceil(FRAME_SAMPLES);
    let n = n_frames * FRAME_SAMPLES;

    // Render (sum of speakers), normalise the peak, quantise.
    placed.sort_by_key(|p| (p.start, p.speaker));
    let mut mix = vec![0.0f64; n];
    for p in &placed {
        for (k, v) in p.audio.iter().enumerate() {
            mix[p.start + k] += *v as f64;
        }
    }
    let peak = mix.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if peak <= 0.0 {
        bail!("{id}: silent item");
    }
    let gain = PEAK_LEVEL / peak;
    let clean: Vec<f32> = mix
        .iter()
        .map(|v| pcm16(gain * v) as f32 / PCM16_SCALE as f32)
        .collect();

    // Labels.
    let sr = SAMPLE_RATE as f64;
    let words: Vec<WordSpan> = placed
        .iter()
        .map(|p| WordSpan {
            word: p.word.clone(),
            speaker: p.speaker,
            start: p.start as f64 / sr,
            end: p.end() as f64 / sr,
            start_sample: p.start,
            end_sample: p.end(),
        })
        .collect();
    let all_spans: Vec<(usize, usize)> = placed.iter().map(|p| (p.start, p.end())).collect();
    let vad = frame_labels(&all_spans, n_frames);
    let vad_speakers: Vec<Vec<[usize; 3]>> = (0..speakers.len())
        .map(|s| {
            let spans: Vec<(usize, usize)> = placed
                .iter()
                .filter(|p| p.speaker == s)
                .map(|p| (p.start, p.end()))
                .collect();
            frame_labels(&spans, n_frames)
        })
        .collect();
    pauses.sort_by_key(|p| (p.start_sample, p.end_sample));
    let text = if kind == "dialogue" {
        turns
            .iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        words
            .iter()
            .map(|w| w.word.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut speech = vec![false; n];
    for &(a, b) in &all_spans {
        speech[a..b].iter_mut().for_each(|v| *v = true);
    }
    let speech_samples = speech.iter().filter(|v| **v).count();

    // Split: the held-out voice → test; otherwise seeded train/dev.
    let held_out_voice = ctx
        .held_out
        .is_some_and(|h| speakers.iter().any(|s| s.voice == h));
    let split = if held_out_voice {
        "test"
    } else if Rng::new(item_seed(cfg.seed, TAG_SPLIT, idx as u64)).unit() < DEV_FRACTION {
        "dev"
    } else {
        "train"
    }
    .to_string();

    let single = (kind == "utterance").then(|| speakers[0].clone());
    let base = ManifestItem {
        id: id.clone(),
        kind: kind.to_string(),
        clean_id: id.clone(),
        wav: format!("wav/{id}.wav"),
        sample_rate: SAMPLE_RATE,
        n_samples: n,
        duration: n as f64 / sr,
        text,
        words,
        speaker: single.as_ref().map(|s| s.voice.clone()),
        voice: single.as_ref().map(|s| s.voice.clone()),
        rate: single.as_ref().map(|s| s.rate),
        pitch: single.as_ref().map(|s| s.pitch),
        speakers,
        snr_db: None,
        achieved_snr_db: None,
        noise: None,
        noise_seed: None,
        mix_gain: None,
        split,
        held_out_voice,
        frame_ms: FRAME_MS,
        n_frames,
        vad,
        vad_speakers,
        turns,
        pauses,
    };
    let mut wav_bytes = write_wav(&ctx.wav_dir.join(format!("{id}.wav")), &clean)?;
    let mut rows = vec![base.clone()];

    // Noisy copies.
    let snrs: Vec<(usize, f64)> = match cfg.noisy {
        _ if cfg.snrs_db.is_empty() => Vec::new(),
        NoisyCopies::EverySnr => cfg.snrs_db.iter().cloned().enumerate().collect(),
        NoisyCopies::OnePerItem => {
            let k = idx % cfg.snrs_db.len();
            vec![(k, cfg.snrs_db[k])]
        }
    };
    for (k, snr) in snrs {
        let noise_seed = item_seed(cfg.seed, TAG_NOISE + 16 * k as u64, idx as u64);
        let mut nrng = Rng::new(noise_seed);
        let noise_kind = if nrng.unit() < PINK_PROB {
            "pink"
        } else {
            "white"
        };
        let m = noisy_copy(&clean, noise_kind, nrng.next_u64(), snr)
            .with_context(|| format!("{id} at {snr} dB"))?;
        let nid = format!("{id}_snr{snr}");
        wav_bytes += write_wav(&ctx.wav_dir.join(format!("{nid}.wav")), &m.mixture)?;
        let mut row = base.clone();
        row.id = nid.clone();
        row.wav = format!("wav/{nid}.wav");
        row.snr_db = Some(snr);
        row.achieved_snr_db = Some(m.achieved_snr_db);
        row.noise = Some(noise_kind.to_string());
        row.noise_seed = Some(noise_seed);
        row.mix_gain = Some(m.rescale.unwrap_or(1.0));
        rows.push(row);
    }
    Ok(Built {
        rows,
        wav_bytes,
        word_gaps: gaps,
        word_lens: placed.iter().map(|p| p.audio.len()).collect(),
        speech_samples,
    })
}

impl Turn {
    fn at(speaker: usize, a: usize, b: usize, n_phrases: usize, text: String) -> Self {
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
    fn new(kind: &str, a: usize, b: usize, from_speaker: usize, to_speaker: usize) -> Self {
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

    fn with_cue(mut self, cue: Option<char>) -> Self {
        self.cue = cue.map(String::from);
        self
    }
}

/// The cue whose cumulative probability first exceeds `u` (in [0, 1)).
fn pick_cue(table: &[(char, f64)], u: f64) -> char {
    let mut acc = 0.0;
    for (c, p) in table {
        acc += p;
        if u < acc {
            return *c;
        }
    }
    table.last().map_or('.', |(c, _)| *c)
}

// ---------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------

/// Write 16-bit values (`k / 32768`) as a 16 kHz mono WAV; returns its size in bytes.
fn write_wav(path: &Path, samples: &[f32]) -> Result<u64> {
    write_wav_i16(path, samples, 1, SAMPLE_RATE)?;
    Ok(std::fs::metadata(path)
        .with_context(|| format!("reading the size of {}", path.display()))?
        .len())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn check_config(cfg: &SpeechSetConfig) -> Result<()> {
    if cfg.voices.is_empty() {
        bail!("no voices given");
    }
    let mut seen = BTreeSet::new();
    for v in &cfg.voices {
        if !seen.insert(v) {
            bail!("voice `{v}` is listed twice");
        }
    }
    if cfg.n_dialogues > 0 && cfg.voices.len() < 2 {
        bail!("dialogues need at least two voices");
    }
    for s in &cfg.snrs_db {
        if !s.is_finite() || !(-20.0..=60.0).contains(s) {
            bail!("SNR {s} dB is outside -20..=60 dB");
        }
    }
    Ok(())
}

/// Create `dir`, or clear a previous corpus in it; refuse a non-empty directory that
/// is not a corpus.
fn prepare_out_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        let mut entries =
            std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))?;
        let empty = entries.next().is_none();
        if !empty {
            if !dir.join("manifest.jsonl").exists() {
                bail!(
                    "{} is not empty and holds no manifest.jsonl: refusing to write a corpus there",
                    dir.display()
                );
            }
            let wav = dir.join("wav");
            if wav.is_dir() {
                for e in
                    std::fs::read_dir(&wav).with_context(|| format!("listing {}", wav.display()))?
                {
                    let p = e?.path();
                    if p.extension().is_some_and(|x| x == "wav") {
                        std::fs::remove_file(&p)
                            .with_context(|| format!("removing {}", p.display()))?;
                    }
                }
            }
            for f in ["manifest.jsonl", "stats.json", "README.md"] {
                let p = dir.join(f);
                if p.exists() {
                    std::fs::remove_file(&p)
                        .with_context(|| format!("removing {}", p.display()))?;
                }
            }
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

// ---------------------------------------------------------------------------------
// Stats and the corpus README
// ---------------------------------------------------------------------------------

/// min / mean / max of a set of durations (ms).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Dist {
    pub count: usize,
    pub min_ms: f64,
    pub mean_ms: f64,
    pub max_ms: f64,
}

impl Dist {
    fn of(samples: impl IntoIterator<Item = usize>) -> Self {
        let v: Vec<f64> = samples.into_iter().map(|s| s as f64 / SPM as f64).collect();
        if v.is_empty() {
            return Self::default();
        }
        Self {
            count: v.len(),
            min_ms: v.iter().cloned().fold(f64::INFINITY, f64::min),
            mean_ms: v.iter().sum::<f64>() / v.len() as f64,
            max_ms: v.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

/// Contents of `stats.json` (deterministic: no paths or timings).
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub espeak_version: String,
    pub seed: u64,
    pub voices: Vec<String>,
    pub held_out_voice: Option<String>,
    pub snrs_db: Vec<f64>,
    pub noisy: NoisyCopies,
    /// Dialogue phrases end with hold/end-of-turn intonation cues.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub turn_prosody: bool,
    /// Hold pauses log-uniform over [`HOLD_MS_LONG`].
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub long_holds: bool,
    pub sample_rate: u32,
    pub frame_ms: u32,
    pub n_clean: usize,
    pub n_noisy: usize,
    pub n_files: usize,
    pub wav_bytes: u64,
    pub audio_seconds: f64,
    pub clean_seconds: f64,
    pub clean_speech_fraction: f64,
    /// Clean items per kind.
    pub by_kind: BTreeMap<String, usize>,
    /// Clean items per split (noisy copies share their clean item's split).
    pub by_split: BTreeMap<String, usize>,
    /// Clean items per voice (a dialogue counts for both of its voices).
    pub by_voice: BTreeMap<String, usize>,
    /// Files per condition (`clean` or the SNR).
    pub by_snr: BTreeMap<String, usize>,
    /// Noisy files per noise colour.
    pub by_noise: BTreeMap<String, usize>,
    pub max_abs_snr_error_db: f64,
    pub vocabulary_size: usize,
    pub n_utterance_templates: usize,
    pub n_dialogue_templates: usize,
    pub word_duration: Dist,
    pub word_gap: Dist,
    pub hold: Dist,
    pub shift: Dist,
    pub overlap: Dist,
    pub turns: Dist,
    pub utterance_duration: Dist,
    pub dialogue_duration: Dist,
}

impl Stats {
    fn collect(
        cfg: &SpeechSetConfig,
        version: &str,
        held_out: Option<&str>,
        built: &[Built],
    ) -> Self {
        let mut s = Stats {
            espeak_version: version.to_string(),
            seed: cfg.seed,
            voices: cfg.voices.clone(),
            held_out_voice: held_out.map(str::to_string),
            snrs_db: cfg.snrs_db.clone(),
            noisy: cfg.noisy,
            turn_prosody: cfg.turn_prosody,
            long_holds: cfg.long_holds,
            sample_rate: SAMPLE_RATE,
            frame_ms: FRAME_MS,
            n_clean: 0,
            n_noisy: 0,
            n_files: 0,
            wav_bytes: 0,
            audio_seconds: 0.0,
            clean_seconds: 0.0,
            clean_speech_fraction: 0.0,
            by_kind: BTreeMap::new(),
            by_split: BTreeMap::new(),
            by_voice: BTreeMap::new(),
            by_snr: BTreeMap::new(),
            by_noise: BTreeMap::new(),
            max_abs_snr_error_db: 0.0,
            vocabulary_size: vocabulary().len(),
            n_utterance_templates: UTTERANCE_TEMPLATES.len(),
            n_dialogue_templates: DIALOGUE_TEMPLATES.len(),
            word_duration: Dist::default(),
            word_gap: Dist::default(),
            hold: Dist::default(),
            shift: Dist::default(),
            overlap: Dist::default(),
            turns: Dist::default(),
            utterance_duration: Dist::default(),
            dialogue_duration: Dist::default(),
        };
        let mut speech = 0usize;
        let mut pauses: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for b in built {
            s.wav_bytes += b.wav_bytes;
            speech += b.speech_samples;
            for r in &b.rows {
                s.n_files += 1;
                s.audio_seconds += r.duration;
                match r.snr_db {
                    None => {
                        s.n_clean += 1;
                        s.clean_seconds += r.duration;
                        *s.by_kind.entry(r.kind.clone()).or_default() += 1;
                        *s.by_split.entry(r.split.clone()).or_default() += 1;
                        for sp in &r.speakers {
                            *s.by_voice.entry(sp.voice.clone()).or_default() += 1;
                        }
                        *s.by_snr.entry("clean".into()).or_default() += 1;
                        for p in &r.pauses {
                            pauses
                                .entry(match p.kind.as_str() {
                                    "hold" => "hold",
                                    "shift" => "shift",
                                    _ => "overlap",
                                })
                                .or_default()
                                .push(p.end_sample - p.start_sample);
                        }
                    }
                    Some(snr) => {
                        s.n_noisy += 1;
                        *s.by_snr.entry(format!("{snr}")).or_default() += 1;
                        if let Some(n) = &r.noise {
                            *s.by_noise.entry(n.clone()).or_default() += 1;
                        }
                        if let Some(a) = r.achieved_snr_db {
                            s.max_abs_snr_error_db = s.max_abs_snr_error_db.max((a - snr).abs());
                        }
                    }
                }
            }
        }
        let clean_rows = || built.iter().map(|b| &b.rows[0]);
        s.clean_speech_fraction = if s.clean_seconds > 0.0 {
            speech as f64 / (s.clean_seconds * SAMPLE_RATE as f64)
        } else {
            0.0
        };
        s.word_duration = Dist::of(built.iter().flat_map(|b| b.word_lens.iter().cloned()));
        s.word_gap = Dist::of(built.iter().flat_map(|b| b.word_gaps.iter().cloned()));
        let take = |k: &str| pauses.get(k).cloned().unwrap_or_default();
        s.hold = Dist::of(take("hold"));
        s.shift = Dist::of(take("shift"));
        s.overlap = Dist::of(take("overlap"));
        // Turn counts reported through `count`, durations in ms.
        s.turns = Dist::of(
            clean_rows()
                .flat_map(|r| r.turns.iter().map(|t| t.end_sample - t.start_sample))
                .collect::<Vec<_>>(),
        );
        s.utterance_duration = Dist::of(
            clean_rows()
                .filter(|r| r.kind == "utterance")
                .map(|r| r.n_samples)
                .collect::<Vec<_>>(),
        );
        s.dialogue_duration = Dist::of(
            clean_rows()
                .filter(|r| r.kind == "dialogue")
                .map(|r| r.n_samples)
                .collect::<Vec<_>>(),
        );
        s
    }
}

fn dist_row(name: &str, nominal: &str, d: &Dist) -> String {
    format!(
        "| {name} | {nominal} | {} | {:.0} | {:.0} | {:.0} |\n",
        d.count, d.min_ms, d.mean_ms, d.max_ms
    )
}

fn corpus_readme(cfg: &SpeechSetConfig, s: &Stats) -> String {
    let mut r = String::new();
    r.push_str("# Synthetic labelled speech corpus (espeak-ng)\n\n");
    r.push_str(&format!(
        "Generated by `synth::generate` with seed {}, {} ({}).\n\n",
        cfg.seed, s.espeak_version, "same seed and espeak-ng version give byte-identical files"
    ));
    r.push_str(&format!(
        "- {} clean items ({} utterances, {} dialogues) and {} noisy copies; {} WAV files, {:.1} s of audio ({:.1} s clean), {} bytes.\n",
        s.n_clean,
        s.by_kind.get("utterance").copied().unwrap_or(0),
        s.by_kind.get("dialogue").copied().unwrap_or(0),
        s.n_noisy,
        s.n_files,
        s.audio_seconds,
        s.clean_seconds,
        s.wav_bytes
    ));
    r.push_str(&format!(
        "- Voices: {}. Held-out voice (split `test`): {}. Other items: `dev` with probability {DEV_FRACTION}, else `train`; noisy copies share their clean item's split.\n",
        cfg.voices.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", "),
        s.held_out_voice.as_deref().map(|v| format!("`{v}`")).unwrap_or_else(|| "none (one voice)".into())
    ));
    if cfg.long_holds {
        r.push_str(&format!(
            "- Long holds: pauses inside a turn log-uniform over {HOLD_MS_LONG:?} ms (instead of uniform over {HOLD_MS:?}).\n"
        ));
    }
    r.push_str(&format!(
        "- Noisy copies: {} at SNRs {:?} dB, white or pink noise (p = {PINK_PROB} pink), largest |achieved − target| = {:.4} dB.\n",
        match cfg.noisy {
            NoisyCopies::EverySnr => "every clean item at every SNR",
            NoisyCopies::OnePerItem => "one per clean item, SNR cycling through the list",
        },
        cfg.snrs_db,
        s.max_abs_snr_error_db
    ));
    if cfg.turn_prosody {
        r.push_str(&format!(
            "- Turn prosody: the last word of each dialogue phrase is said with clause punctuation (espeak-ng's final intonation), the words before it with a comma (continuation intonation): before an end of turn {TURN_CUES_END:?}, before a hold {TURN_CUES_HOLD:?} (cue, probability); each pause records its `cue`.\n"
        ));
    }
    r.push_str(&format!(
        "- Vocabulary: {} words from {} utterance and {} dialogue templates; speech is {:.1} % of the clean audio.\n\n",
        s.vocabulary_size,
        s.n_utterance_templates,
        s.n_dialogue_templates,
        100.0 * s.clean_speech_fraction
    ));
    r.push_str(
        "## Layout\n\n\
         - `manifest.jsonl`: one JSON object per WAV file (clean and noisy): `id`, `kind` (utterance|dialogue), `clean_id`, `wav` (relative path), `sample_rate`, `n_samples`, `duration` (s), `text`, `words` [{word, speaker, start, end (s), start_sample, end_sample}], `speaker`/`voice`/`rate`/`pitch` (utterances; null for dialogues), `speakers` [{voice, rate, pitch}], `snr_db`, `achieved_snr_db`, `noise`, `noise_seed`, `mix_gain` (null for clean), `split` (train|dev|test), `held_out_voice`, `frame_ms`, `n_frames`, `vad`, `vad_speakers`, `turns`, `pauses`.\n\
         - `wav/ID.wav`: 16 kHz mono 16-bit PCM. Noisy copies are `wav/ID_snrX.wav`.\n\
         - `stats.json`: counts, sizes and measured distributions; `README.md`: this file.\n\n\
         ## Labels\n\n\
         - Words are synthesised one at a time, resampled 22,050 → 16,000 Hz and trimmed: 5 ms centred RMS envelope, threshold 40 dB below the word's envelope peak (never below −60 dBFS), plus a 5 ms margin each side. Words sit on digital silence, so every non-zero sample of a clean file is inside a word span. Spans are half-open `[start_sample, end_sample)`; seconds = samples / 16000.\n\
         - Frames are 10 ms (160 samples); files are padded to whole frames. A frame is speech iff ≥ 80 of its 160 samples are inside a word span. `vad` (mixed track) and `vad_speakers[k]` are run-length lists `[start_frame, end_frame, 0|1]`, end exclusive, covering all frames.\n\
         - Dialogues: `turns` [{speaker, start, end, start_sample, end_sample, n_phrases, text}]; `pauses` [{kind, start, end, start_sample, end_sample, from_speaker, to_speaker}] with kind `hold` (between phrases of one turn, same speaker), `shift` (silence between turns, other speaker) or `overlap` (next turn's first word start to previous turn's last word end). Gaps between words of a phrase are not pauses.\n\
         - SNR = 10·log10(Σ(g·s)² / Σ(y − g·s)²) over the whole file (silence included), s = clean file, y = noisy file, g = `mix_gain`.\n\n\
         ## Distributions\n\n",
    );
    r.push_str(
        "| quantity | nominal | count | min ms | mean ms | max ms |\n|---|---|---|---|---|---|\n",
    );
    r.push_str(&dist_row(
        "word (trimmed)",
        "espeak, 130–200 wpm",
        &s.word_duration,
    ));
    r.push_str(&dist_row("gap between words", "U(30, 120) ms", &s.word_gap));
    r.push_str(&dist_row("hold pause", "U(150, 600) ms", &s.hold));
    r.push_str(&dist_row("shift gap", "U(200, 1200) ms", &s.shift));
    r.push_str(&dist_row(
        "overlap",
        "U(50, 300) ms, p = 0.2, clipped to half of both phrases",
        &s.overlap,
    ));
    r.push_str(&dist_row(
        "turn",
        "3–6 turns, 1/2/3 phrases p = .7/.25/.05",
        &s.turns,
    ));
    r.push_str(&dist_row(
        "utterance",
        "lead/trail U(100, 250) ms",
        &s.utterance_duration,
    ));
    r.push_str(&dist_row("dialogue", "", &s.dialogue_duration));
    r.push_str("\nRates are U{130..200} wpm and pitches U{30..70} (espeak `-p`), per utterance or per dialogue speaker. Words are read in citation form (no coarticulation or sentence prosody).\n");
    r
}

// ---------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn require_espeak() {
        let ok = Command::new("espeak-ng")
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        assert!(
            ok,
            "espeak-ng is not installed (or not on PATH); these tests need it: \
             sudo apt-get install espeak-ng  (macOS: brew install espeak-ng)"
        );
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("h-speech-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn test_config(out_dir: PathBuf) -> SpeechSetConfig {
        SpeechSetConfig {
            out_dir,
            n_utterances: 6,
            n_dialogues: 3,
            voices: vec!["en-us".into(), "en-us+f3".into(), "en-gb-scotland".into()],
            snrs_db: vec![20.0, 10.0, 5.0, 0.0],
            seed: 7,
            espeak: PathBuf::from("espeak-ng"),
            noisy: NoisyCopies::EverySnr,
            turn_prosody: false,
            long_holds: false,
        }
    }

    /// One corpus shared by the label tests.
    fn corpus() -> &'static (PathBuf, Vec<ManifestItem>) {
        static C: OnceLock<(PathBuf, Vec<ManifestItem>)> = OnceLock::new();
        C.get_or_init(|| {
            require_espeak();
            let dir = tmp("shared");
            let mut calls = Vec::new();
            let s = generate(&test_config(dir.clone()), |d, t| calls.push((d, t))).unwrap();
            assert_eq!(calls.last(), Some(&(9, 9)));
            assert_eq!(s.n_clean, 9);
            assert_eq!(s.n_noisy, 36);
            let m = read_manifest(&dir).unwrap();
            (dir, m)
        })
    }

    fn read_wav(path: &Path) -> Vec<i16> {
        let mut r = hound::WavReader::open(path).unwrap();
        let spec = r.spec();
        assert_eq!(
            (spec.sample_rate, spec.channels, spec.bits_per_sample),
            (16_000, 1, 16)
        );
        r.samples::<i16>().map(|s| s.unwrap()).collect()
    }

    fn clean_items() -> Vec<&'static ManifestItem> {
        corpus().1.iter().filter(|r| r.snr_db.is_none()).collect()
    }

    #[test]
    fn trim_keeps_burst_plus_margin() {
        let mut x = vec![0.0f32; 1000];
        x.extend((0..2000).map(|i| 0.5 * ((i as f32) * 0.3).sin()));
        x.extend(vec![0.0f32; 1000]);
        let (a, b) = trim_bounds(&x).unwrap();
        // the envelope reaches the threshold within half a window of the edge
        assert!((1000 - 40 - 80..=1000 - 80).contains(&a), "start {a}");
        assert!((3000 + 80..=3000 + 40 + 80).contains(&b), "end {b}");
        assert_eq!(trim_bounds(&[0.0f32; 500]), None);
        assert_eq!(trim_bounds(&[0.0005f32; 500]), None);
    }

    #[test]
    fn frame_rule_is_half_a_frame() {
        // 80 samples of frame 1 → speech; 79 samples of frame 3 → not.
        let runs = frame_labels(&[(160, 240), (480 + 81, 640)], 5);
        assert_eq!(expand_runs(&runs), vec![0, 1, 0, 0, 0]);
        let runs = frame_labels(&[(480 + 80, 640 + 79)], 5);
        assert_eq!(expand_runs(&runs), vec![0, 0, 0, 1, 0]);
        assert_eq!(
            run_length(&[1, 1, 0, 1]),
            vec![[0, 2, 1], [2, 3, 0], [3, 4, 1]]
        );
    }

    #[test]
    fn templates_expand_to_plain_words() {
        let mut rng = Rng::new(3);
        for t in UTTERANCE_TEMPLATES.iter().chain(DIALOGUE_TEMPLATES) {
            let w = expand(t, &mut rng).unwrap();
            assert!(!w.is_empty());
            for x in w {
                assert!(x.bytes().all(|b| b.is_ascii_lowercase()), "{x:?} in {t:?}");
            }
        }
        let v = vocabulary();
        assert!(v.len() >= 200, "vocabulary has {} words", v.len());
        assert!(UTTERANCE_TEMPLATES.len() + DIALOGUE_TEMPLATES.len() >= 80);
        assert!(expand("{nope}", &mut rng).is_err());
    }

    #[test]
    fn missing_binary_is_reported_with_install_command() {
        let mut cfg = test_config(tmp("missing"));
        cfg.espeak = PathBuf::from("/nonexistent/dir/espeak-ng");
        let e = generate(&cfg, |_, _| {}).unwrap_err().to_string();
        assert!(e.contains("espeak-ng not found"), "{e}");
        assert!(e.contains("/nonexistent/dir/espeak-ng"), "{e}");
        assert!(e.contains("sudo apt-get install espeak-ng"), "{e}");
        assert!(e.contains("brew install espeak-ng"), "{e}");
        assert!(!cfg.out_dir.exists(), "nothing should be written");
    }

    #[test]
    fn unknown_voice_is_named() {
        require_espeak();
        let mut cfg = test_config(tmp("voice"));
        cfg.voices = vec!["en-us".into(), "en-zz".into()];
        let e = generate(&cfg, |_, _| {}).unwrap_err().to_string();
        assert!(e.contains("`en-zz`") && e.contains("no voice"), "{e}");
        cfg.voices = vec!["en-us".into(), "en-gb+nosuchvariant".into()];
        let e = generate(&cfg, |_, _| {}).unwrap_err().to_string();
        assert!(
            e.contains("nosuchvariant") && e.contains("no voice variant"),
            "{e}"
        );
    }

    #[test]
    fn refuses_a_foreign_non_empty_dir() {
        require_espeak();
        let dir = tmp("foreign");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("precious.txt"), "x").unwrap();
        let e = generate(&test_config(dir.clone()), |_, _| {})
            .unwrap_err()
            .to_string();
        assert!(e.contains("not empty"), "{e}");
        assert!(dir.join("precious.txt").exists());
    }

    #[test]
    fn word_spans_are_ordered_inside_and_cover_all_energy() {
        let (dir, _) = corpus();
        for r in clean_items() {
            let wav = read_wav(&dir.join(&r.wav));
            assert_eq!(wav.len(), r.n_samples, "{}", r.id);
            assert_eq!(r.n_samples, r.n_frames * FRAME_SAMPLES);
            assert!((r.duration - r.n_samples as f64 / 16_000.0).abs() < 1e-12);
            assert!(!r.words.is_empty());
            let mut covered = vec![false; wav.len()];
            for s in 0..r.speakers.len() {
                let mut prev_end = 0usize;
                for w in r.words.iter().filter(|w| w.speaker == s) {
                    assert!(w.start_sample >= prev_end, "{}: {} overlaps", r.id, w.word);
                    assert!(w.start_sample < w.end_sample && w.end_sample <= wav.len());
                    assert!((w.start - w.start_sample as f64 / 16_000.0).abs() < 1e-12);
                    assert!((w.end - w.end_sample as f64 / 16_000.0).abs() < 1e-12);
                    prev_end = w.end_sample;
                }
            }
            for w in &r.words {
                covered[w.start_sample..w.end_sample]
                    .iter_mut()
                    .for_each(|c| *c = true);
            }
            // Words sit on digital silence: nothing outside the spans.
            for (i, (&v, &c)) in wav.iter().zip(&covered).enumerate() {
                assert!(
                    c || v == 0,
                    "{}: sample {i} = {v} outside every word span",
                    r.id
                );
            }
            // Each span starts and ends on speech energy (within the 5 ms margin).
            let x: Vec<f32> = wav.iter().map(|&v| v as f32 / 32768.0).collect();
            for w in &r.words {
                let alone = !r.words.iter().any(|o| {
                    o.speaker != w.speaker
                        && o.start_sample < w.end_sample
                        && w.start_sample < o.end_sample
                });
                if !alone {
                    continue;
                }
                let span = &x[w.start_sample..w.end_sample];
                let peak = trim_envelope(span).into_iter().fold(0.0f64, f64::max);
                assert!(
                    peak > 0.01,
                    "{}: {} is near-silent (peak {peak})",
                    r.id,
                    w.word
                );
                let edge = FRAME_SAMPLES.min(span.len());
                let rms = |s: &[f32]| {
                    (s.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / s.len() as f64).sqrt()
                };
                let (head, tail) = (rms(&span[..edge]), rms(&span[span.len() - edge..]));
                assert!(
                    head >= 0.005 * peak,
                    "{}: {} starts silent ({head} vs {peak})",
                    r.id,
                    w.word
                );
                assert!(
                    tail >= 0.005 * peak,
                    "{}: {} ends silent ({tail} vs {peak})",
                    r.id,
                    w.word
                );
            }
        }
    }

    /// The ≥ 50 % rule recomputed with interval arithmetic.
    fn reference_frames(spans: &[(usize, usize)], n_frames: usize) -> Vec<usize> {
        let mut merged: Vec<(usize, usize)> = spans.to_vec();
        merged.sort();
        let mut m: Vec<(usize, usize)> = Vec::new();
        for (a, b) in merged {
            match m.last_mut() {
                Some(l) if a <= l.1 => l.1 = l.1.max(b),
                _ => m.push((a, b)),
            }
        }
        (0..n_frames)
            .map(|f| {
                let (fa, fb) = (f * 160, f * 160 + 160);
                let inside: usize = m
                    .iter()
                    .map(|&(a, b)| b.min(fb).saturating_sub(a.max(fa)))
                    .sum();
                usize::from(2 * inside >= 160)
            })
            .collect()
    }

    fn check_runs(runs: &[[usize; 3]], n_frames: usize) {
        assert_eq!(runs.first().map(|r| r[0]), Some(0));
        assert_eq!(runs.last().map(|r| r[1]), Some(n_frames));
        for w in runs.windows(2) {
            assert_eq!(w[0][1], w[1][0]);
            assert_ne!(w[0][2], w[1][2]);
        }
    }

    #[test]
    fn frame_labels_follow_the_spans() {
        for r in clean_items() {
            let all: Vec<(usize, usize)> = r
                .words
                .iter()
                .map(|w| (w.start_sample, w.end_sample))
                .collect();
            check_runs(&r.vad, r.n_frames);
            assert_eq!(
                expand_runs(&r.vad),
                reference_frames(&all, r.n_frames),
                "{}",
                r.id
            );
            assert_eq!(r.vad_speakers.len(), r.speakers.len());
            for (s, runs) in r.vad_speakers.iter().enumerate() {
                let spans: Vec<(usize, usize)> = r
                    .words
                    .iter()
                    .filter(|w| w.speaker == s)
                    .map(|w| (w.start_sample, w.end_sample))
                    .collect();
                check_runs(runs, r.n_frames);
                assert_eq!(
                    expand_runs(runs),
                    reference_frames(&spans, r.n_frames),
                    "{}",
                    r.id
                );
            }
        }
    }

    #[test]
    fn dialogue_pauses_are_classified() {
        let dlgs: Vec<_> = clean_items()
            .into_iter()
            .filter(|r| r.kind == "dialogue")
            .collect();
        assert_eq!(dlgs.len(), 3);
        for r in dlgs {
            assert_eq!(r.speakers.len(), 2);
            assert_ne!(r.speakers[0].voice, r.speakers[1].voice);
            for t in r.turns.windows(2) {
                assert_ne!(t[0].speaker, t[1].speaker, "{}: turns must alternate", r.id);
                assert!(t[1].end_sample > t[0].end_sample);
            }
            let holds: usize = r.turns.iter().map(|t| t.n_phrases - 1).sum();
            let count = |k: &str| r.pauses.iter().filter(|p| p.kind == k).count();
            assert_eq!(count("hold"), holds, "{}", r.id);
            assert_eq!(
                count("shift") + count("overlap"),
                r.turns.len() - 1,
                "{}",
                r.id
            );
            for p in &r.pauses {
                let ms = (p.end_sample - p.start_sample) as f64 / 16.0;
                let ends = r.words.iter().find(|w| w.end_sample == p.start_sample);
                let starts = r.words.iter().find(|w| w.start_sample == p.end_sample);
                match p.kind.as_str() {
                    "hold" | "shift" => {
                        let before =
                            ends.unwrap_or_else(|| panic!("{}: no word ends at {p:?}", r.id));
                        let after =
                            starts.unwrap_or_else(|| panic!("{}: no word starts at {p:?}", r.id));
                        assert_eq!(before.speaker, p.from_speaker);
                        assert_eq!(after.speaker, p.to_speaker);
                        if p.kind == "hold" {
                            assert_eq!(p.from_speaker, p.to_speaker, "{}: hold {p:?}", r.id);
                            assert!((150.0..=600.0).contains(&ms), "{}: hold {ms} ms", r.id);
                        } else {
                            assert_ne!(p.from_speaker, p.to_speaker, "{}: shift {p:?}", r.id);
                            assert!((200.0..=1200.0).contains(&ms), "{}: shift {ms} ms", r.id);
                        }
                        // silence: no word of anyone inside
                        assert!(
                            r.words.iter().all(|w| w.end_sample <= p.start_sample
                                || w.start_sample >= p.end_sample),
                            "{}: speech inside {p:?}",
                            r.id
                        );
                    }
                    "overlap" => {
                        assert_ne!(p.from_speaker, p.to_speaker);
                        assert!((50.0..=300.0).contains(&ms), "{}: overlap {ms} ms", r.id);
                        let w_to = r.words.iter().find(|w| w.start_sample == p.start_sample);
                        let w_from = r.words.iter().find(|w| w.end_sample == p.end_sample);
                        assert_eq!(w_to.map(|w| w.speaker), Some(p.to_speaker));
                        assert_eq!(w_from.map(|w| w.speaker), Some(p.from_speaker));
                    }
                    k => panic!("unknown pause kind {k}"),
                }
            }
        }
    }

    #[test]
    fn noisy_copies_hit_the_snr() {
        let (dir, rows) = corpus();
        let clean: BTreeMap<&str, &ManifestItem> = rows
            .iter()
            .filter(|r| r.snr_db.is_none())
            .map(|r| (r.id.as_str(), r))
            .collect();
        let mut n = 0;
        for r in rows.iter().filter(|r| r.snr_db.is_some()) {
            let c = clean[r.clean_id.as_str()];
            assert_eq!(
                (&r.words, &r.vad, &r.pauses, &r.split),
                (&c.words, &c.vad, &c.pauses, &c.split)
            );
            let s: Vec<f32> = read_wav(&dir.join(&c.wav))
                .iter()
                .map(|&v| v as f32 / 32768.0)
                .collect();
            let y: Vec<f32> = read_wav(&dir.join(&r.wav))
                .iter()
                .map(|&v| v as f32 / 32768.0)
                .collect();
            assert_eq!(s.len(), y.len());
            let g = r.mix_gain.unwrap();
            assert!(g > 0.0 && g <= 1.0);
            let got = augment::measure_snr_db_scaled(&s, g, &y, augment::SnrReference::WholeSignal)
                .unwrap();
            let (target, recorded) = (r.snr_db.unwrap(), r.achieved_snr_db.unwrap());
            assert!(
                (got - recorded).abs() < 1e-6,
                "{}: {got} vs recorded {recorded}",
                r.id
            );
            assert!(
                (got - target).abs() <= 0.1,
                "{}: {got} dB vs {target} dB",
                r.id
            );
            assert!(matches!(r.noise.as_deref(), Some("white") | Some("pink")));
            n += 1;
        }
        assert_eq!(n, 36);
    }

    #[test]
    fn splits_hold_out_one_voice() {
        let (dir, rows) = corpus();
        let stats: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("stats.json")).unwrap())
                .unwrap();
        assert!(stats["espeak_version"]
            .as_str()
            .unwrap()
            .contains("eSpeak NG"));
        let held = stats["held_out_voice"].as_str().unwrap().to_string();
        for r in rows {
            let has = r.speakers.iter().any(|s| s.voice == held);
            assert_eq!(has, r.held_out_voice);
            assert_eq!(r.split == "test", has, "{}", r.id);
            assert!(["train", "dev", "test"].contains(&r.split.as_str()));
        }
        assert!(rows.iter().any(|r| r.split == "test"));
        assert!(rows.iter().any(|r| r.split != "test"));
        assert!(dir.join("README.md").exists());
    }

    fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        for sub in [dir.to_path_buf(), dir.join("wav")] {
            for e in std::fs::read_dir(&sub).unwrap() {
                let p = e.unwrap().path();
                if p.is_file() {
                    let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                    out.insert(rel, std::fs::read(&p).unwrap());
                }
            }
        }
        out
    }

    #[test]
    fn same_seed_gives_identical_files() {
        let (dir, _) = corpus();
        let again = tmp("again");
        generate(&test_config(again.clone()), |_, _| {}).unwrap();
        let (a, b) = (files(dir), files(&again));
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        assert_eq!(a.len(), 9 * 5 + 3);
        for (k, v) in &a {
            assert!(v == &b[k], "{k} differs between two runs with one seed");
        }
        // Regenerating into an existing corpus replaces it; another seed changes it.
        let mut cfg = test_config(again.clone());
        cfg.seed = 8;
        cfg.n_dialogues = 0;
        generate(&cfg, |_, _| {}).unwrap();
        let c = files(&again);
        assert_eq!(c.len(), 6 * 5 + 3);
        assert_ne!(c["manifest.jsonl"], a["manifest.jsonl"]);
        let _ = std::fs::remove_dir_all(&again);
    }

    #[test]
    fn item_seeds_give_uniform_first_draws() {
        // First draw of per-item generators (as used for noise colour, split, …).
        for tag in [TAG_UTT, TAG_SPLIT, TAG_NOISE, TAG_NOISE + 16] {
            let n = 20_000;
            let below = (0..n)
                .filter(|&i| Rng::new(item_seed(1, tag, i)).unit() < 0.2)
                .count();
            let p = below as f64 / n as f64;
            assert!((p - 0.2).abs() < 0.015, "tag {tag}: {p}");
        }
    }
}
