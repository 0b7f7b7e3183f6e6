//! `labbook run …`, `labbook project …` and `labbook exp …`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::print_json;
use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::app::Context;
use crate::runs::tail::{Chunk, Tail};
use crate::runs::{self, ingest, launch, project, query, start, sweep, Status};

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
        /// The built-in projects as projects/README.md's Markdown table.
        #[arg(long, conflicts_with = "json")]
        markdown: bool,
        /// With --markdown: what the project links start with (`projects/` from the
        /// repository's root, empty from projects/).
        #[arg(long, default_value = "projects/", requires = "markdown")]
        base: String,
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
                    crate::util::fmt::duration(r.duration(now())),
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
                crate::util::fmt::duration(r.duration(now())),
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
                        crate::util::fmt::value(s.last),
                        s.min
                            .map(|m| crate::util::fmt::value(Some(m)))
                            .unwrap_or("-".into()),
                        s.max
                            .map(|m| crate::util::fmt::value(Some(m)))
                            .unwrap_or("-".into())
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
                        .map(|m| crate::util::fmt::value(m.last))
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

fn sweep_cmd(ctx: &Context, a: &SweepArgs) -> anyhow::Result<()> {
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

/// Write the lines of `chunk` (progress bars folded), those containing `grep` only.
fn emit(out: &mut impl Write, chunk: &Chunk, grep: Option<&str>) -> std::io::Result<()> {
    for text in chunk.lines() {
        let shown = crate::protocol::fold_cr(&text);
        if let Some(g) = grep {
            if !crate::protocol::strip_ansi(shown)
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

/// The most read from one stream at a time.
const MAX_READ: u64 = 8 << 20;

fn print_logs(dir: &Path, o: bool, e: bool, grep: Option<&str>) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for p in log_paths(dir, o, e) {
        let mut tail = Tail::new(&p, 0);
        while let Some(chunk) = tail
            .read(MAX_READ, true)
            .with_context(|| format!("reading {}", p.display()))?
        {
            emit(&mut out, &chunk, grep)?;
            if !chunk.backlog {
                break;
            }
        }
    }
    Ok(())
}

/// Print output as it arrives until the run has ended and every byte is shown.
pub fn follow_logs(dir: &Path, o: bool, e: bool, grep: Option<&str>) -> anyhow::Result<()> {
    let mut tails: Vec<Tail> = log_paths(dir, o, e)
        .iter()
        .map(|p| Tail::new(p, 0))
        .collect();
    let mut out = std::io::stdout().lock();
    let mut last_check = std::time::Instant::now();
    loop {
        // Ended: an exit record, or (checked each second) a run whose processes are
        // gone without one — a lost run never gets a record.
        let mut ended = dir.join(runs::EXIT).exists();
        if !ended && last_check.elapsed() >= Duration::from_secs(1) {
            last_check = std::time::Instant::now();
            ended = runs::is_gone(dir);
        }
        let mut progress = false;
        for t in &mut tails {
            let Some(chunk) = t
                .read(MAX_READ, ended)
                .with_context(|| format!("reading {}", t.path().display()))?
            else {
                continue;
            };
            emit(&mut out, &chunk, grep)?;
            progress |= !chunk.is_empty() || chunk.backlog;
        }
        out.flush()?;
        if ended && !progress {
            return Ok(());
        }
        if !progress {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

pub fn project_cmd(ctx: &Context, cmd: &ProjectCmd) -> anyhow::Result<()> {
    match cmd {
        ProjectCmd::List {
            markdown: true,
            base,
            ..
        } => {
            print!("{}", project::projects_table(base)?);
        }
        ProjectCmd::List { json, .. } => {
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
                .map(|s| crate::util::split_kv(s))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let dir = project::add(&ctx.data_dir, name, command, title.as_deref(), &kv, metrics)?;
            println!("added project {name} ({})", dir.display());
        }
    }
    Ok(())
}
