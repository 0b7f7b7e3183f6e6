//! The config TOML: curriculum directory, editor and key bindings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// A curriculum directory of the user's own (replaces the built-in one).
    pub curriculum_dir: Option<PathBuf>,
    /// A question bank directory of the user's own (replaces the built-in one).
    pub questions_dir: Option<PathBuf>,
    /// Editor command for notes (else $VISUAL, then $EDITOR, else the built-in editor).
    pub editor: Option<String>,
    /// Action name → key chords, e.g. `quit = ["q", "ctrl-c"]`.
    #[serde(default)]
    pub keys: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub runs: RunsConfig,
    /// `[cards]`: flashcard scheduling and mock interviews.
    #[serde(default)]
    pub cards: crate::cards::Settings,
    /// `[slurm]`: cluster profiles for `--on slurm`.
    #[serde(default)]
    pub slurm: crate::runs::slurm::SlurmConfig,
}

/// `[runs]`: how runs are followed.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RunsConfig {
    /// A running run is flagged stalled after this many times its usual interval
    /// between output lines without output…
    pub stall_factor: f64,
    /// …and never sooner than this many seconds.
    pub stall_min_secs: f64,
}

impl Default for RunsConfig {
    fn default() -> Self {
        RunsConfig {
            stall_factor: 10.0,
            stall_min_secs: 60.0,
        }
    }
}

impl RunsConfig {
    pub fn policy(&self) -> crate::runs::fsm::StallPolicy {
        crate::runs::fsm::StallPolicy {
            factor: self.stall_factor.max(1.0),
            min_secs: self.stall_min_secs.max(0.0),
        }
    }
}

impl Config {
    /// The editor command for notes: the config's, then `$VISUAL`, then `$EDITOR`
    /// (`None`: use the built-in editor).
    pub fn editor_command(&self) -> Option<String> {
        self.editor
            .clone()
            .or_else(|| std::env::var("VISUAL").ok())
            .or_else(|| std::env::var("EDITOR").ok())
            .filter(|e| !e.trim().is_empty())
    }

    /// Read a config file; a missing file is the default config.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(e).with_context(|| format!("reading config {}", path.display())),
        };
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> anyhow::Result<Config> {
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| crate::util::line_of(text, s.start))
                .unwrap_or(0);
            anyhow::anyhow!("{}:{line}: invalid config: {}", path.display(), e.message())
        })
    }
}
