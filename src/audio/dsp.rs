//! Small DSP building blocks shared by the feature extractors.
//!
//! * [`RealFft`]: a forward/inverse FFT for **real** signals built on top of a
//!   `rustfft` complex plan of half the length (the classic "pack even/odd
//!   samples into one complex signal" trick), so a 400-point real FFT costs one
//!   200-point complex FFT plus a cheap post-processing pass.
//! * Window functions ([`hann_periodic_f64`], [`hann_periodic_torch_f32`]).
//! * Centre padding helpers ([`reflect_index`], [`centered_frame_count`]).
//!
//! Conventions follow `numpy.fft`: the forward transform is unnormalised,
//! `X[k] = sum_n x[n] exp(-2 pi i k n / N)`, and only bins `0..=N/2` are kept.
//! The inverse here is also unnormalised (like `rustfft`): `inverse(forward(x))`
//! returns `N * x`; divide by `N` to get `numpy.fft.irfft`.

use std::sync::Arc;

use anyhow::{bail, Result};
use rustfft::num_complex::Complex;
use rustfft::num_traits::{Float, FromPrimitive, Zero};
use rustfft::{Fft, FftNum, FftPlanner};

/// A real-input FFT of a fixed length `n`.
///
/// For even `n` the transform uses one complex FFT of length `n / 2`
/// (even samples in the real part, odd samples in the imaginary part) and then
/// untangles the two interleaved half-length spectra with twiddle factors.
/// For odd `n` it falls back to a full-length complex FFT.
///
/// The struct is immutable after construction and can be shared between
/// threads; per-call work buffers live in a [`RealFftScratch`].
pub struct RealFft<T: FftNum> {
    len: usize,
    /// Forward complex plan: length `n/2` (even `n`) or `n` (odd `n`).
    forward: Arc<dyn Fft<T>>,
    /// Inverse complex plan of the same length.
    inverse: Arc<dyn Fft<T>>,
    /// `exp(-2 pi i k / n)` for `k = 0..=n/2` (only used for even `n`).
    twiddles: Vec<Complex<T>>,
}

/// Reusable work buffers for one [`RealFft`]; make one per thread with
/// [`RealFft::make_scratch`] and pass it to every call to avoid allocations.
pub struct RealFftScratch<T: FftNum> {
    work: Vec<Complex<T>>,
    fft_scratch: Vec<Complex<T>>,
}

impl<T: FftNum + Float> RealFft<T> {
    /// Plans a real FFT of length `len` (must be at least 1).
    pub fn new(len: usize) -> Result<Self> {
        if len == 0 {
            bail!("RealFft: length must be at least 1");
        }
        let mut planner = FftPlanner::<T>::new();
        let inner = if len.is_multiple_of(2) { len / 2 } else { len };
        let forward = planner.plan_fft_forward(inner);
        let inverse = planner.plan_fft_inverse(inner);
        // Twiddles are computed in f64 and rounded once, which keeps the f32
        // version as accurate as possible.
        let twiddles = (0..=len / 2)
            .map(|k| {
                let angle = -2.0 * std::f64::consts::PI * k as f64 / len as f64;
                Complex::new(from_f64::<T>(angle.cos()), from_f64::<T>(angle.sin()))
            })
            .collect();
        Ok(Self {
            len,
            forward,
            inverse,
            twiddles,
        })
    }

    /// The real signal length `n`.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false (a zero-length plan cannot be built); here for clippy.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of spectrum bins produced by [`forward`](Self::forward): `n/2 + 1`.
    pub fn spectrum_len(&self) -> usize {
        self.len / 2 + 1
    }

    /// Allocates the work buffers needed by `forward` / `inverse`.
    pub fn make_scratch(&self) -> RealFftScratch<T> {
        let inner = self.forward.len();
        let scratch_len = self
            .forward
            .get_inplace_scratch_len()
            .max(self.inverse.get_inplace_scratch_len());
        RealFftScratch {
            work: vec![Complex::zero(); inner],
            fft_scratch: vec![Complex::zero(); scratch_len],
        }
    }

