//! Audio sources for the real-time loop: 10 ms frames of 16 kHz mono, delivered at the
//! pace a live stream would deliver them (or as fast as possible for offline runs and
//! tests). A source may know the truth about its speech (a labelled WAV, a scripted
//! stream), which is what the latency accounting measures against.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};

use crate::audio;
use crate::util::rng::Rng;

/// Samples per second of every stream.
pub const RATE: u32 = 16_000;
/// Samples per frame (10 ms).
pub const FRAME: usize = 160;
/// One frame in seconds.
pub const FRAME_S: f64 = FRAME as f64 / RATE as f64;

/// What is known about a stream's speech: segments in seconds, and the segment ends
/// that end a user's turn (the others are hold pauses inside a turn).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Truth {
    pub segments: Vec<(f64, f64)>,
    pub turn_ends: Vec<f64>,
}

impl Truth {
    /// The latest segment end at or before `t` (seconds), with whether it ends a turn.
    pub fn last_end_before(&self, t: f64) -> Option<(f64, bool)> {
        self.segments
            .iter()
            .map(|s| s.1)
            .filter(|e| *e <= t + 1e-9)
            .fold(None, |best: Option<f64>, e| {
                Some(best.map_or(e, |b| b.max(e)))
            })
            .map(|e| (e, self.turn_ends.iter().any(|x| (x - e).abs() < 1e-6)))
    }

    /// Whether `t` lies inside a speech segment.
    pub fn speaking_at(&self, t: f64) -> bool {
        self.segments.iter().any(|(s, e)| *s <= t && t < *e)
    }

    /// The latest segment onset at or before `t`.
    pub fn onset_before(&self, t: f64) -> Option<f64> {
        self.segments
            .iter()
            .map(|s| s.0)
            .filter(|s| *s <= t + 1e-9)
            .fold(None, |best: Option<f64>, s| {
                Some(best.map_or(s, |b| b.max(s)))
            })
    }

    /// Every segment end is a turn end when nothing says otherwise (a labelled file
    /// of single utterances).
    pub fn from_segments_all_turns(segments: Vec<(f64, f64)>) -> Truth {
        let turn_ends = segments.iter().map(|s| s.1).collect();
        Truth {
            segments,
            turn_ends,
        }
    }
}

/// A stream of 10 ms frames.
pub trait AudioSource {
    /// One line saying what this is (for the run's records).
    fn describe(&self) -> String;
    /// Fill `out` with the next frame and say when it became available on the monotonic
    /// clock (a paced source sleeps until then; an unpaced one answers `None`). `false`
    /// at the end of the stream.
    fn next_frame(&mut self, out: &mut [f32; FRAME]) -> Result<Option<Option<Instant>>>;
    /// The truth about the stream's speech, where the source knows it.
    fn truth(&self) -> Option<&Truth>;
}

/// A buffer played frame by frame, at real-time pace or as fast as possible.
pub struct BufferSource {
    samples: Vec<f32>,
    pos: usize,
    pace: Option<Instant>,
    truth: Option<Truth>,
    what: String,
}

impl BufferSource {
    /// `realtime`: deliver frame k at start + (k+1)·10 ms (when its last sample would
    /// have been captured), sleeping as needed.
    pub fn new(samples: Vec<f32>, truth: Option<Truth>, realtime: bool, what: String) -> Self {
        BufferSource {
            samples,
            pos: 0,
            pace: realtime.then(Instant::now),
            truth,
            what,
        }
    }

    pub fn samples(&self) -> &[f32] {
        &self.samples
    }
}

impl AudioSource for BufferSource {
    fn describe(&self) -> String {
        self.what.clone()
    }

    fn next_frame(&mut self, out: &mut [f32; FRAME]) -> Result<Option<Option<Instant>>> {
        if self.pos + FRAME > self.samples.len() {
            return Ok(None);
        }
        out.copy_from_slice(&self.samples[self.pos..self.pos + FRAME]);
        self.pos += FRAME;
        let due = self.pace.map(|start| {
            let due = start + Duration::from_secs_f64(self.pos as f64 / RATE as f64);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            due
        });
        Ok(Some(due))
    }

    fn truth(&self) -> Option<&Truth> {
        self.truth.as_ref()
    }
}

