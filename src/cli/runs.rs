//! `labbook run …`, `labbook project …` and `labbook exp …`.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::app::Context;
use crate::runs::{self, ingest, launch, project, query, sweep, Status};

#[derive(Debug, Subcommand)]
pub enum RunCmd {
    /// Start a run of a project (or of any command with --cmd).
    Start(StartArgs),
    /// Preview and start a sweep: list-valued --param k=a,b,c over a project.
    Sweep(SweepArgs),
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

#[derive(Debug, Subcommand)]
pub enum ProjectCmd {
    /// Built-in projects and your own.
    List {
        #[arg(long)]
        json: bool,
    },
    /// A project's manifest and brief.
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Add a project of your own for any command, e.g. 'python train.py --lr {lr}'.
    Add {
        name: String,
        #[arg(long)]
        command: String,
        #[arg(long)]
        title: Option<String>,
        /// Default for a {placeholder}: K=V (its type is inferred).
        #[arg(long = "default", value_name = "K=V")]
        defaults: Vec<String>,
        /// Metric keys to chart.
        #[arg(long = "metric")]
        metrics: Vec<String>,
    },
}

fn read_json_opt<T: serde::de::DeserializeOwned>(p: &Path) -> Option<T> {
    runs::read_json(p).ok().flatten()
}

pub fn split_kv(s: &str) -> anyhow::Result<(String, String)> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => bail!("`{s}` is not K=V"),
    }
}

pub fn exe() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("finding the labbook executable")
}

fn now() -> f64 {
    runs::proc::now()
}

pub fn fmt_value(v: Option<f64>) -> String {
    match v {
        None => "NaN".into(),
        Some(x) if x.is_infinite() => {
            if x > 0.0 {
                "inf".into()
            } else {
                "-inf".into()
            }
        }
        Some(x) if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e5) => format!("{x:.3e}"),
        Some(x) => format!("{x:.4}"),
    }
}

fn status_text(r: &query::RunRow) -> String {
    let mut s = r.status.as_str().to_string();
    if r.stalled {
        s.push_str(" (stalled)");
    }
    s
}

/// Start a spec now: create, register, then supervise it here or submit it to Slurm.
pub fn start_spec(
    ctx: &Context,
    spec: &launch::Spec,
    tags: &[String],
    slurm: Option<&runs::slurm::Profile>,
) -> anyhow::Result<(PathBuf, runs::RunMeta)> {
    let mut spec = spec.clone();
    let root = match slurm {
        Some(p) => {
            spec.backend = "slurm".into();
            p.runs_dir
                .clone()
                .unwrap_or_else(|| runs::runs_dir(&ctx.data_dir))
        }
        None => runs::runs_dir(&ctx.data_dir),
    };
    let (dir, meta) = launch::create(&root, &spec)?;
    ingest::register(&ctx.store.conn, &dir, &meta)?;
    if !tags.is_empty() {
        let row = query::find(&ctx.store.conn, &meta.id)?;
        query::set_tags(&ctx.store.conn, &row, tags, &[])?;
    }
    match slurm {
        None => launch::start(&exe()?, &dir)?,
        Some(profile) => {
            if let Err(e) = runs::slurm::submit(&meta, &dir, profile) {
                // The run is recorded as failed with the reason, not left queued.
                runs::write_json(
                    &dir.join(runs::EXIT),
                    &runs::Exit {
                        error: Some(format!("not submitted: {e:#}")),
                        at: now(),
                        ..Default::default()
                    },
                )?;
                return Err(e.context(format!("submitting run {} to Slurm", meta.id)));
            }
        }
    }
    Ok((dir, meta))
}

