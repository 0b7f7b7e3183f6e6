//! Reading the run index: lists, one run, summaries, series, comparisons, and the
//! few edits a user makes (tags, note, delete).

use std::collections::HashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::fsm::Status;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRow {
    #[serde(skip)]
    pub rowid: i64,
    pub id: String,
    pub name: String,
    pub project: Option<String>,
    pub command: String,
    pub params: BTreeMap<String, serde_json::Value>,
    pub dir: PathBuf,
    pub status: Status,
    pub reason: Option<String>,
    pub stalled: bool,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub pid: Option<i32>,
    pub created_at: String,
    pub started_at: Option<f64>,
    pub ended_at: Option<f64>,
    pub last_output: Option<f64>,
    pub sweep: Option<String>,
    pub seed: Option<i64>,
    pub git_commit: Option<String>,
    pub git_dirty: Option<bool>,
    pub host: Option<String>,
    pub backend: String,
    pub note: String,
    pub tags: Vec<String>,
    pub lines: i64,
}

impl RunRow {
    /// Seconds from start to end (or to `now` while running).
    pub fn duration(&self, now: f64) -> Option<f64> {
        let start = self.started_at?;
        Some(self.ended_at.unwrap_or(now) - start)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricSummary {
    pub key: String,
    pub count: i64,
    /// `None` when the last value was NaN.
    pub last: Option<f64>,
    pub last_step: Option<i64>,
    pub min: Option<f64>,
    pub min_step: Option<i64>,
    pub max: Option<f64>,
    pub max_step: Option<i64>,
}

const COLS: &str = "r.id, r.uid, r.name, r.project, r.command, r.params, r.dir, r.status, r.reason, r.stalled, r.exit_code,
    r.signal, r.pid, r.created_at, r.started_at, r.ended_at, r.last_output, r.sweep, r.seed, r.git_commit, r.git_dirty,
    r.host, r.backend, r.note,
    COALESCE((SELECT sum(lines) FROM run_offsets o WHERE o.run_id = r.id), 0)";

fn row(r: &rusqlite::Row) -> rusqlite::Result<RunRow> {
    let params: String = r.get(5)?;
    let status: String = r.get(7)?;
    Ok(RunRow {
        rowid: r.get(0)?,
        id: r.get(1)?,
        name: r.get(2)?,
        project: r.get(3)?,
        command: r.get(4)?,
        params: serde_json::from_str(&params).unwrap_or_default(),
        dir: PathBuf::from(r.get::<_, String>(6)?),
        status: Status::parse(&status).unwrap_or(Status::Lost),
        reason: r.get(8)?,
        stalled: r.get::<_, i64>(9)? != 0,
        exit_code: r.get(10)?,
        signal: r.get(11)?,
        pid: r.get(12)?,
        created_at: r.get(13)?,
        started_at: r.get(14)?,
        ended_at: r.get(15)?,
        last_output: r.get(16)?,
        sweep: r.get(17)?,
        seed: r.get(18)?,
        git_commit: r.get(19)?,
        git_dirty: r.get::<_, Option<i64>>(20)?.map(|d| d != 0),
        host: r.get(21)?,
        backend: r.get(22)?,
        note: r.get(23)?,
        tags: Vec::new(),
        lines: r.get(24)?,
    })
}

/// All runs, newest first.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<RunRow>> {
    let mut tags: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for t in conn
        .prepare("SELECT run_id, tag FROM run_tags ORDER BY tag")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
    {
        let (id, tag): (i64, String) = t?;
        tags.entry(id).or_default().push(tag);
    }
    let mut out: Vec<RunRow> = conn
        .prepare(&format!(
            "SELECT {COLS} FROM runs r ORDER BY r.created_at DESC, r.id DESC"
        ))?
        .query_map([], row)?
        .collect::<Result<_, _>>()?;
    for r in &mut out {
        r.tags = tags.remove(&r.rowid).unwrap_or_default();
    }
    Ok(out)
}

/// A run by id, or by a unique part of its id (e.g. the last four hex digits).
pub fn find(conn: &Connection, key: &str) -> anyhow::Result<RunRow> {
    let all = list(conn)?;
    if let Some(r) = all.iter().find(|r| r.id == key) {
        return Ok(r.clone());
    }
    let hits: Vec<&RunRow> = all.iter().filter(|r| r.id.contains(key)).collect();
    match hits.as_slice() {
        [one] => Ok((*one).clone()),
        [] => bail!("no run matches `{key}` (see `labbook run list`)"),
        many => bail!(
            "`{key}` matches {} runs ({}); give more of the id",
            many.len(),
            many.iter()
                .take(4)
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

const SUMMARY_COLS: &str =
    "k.name, s.count, s.last, s.last_step, s.min, s.min_step, s.max, s.max_step";

/// A summary from the row's columns `SUMMARY_COLS`, starting at column `at`.
fn summary_row(r: &rusqlite::Row, at: usize) -> rusqlite::Result<MetricSummary> {
    Ok(MetricSummary {
        key: r.get(at)?,
        count: r.get(at + 1)?,
        last: r.get(at + 2)?,
        last_step: r.get(at + 3)?,
        min: r.get(at + 4)?,
        min_step: r.get(at + 5)?,
        max: r.get(at + 6)?,
        max_step: r.get(at + 7)?,
    })
}

/// One run's metric summaries, by metric name.
pub fn summaries(conn: &Connection, run: i64) -> rusqlite::Result<Vec<MetricSummary>> {
    conn.prepare(&format!(
        "SELECT {SUMMARY_COLS} FROM metric_summary s JOIN metric_keys k ON k.id = s.key_id
         WHERE s.run_id = ?1 ORDER BY k.name"
    ))?
    .query_map([run], |r| summary_row(r, 0))?
    .collect()
}

/// Every run's metric summaries (run row id → summaries by metric name), in one query
/// for the runs table.
pub fn all_summaries(conn: &Connection) -> rusqlite::Result<HashMap<i64, Vec<MetricSummary>>> {
    let mut out: HashMap<i64, Vec<MetricSummary>> = HashMap::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT s.run_id, {SUMMARY_COLS} FROM metric_summary s JOIN metric_keys k ON k.id = s.key_id
         ORDER BY s.run_id, k.name"
    ))?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, summary_row(r, 1)?)))?;
    for row in rows {
        let (id, s) = row?;
        out.entry(id).or_default().push(s);
    }
    Ok(out)
}

