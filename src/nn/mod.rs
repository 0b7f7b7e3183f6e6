//! Candle building blocks shared by every model labbook trains or runs: the fused ops
//! with hand-written backward passes ([`ops`]), AdamW ([`optim`]), the small models'
//! weight files ([`checkpoint`]), device selection, gradient clipping and the thread
//! pool the training loops run on. Models (`exp::lm::model`, `vad::trained`,
//! `turn::model`, …) are built from these; experiments in `exp/` train them.

pub mod checkpoint;
pub mod ops;
pub mod optim;

use anyhow::{bail, Context};
use candle_core::{Device, Var};

use crate::util::rng::Rng;

/// `cpu`, `cuda` or `cuda:N` → (is cuda, ordinal); anything else is an error.
pub fn parse_device_spec(spec: &str) -> anyhow::Result<Option<usize>> {
    match spec {
        "cpu" => Ok(None),
        "cuda" => Ok(Some(0)),
        s => match s.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(n)) => Ok(Some(n)),
            _ => bail!("device={spec}: expected cpu, cuda or cuda:N"),
        },
    }
}

/// The Candle device for `cpu`, `cuda` or `cuda:N`. A build without the `cuda` feature
/// says how to get one instead of failing somewhere inside Candle.
pub fn device(spec: &str) -> anyhow::Result<Device> {
    match parse_device_spec(spec)? {
        None => Ok(Device::Cpu),
        Some(n) => {
            if !candle_core::utils::cuda_is_available() {
                bail!(
                    "device={spec}: this labbook was built without CUDA; build it with \
                     `cargo build --release --features cuda` (README, section CUDA)"
                );
            }
            Device::new_cuda(n).with_context(|| format!("opening CUDA device {n}"))
        }
    }
}

/// Run `f` on a worker thread of rayon's global pool (the caller sleeps until it is
/// done). Candle's matmuls and the fused kernels run their parallel parts on that pool;
/// running the training loop's own sequential work on one of its workers, too, keeps
/// the runnable threads at the pool's size instead of one more — on a 2-core machine
/// an extra thread steals the core the loop needs while idle workers spin.
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| f())
}

/// A trainable tensor of `shape` with He-normal weights (N(0, 2/fan_in)) from the
/// seeded generator — candle's own CPU generator cannot be seeded — or zeros when
/// `fan_in` is 0 (biases).
pub fn he_normal(
    rng: &mut Rng,
    shape: &[usize],
    fan_in: usize,
    dev: &Device,
) -> candle_core::Result<Var> {
    let n: usize = shape.iter().product();
    let data: Vec<f32> = if fan_in == 0 {
        vec![0.0; n]
    } else {
        let std = (2.0 / fan_in as f64).sqrt();
        (0..n).map(|_| (rng.normal() * std) as f32).collect()
    };
    Var::from_vec(data, shape, dev)
}

/// Scale gradients so their global L2 norm is at most `clip`; returns the norm before.
pub fn clip_grads(
    grads: &mut candle_core::backprop::GradStore,
    vars: &[candle_core::Var],
    clip: f64,
) -> candle_core::Result<f64> {
    let mut total = 0f64;
    for v in vars {
        if let Some(g) = grads.get(v.as_tensor()) {
            total += g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
        }
    }
    let norm = total.sqrt();
    if clip > 0.0 && norm > clip {
        let scale = clip / (norm + 1e-6);
        for v in vars {
            if let Some(g) = grads.get(v.as_tensor()) {
                let scaled = (g * scale)?;
                grads.insert(v.as_tensor(), scaled);
            }
        }
    }
    Ok(norm)
}
