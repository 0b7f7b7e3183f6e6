//! Sample-rate conversion with rubato's synchronous FFT resampler (a maintained
//! crate), for whole signals: the resampler's delay is removed, so the output lines up
//! with the input and has `round(len · to / from)` samples.

use anyhow::{bail, Context};
use rubato::{FftFixedIn, Resampler};

const CHUNK: usize = 1024;

/// `samples` (one channel) from `from` Hz to `to` Hz.
pub fn resample(samples: &[f32], from: u32, to: u32) -> anyhow::Result<Vec<f32>> {
    if from == 0 || to == 0 {
        bail!("cannot resample from {from} Hz to {to} Hz");
    }
    if from == to || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    let ratio = to as f64 / from as f64;
    // Synchronous (FFT) resampling: exact for the fixed ratio `to/from`.
    let mut r = FftFixedIn::<f32>::new(from as usize, to as usize, CHUNK, 2, 1)
        .context("creating the resampler")?;
    let chunk = r.input_frames_next();
    let delay = r.output_delay();
    let expected = (samples.len() as f64 * ratio).round() as usize;
    let mut out: Vec<f32> = Vec::with_capacity(expected + delay + CHUNK);
    for part in samples.chunks(chunk) {
        let got = if part.len() == chunk {
            r.process(&[part], None)
        } else {
            r.process_partial(Some(&[part]), None)
        }
        .context("resampling")?;
        out.extend_from_slice(&got[0]);
    }
    // Flush what the filter still holds.
    while out.len() < delay + expected {
        let got = r
            .process_partial::<&[f32]>(None, None)
            .context("resampling")?;
        if got[0].is_empty() {
            break;
        }
        out.extend_from_slice(&got[0]);
    }
    let end = (delay + expected).min(out.len());
    let mut y = out[delay.min(end)..end].to_vec();
    y.resize(expected, 0.0);
    Ok(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(hz: f64, sr: u32, secs: f64) -> Vec<f32> {
        (0..(sr as f64 * secs) as usize)
            .map(|i| (2.0 * std::f64::consts::PI * hz * i as f64 / sr as f64).sin() as f32 * 0.5)
            .collect()
    }

    #[test]
    fn a_tone_keeps_its_frequency_amplitude_and_timing() {
        let x = tone(440.0, 44_100, 1.0);
        let y = resample(&x, 44_100, 16_000).unwrap();
        assert_eq!(y.len(), 16_000);
        let want = tone(440.0, 16_000, 1.0);
        // Away from the edges, the resampled tone is the tone sampled at 16 kHz.
        let err = y[500..15_500]
            .iter()
            .zip(&want[500..15_500])
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(err < 2e-3, "max error {err}");
        assert_eq!(resample(&x, 44_100, 44_100).unwrap(), x);
        assert!(resample(&x, 0, 16_000).is_err());
    }

    #[test]
    fn content_above_the_new_nyquist_is_removed() {
        // 7 kHz at 48 kHz → 8 kHz (Nyquist 4 kHz): it must not alias back in.
        let y = resample(&tone(7_000.0, 48_000, 0.5), 48_000, 8_000).unwrap();
        let rms = (y[200..3800].iter().map(|v| v * v).sum::<f32>() / 3600.0).sqrt();
        assert!(rms < 0.01, "aliased energy {rms}");
    }
}