/// A WAV file (any rate, any channels; mixed to mono and resampled to 16 kHz). The
/// truth comes from `NAME.txt` beside it (Audacity labels, one speech segment per line;
/// a segment whose label is `hold` ends inside a turn, any other ends a turn).
pub fn wav(path: &Path, realtime: bool) -> Result<BufferSource> {
    let a = audio::read_wav(path)?;
    let x = audio::resample::resample(&a.to_mono()?, a.sample_rate, RATE)
        .with_context(|| format!("resampling {}", path.display()))?;
    if x.len() < FRAME {
        bail!("{}: shorter than one 10 ms frame", path.display());
    }
    let labels = path.with_extension("txt");
    let truth = if labels.exists() {
        Some(read_truth(&labels)?)
    } else {
        None
    };
    Ok(BufferSource::new(
        x,
        truth,
        realtime,
        format!("wav {}", path.display()),
    ))
}

/// Audacity labels as a [`Truth`]: `start<TAB>end<TAB>label`; label `hold` marks a
/// segment after which the same speaker goes on.
pub fn read_truth(path: &Path) -> Result<Truth> {
    let mut labels = crate::vad::eval::read_audacity(path, "start<TAB>end[<TAB>label]")?;
    labels.sort_by(|a, b| a.start.total_cmp(&b.start));
    Ok(Truth {
        segments: labels.iter().map(|l| (l.start, l.end)).collect(),
        turn_ends: labels
            .iter()
            .filter(|l| l.text != "hold")
            .map(|l| l.end)
            .collect(),
    })
}

/// One utterance: its samples (16 kHz) and its word segments in seconds.
pub type Utterance = (Vec<f32>, Vec<(f64, f64)>);

/// Clean utterances of a labelled speech set (`NAME.wav` + `NAME.txt`, no `_snrN` copies),
/// each trimmed to its labelled speech, with its word segments relative to the cut.
pub fn load_utterances(dir: &Path) -> Result<Vec<Utterance>> {
    let mut out = Vec::new();
    for (wav, lab) in crate::vad::eval::labelled_files(dir)? {
        let stem = wav
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        if stem.contains("_snr") || stem.starts_with("dlg") {
            continue;
        }
        let segs = crate::vad::eval::read_labels(&lab)?;
        let (Some(first), Some(last)) = (segs.first(), segs.last()) else {
            continue;
        };
        let a = audio::read_wav(&wav)?;
        let x = audio::resample::resample(&a.to_mono()?, a.sample_rate, RATE)?;
        let from = ((first.0 - 0.02).max(0.0) * RATE as f64) as usize;
        let to = (((last.1 + 0.02) * RATE as f64) as usize).min(x.len());
        if to <= from {
            continue;
        }
        let t0 = from as f64 / RATE as f64;
        let rel = segs.iter().map(|(s, e)| (s - t0, e - t0)).collect();
        out.push((x[from..to].to_vec(), rel));
    }
    if out.is_empty() {
        bail!(
            "{}: no clean utterances (NAME.wav with NAME.txt, not _snrN copies or dialogues);              make a set with `labbook data speech`",
            dir.display()
        );
    }
    Ok(out)
}

/// Whole turns of the dialogues of a speech set (its `manifest.jsonl`): each turn of
/// one speaker from its first word to its last, with the pauses inside it (and their
/// intonation, with `labbook data speech --turn-prosody`), and its word segments
/// relative to the clip. Clean dialogues of the `test` split (the held-out voice) when
/// there are any, else of every split; turns that overlap the other speaker are left
/// out (the clip would carry their voice).
pub fn load_turns(dir: &Path) -> Result<Vec<Utterance>> {
    let items = crate::audio::synth::read_manifest(dir)?;
    let clean: Vec<_> = items
        .iter()
        .filter(|it| it.kind == "dialogue" && it.snr_db.is_none())
        .collect();
    let test: Vec<_> = clean.iter().filter(|it| it.split == "test").collect();
    let pick: Vec<_> = if test.is_empty() {
        clean.iter().collect()
    } else {
        test
    };
    let mut out = Vec::new();
    for it in pick {
        let a = audio::read_wav(dir.join(&it.wav))?;
        let x = audio::resample::resample(&a.to_mono()?, a.sample_rate, RATE)?;
        for t in &it.turns {
            let (s, e) = (t.start_sample, t.end_sample.min(x.len()));
            let other = it
                .words
                .iter()
                .any(|w| w.speaker != t.speaker && w.end_sample > s && w.start_sample < e);
            if other || e <= s {
                continue;
            }
            let t0 = s as f64 / RATE as f64;
            let segs = it
                .words
                .iter()
                .filter(|w| w.speaker == t.speaker && w.start_sample >= s && w.end_sample <= e)
                .map(|w| (w.start - t0, w.end - t0))
                .collect();
            out.push((x[s..e].to_vec(), segs));
        }
    }
    if out.is_empty() {
        bail!(
            "{}: no dialogue turns (make a set with `labbook data speech --dialogues 60 --turn-prosody`)",
            dir.display()
        );
    }
    Ok(out)
}

