//! `labbook run sweep`: preview a grid over a project, then start or submit it.

use anyhow::bail;
use clap::Args;
use serde_json::json;

use super::OnArgs;
use crate::app::Context;
use crate::cli::print_json;
use crate::runs::sweep;

#[derive(Debug, Args)]
pub struct SweepArgs {
    pub project: String,
    /// K=V or K=V1,V2,… (lists form the grid; the project's [sweep] is the default grid).
    #[arg(long = "param", value_name = "K=V[,V…]")]
    pub params: Vec<String>,
    /// Run a random subset of N combinations.
    #[arg(long, value_name = "N")]
    pub random: Option<usize>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, default_value_t = 2)]
    pub max_parallel: usize,
    /// Start without asking (otherwise the preview is printed and nothing starts).
    #[arg(long)]
    pub yes: bool,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub on: OnArgs,
    /// Slurm: one job per run (at most --max-parallel at a time through singleton
    /// dependencies) instead of a job array.
    #[arg(long)]
    pub no_array: bool,
}

pub(super) fn sweep_cmd(ctx: &Context, a: &SweepArgs) -> anyhow::Result<()> {
    let kv = a
        .params
        .iter()
        .map(|s| crate::util::split_kv(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let slurm = a.on.slurm_profile(&ctx.config)?;
    if a.no_array && slurm.is_none() {
        bail!("--no-array goes with --on slurm");
    }
    let plan = sweep::plan(&ctx.data_dir, &a.project, &kv, a.random, a.seed)?;
    let m_name = a.project.clone();
    let combos = plan.combos.clone();
    if a.json && !a.yes {
        return print_json(
            &json!({"project": m_name, "runs": combos, "max_parallel": a.max_parallel}),
        );
    }
    println!(
        "sweep over {m_name} ({} run(s), at most {} at a time):",
        combos.len(),
        a.max_parallel
    );
    for (i, line) in plan.preview().iter().enumerate() {
        println!("  {:>3}. {line}", i + 1);
    }
    if !a.yes {
        println!("(preview only: add --yes to start)");
        return Ok(());
    }
    if let Some(profile) = slurm {
        let (id, jobs) = sweep::submit(
            &ctx.store.conn,
            &ctx.data_dir,
            &m_name,
            plan,
            a.max_parallel,
            &profile,
            !a.no_array,
        )?;
        println!("submitted sweep {id} to Slurm: {jobs}");
        return Ok(());
    }
    let (id, n) = sweep::start_planned(
        &ctx.store.conn,
        &ctx.data_dir,
        &m_name,
        plan,
        a.max_parallel,
    )?;
    println!("started sweep {id}: {n} run(s) queued");
    Ok(())
}
