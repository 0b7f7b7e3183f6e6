//! Papers: the reading list in SQLite (imported from BibTeX), reading status,
//! priority, tags, rating, notes and links to plan steps.

pub mod bib;

use std::collections::{BTreeMap, HashMap};

use anyhow::{anyhow, bail, Context};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::store::now_ts;
pub use bib::{BibEntry, BibError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Queued,
    Reading,
    Read,
    Summarised,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Queued,
        Status::Reading,
        Status::Read,
        Status::Summarised,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Reading => "reading",
            Status::Read => "read",
            Status::Summarised => "summarised",
        }
    }
    pub fn parse(s: &str) -> anyhow::Result<Status> {
        let s = s.trim().to_ascii_lowercase();
        let s = if s == "summarized" {
            "summarised".to_string()
        } else {
            s
        };
        Status::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                anyhow!("unknown paper status `{s}` (expected queued, reading, read or summarised)")
            })
    }
    pub fn next(self) -> Status {
        let i = Status::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Status::ALL[(i + 1) % Status::ALL.len()]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Paper {
    pub key: String,
    pub entry_type: String,
    pub title: String,
    pub authors: String,
    pub year: Option<String>,
    pub venue: Option<String>,
    pub arxiv: Option<String>,
    pub doi: Option<String>,
    pub url: Option<String>,
    pub status: Status,
    pub priority: u8,
    pub rating: Option<u8>,
    pub notes: String,
    pub tags: Vec<String>,
    pub steps: Vec<String>,
    pub source: String,
}

impl Paper {
    /// Lower-cased text the list filter matches against.
    pub fn haystack(&self) -> String {
        format!(
            "{} {} {} {} {} {} {} {}",
            self.key,
            self.title,
            self.authors,
            self.year.as_deref().unwrap_or(""),
            self.venue.as_deref().unwrap_or(""),
            self.arxiv.as_deref().unwrap_or(""),
            self.tags.join(" "),
            self.steps.join(" ")
        )
        .to_lowercase()
    }

    pub fn link(&self) -> Option<String> {
        self.arxiv
            .as_ref()
            .map(|a| format!("https://arxiv.org/abs/{a}"))
            .or_else(|| self.doi.as_ref().map(|d| format!("https://doi.org/{d}")))
            .or_else(|| self.url.clone())
    }
}

const PAPER_COLS: &str = "id, key, entry_type, title, authors, year, venue, arxiv, doi, url, status, priority, rating, notes, source";

fn row_to_paper(r: &rusqlite::Row) -> rusqlite::Result<(i64, Paper)> {
    let status: String = r.get(10)?;
    Ok((
        r.get(0)?,
        Paper {
            key: r.get(1)?,
            entry_type: r.get(2)?,
            title: r.get(3)?,
            authors: r.get(4)?,
            year: r.get(5)?,
            venue: r.get(6)?,
            arxiv: r.get(7)?,
            doi: r.get(8)?,
            url: r.get(9)?,
            status: Status::parse(&status).unwrap_or(Status::Queued),
            priority: r.get(11)?,
            rating: r.get(12)?,
            notes: r.get(13)?,
            source: r.get(14)?,
            tags: Vec::new(),
            steps: Vec::new(),
        },
    ))
}

/// Every paper, by priority then key, with tags and linked steps.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<Paper>> {
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for row in conn
        .prepare("SELECT paper_id, tag FROM paper_tags ORDER BY tag")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
    {
        let (id, t): (i64, String) = row?;
        tags.entry(id).or_default().push(t);
    }
    let mut steps: HashMap<i64, Vec<String>> = HashMap::new();
    for row in conn
        .prepare(
            "SELECT paper_id, step_id FROM paper_steps
             UNION
             SELECT p.id, i.step_id FROM item_refs r JOIN items i ON i.id = r.item_id
               JOIN papers p ON p.key = r.paper_key WHERE i.archived_at IS NULL
             ORDER BY 2",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
    {
        let (id, s): (i64, String) = row?;
        steps.entry(id).or_default().push(s);
    }
    let mut stmt = conn.prepare(&format!(
        "SELECT {PAPER_COLS} FROM papers ORDER BY priority, key"
    ))?;
    let rows = stmt.query_map([], row_to_paper)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, mut p) = row?;
        p.tags = tags.remove(&id).unwrap_or_default();
        p.steps = steps.remove(&id).unwrap_or_default();
        out.push(p);
    }
    // Priority first, then plan order (first linked step), then key.
    out.sort_by(|a, b| {
        let sa = a.steps.first().map(String::as_str).unwrap_or("~");
        let sb = b.steps.first().map(String::as_str).unwrap_or("~");
        (a.priority, sa, &a.key).cmp(&(b.priority, sb, &b.key))
    });
    Ok(out)
}

