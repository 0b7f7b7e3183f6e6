//! The `espeak-ng` binary: finding it, checking voices against its own lists, and
//! synthesising one word (resampled to 16 kHz and trimmed).

use anyhow::{anyhow, bail, Context, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::config::{ESPEAK_SAMPLE_RATE, SAMPLE_RATE};
use super::labels::trim_bounds;
use super::manifest::SpeakerInfo;
use crate::audio::resample::resample;

// espeak-ng

/// Install hint used in the missing-binary error.
pub const INSTALL_HINT: &str =
    "install it with `sudo apt-get install espeak-ng` (Debian/Ubuntu) or `brew install espeak-ng` (macOS)";

pub(super) struct Espeak {
    bin: PathBuf,
    pub(super) version: String,
}

impl Espeak {
    pub(super) fn new(bin: &Path) -> Result<Self> {
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
    pub(super) fn check_voices(&self, voices: &[String]) -> Result<()> {
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
    pub(super) fn word(
        &self,
        speaker: &SpeakerInfo,
        word: &str,
        cue: Option<char>,
    ) -> Result<Vec<f32>> {
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
pub(super) fn cued(word: &str, cue: Option<char>) -> String {
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
