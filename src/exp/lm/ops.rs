//! Fused CPU kernels with hand-written backward passes (decision 6: candle's own fused
//! softmax has no backward). Each op falls back to the composed, differentiable form
//! off the CPU or for other dtypes, and each has a finite-difference test.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, DType, Layout, Result, Shape, Tensor, D};

fn f32_slice<'a>(s: &'a CpuStorage, l: &Layout) -> Result<&'a [f32]> {
    let (start, end) = l
        .contiguous_offsets()
        .ok_or_else(|| candle_core::Error::Msg("fused op needs a contiguous input".into()))?;
    Ok(&s.as_slice::<f32>()?[start..end])
}

/// Softmax over the last dimension (the row kernels of [`CausalSoftmax`] on whole rows),
/// with the fused backward `dx = y ⊙ (dy − Σ dy⊙y)`. Used where attention is composed
/// (dropout on the attention weights while training).
struct SoftmaxLastDim;

impl CustomOp1 for SoftmaxLastDim {
    fn name(&self) -> &'static str {
        "lm-softmax"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(s, l)?;
        let n = *l.dims().last().unwrap_or(&1);
        let mut out = vec![0f32; x.len()];
        // A full row is the causal kernel's last row with no scaling or bias.
        for (row, o) in x.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
            causal_row_fwd(row, o, 1.0, 0.0);
        }
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(res.contiguous()?.apply_op2_no_bwd(
            &grad_res.contiguous()?,
            &SoftmaxBackward,
        )?))
    }
}

struct SoftmaxBackward;

impl CustomOp2 for SoftmaxBackward {
    fn name(&self) -> &'static str {
        "lm-softmax-backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let y = f32_slice(s1, l1)?;
        let dy = f32_slice(s2, l2)?;
        let n = *l1.dims().last().unwrap_or(&1);
        let mut dx = vec![0f32; y.len()];
        for ((yr, dyr), dxr) in y
            .chunks_exact(n)
            .zip(dy.chunks_exact(n))
            .zip(dx.chunks_exact_mut(n))
        {
            causal_row_bwd(yr, dyr, dxr, 1.0);
        }
        Ok((CpuStorage::F32(dx), l1.shape().clone()))
    }
}

/// Softmax over the last dimension, fused on the CPU for f32.
pub fn softmax(x: &Tensor) -> Result<Tensor> {
    if x.device().is_cpu() && x.dtype() == DType::F32 {
        x.contiguous()?.apply_op1(SoftmaxLastDim)
    } else {
        softmax_composed(x)
    }
}

/// The same softmax from differentiable tensor ops (the reference for the tests).
pub fn softmax_composed(x: &Tensor) -> Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let e = x.broadcast_sub(&max)?.exp()?;
    e.broadcast_div(&e.sum_keepdim(D::Minus1)?)
}

const LN_EPS: f32 = 1e-5;

/// LayerNorm over the last dimension with a weight and no bias, fused; the backward
/// gives both `dx = rstd·(g − mean(g) − x̂·mean(g·x̂))` with `g = dy·w`, and
/// `dw = Σ_rows dy·x̂`.
struct LayerNormW;

impl CustomOp2 for LayerNormW {
    fn name(&self) -> &'static str {
        "lm-layernorm"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        use rayon::prelude::*;
        let x = f32_slice(s1, l1)?;
        let w = f32_slice(s2, l2)?;
        let n = w.len();
        let mut out = vec![0f32; x.len()];
        let task = rows_per_task(n) * n;
        out.par_chunks_mut(task)
            .zip(x.par_chunks(task))
            .for_each(|(o, xs)| ln_fwd_rows(xs, w, o));
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (x, w, grad) = (x.contiguous()?, w.contiguous()?, grad.contiguous()?);
        let dx = x.apply_op3_no_bwd(&w, &grad, &LayerNormBackwardX)?;
        let dw = x.apply_op2_no_bwd(&grad, &LayerNormBackwardW)?;
        Ok((Some(dx), Some(dw)))
    }
}

struct LayerNormBackwardX;

