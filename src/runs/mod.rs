//! Experiment runs. The run directory is the source of truth (decision 1): a small
//! supervisor process starts the command in its own process group with stdout and
//! stderr going to files, and records its pid, start time and exit status. SQLite is
//! the index: ingestion tails the files and stores metrics (decision 2), reconciling
//! each run's status from the files and `/proc`.

pub mod bench;
pub mod fsm;
pub mod ingest;
pub mod launch;
pub mod proc;
pub mod project;
pub mod query;
pub mod series;
pub mod slurm;
pub mod start;
pub mod sweep;
pub mod tail;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

pub use fsm::{Exit, Status};

pub const META: &str = "meta.json";
pub const SUPERVISOR: &str = "supervisor.json";
pub const EXIT: &str = "exit.json";
pub const CANCEL: &str = "cancel.json";
pub const STDOUT: &str = "stdout.log";
pub const STDERR: &str = "stderr.log";
pub const GIT_DIFF: &str = "git.diff";
pub const LAUNCH: &str = "launch.json";

/// The process that will start a queued run (its supervisor, or a sweep runner).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchRecord {
    pub pid: i32,
    pub ticks: u64,
    pub boot_id: String,
}

impl LaunchRecord {
    pub fn of(pid: i32) -> LaunchRecord {
        LaunchRecord {
            pid,
            ticks: proc::start_ticks(pid).unwrap_or(0),
            boot_id: proc::boot_id(),
        }
    }

    pub fn alive(&self) -> bool {
        proc::alive(self.pid, self.ticks, &self.boot_id)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct GitInfo {
    pub commit: String,
    pub branch: Option<String>,
    pub dirty: bool,
}

/// Everything known about a run before it starts (`meta.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunMeta {
    pub id: String,
    pub name: String,
    pub project: Option<String>,
    /// The program and its arguments, exactly as executed.
    pub argv: Vec<String>,
    /// The command as the user wrote it (for display and re-runs).
    pub command: String,
    pub cwd: PathBuf,
    /// Environment variables from the allowlist, as they were at launch.
    pub env: BTreeMap<String, String>,
    pub params: BTreeMap<String, serde_json::Value>,
    pub seed: Option<i64>,
    pub git: Option<GitInfo>,
    pub host: String,
    pub cpu: String,
    pub gpu: Option<String>,
    pub labbook_version: String,
    pub created_at: String,
    pub sweep: Option<String>,
    #[serde(default = "default_backend")]
    pub backend: String,
}

fn default_backend() -> String {
    "local".into()
}

/// What the supervisor records once the process has started (`supervisor.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupervisorRecord {
    pub supervisor_pid: i32,
    pub pid: i32,
    pub pgid: i32,
    /// Start time of `pid` in clock ticks since boot, to tell it from a reused pid.
    pub start_ticks: u64,
    pub supervisor_ticks: u64,
    pub boot_id: String,
    pub started_at: f64,
}

pub fn runs_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("runs")
}

pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<Option<T>> {
    match std::fs::read(path) {
        Ok(b) => {
            Ok(Some(serde_json::from_slice(&b).with_context(|| {
                format!("{} is not valid", path.display())
            })?))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

pub fn write_json(path: &Path, v: &impl Serialize) -> anyhow::Result<()> {
    let bytes = serde_json::to_vec_pretty(v)?;
    crate::util::write_atomic(path, &bytes)
}

/// A parameter value as a user writes it: strings bare, everything else as JSON.
pub fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A fresh run id: time, a slug of the name, and a few random-ish hex digits.
pub fn new_id(name: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    let slug = crate::util::slug(name);
    let slug = crate::util::prefix(&slug, 24)
        .trim_end_matches('-')
        .to_string();
    format!(
        "{}-{slug}-{:04x}",
        chrono::Local::now().format("%Y%m%d-%H%M%S"),
        h.finish() & 0xffff
    )
}

/// Stop a run on whichever backend it runs; says what was done.
pub fn cancel_run(dir: &Path, backend: &str, grace: std::time::Duration) -> anyhow::Result<String> {
    if backend == "slurm" {
        let job = slurm::cancel(dir)?;
        Ok(format!("scancel sent to Slurm job {job}"))
    } else {
        Ok(launch::cancel(dir, grace)?.describe().to_string())
    }
}

/// No process will ever write to this run again, and no exit record will come (a run
/// whose supervisor, or the launcher that was to start it, is gone without one).
pub fn is_gone(dir: &Path) -> bool {
    if dir.join(EXIT).exists() {
        return false;
    }
    match read_json::<SupervisorRecord>(&dir.join(SUPERVISOR)) {
        Ok(Some(s)) => {
            !proc::alive(s.pid, s.start_ticks, &s.boot_id)
                && !proc::alive(s.supervisor_pid, s.supervisor_ticks, &s.boot_id)
        }
        _ => read_json::<LaunchRecord>(&dir.join(LAUNCH))
            .ok()
            .flatten()
            .is_some_and(|l| !l.alive()),
    }
}
