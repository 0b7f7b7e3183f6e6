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

const LN_EPS: f32 = 1e-5;

/// Mean and 1/σ of one row.
fn moments(row: &[f32]) -> (f32, f32) {
    let n = row.len() as f32;
    let mean = row.iter().sum::<f32>() / n;
    let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
    (mean, 1.0 / (var + LN_EPS).sqrt())
}

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
        let x = f32_slice(s1, l1)?;
        let w = f32_slice(s2, l2)?;
        let n = w.len();
        let mut out = vec![0f32; x.len()];
        for (row, o) in x.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
            let (mean, rstd) = moments(row);
            for ((oi, xi), wi) in o.iter_mut().zip(row).zip(w) {
                *oi = (xi - mean) * rstd * wi;
            }
        }
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
        let x = f32_slice(s1, l1)?;
        let w = f32_slice(s2, l2)?;
        let dy = f32_slice(s3, l3)?;
        let n = w.len();
        let nf = n as f32;
        let mut dx = vec![0f32; x.len()];
        let mut g = vec![0f32; n];
        for ((row, dyr), dxr) in x
            .chunks_exact(n)
            .zip(dy.chunks_exact(n))
            .zip(dx.chunks_exact_mut(n))
        {
            let (mean, rstd) = moments(row);
            let (mut sum_g, mut sum_gx) = (0f32, 0f32);
            for i in 0..n {
                g[i] = dyr[i] * w[i];
                sum_g += g[i];
                sum_gx += g[i] * (row[i] - mean) * rstd;
            }
            let (mg, mgx) = (sum_g / nf, sum_gx / nf);
            for i in 0..n {
                let xhat = (row[i] - mean) * rstd;
                dxr[i] = rstd * (g[i] - mg - xhat * mgx);
            }
        }
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
        let x = f32_slice(s1, l1)?;
        let dy = f32_slice(s2, l2)?;
        let n = *l1.dims().last().unwrap_or(&1);
        let mut dw = vec![0f32; n];
        for (row, dyr) in x.chunks_exact(n).zip(dy.chunks_exact(n)) {
            let (mean, rstd) = moments(row);
            for i in 0..n {
                dw[i] += dyr[i] * (row[i] - mean) * rstd;
            }
        }
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
