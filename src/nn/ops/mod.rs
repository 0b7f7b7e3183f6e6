//! Fused CPU kernels with hand-written backward passes (decision 6: candle's own fused
//! softmax has no backward), shared by every model that trains in labbook. Each op
//! falls back to the composed, differentiable form off the CPU or for other dtypes,
//! has a `_composed` twin as its reference, and a finite-difference test.
//!
//! | file            | ops                                                    |
//! |-----------------|--------------------------------------------------------|
//! | `softmax.rs`    | softmax over the last dimension, causal (+ALiBi) softmax |
//! | `layer_norm.rs` | LayerNorm with a weight and no bias                     |
//! | `gelu.rs`       | exact (erf) GELU                                        |
//! | `linear.rs`     | `x · wᵀ` on gemm's kernels                              |
//! | `attention.rs`  | causal multi-head self-attention in one op (RoPE, ALiBi) |
//! | `simd.rs`       | the vectorisable math under them, compiled per CPU level |

mod attention;
mod gelu;
mod layer_norm;
mod linear;
mod simd;
mod softmax;

pub use attention::{attention, Attention};
pub use gelu::gelu;
pub use layer_norm::{layer_norm, layer_norm_composed};
pub use linear::{linear, linear_composed};
pub use softmax::{causal_softmax, softmax, softmax_composed};

use candle_core::{
    CpuStorage, CustomOp1, CustomOp2, CustomOp3, DType, Layout, Result, Shape, Tensor,
};

/// One input of a fused kernel: its contiguous f32 data and its layout.
type In<'a> = (&'a [f32], &'a Layout);

/// The gradients of a two-input op with respect to each input.
type Grads2 = (Option<Tensor>, Option<Tensor>);

/// A fused CPU kernel: the output's data and shape from contiguous f32 inputs, and
/// its backward. Each op implements the arity it has ([`Fused`] turns it into a candle
/// custom op, so the storage plumbing is written once).
trait Kernel: Send + Sync {
    fn name(&self) -> &'static str;

    fn fwd1(&self, _x: In) -> Result<(Vec<f32>, Shape)> {
        Err(arity(self.name(), 1))
    }

    fn fwd2(&self, _a: In, _b: In) -> Result<(Vec<f32>, Shape)> {
        Err(arity(self.name(), 2))
    }

    fn fwd3(&self, _a: In, _b: In, _c: In) -> Result<(Vec<f32>, Shape)> {
        Err(arity(self.name(), 3))
    }

    fn bwd1(&self, _arg: &Tensor, _res: &Tensor, _grad: &Tensor) -> Result<Option<Tensor>> {
        Err(candle_core::Error::BackwardNotSupported { op: self.name() })
    }

    fn bwd2(&self, _a: &Tensor, _b: &Tensor, _res: &Tensor, _grad: &Tensor) -> Result<Grads2> {
        Err(candle_core::Error::BackwardNotSupported { op: self.name() })
    }
}

impl<K: Kernel> Kernel for &K {
    fn name(&self) -> &'static str {
        (*self).name()
    }

    fn fwd1(&self, x: In) -> Result<(Vec<f32>, Shape)> {
        (*self).fwd1(x)
    }
}

fn arity(op: &str, n: usize) -> candle_core::Error {
    candle_core::Error::Msg(format!("{op} does not take {n} input(s)"))
}

/// A [`Kernel`] as a candle custom op of one, two or three inputs.
struct Fused<K>(K);

fn storage((data, shape): (Vec<f32>, Shape)) -> (CpuStorage, Shape) {
    (CpuStorage::F32(data), shape)
}

impl<K: Kernel> CustomOp1 for Fused<K> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        self.0.fwd1((f32_slice(s, l)?, l)).map(storage)
    }

    fn bwd(&self, arg: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        self.0.bwd1(arg, res, grad)
    }
}

impl<K: Kernel> CustomOp2 for Fused<K> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        self.0
            .fwd2((f32_slice(s1, l1)?, l1), (f32_slice(s2, l2)?, l2))
            .map(storage)
    }

    fn bwd(&self, a: &Tensor, b: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Grads2> {
        self.0.bwd2(a, b, res, grad)
    }
}

impl<K: Kernel> CustomOp3 for Fused<K> {
    fn name(&self) -> &'static str {
        self.0.name()
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
        self.0
            .fwd3(
                (f32_slice(s1, l1)?, l1),
                (f32_slice(s2, l2)?, l2),
                (f32_slice(s3, l3)?, l3),
            )
            .map(storage)
    }
}

fn f32_slice<'a>(s: &'a CpuStorage, l: &Layout) -> Result<&'a [f32]> {
    let (start, end) = l
        .contiguous_offsets()
        .ok_or_else(|| candle_core::Error::Msg("fused op needs a contiguous input".into()))?;
    Ok(&s.as_slice::<f32>()?[start..end])
}

/// Whether the fused CPU kernels apply to this tensor (CPU, f32); elsewhere (CUDA,
/// other dtypes) the composed, differentiable forms run instead.
pub fn fused_available(x: &Tensor) -> bool {
    x.device().is_cpu() && x.dtype() == DType::F32
}

/// Elements per parallel task: big enough that scheduling costs nothing.
const PAR_CHUNK: usize = 1 << 15;

/// Rows per parallel task for rows of `n` elements.
fn rows_per_task(n: usize) -> usize {
    (PAR_CHUNK / n.max(1)).max(1)
}
