//! WAV input/output via `hound`.
//!
//! Reading converts every supported encoding to `f32` the same way
//! libsndfile / `soundfile.read(dtype="float32")` does:
//!
//! | encoding            | conversion                    |
//! |---------------------|-------------------------------|
//! | 8-bit unsigned PCM  | `(u8 - 128) / 128`            |
//! | 16-bit PCM          | `i16 / 32768`                 |
//! | 24-bit PCM          | `i24 / 8388608`               |
//! | 32-bit PCM          | `i32 / 2147483648`            |
//! | 32-bit IEEE float   | unchanged                     |
//!
//! so integer input lands in `[-1, 1)`. Samples stay interleaved
//! (`frame0ch0, frame0ch1, frame1ch0, ...`) in [`Audio::samples`].

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use hound::{SampleFormat, WavReader, WavSpec, WavWriter};

/// Decoded audio: interleaved `f32` samples plus the stream layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// Samples per second per channel.
    pub sample_rate: u32,
    /// Number of interleaved channels (>= 1).
    pub channels: u16,
    /// Interleaved samples, nominally in `[-1, 1]`.
    pub samples: Vec<f32>,
}

impl Audio {
    /// Number of sample frames (samples per channel).
    pub fn n_frames(&self) -> usize {
        self.samples.len() / self.channels.max(1) as usize
    }

    /// Duration in seconds.
    pub fn duration_secs(&self) -> f64 {
        self.n_frames() as f64 / self.sample_rate as f64
    }

    /// De-interleaves channel `index` (0-based).
    pub fn channel(&self, index: u16) -> Result<Vec<f32>> {
        if index >= self.channels {
            bail!(
                "channel {index} requested but the audio has {} channel(s)",
                self.channels
            );
        }
        Ok(self
            .samples
            .iter()
            .skip(index as usize)
            .step_by(self.channels as usize)
            .copied()
            .collect())
    }

    /// Averages all channels into one (see [`mixdown_mono`]).
    pub fn to_mono(&self) -> Result<Vec<f32>> {
        mixdown_mono(&self.samples, self.channels)
    }
}

/// Reads a PCM (8/16/24/32-bit integer) or 32-bit float WAV file.
///
/// Errors name the file and say whether it is not a WAV at all, truncated,
/// or in an unsupported encoding (e.g. ADPCM, 64-bit float, 12-bit PCM).
pub fn read_wav(path: impl AsRef<Path>) -> Result<Audio> {
    let path = path.as_ref();
    let reader = WavReader::open(path).map_err(|e| describe(path, e))?;
    let spec = reader.spec();
    if spec.channels == 0 {
        bail!("{}: WAV header declares zero channels", path.display());
    }
    let samples: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
        (SampleFormat::Float, 32) => reader
            .into_samples::<f32>()
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| describe(path, e))?,
        (SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
            // Full-scale value for this bit depth; dividing by a power of two
            // is exact, so the only rounding is the final cast to f32.
            let scale = (1u64 << (bits - 1)) as f64;
            reader
                .into_samples::<i32>()
                .map(|s| s.map(|v| (v as f64 / scale) as f32))
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| describe(path, e))?
        }
        (format, bits) => bail!(
            "{}: unsupported WAV encoding: {bits}-bit {format:?} \
             (supported: 8/16/24/32-bit integer PCM, 32-bit float)",
            path.display()
        ),
    };
    if !samples.len().is_multiple_of(spec.channels as usize) {
        bail!(
            "{}: truncated WAV: {} samples is not a whole number of {}-channel frames",
            path.display(),
            samples.len(),
            spec.channels
        );
    }
    Ok(Audio {
        sample_rate: spec.sample_rate,
        channels: spec.channels,
        samples,
    })
}

/// Turns a hound error into a message that names the file and the problem.
fn describe(path: &Path, err: hound::Error) -> anyhow::Error {
    let what = match &err {
        // hound reports a short read as ErrorKind::Other "Failed to read enough bytes."
        hound::Error::IoError(io)
            if io.kind() == std::io::ErrorKind::UnexpectedEof
                || io.to_string().contains("enough bytes") =>
        {
            "truncated WAV (file ends before the declared data)".to_string()
        }
        hound::Error::IoError(io) => format!("I/O error: {io}"),
        // hound rejects e.g. 64-bit float or 12-bit PCM while parsing the header.
        hound::Error::FormatError(msg) if msg.contains("bits per sample") => {
            format!("unsupported WAV encoding ({msg})")
        }
        hound::Error::FormatError(msg) => format!("not a valid WAV file ({msg})"),
        hound::Error::Unsupported => {
            "unsupported WAV encoding (only integer PCM and 32-bit float are supported)".to_string()
        }
        other => other.to_string(),
    };
    anyhow!("{}: {what}", path.display())
}

