//! `x · wᵀ` over the last dimension on gemm's kernels (the ones Candle's matmul uses),
//! with the two backward products.

use candle_core::{DType, Result, Shape, Tensor};

use super::*;

/// Candle's thread count as gemm's parallelism (its kernels split one product).
pub(super) fn candle_threads() -> gemm::Parallelism {
    match candle_core::utils::get_num_threads() {
        t if t > 1 => gemm::Parallelism::Rayon(t),
        _ => gemm::Parallelism::None,
    }
}

/// `lhs · rhs` for f32 matrices given by (column stride, row stride), with gemm's
/// kernels (the ones Candle's matmul uses): in parallel with [`candle_threads`], or
/// `gemm::Parallelism::None` inside tasks that already run in parallel.
#[allow(clippy::too_many_arguments)]
pub(super) fn gemm_f32(
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

impl Kernel for Linear {
    fn name(&self) -> &'static str {
        "lm-linear"
    }

    fn fwd2(&self, (x, l1): In, (w, l2): In) -> Result<(Vec<f32>, Shape)> {
        let (n, k) = l2.shape().dims2()?;
        let m = x.len() / k.max(1);
        let y = gemm_f32(m, n, k, x, (1, k), w, (k, 1), candle_threads())?;
        let mut dims = l1.dims().to_vec();
        if let Some(last) = dims.last_mut() {
            *last = n;
        }
        Ok((y, Shape::from(dims)))
    }

    fn bwd2(&self, x: &Tensor, w: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Grads2> {
        let grad = grad.contiguous()?;
        let dx = grad.apply_op2_no_bwd(&w.contiguous()?, &Fused(LinearBackwardX))?;
        let dw = grad.apply_op2_no_bwd(&x.contiguous()?, &Fused(LinearBackwardW))?;
        Ok((Some(dx), Some(dw)))
    }
}

/// dx (…, in) = dy (…, out) · w (out, in).
struct LinearBackwardX;

impl Kernel for LinearBackwardX {
    fn name(&self) -> &'static str {
        "lm-linear-backward-x"
    }

    fn fwd2(&self, (dy, l1): In, (w, l2): In) -> Result<(Vec<f32>, Shape)> {
        let (n, k) = l2.shape().dims2()?;
        let m = dy.len() / n.max(1);
        let dx = gemm_f32(m, k, n, dy, (1, n), w, (1, k), candle_threads())?;
        let mut dims = l1.dims().to_vec();
        if let Some(last) = dims.last_mut() {
            *last = k;
        }
        Ok((dx, Shape::from(dims)))
    }
}

/// dw (out, in) = dyᵀ (out, m) · x (m, in).
struct LinearBackwardW;

impl Kernel for LinearBackwardW {
    fn name(&self) -> &'static str {
        "lm-linear-backward-w"
    }

    fn fwd2(&self, (dy, l1): In, (x, l2): In) -> Result<(Vec<f32>, Shape)> {
        let n = *l1.dims().last().unwrap_or(&1);
        let k = *l2.dims().last().unwrap_or(&1);
        let m = dy.len() / n.max(1);
        let dw = gemm_f32(n, k, m, dy, (n, 1), x, (1, k), candle_threads())?;
        Ok((dw, Shape::from((n, k))))
    }
}

/// `x · wᵀ` over the last dimension of x: fused on the CPU for f32, composed
/// (reshape, transpose, matmul) elsewhere.
pub fn linear(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    if fused_available(x) && w.dtype() == DType::F32 {
        x.contiguous()?.apply_op2(&w.contiguous()?, Fused(Linear))
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
