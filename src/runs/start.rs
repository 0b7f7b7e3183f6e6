//! Starting runs for the faces (CLI, TUI): a project's run from its manifest and
//! `K=V` parameters, and any spec started here or submitted to Slurm, registered in
//! the index as it is created.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rusqlite::Connection;

use super::{ingest, launch, project, query, slurm, Exit, RunMeta, EXIT};

/// The labbook executable, which supervises runs and runs the built-in experiments.
pub fn exe() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("finding the labbook executable")
}

/// What to run for project `name` with `K=V` parameters (the rest take the manifest's
/// defaults). A project whose experiment is not built is refused, starting nothing.
pub fn project_spec(
    data_dir: &Path,
    name: &str,
    params: &[String],
    cwd: &Path,
) -> anyhow::Result<launch::Spec> {
    let p = project::find(data_dir, name)?;
    if let project::Readiness::NotBuilt(why) = p.readiness() {
        bail!("project `{name}` cannot run yet: {why}; nothing was started");
    }
    let kv = params
        .iter()
        .map(|s| crate::util::split_kv(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let resolved = project::resolve_params(&p.manifest, &kv)?;
    project::spec(&p, &resolved, &exe()?, cwd)
}

/// Record a created run that never reached Slurm as failed with the reason, so it is
/// not left queued.
pub(super) fn record_not_submitted(dir: &Path, e: &anyhow::Error) -> anyhow::Result<()> {
    super::write_json(
        &dir.join(EXIT),
        &Exit {
            error: Some(format!("not submitted: {e:#}")),
            at: super::proc::now(),
            ..Default::default()
        },
    )
}

/// Start a spec now: create its directory, register it in the index, then supervise
/// it on this machine or submit it to Slurm with `slurm`'s profile.
pub fn start_spec(
    conn: &Connection,
    data_dir: &Path,
    spec: &launch::Spec,
    tags: &[String],
    slurm: Option<&slurm::Profile>,
) -> anyhow::Result<(PathBuf, RunMeta)> {
    let mut spec = spec.clone();
    let root = match slurm {
        Some(p) => {
            spec.backend = "slurm".into();
            p.runs_dir
                .clone()
                .unwrap_or_else(|| super::runs_dir(data_dir))
        }
        None => super::runs_dir(data_dir),
    };
    let (dir, meta) = launch::create(&root, &spec)?;
    ingest::register(conn, &dir, &meta)?;
    if !tags.is_empty() {
        let row = query::find(conn, &meta.id)?;
        query::set_tags(conn, &row, tags, &[])?;
    }
    match slurm {
        None => launch::start(&exe()?, &dir)?,
        Some(profile) => {
            if let Err(e) = slurm::submit(&meta, &dir, profile) {
                record_not_submitted(&dir, &e)?;
                return Err(e.context(format!("submitting run {} to Slurm", meta.id)));
            }
        }
    }
    Ok((dir, meta))
}
