//! `labbook bench …`: each benchmark lives with what it measures (the TUI's in
//! `tui::bench`, ingestion in `runs::bench`, the LM in `exp::lm::bench`, the log-mel in
//! `audio::bench`); this command runs one and prints its report.

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCmd {
    /// Whisper's log-mel on 30 s of audio (or a WAV): median of RUNS calls, one JSON line.
    Mel {
        /// A WAV file (default: 30 s of synthetic 16 kHz audio).
        #[arg(long)]
        wav: Option<PathBuf>,
        #[arg(long, default_value_t = 50)]
        runs: usize,
        #[arg(long, default_value_t = 80)]
        n_mels: usize,
        /// Also write the matrix (.npy) for checking against the reference.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Train the LM in the PyTorch reference's configuration; one JSON line of timings.
    Lm {
        /// Text file (default: the built-in corpus).
        #[arg(long)]
        corpus: Option<PathBuf>,
        #[arg(long, default_value_t = 10)]
        warmup: usize,
        #[arg(long, default_value_t = 50)]
        steps: usize,
        /// Worker threads (0: all cores).
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// cpu, cuda or cuda:N (cuda needs a build with `--features cuda`).
        #[arg(long, default_value = "cpu")]
        device: String,
    },
    /// Follow a run printing RATE lines/s like the TUI run view: frame times, memory.
    Follow {
        #[arg(long, default_value_t = 200_000)]
        rate: u64,
        #[arg(long, default_value_t = 5.0)]
        secs: f64,
    },
    /// Draw 10 runs × N points overlaid; ratatui's Chart with every point as reference.
    Chart {
        #[arg(long, default_value_t = 10)]
        runs: usize,
        #[arg(long, default_value_t = 1_000_000)]
        points: usize,
        #[arg(long, default_value_t = 60)]
        frames: usize,
    },
    /// Metric points per second from a run's log into SQLite (one thread).
    Ingest {
        #[arg(long, default_value_t = 2_000_000)]
        points: usize,
        /// Metrics per JSON line.
        #[arg(long, default_value_t = 10)]
        per_line: usize,
        #[arg(long, default_value_t = 5)]
        iters: usize,
    },
    /// Time to first TUI frame and paper filtering on a large synthetic database.
    Startup {
        #[arg(long, default_value_t = 10_000)]
        papers: usize,
        #[arg(long, default_value_t = 10_000)]
        notes: usize,
        /// Repetitions (medians are reported).
        #[arg(long, default_value_t = 15)]
        iters: usize,
        /// Build the database in DIR and keep it (default: a temporary directory).
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
    },
}

/// Run one benchmark and print its report (a JSON line for `lm` and `mel`).
pub fn run(cmd: &BenchCmd) -> anyhow::Result<()> {
    match cmd {
        BenchCmd::Mel {
            wav,
            runs,
            n_mels,
            out,
        } => println!(
            "{}",
            crate::audio::bench::mel(wav.as_deref(), *runs, *n_mels, out.as_deref())?
        ),
        BenchCmd::Lm {
            corpus,
            warmup,
            steps,
            threads,
            device,
        } => println!(
            "{}",
            crate::exp::lm::bench::lm(corpus.as_deref(), *warmup, *steps, *threads, device)?
        ),
        BenchCmd::Follow { rate, secs } => print!(
            "{}",
            crate::tui::bench::follow(&crate::runs::start::exe()?, *rate, *secs)?
        ),
        BenchCmd::Chart {
            runs,
            points,
            frames,
        } => print!("{}", crate::tui::bench::chart(*runs, *points, *frames)?),
        BenchCmd::Ingest {
            points,
            per_line,
            iters,
        } => print!(
            "{}",
            crate::runs::bench::ingest(*points, *per_line, *iters)?
        ),
        BenchCmd::Startup {
            papers,
            notes,
            iters,
            keep,
        } => print!(
            "{}",
            crate::tui::bench::startup(*papers, *notes, *iters, keep.as_deref())?
        ),
    }
    Ok(())
}
