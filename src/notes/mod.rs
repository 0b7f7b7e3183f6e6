//! Notes: Markdown files under `<data dir>/notes/`, indexed in SQLite (title, links,
//! attachments, timestamps) with FTS5 full-text search. The files are the source of
//! truth: a rescan picks up edits made outside labbook.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::UNIX_EPOCH;

use anyhow::{anyhow, bail, Context};
use regex::Regex;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::store::now_ts;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteSummary {
    pub id: i64,
    pub path: String,
    pub title: String,
    pub paper: Option<String>,
    pub item: Option<String>,
    pub run: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    #[serde(flatten)]
    pub summary: NoteSummary,
    pub body: String,
    pub links: Vec<(String, String)>,
}

/// Attachments and title parsed from a note file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub title: Option<String>,
    pub paper: Option<String>,
    pub item: Option<String>,
    pub run: Option<String>,
    pub body: String,
    pub links: Vec<(String, String)>,
}

static WIKI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[\[([^\[\]]+)\]\]").expect("static regex"));

/// Parse a note file: optional `---` front matter (`paper:`, `item:`, `run:`,
/// `title:`), then Markdown. The title is the front matter's, else the first `# `
/// heading, else the first non-empty line.
pub fn parse(text: &str) -> Parsed {
    let mut p = Parsed::default();
    let mut body = text;
    if let Some(rest) = text.strip_prefix("---\n") {
        if let Some(end) = rest.find("\n---") {
            for line in rest[..end].lines() {
                if let Some((k, v)) = line.split_once(':') {
                    let v = v.trim().to_string();
                    if v.is_empty() {
                        continue;
                    }
                    match k.trim() {
                        "title" => p.title = Some(v),
                        "paper" => p.paper = Some(v),
                        "item" => p.item = Some(v),
                        "run" => p.run = Some(v),
                        _ => {}
                    }
                }
            }
            body = rest[end + 4..]
                .trim_start_matches(['-'])
                .trim_start_matches('\n');
        }
    }
    p.body = body.to_string();
    if p.title.is_none() {
        p.title = body
            .lines()
            .find(|l| l.starts_with("# "))
            .map(|l| l[2..].trim().to_string())
            .or_else(|| {
                body.lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .map(|l| l.trim_start_matches('#').trim().to_string())
            });
    }
    for c in WIKI.captures_iter(body) {
        p.links.push(("note".into(), c[1].trim().to_string()));
    }
    for k in crate::util::cite_keys(body) {
        p.links.push(("paper".into(), k));
    }
    if let Some(k) = &p.paper {
        p.links.push(("paper".into(), k.clone()));
    }
    if let Some(i) = &p.item {
        p.links.push(("item".into(), i.clone()));
    }
    p.links.sort();
    p.links.dedup();
    p
}

fn file_stamp(path: &Path) -> std::io::Result<(i64, i64)> {
    let m = std::fs::metadata(path)?;
    let mtime = m
        .modified()?
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0);
    Ok((mtime, m.len() as i64))
}

/// (Re)index one note file; `rel` is its path relative to the notes directory.
pub fn index_file(conn: &Connection, dir: &Path, rel: &str) -> anyhow::Result<i64> {
    let full = dir.join(rel);
    let text = std::fs::read_to_string(&full)
        .with_context(|| format!("reading note {}", full.display()))?;
    let (mtime, size) =
        file_stamp(&full).with_context(|| format!("reading note {}", full.display()))?;
    let p = parse(&text);
    let title = p
        .title
        .clone()
        .unwrap_or_else(|| rel.trim_end_matches(".md").to_string());
    let now = now_ts();
    let tx = conn.unchecked_transaction()?;
    let existing: Option<i64> = tx
        .query_row("SELECT id FROM notes WHERE path = ?1", [rel], |r| r.get(0))
        .optional()?;
    let id = match existing {
        Some(id) => {
            tx.execute(
                "UPDATE notes SET title = ?2, body = ?3, paper_key = ?4, item_id = ?5, run_id = ?6,
                   updated_at = ?7, mtime_ns = ?8, size = ?9 WHERE id = ?1",
                params![id, title, p.body, p.paper, p.item, p.run, now, mtime, size],
            )?;
            id
        }
        None => {
            tx.execute(
                "INSERT INTO notes(path, title, body, paper_key, item_id, run_id, created_at, updated_at, mtime_ns, size)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)",
                params![rel, title, p.body, p.paper, p.item, p.run, now, mtime, size],
            )?;
            tx.last_insert_rowid()
        }
    };
    tx.execute("DELETE FROM note_links WHERE note_id = ?1", [id])?;
    for (k, t) in &p.links {
        tx.execute(
            "INSERT OR IGNORE INTO note_links(note_id, kind, target) VALUES (?1, ?2, ?3)",
            params![id, k, t],
        )?;
    }
    tx.commit()?;
    Ok(id)
}

