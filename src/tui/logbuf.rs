//! The live log of a run: a bounded ring of lines read incrementally from the run's
//! files (never more than `cap` lines in memory, however much the run prints).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use crate::runs::tail::Tail;

#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub stderr: bool,
    /// As printed (ANSI kept), progress bars folded.
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct LogTail {
    pub dir: PathBuf,
    /// stdout, stderr.
    tails: [Tail; 2],
    pub lines: VecDeque<LogLine>,
    pub cap: usize,
    /// Lines dropped from the front to stay within `cap`.
    pub dropped: u64,
}

/// The most read from one stream per poll: a flood is followed in steps.
const MAX_READ: u64 = 4 << 20;

impl LogTail {
    /// Start following a run, beginning with at most the last `initial` bytes of each file.
    pub fn open(dir: &Path, cap: usize, initial: u64) -> LogTail {
        let mut t = LogTail {
            dir: dir.to_path_buf(),
            tails: [
                Tail::near_end(&dir.join(crate::runs::STDOUT), initial),
                Tail::near_end(&dir.join(crate::runs::STDERR), initial),
            ],
            lines: VecDeque::new(),
            cap,
            dropped: 0,
        };
        t.poll();
        t
    }

    /// Read what is new. Returns the number of new lines.
    pub fn poll(&mut self) -> usize {
        let mut added = 0;
        for k in 0..2 {
            let Ok(Some(chunk)) = self.tails[k].read(MAX_READ, false) else {
                continue;
            };
            for text in chunk.lines() {
                self.push(LogLine {
                    stderr: k == 1,
                    text: crate::protocol::fold_cr(&text).to_string(),
                });
                added += 1;
            }
        }
        added
    }

    fn push(&mut self, l: LogLine) {
        if self.lines.len() == self.cap {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(l);
    }

    /// Lines whose text (ANSI stripped) contains `needle`, as indices into `lines`.
    pub fn search(&self, needle: &str) -> Vec<usize> {
        if needle.is_empty() {
            return Vec::new();
        }
        let n = needle.to_lowercase();
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                crate::protocol::strip_ansi(&l.text)
                    .to_lowercase()
                    .contains(&n)
            })
            .map(|(i, _)| i)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_appends_and_stays_bounded() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join(crate::runs::STDOUT);
        std::fs::write(&out, "one\ntwo\npart").unwrap();
        let mut t = LogTail::open(d.path(), 3, 1 << 20);
        assert_eq!(
            t.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            ["one", "two"]
        );
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(&out).unwrap();
        write!(f, "ial\n 10%\r100%\nfour\n").unwrap();
        assert_eq!(t.poll(), 3);
        assert_eq!(
            t.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            ["partial", "100%", "four"]
        );
        assert_eq!(t.dropped, 2);
        std::fs::write(d.path().join(crate::runs::STDERR), "oops\n").unwrap();
        t.poll();
        assert!(t.lines.back().unwrap().stderr);
        assert_eq!(t.search("OOPS"), vec![2]);
    }

    #[test]
    fn opening_a_large_log_starts_at_a_line_boundary_near_the_end() {
        let d = tempfile::tempdir().unwrap();
        let text: String = (0..10_000).map(|i| format!("line {i}\n")).collect();
        std::fs::write(d.path().join(crate::runs::STDOUT), text).unwrap();
        let t = LogTail::open(d.path(), 100_000, 100);
        assert!(t.lines.len() < 20);
        assert_eq!(t.lines.back().unwrap().text, "line 9999");
        assert!(t.lines.front().unwrap().text.starts_with("line "));
    }
}
