//! The model store: `<data dir>/models/NAME/`, one folder per imported model in Hugging
//! Face's layout, with `labbook-model.json` saying what it is and where it came from.
//! Experiments and commands take `model=NAME` (a stored model) or a folder.

use std::path::{Path, PathBuf};

use anyhow::bail;

/// The store's folder in a data directory.
pub fn store_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("models")
}

/// The record a stored model carries.
pub const RECORD: &str = "labbook-model.json";

/// The folder a `model=` value names: an existing folder as is, else a model of the
/// store. Anything else is an error naming what is stored and how to import more.
pub fn resolve(data_dir: &Path, name_or_dir: &str) -> anyhow::Result<PathBuf> {
    let as_dir = Path::new(name_or_dir);
    if as_dir.is_dir() {
        return Ok(as_dir.to_path_buf());
    }
    let stored = store_dir(data_dir).join(name_or_dir);
    if stored.join(RECORD).is_file() {
        return Ok(stored);
    }
    let names = stored_names(data_dir);
    bail!(
        "no model `{name_or_dir}`: neither a folder nor a stored model (stored: {}); import \
         one with `labbook models import PATH` (see README, section Models)",
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    )
}

/// The names of the stored models, sorted.
pub fn stored_names(data_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(store_dir(data_dir))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join(RECORD).is_file())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_is_a_folder_or_a_stored_name() {
        let d = tempfile::tempdir().unwrap();
        let m = store_dir(d.path()).join("whisper-tiny.en");
        std::fs::create_dir_all(&m).unwrap();
        std::fs::write(m.join(RECORD), "{}").unwrap();
        assert_eq!(resolve(d.path(), "whisper-tiny.en").unwrap(), m);
        assert_eq!(resolve(d.path(), m.to_str().unwrap()).unwrap(), m);
        let e = resolve(d.path(), "nope").unwrap_err().to_string();
        assert!(e.contains("stored: whisper-tiny.en") && e.contains("models import"), "{e}");
    }
}
