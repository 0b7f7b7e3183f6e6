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
    /// Augment a recording, deterministically by --seed: speed perturbation, reverb
    /// (synthetic room impulse response), noise at a target SNR, gain — in that order.
    Augment {
        file: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Speed factor (tempo and pitch, as Kaldi's speed perturbation), e.g. 0.9 or 1.1.
        #[arg(long)]
        speed: Option<f64>,
        /// Reverb with this RT60 in seconds.
        #[arg(long, value_name = "SECONDS")]
        reverb: Option<f64>,
        /// Image-source room WxDxH in metres (source and microphone placed inside it);
        /// without it the RIR is an exponentially decaying noise tail.
        #[arg(long, value_name = "WxDxH")]
        room: Option<String>,
        /// white, pink, or a WAV file of noise (looped from a seeded offset).
        #[arg(long)]
        noise: Option<String>,
        /// Target SNR in dB for --noise (clean power over the whole signal).
        #[arg(long, default_value_t = 10.0)]
        snr: f64,
        /// Gain in dB, applied last.
        #[arg(long)]
        gain: Option<f64>,
        #[arg(long, default_value_t = 0)]
        seed: u64,
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
pub enum DataCmd {
    /// Generate the labelled synthetic speech set with espeak-ng: utterances and
    /// two-party dialogues with exact word, speech/silence and hold/shift labels, noisy
    /// copies at given SNRs (default: <data dir>/speech).
    Speech {
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value_t = 24)]
        utterances: usize,
        #[arg(long, default_value_t = 4)]
        dialogues: usize,
        /// SNRs of the noisy copies in dB, comma-separated (empty: clean only).
        #[arg(long, value_delimiter = ',', default_value = "20,10,5,0")]
        snr: Vec<f64>,
        /// Every item at every SNR (default: one noisy copy per item, SNRs in turn).
        #[arg(long)]
        every_snr: bool,
        /// Dialogue phrases end with intonation cues: mostly falling or question-rising
        /// before an end of turn, mostly a continuation rise before a hold (for `exp turn`).
        #[arg(long)]
        turn_prosody: bool,
        /// Dialogue pauses inside a turn log-uniform over 150–1500 ms (as long as the
        /// gaps between turns, as in conversation) instead of uniform over 150–600 ms.
        #[arg(long)]
        long_holds: bool,
        /// espeak-ng voices, comma-separated (default: six English voices).
        #[arg(long, value_delimiter = ',')]
        voices: Vec<String>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The espeak-ng binary.
        #[arg(long, default_value = "espeak-ng")]
        espeak: PathBuf,
    },
    /// Write Audacity label files (wav/NAME.txt: start, end, "speech") for a speech set,
    /// as `labbook eval vad` reads them (`data speech` writes them itself).
    Labels { dir: PathBuf },
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
    /// Latency percentiles of a file of numbers (one per line, e.g. milliseconds):
    /// count, mean, min, p50, p95, p99, max — NumPy's default (linear) percentiles.
    Latency {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// VAD accuracy on DIR of NAME.wav + NAME.txt (Audacity labels, speech segments):
    /// frame F1, ROC-AUC, onset/offset latency and cost per 32 ms, per SNR (`_snrN` in
    /// the name), for each detector.
    Vad {
        dir: PathBuf,
        /// Also Silero VAD v6 from this safetensors file (export it from the silero-vad
        /// wheel with tests/fixtures/silero/export_silero_safetensors.py).
        #[arg(long, value_name = "FILE")]
        silero: Option<PathBuf>,
        /// WebRTC VAD modes to include (0–3, comma-separated; 30 ms frames); `--webrtc ''`
        /// for none.
        #[arg(long, value_name = "MODES", value_delimiter = ',', default_value = "2")]
        webrtc: Vec<String>,
        /// Also the VAD trained by `labbook exp vad` (FILE.safetensors + FILE.json).
        #[arg(long, value_name = "FILE")]
        trained: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// End-of-turn detection with the eot-bench protocol on DIR (a speech set's
    /// dialogues, or NAME.wav + NAME.txt labels `start<TAB>end<TAB>speaker`): every
    /// silence ≥ 100 ms is a hold or an end of turn; false cut-offs at 300/500 ms median
    /// latency, median latency at ≤ 5 % false cut-offs, hold/shift balanced accuracy at
    /// 100 ms, for the silence-only baseline and --model.
    Turn {
        dir: PathBuf,
        /// The detector trained by `labbook exp turn` (FILE.safetensors + FILE.json).
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
        /// Listen through the VAD trained by `labbook exp vad` (default: the energy VAD).
        #[arg(long, value_name = "FILE")]
        vad: Option<PathBuf>,
        /// Only this split of a speech set (e.g. test, the held-out voice).
        #[arg(long)]
        split: Option<String>,
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

pub fn audio_cmd(cmd: &AudioCmd, cli: &super::Cli) -> anyhow::Result<()> {
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
            // The config's [keys] apply here too; no database is opened.
            let config =
                crate::config::Config::load(&crate::app::config_path(&super::options(cli))?)?;
            let keymap = crate::tui::keymap::Keymap::with_overrides(&config.keys)?;
            crate::tui::audio_view::view(file, check_mels(*n_mels)?, &keymap)?;
        }
        AudioCmd::Augment {
            file,
            out,
            speed,
            reverb,
            room,
            noise,
            snr,
            gain,
            seed,
        } => {
            use audio::augment::{NoiseSource, Recipe};
            let (x, sr) = mono(file)?;
            let mut r = Recipe::new(*seed);
            if let Some(f) = speed {
                if !(0.5..=2.0).contains(f) {
                    bail!("--speed {f}: expected a factor between 0.5 and 2");
                }
                r = r.speed(*f);
            }
            if let Some(rt60) = reverb {
                r = match room {
                    Some(dims) => {
                        let d: Vec<f64> = dims
                            .split(['x', 'X'])
                            .map(|v| v.trim().parse::<f64>())
                            .collect::<Result<_, _>>()
                            .ok()
                            .filter(|d: &Vec<f64>| d.len() == 3 && d.iter().all(|v| *v > 0.5))
                            .with_context(|| {
                                format!("--room {dims}: expected WxDxH in metres, e.g. 5x4x3")
                            })?;
                        let room = [d[0], d[1], d[2]];
                        // Talker and microphone 1.5 m high, a third and two thirds across.
                        let src = [d[0] / 3.0, d[1] / 3.0, d[2].min(3.0) / 2.0];
                        let mic = [2.0 * d[0] / 3.0, 2.0 * d[1] / 3.0, d[2].min(3.0) / 2.0];
                        r.reverb_image_source(room, src, mic, *rt60)
                    }
                    None => r.reverb_exponential(*rt60),
                };
            } else if room.is_some() {
                bail!("--room goes with --reverb RT60");
            }
            if let Some(n) = noise {
                let source = match n.as_str() {
                    "white" => NoiseSource::White,
                    "pink" => NoiseSource::Pink,
                    path => {
                        let (samples, nsr) = mono(Path::new(path))?;
                        if nsr != sr {
                            bail!(
                                "the noise {path} is {nsr} Hz and {} is {sr} Hz",
                                file.display()
                            );
                        }
                        NoiseSource::Recording {
                            name: Path::new(path)
                                .file_stem()
                                .map(|s| s.to_string_lossy().to_string())
                                .unwrap_or_default(),
                            samples,
                        }
                    }
                };
                r = r.noise(source, *snr);
            }
            if let Some(g) = gain {
                r = r.gain(*g);
            }
            if r.steps.is_empty() {
                bail!("nothing to do: give --speed, --reverb, --noise or --gain");
            }
            let y = r.apply(&x, sr)?;
            audio::write_wav_f32(out, &y, 1, sr)?;
            eprintln!("{} → {}: {}", file.display(), out.display(), r.describe());
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
            // (rate, its name, the counts (S, D, I, H), the alignment when asked for)
            fn scored<O: eval::wer::AlignedOutput>(
                o: &O,
                rate: f64,
                name: &'static str,
                align: bool,
            ) -> (
                f64,
                &'static str,
                (usize, usize, usize, usize),
                Option<String>,
            ) {
                let text = align.then(|| eval::wer::visualize_alignment(o, false, false, None));
                (rate, name, o.counts(), text)
            }
            let (rate, name, (s, d, i, hits), text) = if *cer {
                let o = eval::wer::process_characters(&rr, &hh)?;
                scored(&o, o.cer, "cer", *align)
            } else {
                let o = eval::wer::process_words(&rr, &hh)?;
                scored(&o, o.wer, "wer", *align)
            };
            let n = hits + s + d;
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
        EvalCmd::Turn {
            dir,
            model,
            vad,
            split,
            json,
        } => {
            use crate::turn::eval;
            let det = model
                .as_deref()
                .map(crate::turn::EotDetector::load)
                .transpose()?;
            let mut v = crate::exp::turn::make_vad(vad.as_deref())?;
            let dialogues = eval::load_dialogues(dir, split.as_deref())?;
            let rows = eval::evaluate(&dialogues, v.as_mut(), det.as_ref(), &Default::default())?;
            if *json {
                println!("{}", serde_json::to_string(&rows)?);
            } else {
                let pct = |p: &Option<eval::OperatingPoint>| {
                    p.as_ref().map_or("-".to_string(), |p| {
                        format!("{:.1}%", p.cutoff_rate * 100.0)
                    })
                };
                println!(
                    "{:<8} {:<8} {:>5} {:>6} {:>6} {:>12} {:>12} {:>13} {:>8} {:>8}",
                    "detector",
                    "group",
                    "files",
                    "holds",
                    "ends",
                    "cut@300ms",
                    "cut@500ms",
                    "lat@5%cut",
                    "bal.acc",
                    "AUC@100"
                );
                for r in &rows {
                    println!(
                        "{:<8} {:<8} {:>5} {:>6} {:>6} {:>12} {:>12} {:>13} {:>8.3} {:>8}",
                        r.detector,
                        r.group,
                        r.files,
                        r.holds,
                        r.shifts,
                        pct(&r.cutoff_at_300ms),
                        pct(&r.cutoff_at_500ms),
                        r.latency_at_5pct
                            .as_ref()
                            .map_or("-".to_string(), |p| format!("{:.0} ms", p.latency_p50_ms)),
                        r.balanced_accuracy,
                        r.auc_at_100ms.map_or("-".into(), |a| format!("{a:.3}"))
                    );
                }
                println!("(cut@N: false cut-offs on holds at the best threshold whose median end-of-turn latency is ≤ N ms; lat@5%cut: median latency with ≤ 5% false cut-offs; bal.acc: hold/shift at 100 ms into the pause; VAD: {})", vad.as_deref().map_or("energy".to_string(), |p| p.display().to_string()));
            }
        }
        EvalCmd::Vad {
            dir,
            silero,
            trained,
            webrtc,
            json,
        } => {
            let mut specs = vec!["energy".to_string()];
            for m in webrtc.iter().map(|m| m.trim()).filter(|m| !m.is_empty()) {
                // 30 ms frames, as the benchmark has always scored WebRTC.
                specs.push(format!("webrtc:{m}:30"));
            }
            if let Some(path) = trained {
                specs.push(format!("trained:{}", path.display()));
            }
            if let Some(path) = silero {
                // A 32 ms chunk is a few tiny matmuls: threads cost more than they give
                // (≈ 0.4 ms per chunk on 2 threads, ≈ 0.05 ms on one). Set before Candle
                // creates its pool.
                if std::env::var_os("RAYON_NUM_THREADS").is_none() {
                    std::env::set_var("RAYON_NUM_THREADS", "1");
                }
                specs.push(format!("silero:{}", path.display()));
            }
            let mut vads = specs
                .iter()
                .map(|s| crate::vad::from_spec(s))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let rows = crate::vad::eval::evaluate(dir, &mut vads)?;
            if *json {
                println!("{}", serde_json::to_string(&rows)?);
            } else {
                let ms = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.0}"));
                println!(
                    "{:<10} {:<8} {:>5} {:>6} {:>6} {:>8} {:>8} {:>8} {:>8} {:>7} {:>9}",
                    "vad",
                    "group",
                    "files",
                    "F1",
                    "AUC",
                    "on p50",
                    "on p90",
                    "off p50",
                    "off p90",
                    "missed",
                    "µs/32ms"
                );
                for r in &rows {
                    println!(
                        "{:<10} {:<8} {:>5} {:>6.3} {:>6} {:>8} {:>8} {:>8} {:>8} {:>7} {:>9.1}",
                        r.vad,
                        r.group,
                        r.files,
                        r.f1,
                        r.roc_auc.map_or("-".into(), |a| format!("{a:.3}")),
                        ms(r.onset_p50_ms),
                        ms(r.onset_p90_ms),
                        ms(r.offset_p50_ms),
                        ms(r.offset_p90_ms),
                        format!("{}/{}", r.missed_segments, r.segments),
                        r.us_per_32ms
                    );
                }
                println!("(latencies in ms; onset from the labelled start, offset from the labelled end)");
            }
        }
        EvalCmd::Latency { file, json } => {
            let mut xs = Vec::new();
            for (i, l) in lines(file)?.iter().enumerate() {
                let t = l.trim();
                if t.is_empty() || t.starts_with('#') {
                    continue;
                }
                xs.push(
                    t.parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite())
                        .with_context(|| {
                            format!("{}:{}: `{t}` is not a number", file.display(), i + 1)
                        })?,
                );
            }
            let s = eval::latency::summarize(&xs)
                .with_context(|| format!("summarising {}", file.display()))?;
            if *json {
                println!(
                    "{}",
                    json!({"count": s.count, "mean": s.mean, "min": s.min, "p50": s.p50,
                           "p95": s.p95, "p99": s.p99, "max": s.max, "method": "numpy linear"})
                );
            } else {
                println!(
                    "n {} · mean {:.3} · min {:.3} · p50 {:.3} · p95 {:.3} · p99 {:.3} · max {:.3} (percentiles: NumPy's linear method)",
                    s.count, s.mean, s.min, s.p50, s.p95, s.p99, s.max
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

/// `wav/NAME.txt` Audacity labels (speech runs of the mixed track) for every item.
fn write_labels(dir: &Path) -> anyhow::Result<usize> {
    let items = audio::synth::read_manifest(dir)?;
    for it in &items {
        let wav = dir.join(&it.wav);
        let txt = wav.with_extension("txt");
        let frame_s = it.frame_ms as f64 / 1000.0;
        std::fs::write(&txt, crate::vad::eval::labels_from_runs(&it.vad, frame_s))
            .with_context(|| format!("writing {}", txt.display()))?;
    }
    Ok(items.len())
}

pub fn data_cmd(cmd: &DataCmd, data_dir: Option<&Path>) -> anyhow::Result<()> {
    match cmd {
        DataCmd::Labels { dir } => {
            let n = write_labels(dir)?;
            println!("{}: {n} label file(s) in wav/", dir.display());
        }
        DataCmd::Speech {
            out,
            utterances,
            dialogues,
            snr,
            every_snr,
            turn_prosody,
            long_holds,
            voices,
            seed,
            espeak,
        } => {
            use audio::synth::{generate, NoisyCopies, SpeechSetConfig};
            let out = match out {
                Some(o) => o.clone(),
                None => crate::app::resolve_data_dir(data_dir)?.join("speech"),
            };
            let mut cfg = SpeechSetConfig {
                out_dir: out.clone(),
                n_utterances: *utterances,
                n_dialogues: *dialogues,
                snrs_db: snr.clone(),
                seed: *seed,
                espeak: espeak.clone(),
                noisy: if *every_snr {
                    NoisyCopies::EverySnr
                } else {
                    NoisyCopies::OnePerItem
                },
                turn_prosody: *turn_prosody,
                long_holds: *long_holds,
                ..Default::default()
            };
            if !voices.is_empty() {
                cfg.voices = voices.clone();
            }
            let s = generate(&cfg, |done, total| {
                eprint!("\r{done}/{total} items");
            })?;
            eprintln!();
            write_labels(&out)?;
            println!(
                "{}: {} clean + {} noisy item(s) ({} utterances, {} dialogues), {:.1} s of audio, {:.1} MB, held-out voice {}, {:.1} s",
                s.out_dir.display(),
                s.n_clean,
                s.n_noisy,
                s.n_utterances,
                s.n_dialogues,
                s.audio_seconds,
                s.wav_bytes as f64 / 1e6,
                s.held_out_voice.as_deref().unwrap_or("-"),
                s.elapsed_s
            );
        }
    }
    Ok(())
}