/// Averages interleaved channels into one mono signal:
/// `mono[i] = mean(samples[i*channels .. (i+1)*channels])`
/// (the same as `numpy.mean(x, axis=1)` on a `(frames, channels)` array and
/// as librosa's `to_mono`). One channel is returned unchanged.
pub fn mixdown_mono(interleaved: &[f32], channels: u16) -> Result<Vec<f32>> {
    let c = channels as usize;
    if c == 0 {
        bail!("mixdown_mono: channel count must be at least 1");
    }
    if !interleaved.len().is_multiple_of(c) {
        bail!(
            "mixdown_mono: {} samples is not a multiple of {c} channels",
            interleaved.len()
        );
    }
    if c == 1 {
        return Ok(interleaved.to_vec());
    }
    Ok(interleaved
        .chunks_exact(c)
        .map(|frame| (frame.iter().map(|&v| v as f64).sum::<f64>() / c as f64) as f32)
        .collect())
}

/// Full scale of 16-bit PCM: a sample `k` stands for `k / 32768`.
pub const PCM16_SCALE: f64 = 32768.0;

/// `x` as a 16-bit PCM sample: scaled by 32768, rounded to nearest and clipped to
/// `[-32768, 32767]`, so values of the form `k / 32768` map back to `k` exactly.
/// NaN becomes 0.
pub fn pcm16(x: f64) -> i16 {
    if x.is_nan() {
        return 0;
    }
    (x * PCM16_SCALE).round().clamp(-32768.0, 32767.0) as i16
}

/// Writes interleaved samples as 16-bit PCM ([`pcm16`]), so values of the form
/// `k / 32768` survive a write/read round trip exactly. NaN is written as 0.
pub fn write_wav_i16(
    path: impl AsRef<Path>,
    samples: &[f32],
    channels: u16,
    sample_rate: u32,
) -> Result<()> {
    let spec = wav_spec(channels, sample_rate, SampleFormat::Int, 16);
    write_with(path.as_ref(), spec, samples, |w, s| {
        w.write_sample(pcm16(s as f64))
    })
}

/// Writes interleaved samples as 32-bit IEEE float (no clipping).
pub fn write_wav_f32(
    path: impl AsRef<Path>,
    samples: &[f32],
    channels: u16,
    sample_rate: u32,
) -> Result<()> {
    let spec = wav_spec(channels, sample_rate, SampleFormat::Float, 32);
    write_with(path.as_ref(), spec, samples, |w, s| w.write_sample(s))
}

type FileWriter = WavWriter<std::io::BufWriter<std::fs::File>>;

fn wav_spec(channels: u16, sample_rate: u32, format: SampleFormat, bits: u16) -> WavSpec {
    WavSpec {
        channels,
        sample_rate,
        bits_per_sample: bits,
        sample_format: format,
    }
}

