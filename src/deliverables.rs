//! Deliverables: the plan's `## Deliverables` items tracked with a status, a due
//! date from the schedule and evidence links (notes, papers, URLs; runs and reports
//! later).

use anyhow::{anyhow, bail};
use rusqlite::{params, Connection};
use serde::Serialize;

use crate::store::now_ts;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DStatus {
    NotStarted,
    InProgress,
    Done,
}

impl DStatus {
    pub const ALL: [DStatus; 3] = [DStatus::NotStarted, DStatus::InProgress, DStatus::Done];
    pub fn as_str(self) -> &'static str {
        match self {
            DStatus::NotStarted => "not-started",
            DStatus::InProgress => "in-progress",
            DStatus::Done => "done",
        }
    }
    pub fn parse(s: &str) -> anyhow::Result<DStatus> {
        DStatus::ALL
            .into_iter()
            .find(|d| d.as_str() == s.trim())
            .ok_or_else(|| {
                anyhow!(
                    "unknown deliverable status `{s}` (expected not-started, in-progress or done)"
                )
            })
    }
    pub fn next(self) -> DStatus {
        match self {
            DStatus::NotStarted => DStatus::InProgress,
            DStatus::InProgress => DStatus::Done,
            DStatus::Done => DStatus::NotStarted,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub kind: String,
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deliverable {
    pub id: String,
    pub step: String,
    pub title: String,
    pub status: DStatus,
    pub evidence: Vec<Evidence>,
}

pub fn list(conn: &Connection) -> rusqlite::Result<Vec<Deliverable>> {
    let mut out: Vec<Deliverable> = conn
        .prepare(
            "SELECT i.id, i.step_id, i.title, COALESCE(d.status, 'not-started') FROM items i
             LEFT JOIN deliverables d ON d.item_id = i.id
             WHERE i.kind = 'deliverable' AND i.archived_at IS NULL ORDER BY i.ord",
        )?
        .query_map([], |r| {
            let s: String = r.get(3)?;
            Ok(Deliverable {
                id: r.get(0)?,
                step: r.get(1)?,
                title: r.get(2)?,
                status: DStatus::parse(&s).unwrap_or(DStatus::NotStarted),
                evidence: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut stmt =
        conn.prepare("SELECT kind, target FROM evidence WHERE item_id = ?1 ORDER BY id")?;
    for d in &mut out {
        d.evidence = stmt
            .query_map([&d.id], |r| {
                Ok(Evidence {
                    kind: r.get(0)?,
                    target: r.get(1)?,
                })
            })?
            .collect::<Result<_, _>>()?;
    }
    Ok(out)
}

fn check(conn: &Connection, id: &str) -> anyhow::Result<()> {
    match crate::plan::progress::check_active(conn, id) {
        Ok(kind) if kind == "deliverable" => Ok(()),
        Ok(kind) => bail!("`{id}` is a {kind}, not a deliverable"),
        Err(_) => bail!("no deliverable `{id}` (see `labbook deliverable list`)"),
    }
}

/// Set a deliverable's status; `done` also checks the plan item (and back).
pub fn set_status(conn: &Connection, id: &str, status: DStatus) -> anyhow::Result<()> {
    check(conn, id)?;
    let tx = conn.unchecked_transaction()?;
    crate::plan::progress::write_deliverable_status(&tx, id, status.as_str())?;
    crate::plan::progress::write_done(&tx, id, status == DStatus::Done)?;
    tx.commit()?;
    Ok(())
}

/// Attach evidence. Notes and papers must exist; URLs are taken as given.
pub fn link(conn: &Connection, id: &str, kind: &str, target: &str) -> anyhow::Result<()> {
    check(conn, id)?;
    match kind {
        "note" => {
            let ok: bool = conn.query_row(
                "SELECT count(*) > 0 FROM notes WHERE id = ?1",
                [target],
                |r| r.get(0),
            )?;
            if !ok {
                bail!("no note with id {target}");
            }
        }
        "paper" => {
            let ok: bool = conn.query_row(
                "SELECT count(*) > 0 FROM papers WHERE key = ?1",
                [target],
                |r| r.get(0),
            )?;
            if !ok {
                bail!("no paper with key `{target}`");
            }
        }
        "url" | "run" | "report" => {}
        other => bail!("unknown evidence kind `{other}`"),
    }
    conn.execute(
        "INSERT OR IGNORE INTO evidence(item_id, kind, target, added_at) VALUES (?1, ?2, ?3, ?4)",
        params![id, kind, target, now_ts()],
    )?;
    Ok(())
}

pub fn unlink(conn: &Connection, id: &str, kind: &str, target: &str) -> anyhow::Result<()> {
    let n = conn.execute(
        "DELETE FROM evidence WHERE item_id = ?1 AND kind = ?2 AND target = ?3",
        params![id, kind, target],
    )?;
    if n == 0 {
        bail!("`{id}` has no {kind} evidence `{target}`");
    }
    Ok(())
}
