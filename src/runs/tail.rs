//! Following a growing log file: the one reader of new lines behind ingestion, the
//! TUI's live log, `labbook run logs -f` and the live demo view.
//!
//! The position is a byte offset that only ever moves past complete lines, so a line
//! being written is read again, whole, once its newline arrives, and nothing is kept
//! between reads but the offset (which ingestion stores in SQLite). Reads are bounded,
//! so a run that floods its output is followed in steps, and a "line" longer than one
//! read without a newline (a progress bar redrawn with `\r` forever) is handed over in
//! pieces instead of growing without bound.

use std::borrow::Cow;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// A file followed from a byte offset.
#[derive(Debug, Clone, PartialEq)]
pub struct Tail {
    path: PathBuf,
    offset: u64,
}

/// What one read found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chunk {
    /// Complete lines (each ending in `\n`, but a final one when the writer is done).
    pub data: Vec<u8>,
    /// The file's size when it was read.
    pub size: u64,
    /// More is waiting beyond this read's limit.
    pub backlog: bool,
}

impl Chunk {
    /// The non-empty lines, as text (invalid UTF-8 replaced).
    pub fn lines(&self) -> impl Iterator<Item = Cow<'_, str>> {
        self.data
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(String::from_utf8_lossy)
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

impl Tail {
    /// Follow `path` from byte `offset`.
    pub fn new(path: &Path, offset: u64) -> Tail {
        Tail {
            path: path.to_path_buf(),
            offset,
        }
    }

    /// Follow `path` from at most `initial` bytes before its end, at a line boundary
    /// (from the start when it is shorter or does not exist yet).
    pub fn near_end(path: &Path, initial: u64) -> Tail {
        let mut t = Tail::new(path, 0);
        let Ok(meta) = std::fs::metadata(path) else {
            return t;
        };
        t.offset = meta.len().saturating_sub(initial);
        if t.offset > 0 {
            t.skip_to_newline();
        }
        t
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The byte offset of the next unread line.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Move past the partial line at the offset (to the byte after the next newline).
    fn skip_to_newline(&mut self) {
        let Ok(mut f) = std::fs::File::open(&self.path) else {
            return;
        };
        if f.seek(SeekFrom::Start(self.offset)).is_err() {
            return;
        }
        let mut buf = [0u8; 4096];
        while let Ok(n) = f.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Some(i) = buf[..n].iter().position(|b| *b == b'\n') {
                self.offset += i as u64 + 1;
                return;
            }
            self.offset += n as u64;
        }
    }

    /// Read what is new, at most `max` bytes: the complete lines among them and, when
    /// `writer_done` and nothing more is waiting, a last line without a newline. A
    /// full read of `max` bytes without any newline is one enormous line and is
    /// returned whole. `Ok(None)` when the file does not exist (yet).
    pub fn read(&mut self, max: u64, writer_done: bool) -> std::io::Result<Option<Chunk>> {
        let mut f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let size = f.metadata()?.len();
        if size <= self.offset {
            return Ok(Some(Chunk {
                size,
                ..Chunk::default()
            }));
        }
        let want = (size - self.offset).min(max.max(1));
        f.seek(SeekFrom::Start(self.offset))?;
        let mut data = Vec::with_capacity(want as usize);
        f.take(want).read_to_end(&mut data)?;
        let backlog = size - self.offset > data.len() as u64;
        let take = match data.iter().rposition(|b| *b == b'\n') {
            _ if writer_done && !backlog => data.len(),
            Some(i) => i + 1,
            None if data.len() as u64 == want && want == max => data.len(),
            None => 0,
        };
        data.truncate(take);
        self.offset += take as u64;
        Ok(Some(Chunk {
            data,
            size,
            backlog,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn append(path: &Path, text: &str) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    fn lines(c: &Chunk) -> Vec<String> {
        c.lines().map(|l| l.to_string()).collect()
    }

    #[test]
    fn complete_lines_only_until_the_writer_is_done() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("out.log");
        let mut t = Tail::new(&p, 0);
        assert_eq!(t.read(1 << 20, false).unwrap(), None);
        append(&p, "one\ntwo\npart");
        let c = t.read(1 << 20, false).unwrap().unwrap();
        assert_eq!(lines(&c), ["one", "two"]);
        assert_eq!((t.offset(), c.size, c.backlog), (8, 12, false));
        // The partial line is read again, whole, once its newline arrives.
        append(&p, "ial\n\nlast");
        assert_eq!(
            lines(&t.read(1 << 20, false).unwrap().unwrap()),
            ["partial"]
        );
        // A finished writer's last line has no newline.
        assert_eq!(lines(&t.read(1 << 20, true).unwrap().unwrap()), ["last"]);
        assert!(t.read(1 << 20, true).unwrap().unwrap().is_empty());
    }

    #[test]
    fn reads_are_bounded_and_an_endless_line_comes_in_pieces() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("out.log");
        append(&p, "aaaa\nbbbb\ncccc\n");
        let mut t = Tail::new(&p, 0);
        let c = t.read(7, false).unwrap().unwrap();
        assert_eq!((lines(&c), c.backlog), (vec!["aaaa".to_string()], true));
        let c = t.read(7, true).unwrap().unwrap();
        // Not the final line yet: more is waiting, so only complete lines.
        assert_eq!((lines(&c), c.backlog), (vec!["bbbb".to_string()], true));
        assert_eq!(lines(&t.read(7, true).unwrap().unwrap()), ["cccc"]);
        let q = d.path().join("bar.log");
        append(&q, &"x".repeat(10));
        let mut t = Tail::new(&q, 0);
        assert_eq!(t.read(4, false).unwrap().unwrap().data, b"xxxx");
        assert_eq!(t.offset(), 4);
    }

    #[test]
    fn near_the_end_starts_at_a_line_boundary() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("out.log");
        let text: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        append(&p, &text);
        let mut t = Tail::near_end(&p, 30);
        let got = lines(&t.read(1 << 20, false).unwrap().unwrap());
        assert!(got.len() < 5 && got[0].starts_with("line "), "{got:?}");
        assert_eq!(got.last().unwrap(), "line 999");
        assert_eq!(Tail::near_end(&d.path().join("none"), 30).offset(), 0);
    }
}