    /// Forward transform of `input` (length `n`) into `output`
    /// (length `n/2 + 1`, bins `0..=n/2`). Unnormalised, like `numpy.fft.rfft`.
    pub fn forward(
        &self,
        input: &[T],
        output: &mut [Complex<T>],
        scratch: &mut RealFftScratch<T>,
    ) -> Result<()> {
        if input.len() != self.len || output.len() != self.spectrum_len() {
            bail!(
                "RealFft::forward: expected input {} and output {}, got {} and {}",
                self.len,
                self.spectrum_len(),
                input.len(),
                output.len()
            );
        }
        let work = &mut scratch.work;
        if !self.len.is_multiple_of(2) {
            // Odd length: plain complex FFT with zero imaginary part.
            for (w, &x) in work.iter_mut().zip(input) {
                *w = Complex::new(x, T::zero());
            }
            self.forward
                .process_with_scratch(work, &mut scratch.fft_scratch);
            output.copy_from_slice(&work[..output.len()]);
            return Ok(());
        }

        // Even length n = 2m: z[j] = x[2j] + i x[2j+1], Z = FFT_m(z).
        let m = self.len / 2;
        for (w, pair) in work.iter_mut().zip(input.chunks_exact(2)) {
            *w = Complex::new(pair[0], pair[1]);
        }
        self.forward
            .process_with_scratch(work, &mut scratch.fft_scratch);

        // Untangle: with E = FFT of even samples and O = FFT of odd samples,
        //   E[k] = (Z[k] + conj(Z[m-k])) / 2
        //   O[k] = (Z[k] - conj(Z[m-k])) / (2i)
        //   X[k] = E[k] + exp(-2 pi i k / n) O[k]      for k = 0..=m
        // (indices of Z are taken modulo m).
        // k = 0 and k = m only need Z[0]: E[0] = Re Z[0], O[0] = Im Z[0].
        let z0 = work[0];
        output[0] = Complex::new(z0.re + z0.im, T::zero());
        output[m] = Complex::new(z0.re - z0.im, T::zero());
        let half = from_f64::<T>(0.5);
        // 1 <= k < m: Z[m-k] is work[m-k]; iterating it backwards with zip
        // keeps the loop free of index arithmetic and bounds checks (it runs
        // for every frame). Using the symmetry X[m-k] = conj(E[k] - W^k O[k])
        // to do half the iterations was measured slower: the indexed writes
        // stop the compiler from vectorising.
        let pairs = output[1..m]
            .iter_mut()
            .zip(&work[1..m])
            .zip(work[1..m].iter().rev())
            .zip(&self.twiddles[1..m]);
        for (((out, &zk), &zmk), &tw) in pairs {
            let zmk = zmk.conj();
            let even = (zk + zmk) * half;
            let diff = (zk - zmk) * half;
            // diff / i = -i * diff = (diff.im, -diff.re)
            let odd = Complex::new(diff.im, -diff.re);
            *out = even + tw * odd;
        }
        Ok(())
    }

    /// Inverse transform of a Hermitian half spectrum `input` (length
    /// `n/2 + 1`) into the real signal `output` (length `n`).
    ///
    /// Unnormalised: the result is `n` times `numpy.fft.irfft(input, n)`.
    /// The imaginary parts of bin 0 (and of bin `n/2` for even `n`) are ignored,
    /// as numpy does.
    pub fn inverse(
        &self,
        input: &[Complex<T>],
        output: &mut [T],
        scratch: &mut RealFftScratch<T>,
    ) -> Result<()> {
        if input.len() != self.spectrum_len() || output.len() != self.len {
            bail!(
                "RealFft::inverse: expected input {} and output {}, got {} and {}",
                self.spectrum_len(),
                self.len,
                input.len(),
                output.len()
            );
        }
        let work = &mut scratch.work;
        if !self.len.is_multiple_of(2) {
            // Rebuild the full Hermitian spectrum and run a complex inverse.
            let n = self.len;
            for (k, w) in work.iter_mut().enumerate() {
                *w = if k == 0 {
                    Complex::new(input[0].re, T::zero())
                } else if k < input.len() {
                    input[k]
                } else {
                    input[n - k].conj()
                };
            }
            self.inverse
                .process_with_scratch(work, &mut scratch.fft_scratch);
            for (o, w) in output.iter_mut().zip(work.iter()) {
                *o = w.re;
            }
            return Ok(());
        }

        // Even n = 2m. Rebuild Z' = 2 (E + i O) from X, then an inverse FFT of
        // length m gives n * (x[2j] + i x[2j+1]).
        let m = self.len / 2;
        let x0 = Complex::new(input[0].re, T::zero());
        let xm = Complex::new(input[m].re, T::zero());
        for (k, w) in work.iter_mut().enumerate() {
            let xk = if k == 0 { x0 } else { input[k] };
            let xmk = if k == 0 { xm } else { input[m - k] }.conj();
            let even2 = xk + xmk; // 2 E[k]
                                  // 2 O[k] = (X[k] - conj(X[m-k])) * exp(+2 pi i k / n)
            let odd2 = (xk - xmk) * self.twiddles[k].conj();
            // Z'[k] = 2E + i * 2O
            *w = even2 + Complex::new(-odd2.im, odd2.re);
        }
        self.inverse
            .process_with_scratch(work, &mut scratch.fft_scratch);
        for (pair, w) in output.chunks_exact_mut(2).zip(work.iter()) {
            pair[0] = w.re;
            pair[1] = w.im;
        }
        Ok(())
    }
}

