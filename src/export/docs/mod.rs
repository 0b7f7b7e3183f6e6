//! The plan's other documents: the day-wise schedule, the study roadmap (papers with
//! links, hands-on projects with their commands), a mini research proposal filled from
//! the user's notes and runs, and the project plan of the end-to-end real-time
//! speech-to-speech pipeline.
//!
//! Where the user has written nothing for a section, the section says what to write
//! (in italics, starting "To write:"); nothing made up is presented as theirs.

mod project_plan;
mod proposal;
mod roadmap;
mod schedule;

pub use project_plan::{project_plan, S2S_MILESTONES, S2S_STAGES};
pub use proposal::proposal;
pub use roadmap::roadmap;
pub use schedule::schedule;

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::Connection;

use super::{date_of, NoteText};
use crate::papers::Paper;
use crate::plan::{Plan, Schedule};
use crate::runs::project::{Goal, Project};
use crate::runs::query::{self, RunRow};

/// What every document needs from the store, loaded once.
pub struct Sources {
    pub plan: Plan,
    pub sched: Schedule,
    pub today: NaiveDate,
    /// Item id → date it was marked done.
    pub done: HashMap<String, NaiveDate>,
    pub papers: Vec<Paper>,
    pub projects: Vec<Project>,
    pub runs: Vec<RunRow>,
    pub notes: Vec<crate::notes::Note>,
}

impl Sources {
    pub fn load(
        conn: &Connection,
        data_dir: &std::path::Path,
        plan: Plan,
        sched: Schedule,
        today: NaiveDate,
    ) -> anyhow::Result<Sources> {
        let done = crate::plan::progress::done_map(conn)?
            .into_iter()
            .filter_map(|(k, v)| date_of(&v).map(|d| (k, d)))
            .collect();
        let mut notes = Vec::new();
        let mut list = crate::notes::list(conn)?;
        list.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        for n in list {
            notes.push(crate::notes::get(conn, n.id)?);
        }
        Ok(Sources {
            plan,
            sched,
            today,
            done,
            papers: crate::papers::list(conn)?,
            projects: crate::runs::project::load_all(data_dir)?,
            runs: query::list(conn)?,
            notes,
        })
    }

    fn mark(&self, id: &str) -> &'static str {
        if self.done.contains_key(id) {
            "[x]"
        } else {
            "[ ]"
        }
    }

    fn item(&self, id: &str) -> Option<(&crate::plan::Step, &crate::plan::Item)> {
        self.plan.items().find(|(_, i)| i.id == id)
    }

    fn project(&self, name: &str) -> Option<&Project> {
        self.projects.iter().find(|p| p.manifest.name == name)
    }

    /// The best finished run of a project by its primary metric: (run, metric, value).
    fn best_run(
        &self,
        conn: &Connection,
        name: &str,
    ) -> anyhow::Result<Option<(RunRow, String, f64, usize)>> {
        let Some(p) = self.project(name) else {
            return Ok(None);
        };
        let (Some(key), Some(goal)) = (p.manifest.primary_metric.clone(), p.manifest.goal) else {
            return Ok(None);
        };
        let mut best: Option<(RunRow, f64)> = None;
        let mut n = 0;
        for r in self.runs.iter().filter(|r| {
            r.project.as_deref() == Some(name) && r.status == crate::runs::Status::Completed
        }) {
            n += 1;
            let Some(v) = query::summaries(conn, r.rowid)?
                .into_iter()
                .find(|s| s.key == key)
                .and_then(|s| s.last)
                .filter(|v| v.is_finite())
            else {
                continue;
            };
            let better = match (&best, goal) {
                (None, _) => true,
                (Some((_, b)), Goal::Min) => v < *b,
                (Some((_, b)), Goal::Max) => v > *b,
            };
            if better {
                best = Some((r.clone(), v));
            }
        }
        Ok(best.map(|(r, v)| (r, key, v, n)))
    }

    /// Notes attached to any of `items`.
    fn notes_on(&self, items: &[&str]) -> Vec<NoteText> {
        self.notes
            .iter()
            .filter(|n| {
                n.summary
                    .item
                    .as_deref()
                    .is_some_and(|i| items.contains(&i))
            })
            .map(NoteText::from_note)
            .collect()
    }
}