/// Writes `samples` as a WAV of `spec`, each sample through `put`.
fn write_with(
    path: &Path,
    spec: WavSpec,
    samples: &[f32],
    mut put: impl FnMut(&mut FileWriter, f32) -> hound::Result<()>,
) -> Result<()> {
    if spec.channels == 0 || spec.sample_rate == 0 {
        bail!(
            "{}: channels and sample rate must be positive",
            path.display()
        );
    }
    if !samples.len().is_multiple_of(spec.channels as usize) {
        bail!(
            "{}: {} samples is not a multiple of {} channels",
            path.display(),
            samples.len(),
            spec.channels
        );
    }
    let mut writer =
        WavWriter::create(path, spec).with_context(|| format!("creating {}", path.display()))?;
    for &s in samples {
        put(&mut writer, s).with_context(|| format!("writing {}", path.display()))?;
    }
    writer
        .finalize()
        .with_context(|| format!("finalising {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("h-audio-wav-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn i16_round_trip_is_exact_for_k_over_32768() {
        let p = tmp("rt16.wav");
        let x: Vec<f32> = [-32768i32, -1, 0, 1, 12345, 32767]
            .iter()
            .map(|&k| k as f32 / 32768.0)
            .collect();
        write_wav_i16(&p, &x, 2, 8000).unwrap();
        let a = read_wav(&p).unwrap();
        assert_eq!((a.sample_rate, a.channels, a.n_frames()), (8000, 2, 3));
        assert_eq!(a.samples, x);
        assert_eq!(a.channel(1).unwrap(), vec![x[1], x[3], x[5]]);
        assert!(a.channel(2).is_err());
    }

    #[test]
    fn i16_writer_clips() {
        let p = tmp("clip.wav");
        write_wav_i16(&p, &[2.0, -2.0, f32::NAN], 1, 8000).unwrap();
        let a = read_wav(&p).unwrap();
        assert_eq!(a.samples, vec![32767.0 / 32768.0, -1.0, 0.0]);
    }

    #[test]
    fn f32_round_trip() {
        let p = tmp("rtf.wav");
        let x = [0.1f32, -0.7, 1.5, 1e-9];
        write_wav_f32(&p, &x, 1, 16000).unwrap();
        assert_eq!(read_wav(&p).unwrap().samples, x);
    }

    #[test]
    fn mixdown_averages_channels() {
        let m = mixdown_mono(&[1.0, 0.0, 0.5, -0.5, 0.25, 0.25], 2).unwrap();
        assert_eq!(m, vec![0.5, 0.0, 0.25]);
        assert!(mixdown_mono(&[1.0, 2.0, 3.0], 2).is_err());
        assert!(mixdown_mono(&[1.0], 0).is_err());
    }

    #[test]
    fn errors_name_the_file() {
        let p = tmp("not_a.wav");
        std::fs::write(&p, b"this is plain text, not RIFF").unwrap();
        let msg = format!("{:#}", read_wav(&p).unwrap_err());
        assert!(
            msg.contains("not_a.wav") && msg.contains("not a valid WAV"),
            "{msg}"
        );

        // A valid header whose data chunk is cut short.
        let p = tmp("trunc.wav");
        write_wav_i16(&p, &vec![0.25; 1000], 1, 16000).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() - 501]).unwrap();
        let msg = format!("{:#}", read_wav(&p).unwrap_err());
        assert!(
            msg.contains("trunc.wav") && msg.contains("truncated"),
            "{msg}"
        );

        let msg = format!("{:#}", read_wav(tmp("nope.wav")).unwrap_err());
        assert!(msg.contains("nope.wav"), "{msg}");
    }

    /// A canonical 44-byte-header WAV with an arbitrary format tag/bit depth.
    fn raw_wav(format_tag: u16, bits: u16, data: &[u8]) -> Vec<u8> {
        let block_align = bits / 8;
        let mut fmt = Vec::new();
        fmt.extend_from_slice(&format_tag.to_le_bytes());
        fmt.extend_from_slice(&1u16.to_le_bytes()); // channels
        fmt.extend_from_slice(&8000u32.to_le_bytes()); // sample rate
        fmt.extend_from_slice(&(8000 * block_align as u32).to_le_bytes());
        fmt.extend_from_slice(&block_align.to_le_bytes());
        fmt.extend_from_slice(&bits.to_le_bytes());
        let mut body = b"WAVEfmt ".to_vec();
        body.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
        body.extend_from_slice(&fmt);
        body.extend_from_slice(b"data");
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    #[test]
    fn unsupported_encodings_are_named() {
        // 64-bit float (format tag 3) and A-law (format tag 6).
        for (name, tag, bits) in [("f64.wav", 3u16, 64u16), ("alaw.wav", 6, 8)] {
            let p = tmp(name);
            std::fs::write(&p, raw_wav(tag, bits, &[0u8; 16])).unwrap();
            let msg = format!("{:#}", read_wav(&p).unwrap_err());
            assert!(
                msg.contains(name) && msg.contains("unsupported"),
                "{name}: {msg}"
            );
        }
        // Sanity check of the helper: a 16-bit PCM file built the same way reads.
        let p = tmp("pcm16_raw.wav");
        std::fs::write(&p, raw_wav(1, 16, &[0x00, 0x40, 0x00, 0xc0])).unwrap();
        assert_eq!(read_wav(&p).unwrap().samples, vec![0.5, -0.5]);
    }
}
