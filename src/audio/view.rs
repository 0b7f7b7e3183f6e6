//! What the spectrogram views show: Whisper's log-mel, the YIN pitch track and the RMS
//! energy contour of one signal, on one 10 ms frame grid, with the renderers — a
//! half-block heatmap for the terminal, PNG and SVG files for reports.

use std::path::Path;

use anyhow::{bail, Context};

use super::{log_mel, prosody, resample::resample, Mel};

/// Frames per second of every track (hop 160 at 16 kHz).
pub const FRAME_RATE: f64 = 100.0;

/// A signal analysed for viewing.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub mel: Mel,
    /// Pitch per frame in Hz; None where unvoiced.
    pub f0: Vec<Option<f32>>,
    /// RMS energy per frame in dBFS.
    pub energy_db: Vec<f32>,
    pub seconds: f64,
}

impl Analysis {
    /// Analyse a mono signal at `sample_rate` (resampled to 16 kHz first).
    pub fn new(samples: &[f32], sample_rate: u32, n_mels: usize) -> anyhow::Result<Analysis> {
        let x = resample(samples, sample_rate, 16_000)?;
        if x.len() < super::mel::MelExtractor::MIN_SAMPLES {
            bail!(
                "the signal is {:.3} s long; the views need at least {} ms",
                samples.len() as f64 / sample_rate.max(1) as f64,
                super::mel::MelExtractor::MIN_SAMPLES * 1000 / 16_000 + 1
            );
        }
        let mel = log_mel(&x, n_mels)?;
        let pitch = prosody::yin(&x, prosody::YinConfig::default())?;
        let rms = prosody::rms(&x, 400, 160)?;
        let n = mel.n_frames;
        let f0 = (0..n)
            .map(|i| match (pitch.f0.get(i), pitch.voiced.get(i)) {
                (Some(f), Some(true)) => Some(*f as f32),
                _ => None,
            })
            .collect();
        let energy_db = (0..n)
            .map(|i| {
                let r = rms.get(i).copied().unwrap_or(0.0).max(1e-5);
                20.0 * r.log10()
            })
            .collect();
        Ok(Analysis {
            mel,
            f0,
            energy_db,
            seconds: x.len() as f64 / 16_000.0,
        })
    }

    /// Read a WAV file (any rate, channels mixed down) and analyse it.
    pub fn from_wav(path: &Path, n_mels: usize) -> anyhow::Result<Analysis> {
        let a = super::read_wav(path)?;
        Analysis::new(&a.to_mono()?, a.sample_rate, n_mels)
            .with_context(|| format!("analysing {}", path.display()))
    }

    /// The log-mel value range (Whisper's scale: max − 2 … max).
    pub fn range(&self) -> (f32, f32) {
        let max = self
            .mel
            .data
            .iter()
            .copied()
            .fold(f32::NEG_INFINITY, f32::max);
        let min = self.mel.data.iter().copied().fold(f32::INFINITY, f32::min);
        (min, max)
    }

