//! `labbook audio …` and `labbook eval …`: audio files and the evaluation metrics,
//! no database needed.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use clap::Subcommand;
use serde_json::json;

use crate::audio;
use crate::eval;

#[derive(Debug, Subcommand)]
pub enum AudioCmd {
    /// Format, length and level of a WAV file.
    Info {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Whisper's log-mel spectrogram (exactly as openai-whisper computes it) as a NumPy
    /// .npy matrix n_mels × frames; other rates are resampled to 16 kHz, channels mixed.
    Mel {
        file: PathBuf,
        /// 80 or 128 (Whisper large-v3 uses 128).
        #[arg(long, default_value_t = 80, value_parser = clap::value_parser!(u16).range(80..=128))]
        n_mels: u16,
        #[arg(long)]
        out: PathBuf,
    },
    /// Spectrogram with pitch and energy in the terminal (←/→ scroll, +/− zoom, q quit).
    View {
        file: PathBuf,
        #[arg(long, default_value_t = 80)]
        n_mels: u16,
    },
    /// Spectrogram with pitch and energy as a figure for reports (.png or .svg).
    Plot {
        file: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 80)]
        n_mels: u16,
    },
}

#[derive(Debug, Subcommand)]
pub enum EvalCmd {
    /// Word (or --cer character) error rate of HYP against REF, one utterance per line,
    /// totals identical to jiwer 4.0.
    Wer {
        reference: PathBuf,
        hypothesis: PathBuf,
        /// Character error rate instead.
        #[arg(long)]
        cer: bool,
        /// Normalise both sides first: basic (Whisper's BasicTextNormalizer) or english
        /// (a documented subset of Whisper's EnglishTextNormalizer).
        #[arg(long, value_parser = ["basic", "english"])]
        normalize: Option<String>,
        /// Print the alignment of every utterance.
        #[arg(long)]
        align: bool,
        #[arg(long)]
        json: bool,
    },
    /// STOI (or --extended ESTOI) of PROCESSED against CLEAN, as pystoi computes it.
    Stoi {
        clean: PathBuf,
        processed: PathBuf,
        #[arg(long)]
        extended: bool,
        #[arg(long)]
        json: bool,
    },
}

fn mono(path: &Path) -> anyhow::Result<(Vec<f32>, u32)> {
    let a = audio::read_wav(path)?;
    Ok((a.to_mono()?, a.sample_rate))
}

pub fn audio_cmd(cmd: &AudioCmd) -> anyhow::Result<()> {
    match cmd {
        AudioCmd::Info { file, json } => {
            let a = audio::read_wav(file)?;
            let m = a.to_mono()?;
            let peak = m.iter().fold(0f32, |p, v| p.max(v.abs()));
            let rms =
                (m.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / m.len().max(1) as f64).sqrt();
            let db = |x: f64| {
                if x > 0.0 {
                    20.0 * x.log10()
                } else {
                    f64::NEG_INFINITY
                }
            };
            if *json {
                println!(
                    "{}",
                    json!({"file": file, "sample_rate": a.sample_rate, "channels": a.channels,
                           "frames": a.n_frames(), "seconds": a.duration_secs(),
                           "peak_dbfs": db(peak as f64), "rms_dbfs": db(rms)})
                );
            } else {
                println!("{}", file.display());
                println!(
                    "  {} Hz · {} channel(s) · {} frames · {:.3} s",
                    a.sample_rate,
                    a.channels,
                    a.n_frames(),
                    a.duration_secs()
                );
                println!(
                    "  peak {:.1} dBFS · RMS {:.1} dBFS (mono mix)",
                    db(peak as f64),
                    db(rms)
                );
            }
        }
        AudioCmd::Mel { file, n_mels, out } => {
            let (x, sr) = mono(file)?;
            let x = if sr != audio::mel::SAMPLE_RATE {
                eprintln!("resampling {sr} Hz → 16000 Hz");
                audio::resample::resample(&x, sr, audio::mel::SAMPLE_RATE)?
            } else {
                x
            };
            if *n_mels != 80 && *n_mels != 128 {
                bail!("--n-mels {n_mels}: Whisper's log-mel has 80 or 128 bands");
            }
            let m = audio::log_mel(&x, *n_mels as usize)
                .with_context(|| format!("computing the log-mel of {}", file.display()))?;
            audio::write_npy_f32(out, &m.data, &[m.n_mels, m.n_frames])?;
            eprintln!(
                "wrote {} ({} × {} frames)",
                out.display(),
                m.n_mels,
                m.n_frames
            );
        }
        AudioCmd::View { file, n_mels } => {
            crate::tui::audio_view::run(file, check_mels(*n_mels)?)?;
        }
        AudioCmd::Plot { file, out, n_mels } => {
            let a = audio::view::Analysis::from_wav(file, check_mels(*n_mels)?)?;
            match out.extension().and_then(|e| e.to_str()) {
                Some("png") => audio::view::write_png(&a, out)?,
                Some("svg") => audio::view::write_svg(
                    &a,
                    out,
                    &file
                        .file_name()
                        .map(|n| n.to_string_lossy().to_string())
                        .unwrap_or_default(),
                )?,
                _ => bail!("--out {}: write a .png or an .svg file", out.display()),
            }
            eprintln!("wrote {}", out.display());
        }
    }
    Ok(())
}