impl candle_core::CustomOp3 for LayerNormBackwardX {
    fn name(&self) -> &'static str {
        "lm-layernorm-backward-x"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        use rayon::prelude::*;
        let x = f32_slice(s1, l1)?;
        let w = f32_slice(s2, l2)?;
        let dy = f32_slice(s3, l3)?;
        let n = w.len();
        let mut dx = vec![0f32; x.len()];
        let task = rows_per_task(n) * n;
        dx.par_chunks_mut(task)
            .zip(x.par_chunks(task).zip(dy.par_chunks(task)))
            .for_each(|(d, (xs, g))| ln_bwd_x_rows(xs, w, g, d));
        Ok((CpuStorage::F32(dx), l1.shape().clone()))
    }
}

struct LayerNormBackwardW;

impl CustomOp2 for LayerNormBackwardW {
    fn name(&self) -> &'static str {
        "lm-layernorm-backward-w"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        use rayon::prelude::*;
        let x = f32_slice(s1, l1)?;
        let dy = f32_slice(s2, l2)?;
        let n = *l1.dims().last().unwrap_or(&1);
        let task = rows_per_task(n) * n;
        // A partial sum per task, then the partial sums added.
        let dw = x
            .par_chunks(task)
            .zip(dy.par_chunks(task))
            .map(|(xs, g)| {
                let mut part = vec![0f32; n];
                ln_bwd_w_rows(xs, g, &mut part);
                part
            })
            .reduce(
                || vec![0f32; n],
                |mut a, b| {
                    for (p, q) in a.iter_mut().zip(&b) {
                        *p += q;
                    }
                    a
                },
            );
        Ok((CpuStorage::F32(dw), Shape::from(n)))
    }
}

/// LayerNorm (weight, no bias) over the last dimension, fused on the CPU for f32.
pub fn layer_norm(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    if x.device().is_cpu() && x.dtype() == DType::F32 {
        x.contiguous()?.apply_op2(&w.contiguous()?, LayerNormW)
    } else {
        layer_norm_composed(x, w)
    }
}

/// The same LayerNorm from differentiable tensor ops (the reference for the tests).
pub fn layer_norm_composed(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    let mean = x.mean_keepdim(D::Minus1)?;
    let xc = x.broadcast_sub(&mean)?;
    let var = xc.sqr()?.mean_keepdim(D::Minus1)?;
    xc.broadcast_div(&(var + LN_EPS as f64)?.sqrt()?)?
        .broadcast_mul(w)
}

// ---------------------------------------------------------------------------------
// Vectorisable math. The kernels below are written as straight-line arithmetic on
// slices so that LLVM turns them into SIMD code; `simd!` compiles each kernel a second
// time for AVX2+FMA and for AVX-512 and picks the widest the CPU has at run time.