/// The last `n` values of one metric of one run, oldest first (NaN for a stored NaN):
/// a sparkline's points.
pub fn last_values(conn: &Connection, run: i64, key: &str, n: usize) -> rusqlite::Result<Vec<f64>> {
    let mut v: Vec<f64> = conn
        .prepare_cached(
            "SELECT value FROM metrics m JOIN metric_keys k ON k.id = m.key_id
             WHERE m.run_id = ?1 AND k.name = ?2 ORDER BY m.seq DESC LIMIT ?3",
        )?
        .query_map(rusqlite::params![run, key, n as i64], |x| {
            Ok(x.get::<_, Option<f64>>(0)?.unwrap_or(f64::NAN))
        })?
        .collect::<Result<_, _>>()?;
    v.reverse();
    Ok(v)
}

/// One point of a series: (step, wall time, value; NaN for a stored NaN).
pub type Point = (i64, f64, f64);

/// Every point of one metric of one run, in the order it was reported.
pub fn series(conn: &Connection, run: i64, key: &str) -> rusqlite::Result<Vec<Point>> {
    series_from(conn, run, key, 0)
}

pub fn info(conn: &Connection, run: i64) -> rusqlite::Result<Vec<(String, String)>> {
    conn.prepare("SELECT key, value FROM run_info WHERE run_id = ?1 ORDER BY key")?
        .query_map([run], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// Parameter names whose values differ between the given runs.
pub fn differing_params(runs: &[RunRow]) -> Vec<String> {
    let keys: BTreeSet<&String> = runs.iter().flat_map(|r| r.params.keys()).collect();
    keys.into_iter()
        .filter(|k| {
            let mut vals = runs.iter().map(|r| r.params.get(*k));
            let first = vals.next().flatten();
            vals.any(|v| v != first)
        })
        .cloned()
        .collect()
}

/// Runs side by side (`run compare`, the TUI's compare view, reports): the
/// parameters that differ and each run's metric summaries.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub runs: Vec<RunRow>,
    pub differing: Vec<String>,
    /// Metric names in order of first appearance across the runs.
    pub keys: Vec<String>,
    /// `summaries[i]` belongs to `runs[i]`.
    pub summaries: Vec<Vec<MetricSummary>>,
}

impl Comparison {
    pub fn load(conn: &Connection, runs: Vec<RunRow>) -> rusqlite::Result<Comparison> {
        let differing = differing_params(&runs);
        let mut keys: Vec<String> = Vec::new();
        let mut sums = Vec::with_capacity(runs.len());
        for r in &runs {
            let s = summaries(conn, r.rowid)?;
            for m in &s {
                if !keys.contains(&m.key) {
                    keys.push(m.key.clone());
                }
            }
            sums.push(s);
        }
        Ok(Comparison {
            runs,
            differing,
            keys,
            summaries: sums,
        })
    }

    /// The summary of metric `key` of the `i`-th run.
    pub fn summary(&self, i: usize, key: &str) -> Option<&MetricSummary> {
        self.summaries.get(i)?.iter().find(|m| m.key == key)
    }
}

pub fn set_tags(
    conn: &Connection,
    run: &RunRow,
    add: &[String],
    remove: &[String],
) -> anyhow::Result<()> {
    let tx = conn.unchecked_transaction()?;
    for t in add {
        let t = t.trim();
        if t.is_empty() {
            bail!("empty tag");
        }
        tx.execute(
            "INSERT OR IGNORE INTO run_tags(run_id, tag) VALUES (?1, ?2)",
            params![run.rowid, t],
        )?;
    }
    for t in remove {
        tx.execute(
            "DELETE FROM run_tags WHERE run_id = ?1 AND tag = ?2",
            params![run.rowid, t.trim()],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Delete a finished run: its index rows and its directory.
pub fn delete(conn: &Connection, run: &RunRow) -> anyhow::Result<()> {
    if run.status.is_active() {
        bail!("run {} is {}: cancel it first", run.id, run.status.as_str());
    }
    let tx = conn.unchecked_transaction()?;
    tx.execute("DELETE FROM metrics WHERE run_id = ?1", [run.rowid])?;
    tx.execute("DELETE FROM runs WHERE id = ?1", [run.rowid])?;
    tx.execute(
        "DELETE FROM evidence WHERE kind = 'run' AND target = ?1",
        [&run.id],
    )?;
    tx.commit()?;
    if run.dir.exists() {
        std::fs::remove_dir_all(&run.dir)
            .with_context(|| format!("removing {}", run.dir.display()))?;
    }
    Ok(())
}

pub fn metric_names(conn: &Connection, run: i64) -> rusqlite::Result<Vec<String>> {
    Ok(summaries(conn, run)?.into_iter().map(|s| s.key).collect())
}

pub fn require_metric(conn: &Connection, run: &RunRow, key: &str) -> anyhow::Result<()> {
    let names = metric_names(conn, run.rowid)?;
    if names.iter().any(|n| n == key) {
        Ok(())
    } else {
        Err(anyhow!(
            "run {} has no metric `{key}` (it has: {})",
            run.id,
            names.join(", ")
        ))
    }
}

/// Points of one metric with `seq >= from` (for incremental chart updates).
pub fn series_from(
    conn: &Connection,
    run: i64,
    key: &str,
    from: i64,
) -> rusqlite::Result<Vec<Point>> {
    let Some(key_id) = conn
        .query_row("SELECT id FROM metric_keys WHERE name = ?1", [key], |r| {
            r.get::<_, i64>(0)
        })
        .optional()?
    else {
        return Ok(Vec::new());
    };
    conn.prepare_cached("SELECT step, wall, value FROM metrics WHERE run_id = ?1 AND key_id = ?2 AND seq >= ?3 ORDER BY seq")?
        .query_map([run, key_id, from], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, Option<f64>>(2)?.unwrap_or(f64::NAN))))?
        .collect()
}
