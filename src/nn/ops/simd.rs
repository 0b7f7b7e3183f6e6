//! The vectorisable math under the fused kernels. The kernels are written as
//! straight-line arithmetic on slices so that LLVM turns them into SIMD code; `simd!`
//! compiles each kernel a second time for AVX2+FMA and for AVX-512 and picks the
//! widest the CPU has at run time.

/// eˣ for f32 (Cephes `expf`: range reduction by ln 2, degree-6 polynomial; relative
/// error ≈ 1e-7 over [-87, 88]; inputs below -87 give ≈ 1e-38 instead of 0).
#[inline(always)]
pub(super) fn exp_f32(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let fx = (x * std::f32::consts::LOG2_E + 0.5).floor();
    let r = x - fx * 0.693_359_4 + fx * 2.121_944_4e-4;
    let z = r * r;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let y = p * z + r + 1.0;
    // 2^fx without a float→int conversion: adding 1.5·2²³ puts the integer fx + 127
    // (in 1..=254) into the low mantissa bits; shifting them into the exponent field
    // pushes everything else out.
    let biased = (fx + (12_582_912.0 + 127.0)).to_bits();
    y * f32::from_bits(biased << 23)
}

/// Sum, maximum and dot product with 16 independent accumulators: float reductions
/// are not reassociated by the compiler, so a plain `.sum()` stays scalar.
#[inline(always)]
pub(super) fn lanes_sum(v: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let mut chunks = v.chunks_exact(16);
    for c in &mut chunks {
        for k in 0..16 {
            acc[k] += c[k];
        }
    }
    chunks.remainder().iter().sum::<f32>() + acc.iter().sum::<f32>()
}

#[inline(always)]
pub(super) fn lanes_max(v: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; 16];
    let mut chunks = v.chunks_exact(16);
    for c in &mut chunks {
        for k in 0..16 {
            acc[k] = acc[k].max(c[k]);
        }
    }
    let tail = chunks
        .remainder()
        .iter()
        .copied()
        .fold(f32::NEG_INFINITY, f32::max);
    acc.iter().copied().fold(tail, f32::max)
}

#[inline(always)]
pub(super) fn lanes_dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let mut ca = a.chunks_exact(16);
    let mut cb = b.chunks_exact(16);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for k in 0..16 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    tail + acc.iter().sum::<f32>()
}

/// Φ(x) (the normal CDF) and φ(x) (its density) together, from one exponential:
/// erf by Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7), as PyTorch's
/// vectorised CPU `erf` does.
#[inline(always)]
pub(super) fn phi_cdf_pdf(x: f32) -> (f32, f32) {
    let z = x * std::f32::consts::FRAC_1_SQRT_2;
    let az = z.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * az);
    let e = exp_f32(-z * z);
    let poly = ((((1.061_405_4 * t - 1.453_152_1) * t + 1.421_413_8) * t - 0.284_496_74) * t
        + 0.254_829_6)
        * t;
    let erf_abs = 1.0 - poly * e;
    let erf = if z < 0.0 { -erf_abs } else { erf_abs };
    (0.5 * (1.0 + erf), e * 0.398_942_3)
}

/// Compile `$body` (a fn over slices) three times — baseline, AVX2+FMA, AVX-512 — and
/// call the widest one this CPU supports.
macro_rules! simd {
    ($vis:vis $name:ident ( $($arg:ident : $ty:ty),* ) $body:block) => {
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn body($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
                fn v4($($arg: $ty),*) { body($($arg),*) }
                #[target_feature(enable = "avx2,fma")]
                fn v3($($arg: $ty),*) { body($($arg),*) }
                if std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                {
                    // SAFETY: the CPU was just checked for every feature `v4` enables.
                    return unsafe { v4($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU was just checked for AVX2 and FMA.
                    return unsafe { v3($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}

pub(super) use simd;
