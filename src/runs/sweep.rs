//! Sweeps: a grid over list-valued parameters (or a seeded random subset of it),
//! previewed, then queued as runs that a detached sweep runner starts with a
//! concurrency limit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use super::launch::{self, Spec};
use super::{read_json, write_json, LaunchRecord, RunMeta, CANCEL, EXIT, LAUNCH, SUPERVISOR};

type Params = BTreeMap<String, serde_json::Value>;

/// Every combination of the axes (in key order), each merged over `base`.
pub fn grid(base: &Params, axes: &BTreeMap<String, Vec<serde_json::Value>>) -> Vec<Params> {
    let mut out = vec![base.clone()];
    for (k, values) in axes {
        let mut next = Vec::with_capacity(out.len() * values.len().max(1));
        for p in &out {
            for v in values {
                let mut q = p.clone();
                q.insert(k.clone(), v.clone());
                next.push(q);
            }
        }
        out = next;
    }
    out
}

/// `n` distinct indices out of `total`, chosen with a seeded generator, in order.
pub fn random_subset(total: usize, n: usize, seed: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..total).collect();
    let mut s = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    for i in 0..total.min(n) {
        let j = i + (next() as usize) % (total - i);
        idx.swap(i, j);
    }
    let mut pick: Vec<usize> = idx.into_iter().take(n.min(total)).collect();
    pick.sort();
    pick
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepRecord {
    pub id: String,
    pub project: Option<String>,
    pub runs: Vec<PathBuf>,
    pub max_parallel: usize,
    pub created_at: String,
}

pub fn sweeps_dir(runs_root: &Path) -> PathBuf {
    runs_root.join("_sweeps")
}

/// Create every run (queued) and start the detached runner. Returns the sweep id and
/// the runs' metadata.
pub fn start(
    exe: &Path,
    runs_root: &Path,
    name: &str,
    specs: Vec<Spec>,
    max_parallel: usize,
) -> anyhow::Result<(String, Vec<(PathBuf, RunMeta)>)> {
    if specs.is_empty() {
        bail!("the sweep has no runs");
    }
    if max_parallel == 0 {
        bail!("--max-parallel must be at least 1");
    }
    let id = super::new_id(&format!("sweep-{name}"));
    let dir = sweeps_dir(runs_root).join(&id);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut created = Vec::new();
    for mut s in specs {
        s.sweep = Some(id.clone());
        created.push(launch::create(runs_root, &s)?);
    }
    let record = SweepRecord {
        id: id.clone(),
        project: created.first().and_then(|(_, m)| m.project.clone()),
        runs: created.iter().map(|(d, _)| d.clone()).collect(),
        max_parallel,
        created_at: crate::store::now_ts(),
    };
    write_json(&dir.join("sweep.json"), &record)?;
    let log = std::fs::File::create(dir.join("runner.log"))?;
    let child = std::process::Command::new(exe)
        .arg("__sweep")
        .arg(&dir)
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting the sweep runner {}", exe.display()))?;
    let launch = LaunchRecord::of(child.id() as i32);
    for (d, _) in &created {
        write_json(&d.join(LAUNCH), &launch)?;
    }
    reap_in_background(child);
    Ok((id, created))
}

/// Wait for a detached child on a thread, so it does not linger as a zombie.
pub fn reap_in_background(mut child: std::process::Child) {
    std::thread::spawn(move || {
        let _ = child.wait();
    });
}

/// The sweep runner (`labbook __sweep DIR`): start queued runs while fewer than
/// `max_parallel` are running; a run cancelled before it starts is recorded as such.
pub fn run_runner(exe: &Path, dir: &Path) -> anyhow::Result<()> {
    let _ = nix::unistd::setsid();
    let rec: SweepRecord = read_json(&dir.join("sweep.json"))?.context("no sweep.json")?;
    let mut pending: Vec<PathBuf> = rec.runs.clone();
    let mut live: Vec<(PathBuf, std::process::Child)> = Vec::new();
    loop {
        // Always reap (a finished supervisor must not linger as a zombie).
        live.retain_mut(|(_, c)| !matches!(c.try_wait(), Ok(Some(_)) | Err(_)));
        while live.len() < rec.max_parallel && !pending.is_empty() {
            let d = pending.remove(0);
            if d.join(CANCEL).exists() {
                let exit = super::fsm::Exit {
                    cancelled: true,
                    at: super::proc::now(),
                    ..Default::default()
                };
                write_json(&d.join(EXIT), &exit)?;
                continue;
            }
            if d.join(SUPERVISOR).exists() || d.join(EXIT).exists() {
                continue;
            }
            let child = launch::spawn_supervisor(exe, &d)?;
            write_json(&d.join(LAUNCH), &LaunchRecord::of(child.id() as i32))?;
            live.push((d, child));
        }
        if pending.is_empty() && live.is_empty() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn grid_is_the_cartesian_product_over_the_base() {
        let mut base = Params::new();
        base.insert("seed".into(), json!(1));
        base.insert("lr".into(), json!(0.1));
        let mut axes = BTreeMap::new();
        axes.insert("lr".into(), vec![json!(0.1), json!(0.01)]);
        axes.insert(
            "pos".into(),
            vec![json!("rope"), json!("alibi"), json!("learned")],
        );
        let g = grid(&base, &axes);
        assert_eq!(g.len(), 6);
        assert!(g.iter().all(|p| p["seed"] == json!(1)));
        assert_eq!(g[0]["lr"], json!(0.1));
        assert_eq!(g[0]["pos"], json!("rope"));
        assert_eq!(g[5]["lr"], json!(0.01));
        assert_eq!(g[5]["pos"], json!("learned"));
        assert_eq!(grid(&base, &BTreeMap::new()).len(), 1);
    }

    #[test]
    fn random_subsets_are_seeded_and_distinct() {
        let a = random_subset(100, 10, 7);
        assert_eq!(a, random_subset(100, 10, 7));
        assert_ne!(a, random_subset(100, 10, 8));
        assert_eq!(a.len(), 10);
        let mut d = a.clone();
        d.dedup();
        assert_eq!(d.len(), 10);
        assert_eq!(random_subset(3, 10, 1), vec![0, 1, 2]);
    }
}
