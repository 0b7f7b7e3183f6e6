//! `stats.json` (counts, sizes and measured distributions) and the set's README.

use serde::Serialize;
use std::collections::BTreeMap;

use super::config::{
    NoisyCopies, SpeechSetConfig, DEV_FRACTION, FRAME_MS, HOLD_MS, HOLD_MS_LONG, PINK_PROB,
    SAMPLE_RATE, SPM, TURN_CUES_END, TURN_CUES_HOLD,
};
use super::item::Built;
use super::phrases::{vocabulary, DIALOGUE_TEMPLATES, UTTERANCE_TEMPLATES};

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
    pub(super) fn collect(
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

pub(super) fn corpus_readme(cfg: &SpeechSetConfig, s: &Stats) -> String {
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
