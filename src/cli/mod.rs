//! Command-line interface (clap). No subcommand opens the TUI.

pub mod audio;
pub mod bench;
pub mod cards;
mod commands;
pub mod demo;
pub mod export;
pub mod runs;

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

pub use commands::{options, run};

/// Print a value as pretty JSON (every `--json` output).
pub fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

#[derive(Debug, Parser)]
#[command(
    name = "labbook",
    version,
    about = "A terminal lab notebook for a 10–12 week research-role preparation plan"
)]
pub struct Cli {
    /// Data directory (database, notes); default: the XDG data dir.
    #[arg(long, global = true, env = "LABBOOK_HOME", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Use a curriculum directory of your own instead of the built-in plan.
    #[arg(long, global = true, value_name = "DIR")]
    pub curriculum: Option<PathBuf>,
    /// Use a question bank directory of your own instead of the built-in one.
    #[arg(long, global = true, value_name = "DIR")]
    pub questions: Option<PathBuf>,
    /// Config file (default: <XDG config>/labbook/config.toml, or <data dir>/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Pretend today is DATE (YYYY-MM-DD).
    #[arg(
        long,
        global = true,
        env = "LABBOOK_TODAY",
        value_name = "DATE",
        hide = true
    )]
    pub today: Option<NaiveDate>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Where you are in the plan: current week, progress, due and overdue items.
    Status(JsonFlag),
    /// The plan: steps and items with due dates (`--days` for the day-wise schedule).
    Plan(PlanArgs),
    /// Show or set the plan's start date and length (10, 11 or 12 weeks).
    Schedule(ScheduleArgs),
    /// Mark plan items done.
    Done {
        #[arg(required = true, value_name = "ITEM-ID")]
        ids: Vec<String>,
    },
    /// Mark plan items not done.
    Undone {
        #[arg(required = true, value_name = "ITEM-ID")]
        ids: Vec<String>,
    },
    /// Re-read the curriculum and sync it into the database.
    Sync(JsonFlag),
    /// The reading list.
    #[command(subcommand)]
    Paper(PaperCmd),
    /// Markdown notes.
    #[command(subcommand)]
    Note(NoteCmd),
    /// The plan's deliverables: status and evidence.
    #[command(subcommand)]
    Deliverable(DeliverableCmd),
    /// Experiment runs: start, sweep, follow, compare, cancel.
    #[command(subcommand)]
    Run(runs::RunCmd),
    /// Hands-on projects (built-in and your own).
    #[command(subcommand)]
    Project(runs::ProjectCmd),
    /// Run a built-in Candle experiment in the foreground (without NAME: list them;
    /// `labbook exp NAME --help`: its parameters, types, defaults and help).
    #[command(disable_help_flag = true)]
    Exp {
        name: Option<String>,
        #[arg(long = "param", value_name = "K=V")]
        params: Vec<String>,
        /// Show the experiment's parameters (or, without NAME, this command's usage).
        #[arg(short, long)]
        help: bool,
        /// Without NAME: the experiments as the README's Markdown table.
        #[arg(long)]
        markdown: bool,
    },
    /// Audio files: format and level, Whisper's log-mel as .npy.
    #[command(subcommand)]
    Audio(audio::AudioCmd),
    /// Data sets: the synthetic speech set.
    #[command(subcommand)]
    Data(audio::DataCmd),
    /// Evaluation metrics: WER/CER (as jiwer), STOI (as pystoi).
    #[command(subcommand)]
    Eval(audio::EvalCmd),
    /// Flashcards (FSRS): review, stats, add, list.
    #[command(subcommand)]
    Cards(cards::CardsCmd),
    /// Mock interviews from the question bank, and their history.
    #[command(subcommand)]
    Interview(cards::InterviewCmd),
    /// Markdown exports: research report, weekly progress, schedule, roadmap, proposal,
    /// project plan, interview prep sheet.
    #[command(subcommand)]
    Export(export::ExportCmd),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(bench::BenchCmd),
    /// Live demos, each recorded as a run: `turn-taking`.
    #[command(subcommand)]
    Demo(demo::DemoCmd),
    #[command(name = "__supervise", hide = true)]
    Supervise { dir: PathBuf },
    #[command(name = "__sweep", hide = true)]
    SweepRunner { dir: PathBuf },
    #[command(name = "__flood", hide = true)]
    Flood { rate: u64, secs: f64 },
}