#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct ScanReport {
    pub indexed: usize,
    pub removed: usize,
    pub errors: Vec<String>,
}

fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let ft = entry.file_type()?;
        if ft.is_dir() {
            if !entry.file_name().to_string_lossy().starts_with('.') {
                walk(&path, base, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "md") {
            if let Ok(rel) = path.strip_prefix(base) {
                out.push(rel.to_string_lossy().to_string());
            }
        }
    }
    Ok(())
}

/// Bring the index up to date with the files: new or changed files are indexed,
/// entries whose file is gone are dropped. Unreadable files are reported, not fatal.
pub fn scan(conn: &Connection, dir: &Path) -> anyhow::Result<ScanReport> {
    let mut report = ScanReport::default();
    if !dir.exists() {
        return Ok(report);
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files).with_context(|| format!("listing notes in {}", dir.display()))?;
    let mut known: std::collections::HashMap<String, (i64, i64, i64)> = conn
        .prepare("SELECT path, id, mtime_ns, size FROM notes")?
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))?
        .collect::<Result<_, _>>()?;
    for rel in files {
        let stamp = file_stamp(&dir.join(&rel)).ok();
        let fresh = match (known.remove(&rel), stamp) {
            (Some((_, m, s)), Some((m2, s2))) => m == m2 && s == s2,
            _ => false,
        };
        if !fresh {
            match index_file(conn, dir, &rel) {
                Ok(_) => report.indexed += 1,
                Err(e) => report.errors.push(format!("{e:#}")),
            }
        }
    }
    for (_, (id, _, _)) in known {
        // The file is gone: drop its index entry and any evidence pointing at it, so
        // a later note that reuses the id is not mistaken for it.
        let tx = conn.unchecked_transaction()?;
        tx.execute(
            "DELETE FROM evidence WHERE kind = 'note' AND target = ?1",
            [id.to_string()],
        )?;
        tx.execute("DELETE FROM notes WHERE id = ?1", [id])?;
        tx.commit()?;
        report.removed += 1;
    }
    Ok(report)
}

#[derive(Debug, Clone, Default)]
pub struct NewNote {
    pub title: String,
    pub body: String,
    pub paper: Option<String>,
    pub item: Option<String>,
    pub run: Option<String>,
}

/// Write a new note file and index it.
pub fn create(conn: &Connection, dir: &Path, n: &NewNote) -> anyhow::Result<NoteSummary> {
    if n.title.trim().is_empty() {
        bail!("a note needs a title");
    }
    if let Some(k) = &n.paper {
        let ok: bool =
            conn.query_row("SELECT count(*) > 0 FROM papers WHERE key = ?1", [k], |r| {
                r.get(0)
            })?;
        if !ok {
            bail!("no paper with key `{k}` to attach the note to");
        }
    }
    if let Some(i) = &n.item {
        let ok: bool =
            conn.query_row("SELECT count(*) > 0 FROM items WHERE id = ?1", [i], |r| {
                r.get(0)
            })?;
        if !ok {
            bail!("no plan item `{i}` to attach the note to");
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let slug = crate::util::slug(&n.title);
    let mut rel = format!("{slug}.md");
    let mut k = 2;
    while dir.join(&rel).exists() {
        rel = format!("{slug}-{k}.md");
        k += 1;
    }
    let mut text = String::new();
    let fm: Vec<String> = [("paper", &n.paper), ("item", &n.item), ("run", &n.run)]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
        .collect();
    if !fm.is_empty() {
        text.push_str("---\n");
        text.push_str(&fm.join("\n"));
        text.push_str("\n---\n");
    }
    text.push_str(&format!("# {}\n\n", n.title.trim()));
    if !n.body.is_empty() {
        text.push_str(n.body.trim_end());
        text.push('\n');
    }
    crate::util::write_atomic(&dir.join(&rel), text.as_bytes())?;
    let id = index_file(conn, dir, &rel)?;
    get(conn, id).map(|n| n.summary)
}

/// Replace a note's file content (the built-in editor) and reindex it.
pub fn save(conn: &Connection, dir: &Path, id: i64, text: &str) -> anyhow::Result<()> {
    let rel: String = conn
        .query_row("SELECT path FROM notes WHERE id = ?1", [id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| anyhow!("no note with id {id}"))?;
    crate::util::write_atomic(&dir.join(&rel), text.as_bytes())?;
    index_file(conn, dir, &rel)?;
    Ok(())
}

pub fn path_of(dir: &Path, n: &NoteSummary) -> PathBuf {
    dir.join(&n.path)
}

const SUMMARY_COLS: &str = "id, path, title, paper_key, item_id, run_id, created_at, updated_at";

fn row_summary(r: &rusqlite::Row) -> rusqlite::Result<NoteSummary> {
    Ok(NoteSummary {
        id: r.get(0)?,
        path: r.get(1)?,
        title: r.get(2)?,
        paper: r.get(3)?,
        item: r.get(4)?,
        run: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
    })
}

/// Notes, newest first.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<NoteSummary>> {
    conn.prepare(&format!(
        "SELECT {SUMMARY_COLS} FROM notes ORDER BY updated_at DESC, id DESC"
    ))?
    .query_map([], row_summary)?
    .collect()
}

pub fn get(conn: &Connection, id: i64) -> anyhow::Result<Note> {
    let (summary, body) = conn
        .query_row(
            &format!("SELECT {SUMMARY_COLS}, body FROM notes WHERE id = ?1"),
            [id],
            |r| Ok((row_summary(r)?, r.get::<_, String>(8)?)),
        )
        .optional()?
        .ok_or_else(|| anyhow!("no note with id {id} (see `labbook note list`)"))?;
    let links = conn
        .prepare("SELECT kind, target FROM note_links WHERE note_id = ?1 ORDER BY kind, target")?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(Note {
        summary,
        body,
        links,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    #[serde(flatten)]
    pub note: NoteSummary,
    pub snippet: String,
}

/// Turn user text into an FTS5 query: every word must appear (the last as a prefix).
pub fn fts_query(q: &str) -> Option<String> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric() && c != '_' && c != '-' && c != '.')
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.replace('"', "")))
        .collect();
    if words.is_empty() {
        return None;
    }
    let mut s = words.join(" ");
    s.push('*');
    Some(s)
}