/// eˣ for f32 (Cephes `expf`: range reduction by ln 2, degree-6 polynomial; relative
/// error ≈ 1e-7 over [-87, 88]; inputs below -87 give ≈ 1e-38 instead of 0).
#[inline(always)]
fn exp_f32(x: f32) -> f32 {
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
fn lanes_sum(v: &[f32]) -> f32 {
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
fn lanes_max(v: &[f32]) -> f32 {
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
fn lanes_dot(a: &[f32], b: &[f32]) -> f32 {
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
fn phi_cdf_pdf(x: f32) -> (f32, f32) {
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
    ($name:ident ( $($arg:ident : $ty:ty),* ) $body:block) => {
        fn $name($($arg: $ty),*) {
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

/// Elements per parallel task: big enough that scheduling costs nothing.
const PAR_CHUNK: usize = 1 << 15;

simd!(gelu_fwd_kernel(x: &[f32], y: &mut [f32]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = xi * phi_cdf_pdf(xi).0;
    }
});

simd!(gelu_bwd_kernel(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    for ((d, &xi), &g) in dx.iter_mut().zip(x).zip(dy) {
        let (cdf, pdf) = phi_cdf_pdf(xi);
        *d = g * (cdf + xi * pdf);
    }
});

/// Exact (erf) GELU, `x·Φ(x)`, with a one-pass backward `dy·(Φ(x) + x·φ(x))`.
struct Gelu;

impl CustomOp1 for Gelu {
    fn name(&self) -> &'static str {
        "lm-gelu"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        use rayon::prelude::*;
        let x = f32_slice(s, l)?;
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(PAR_CHUNK)
            .zip(x.par_chunks(PAR_CHUNK))
            .for_each(|(o, xi)| gelu_fwd_kernel(xi, o));
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(arg.contiguous()?.apply_op2_no_bwd(
            &grad_res.contiguous()?,
            &GeluBackward,
        )?))
    }
}

struct GeluBackward;

impl CustomOp2 for GeluBackward {
    fn name(&self) -> &'static str {
        "lm-gelu-backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        use rayon::prelude::*;
        let x = f32_slice(s1, l1)?;
        let dy = f32_slice(s2, l2)?;
        let mut dx = vec![0f32; x.len()];
        dx.par_chunks_mut(PAR_CHUNK)
            .zip(x.par_chunks(PAR_CHUNK).zip(dy.par_chunks(PAR_CHUNK)))
            .for_each(|(d, (xi, g))| gelu_bwd_kernel(xi, g, d));
        Ok((CpuStorage::F32(dx), l1.shape().clone()))
    }
}

/// Whether the fused CPU kernels apply to this tensor (CPU, f32); elsewhere (CUDA,
/// other dtypes) the composed, differentiable forms run instead.
pub fn fused_available(x: &Tensor) -> bool {
    x.device().is_cpu() && x.dtype() == DType::F32
}

/// Exact GELU, fused on the CPU for f32.
pub fn gelu(x: &Tensor) -> Result<Tensor> {
    if fused_available(x) {
        x.contiguous()?.apply_op1(Gelu)
    } else {
        x.gelu_erf()
    }
}

simd!(causal_row_fwd(x: &[f32], y: &mut [f32], scale: f32, slope: f32) {
    // Keys 0..=i are visible (x.len() = i + 1); the rest of the row stays 0.
    let i = x.len() as f32 - 1.0;
    for (j, (yj, &xj)) in y.iter_mut().zip(x).enumerate() {
        *yj = xj * scale - slope * (i - j as f32);
    }
    let max = lanes_max(y);
    for yj in y.iter_mut() {
        *yj = exp_f32(*yj - max);
    }
    let inv = 1.0 / lanes_sum(y);
    for yj in y.iter_mut() {
        *yj *= inv;
    }
});

simd!(causal_row_bwd(y: &[f32], dy: &[f32], dx: &mut [f32], scale: f32) {
    let dot = lanes_dot(y, dy);
    for ((d, &a), &b) in dx.iter_mut().zip(y).zip(dy) {
        *d = scale * a * (b - dot);
    }
});

/// Causal attention weights from raw scores (…, H, T, T): `softmax_j≤i(scale·s_ij −
/// slope_h·(i − j))`, zero above the diagonal. `slopes` (one per head) adds ALiBi.
/// The backward is `scale · y ⊙ (dy − Σ_j dy⊙y)` on the visible part.
struct CausalSoftmax {
    scale: f32,
    slopes: Option<Vec<f32>>,
}

impl CausalSoftmax {
    /// (T, H) of a contiguous (…, H, T, T) layout.
    fn dims(l: &Layout) -> Result<(usize, usize)> {
        let d = l.dims();
        if d.len() < 3 || d[d.len() - 1] != d[d.len() - 2] {
            return Err(candle_core::Error::Msg(format!(
                "causal softmax wants (…, H, T, T) scores, got {d:?}"
            )));
        }
        Ok((d[d.len() - 1], d[d.len() - 3]))
    }

    fn slope(&self, head: usize) -> f32 {
        self.slopes.as_ref().map_or(0.0, |s| s[head % s.len()])
    }
}

impl CustomOp1 for CausalSoftmax {
    fn name(&self) -> &'static str {
        "lm-causal-softmax"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        use rayon::prelude::*;
        let x = f32_slice(s, l)?;
        let (t, h) = Self::dims(l)?;
        let mut out = vec![0f32; x.len()];
        // One task per (batch, head) matrix.
        out.par_chunks_mut(t * t)
            .zip(x.par_chunks(t * t))
            .enumerate()
            .for_each(|(m, (o, xm))| {
                let slope = self.slope(m % h);
                for i in 0..t {
                    let row = i * t;
                    causal_row_fwd(
                        &xm[row..row + i + 1],
                        &mut o[row..row + i + 1],
                        self.scale,
                        slope,
                    );
                }
            });
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(res.contiguous()?.apply_op2_no_bwd(
            &grad_res.contiguous()?,
            &CausalSoftmaxBackward { scale: self.scale },
        )?))
    }
}

struct CausalSoftmaxBackward {
    scale: f32,
}

impl CustomOp2 for CausalSoftmaxBackward {
    fn name(&self) -> &'static str {
        "lm-causal-softmax-backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        use rayon::prelude::*;
        let y = f32_slice(s1, l1)?;
        let dy = f32_slice(s2, l2)?;
        let (t, _) = CausalSoftmax::dims(l1)?;
        let mut dx = vec![0f32; y.len()];
        dx.par_chunks_mut(t * t)
            .zip(y.par_chunks(t * t).zip(dy.par_chunks(t * t)))
            .for_each(|(d, (ym, gm))| {
                for i in 0..t {
                    let r = i * t..i * t + i + 1;
                    causal_row_bwd(&ym[r.clone()], &gm[r.clone()], &mut d[r], self.scale);
                }
            });
        Ok((CpuStorage::F32(dx), l1.shape().clone()))
    }
}

