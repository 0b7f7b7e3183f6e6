//! Exact (erf) GELU, fused forward and backward.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};
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

impl CustomOp1 for Gelu {
    fn name(&self) -> &'static str {
        "lm-gelu"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
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
        let x = f32_slice(s1, l1)?;
        let dy = f32_slice(s2, l2)?;
        let mut dx = vec![0f32; x.len()];
        dx.par_chunks_mut(PAR_CHUNK)
            .zip(x.par_chunks(PAR_CHUNK).zip(dy.par_chunks(PAR_CHUNK)))
            .for_each(|(d, (xi, g))| gelu_bwd_kernel(xi, g, d));
        Ok((CpuStorage::F32(dx), l1.shape().clone()))
    }
}

/// Exact GELU, fused on the CPU for f32.
pub fn gelu(x: &Tensor) -> Result<Tensor> {
    if fused_available(x) {
        x.contiguous()?.apply_op1(Gelu)
    } else {
        x.gelu_erf()
    }
}
