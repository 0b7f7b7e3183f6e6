//! Causal multi-head self-attention in one op: heads split, optional RoPE, causal
//! (ALiBi) softmax, weighted values, heads merged — and its backward in one op.

use candle_core::{Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use super::*;

use super::linear::*;
use super::softmax::*;

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
const SERIAL: gemm::Parallelism = gemm::Parallelism::None;

impl Kernel for Attention {
    fn name(&self) -> &'static str {
        "lm-attention"
    }

    fn fwd1(&self, (x, l): In) -> Result<(Vec<f32>, Shape)> {
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
                let sc = gemm_f32(t, t, hs, qb, (1, hs), kb, (hs, 1), SERIAL)?;
                let slope = self.slope(h);
                for i in 0..t {
                    let r = i * t..i * t + i + 1;
                    causal_row_fwd(&sc[r.clone()], &mut pb[r], self.scale, slope);
                }
                yb.copy_from_slice(&gemm_f32(t, hs, t, pb, (1, t), vb, (1, hs), SERIAL)?);
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
        Ok((y, Shape::from((b, t, c))))
    }

    fn bwd1(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let saved = self.saved.lock().ok().and_then(|mut s| s.take());
        let saved = match saved {
            Some(s) => s,
            None => {
                // Backward twice through the same graph: run the forward again.
                arg.detach().contiguous()?.apply_op1_no_bwd(&Fused(self))?;
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
        Ok(Some(grad.contiguous()?.apply_op1_no_bwd(&Fused(back))?))
    }
}

struct AttentionBackward<'a> {
    fwd: &'a Attention,
    saved: std::sync::Arc<AttnSaved>,
    dims: (usize, usize, usize),
}

impl Kernel for AttentionBackward<'_> {
    fn name(&self) -> &'static str {
        "lm-attention-backward"
    }

    fn fwd1(&self, (dy, _l): In) -> Result<(Vec<f32>, Shape)> {
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
                dvb.copy_from_slice(&gemm_f32(t, hs, t, pb, (t, 1), &g, (1, hs), SERIAL)?);
                // dP = dy·vᵀ, then dS in place.
                let mut ds = gemm_f32(t, t, hs, &g, (1, hs), vb, (hs, 1), SERIAL)?;
                for i in 0..t {
                    let r = i * t..i * t + i + 1;
                    let dp_row = ds[r.clone()].to_vec();
                    causal_row_bwd(&pb[r.clone()], &dp_row, &mut ds[r], self.fwd.scale);
                    ds[i * t + i + 1..(i + 1) * t].fill(0.0);
                }
                // dq = dS·k, dk = dSᵀ·q (in the rotated frame), rotated back.
                dqb.copy_from_slice(&gemm_f32(t, hs, t, &ds, (1, t), kb, (1, hs), SERIAL)?);
                dkb.copy_from_slice(&gemm_f32(t, hs, t, &ds, (t, 1), qb, (1, hs), SERIAL)?);
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
        Ok((dx, Shape::from((b, t, 3 * c))))
    }
}

/// Fused causal self-attention on packed projections (see [`Attention`]); CPU and f32
/// only — callers check [`fused_available`].
pub fn attention(qkv: &Tensor, op: Attention) -> Result<Tensor> {
    qkv.contiguous()?.apply_op1(Fused(op))
}