/// Full-text search (title and body), best matches first, with a snippet.
pub fn search(conn: &Connection, q: &str) -> anyhow::Result<Vec<Hit>> {
    let Some(fq) = fts_query(q) else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "SELECT {}, snippet(notes_fts, 1, '[', ']', '…', 12) FROM notes_fts JOIN notes n ON n.id = notes_fts.rowid
         WHERE notes_fts MATCH ?1 ORDER BY bm25(notes_fts, 5.0, 1.0) LIMIT 200",
        SUMMARY_COLS.split(", ").map(|c| format!("n.{c}")).collect::<Vec<_>>().join(", ")
    );
    let hits = conn
        .prepare(&sql)?
        .query_map([fq], |r| {
            Ok(Hit {
                note: row_summary(r)?,
                snippet: r.get(8)?,
            })
        })?
        .collect::<Result<_, _>>()
        .context("searching notes")?;
    Ok(hits)
}

/// Open `path` in an editor command (`vim`, `code --wait` …) and wait for it; a failing
/// or missing editor is an error naming the command.
pub fn run_editor(cmd: &str, path: &Path) -> anyhow::Result<()> {
    let mut parts = cmd.split_whitespace();
    let prog = parts.next().context("empty editor command")?;
    let status = std::process::Command::new(prog)
        .args(parts)
        .arg(path)
        .status()
        .with_context(|| format!("starting editor `{cmd}`"))?;
    if !status.success() {
        anyhow::bail!("editor `{cmd}` exited with {status}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_front_matter_title_and_links() {
        let p = parse("---\npaper: radford2023whisper\nitem: s2.whisper\n---\n# Whisper notes\n\nSee [[Attention notes]] and [@baevski2020wav2vec; @x2020mid; @hsu2021hubert].\n");
        assert_eq!(p.title.as_deref(), Some("Whisper notes"));
        assert_eq!(p.paper.as_deref(), Some("radford2023whisper"));
        assert_eq!(p.item.as_deref(), Some("s2.whisper"));
        assert!(p.body.starts_with("# Whisper notes"));
        assert!(p.links.contains(&("note".into(), "Attention notes".into())));
        assert!(p
            .links
            .contains(&("paper".into(), "baevski2020wav2vec".into())));
        assert!(p.links.contains(&("paper".into(), "hsu2021hubert".into())));
        assert!(p.links.contains(&("paper".into(), "x2020mid".into())));
        assert!(p
            .links
            .contains(&("paper".into(), "radford2023whisper".into())));
    }

    #[test]
    fn title_falls_back_to_first_line() {
        assert_eq!(
            parse("\n\nplain first line\nmore").title.as_deref(),
            Some("plain first line")
        );
    }

    #[test]
    fn fts_query_quotes_words() {
        assert_eq!(
            fts_query("rotary AND \"emb").as_deref(),
            Some("\"rotary\" \"AND\" \"emb\"*")
        );
        assert_eq!(fts_query("  ;; "), None);
    }
}
