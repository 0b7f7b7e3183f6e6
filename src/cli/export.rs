//! `labbook export …`: Markdown documents from what the user has done.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::app::Context;
use crate::export::{self, docs, progress, report, Target};

#[derive(Debug, Subcommand)]
pub enum ExportCmd {
    /// Research report of a project's runs: DIR/report.md plus SVG figures in DIR/figures/.
    Report {
        /// The project (see `labbook project list`); optional with --runs (runs of
        /// plain commands have none).
        #[arg(long, required_unless_present = "runs")]
        project: Option<String>,
        /// Runs to include, comma-separated ids or unique parts of ids (default: every
        /// finished run of the project).
        #[arg(long, value_delimiter = ',', value_name = "ID,ID")]
        runs: Vec<String>,
        /// The run deltas are measured against (default: the run tagged `baseline`,
        /// else the oldest).
        #[arg(long, value_name = "RUN")]
        baseline: Option<String>,
        /// Title (default: the project's title).
        #[arg(long)]
        title: Option<String>,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Write into an existing non-empty directory (only the report's own files are
        /// replaced; nothing is deleted).
        #[arg(long)]
        force: bool,
    },
    /// Weekly progress report: items done and overdue, papers, notes, runs, deliverables.
    Progress {
        /// Plan week (default: the current week).
        #[arg(long, value_name = "N")]
        week: Option<u32>,
        #[command(flatten)]
        out: OutFile,
    },
    /// The day-wise schedule of the plan.
    Schedule {
        /// Only plan week N.
        #[arg(long, value_name = "N")]
        week: Option<u32>,
        #[command(flatten)]
        out: OutFile,
    },
    /// Study roadmap: each step's papers with links, resources and hands-on projects
    /// with their commands.
    Roadmap {
        #[command(flatten)]
        out: OutFile,
    },
    /// Mini research proposal, filled from notes titled "…proposal…", your papers and runs.
    Proposal {
        #[command(flatten)]
        out: OutFile,
    },
    /// Project plan of the end-to-end real-time speech-to-speech pipeline.
    ProjectPlan {
        #[command(flatten)]
        out: OutFile,
    },
    /// The interview prep sheet: per topic key points, your notes, questions with your
    /// latest answers, weakest topics first, and case studies from your runs.
    Interview {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Case studies to build from your runs.
        #[arg(long, default_value_t = 3)]
        cases: usize,
    },
}

#[derive(Debug, Args)]
pub struct OutFile {
    /// Output file (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

pub fn run(ctx: &mut Context, cmd: &ExportCmd) -> anyhow::Result<()> {
    // Runs still being written are ingested first, so the numbers are current.
    crate::runs::ingest::catch_up(&mut ctx.store.conn, &ctx.data_dir, ctx.config.runs.policy())?;
    if let ExportCmd::Interview { out, cases } = cmd {
        let sheet = super::cards::ExportCmd::Interview {
            out: out.clone(),
            cases: *cases,
        };
        return super::cards::export(ctx, &sheet);
    }
    let conn = &ctx.store.conn;
    match cmd {
        ExportCmd::Report {
            project,
            runs,
            baseline,
            title,
            out,
            force,
        } => {
            let spec = report::ReportSpec {
                project: project.clone(),
                runs: runs
                    .iter()
                    .filter(|r| !r.trim().is_empty())
                    .cloned()
                    .collect(),
                baseline: baseline.clone(),
                title: title.clone(),
            };
            let w = report::write(conn, &ctx.data_dir, ctx.today, &spec, out, *force)?;
            for warn in &w.warnings {
                eprintln!("warning: {warn}");
            }
            println!(
                "wrote {} and {} figure(s)",
                w.markdown.display(),
                w.figures.len()
            );
        }
        ExportCmd::Progress { week, out } => {
            let plan = ctx.plan()?;
            let sched = ctx.schedule()?;
            let p = progress::build(conn, &ctx.data_dir, &plan, &sched, ctx.today, *week)?;
            emit(&progress::render(&p), out, "progress report")?;
        }
        ExportCmd::Schedule { week, out } => {
            let src = sources(ctx)?;
            emit(&docs::schedule(&src, *week)?, out, "schedule")?;
        }
        ExportCmd::Roadmap { out } => {
            let src = sources(ctx)?;
            emit(&docs::roadmap(conn, &src)?, out, "roadmap")?;
        }
        ExportCmd::Proposal { out } => {
            let src = sources(ctx)?;
            emit(&docs::proposal(conn, &src)?, out, "proposal")?;
        }
        ExportCmd::ProjectPlan { out } => {
            let src = sources(ctx)?;
            emit(&docs::project_plan(conn, &src)?, out, "project plan")?;
        }
        // answered above, before the store is borrowed
        ExportCmd::Interview { .. } => {}
    }
    Ok(())
}

fn sources(ctx: &Context) -> anyhow::Result<docs::Sources> {
    docs::Sources::load(
        &ctx.store.conn,
        &ctx.data_dir,
        ctx.plan()?,
        ctx.schedule()?,
        ctx.today,
    )
    .context("reading the plan, papers, notes and runs")
}

fn emit(text: &str, out: &OutFile, what: &str) -> anyhow::Result<()> {
    let target = Target::parse(&out.out);
    export::write_doc(&target, text, out.force)?;
    if let Target::File(p) = target {
        eprintln!("wrote the {what} to {}", p.display());
    }
    Ok(())
}
