//! Sweeps: a grid over list-valued parameters (or a seeded random subset of it),
//! planned and previewed, then queued as runs that a detached sweep runner starts with
//! a concurrency limit, or submitted to Slurm as a job array or singleton queues.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use rusqlite::Connection;

use super::launch::{self, Spec};
use super::{ingest, project, slurm};
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
    let mut rng = crate::util::rng::Rng::new(seed);
    for i in 0..total.min(n) {
        let j = i + rng.below(total - i);
        idx.swap(i, j);
    }
    let mut pick: Vec<usize> = idx.into_iter().take(n.min(total)).collect();
    pick.sort();
    pick
}

/// A planned sweep: the combinations, what varies, and the runs to start.
pub struct SweepPlan {
    pub combos: Vec<Params>,
    pub varying: Vec<String>,
    pub specs: Vec<Spec>,
}

impl SweepPlan {
    /// One line per run: the values that vary.
    pub fn preview(&self) -> Vec<String> {
        self.combos
            .iter()
            .map(|c| {
                self.varying
                    .iter()
                    .map(|k| format!("{k}={}", super::plain(&c[k])))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }
}

/// Expand `k=v` / `k=v1,v2,…` overrides (over the project's default `[sweep]` grid)
/// into runs, optionally a seeded random subset of `random` of them.
pub fn plan(
    data_dir: &Path,
    project_name: &str,
    params: &[(String, String)],
    random: Option<usize>,
    seed: u64,
) -> anyhow::Result<SweepPlan> {
    let p = project::find(data_dir, project_name)?;
    if let project::Readiness::NotBuilt(why) = p.readiness() {
        bail!("project `{project_name}` cannot run yet: {why}; nothing was started");
    }
    let m = &p.manifest;
    let mut fixed = Vec::new();
    let mut axes: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for (k, v) in &m.sweep {
        let spec = &m.params[k];
        let vals = v
            .iter()
            .map(|x| {
                project::parse_value(
                    k,
                    spec,
                    x.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| x.to_string())
                        .as_str(),
                )
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        axes.insert(k.clone(), vals);
    }
    for (k, v) in params {
        let spec = m
            .params
            .get(k)
            .with_context(|| format!("project `{}` has no parameter `{k}`", m.name))?;
        let parts: Vec<&str> = v.split(',').collect();
        if parts.len() > 1 {
            axes.insert(
                k.clone(),
                parts
                    .iter()
                    .map(|x| project::parse_value(k, spec, x.trim()))
                    .collect::<anyhow::Result<_>>()?,
            );
        } else {
            axes.remove(k);
            fixed.push((k.clone(), v.clone()));
        }
    }
    let base = project::resolve_params(m, &fixed)?;
    let mut combos = grid(&base, &axes);
    if let Some(n) = random {
        let keep = random_subset(combos.len(), n, seed);
        combos = keep.into_iter().map(|i| combos[i].clone()).collect();
    }
    let cwd = std::env::current_dir().context("finding the current directory")?;
    let exe = super::start::exe()?;
    let specs = combos
        .iter()
        .map(|c| project::spec(&p, c, &exe, &cwd))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(SweepPlan {
        combos,
        varying: axes.keys().cloned().collect(),
        specs,
    })
}

/// Start a planned sweep on this machine and register its queued runs. Returns the
/// sweep id and the number of runs.
pub fn start_planned(
    conn: &Connection,
    data_dir: &Path,
    project_name: &str,
    plan: SweepPlan,
    max_parallel: usize,
) -> anyhow::Result<(String, usize)> {
    let n = plan.specs.len();
    let (id, created) = start(
        &super::start::exe()?,
        &super::runs_dir(data_dir),
        project_name,
        plan.specs,
        max_parallel,
    )?;
    for (d, meta) in &created {
        ingest::register(conn, d, meta)?;
    }
    Ok((id, n))
}

/// Submit a planned sweep to Slurm: a job array limited to `max_parallel` tasks at a
/// time, or one job per run where jobs named `<sweep>-<k>` with `--dependency=singleton`
/// form `max_parallel` queues. Returns the sweep id and a description of the jobs.
pub fn submit(
    conn: &Connection,
    data_dir: &Path,
    project_name: &str,
    plan: SweepPlan,
    max_parallel: usize,
    profile: &slurm::Profile,
    array: bool,
) -> anyhow::Result<(String, String)> {
    if max_parallel == 0 {
        bail!("--max-parallel must be at least 1");
    }
    let root = profile
        .runs_dir
        .clone()
        .unwrap_or_else(|| super::runs_dir(data_dir));
    let id = super::new_id(&format!("sweep-{project_name}"));
    let mut created = Vec::new();
    for mut spec in plan.specs {
        spec.sweep = Some(id.clone());
        spec.backend = "slurm".into();
        let (dir, meta) = launch::create(&root, &spec)?;
        ingest::register(conn, &dir, &meta)?;
        created.push((dir, meta));
    }
    let fail_all = |created: &[(PathBuf, RunMeta)], e: &anyhow::Error| {
        for (dir, _) in created {
            if !dir.join(slurm::JOB).exists() {
                let _ = super::start::record_not_submitted(dir, e);
            }
        }
    };
    if array {
        let dir = sweeps_dir(&root).join(&id);
        match slurm::submit_array(&created, &dir, profile, max_parallel) {
            Ok(job) => Ok((
                id,
                format!(
                    "job array {job} with {} task(s), at most {max_parallel} at a time",
                    created.len()
                ),
            )),
            Err(e) => {
                fail_all(&created, &e);
                Err(e.context("submitting the sweep to Slurm"))
            }
        }
    } else {
        let mut jobs = Vec::new();
        for (i, (dir, meta)) in created.iter().enumerate() {
            let mut p = profile.clone();
            p.sbatch_args
                .push(format!("--job-name={}-{}", id, i % max_parallel));
            p.sbatch_args.push("--dependency=singleton".into());
            match slurm::submit(meta, dir, &p) {
                Ok(j) => jobs.push(j),
                Err(e) => {
                    fail_all(&created, &e);
                    return Err(e.context(format!("submitting run {} to Slurm", meta.id)));
                }
            }
        }
        Ok((
            id,
            format!(
                "{} job(s) ({}), at most {max_parallel} at a time",
                jobs.len(),
                jobs.join(", ")
            ),
        ))
    }
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
    launch::reap_in_background(child);
    Ok((id, created))
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
