//! Progress queries over the synced plan: load it back from SQLite, mark items done,
//! per-step and overall completion.

use std::collections::HashMap;

use anyhow::{bail, Context};
use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::model::{Item, ItemKind, Plan, Step};
use super::schedule::Schedule;
use crate::store::now_ts;

/// The active (non-archived) plan as stored.
pub fn load_plan(conn: &Connection) -> rusqlite::Result<Plan> {
    let mut steps: Vec<Step> = conn
        .prepare(
            "SELECT id, title, summary, week_from, week_to, source FROM steps
             WHERE archived_at IS NULL ORDER BY ord",
        )?
        .query_map([], |r| {
            Ok(Step {
                id: r.get(0)?,
                title: r.get(1)?,
                summary: r.get(2)?,
                week_from: r.get(3)?,
                week_to: r.get(4)?,
                source: r.get(5)?,
                items: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut refs: HashMap<String, Vec<String>> = HashMap::new();
    let mut stmt = conn.prepare("SELECT item_id, paper_key FROM item_refs ORDER BY rowid")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (i, k) = row?;
        refs.entry(i).or_default().push(k);
    }
    let index: HashMap<String, usize> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.clone(), i))
        .collect();
    let mut stmt = conn.prepare(
        "SELECT id, step_id, kind, grp, title, detail, week, hours, project, source_line FROM items
         WHERE archived_at IS NULL ORDER BY ord",
    )?;
    let rows = stmt.query_map([], |r| {
        let kind: String = r.get(2)?;
        let id: String = r.get(0)?;
        Ok((
            r.get::<_, String>(1)?,
            Item {
                kind: ItemKind::parse(&kind).unwrap_or(ItemKind::Topic),
                group: r.get(3)?,
                title: r.get(4)?,
                detail: r.get(5)?,
                week: r.get(6)?,
                hours: r.get(7)?,
                project: r.get(8)?,
                refs: Vec::new(),
                line: r.get::<_, Option<i64>>(9)?.unwrap_or(0) as usize,
                id,
            },
        ))
    })?;
    for row in rows {
        let (step_id, mut item) = row?;
        item.refs = refs.remove(&item.id).unwrap_or_default();
        if let Some(&i) = index.get(&step_id) {
            steps[i].items.push(item);
        }
    }
    Ok(Plan { steps })
}

/// Item id → when it was marked done.
pub fn done_map(conn: &Connection) -> rusqlite::Result<HashMap<String, String>> {
    conn.prepare("SELECT id, done_at FROM items WHERE done_at IS NOT NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// Mark an item done (or not done). A deliverable's status follows in the same
/// transaction: done ↔ `done`, undone → `in-progress`.
pub fn set_done(conn: &Connection, id: &str, done: bool) -> anyhow::Result<()> {
    let kind = check_active(conn, id)?;
    let status = if done { "done" } else { "in-progress" };
    let tx = conn.unchecked_transaction()?;
    write_done(&tx, id, done)?;
    if kind == ItemKind::Deliverable.as_str() {
        write_deliverable_status(&tx, id, status)?;
    }
    tx.commit()?;
    Ok(())
}

/// The kind of an active (not archived) item, or a clear error.
pub fn check_active(conn: &Connection, id: &str) -> anyhow::Result<String> {
    let row: Option<(Option<String>, String)> = conn
        .query_row(
            "SELECT archived_at, kind FROM items WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match row {
        None => bail!("no plan item with id `{id}` (see `labbook plan` for ids)"),
        Some((Some(_), _)) => bail!(
            "item `{id}` was removed from the curriculum (archived); it can no longer be changed"
        ),
        Some((None, kind)) => Ok(kind),
    }
}

/// Set or clear `done_at` (an earlier completion time is kept).
pub fn write_done(conn: &Connection, id: &str, done: bool) -> rusqlite::Result<()> {
    if done {
        conn.execute(
            "UPDATE items SET done_at = COALESCE(done_at, ?2) WHERE id = ?1",
            params![id, now_ts()],
        )?;
    } else {
        conn.execute("UPDATE items SET done_at = NULL WHERE id = ?1", [id])?;
    }
    Ok(())
}

pub fn write_deliverable_status(conn: &Connection, id: &str, status: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO deliverables(item_id, status, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(item_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
        params![id, status, now_ts()],
    )?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepProgress {
    pub step: String,
    pub title: String,
    pub done: usize,
    pub total: usize,
}

impl StepProgress {
    pub fn ratio(&self) -> f64 {
        crate::util::ratio(self.done, self.total)
    }
}

pub fn step_progress(plan: &Plan, done: &HashMap<String, String>) -> Vec<StepProgress> {
    plan.steps
        .iter()
        .map(|s| StepProgress {
            step: s.id.clone(),
            title: s.title.clone(),
            done: s.items.iter().filter(|i| done.contains_key(&i.id)).count(),
            total: s.items.len(),
        })
        .collect()
}

pub fn overall(progress: &[StepProgress]) -> (usize, usize) {
    progress
        .iter()
        .fold((0, 0), |(d, t), p| (d + p.done, t + p.total))
}

pub const START_KEY: &str = "plan.start";
pub const WEEKS_KEY: &str = "plan.weeks";

/// The stored schedule; on first use the plan starts on `today` and lasts 12 weeks.
pub fn load_schedule(conn: &Connection, today: NaiveDate) -> anyhow::Result<Schedule> {
    let get = |k: &str| crate::store::meta_get(conn, k);
    let start = match get(START_KEY)? {
        Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .with_context(|| format!("stored plan start `{s}` is not a date"))?,
        None => {
            save_schedule(
                conn,
                &Schedule {
                    start: today,
                    weeks: 12,
                },
            )?;
            today
        }
    };
    let weeks = match get(WEEKS_KEY)? {
        Some(w) => w
            .parse()
            .with_context(|| format!("stored plan length `{w}` is not a number"))?,
        None => 12,
    };
    Schedule::new(start, weeks).map_err(|e| {
        anyhow::anyhow!("stored schedule: {e} (fix it with `labbook schedule --weeks 12`)")
    })
}

pub fn save_schedule(conn: &Connection, s: &Schedule) -> rusqlite::Result<()> {
    let tx = conn.unchecked_transaction()?;
    crate::store::meta_set(&tx, START_KEY, &s.start.format("%Y-%m-%d").to_string())?;
    crate::store::meta_set(&tx, WEEKS_KEY, &s.weeks.to_string())?;
    tx.commit()
}
