//! A run's output on the terminal: all of it, or followed until the run ends.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

use crate::runs;
use crate::runs::tail::{Chunk, Tail};

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

pub(super) fn print_logs(dir: &Path, o: bool, e: bool, grep: Option<&str>) -> anyhow::Result<()> {
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