/// Scaled, causally masked softmax over attention scores (…, H, T, T), with ALiBi
/// biases when `slopes` is given. CPU/f32 only: callers check [`fused_available`] and
/// use the composed form (scale, additive mask, [`softmax`]) elsewhere.
pub fn causal_softmax(scores: &Tensor, scale: f64, slopes: Option<Vec<f32>>) -> Result<Tensor> {
    scores.contiguous()?.apply_op1(CausalSoftmax {
        scale: scale as f32,
        slopes,
    })
}

/// Rows per parallel task for rows of `n` elements.
fn rows_per_task(n: usize) -> usize {
    (PAR_CHUNK / n.max(1)).max(1)
}

/// Mean and 1/σ of one row (biased variance, as LayerNorm).
#[inline(always)]
fn row_moments(row: &[f32]) -> (f32, f32) {
    let n = row.len() as f32;
    let mean = lanes_sum(row) / n;
    let mut acc = [0f32; 16];
    let mut chunks = row.chunks_exact(16);
    for c in &mut chunks {
        for k in 0..16 {
            acc[k] += (c[k] - mean) * (c[k] - mean);
        }
    }
    let tail: f32 = chunks
        .remainder()
        .iter()
        .map(|v| (v - mean) * (v - mean))
        .sum();
    let var = (tail + acc.iter().sum::<f32>()) / n;
    (mean, 1.0 / (var + LN_EPS).sqrt())
}

simd!(ln_fwd_rows(x: &[f32], w: &[f32], out: &mut [f32]) {
    let n = w.len();
    for (row, o) in x.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
        let (mean, rstd) = row_moments(row);
        for ((oi, &xi), &wi) in o.iter_mut().zip(row).zip(w) {
            *oi = (xi - mean) * rstd * wi;
        }
    }
});

simd!(ln_bwd_x_rows(x: &[f32], w: &[f32], dy: &[f32], dx: &mut [f32]) {
    // dx = rstd·(g − mean(g) − x̂·mean(g·x̂)), g = dy·w, x̂ = (x − mean)·rstd.
    let n = w.len();
    let nf = n as f32;
    for ((row, g), d) in x.chunks_exact(n).zip(dy.chunks_exact(n)).zip(dx.chunks_exact_mut(n)) {
        let (mean, rstd) = row_moments(row);
        // d temporarily holds g = dy·w.
        for ((di, &gi), &wi) in d.iter_mut().zip(g).zip(w) {
            *di = gi * wi;
        }
        let mg = lanes_sum(d) / nf;
        let mut acc = [0f32; 16];
        let mut cd = d.chunks_exact(16);
        let mut cx = row.chunks_exact(16);
        for (a, b) in (&mut cd).zip(&mut cx) {
            for k in 0..16 {
                acc[k] += a[k] * (b[k] - mean);
            }
        }
        let tail: f32 = cd.remainder().iter().zip(cx.remainder()).map(|(a, b)| a * (b - mean)).sum();
        let mgx = (tail + acc.iter().sum::<f32>()) * rstd / nf;
        for (di, &xi) in d.iter_mut().zip(row) {
            let xhat = (xi - mean) * rstd;
            *di = rstd * (*di - mg - xhat * mgx);
        }
    }
});

