//! Writing a whole set: checking the request, building the items on a few threads,
//! and writing `manifest.jsonl`, `stats.json` and the set's README.

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use super::config::SpeechSetConfig;
use super::espeak::Espeak;
use super::item::{build_item, Built, Ctx};
use super::seeds::{item_seed, TAG_PLAN};
use super::stats::{corpus_readme, Stats};
use crate::util::rng::Rng;

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

/// Generate the corpus described by `cfg` into `cfg.out_dir`.
///
/// `progress(done, total)` is called after each clean item (with its noisy copies) is
/// written; `total = n_utterances + n_dialogues`.
///
/// Items are built on up to 4 threads; the output does not depend on the thread count.
/// Dialogue turn starts: with probability [`OVERLAP_PROB`](super::OVERLAP_PROB) the next turn overlaps the
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
