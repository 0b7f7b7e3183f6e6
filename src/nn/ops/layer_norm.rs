//! LayerNorm over the last dimension with a weight and no bias, fused forward and
//! backward (dx and dw).

use candle_core::{DType, Result, Shape, Tensor, D};
use rayon::prelude::*;

use super::simd::*;
use super::*;

const LN_EPS: f32 = 1e-5;

/// LayerNorm over the last dimension with a weight and no bias, fused; the backward
/// gives both `dx = rstd·(g − mean(g) − x̂·mean(g·x̂))` with `g = dy·w`, and
/// `dw = Σ_rows dy·x̂`.
struct LayerNormW;

impl Kernel for LayerNormW {
    fn name(&self) -> &'static str {
        "lm-layernorm"
    }

    fn fwd2(&self, (x, l1): In, (w, _l2): In) -> Result<(Vec<f32>, Shape)> {
        let n = w.len();
        let mut out = vec![0f32; x.len()];
        let task = rows_per_task(n) * n;
        out.par_chunks_mut(task)
            .zip(x.par_chunks(task))
            .for_each(|(o, xs)| ln_fwd_rows(xs, w, o));
        Ok((out, l1.shape().clone()))
    }

    fn bwd2(&self, x: &Tensor, w: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Grads2> {
        let (x, w, grad) = (x.contiguous()?, w.contiguous()?, grad.contiguous()?);
        let dx = x.apply_op3_no_bwd(&w, &grad, &Fused(LayerNormBackwardX))?;
        let dw = x.apply_op2_no_bwd(&grad, &Fused(LayerNormBackwardW))?;
        Ok((Some(dx), Some(dw)))
    }
}

struct LayerNormBackwardX;

impl Kernel for LayerNormBackwardX {
    fn name(&self) -> &'static str {
        "lm-layernorm-backward-x"
    }

    fn fwd3(&self, (x, l1): In, (w, _l2): In, (dy, _l3): In) -> Result<(Vec<f32>, Shape)> {
        let n = w.len();
        let mut dx = vec![0f32; x.len()];
        let task = rows_per_task(n) * n;
        dx.par_chunks_mut(task)
            .zip(x.par_chunks(task).zip(dy.par_chunks(task)))
            .for_each(|(d, (xs, g))| ln_bwd_x_rows(xs, w, g, d));
        Ok((dx, l1.shape().clone()))
    }
}

struct LayerNormBackwardW;

impl Kernel for LayerNormBackwardW {
    fn name(&self) -> &'static str {
        "lm-layernorm-backward-w"
    }

    fn fwd2(&self, (x, l1): In, (dy, _l2): In) -> Result<(Vec<f32>, Shape)> {
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
        Ok((dw, Shape::from(n)))
    }
}

/// LayerNorm (weight, no bias) over the last dimension, fused on the CPU for f32.
pub fn layer_norm(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    if x.device().is_cpu() && x.dtype() == DType::F32 {
        x.contiguous()?
            .apply_op2(&w.contiguous()?, Fused(LayerNormW))
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
