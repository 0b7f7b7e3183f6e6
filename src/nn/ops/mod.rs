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

use candle_core::{CpuStorage, DType, Layout, Result, Tensor};

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
