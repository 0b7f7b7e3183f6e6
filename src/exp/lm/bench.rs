//! `labbook bench lm`: training steps of the LM in the configuration of the PyTorch
//! reference (`shared/bench/train_torch.py`), timed the way the reference times them.

use std::time::Instant;

use crate::eval::latency::percentile;

/// `labbook bench lm`: the configuration of shared/bench/train_torch.py (4 layers,
/// 4 heads, width 128, block 128, batch 16, no biases, exact GELU, untied head, AdamW
/// 1e-3 (0.9, 0.99) wd 0.1, the same LCG batches), `warmup` + `steps` timed steps,
/// one JSON line with the reference's fields.
pub fn lm(
    corpus: Option<&std::path::Path>,
    warmup: usize,
    steps: usize,
    threads: usize,
    device: &str,
) -> anyhow::Result<serde_json::Value> {
    use crate::exp::lm::{self, model};
    if threads > 0 {
        // Before any worker pool exists (this runs first in the process).
        std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
    }
    let corpus = match corpus {
        Some(p) => lm::Corpus::load(&p.display().to_string())?,
        None => lm::Corpus::load(lm::DEFAULT_CORPUS)?,
    };
    let dev = crate::nn::device(device)?;
    let cfg = model::Config {
        vocab: corpus.vocab_size(),
        block: 128,
        n_layer: 4,
        n_head: 4,
        n_embd: 128,
        position: model::Position::Learned,
        dropout: 0.0,
    };
    let (gpt, params) = model::Gpt::new(cfg, 1337, &dev)?;
    let vars = params.all();
    let nparams: usize = vars.iter().map(|v| v.elem_count()).sum();
    let mut opt = crate::nn::optim::AdamW::new(vars, 1e-3, 0.9, 0.99, 1e-8, 0.1)?;
    let mut rng = lm::Lcg(42);
    let (mut losses, mut times, mut tf, mut tb, mut to) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // The loop runs on a worker of rayon's pool (see nn::on_pool).
    crate::nn::on_pool(|| -> anyhow::Result<()> {
        for step in 0..warmup + steps {
            let t0 = Instant::now();
            let (x, y) = lm::batch(&corpus.data, 16, 128, &mut rng, &dev)?;
            let loss = gpt.loss(&x, &y)?;
            let loss_v = loss.to_scalar::<f32>()?; // forces the forward pass
            let t1 = Instant::now();
            let grads = loss.backward()?;
            dev.synchronize()?; // kernels are asynchronous on CUDA
            let t2 = Instant::now();
            opt.step(&grads)?;
            dev.synchronize()?;
            let t3 = Instant::now();
            losses.push(loss_v as f64);
            if step >= warmup {
                times.push((t3 - t0).as_secs_f64());
                tf.push((t1 - t0).as_secs_f64());
                tb.push((t2 - t1).as_secs_f64());
                to.push((t3 - t2).as_secs_f64());
            }
        }
        Ok(())
    })?;
    let ms = 1000.0 * times.iter().sum::<f64>() / times.len().max(1) as f64;
    let med = |v: &[f64]| 1000.0 * percentile(v, 50.0).unwrap_or(f64::NAN);
    let at = |i: usize| (losses[i.min(losses.len() - 1)] * 1e4).round() / 1e4;
    let threads_used = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        });
    let res = serde_json::json!({
        "impl": "labbook-candle", "candle": "0.11", "device": device, "threads": threads_used, "vocab": corpus.vocab_size(), "params": nparams,
        "ms_per_step": (ms * 100.0).round() / 100.0, "ms_median": (med(&times) * 100.0).round() / 100.0,
        "tok_per_s": (16.0 * 128.0 / (ms / 1000.0)).round(),
        "fwd_ms": (med(&tf) * 100.0).round() / 100.0, "bwd_ms": (med(&tb) * 100.0).round() / 100.0, "opt_ms": (med(&to) * 100.0).round() / 100.0,
        "loss0": at(0), "loss10": at(10), "loss50": at(50), "loss_last": at(losses.len() - 1),
    });
    Ok(res)
}