fn check_mels(n: u16) -> anyhow::Result<usize> {
    if n != 80 && n != 128 {
        bail!("--n-mels {n}: Whisper's log-mel has 80 or 128 bands");
    }
    Ok(n as usize)
}

fn lines(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "reading {} (UTF-8 text, one utterance per line)",
            path.display()
        )
    })?;
    Ok(text.lines().map(str::to_string).collect())
}

pub fn eval_cmd(cmd: &EvalCmd) -> anyhow::Result<()> {
    match cmd {
        EvalCmd::Wer {
            reference,
            hypothesis,
            cer,
            normalize,
            align,
            json,
        } => {
            let (mut r, mut h) = (lines(reference)?, lines(hypothesis)?);
            if r.len() != h.len() {
                bail!(
                    "{} has {} line(s) and {} has {}: one utterance per line on both sides",
                    reference.display(),
                    r.len(),
                    hypothesis.display(),
                    h.len()
                );
            }
            if let Some(n) = normalize {
                let f: fn(&str) -> String = match n.as_str() {
                    "english" => eval::normalize::normalize_english,
                    _ => eval::normalize::normalize_basic,
                };
                r = r.iter().map(|s| f(s)).collect();
                h = h.iter().map(|s| f(s)).collect();
            }
            let rr: Vec<&str> = r.iter().map(String::as_str).collect();
            let hh: Vec<&str> = h.iter().map(String::as_str).collect();
            let (rate, name, hits, s, d, i, n, text) = if *cer {
                let o = eval::wer::process_characters(&rr, &hh)?;
                let text = align.then(|| eval::wer::visualize_alignment(&o, false, false, None));
                (
                    o.cer,
                    "cer",
                    o.hits,
                    o.substitutions,
                    o.deletions,
                    o.insertions,
                    o.hits + o.substitutions + o.deletions,
                    text,
                )
            } else {
                let o = eval::wer::process_words(&rr, &hh)?;
                let text = align.then(|| eval::wer::visualize_alignment(&o, false, false, None));
                (
                    o.wer,
                    "wer",
                    o.hits,
                    o.substitutions,
                    o.deletions,
                    o.insertions,
                    o.hits + o.substitutions + o.deletions,
                    text,
                )
            };
            if *json {
                println!(
                    "{}",
                    json!({name: rate, "hits": hits, "substitutions": s, "deletions": d,
                           "insertions": i, "reference_length": n, "utterances": r.len(),
                           "normalize": normalize})
                );
            } else {
                if let Some(t) = text {
                    println!("{t}");
                }
                println!(
                    "{}: {:.4} ({:.2}%) · S {s} · D {d} · I {i} · H {hits} · N {n} · {} utterance(s)",
                    name.to_uppercase(),
                    rate,
                    rate * 100.0,
                    r.len()
                );
            }
        }
        EvalCmd::Stoi {
            clean,
            processed,
            extended,
            json,
        } => {
            let (c, sr_c) = mono(clean)?;
            let (p, sr_p) = mono(processed)?;
            if sr_c != sr_p {
                bail!(
                    "{} is {sr_c} Hz and {} is {sr_p} Hz: STOI compares signals at one rate",
                    clean.display(),
                    processed.display()
                );
            }
            if c.len() != p.len() {
                bail!(
                    "{} has {} samples and {} has {}: STOI needs signals of equal length (as pystoi)",
                    clean.display(),
                    c.len(),
                    processed.display(),
                    p.len()
                );
            }
            let to64 = |v: &[f32]| v.iter().map(|x| *x as f64).collect::<Vec<f64>>();
            let score = eval::stoi::stoi(&to64(&c), &to64(&p), sr_c, *extended)?;
            let name = if *extended { "estoi" } else { "stoi" };
            if *json {
                println!("{}", json!({name: score, "sample_rate": sr_c}));
            } else {
                println!("{}: {score:.6}", name.to_uppercase());
            }
        }
    }
    Ok(())
}
