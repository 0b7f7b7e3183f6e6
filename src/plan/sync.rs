//! Sync a parsed [`Plan`] into SQLite by stable id. Content columns are updated;
//! progress (`done_at`) is never touched; items missing from the text are archived
//! (and restored, with their progress, if they come back).

use std::collections::HashSet;

use rusqlite::{params, Connection};
use serde::Serialize;

use super::model::Plan;
use crate::store::now_ts;

#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct SyncReport {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub archived: Vec<String>,
    pub restored: Vec<String>,
    pub unchanged: usize,
}

impl SyncReport {
    pub fn summary(&self) -> String {
        format!(
            "{} added, {} updated, {} archived, {} restored, {} unchanged",
            self.added.len(),
            self.updated.len(),
            self.archived.len(),
            self.restored.len(),
            self.unchanged
        )
    }
}

pub fn sync(conn: &mut Connection, plan: &Plan) -> rusqlite::Result<SyncReport> {
    let now = now_ts();
    let tx = conn.transaction()?;
    let mut report = SyncReport::default();
    {
        let mut step_ids = HashSet::new();
        let mut upsert_step = tx.prepare(
            "INSERT INTO steps(id, ord, title, summary, week_from, week_to, source, archived_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)
             ON CONFLICT(id) DO UPDATE SET ord = excluded.ord, title = excluded.title,
               summary = excluded.summary, week_from = excluded.week_from,
               week_to = excluded.week_to, source = excluded.source, archived_at = NULL",
        )?;
        for (ord, s) in plan.steps.iter().enumerate() {
            upsert_step.execute(params![
                s.id,
                ord as i64,
                s.title,
                s.summary,
                s.week_from,
                s.week_to,
                s.source
            ])?;
            step_ids.insert(s.id.as_str());
        }
        let mut existing = tx.prepare(
            "SELECT id, step_id, kind, grp, title, detail, ord, week, hours, project, source_line, archived_at FROM items",
        )?;
        type Row = (
            String,
            String,
            String,
            Option<String>,
            String,
            String,
            i64,
            Option<i64>,
            Option<f64>,
            Option<String>,
            Option<i64>,
            Option<String>,
        );
        let rows: Vec<Row> = existing
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        let by_id: std::collections::HashMap<&str, &Row> =
            rows.iter().map(|r| (r.0.as_str(), r)).collect();
        let mut insert = tx.prepare(
            "INSERT INTO items(id, step_id, kind, grp, title, detail, ord, week, hours, project, source_line, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
        )?;
        let mut update = tx.prepare(
            "UPDATE items SET step_id = ?2, kind = ?3, grp = ?4, title = ?5, detail = ?6, ord = ?7,
               week = ?8, hours = ?9, project = ?10, source_line = ?11, archived_at = NULL, updated_at = ?12
             WHERE id = ?1",
        )?;
        let mut del_refs = tx.prepare("DELETE FROM item_refs WHERE item_id = ?1")?;
        let mut add_ref =
            tx.prepare("INSERT OR IGNORE INTO item_refs(item_id, paper_key) VALUES (?1, ?2)")?;
        let mut add_deliv = tx.prepare(
            "INSERT OR IGNORE INTO deliverables(item_id, status, updated_at) VALUES (?1, 'not-started', ?2)",
        )?;
        let mut seen = HashSet::new();
        let mut ord = 0i64;
        for step in &plan.steps {
            for it in &step.items {
                ord += 1;
                seen.insert(it.id.as_str());
                let week = it.week.map(|w| w as i64);
                let line = it.line as i64;
                let p = params![
                    it.id,
                    step.id,
                    it.kind.as_str(),
                    it.group,
                    it.title,
                    it.detail,
                    ord,
                    week,
                    it.hours,
                    it.project,
                    line,
                    now
                ];
                match by_id.get(it.id.as_str()) {
                    None => {
                        insert.execute(p)?;
                        report.added.push(it.id.clone());
                    }
                    Some(r) => {
                        let same = r.1 == step.id
                            && r.2 == it.kind.as_str()
                            && r.3 == it.group
                            && r.4 == it.title
                            && r.5 == it.detail
                            && r.6 == ord
                            && r.7 == week
                            && r.8 == it.hours
                            && r.9 == it.project
                            && r.10 == Some(line)
                            && r.11.is_none();
                        if r.11.is_some() {
                            report.restored.push(it.id.clone());
                        } else if same {
                            report.unchanged += 1;
                        } else {
                            report.updated.push(it.id.clone());
                        }
                        if !same {
                            update.execute(p)?;
                        }
                    }
                }
                del_refs.execute([&it.id])?;
                for k in &it.refs {
                    add_ref.execute([&it.id, k])?;
                }
                if it.kind == super::ItemKind::Deliverable {
                    add_deliv.execute([&it.id, &now])?;
                }
            }
        }
        let mut archive = tx.prepare("UPDATE items SET archived_at = ?2 WHERE id = ?1")?;
        for r in &rows {
            if r.11.is_none() && !seen.contains(r.0.as_str()) {
                archive.execute([&r.0, &now])?;
                report.archived.push(r.0.clone());
            }
        }
        let mut all_steps = tx.prepare("SELECT id FROM steps WHERE archived_at IS NULL")?;
        let old_steps: Vec<String> = all_steps
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for s in old_steps {
            if !step_ids.contains(s.as_str()) {
                tx.execute(
                    "UPDATE steps SET archived_at = ?2 WHERE id = ?1",
                    [&s, &now],
                )?;
            }
        }
    }
    tx.commit()?;
    Ok(report)
}