fn from_f64<T: FromPrimitive>(x: f64) -> T {
    // FromPrimitive for f32/f64 never fails for finite input.
    T::from_f64(x).unwrap_or_else(|| unreachable!("f64 -> float conversion"))
}

/// Periodic ("DFT-even") Hann window computed in f64, as
/// `scipy.signal.get_window("hann", n, fftbins=True)` (used by librosa):
/// `w[i] = 0.5 - 0.5 cos(2 pi i / n)` for `i = 0..n`.
pub fn hann_periodic_f64(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos())
        .collect()
}

/// Periodic Hann window computed the way `torch.hann_window(n)` does it in
/// float32: `0.5 + (-0.5) * cos(i * f32(2 pi / n))` with every step rounded to
/// f32. Matches torch to within one ulp (torch's vectorised `cos` may round
/// differently in the last bit).
pub fn hann_periodic_torch_f32(n: usize) -> Vec<f32> {
    let step = (2.0 * std::f64::consts::PI / n as f64) as f32;
    (0..n)
        .map(|i| {
            let phase = i as f32 * step;
            0.5f32 + (-0.5f32) * phase.cos()
        })
        .collect()
}

/// Maps an index of the *padded* signal back into `0..len` using
/// `torch`/`numpy` "reflect" padding (the edge sample is not repeated):
/// `[a b c d]` padded by 2 on each side is `[c b | a b c d | c b]`.
///
/// `index` is relative to the first real sample (negative = left padding).
/// Requires `len >= 2` and a pad smaller than `len`, which is exactly what
/// torch enforces; callers check that up front.
pub fn reflect_index(index: isize, len: usize) -> usize {
    debug_assert!(len >= 2);
    let last = len as isize - 1;
    let reflected = if index < 0 {
        -index
    } else if index > last {
        2 * last - index
    } else {
        index
    };
    debug_assert!((0..=last).contains(&reflected));
    reflected as usize
}

/// Number of frames produced by a centred STFT/framing
/// (`librosa.util.frame` after padding `frame_length / 2` samples on both
/// sides, i.e. `torch.stft(center=True)`):
/// `1 + (len + 2 * (frame_length / 2) - frame_length) / hop`.
///
/// Returns 0 when the padded signal is shorter than one frame.
pub fn centered_frame_count(len: usize, frame_length: usize, hop: usize) -> usize {
    let padded = len + 2 * (frame_length / 2);
    if padded < frame_length || hop == 0 {
        0
    } else {
        1 + (padded - frame_length) / hop
    }
}

