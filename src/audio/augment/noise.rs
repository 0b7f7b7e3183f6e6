//! Noise sources: seeded Gaussian white noise and pink (1/f) noise.

use crate::util::rng::Rng;

/// `n` samples of Gaussian white noise, N(0, 1) (so RMS ≈ 1, peaks around ±4):
/// a noise *source*, meant to be scaled by [`mix_at_snr`](super::mix_at_snr), not written as is.
pub fn white_noise(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.normal() as f32).collect()
}

/// Samples the pinking filter runs before output starts, so its slowest section
/// (pole 0.99886, time constant ≈ 880 samples) has forgotten its zero start.
const PINK_WARMUP: usize = 8192;

/// `n` samples of pink (1/f, −3 dB/octave) noise, scaled to RMS exactly 1.
///
/// Method: *filtered* white noise, Paul Kellet's "refined" pinking filter — N(0, 1)
/// white noise feeds seven first-order sections in parallel whose poles
/// (0.99886 … 0.55, plus one at −0.7616 that shapes the top octave) are spread so
/// that their summed responses approximate a 1/f power spectrum to about ±0.05 dB
/// from 2·10⁻⁴ of the sample rate (9 Hz at 44.1 kHz) up to Nyquist. The
/// alternative, Voss–McCartney (summing held random values updated at
/// octave-spaced rates), has ripple of a dB or so and notches; the filter is smoother.
pub fn pink_noise(n: usize, seed: u64) -> Vec<f32> {
    if n == 0 {
        return Vec::new();
    }
    let mut rng = Rng::new(seed);
    let mut b = [0f64; 7];
    let mut out = Vec::with_capacity(n);
    for i in 0..PINK_WARMUP + n {
        let w = rng.normal();
        b[0] = 0.99886 * b[0] + w * 0.0555179;
        b[1] = 0.99332 * b[1] + w * 0.0750759;
        b[2] = 0.96900 * b[2] + w * 0.1538520;
        b[3] = 0.86650 * b[3] + w * 0.3104856;
        b[4] = 0.55000 * b[4] + w * 0.5329522;
        b[5] = -0.7616 * b[5] - w * 0.0168980;
        let pink = b.iter().sum::<f64>() + w * 0.5362;
        b[6] = w * 0.115926;
        if i >= PINK_WARMUP {
            out.push(pink);
        }
    }
    let rms = (out.iter().map(|v| v * v).sum::<f64>() / n as f64).sqrt();
    let scale = if rms > 0.0 { 1.0 / rms } else { 1.0 };
    out.iter().map(|v| (v * scale) as f32).collect()
}

#[cfg(test)]
mod tests {
    //! Measured numbers are printed with `eprintln!`; see them with
    //! `cargo test -- --nocapture` (the README quotes them).
    use super::*;
    use crate::audio::augment::mean_square;
    use rustfft::num_complex::Complex;
    use rustfft::FftPlanner;
    use std::f64::consts::PI;

    /// Mean power per FFT bin in octave bands, Welch-averaged (Hann, 8192-point
    /// frames, no overlap), and the least-squares slope in dB per octave.
    fn octave_slope(x: &[f32]) -> (f64, Vec<f64>) {
        const N: usize = 8192;
        let mut planner = FftPlanner::<f64>::new();
        let fft = planner.plan_fft_forward(N);
        let mut psd = vec![0.0f64; N / 2 + 1];
        let frames = x.len() / N;
        for f in 0..frames {
            let mut buf: Vec<Complex<f64>> = (0..N)
                .map(|i| {
                    let w = 0.5 - 0.5 * (2.0 * PI * i as f64 / N as f64).cos();
                    Complex::new(x[f * N + i] as f64 * w, 0.0)
                })
                .collect();
            fft.process(&mut buf);
            for (p, c) in psd.iter_mut().zip(&buf) {
                *p += c.norm_sqr();
            }
        }
        // Octaves [N/2^(k+1), N/2^k) bins for k = 1..=10: bins 4..4096.
        let mut levels = Vec::new();
        for k in (1..=10).rev() {
            let (lo, hi) = (N >> (k + 1), N >> k);
            let mean = psd[lo..hi].iter().sum::<f64>() / (hi - lo) as f64;
            levels.push(10.0 * mean.log10());
        }
        let n = levels.len() as f64;
        let mx = (n - 1.0) / 2.0;
        let my = levels.iter().sum::<f64>() / n;
        let cov: f64 = levels
            .iter()
            .enumerate()
            .map(|(i, y)| (i as f64 - mx) * (y - my))
            .sum();
        let var: f64 = (0..levels.len()).map(|i| (i as f64 - mx).powi(2)).sum();
        (cov / var, levels)
    }

    #[test]
    fn pink_noise_falls_three_db_per_octave() {
        let pink = pink_noise(1 << 20, 2024);
        let rms = mean_square(&pink).sqrt();
        assert!((rms - 1.0).abs() < 1e-4, "rms {rms}");
        let (slope, levels) = octave_slope(&pink);
        let steps: Vec<f64> = levels.windows(2).map(|w| w[1] - w[0]).collect();
        eprintln!("pink: slope {slope:.3} dB/octave; octave-to-octave steps {steps:.2?}");
        assert!((slope + 3.0).abs() <= 1.0, "slope {slope}");
        assert!(steps.iter().all(|s| (s + 3.0).abs() <= 1.0), "{steps:?}");
        let (white_slope, _) = octave_slope(&white_noise(1 << 20, 2024));
        eprintln!("white: slope {white_slope:.3} dB/octave");
        assert!(white_slope.abs() < 0.3, "white slope {white_slope}");
    }
}
