//! Small helpers shared across modules.

pub mod fmt;
pub mod rng;

/// The 64-bit FNV-1a hash of some bytes: stable across runs and platforms (unlike
/// the standard library's hasher), for change checks and stable colours.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// [`fnv1a`] as 16 hex digits (for "did this change" checks stored in the database).
pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:016x}", fnv1a(bytes))
}

/// Every `*.md` file of a directory except its README.md, as (file name, path, text),
/// in directory order; `what` names the directory in errors ("curriculum directory").
pub fn markdown_files(
    dir: &std::path::Path,
    what: &str,
) -> anyhow::Result<Vec<(String, String, String)>> {
    use anyhow::Context;
    let mut files = Vec::new();
    let rd = std::fs::read_dir(dir).with_context(|| format!("reading {what} {}", dir.display()))?;
    for entry in rd {
        let entry = entry.with_context(|| format!("reading {what} {}", dir.display()))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.extension().is_some_and(|e| e == "md") && !name.eq_ignore_ascii_case("README.md") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            files.push((name, path.display().to_string(), text));
        }
    }
    Ok(files)
}

/// Split `KEY=VALUE` at the first `=` (the key trimmed, the value kept as written); a
/// missing `=` or an empty key is an error naming the text.
pub fn split_kv(s: &str) -> anyhow::Result<(String, String)> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => anyhow::bail!("`{s}` is not K=V"),
    }
}

/// Write a file via a temporary name beside it and a rename, so a reader (or a crash)
/// never sees half of it. The temporary name is the writer's own (process id and a
/// counter), so concurrent writers never share one; the data is synced before the
/// rename.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use std::io::Write;
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(
        ".{}.{}.tmp",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = std::path::PathBuf::from(name);
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write()
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
        .with_context(|| format!("writing {}", path.display()))
}

/// A fresh scratch directory `labbook-<what>-<pid>` under the system's temporary
/// directory (an old one of the same name is cleared first). The caller removes it.
pub fn scratch_dir(what: &str) -> anyhow::Result<std::path::PathBuf> {
    use anyhow::Context as _;
    let dir = std::env::temp_dir().join(format!("labbook-{what}-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("clearing an old scratch directory {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// `text` broken into lines of at most `width` characters at spaces (a longer word
/// stands on a line of its own).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A filename-safe slug of a title.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 60 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "note".into()
    } else {
        out
    }
}

/// The first `n` characters of `s` (safe on any UTF-8).
pub fn prefix(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// `s` cut to at most `n` characters, with an ellipsis when cut.
pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = prefix(s, n.saturating_sub(1)).to_string();
        t.push('…');
        t
    }
}

/// 1-based line number of a byte offset (clamped to the text).
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Byte offset → 1-based line number, for many lookups in one text (the parsers that
/// report errors at a line); [`line_of`] answers one.
pub struct LineIndex(Vec<usize>);

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex(starts)
    }

    /// The line the byte at `offset` is on.
    pub fn line(&self, offset: usize) -> usize {
        match self.0.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// `done / total`, 0 when there is nothing to do.
pub fn ratio(done: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        done as f64 / total as f64
    }
}

static CITE_GROUP: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\[((?:\s*[;,]?\s*@[A-Za-z0-9_:.\-]+)+)\s*\]").expect("static regex")
});
static CITE_KEY: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"@([A-Za-z0-9_:.\-]+)").expect("static regex"));

/// Citation keys of `[@a]` and `[@a; @b]` groups, in order of first use.
pub fn cite_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for g in CITE_GROUP.captures_iter(text) {
        for k in CITE_KEY.captures_iter(&g[1]) {
            if !keys.iter().any(|x: &String| x == &k[1]) {
                keys.push(k[1].to_string());
            }
        }
    }
    keys
}

/// `text` with its citation groups removed.
pub fn strip_cites(text: &str) -> String {
    CITE_GROUP.replace_all(text, "").into_owned()
}

/// `text` with each citation group replaced by `f(keys of the group)`.
pub fn replace_cites(text: &str, mut f: impl FnMut(&[String]) -> String) -> String {
    CITE_GROUP
        .replace_all(text, |c: &regex::Captures| {
            let keys: Vec<String> = CITE_KEY
                .captures_iter(&c[1])
                .map(|k| k[1].to_string())
                .collect();
            f(&keys)
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cites_keep_every_key_of_a_group() {
        assert_eq!(
            cite_keys("see [@a; @b; @c] and [@a] [@d,@e]"),
            ["a", "b", "c", "d", "e"]
        );
        assert_eq!(strip_cites("x [@a; @b] y"), "x  y");
        assert_eq!(replace_cites("x [@a; @b] y", |k| k.join("+")), "x a+b y");
    }

    #[test]
    fn text_helpers_are_utf8_safe() {
        assert_eq!(prefix("naïve", 3), "naï");
        assert_eq!(truncate("naïveté", 4), "naï…");
        assert_eq!(truncate("ab", 4), "ab");
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a", 99), 1);
        let idx = LineIndex::new("ab\ncd\n\ne");
        assert_eq!([0, 2, 3, 6, 7, 99].map(|o| idx.line(o)), [1, 1, 2, 3, 4, 4]);
        assert_eq!(slug("Über: RoPE & ALiBi!"), "über-rope-alibi");
    }

    #[test]
    fn atomic_writes_replace_whole_files_and_leave_no_temp_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.json");
        write_atomic(&p, b"1").unwrap();
        write_atomic(&p, b"2").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"2");
        assert_eq!(
            std::fs::read_dir(d.path()).unwrap().count(),
            1,
            "no temp file left"
        );
        let e = write_atomic(&d.path().join("missing/x.json"), b"1").unwrap_err();
        assert!(format!("{e:#}").contains("missing/x.json"), "{e:#}");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn kv_wrap_and_hashes() {
        assert_eq!(
            split_kv(" lr =3e-4=x").unwrap(),
            ("lr".to_string(), "3e-4=x".to_string())
        );
        assert!(split_kv("lr")
            .unwrap_err()
            .to_string()
            .contains("`lr` is not K=V"));
        assert!(split_kv("=1").is_err());
        assert_eq!(
            wrap("a bb ccc dddd eeeee", 8),
            ["a bb ccc", "dddd", "eeeee"]
        );
        assert_eq!(wrap("", 8), Vec::<String>::new());
        assert_eq!(wrap("unbreakableword", 4), ["unbreakableword"]);
        // FNV-1a reference values.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(content_hash(b"a"), "af63dc4c8601ec8c");
    }
}
