//! `labbook run …`: start, sweep, list, show, follow, compare, cancel, re-run, tag and
//! delete runs; `labbook project …` in [`projects`].

mod logs;
mod projects;
mod show;
mod sweep_cmd;

pub use logs::follow_logs;
pub use projects::{project_cmd, ProjectCmd};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::print_json;
use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};

use crate::app::Context;
use crate::runs::{self, ingest, launch, query, start, Status};

#[derive(Debug, Subcommand)]
pub enum RunCmd {
    /// Start a run of a project (or of any command with --cmd).
    Start(StartArgs),
    /// Preview and start a sweep: list-valued --param k=a,b,c over a project.
    Sweep(sweep_cmd::SweepArgs),
    /// Runs, newest first.
    List {
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        project: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One run: status, command, metadata, metric summaries.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// A run's output (both streams unless --stdout/--stderr); -f follows it.
    Logs {
        id: String,
        #[arg(short, long)]
        follow: bool,
        #[arg(long, conflicts_with = "stderr")]
        stdout: bool,
        #[arg(long)]
        stderr: bool,
        /// Only lines containing TEXT (ANSI colours ignored).
        #[arg(long, value_name = "TEXT")]
        grep: Option<String>,
    },
    /// A run's metric points (every point, in reported order).
    Metrics {
        id: String,
        /// Only these metrics.
        #[arg(long = "key")]
        keys: Vec<String>,
        #[arg(long)]
        csv: bool,
    },
    /// Stop a run: SIGTERM to its process group, SIGKILL after the grace period.
    Cancel {
        id: String,
        #[arg(long, default_value_t = 10.0)]
        grace: f64,
    },
    /// Compare runs: parameters that differ and metric summaries side by side.
    Compare {
        #[arg(required = true, num_args = 2..)]
        ids: Vec<String>,
        #[arg(long = "metric")]
        metrics: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Ingest run output into the database until interrupted (no TUI needed).
    Watch {
        /// One pass, then exit.
        #[arg(long)]
        once: bool,
        #[arg(long, default_value_t = 250)]
        interval_ms: u64,
    },
    /// Start a run again with the same command, parameters changed by --param.
    Rerun {
        id: String,
        #[arg(long = "param", value_name = "K=V")]
        params: Vec<String>,
    },
    /// Add or remove tags.
    Tag {
        id: String,
        #[arg(long = "add")]
        add: Vec<String>,
        #[arg(long = "remove")]
        remove: Vec<String>,
    },
    /// Write a note attached to the run.
    Note {
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        body: String,
    },
    /// Delete a finished run and its directory.
    Delete {
        id: String,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// A project (see `labbook project list`).
    pub project: Option<String>,
    /// Parameters, K=V (repeatable).
    #[arg(long = "param", value_name = "K=V")]
    pub params: Vec<String>,
    /// Run this shell command line instead of a project.
    #[arg(long, conflicts_with = "project")]
    pub cmd: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    /// Working directory (default: the current one).
    #[arg(long)]
    pub cwd: Option<PathBuf>,
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Stream the output until the run ends.
    #[arg(short, long)]
    pub follow: bool,
    #[command(flatten)]
    pub on: OnArgs,
}

/// Where runs go: this machine, or a Slurm cluster (a profile from the config,
/// adjusted by the options).
#[derive(Debug, Args, Clone, Default)]
pub struct OnArgs {
    /// local (default) or slurm.
    #[arg(long, value_name = "BACKEND", default_value = "local")]
    pub on: String,
    /// Slurm: a cluster profile from the config ([slurm.profiles.NAME]).
    #[arg(long)]
    pub profile: Option<String>,
    /// Slurm partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// Slurm: GPUs per job.
    #[arg(long)]
    pub gpus: Option<u32>,
    /// Slurm time limit (e.g. 04:00:00).
    #[arg(long)]
    pub time: Option<String>,
    /// Slurm memory per node (e.g. 32G).
    #[arg(long)]
    pub mem: Option<String>,
    /// Slurm account.
    #[arg(long)]
    pub account: Option<String>,
    /// Slurm: CPU cores per task.
    #[arg(long)]
    pub cpus_per_task: Option<u32>,
}

impl OnArgs {
    /// The Slurm profile to submit with, or None for a local run.
    pub fn slurm_profile(
        &self,
        cfg: &crate::config::Config,
    ) -> anyhow::Result<Option<runs::slurm::Profile>> {
        let over = runs::slurm::Profile {
            partition: self.partition.clone(),
            gpus: self.gpus,
            time: self.time.clone(),
            mem: self.mem.clone(),
            account: self.account.clone(),
            cpus_per_task: self.cpus_per_task,
            ..Default::default()
        };
        match self.on.as_str() {
            "local" => {
                if self.profile.is_some() || over != runs::slurm::Profile::default() {
                    bail!("--profile, --partition, --gpus, --time, --mem, --account and --cpus-per-task go with --on slurm");
                }
                Ok(None)
            }
            "slurm" => Ok(Some(cfg.slurm.resolve(self.profile.as_deref(), &over)?)),
            other => bail!("--on {other}: expected local or slurm"),
        }
    }
}

fn read_json_opt<T: serde::de::DeserializeOwned>(p: &Path) -> Option<T> {
    runs::read_json(p).ok().flatten()
}

fn now() -> f64 {
    runs::proc::now()
}

fn status_text(r: &query::RunRow) -> String {
    let mut s = r.status.as_str().to_string();
    if r.stalled {
        s.push_str(" (stalled)");
    }
    s
}

pub fn run(ctx: &mut Context, cmd: &RunCmd) -> anyhow::Result<()> {
    match cmd {
        RunCmd::Start(a) => {
            let cwd = match &a.cwd {
                Some(c) => c.clone(),
                None => std::env::current_dir().context("finding the current directory")?,
            };
            let mut spec = match (&a.project, &a.cmd) {
                (Some(p), None) => start::project_spec(&ctx.data_dir, p, &a.params, &cwd)?,
                (None, Some(line)) => {
                    if !a.params.is_empty() {
                        bail!("--param goes with a project; put the values into the --cmd line");
                    }
                    launch::Spec::shell(line, &cwd)
                }
                _ => bail!("give a PROJECT or --cmd 'COMMAND LINE'"),
            };
            if let Some(n) = &a.name {
                spec.name = n.clone();
            }
            let slurm = a.on.slurm_profile(&ctx.config)?;
            let (dir, meta) = start::start_spec(
                &ctx.store.conn,
                &ctx.data_dir,
                &spec,
                &a.tags,
                slurm.as_ref(),
            )?;
            match read_json_opt::<runs::slurm::JobRecord>(&dir.join(runs::slurm::JOB)) {
                Some(job) => println!(
                    "submitted {} as Slurm job {} ({})",
                    meta.id,
                    job.job_id,
                    dir.display()
                ),
                None => println!("started {} ({})", meta.id, dir.display()),
            }
            if a.follow {
                follow_logs(&dir, true, true, None)?;
                ingest::catch_up(&mut ctx.store.conn, &ctx.data_dir, ctx.config.runs.policy())?;
                let r = query::find(&ctx.store.conn, &meta.id)?;
                println!(
                    "{}: {}{}",
                    r.id,
                    r.status.as_str(),
                    r.reason.map(|x| format!(" — {x}")).unwrap_or_default()
                );
            }
        }
        RunCmd::Sweep(a) => sweep_cmd::sweep_cmd(ctx, a)?,
        RunCmd::List {
            status,
            project,
            json,
        } => {
            ingest::catch_up(&mut ctx.store.conn, &ctx.data_dir, ctx.config.runs.policy())?;
            let want = status
                .as_deref()
                .map(|s| Status::parse(s).with_context(|| format!("unknown status `{s}`")))
                .transpose()?;
            let list: Vec<_> = query::list(&ctx.store.conn)?
                .into_iter()
                .filter(|r| want.is_none_or(|w| r.status == w))
                .filter(|r| {
                    project
                        .as_ref()
                        .is_none_or(|p| r.project.as_ref() == Some(p))
                })
                .collect();
            if *json {
                return print_json(&list);
            }
            let diff = query::differing_params(&list);
            for r in &list {
                let params: Vec<String> = diff
                    .iter()
                    .filter_map(|k| r.params.get(k).map(|v| format!("{k}={}", runs::plain(v))))
                    .collect();
                println!(
                    "{:<40} {:<18} {:>8}  {:<18} {}",
                    r.id,
                    status_text(r),
                    crate::util::fmt::duration(r.duration(now())),
                    r.project.clone().unwrap_or_else(|| "-".into()),
                    params.join(" ")
                );
            }
            eprintln!("{} run(s)", list.len());
        }
        RunCmd::Show { id, json } => show::show(ctx, id, *json)?,
        RunCmd::Logs {
            id,
            follow,
            stdout,
            stderr,
            grep,
        } => {
            let r = query::find(&ctx.store.conn, id)?;
            let (o, e) = match (*stdout, *stderr) {
                (true, _) => (true, false),
                (_, true) => (false, true),
                _ => (true, true),
            };
            if *follow {
                follow_logs(&r.dir, o, e, grep.as_deref())?;
            } else {
                logs::print_logs(&r.dir, o, e, grep.as_deref())?;
            }
        }
        RunCmd::Metrics { id, keys, csv } => {
            ingest::catch_up(&mut ctx.store.conn, &ctx.data_dir, ctx.config.runs.policy())?;
            let r = query::find(&ctx.store.conn, id)?;
            let names = if keys.is_empty() {
                query::metric_names(&ctx.store.conn, r.rowid)?
            } else {
                keys.clone()
            };
            for k in &names {
                query::require_metric(&ctx.store.conn, &r, k)?;
            }
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            if *csv {
                writeln!(out, "metric,step,wall_time,value")?;
            }
            for k in &names {
                for (step, wall, v) in query::series(&ctx.store.conn, r.rowid, k)? {
                    if *csv {
                        writeln!(out, "{k},{step},{wall:.3},{v}")?;
                    } else {
                        writeln!(out, "{k:<20} {step:>8} {v}")?;
                    }
                }
            }
        }
        RunCmd::Cancel { id, grace } => {
            let r = query::find(&ctx.store.conn, id)?;
            if !r.status.is_active() {
                bail!("run {} is already {}", r.id, r.status.as_str());
            }
            let outcome =
                runs::cancel_run(&r.dir, &r.backend, Duration::from_secs_f64(grace.max(0.0)))?;
            println!("{}: {outcome}", r.id);
            // Give the supervisor a moment to record the exit, then update the index.
            for _ in 0..40 {
                if r.dir.join(runs::EXIT).exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            ingest::catch_up(&mut ctx.store.conn, &ctx.data_dir, ctx.config.runs.policy())?;
        }
        RunCmd::Compare { ids, metrics, json } => show::compare(ctx, ids, metrics, *json)?,
        RunCmd::Watch { once, interval_ms } => {
            let Some(_lock) = ingest::try_lock(&ctx.data_dir)? else {
                bail!("another labbook (the TUI or a `run watch`) is already ingesting this data directory");
            };
            let mut ing = ingest::Ingester::new(&runs::runs_dir(&ctx.data_dir))
                .with_policy(ctx.config.runs.policy())
                .with_slurm_poll(ctx.config.slurm.poll_secs);
            loop {
                let r = ing.cycle(&mut ctx.store.conn)?;
                for (id, s) in &r.changed {
                    println!("{id}: {}", s.as_str());
                }
                if r.points > 0 || r.lines > 0 {
                    tracing::debug!("ingested {} lines, {} points", r.lines, r.points);
                }
                if *once && !r.backlog {
                    break;
                }
                if !r.backlog {
                    std::thread::sleep(Duration::from_millis(*interval_ms));
                }
            }
        }
        RunCmd::Rerun { id, params } => {
            let r = query::find(&ctx.store.conn, id)?;
            let meta: runs::RunMeta = runs::read_json(&r.dir.join(runs::META))?
                .with_context(|| format!("{} has no meta.json", r.dir.display()))?;
            let spec = match &meta.project {
                Some(p) => {
                    let mut merged: Vec<String> = meta
                        .params
                        .iter()
                        .map(|(k, v)| format!("{k}={}", runs::plain(v)))
                        .collect();
                    merged.extend(params.iter().cloned());
                    start::project_spec(&ctx.data_dir, p, &merged, &meta.cwd)?
                }
                None => {
                    if !params.is_empty() {
                        bail!("run {} is a plain command without parameters; start a new one with --cmd", r.id);
                    }
                    launch::Spec {
                        name: meta.name.clone(),
                        argv: meta.argv.clone(),
                        command: meta.command.clone(),
                        cwd: meta.cwd.clone(),
                        ..Default::default()
                    }
                }
            };
            // A Slurm run is re-submitted with the profile it ran with.
            let slurm = (r.backend == "slurm")
                .then(|| read_json_opt::<runs::slurm::JobRecord>(&r.dir.join(runs::slurm::JOB)))
                .flatten()
                .map(|j| j.profile);
            let (dir, meta) =
                start::start_spec(&ctx.store.conn, &ctx.data_dir, &spec, &[], slurm.as_ref())?;
            println!("started {} ({})", meta.id, dir.display());
        }
        RunCmd::Tag { id, add, remove } => {
            let r = query::find(&ctx.store.conn, id)?;
            query::set_tags(&ctx.store.conn, &r, add, remove)?;
            println!("{}: tags updated", r.id);
        }
        RunCmd::Note { id, title, body } => {
            let r = query::find(&ctx.store.conn, id)?;
            let n = crate::notes::create(
                &ctx.store.conn,
                &ctx.notes_dir,
                &crate::notes::NewNote {
                    title: title.clone().unwrap_or_else(|| format!("Run {}", r.id)),
                    body: body.clone(),
                    run: Some(r.id.clone()),
                    ..Default::default()
                },
            )?;
            println!("note {} attached to {}", n.id, r.id);
        }
        RunCmd::Delete { id, yes } => {
            let r = query::find(&ctx.store.conn, id)?;
            if !yes {
                eprint!(
                    "delete run {} and its directory {}? [y/N] ",
                    r.id,
                    r.dir.display()
                );
                std::io::stderr().flush()?;
                let mut answer = String::new();
                std::io::stdin().read_line(&mut answer)?;
                if !matches!(answer.trim(), "y" | "Y" | "yes") {
                    println!("kept");
                    return Ok(());
                }
            }
            query::delete(&ctx.store.conn, &r)?;
            println!("deleted {}", r.id);
        }
    }
    Ok(())
}
