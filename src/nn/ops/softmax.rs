//! Softmax over the last dimension, and the scaled causal softmax (with ALiBi biases)
//! of attention scores, with their fused backward passes.

use candle_core::{DType, Layout, Result, Shape, Tensor, D};
use rayon::prelude::*;

use super::simd::*;
use super::*;

/// Softmax over the last dimension (the row kernels of [`CausalSoftmax`] on whole rows),
/// with the fused backward `dx = y ⊙ (dy − Σ dy⊙y)`. Used where attention is composed
/// (dropout on the attention weights while training).
struct SoftmaxLastDim;

impl Kernel for SoftmaxLastDim {
    fn name(&self) -> &'static str {
        "lm-softmax"
    }

    fn fwd1(&self, (x, l): In) -> Result<(Vec<f32>, Shape)> {
        let n = *l.dims().last().unwrap_or(&1);
        let mut out = vec![0f32; x.len()];
        // A full row is the causal kernel's last row with no scaling or bias.
        for (row, o) in x.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
            causal_row_fwd(row, o, 1.0, 0.0);
        }
        Ok((out, l.shape().clone()))
    }

    fn bwd1(&self, _arg: &Tensor, res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(res.contiguous()?.apply_op2_no_bwd(
            &grad_res.contiguous()?,
            &Fused(SoftmaxBackward),
        )?))
    }
}

struct SoftmaxBackward;

impl Kernel for SoftmaxBackward {
    fn name(&self) -> &'static str {
        "lm-softmax-backward"
    }

    fn fwd2(&self, (y, l1): In, (dy, _l2): In) -> Result<(Vec<f32>, Shape)> {
        let n = *l1.dims().last().unwrap_or(&1);
        let mut dx = vec![0f32; y.len()];
        for ((yr, dyr), dxr) in y
            .chunks_exact(n)
            .zip(dy.chunks_exact(n))
            .zip(dx.chunks_exact_mut(n))
        {
            causal_row_bwd(yr, dyr, dxr, 1.0);
        }
        Ok((dx, l1.shape().clone()))
    }
}

/// Softmax over the last dimension, fused on the CPU for f32.
pub fn softmax(x: &Tensor) -> Result<Tensor> {
    if x.device().is_cpu() && x.dtype() == DType::F32 {
        x.contiguous()?.apply_op1(Fused(SoftmaxLastDim))
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

simd!(pub(super) causal_row_fwd(x: &[f32], y: &mut [f32], scale: f32, slope: f32) {
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

simd!(pub(super) causal_row_bwd(y: &[f32], dy: &[f32], dx: &mut [f32], scale: f32) {
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

impl Kernel for CausalSoftmax {
    fn name(&self) -> &'static str {
        "lm-causal-softmax"
    }

    fn fwd1(&self, (x, l): In) -> Result<(Vec<f32>, Shape)> {
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
        Ok((out, l.shape().clone()))
    }

    fn bwd1(&self, _arg: &Tensor, res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(res.contiguous()?.apply_op2_no_bwd(
            &grad_res.contiguous()?,
            &Fused(CausalSoftmaxBackward { scale: self.scale }),
        )?))
    }
}

struct CausalSoftmaxBackward {
    scale: f32,
}

impl Kernel for CausalSoftmaxBackward {
    fn name(&self) -> &'static str {
        "lm-causal-softmax-backward"
    }

    fn fwd2(&self, (y, l1): In, (dy, _l2): In) -> Result<(Vec<f32>, Shape)> {
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
        Ok((dx, l1.shape().clone()))
    }
}

/// Scaled, causally masked softmax over attention scores (…, H, T, T), with ALiBi
/// biases when `slopes` is given. CPU/f32 only: callers check [`fused_available`] and
/// use the composed form (scale, additive mask, [`softmax`]) elsewhere.
pub fn causal_softmax(scores: &Tensor, scale: f64, slopes: Option<Vec<f32>>) -> Result<Tensor> {
    scores.contiguous()?.apply_op1(Fused(CausalSoftmax {
        scale: scale as f32,
        slopes,
    }))
}