    /// The heatmap resampled to `w` columns × `h` rows (row 0 = the highest band),
    /// each cell the mean of the frames and bands it covers, scaled to 0..=1.
    pub fn grid(&self, first_frame: usize, frames: usize, w: usize, h: usize) -> Vec<Vec<f32>> {
        let (lo, hi) = self.range();
        let span = (hi - lo).max(1e-6);
        let n_mels = self.mel.n_mels;
        let end = (first_frame + frames).min(self.mel.n_frames);
        let frames = end.saturating_sub(first_frame).max(1);
        (0..h)
            .map(|r| {
                // Row r covers bands [b0, b1), highest first.
                let b1 = n_mels - r * n_mels / h;
                let b0 = n_mels - ((r + 1) * n_mels / h).min(n_mels);
                (0..w)
                    .map(|c| {
                        let f0 = first_frame + c * frames / w;
                        let f1 = (first_frame + ((c + 1) * frames / w).max(c * frames / w + 1))
                            .min(end.max(f0 + 1));
                        let mut sum = 0f32;
                        let mut n = 0;
                        for b in b0..b1.max(b0 + 1).min(n_mels) {
                            for f in f0..f1.min(self.mel.n_frames) {
                                sum += self.mel.data[b * self.mel.n_frames + f];
                                n += 1;
                            }
                        }
                        if n == 0 {
                            0.0
                        } else {
                            ((sum / n as f32 - lo) / span).clamp(0.0, 1.0)
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

/// Viridis, sampled at 9 points and interpolated: t in 0..=1 → RGB.
pub fn viridis(t: f32) -> (u8, u8, u8) {
    const P: [(f32, f32, f32); 9] = [
        (68.0, 1.0, 84.0),
        (71.0, 44.0, 122.0),
        (59.0, 81.0, 139.0),
        (44.0, 113.0, 142.0),
        (33.0, 144.0, 141.0),
        (39.0, 173.0, 129.0),
        (92.0, 200.0, 99.0),
        (170.0, 220.0, 50.0),
        (253.0, 231.0, 37.0),
    ];
    let x = t.clamp(0.0, 1.0) * 8.0;
    let i = (x.floor() as usize).min(7);
    let f = x - i as f32;
    let (a, b) = (P[i], P[i + 1]);
    let mix = |p: f32, q: f32| (p + (q - p) * f).round() as u8;
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The pixels of a figure: the spectrogram (one column per frame, one row per band,
/// scaled by `yscale`) over a strip with the pitch (white) and energy (orange) tracks.
fn raster(a: &Analysis, yscale: usize) -> (usize, usize, Vec<u8>) {
    let w = a.mel.n_frames;
    let spec_h = a.mel.n_mels * yscale;
    let strip = 120;
    let h = spec_h + strip;
    let mut px = vec![0u8; w * h * 3];
    let (lo, hi) = a.range();
    let span = (hi - lo).max(1e-6);
    let put = |x: usize, y: usize, c: (u8, u8, u8), px: &mut Vec<u8>| {
        if x < w && y < h {
            let i = (y * w + x) * 3;
            px[i] = c.0;
            px[i + 1] = c.1;
            px[i + 2] = c.2;
        }
    };
    for b in 0..a.mel.n_mels {
        for f in 0..w {
            let v = (a.mel.data[b * w + f] - lo) / span;
            for k in 0..yscale {
                put(f, spec_h - 1 - (b * yscale + k), viridis(v), &mut px);
            }
        }
    }
    for y in spec_h..h {
        for x in 0..w {
            put(x, y, (20, 20, 28), &mut px);
        }
    }
    // Pitch: 50..500 Hz on the strip's height; energy: -80..0 dBFS.
    for f in 0..w {
        let e = a.energy_db[f].clamp(-80.0, 0.0);
        let y = spec_h + strip - 1 - ((e + 80.0) / 80.0 * (strip - 1) as f32) as usize;
        put(f, y, (255, 150, 40), &mut px);
        if let Some(p) = a.f0[f] {
            let p = p.clamp(50.0, 500.0);
            let y = spec_h + strip - 1 - ((p - 50.0) / 450.0 * (strip - 1) as f32) as usize;
            put(f, y, (255, 255, 255), &mut px);
            put(f, y.saturating_sub(1), (255, 255, 255), &mut px);
        }
    }
    (w, h, px)
}

fn png_bytes(a: &Analysis) -> anyhow::Result<Vec<u8>> {
    let (w, h, px) = raster(a, 3);
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w as u32, h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().context("encoding the PNG")?;
        wr.write_image_data(&px).context("encoding the PNG")?;
    }
    Ok(out)
}

/// The figure as a PNG (one pixel column per 10 ms frame).
pub fn write_png(a: &Analysis, path: &Path) -> anyhow::Result<()> {
    std::fs::write(path, png_bytes(a)?).with_context(|| format!("writing {}", path.display()))
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for k in 0..4 {
            if k <= c.len() {
                s.push(T[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// The figure as an SVG for reports: the raster embedded, with a time axis, labels and
/// a legend as text (so it scales and stays searchable).
pub fn write_svg(a: &Analysis, path: &Path, title: &str) -> anyhow::Result<()> {
    let (w, h, _) = raster(a, 3);
    let png = base64(&png_bytes(a)?);
    let (ml, mt, mb) = (50usize, 30usize, 40usize);
    let (tw, th) = (w + ml + 20, h + mt + mb);
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{tw}\" height=\"{th}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{ml}\" y=\"18\" font-size=\"13\">{}</text>\n\
         <image x=\"{ml}\" y=\"{mt}\" width=\"{w}\" height=\"{h}\" href=\"data:image/png;base64,{png}\"/>\n",
        esc(title)
    );
    let spec_h = a.mel.n_mels * 3;
    s.push_str(&format!(
        "<text x=\"4\" y=\"{}\">mel</text>\n<text x=\"4\" y=\"{}\">F0</text>\n",
        mt + spec_h / 2,
        mt + spec_h + 60
    ));
    let step = if a.seconds > 20.0 {
        5.0
    } else if a.seconds > 5.0 {
        1.0
    } else {
        0.5
    };
    let mut t = 0.0;
    while t <= a.seconds + 1e-9 {
        let x = ml as f64 + t * FRAME_RATE;
        s.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"black\"/>\n<text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{t:.1} s</text>\n",
            mt + h,
            mt + h + 5,
            mt + h + 18
        ));
        t += step;
    }
    s.push_str(&format!(
        "<text x=\"{ml}\" y=\"{}\">log-mel ({} bands, Whisper scale) · white: F0 50–500 Hz (YIN) · orange: RMS −80…0 dBFS</text>\n</svg>\n",
        th - 6,
        a.mel.n_mels
    ));
    std::fs::write(path, s).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voiced(sr: u32, secs: f64, f0: f64) -> Vec<f32> {
        (0..(sr as f64 * secs) as usize)
            .map(|i| {
                let t = i as f64 / sr as f64;
                ((1..6)
                    .map(|k| (2.0 * std::f64::consts::PI * f0 * k as f64 * t).sin() / k as f64)
                    .sum::<f64>()
                    * 0.2) as f32
            })
            .collect()
    }

    #[test]
    fn the_analysis_finds_the_pitch_and_the_grid_is_scaled() {
        let a = Analysis::new(&voiced(22_050, 1.0, 150.0), 22_050, 80).unwrap();
        assert_eq!(a.mel.n_frames, 100);
        let voiced: Vec<f32> = a.f0.iter().flatten().copied().collect();
        assert!(voiced.len() > 80, "{} voiced frames", voiced.len());
        let mean = voiced.iter().sum::<f32>() / voiced.len() as f32;
        assert!((mean - 150.0).abs() < 3.0, "mean F0 {mean}");
        let g = a.grid(0, 100, 40, 10);
        assert_eq!((g.len(), g[0].len()), (10, 40));
        assert!(g.iter().flatten().all(|v| (0.0..=1.0).contains(v)));
        // The harmonics sit in the low bands: the bottom rows are brighter.
        let row = |r: usize| g[r].iter().sum::<f32>();
        assert!(row(9) > row(0));
        assert!(Analysis::new(&[0.0; 50], 16_000, 80).is_err());
    }

    #[test]
    fn png_and_svg_are_written() {
        let a = Analysis::new(&voiced(16_000, 0.5, 200.0), 16_000, 80).unwrap();
        let d = std::env::temp_dir().join(format!("lb-view-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        write_png(&a, &d.join("s.png")).unwrap();
        let png = std::fs::read(d.join("s.png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        write_svg(&a, &d.join("s.svg"), "a <test>").unwrap();
        let svg = std::fs::read_to_string(d.join("s.svg")).unwrap();
        assert!(svg.contains("data:image/png;base64,iVBOR") && svg.contains("a &lt;test&gt;"));
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        let _ = std::fs::remove_dir_all(&d);
    }
}
