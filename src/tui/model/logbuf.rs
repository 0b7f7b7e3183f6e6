//! The live log of a run as the view holds it: a bounded ring of lines (never more than
//! `cap` in memory, however much the run prints). The runner reads the run's files and
//! hands new lines over in messages.

use std::collections::VecDeque;

#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub stderr: bool,
    /// As printed (ANSI kept), progress bars folded.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogBuf {
    pub lines: VecDeque<LogLine>,
    pub cap: usize,
    /// Lines dropped from the front to stay within `cap`.
    pub dropped: u64,
}

/// Lines a run view keeps.
pub const LOG_CAP: usize = 20_000;

impl LogBuf {
    pub fn new(cap: usize) -> LogBuf {
        LogBuf {
            lines: VecDeque::new(),
            cap: cap.max(1),
            dropped: 0,
        }
    }

    pub fn extend(&mut self, lines: impl IntoIterator<Item = LogLine>) {
        for l in lines {
            self.push(l);
        }
    }

    pub fn push(&mut self, l: LogLine) {
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

    fn line(t: &str, stderr: bool) -> LogLine {
        LogLine {
            stderr,
            text: t.into(),
        }
    }

    #[test]
    fn stays_bounded_and_searches_without_ansi() {
        let mut b = LogBuf::new(3);
        b.extend(["one", "\x1b[31mtwo\x1b[0m", "three", "four"].map(|t| line(t, false)));
        b.push(line("oops", true));
        assert_eq!(
            b.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            ["three", "four", "oops"]
        );
        assert_eq!(b.dropped, 2);
        assert_eq!(b.search("OOPS"), vec![2]);
        let mut c = LogBuf::new(10);
        c.push(line("\x1b[31mtwo\x1b[0m", false));
        assert_eq!(c.search("two"), vec![0]);
        assert!(c.search("").is_empty());
    }
}