simd!(ln_bwd_w_rows(x: &[f32], dy: &[f32], dw: &mut [f32]) {
    // dw += Σ_rows dy·x̂
    let n = dw.len();
    for (row, g) in x.chunks_exact(n).zip(dy.chunks_exact(n)) {
        let (mean, rstd) = row_moments(row);
        for ((w, &gi), &xi) in dw.iter_mut().zip(g).zip(row) {
            *w += gi * (xi - mean) * rstd;
        }
    }
});

/// `lhs · rhs` for f32 matrices given by (column stride, row stride), with gemm's
/// kernels (the ones Candle's matmul uses), parallel over Candle's thread count.
fn gemm_f32(
    m: usize,
    n: usize,
    k: usize,
    lhs: &[f32],
    ls: (usize, usize),
    rhs: &[f32],
    rs: (usize, usize),
) -> Result<Vec<f32>> {
    let threads = candle_core::utils::get_num_threads();
    let parallelism = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    gemm_with(m, n, k, lhs, ls, rhs, rs, parallelism)
}

/// [`gemm_f32`] with the given parallelism (`None` inside tasks already run in parallel).
#[allow(clippy::too_many_arguments)]
fn gemm_with(
    m: usize,
    n: usize,
    k: usize,
    lhs: &[f32],
    (lhs_cs, lhs_rs): (usize, usize),
    rhs: &[f32],
    (rhs_cs, rhs_rs): (usize, usize),
    parallelism: gemm::Parallelism,
) -> Result<Vec<f32>> {
    let last = |cs: usize, rs: usize, rows: usize, cols: usize| {
        (rows.saturating_sub(1)) * rs + (cols.saturating_sub(1)) * cs + 1
    };
    if m * k > 0 && lhs.len() < last(lhs_cs, lhs_rs, m, k)
        || k * n > 0 && rhs.len() < last(rhs_cs, rhs_rs, k, n)
    {
        return Err(candle_core::Error::Msg(
            "fused linear: operand smaller than its shape".into(),
        ));
    }
    let mut dst = vec![0f32; m * n];
    if m == 0 || n == 0 {
        return Ok(dst);
    }
    // SAFETY: every index gemm reads is inside `lhs`/`rhs` (checked above against the
    // strides and shapes), `dst` is a fresh contiguous m×n buffer written with row
    // stride n, and nothing else aliases it.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            false,
            lhs.as_ptr(),
            lhs_cs as isize,
            lhs_rs as isize,
            rhs.as_ptr(),
            rhs_cs as isize,
            rhs_rs as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
    Ok(dst)
}

/// `y = x · wᵀ` for x (…, in) and w (out, in), as one GEMM over all leading positions;
/// the backward gives `dx = dy · w` and `dw = dyᵀ · x` directly, without the transpose
/// and reshape nodes (each a zero-filled gradient buffer plus an add in Candle's
/// backward) that the composed form puts in the graph.
struct Linear;

impl CustomOp2 for Linear {
    fn name(&self) -> &'static str {
        "lm-linear"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(s1, l1)?;
        let w = f32_slice(s2, l2)?;
        let (n, k) = l2.shape().dims2()?;
        let m = x.len() / k.max(1);
        let y = gemm_f32(m, n, k, x, (1, k), w, (k, 1))?;
        let mut dims = l1.dims().to_vec();
        if let Some(last) = dims.last_mut() {
            *last = n;
        }
        Ok((CpuStorage::F32(y), Shape::from(dims)))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let dx = grad.apply_op2_no_bwd(&w.contiguous()?, &LinearBackwardX)?;
        let dw = grad.apply_op2_no_bwd(&x.contiguous()?, &LinearBackwardW)?;
        Ok((Some(dx), Some(dw)))
    }
}

/// dx (…, in) = dy (…, out) · w (out, in).
struct LinearBackwardX;

impl CustomOp2 for LinearBackwardX {
    fn name(&self) -> &'static str {
        "lm-linear-backward-x"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let dy = f32_slice(s1, l1)?;
        let w = f32_slice(s2, l2)?;
        let (n, k) = l2.shape().dims2()?;
        let m = dy.len() / n.max(1);
        let dx = gemm_f32(m, k, n, dy, (1, n), w, (1, k))?;
        let mut dims = l1.dims().to_vec();
        if let Some(last) = dims.last_mut() {
            *last = k;
        }
        Ok((CpuStorage::F32(dx), Shape::from(dims)))
    }
}