/// Copies one centred, zero-padded frame: `out[j] = x[start + j]` where
/// `start = t * hop - frame_length / 2` and samples outside `x` are 0
/// (`np.pad(mode="constant")`, librosa's default `pad_mode` since 0.10).
pub fn zero_padded_frame<T>(x: &[f32], t: usize, hop: usize, out: &mut [T])
where
    T: Copy + Zero + From<f32>,
{
    let start = (t * hop) as isize - (out.len() / 2) as isize;
    let len = x.len() as isize;
    for (j, o) in out.iter_mut().enumerate() {
        let i = start + j as isize;
        *o = if (0..len).contains(&i) {
            T::from(x[i as usize])
        } else {
            T::zero()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Naive O(n^2) DFT in f64, the ground truth for the FFT tests.
    fn naive_rdft(x: &[f64]) -> Vec<Complex<f64>> {
        let n = x.len();
        (0..=n / 2)
            .map(|k| {
                x.iter().enumerate().fold(Complex::zero(), |acc, (j, &v)| {
                    let a = -2.0 * std::f64::consts::PI * (k * j) as f64 / n as f64;
                    acc + Complex::new(a.cos(), a.sin()) * v
                })
            })
            .collect()
    }

    fn test_signal(n: usize) -> Vec<f64> {
        // Deterministic, non-symmetric test data.
        (0..n)
            .map(|i| ((i * 7919 % 113) as f64 / 56.0 - 1.0) + 0.3 * (i as f64 * 0.37).sin())
            .collect()
    }

    #[test]
    fn real_fft_matches_naive_dft_even_and_odd() {
        for n in [1usize, 2, 3, 8, 15, 400, 401, 2048] {
            let x = test_signal(n);
            let fft = RealFft::<f64>::new(n).unwrap();
            let mut scratch = fft.make_scratch();
            let mut out = vec![Complex::zero(); fft.spectrum_len()];
            fft.forward(&x, &mut out, &mut scratch).unwrap();
            let want = naive_rdft(&x);
            let err = out
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).norm())
                .fold(0.0, f64::max);
            assert!(err < 1e-9 * n as f64, "n={n}: max err {err}");
        }
    }

    #[test]
    fn real_fft_inverse_round_trips() {
        for n in [2usize, 5, 400, 1024] {
            let x = test_signal(n);
            let fft = RealFft::<f64>::new(n).unwrap();
            let mut scratch = fft.make_scratch();
            let mut spec = vec![Complex::zero(); fft.spectrum_len()];
            fft.forward(&x, &mut spec, &mut scratch).unwrap();
            let mut back = vec![0.0; n];
            fft.inverse(&spec, &mut back, &mut scratch).unwrap();
            for (a, b) in back.iter().zip(&x) {
                assert!((a / n as f64 - b).abs() < 1e-12, "n={n}");
            }
        }
    }

    #[test]
    fn real_fft_rejects_bad_lengths() {
        assert!(RealFft::<f32>::new(0).is_err());
        let fft = RealFft::<f32>::new(8).unwrap();
        let mut scratch = fft.make_scratch();
        let mut out = vec![Complex::zero(); 4]; // should be 5
        assert!(fft.forward(&[0.0; 8], &mut out, &mut scratch).is_err());
    }

    #[test]
    fn reflect_padding_does_not_repeat_edges() {
        // numpy.pad([0,1,2,3], 2, mode="reflect") == [2,1,0,1,2,3,2,1]
        let len = 4;
        let got: Vec<usize> = (-2..6).map(|i| reflect_index(i, len)).collect();
        assert_eq!(got, vec![2, 1, 0, 1, 2, 3, 2, 1]);
    }

    #[test]
    fn centered_frame_counts_match_librosa_formula() {
        // 1 + len // hop for even frame lengths.
        assert_eq!(centered_frame_count(480_000, 400, 160), 3001);
        assert_eq!(centered_frame_count(800, 1024, 160), 6);
        assert_eq!(centered_frame_count(0, 400, 160), 1);
        // Odd frame length: padded = len + frame - 1.
        assert_eq!(centered_frame_count(10, 5, 2), 1 + (10 + 4 - 5) / 2);
        assert_eq!(centered_frame_count(0, 5, 2), 0);
    }

    #[test]
    fn hann_windows_agree() {
        let a = hann_periodic_f64(400);
        let b = hann_periodic_torch_f32(400);
        assert_eq!(a[0], 0.0);
        assert!((a[200] - 1.0).abs() < 1e-15);
        for (x, y) in a.iter().zip(&b) {
            assert!((x - *y as f64).abs() < 5e-7);
        }
    }

    #[test]
    fn zero_padded_frame_pads_with_zeros() {
        let x = [1.0f32, 2.0, 3.0];
        let mut out = [9.0f64; 4];
        zero_padded_frame(&x, 0, 2, &mut out);
        assert_eq!(out, [0.0, 0.0, 1.0, 2.0]);
        zero_padded_frame(&x, 1, 2, &mut out);
        assert_eq!(out, [1.0, 2.0, 3.0, 0.0]);
    }
}
