//! The files of the small streaming models (the trained VAD, the end-of-turn model):
//! `NAME.safetensors` with the weights and `NAME.json` beside it with the config.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use candle_core::{Device, Tensor};
use serde::{de::DeserializeOwned, Serialize};

/// Read `path` (safetensors) and the config in the `.json` beside it; `what` names the
/// model ("trained VAD") and `writer` the command that writes it, for the errors.
pub fn load<C: DeserializeOwned>(
    path: &Path,
    what: &str,
    writer: &str,
) -> anyhow::Result<(C, HashMap<String, Tensor>)> {
    let json = path.with_extension("json");
    let text = std::fs::read_to_string(&json).with_context(|| {
        format!(
            "reading {} (the config `{writer}` writes beside {})",
            json.display(),
            path.display()
        )
    })?;
    let config: C =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", json.display()))?;
    let tensors = candle_core::safetensors::load(path, &Device::Cpu)
        .with_context(|| format!("reading {what} weights {}", path.display()))?;
    Ok((config, tensors))
}

/// The values of tensor `name` as f32, checked to hold `len` of them (a weight file
/// of another shape is an error naming the tensor).
pub fn tensor_vec(t: &HashMap<String, Tensor>, name: &str, len: usize) -> anyhow::Result<Vec<f32>> {
    let v = t
        .get(name)
        .with_context(|| format!("tensor `{name}` is missing"))?
        .to_dtype(candle_core::DType::F32)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    if v.len() != len {
        anyhow::bail!("tensor `{name}` has {} values, expected {len}", v.len());
    }
    Ok(v)
}

/// Write `path` (safetensors) and the config as `.json` beside it, creating the
/// directory.
pub fn save<C: Serialize>(
    path: &Path,
    tensors: &HashMap<String, Tensor>,
    config: &C,
) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    candle_core::safetensors::save(tensors, path)
        .with_context(|| format!("writing {}", path.display()))?;
    let json = path.with_extension("json");
    std::fs::write(&json, serde_json::to_string_pretty(config)?)
        .with_context(|| format!("writing {}", json.display()))?;
    Ok(())
}