/// dw (out, in) = dyᵀ (out, m) · x (m, in).
struct LinearBackwardW;

impl CustomOp2 for LinearBackwardW {
    fn name(&self) -> &'static str {
        "lm-linear-backward-w"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let dy = f32_slice(s1, l1)?;
        let x = f32_slice(s2, l2)?;
        let n = *l1.dims().last().unwrap_or(&1);
        let k = *l2.dims().last().unwrap_or(&1);
        let m = dy.len() / n.max(1);
        let dw = gemm_f32(n, k, m, dy, (n, 1), x, (1, k))?;
        Ok((CpuStorage::F32(dw), Shape::from((n, k))))
    }
}

/// `x · wᵀ` over the last dimension of x: fused on the CPU for f32, composed
/// (reshape, transpose, matmul) elsewhere.
pub fn linear(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    if fused_available(x) && w.dtype() == DType::F32 {
        x.contiguous()?.apply_op2(&w.contiguous()?, Linear)
    } else {
        linear_composed(x, w)
    }
}

/// The same product from differentiable tensor ops (the reference for the tests).
pub fn linear_composed(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    let mut dims = x.dims().to_vec();
    let inner = dims.pop().unwrap_or(1);
    let rows: usize = dims.iter().product();
    let y = x.reshape((rows, inner))?.matmul(&w.t()?)?;
    dims.push(w.dim(0)?);
    y.reshape(dims)
}

/// What the fused attention's forward keeps for its backward: per (batch, head), the
/// queries and keys (after RoPE), the values and the attention weights, contiguous.
struct AttnSaved {
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    p: Vec<f32>,
}

/// Causal multi-head self-attention from the packed projections qkv (B, T, 3C) to the
/// heads' outputs (B, T, C), in one op: split into heads, optional RoPE on q and k,
/// `P = softmax_causal(scale·q·kᵀ − ALiBi)`, `y = P·v`, heads merged. Its backward is
/// the textbook one — `dv = Pᵀ·dy`, `dP = dy·vᵀ`, `dS = scale·P ⊙ (dP − rowsum(dP ⊙ P))`,
/// `dq = dS·k`, `dk = dSᵀ·q`, RoPE rotated back — and gives dqkv in one tensor, where the
/// composed graph has a dozen nodes, each a zero-filled gradient buffer and an add.
pub struct Attention {
    pub n_head: usize,
    pub scale: f32,
    /// ALiBi slopes, one per head.
    pub slopes: Option<Vec<f32>>,
    /// RoPE tables (positions × hs/2): cos, sin.
    pub rope: Option<(Vec<f32>, Vec<f32>)>,
    saved: std::sync::Mutex<Option<std::sync::Arc<AttnSaved>>>,
}

impl Attention {
    pub fn new(
        n_head: usize,
        scale: f32,
        slopes: Option<Vec<f32>>,
        rope: Option<(Vec<f32>, Vec<f32>)>,
    ) -> Attention {
        Attention {
            n_head,
            scale,
            slopes,
            rope,
            saved: std::sync::Mutex::new(None),
        }
    }

    /// (B, T, C) of a (B, T, 3C) layout.
    fn dims(&self, l: &Layout) -> Result<(usize, usize, usize)> {
        let (b, t, c3) = l.shape().dims3()?;
        if c3 % 3 != 0 || (c3 / 3) % self.n_head != 0 {
            return Err(candle_core::Error::Msg(format!(
                "fused attention wants (B, T, 3C) with C a multiple of {} heads, got {:?}",
                self.n_head,
                l.dims()
            )));
        }
        if let Some((cos, _)) = &self.rope {
            let half = c3 / 3 / self.n_head / 2;
            if cos.len() < t * half {
                return Err(candle_core::Error::Msg(format!(
                    "fused attention: RoPE tables cover fewer than {t} positions"
                )));
            }
        }
        Ok((b, t, c3 / 3))
    }

