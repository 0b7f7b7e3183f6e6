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

/// Softmax over the last dimension: one pass per row for the forward, and a fused
/// backward `dx = y ⊙ (dy − Σ dy⊙y)`.
struct SoftmaxLastDim;

impl CustomOp1 for SoftmaxLastDim {
    fn name(&self) -> &'static str {
        "lm-softmax"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(s, l)?;
        let n = *l.dims().last().unwrap_or(&1);
        let mut out = vec![0f32; x.len()];
        for (row, o) in x.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0f32;
            for (xi, oi) in row.iter().zip(o.iter_mut()) {
                let e = (xi - max).exp();
                *oi = e;
                sum += e;
            }
            let inv = 1.0 / sum;
            for oi in o.iter_mut() {
                *oi *= inv;
            }
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
            let dot: f32 = yr.iter().zip(dyr).map(|(a, b)| a * b).sum();
            for ((d, a), b) in dxr.iter_mut().zip(yr).zip(dyr) {
                *d = a * (b - dot);
            }
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