/// A deterministic stream of user turns built without any file: each turn is 1–3
/// voiced "phrases" (a glottal-pulse train at 100–220 Hz through two formant
/// resonators, with syllable-rate loudness and a falling pitch), separated by hold
/// pauses of `hold_ms`; turns are separated by `gap_ms` of silence over a low noise
/// floor. Times are exact, so it is what the latency accounting is tested on.
#[derive(Debug, Clone)]
pub struct Script {
    pub turns: usize,
    pub seed: u64,
    /// Hold pauses inside a turn, (min, max) ms.
    pub hold_ms: (u32, u32),
    /// Silence between turns, (min, max) ms.
    pub gap_ms: (u32, u32),
    /// Phrase length, (min, max) ms.
    pub phrase_ms: (u32, u32),
    /// Share of turns after which the user speaks again after only `early_ms` — while
    /// an agent would be answering (barge-in).
    pub early_share: f64,
    /// The short gap of those turns, (min, max) ms.
    pub early_ms: (u32, u32),
    /// Noise floor in dBFS (RMS).
    pub noise_db: f32,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            turns: 10,
            seed: 1337,
            hold_ms: (150, 450),
            gap_ms: (3500, 4500),
            phrase_ms: (500, 1400),
            early_share: 0.2,
            early_ms: (800, 1100),
            noise_db: -60.0,
        }
    }
}

/// Uniform in `[a, b]` milliseconds (`a` when `b < a`).
fn ms_in(rng: &mut Rng, (a, b): (u32, u32)) -> f64 {
    rng.uniform_in(a as f64, a.max(b) as f64)
}

/// Two-pole resonator (formant) coefficients.
fn resonator(freq: f64, bw: f64) -> (f64, f64, f64) {
    let r = (-std::f64::consts::PI * bw / RATE as f64).exp();
    let theta = 2.0 * std::f64::consts::PI * freq / RATE as f64;
    let (a1, a2) = (2.0 * r * theta.cos(), -r * r);
    (1.0 - a1 - a2, a1, a2)
}

impl Script {
    /// Uniform noise at `noise_db` (RMS) over the whole stream.
    fn add_noise_floor(&self, x: &mut [f32], rng: &mut Rng) {
        let amp = 10f64.powf(self.noise_db as f64 / 20.0) * 3f64.sqrt();
        for v in x.iter_mut() {
            *v += ((2.0 * rng.unit() - 1.0) * amp) as f32;
        }
    }

    /// The samples and their truth.
    pub fn render(&self) -> (Vec<f32>, Truth) {
        let mut rng = Rng::new(self.seed ^ 0x5EED);
        let mut x: Vec<f32> = Vec::new();
        let mut truth = Truth::default();
        let push_silence = |x: &mut Vec<f32>, ms: f64| {
            x.resize(x.len() + (ms * RATE as f64 / 1000.0).round() as usize, 0.0);
        };
        push_silence(&mut x, 500.0);
        for _ in 0..self.turns {
            let phrases = 1 + (rng.next_u64() % 3) as usize;
            for p in 0..phrases {
                let n = (ms_in(&mut rng, self.phrase_ms) * RATE as f64 / 1000.0) as usize;
                let f0 = 100.0 + 120.0 * rng.unit();
                let (f1, f2) = (500.0 + 300.0 * rng.unit(), 1200.0 + 900.0 * rng.unit());
                let c1 = resonator(f1, 90.0);
                let c2 = resonator(f2, 120.0);
                let syll_hz = 3.5 + 2.0 * rng.unit();
                let start = x.len();
                let (mut phase, mut y1, mut y2, mut z1, mut z2) = (0.0f64, 0.0, 0.0, 0.0, 0.0);
                for i in 0..n {
                    let u = i as f64 / n as f64;
                    // pitch falls by a fifth over the phrase
                    let f = f0 * (1.0 - 0.33 * u);
                    phase += f / RATE as f64;
                    let pulse = if phase >= 1.0 {
                        phase -= 1.0;
                        1.0
                    } else {
                        0.0
                    };
                    let v1 = c1.0 * pulse + c1.1 * y1 + c1.2 * y2;
                    (y2, y1) = (y1, v1);
                    let v2 = c2.0 * v1 + c2.1 * z1 + c2.2 * z2;
                    (z2, z1) = (z1, v2);
                    let t = i as f64 / RATE as f64;
                    let syll = 0.55 + 0.45 * (2.0 * std::f64::consts::PI * syll_hz * t).sin();
                    let edge = (u * 20.0).min((1.0 - u) * 20.0).min(1.0);
                    x.push((v1 + 0.6 * v2) as f32 * (syll * edge) as f32);
                }
                // normalise the phrase to a speech-like level (−20 dBFS peak region)
                let peak = x[start..]
                    .iter()
                    .fold(0f32, |m, v| m.max(v.abs()))
                    .max(1e-9);
                for v in &mut x[start..] {
                    *v *= 0.3 / peak;
                }
                let (s, e) = (start as f64 / RATE as f64, x.len() as f64 / RATE as f64);
                truth.segments.push((s, e));
                if p + 1 < phrases {
                    push_silence(&mut x, ms_in(&mut rng, self.hold_ms));
                } else {
                    truth.turn_ends.push(e);
                    let gap = if rng.unit() < self.early_share {
                        self.early_ms
                    } else {
                        self.gap_ms
                    };
                    push_silence(&mut x, ms_in(&mut rng, gap));
                }
            }
        }
        // the noise floor, everywhere
        self.add_noise_floor(&mut x, &mut rng);
        (x, truth)
    }