    /// Rotate each row's two halves by the position's angles (sign −1: the inverse).
    fn rotate(&self, m: &mut [f32], hs: usize, sign: f32) {
        let Some((cos, sin)) = &self.rope else {
            return;
        };
        let half = hs / 2;
        for (pos, row) in m.chunks_exact_mut(hs).enumerate() {
            let (c, s) = (&cos[pos * half..][..half], &sin[pos * half..][..half]);
            let (x1, x2) = row.split_at_mut(half);
            for i in 0..half {
                let (a, b) = (x1[i], x2[i]);
                x1[i] = a * c[i] - sign * b * s[i];
                x2[i] = sign * a * s[i] + b * c[i];
            }
        }
    }

    fn slope(&self, head: usize) -> f32 {
        self.slopes.as_ref().map_or(0.0, |s| s[head % s.len()])
    }
}

/// Rows t of columns [col, col + hs) of a (T, stride) matrix, as a contiguous T×hs block.
fn gather(src: &[f32], t: usize, stride: usize, col: usize, hs: usize, dst: &mut [f32]) {
    for (i, row) in dst.chunks_exact_mut(hs).take(t).enumerate() {
        row.copy_from_slice(&src[i * stride + col..][..hs]);
    }
}

fn scatter(src: &[f32], t: usize, stride: usize, col: usize, hs: usize, dst: &mut [f32]) {
    for (i, row) in src.chunks_exact(hs).take(t).enumerate() {
        dst[i * stride + col..][..hs].copy_from_slice(row);
    }
}

/// One (batch, head) block's product, with no threads of its own (the caller runs
/// blocks in parallel).
fn gemm_serial(
    m: usize,
    n: usize,
    k: usize,
    lhs: &[f32],
    ls: (usize, usize),
    rhs: &[f32],
    rs: (usize, usize),
) -> Result<Vec<f32>> {
    gemm_with(m, n, k, lhs, ls, rhs, rs, gemm::Parallelism::None)
}

impl CustomOp1 for Attention {
    fn name(&self) -> &'static str {
        "lm-attention"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        use rayon::prelude::*;
        let x = f32_slice(s, l)?;
        let (b, t, c) = self.dims(l)?;
        let nh = self.n_head;
        let hs = c / nh;
        let blk = t * hs;
        let (mut q, mut k, mut v) = (
            vec![0f32; b * nh * blk],
            vec![0f32; b * nh * blk],
            vec![0f32; b * nh * blk],
        );
        let mut p = vec![0f32; b * nh * t * t];
        let mut yh = vec![0f32; b * nh * blk];
        q.par_chunks_mut(blk)
            .zip(k.par_chunks_mut(blk))
            .zip(v.par_chunks_mut(blk))
            .zip(p.par_chunks_mut(t * t).zip(yh.par_chunks_mut(blk)))
            .enumerate()
            .try_for_each(|(bh, (((qb, kb), vb), (pb, yb)))| -> Result<()> {
                let (bi, h) = (bh / nh, bh % nh);
                let xb = &x[bi * t * 3 * c..][..t * 3 * c];
                gather(xb, t, 3 * c, h * hs, hs, qb);
                gather(xb, t, 3 * c, c + h * hs, hs, kb);
                gather(xb, t, 3 * c, 2 * c + h * hs, hs, vb);
                self.rotate(qb, hs, 1.0);
                self.rotate(kb, hs, 1.0);
                // S = q·kᵀ (rows of k read as columns).
                let sc = gemm_serial(t, t, hs, qb, (1, hs), kb, (hs, 1))?;
                let slope = self.slope(h);
                for i in 0..t {
                    let r = i * t..i * t + i + 1;
                    causal_row_fwd(&sc[r.clone()], &mut pb[r], self.scale, slope);
                }
                yb.copy_from_slice(&gemm_serial(t, hs, t, pb, (1, t), vb, (1, hs))?);
                Ok(())
            })?;
        // Heads merged back: (B, H, T, hs) → (B, T, C).
        let mut y = vec![0f32; b * t * c];
        for (bh, yb) in yh.chunks_exact(blk).enumerate() {
            let (bi, h) = (bh / nh, bh % nh);
            scatter(yb, t, c, h * hs, hs, &mut y[bi * t * c..][..t * c]);
        }
        if let Ok(mut slot) = self.saved.lock() {
            *slot = Some(std::sync::Arc::new(AttnSaved { q, k, v, p }));
        }
        Ok((CpuStorage::F32(y), Shape::from((b, t, c))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let saved = self.saved.lock().ok().and_then(|mut s| s.take());
        let saved = match saved {
            Some(s) => s,
            None => {
                // Backward twice through the same graph: run the forward again.
                arg.detach().contiguous()?.apply_op1_no_bwd(self)?;
                self.saved
                    .lock()
                    .ok()
                    .and_then(|mut s| s.take())
                    .ok_or_else(|| {
                        candle_core::Error::Msg("fused attention: no saved state".into())
                    })?
            }
        };
        let (b, t, c3) = arg.dims3()?;
        let back = AttentionBackward {
            fwd: self,
            saved,
            dims: (b, t, c3 / 3),
        };
        Ok(Some(grad.contiguous()?.apply_op1_no_bwd(&back)?))
    }
}

struct AttentionBackward<'a> {
    fwd: &'a Attention,
    saved: std::sync::Arc<AttnSaved>,
    dims: (usize, usize, usize),
}

