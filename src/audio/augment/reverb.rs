//! Reverberation: FFT convolution with an RIR, aligned to its direct path.

use rustfft::num_complex::Complex;
use rustfft::FftPlanner;

use super::mean_square;

/// How [`reverberate_with`] sets the output level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReverbLevel {
    /// Plain convolution: with a direct-peak-1 RIR the dry part keeps its
    /// level and the reverberant energy is added on top.
    Raw,
    /// The output is rescaled to the input's energy (mean square), so reverb
    /// changes the sound but not the loudness.
    PreserveEnergy,
}

/// Index of the direct path in `rir`: the first sample whose magnitude reaches
/// half the RIR's largest, then onwards to the top of that peak. (Not simply
/// the largest sample: in a small room two reflections arriving together can
/// exceed the direct sound.) 0 for an empty or silent RIR.
pub fn direct_path_index(rir: &[f32]) -> usize {
    let peak = rir.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let Some(mut i) = rir.iter().position(|v| v.abs() >= 0.5 * peak && peak > 0.0) else {
        return 0;
    };
    while i + 1 < rir.len() && rir[i + 1].abs() > rir[i].abs() {
        i += 1;
    }
    i
}

/// Full linear convolution of `a` and `b` (length `a + b − 1`) by one FFT of
/// the next power of two at least that long, in f64. Memory is about
/// 32 bytes × 2 × that size, fine for utterances (a minute at 16 kHz: ~120 MB).
fn fft_convolve(a: &[f32], b: &[f32]) -> Vec<f64> {
    if a.is_empty() || b.is_empty() {
        return Vec::new();
    }
    let full = a.len() + b.len() - 1;
    let size = full.next_power_of_two();
    let mut planner = FftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(size);
    let inverse = planner.plan_fft_inverse(size);
    let to_complex = |x: &[f32]| -> Vec<Complex<f64>> {
        let mut v: Vec<Complex<f64>> = x.iter().map(|&s| Complex::new(s as f64, 0.0)).collect();
        v.resize(size, Complex::new(0.0, 0.0));
        v
    };
    let mut fa = to_complex(a);
    let mut fb = to_complex(b);
    forward.process(&mut fa);
    forward.process(&mut fb);
    for (x, y) in fa.iter_mut().zip(&fb) {
        *x *= y;
    }
    inverse.process(&mut fa);
    // rustfft does not normalise: forward then inverse multiplies by `size`.
    fa[..full].iter().map(|c| c.re / size as f64).collect()
}

/// Convolves `x` with `rir` ([`ReverbLevel::Raw`]); see [`reverberate_with`].
pub fn reverberate(x: &[f32], rir: &[f32]) -> Vec<f32> {
    reverberate_with(x, rir, ReverbLevel::Raw)
}

/// Convolves `x` with `rir` by FFT and returns `x.len()` samples aligned to
/// the direct path: `y[n] = (x * rir)[n + d]` with `d` = [`direct_path_index`].
/// So the dry signal is not delayed, a unit impulse RIR (at any position)
/// returns `x` unchanged, and the reverberant tail past the end of `x` is cut.
/// An empty or all-zero RIR gives silence.
pub fn reverberate_with(x: &[f32], rir: &[f32], level: ReverbLevel) -> Vec<f32> {
    let full = fft_convolve(x, rir);
    if full.is_empty() {
        return vec![0.0; x.len()];
    }
    let d = direct_path_index(rir);
    let mut y: Vec<f64> = full[d..d + x.len()].to_vec();
    if level == ReverbLevel::PreserveEnergy {
        let e_in = mean_square(x);
        let e_out = y.iter().map(|v| v * v).sum::<f64>() / y.len().max(1) as f64;
        if e_out > 0.0 {
            let g = (e_in / e_out).sqrt();
            y.iter_mut().for_each(|v| *v *= g);
        }
    }
    y.iter().map(|&v| v as f32).collect()
}

#[cfg(test)]
mod tests {
    //! Measured numbers are printed with `eprintln!`; see them with
    //! `cargo test -- --nocapture` (the README quotes them).
    use super::*;
    use crate::audio::augment::test_signals::*;
    use crate::audio::augment::{rir_exponential, rir_image_source, white_noise};

    #[test]
    fn a_unit_impulse_rir_returns_the_input() {
        let x = speechy(0.3);
        for delay in [0usize, 1, 37] {
            let mut rir = vec![0.0f32; delay + 5];
            rir[delay] = 1.0;
            let y = reverberate(&x, &rir);
            assert_eq!(y.len(), x.len());
            let err = x
                .iter()
                .zip(&y)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(err < 1e-6, "delay {delay}: max error {err}");
        }
    }

    #[test]
    fn fft_convolution_matches_direct_convolution() {
        let a = white_noise(300, 1);
        let b = white_noise(77, 2);
        let fast = fft_convolve(&a, &b);
        assert_eq!(fast.len(), 376);
        for (n, f) in fast.iter().enumerate() {
            let direct: f64 = (0..b.len())
                .filter(|&k| n >= k && n - k < a.len())
                .map(|k| a[n - k] as f64 * b[k] as f64)
                .sum();
            assert!((f - direct).abs() < 1e-9, "{n}: {f} vs {direct}");
        }
    }

    #[test]
    fn reverberant_energy_grows_with_rt60() {
        let x = speechy(1.0);
        let room = [5.0, 4.0, 3.0];
        let (src, mic) = ([1.0, 1.5, 1.6], [3.5, 2.5, 1.4]);
        let mut last = energy(&x);
        for rt60 in [0.2, 0.4, 0.8] {
            let h = rir_image_source(room, src, mic, rt60, SR, 12).unwrap();
            let e = energy(&reverberate(&x, &h));
            let e_exp = energy(&reverberate(&x, &rir_exponential(rt60, SR, 1).unwrap()));
            eprintln!(
                "reverb rt60 {rt60}: output/input energy {:.2} dB (image source), {:.2} dB (exponential)",
                10.0 * (e / energy(&x)).log10(),
                10.0 * (e_exp / energy(&x)).log10()
            );
            assert!(e > last, "rt60 {rt60}: {e} ≤ {last}");
            last = e;
            let kept = reverberate_with(&x, &h, ReverbLevel::PreserveEnergy);
            assert!((energy(&kept) / energy(&x) - 1.0).abs() < 1e-4);
        }
    }
}