pub fn get(conn: &Connection, key: &str) -> anyhow::Result<Paper> {
    list(conn)?
        .into_iter()
        .find(|p| p.key == key)
        .ok_or_else(|| anyhow!("no paper with key `{key}` (see `labbook paper list`)"))
}

fn paper_id(conn: &Connection, key: &str) -> anyhow::Result<i64> {
    conn.query_row("SELECT id FROM papers WHERE key = ?1", [key], |r| r.get(0))
        .optional()?
        .ok_or_else(|| anyhow!("no paper with key `{key}` (see `labbook paper list`)"))
}

/// How an imported entry matched one already stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Duplicate {
    pub key: String,
    pub existing: String,
    pub by: &'static str,
    /// Fields the stored entry lacked and took from the imported one.
    pub merged_fields: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    pub added: Vec<String>,
    pub duplicates: Vec<Duplicate>,
    /// Entries whose key is taken by a different paper (other DOI or arXiv id):
    /// nothing was merged; rename the key in the file to import them.
    pub conflicts: Vec<Conflict>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    pub key: String,
    pub reason: String,
}

/// A key match whose identifiers disagree is a different paper.
fn key_conflict(conn: &Connection, id: i64, d: &bib::Derived) -> rusqlite::Result<Option<String>> {
    let (doi, arxiv): (Option<String>, Option<String>) =
        conn.query_row("SELECT doi, arxiv FROM papers WHERE id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    if let (Some(a), Some(b)) = (&doi, &d.doi) {
        if a != b {
            return Ok(Some(format!("stored DOI {a}, imported DOI {b}")));
        }
    }
    if let (Some(a), Some(b)) = (&arxiv, &d.arxiv) {
        if a != b {
            return Ok(Some(format!("stored arXiv {a}, imported arXiv {b}")));
        }
    }
    Ok(None)
}

