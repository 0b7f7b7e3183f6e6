//! The live log of a run: a bounded ring of lines read incrementally from the run's
//! files (never more than `cap` lines in memory, however much the run prints).

use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub stderr: bool,
    /// As printed (ANSI kept), progress bars folded.
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct LogTail {
    pub dir: PathBuf,
    offsets: [u64; 2],
    partial: [Vec<u8>; 2],
    pub lines: VecDeque<LogLine>,
    pub cap: usize,
    /// Lines dropped from the front to stay within `cap`.
    pub dropped: u64,
}

const FILES: [&str; 2] = [crate::runs::STDOUT, crate::runs::STDERR];

impl LogTail {
    /// Start following a run, beginning with at most the last `initial` bytes of each file.
    pub fn open(dir: &Path, cap: usize, initial: u64) -> LogTail {
        let mut t = LogTail {
            dir: dir.to_path_buf(),
            offsets: [0; 2],
            partial: [Vec::new(), Vec::new()],
            lines: VecDeque::new(),
            cap,
            dropped: 0,
        };
        for (k, f) in FILES.iter().enumerate() {
            if let Ok(m) = std::fs::metadata(dir.join(f)) {
                t.offsets[k] = m.len().saturating_sub(initial);
                if t.offsets[k] > 0 {
                    // Start at a line boundary.
                    t.skip_to_newline(k);
                }
            }
        }
        t.poll();
        t
    }

    fn skip_to_newline(&mut self, k: usize) {
        let Ok(mut f) = std::fs::File::open(self.dir.join(FILES[k])) else {
            return;
        };
        if f.seek(SeekFrom::Start(self.offsets[k])).is_err() {
            return;
        }
        let mut buf = [0u8; 4096];
        while let Ok(n) = f.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Some(i) = buf[..n].iter().position(|b| *b == b'\n') {
                self.offsets[k] += i as u64 + 1;
                return;
            }
            self.offsets[k] += n as u64;
        }
    }

    /// Read what is new. Returns the number of new lines.
    pub fn poll(&mut self) -> usize {
        let mut added = 0;
        for (k, f) in FILES.iter().enumerate() {
            let Ok(mut file) = std::fs::File::open(self.dir.join(f)) else {
                continue;
            };
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            if len <= self.offsets[k] || file.seek(SeekFrom::Start(self.offsets[k])).is_err() {
                continue;
            }
            // Bounded read per poll: a flood is followed in steps.
            let want = (len - self.offsets[k]).min(4 << 20);
            let mut buf = Vec::with_capacity(want as usize);
            if Read::by_ref(&mut file)
                .take(want)
                .read_to_end(&mut buf)
                .is_err()
            {
                continue;
            }
            self.offsets[k] += buf.len() as u64;
            self.partial[k].extend_from_slice(&buf);
            // A line that never ends (a progress bar redrawn with \r) is kept from its
            // last redraw only, so memory stays bounded.
            if self.partial[k].len() > (1 << 20) && !self.partial[k].contains(&b'\n') {
                let keep = self.partial[k]
                    .iter()
                    .rposition(|b| *b == b'\r')
                    .map(|i| i + 1)
                    .unwrap_or(self.partial[k].len() - (64 << 10));
                self.partial[k].drain(..keep);
            }
            if let Some(cut) = self.partial[k].iter().rposition(|b| *b == b'\n') {
                let rest = self.partial[k].split_off(cut + 1);
                let done = std::mem::replace(&mut self.partial[k], rest);
                for raw in done.split(|b| *b == b'\n') {
                    if raw.is_empty() {
                        continue;
                    }
                    let text = String::from_utf8_lossy(raw);
                    self.push(LogLine {
                        stderr: k == 1,
                        text: crate::runs::protocol::fold_cr(&text).to_string(),
                    });
                    added += 1;
                }
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
                crate::runs::protocol::strip_ansi(&l.text)
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
