//! Following a run's output files for the run view: read what is new on each poll and
//! hand it to the state as lines (progress bars folded).

use std::path::{Path, PathBuf};

use crate::runs::tail::Tail;
use crate::tui::model::logbuf::LogLine;

#[derive(Debug)]
pub struct LogFollow {
    pub dir: PathBuf,
    /// stdout, stderr.
    tails: [Tail; 2],
}

/// The most read from one stream per poll: a flood is followed in steps.
const MAX_READ: u64 = 4 << 20;

impl LogFollow {
    /// Start following a run, beginning with at most the last `initial` bytes of each file.
    pub fn open(dir: &Path, initial: u64) -> LogFollow {
        LogFollow {
            dir: dir.to_path_buf(),
            tails: [
                Tail::near_end(&dir.join(crate::runs::STDOUT), initial),
                Tail::near_end(&dir.join(crate::runs::STDERR), initial),
            ],
        }
    }

    /// The lines written since the last read.
    pub fn read(&mut self) -> Vec<LogLine> {
        let mut out = Vec::new();
        for (k, tail) in self.tails.iter_mut().enumerate() {
            let Ok(Some(chunk)) = tail.read(MAX_READ, false) else {
                continue;
            };
            out.extend(chunk.lines().map(|text| LogLine {
                stderr: k == 1,
                text: crate::protocol::fold_cr(&text).to_string(),
            }));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::model::logbuf::LogBuf;

    #[test]
    fn follows_appends_and_stays_bounded() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join(crate::runs::STDOUT);
        std::fs::write(&out, "one\ntwo\npart").unwrap();
        let mut f = LogFollow::open(d.path(), 1 << 20);
        let mut t = LogBuf::new(3);
        t.extend(f.read());
        assert_eq!(
            t.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            ["one", "two"]
        );
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new().append(true).open(&out).unwrap();
        write!(file, "ial\n 10%\r100%\nfour\n").unwrap();
        let new = f.read();
        assert_eq!(new.len(), 3);
        t.extend(new);
        assert_eq!(
            t.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            ["partial", "100%", "four"]
        );
        assert_eq!(t.dropped, 2);
        std::fs::write(d.path().join(crate::runs::STDERR), "oops\n").unwrap();
        t.extend(f.read());
        assert!(t.lines.back().unwrap().stderr);
        assert_eq!(t.search("OOPS"), vec![2]);
    }

    #[test]
    fn opening_a_large_log_starts_at_a_line_boundary_near_the_end() {
        let d = tempfile::tempdir().unwrap();
        let text: String = (0..10_000).map(|i| format!("line {i}\n")).collect();
        std::fs::write(d.path().join(crate::runs::STDOUT), text).unwrap();
        let lines = LogFollow::open(d.path(), 100).read();
        assert!(lines.len() < 20);
        assert_eq!(lines.last().unwrap().text, "line 9999");
        assert!(lines[0].text.starts_with("line "));
    }
}