pub fn project_spec(
    ctx: &Context,
    name: &str,
    params: &[String],
    cwd: &Path,
) -> anyhow::Result<launch::Spec> {
    let p = project::find(&ctx.data_dir, name)?;
    if let project::Readiness::NotBuilt(why) = p.readiness() {
        bail!("project `{name}` cannot run yet: {why}; nothing was started");
    }
    let kv = params
        .iter()
        .map(|s| split_kv(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let resolved = project::resolve_params(&p.manifest, &kv)?;
    project::spec(&p, &resolved, &exe()?, cwd)
}

pub fn run(ctx: &mut Context, cmd: &RunCmd) -> anyhow::Result<()> {
    match cmd {
        RunCmd::Start(a) => {
            let cwd = match &a.cwd {
                Some(c) => c.clone(),
                None => std::env::current_dir().context("finding the current directory")?,
            };
            let mut spec = match (&a.project, &a.cmd) {
                (Some(p), None) => project_spec(ctx, p, &a.params, &cwd)?,
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
            let (dir, meta) = start_spec(ctx, &spec, &a.tags, slurm.as_ref())?;
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
        RunCmd::Sweep(a) => sweep_cmd(ctx, a)?,
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
                    runs::fmt_duration(r.duration(now())),
                    r.project.clone().unwrap_or_else(|| "-".into()),
                    params.join(" ")
                );
            }
            eprintln!("{} run(s)", list.len());
        }
        RunCmd::Show { id, json } => {
            ingest::catch_up(&mut ctx.store.conn, &ctx.data_dir, ctx.config.runs.policy())?;
            let r = query::find(&ctx.store.conn, id)?;
            let sums = query::summaries(&ctx.store.conn, r.rowid)?;
            let info = query::info(&ctx.store.conn, r.rowid)?;
            let meta: Option<runs::RunMeta> = runs::read_json(&r.dir.join(runs::META))?;
            if *json {
                return print_json(&json!({"run": r, "metrics": sums, "info": info, "meta": meta}));
            }
            println!(
                "{}  {}{}",
                r.id,
                status_text(&r),
                r.reason
                    .as_ref()
                    .map(|x| format!(" — {x}"))
                    .unwrap_or_default()
            );
            println!("  command  {}", r.command);
            println!("  dir      {}", r.dir.display());
            if r.backend == "slurm" {
                let job = read_json_opt::<runs::slurm::JobRecord>(&r.dir.join(runs::slurm::JOB));
                let started =
                    read_json_opt::<runs::slurm::StartedRecord>(&r.dir.join(runs::slurm::STARTED));
                let mut parts = vec![match &job {
                    Some(j) => format!("job {}", j.job_id),
                    None => "not submitted".into(),
                }];
                if let Some(st) = started {
                    parts.push(format!("node {}", st.node));
                }
                if let Some(p) = job.as_ref().map(|j| &j.profile) {
                    for (k, v) in [
                        ("partition", p.partition.clone()),
                        ("gpus", p.gpus.map(|g| g.to_string())),
                        ("time", p.time.clone()),
                        ("mem", p.mem.clone()),
                        ("account", p.account.clone()),
                    ] {
                        if let Some(v) = v {
                            parts.push(format!("{k} {v}"));
                        }
                    }
                }
                println!("  slurm    {}", parts.join(" · "));
            }
            println!(
                "  duration {}  lines {}",
                runs::fmt_duration(r.duration(now())),
                r.lines
            );
            if let Some(m) = &meta {
                println!(
                    "  host     {} · {}{}",
                    m.host,
                    m.cpu,
                    m.gpu
                        .as_ref()
                        .map(|g| format!(" · {g}"))
                        .unwrap_or_default()
                );
                if let Some(g) = &m.git {
                    println!(
                        "  git      {}{}",
                        g.commit,
                        if g.dirty {
                            " (dirty: git.diff saved)"
                        } else {
                            ""
                        }
                    );
                }
            }
            if !r.params.is_empty() {
                let p: Vec<String> = r
                    .params
                    .iter()
                    .map(|(k, v)| format!("{k}={}", runs::plain(v)))
                    .collect();
                println!("  params   {}", p.join(" "));
            }
            if !r.tags.is_empty() {
                println!("  tags     {}", r.tags.join(", "));
            }
            for (k, v) in &info {
                println!("  info     {k} = {v}");
            }
            if !sums.is_empty() {
                println!(
                    "\n  {:<20} {:>8} {:>12} {:>12} {:>12}",
                    "metric", "points", "last", "min", "max"
                );
                for s in &sums {
                    println!(
                        "  {:<20} {:>8} {:>12} {:>12} {:>12}",
                        s.key,
                        s.count,
                        fmt_value(s.last),
                        s.min.map(|m| fmt_value(Some(m))).unwrap_or("-".into()),
                        s.max.map(|m| fmt_value(Some(m))).unwrap_or("-".into())
                    );
                }
            }
        }
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
                print_logs(&r.dir, o, e, grep.as_deref())?;
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
        RunCmd::Compare { ids, metrics, json } => {
            ingest::catch_up(&mut ctx.store.conn, &ctx.data_dir, ctx.config.runs.policy())?;
            let list: Vec<query::RunRow> = ids
                .iter()
                .map(|i| query::find(&ctx.store.conn, i))
                .collect::<anyhow::Result<_>>()?;
            let cmp = query::Comparison::load(&ctx.store.conn, list)?;
            let (list, diff, sums) = (&cmp.runs, &cmp.differing, &cmp.summaries);
            let keys: Vec<String> = if metrics.is_empty() {
                cmp.keys.clone()
            } else {
                metrics.clone()
            };
            if *json {
                let rows: Vec<_> = list
                    .iter()
                    .zip(sums)
                    .map(|(r, s)| {
                        json!({
                            "id": r.id, "status": r.status, "params": diff.iter().map(|k| (k.clone(), r.params.get(k).cloned())).collect::<std::collections::BTreeMap<_,_>>(),
                            "metrics": s.iter().filter(|m| keys.contains(&m.key)).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                return print_json(&json!({"differing_params": diff, "runs": rows}));
            }
            print!("{:<40}", "run");
            for k in diff {
                print!(" {k:>12}");
            }
            for k in &keys {
                print!(" {:>14}", format!("{k}(last)"));
            }
            println!();
            for (r, s) in list.iter().zip(sums) {
                print!("{:<40}", r.id);
                for k in diff {
                    print!(
                        " {:>12}",
                        r.params.get(k).map(runs::plain).unwrap_or("-".into())
                    );
                }
                for k in &keys {
                    let v = s
                        .iter()
                        .find(|m| &m.key == k)
                        .map(|m| fmt_value(m.last))
                        .unwrap_or("-".into());
                    print!(" {v:>14}");
                }
                println!();
            }
        }
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
                    project_spec(ctx, p, &merged, &meta.cwd)?
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
            let (dir, meta) = start_spec(ctx, &spec, &[], slurm.as_ref())?;
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

fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

/// A planned sweep: the combinations, what varies, and the runs to start.
pub struct SweepPlan {
    pub combos: Vec<std::collections::BTreeMap<String, serde_json::Value>>,
    pub varying: Vec<String>,
    pub specs: Vec<launch::Spec>,
}

impl SweepPlan {
    /// One line per run: the values that vary.
    pub fn preview(&self) -> Vec<String> {
        self.combos
            .iter()
            .map(|c| {
                self.varying
                    .iter()
                    .map(|k| format!("{k}={}", runs::plain(&c[k])))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }
}

/// Expand `k=v` / `k=v1,v2,…` overrides (over the project's default `[sweep]` grid)
/// into runs, optionally a seeded random subset.
pub fn plan_sweep(
    ctx: &Context,
    project_name: &str,
    params: &[(String, String)],
    random: Option<usize>,
    seed: u64,
) -> anyhow::Result<SweepPlan> {
    let p = project::find(&ctx.data_dir, project_name)?;
    if let project::Readiness::NotBuilt(why) = p.readiness() {
        bail!("project `{project_name}` cannot run yet: {why}; nothing was started");
    }
    let m = &p.manifest;
    let mut fixed = Vec::new();
    let mut axes: std::collections::BTreeMap<String, Vec<serde_json::Value>> =
        std::collections::BTreeMap::new();
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
    let mut combos = sweep::grid(&base, &axes);
    if let Some(n) = random {
        let keep = sweep::random_subset(combos.len(), n, seed);
        combos = keep.into_iter().map(|i| combos[i].clone()).collect();
    }
    let cwd = std::env::current_dir()?;
    let specs = combos
        .iter()
        .map(|c| project::spec(&p, c, &exe()?, &cwd))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(SweepPlan {
        combos,
        varying: axes.keys().cloned().collect(),
        specs,
    })
}

/// Start a planned sweep and register its queued runs.
pub fn start_sweep(
    ctx: &Context,
    project_name: &str,
    plan: SweepPlan,
    max_parallel: usize,
) -> anyhow::Result<(String, usize)> {
    let n = plan.specs.len();
    let (id, created) = sweep::start(
        &exe()?,
        &runs::runs_dir(&ctx.data_dir),
        project_name,
        plan.specs,
        max_parallel,
    )?;
    for (d, meta) in &created {
        ingest::register(&ctx.store.conn, d, meta)?;
    }
    Ok((id, n))
}

fn sweep_cmd(ctx: &Context, a: &SweepArgs) -> anyhow::Result<()> {
    let kv = a
        .params
        .iter()
        .map(|s| split_kv(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let slurm = a.on.slurm_profile(&ctx.config)?;
    if a.no_array && slurm.is_none() {
        bail!("--no-array goes with --on slurm");
    }
    let plan = plan_sweep(ctx, &a.project, &kv, a.random, a.seed)?;
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
        let (id, jobs) = submit_sweep(ctx, &m_name, plan, a.max_parallel, &profile, !a.no_array)?;
        println!("submitted sweep {id} to Slurm: {jobs}");
        return Ok(());
    }
    let (id, n) = start_sweep(ctx, &m_name, plan, a.max_parallel)?;
    println!("started sweep {id}: {n} run(s) queued");
    Ok(())
}

/// Submit a planned sweep to Slurm: a job array limited to `max_parallel` tasks at a
/// time, or one job per run where jobs named `<sweep>-<k>` with `--dependency=singleton`
/// form `max_parallel` queues. Returns the sweep id and a description of the jobs.
pub fn submit_sweep(
    ctx: &Context,
    project_name: &str,
    plan: SweepPlan,
    max_parallel: usize,
    profile: &runs::slurm::Profile,
    array: bool,
) -> anyhow::Result<(String, String)> {
    if max_parallel == 0 {
        bail!("--max-parallel must be at least 1");
    }
    let root = profile
        .runs_dir
        .clone()
        .unwrap_or_else(|| runs::runs_dir(&ctx.data_dir));
    let id = runs::new_id(&format!("sweep-{project_name}"));
    let mut created = Vec::new();
    for mut spec in plan.specs {
        spec.sweep = Some(id.clone());
        spec.backend = "slurm".into();
        let (dir, meta) = launch::create(&root, &spec)?;
        ingest::register(&ctx.store.conn, &dir, &meta)?;
        created.push((dir, meta));
    }
    let fail_all = |created: &[(PathBuf, runs::RunMeta)], e: &anyhow::Error| {
        for (dir, _) in created {
            if !dir.join(runs::slurm::JOB).exists() {
                let _ = runs::write_json(
                    &dir.join(runs::EXIT),
                    &runs::Exit {
                        error: Some(format!("not submitted: {e:#}")),
                        at: now(),
                        ..Default::default()
                    },
                );
            }
        }
    };
    if array {
        let dir = runs::sweep::sweeps_dir(&root).join(&id);
        match runs::slurm::submit_array(&created, &dir, profile, max_parallel) {
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
            match runs::slurm::submit(meta, dir, &p) {
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

fn log_paths(dir: &Path, o: bool, e: bool) -> Vec<PathBuf> {
    let mut v = Vec::new();
    if o {
        v.push(dir.join(runs::STDOUT));
    }
    if e {
        v.push(dir.join(runs::STDERR));
    }
    v
}

fn emit(out: &mut impl Write, raw: &[u8], grep: Option<&str>) -> std::io::Result<()> {
    for line in raw.split(|b| *b == b'\n') {
        if line.is_empty() {
            continue;
        }
        let text = String::from_utf8_lossy(line);
        let shown = runs::protocol::fold_cr(&text);
        if let Some(g) = grep {
            if !runs::protocol::strip_ansi(shown)
                .to_lowercase()
                .contains(&g.to_lowercase())
            {
                continue;
            }
        }
        writeln!(out, "{shown}")?;
    }
    Ok(())
}

fn print_logs(dir: &Path, o: bool, e: bool, grep: Option<&str>) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for p in log_paths(dir, o, e) {
        match std::fs::read(&p) {
            Ok(b) => emit(&mut out, &b, grep)?,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(err).with_context(|| format!("reading {}", p.display())),
        }
    }
    Ok(())
}

/// No process will ever write to this run again (and no exit record will come).
fn run_is_gone(dir: &Path) -> bool {
    match runs::read_json::<runs::SupervisorRecord>(&dir.join(runs::SUPERVISOR)) {
        Ok(Some(s)) => {
            !runs::proc::alive(s.pid, s.start_ticks, &s.boot_id)
                && !runs::proc::alive(s.supervisor_pid, s.supervisor_ticks, &s.boot_id)
                && !dir.join(runs::EXIT).exists()
        }
        _ => {
            runs::read_json::<runs::LaunchRecord>(&dir.join(runs::LAUNCH))
                .ok()
                .flatten()
                .is_some_and(|l| !l.alive())
                && !dir.join(runs::EXIT).exists()
        }
    }
}

/// Print output as it arrives until the run has ended and every byte is shown.
pub fn follow_logs(dir: &Path, o: bool, e: bool, grep: Option<&str>) -> anyhow::Result<()> {
    let paths = log_paths(dir, o, e);
    let mut offsets = vec![0u64; paths.len()];
    let mut partial: Vec<Vec<u8>> = vec![Vec::new(); paths.len()];
    let mut out = std::io::stdout().lock();
    let mut last_check = std::time::Instant::now();
    loop {
        // Ended: an exit record, or (checked each second) a run whose processes are
        // gone without one — a lost run never gets a record.
        let mut ended = dir.join(runs::EXIT).exists();
        if !ended && last_check.elapsed() >= Duration::from_secs(1) {
            last_check = std::time::Instant::now();
            ended = run_is_gone(dir);
        }
        let mut progress = false;
        for (i, p) in paths.iter().enumerate() {
            let Ok(mut f) = std::fs::File::open(p) else {
                continue;
            };
            let len = f.metadata()?.len();
            if len <= offsets[i] {
                continue;
            }
            f.seek(SeekFrom::Start(offsets[i]))?;
            let mut buf = Vec::new();
            Read::by_ref(&mut f)
                .take(len - offsets[i])
                .read_to_end(&mut buf)?;
            offsets[i] += buf.len() as u64;
            partial[i].extend_from_slice(&buf);
            if let Some(cut) = partial[i].iter().rposition(|b| *b == b'\n') {
                let rest = partial[i].split_off(cut + 1);
                emit(&mut out, &partial[i], grep)?;
                partial[i] = rest;
            }
            progress = true;
        }
        out.flush()?;
        if ended && !progress {
            for p in &partial {
                emit(&mut out, p, grep)?;
            }
            return Ok(());
        }
        if !progress {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

pub fn project_cmd(ctx: &Context, cmd: &ProjectCmd) -> anyhow::Result<()> {
    match cmd {
        ProjectCmd::List { json } => {
            let all = project::load_all(&ctx.data_dir)?;
            if *json {
                let v: Vec<_> = all
                    .iter()
                    .map(|p| json!({"name": p.manifest.name, "title": p.manifest.title, "step": p.manifest.step, "kind": p.kind(),
                        "exp": p.manifest.exp, "command": p.manifest.command, "ready": p.readiness() == project::Readiness::Ready,
                        "status": match p.readiness() { project::Readiness::Ready => "ready".to_string(), project::Readiness::NotBuilt(w) => w },
                        "source": p.source, "metrics": p.manifest.metrics}))
                    .collect();
                return print_json(&v);
            }
            for p in &all {
                let st = match p.readiness() {
                    project::Readiness::Ready => "ready".to_string(),
                    project::Readiness::NotBuilt(w) => format!("not built yet ({w})"),
                };
                println!(
                    "{:<22} {:<4} {:<8} {:<42} {}",
                    p.manifest.name,
                    p.manifest.step.clone().unwrap_or_default(),
                    p.kind(),
                    crate::util::truncate(&p.manifest.title, 42),
                    st
                );
            }
        }
        ProjectCmd::Show { name, json } => {
            let p = project::find(&ctx.data_dir, name)?;
            if *json {
                return print_json(&p);
            }
            println!("{} — {}  ({})", p.manifest.name, p.manifest.title, p.source);
            if let project::Readiness::NotBuilt(w) = p.readiness() {
                println!("status: not built yet: {w}");
            }
            match (&p.manifest.exp, &p.manifest.command) {
                (Some(e), _) => println!("runs:   labbook exp {e} --param k=v …"),
                (_, Some(c)) => println!("runs:   {c}"),
                _ => {}
            }
            for (k, s) in &p.manifest.params {
                println!(
                    "  --param {k}={:<14} {:?}  {}",
                    s.default
                        .as_ref()
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "(required)".into()),
                    s.kind,
                    s.help
                );
            }
            println!("\n{}", p.readme);
        }
        ProjectCmd::Add {
            name,
            command,
            title,
            defaults,
            metrics,
        } => {
            let kv = defaults
                .iter()
                .map(|s| split_kv(s))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let dir = project::add(&ctx.data_dir, name, command, title.as_deref(), &kv, metrics)?;
            println!("added project {name} ({})", dir.display());
        }
    }
    Ok(())
}