/// One thing by its number (a note, a card), as text or JSON.
#[derive(Debug, Args)]
pub struct ById {
    pub id: i64,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Only items due in plan week N.
    #[arg(long, value_name = "N")]
    pub week: Option<u32>,
    /// Day-wise schedule instead of the step list.
    #[arg(long)]
    pub days: bool,
    /// Only this step (e.g. s3).
    #[arg(long)]
    pub step: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// First day of the plan (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub start: Option<NaiveDate>,
    /// Plan length: 10, 11 or 12 weeks (steps scale proportionally).
    #[arg(long, value_name = "N")]
    pub weeks: Option<u32>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PaperCmd {
    /// List papers (filters combine).
    List {
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        step: Option<String>,
        #[arg(long)]
        tag: Option<String>,
        /// Words that must all appear (title, authors, key, venue, tags).
        #[arg(long)]
        search: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One paper in full.
    Show {
        key: String,
        #[arg(long)]
        json: bool,
    },
    /// Add a paper by arXiv id (or DOI/URL) and title; no network needed.
    Add {
        #[arg(long)]
        arxiv: Option<String>,
        #[arg(long)]
        doi: Option<String>,
        #[arg(long)]
        url: Option<String>,
        #[arg(long)]
        title: String,
        /// Repeat for each author ("First Last" or "Last, First").
        #[arg(long = "author")]
        authors: Vec<String>,
        #[arg(long)]
        year: Option<String>,
        /// Citation key (default: surname + year + first title word).
        #[arg(long)]
        key: Option<String>,
        #[arg(long = "tag")]
        tags: Vec<String>,
    },
    /// Change reading status, priority, rating, tags, linked steps or notes.
    Set {
        key: String,
        /// queued, reading, read or summarised.
        #[arg(long)]
        status: Option<String>,
        /// 1 (high) to 3 (low).
        #[arg(long)]
        priority: Option<u8>,
        /// 1 to 5; 0 clears it.
        #[arg(long)]
        rating: Option<u8>,
        #[arg(long = "tag")]
        tags: Vec<String>,
        #[arg(long = "untag")]
        untags: Vec<String>,
        /// Link to a plan step (e.g. s2).
        #[arg(long = "step")]
        steps: Vec<String>,
        #[arg(long = "unstep")]
        unsteps: Vec<String>,
        /// Short reading notes kept with the paper.
        #[arg(long)]
        notes: Option<String>,
    },
    /// Import a .bib file, merging by key, DOI or arXiv id.
    Import {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Export the library as BibTeX (stdout or --out FILE).
    Export {
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        status: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum NoteCmd {
    /// Create a note (body from --body, --stdin, or $EDITOR with --edit).
    Add {
        #[arg(long)]
        title: String,
        #[arg(long)]
        paper: Option<String>,
        #[arg(long)]
        item: Option<String>,
        #[arg(long)]
        body: Option<String>,
        #[arg(long)]
        stdin: bool,
        #[arg(long)]
        edit: bool,
    },
    /// List notes, newest first.
    List {
        #[arg(long)]
        paper: Option<String>,
        #[arg(long)]
        item: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Full-text search over titles and bodies.
    Search {
        query: String,
        #[arg(long)]
        json: bool,
    },
    /// Print a note.
    Show(ById),
    /// Open a note in $EDITOR.
    Edit { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum DeliverableCmd {
    /// Deliverables with status, due date and evidence.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Set status: not-started, in-progress or done.
    Set {
        id: String,
        #[arg(long)]
        status: String,
    },
    /// Attach evidence: a note, a paper or a URL.
    Link {
        id: String,
        #[arg(long)]
        note: Option<i64>,
        #[arg(long)]
        paper: Option<String>,
        #[arg(long)]
        url: Option<String>,
    },
}