    /// The same script of turns, hold pauses and gaps, spoken by utterances of a speech
    /// set (see [`load_utterances`]); the truth has their word segments.
    pub fn render_speech(&self, utterances: &[Utterance]) -> (Vec<f32>, Truth) {
        let mut rng = Rng::new(self.seed ^ 0x5EED);
        let mut x: Vec<f32> = vec![0.0; RATE as usize / 2];
        let mut truth = Truth::default();
        let silence = |x: &mut Vec<f32>, ms: f64| {
            x.resize(x.len() + (ms * RATE as f64 / 1000.0).round() as usize, 0.0);
        };
        for _ in 0..self.turns {
            let phrases = 1 + (rng.next_u64() % 3) as usize;
            for p in 0..phrases {
                let (clip, segs) = &utterances[(rng.next_u64() % utterances.len() as u64) as usize];
                let t0 = x.len() as f64 / RATE as f64;
                x.extend_from_slice(clip);
                truth
                    .segments
                    .extend(segs.iter().map(|(s, e)| (t0 + s, t0 + e)));
                let end = t0 + segs.last().map_or(0.0, |s| s.1);
                if p + 1 < phrases {
                    silence(&mut x, ms_in(&mut rng, self.hold_ms));
                } else {
                    truth.turn_ends.push(end);
                    let gap = if rng.unit() < self.early_share {
                        self.early_ms
                    } else {
                        self.gap_ms
                    };
                    silence(&mut x, ms_in(&mut rng, gap));
                }
            }
        }
        self.add_noise_floor(&mut x, &mut rng);
        (x, truth)
    }

    /// Whole turns (see [`load_turns`]) one after another with the script's gaps
    /// between them (and its share of early restarts); the pauses inside a turn are
    /// its own.
    pub fn render_turns(&self, turns: &[Utterance]) -> (Vec<f32>, Truth) {
        let mut rng = Rng::new(self.seed ^ 0x7A5E);
        let mut x: Vec<f32> = vec![0.0; RATE as usize / 2];
        let mut truth = Truth::default();
        for _ in 0..self.turns {
            let (clip, segs) = &turns[(rng.next_u64() % turns.len() as u64) as usize];
            let t0 = x.len() as f64 / RATE as f64;
            x.extend_from_slice(clip);
            truth
                .segments
                .extend(segs.iter().map(|(s, e)| (t0 + s, t0 + e)));
            truth.turn_ends.push(t0 + segs.last().map_or(0.0, |s| s.1));
            let gap = if rng.unit() < self.early_share {
                self.early_ms
            } else {
                self.gap_ms
            };
            x.resize(
                x.len() + (ms_in(&mut rng, gap) * RATE as f64 / 1000.0).round() as usize,
                0.0,
            );
        }
        self.add_noise_floor(&mut x, &mut rng);
        (x, truth)
    }

    pub fn source(&self, realtime: bool) -> BufferSource {
        let (x, truth) = self.render();
        BufferSource::new(
            x,
            Some(truth),
            realtime,
            format!("synthetic {} turns, seed {}", self.turns, self.seed),
        )
    }
}