fn find_match(
    conn: &Connection,
    e: &BibEntry,
    d: &bib::Derived,
) -> rusqlite::Result<Option<(i64, String, &'static str)>> {
    if let Some(r) = conn
        .query_row("SELECT id, key FROM papers WHERE key = ?1", [&e.key], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
    {
        return Ok(Some((r.0, r.1, "key")));
    }
    if let Some(doi) = &d.doi {
        if let Some(r) = conn
            .query_row("SELECT id, key FROM papers WHERE doi = ?1", [doi], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
        {
            return Ok(Some((r.0, r.1, "doi")));
        }
    }
    if let Some(ax) = &d.arxiv {
        if let Some(r) = conn
            .query_row("SELECT id, key FROM papers WHERE arxiv = ?1", [ax], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
        {
            return Ok(Some((r.0, r.1, "arxiv")));
        }
    }
    Ok(None)
}

fn insert_entry(conn: &Connection, e: &BibEntry, source: &str, now: &str) -> rusqlite::Result<i64> {
    let d = bib::derive(e);
    let fields = serde_json::to_string(&e.fields).unwrap_or_else(|_| "{}".into());
    conn.execute(
        "INSERT INTO papers(key, entry_type, title, authors, year, venue, arxiv, doi, url, fields, source, added_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
        params![e.key, e.entry_type, d.title, d.authors, d.year, d.venue, d.arxiv, d.doi, d.url, fields, source, now],
    )?;
    let id = conn.last_insert_rowid();
    for t in &d.tags {
        conn.execute(
            "INSERT OR IGNORE INTO paper_tags(paper_id, tag) VALUES (?1, ?2)",
            params![id, t],
        )?;
    }
    Ok(id)
}

/// Merge entries into the store: a new key/DOI/arXiv id is added; a match is
/// reported as a duplicate and only fills fields the stored entry lacks.
pub fn import(
    conn: &mut Connection,
    entries: &[BibEntry],
    source: &str,
) -> anyhow::Result<ImportReport> {
    let now = now_ts();
    let tx = conn.transaction()?;
    let mut report = ImportReport::default();
    for e in entries {
        let d = bib::derive(e);
        match find_match(&tx, e, &d)? {
            None => {
                insert_entry(&tx, e, source, &now)
                    .with_context(|| format!("adding `{}`", e.key))?;
                report.added.push(e.key.clone());
            }
            Some((id, _, "key")) if key_conflict(&tx, id, &d)?.is_some() => {
                let reason = key_conflict(&tx, id, &d)?.unwrap_or_default();
                report.conflicts.push(Conflict {
                    key: e.key.clone(),
                    reason,
                });
            }
            Some((id, existing, by)) => {
                let stored: String =
                    tx.query_row("SELECT fields FROM papers WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })?;
                let mut fields: BTreeMap<String, String> =
                    serde_json::from_str(&stored).unwrap_or_default();
                let mut merged = Vec::new();
                for (k, v) in &e.fields {
                    if !fields.contains_key(k) {
                        fields.insert(k.clone(), v.clone());
                        merged.push(k.clone());
                    }
                }
                if !merged.is_empty() {
                    let entry_type: String =
                        tx.query_row("SELECT entry_type FROM papers WHERE id = ?1", [id], |r| {
                            r.get(0)
                        })?;
                    let m = BibEntry {
                        key: existing.clone(),
                        entry_type,
                        fields: fields.clone(),
                    };
                    let d = bib::derive(&m);
                    tx.execute(
                        "UPDATE papers SET fields = ?2, title = ?3, authors = ?4, year = ?5, venue = ?6, arxiv = ?7,
                           doi = ?8, url = ?9, updated_at = ?10 WHERE id = ?1",
                        params![id, serde_json::to_string(&fields)?, d.title, d.authors, d.year, d.venue, d.arxiv, d.doi, d.url, now],
                    )?;
                    for t in &d.tags {
                        tx.execute(
                            "INSERT OR IGNORE INTO paper_tags(paper_id, tag) VALUES (?1, ?2)",
                            params![id, t],
                        )?;
                    }
                }
                report.duplicates.push(Duplicate {
                    key: e.key.clone(),
                    existing,
                    by,
                    merged_fields: merged,
                });
            }
        }
    }
    tx.commit()?;
    Ok(report)
}

/// Every stored paper as BibTeX entries (fields as imported).
pub fn entries(conn: &Connection) -> anyhow::Result<Vec<BibEntry>> {
    let mut stmt = conn.prepare("SELECT key, entry_type, fields FROM papers ORDER BY key")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let tags: HashMap<String, Vec<String>> =
        list(conn)?.into_iter().map(|p| (p.key, p.tags)).collect();
    let mut out = Vec::new();
    for row in rows {
        let (key, entry_type, fields) = row?;
        let mut fields: BTreeMap<String, String> = serde_json::from_str(&fields)
            .with_context(|| format!("stored fields of `{key}` are not valid JSON"))?;
        // Tags set in labbook are written back as keywords, keeping the file's order.
        let tags = tags.get(&key).cloned().unwrap_or_default();
        let orig: Vec<String> = fields
            .get("keywords")
            .map(|k| {
                k.split([',', ';'])
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let mut kw: Vec<String> = orig
            .iter()
            .filter(|t| tags.contains(&t.to_lowercase()))
            .cloned()
            .collect();
        for t in &tags {
            if !kw.iter().any(|k| k.to_lowercase() == *t) {
                kw.push(t.clone());
            }
        }
        if kw != orig {
            if kw.is_empty() {
                fields.remove("keywords");
            } else {
                fields.insert("keywords".into(), kw.join(", "));
            }
        }
        out.push(BibEntry {
            key,
            entry_type,
            fields,
        });
    }
    Ok(out)
}

/// A paper typed in by the user: arXiv id and title, no network needed.
#[derive(Debug, Clone, Default)]
pub struct NewPaper {
    pub arxiv: Option<String>,
    pub doi: Option<String>,
    pub title: String,
    pub authors: Vec<String>,
    pub year: Option<String>,
    pub key: Option<String>,
    pub tags: Vec<String>,
    pub url: Option<String>,
}

pub fn add(conn: &mut Connection, p: &NewPaper) -> anyhow::Result<String> {
    if p.title.trim().is_empty() {
        bail!("a paper needs a title (--title)");
    }
    let arxiv = match &p.arxiv {
        Some(a) => Some(bib::normalize_arxiv(a).ok_or_else(|| {
            anyhow!("`{a}` is not an arXiv id (expected e.g. 2212.04356 or hep-th/9901001)")
        })?),
        None => None,
    };
    let doi = match &p.doi {
        Some(d) => Some(
            bib::normalize_doi(d)
                .ok_or_else(|| anyhow!("`{d}` is not a DOI (expected 10.xxxx/…)"))?,
        ),
        None => None,
    };
    if arxiv.is_none() && doi.is_none() && p.url.is_none() {
        bail!("give --arxiv ID, --doi DOI or --url URL so the paper can be found again");
    }
    let year = p.year.clone().or_else(|| {
        arxiv
            .as_ref()
            .filter(|a| a.chars().take(4).all(|c| c.is_ascii_digit()))
            .map(|a| format!("20{}", &a[..2]))
    });
    if !braces_balanced(&p.title) {
        bail!("the title has unbalanced braces: {}", p.title);
    }
    let key = match &p.key {
        Some(k) => {
            if k.is_empty()
                || !k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_:.-".contains(c))
            {
                bail!("`{k}` is not a usable citation key (letters, digits and _ : . - only)");
            }
            k.clone()
        }
        None => {
            let base = make_key(p, year.as_deref(), arxiv.as_deref());
            let taken = |k: &str| -> rusqlite::Result<bool> {
                conn.query_row("SELECT count(*) > 0 FROM papers WHERE key = ?1", [k], |r| {
                    r.get(0)
                })
            };
            let mut key = base.clone();
            let mut suffix = b'b';
            while taken(&key)? && suffix <= b'z' {
                key = format!("{base}{}", suffix as char);
                suffix += 1;
            }
            key
        }
    };
    let mut fields = BTreeMap::new();
    fields.insert("title".to_string(), p.title.trim().to_string());
    if !p.authors.is_empty() {
        fields.insert("author".to_string(), p.authors.join(" and "));
    }
    if let Some(y) = &year {
        fields.insert("year".into(), y.clone());
    }
    if let Some(a) = &arxiv {
        fields.insert("eprint".into(), a.clone());
        fields.insert("archiveprefix".into(), "arXiv".into());
        fields.insert("url".into(), format!("https://arxiv.org/abs/{a}"));
    }
    if let Some(d) = &doi {
        fields.insert("doi".into(), d.clone());
    }
    if let Some(u) = &p.url {
        fields.insert("url".into(), u.clone());
    }
    if !p.tags.is_empty() {
        fields.insert("keywords".into(), p.tags.join(", "));
    }
    let entry = BibEntry {
        key: key.clone(),
        entry_type: "misc".into(),
        fields,
    };
    let report = import(conn, std::slice::from_ref(&entry), "user")?;
    if let Some(d) = report.duplicates.first() {
        bail!("already in the library as `{}` (same {})", d.existing, d.by);
    }
    Ok(key)
}

fn braces_balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

fn make_key(p: &NewPaper, year: Option<&str>, arxiv: Option<&str>) -> String {
    let surname = p
        .authors
        .first()
        .map(|a| {
            let a = a.trim();
            match a.split_once(',') {
                Some((last, _)) => last.to_string(),
                None => a.rsplit(' ').next().unwrap_or(a).to_string(),
            }
        })
        .map(|s| {
            s.to_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
        })
        .filter(|s| !s.is_empty());
    let word = p
        .title
        .split_whitespace()
        .map(|w| {
            w.to_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
        })
        .find(|w| w.len() > 3 && !["with", "from", "towards", "via", "using"].contains(&w.as_str()))
        .unwrap_or_default();
    match (surname, arxiv) {
        (Some(s), _) => format!("{s}{}{word}", year.unwrap_or("")),
        (None, Some(a)) => format!("arxiv{}", a.replace(['.', '/'], "-")),
        (None, None) if word.is_empty() => format!("paper{}", year.unwrap_or("")),
        (None, None) => format!("{word}{}", year.unwrap_or("")),
    }
}

/// Changes to a paper's reading metadata.
#[derive(Debug, Clone, Default)]
pub struct PaperUpdate {
    pub status: Option<Status>,
    pub priority: Option<u8>,
    pub rating: Option<Option<u8>>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    pub add_steps: Vec<String>,
    pub remove_steps: Vec<String>,
    pub notes: Option<String>,
}

pub fn update(conn: &mut Connection, key: &str, u: &PaperUpdate) -> anyhow::Result<()> {
    let id = paper_id(conn, key)?;
    if let Some(p) = u.priority {
        if !(1..=3).contains(&p) {
            bail!("priority must be 1 (high), 2 or 3 (low), not {p}");
        }
    }
    if let Some(Some(r)) = u.rating {
        if !(1..=5).contains(&r) {
            bail!("rating must be 1 to 5, not {r}");
        }
    }
    let now = now_ts();
    let tx = conn.transaction()?;
    if let Some(s) = u.status {
        tx.execute(
            "UPDATE papers SET status = ?2, status_changed_at = ?3, updated_at = ?3 WHERE id = ?1 AND status <> ?2",
            params![id, s.as_str(), now],
        )?;
    }
    if let Some(p) = u.priority {
        tx.execute(
            "UPDATE papers SET priority = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, p, now],
        )?;
    }
    if let Some(r) = u.rating {
        tx.execute(
            "UPDATE papers SET rating = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, r, now],
        )?;
    }
    if let Some(n) = &u.notes {
        tx.execute(
            "UPDATE papers SET notes = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, n, now],
        )?;
    }
    for t in &u.add_tags {
        tx.execute(
            "INSERT OR IGNORE INTO paper_tags(paper_id, tag) VALUES (?1, ?2)",
            params![id, t.trim().to_lowercase()],
        )?;
    }
    for t in &u.remove_tags {
        tx.execute(
            "DELETE FROM paper_tags WHERE paper_id = ?1 AND tag = ?2",
            params![id, t.trim().to_lowercase()],
        )?;
    }
    for s in &u.add_steps {
        let exists: bool =
            tx.query_row("SELECT count(*) > 0 FROM steps WHERE id = ?1", [s], |r| {
                r.get(0)
            })?;
        if !exists {
            let steps: Vec<String> = tx
                .prepare("SELECT id FROM steps WHERE archived_at IS NULL ORDER BY ord")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            bail!("no plan step `{s}` (steps: {})", steps.join(", "));
        }
        tx.execute(
            "INSERT OR IGNORE INTO paper_steps(paper_id, step_id) VALUES (?1, ?2)",
            params![id, s],
        )?;
    }
    for s in &u.remove_steps {
        tx.execute(
            "DELETE FROM paper_steps WHERE paper_id = ?1 AND step_id = ?2",
            params![id, s],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Import the embedded catalog when it changed since the last start; stored
/// papers keep their status and metadata (only missing fields are filled).
pub fn seed_catalog(conn: &mut Connection, catalog: &str) -> anyhow::Result<Option<ImportReport>> {
    let hash = crate::util::content_hash(catalog.as_bytes());
    let stored = crate::store::meta_get(conn, "catalog.hash")?;
    if stored.as_deref() == Some(hash.as_str()) {
        return Ok(None);
    }
    let entries = bib::parse("papers/catalog.bib", catalog)?;
    let report = import(conn, &entries, "catalog")?;
    crate::store::meta_set(conn, "catalog.hash", &hash)?;
    Ok(Some(report))
}

/// Filter used by the CLI and the TUI list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<Status>,
    pub step: Option<String>,
    pub tag: Option<String>,
    pub text: Option<String>,
}

impl Filter {
    pub fn matches(&self, p: &Paper, haystack: &str) -> bool {
        self.status.is_none_or(|s| p.status == s)
            && self.step.as_ref().is_none_or(|s| p.steps.contains(s))
            && self
                .tag
                .as_ref()
                .is_none_or(|t| p.tags.iter().any(|x| x == &t.to_lowercase()))
            && self.text.as_ref().is_none_or(|t| {
                t.to_lowercase()
                    .split_whitespace()
                    .all(|w| haystack.contains(w))
            })
    }
}