impl CustomOp1 for AttentionBackward<'_> {
    fn name(&self) -> &'static str {
        "lm-attention-backward"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        use rayon::prelude::*;
        let dy = f32_slice(s, l)?;
        let (b, t, c) = self.dims;
        let nh = self.fwd.n_head;
        let hs = c / nh;
        let blk = t * hs;
        let sv = &self.saved;
        // Per (batch, head): dq, dk, dv as contiguous T×hs blocks.
        let mut dq = vec![0f32; b * nh * blk];
        let mut dk = vec![0f32; b * nh * blk];
        let mut dv = vec![0f32; b * nh * blk];
        dq.par_chunks_mut(blk)
            .zip(dk.par_chunks_mut(blk))
            .zip(dv.par_chunks_mut(blk))
            .enumerate()
            .try_for_each(|(bh, ((dqb, dkb), dvb))| -> Result<()> {
                let (bi, h) = (bh / nh, bh % nh);
                let (qb, kb, vb) = (
                    &sv.q[bh * blk..][..blk],
                    &sv.k[bh * blk..][..blk],
                    &sv.v[bh * blk..][..blk],
                );
                let pb = &sv.p[bh * t * t..][..t * t];
                let mut g = vec![0f32; blk];
                gather(&dy[bi * t * c..][..t * c], t, c, h * hs, hs, &mut g);
                // dv = Pᵀ·dy
                dvb.copy_from_slice(&gemm_serial(t, hs, t, pb, (t, 1), &g, (1, hs))?);
                // dP = dy·vᵀ, then dS in place.
                let mut ds = gemm_serial(t, t, hs, &g, (1, hs), vb, (hs, 1))?;
                for i in 0..t {
                    let r = i * t..i * t + i + 1;
                    let dp_row = ds[r.clone()].to_vec();
                    causal_row_bwd(&pb[r.clone()], &dp_row, &mut ds[r], self.fwd.scale);
                    ds[i * t + i + 1..(i + 1) * t].fill(0.0);
                }
                // dq = dS·k, dk = dSᵀ·q (in the rotated frame), rotated back.
                dqb.copy_from_slice(&gemm_serial(t, hs, t, &ds, (1, t), kb, (1, hs))?);
                dkb.copy_from_slice(&gemm_serial(t, hs, t, &ds, (t, 1), qb, (1, hs))?);
                self.fwd.rotate(dqb, hs, -1.0);
                self.fwd.rotate(dkb, hs, -1.0);
                Ok(())
            })?;
        let mut dx = vec![0f32; b * t * 3 * c];
        for bh in 0..b * nh {
            let (bi, h) = (bh / nh, bh % nh);
            let out = &mut dx[bi * t * 3 * c..][..t * 3 * c];
            scatter(&dq[bh * blk..][..blk], t, 3 * c, h * hs, hs, out);
            scatter(&dk[bh * blk..][..blk], t, 3 * c, c + h * hs, hs, out);
            scatter(&dv[bh * blk..][..blk], t, 3 * c, 2 * c + h * hs, hs, out);
        }
        Ok((CpuStorage::F32(dx), Shape::from((b, t, 3 * c))))
    }
}

/// Fused causal self-attention on packed projections (see [`Attention`]); CPU and f32
/// only — callers check [`fused_available`].
pub fn attention(qkv: &Tensor, op: Attention) -> Result<Tensor> {
    qkv.contiguous()?.apply_op1(op)
}
