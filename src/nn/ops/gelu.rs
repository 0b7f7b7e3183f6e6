//! Exact (erf) GELU, fused forward and backward.

use candle_core::{Result, Shape, Tensor};
use rayon::prelude::*;

use super::simd::*;
use super::*;

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

impl Kernel for Gelu {
    fn name(&self) -> &'static str {
        "lm-gelu"
    }

    fn fwd1(&self, (x, l): In) -> Result<(Vec<f32>, Shape)> {
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(PAR_CHUNK)
            .zip(x.par_chunks(PAR_CHUNK))
            .for_each(|(o, xi)| gelu_fwd_kernel(xi, o));
        Ok((out, l.shape().clone()))
    }

    fn bwd1(&self, arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(arg.contiguous()?.apply_op2_no_bwd(
            &grad_res.contiguous()?,
            &Fused(GeluBackward),
        )?))
    }
}

struct GeluBackward;

impl Kernel for GeluBackward {
    fn name(&self) -> &'static str {
        "lm-gelu-backward"
    }

    fn fwd2(&self, (x, l1): In, (dy, _l2): In) -> Result<(Vec<f32>, Shape)> {
        let mut dx = vec![0f32; x.len()];
        dx.par_chunks_mut(PAR_CHUNK)
            .zip(x.par_chunks(PAR_CHUNK).zip(dy.par_chunks(PAR_CHUNK)))
            .for_each(|(d, (xi, g))| gelu_bwd_kernel(xi, g, d));
        Ok((dx, l1.shape().clone()))
    }
}

/// Exact GELU, fused on the CPU for f32.
pub fn gelu(x: &Tensor) -> Result<Tensor> {
    if fused_available(x) {
        x.contiguous()?.apply_op1(Fused(Gelu))
    } else {
        x.gelu_erf()
    }
}
