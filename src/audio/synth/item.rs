//! One clean item and its noisy copies: laid out, rendered, labelled, split, mixed
//! with noise and written.

use anyhow::{bail, Context, Result};
use std::path::Path;

use super::config::{
    NoisyCopies, SpeechSetConfig, DEV_FRACTION, FRAME_MS, FRAME_SAMPLES, MIX_PEAK_MAX, PEAK_LEVEL,
    PINK_PROB, SAMPLE_RATE, TRAIL_MS,
};
use super::dialogue::lay_dialogue;
use super::espeak::Espeak;
use super::labels::frame_labels;
use super::layout::{lay_utterance, voice_at, Layout, Placed};
use super::manifest::{ManifestItem, WordSpan};
use super::seeds::{draw_ms, item_seed, TAG_DLG, TAG_NOISE, TAG_SPLIT, TAG_UTT};
use crate::audio::augment;
use crate::audio::wav::{pcm16, write_wav_i16, PCM16_SCALE};
use crate::util::rng::Rng;

/// What every item of one set shares.
pub(super) struct Ctx<'a> {
    pub(super) cfg: &'a SpeechSetConfig,
    pub(super) espeak: &'a Espeak,
    pub(super) voice_offset: usize,
    pub(super) held_out: Option<&'a str>,
    pub(super) wav_dir: &'a Path,
}

/// What one clean item produced (manifest rows for it and its noisy copies, plus stats).
pub(super) struct Built {
    pub(super) rows: Vec<ManifestItem>,
    pub(super) wav_bytes: u64,
    pub(super) word_gaps: Vec<usize>,
    pub(super) word_lens: Vec<usize>,
    pub(super) speech_samples: usize,
}

pub(super) fn build_item(ctx: &Ctx<'_>, idx: usize) -> Result<Built> {
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

/// Write 16-bit values (`k / 32768`) as a 16 kHz mono WAV; returns its size in bytes.
fn write_wav(path: &Path, samples: &[f32]) -> Result<u64> {
    write_wav_i16(path, samples, 1, SAMPLE_RATE)?;
    Ok(std::fs::metadata(path)
        .with_context(|| format!("reading the size of {}", path.display()))?
        .len())
}
