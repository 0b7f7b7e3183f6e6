//! The "where am I" summary behind `labbook status` and the Today tab.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::deliverables::{self, Deliverable};
use crate::papers::{Paper, Status};
use crate::plan::progress::{self, StepProgress};
use crate::plan::schedule::Position;
use crate::plan::{Plan, Schedule};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DueItem {
    pub id: String,
    pub step: String,
    pub kind: String,
    pub title: String,
    pub due: NaiveDate,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepLine {
    #[serde(flatten)]
    pub progress: StepProgress,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    pub today: NaiveDate,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub weeks: u32,
    pub position: Position,
    pub current_week: u32,
    pub done: usize,
    pub total: usize,
    pub steps: Vec<StepLine>,
    pub due_this_week: Vec<DueItem>,
    pub overdue: Vec<DueItem>,
    /// Papers cited by this week's steps that are not read yet.
    pub to_read: Vec<(String, String, String)>,
    pub papers_by_status: Vec<(String, usize)>,
    pub deliverables: Vec<(Deliverable, NaiveDate)>,
    pub notes: usize,
}

pub fn build(
    plan: &Plan,
    schedule: &Schedule,
    done: &HashMap<String, String>,
    papers: &[Paper],
    delivs: &[Deliverable],
    notes: usize,
    today: NaiveDate,
) -> Overview {
    let week = schedule.current_week(today);
    let prog = progress::step_progress(plan, done);
    let (d, t) = progress::overall(&prog);
    let (wa, wb) = schedule.week_span(week);
    let steps = plan
        .steps
        .iter()
        .zip(prog)
        .map(|(s, p)| {
            let (a, b) = schedule.step_span(s);
            StepLine {
                progress: p,
                start: a,
                end: b,
                active: a <= wb && b >= wa,
            }
        })
        .collect();
    let due_item = |s: &crate::plan::Step, i: &crate::plan::Item, due| DueItem {
        id: i.id.clone(),
        step: s.id.clone(),
        kind: i.kind.as_str().to_string(),
        title: i.title.clone(),
        due,
        done: done.contains_key(&i.id),
    };
    let due_this_week = schedule
        .due_in_week(plan, week)
        .into_iter()
        .map(|(s, i)| due_item(s, i, schedule.due(s, i)))
        .collect();
    let overdue = schedule
        .overdue(plan, today, |id| done.contains_key(id))
        .into_iter()
        .map(|(s, i, d)| due_item(s, i, d))
        .collect();
    let active: Vec<&str> = schedule
        .steps_in_week(plan, week)
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    // Papers in progress first, then the queue (papers are already in priority order).
    let mut to_read: Vec<&Paper> = papers
        .iter()
        .filter(|p| matches!(p.status, Status::Queued | Status::Reading))
        .filter(|p| p.steps.iter().any(|s| active.contains(&s.as_str())))
        .collect();
    to_read.sort_by_key(|p| p.status != Status::Reading);
    let to_read = to_read
        .into_iter()
        .map(|p| {
            (
                p.key.clone(),
                p.title.clone(),
                p.status.as_str().to_string(),
            )
        })
        .collect();
    let papers_by_status = Status::ALL
        .iter()
        .map(|s| {
            (
                s.as_str().to_string(),
                papers.iter().filter(|p| p.status == *s).count(),
            )
        })
        .collect();
    let deliverables = delivs
        .iter()
        .map(|dv| {
            let due = plan
                .items()
                .find(|(_, i)| i.id == dv.id)
                .map(|(s, i)| schedule.due(s, i))
                .unwrap_or(schedule.end());
            (dv.clone(), due)
        })
        .collect();
    Overview {
        today,
        start: schedule.start,
        end: schedule.end(),
        weeks: schedule.weeks,
        position: schedule.position(today),
        current_week: week,
        done: d,
        total: t,
        steps,
        due_this_week,
        overdue,
        to_read,
        papers_by_status,
        deliverables,
        notes,
    }
}

/// Load everything the overview needs from the store, as of `today`.
pub fn load(conn: &rusqlite::Connection, today: NaiveDate) -> anyhow::Result<Overview> {
    let plan = progress::load_plan(conn)?;
    let schedule = progress::load_schedule(conn, today)?;
    let done = progress::done_map(conn)?;
    let papers = crate::papers::list(conn)?;
    let delivs = deliverables::list(conn)?;
    let notes: i64 = conn.query_row("SELECT count(*) FROM notes", [], |r| r.get(0))?;
    Ok(build(
        &plan,
        &schedule,
        &done,
        &papers,
        &delivs,
        notes as usize,
        today,
    ))
}

pub fn position_text(o: &Overview) -> String {
    match o.position {
        Position::NotStarted { days_to_start } => {
            format!("plan starts in {days_to_start} day(s), on {}", o.start)
        }
        Position::Week { week, day } => format!("week {week} of {}, day {day}", o.weeks),
        Position::Finished { days_since_end } => {
            format!("plan finished {days_since_end} day(s) ago ({})", o.end)
        }
    }
}
