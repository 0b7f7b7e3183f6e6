//! The weekly progress report: items done and overdue, papers read and summarised,
//! notes written, runs and their best results, and the deliverables' status — for one
//! plan week, as of the end of that week (or today, for the current week).

use std::collections::HashMap;

use anyhow::bail;
use chrono::NaiveDate;
use rusqlite::Connection;

use super::{cell, code, date_of, goal_of};
use crate::deliverables::{self, DStatus};
use crate::plan::{Plan, Schedule};
use crate::runs::project::{Goal, Project};
use crate::runs::query::{self, MetricSummary, RunRow};

#[derive(Debug, Clone, PartialEq)]
pub struct ItemLine {
    pub id: String,
    pub step: String,
    pub kind: String,
    pub title: String,
    pub due: NaiveDate,
    pub done_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PaperLine {
    pub key: String,
    pub title: String,
    pub status: String,
    pub rating: Option<u8>,
    pub on: NaiveDate,
    /// The paper's own reading notes, else the first line of a note attached to it.
    pub summary: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunLine {
    pub run: RunRow,
    /// (metric, best value over the run, its step, the goal).
    pub best: Vec<(String, f64, Option<i64>, Goal)>,
}

pub struct Progress {
    pub week: u32,
    pub weeks: u32,
    pub span: (NaiveDate, NaiveDate),
    /// The report is as of this date: the week's end, or today within the week.
    pub as_of: NaiveDate,
    pub today: NaiveDate,
    pub plan_span: (NaiveDate, NaiveDate),
    pub done: Vec<ItemLine>,
    pub open_due: Vec<ItemLine>,
    pub overdue: Vec<ItemLine>,
    pub papers: Vec<PaperLine>,
    pub notes: Vec<(i64, String, NaiveDate)>,
    pub runs: Vec<RunLine>,
    pub deliverables: Vec<(deliverables::Deliverable, NaiveDate)>,
    pub total_done: usize,
    pub total: usize,
}

/// Gather the report for plan week `week` (default: the current week).
pub fn build(
    conn: &Connection,
    data_dir: &std::path::Path,
    plan: &Plan,
    sched: &Schedule,
    today: NaiveDate,
    week: Option<u32>,
) -> anyhow::Result<Progress> {
    let week = week.unwrap_or_else(|| sched.current_week(today));
    if week == 0 || week > sched.weeks {
        bail!(
            "week {week} is outside the plan (1–{}; see `labbook schedule`)",
            sched.weeks
        );
    }
    let span = sched.week_span(week);
    let as_of = today.clamp(span.0, span.1);
    let done_map = crate::plan::progress::done_map(conn)?;
    let done_on = |id: &str| done_map.get(id).and_then(|t| date_of(t));
    let line = |s: &crate::plan::Step, i: &crate::plan::Item| ItemLine {
        id: i.id.clone(),
        step: s.id.clone(),
        kind: i.kind.as_str().to_string(),
        title: i.title.clone(),
        due: sched.due(s, i),
        done_on: done_on(&i.id),
    };
    let mut done: Vec<ItemLine> = plan
        .items()
        .map(|(s, i)| line(s, i))
        .filter(|l| l.done_on.is_some_and(|d| d >= span.0 && d <= as_of))
        .collect();
    done.sort_by(|a, b| a.done_on.cmp(&b.done_on).then(a.id.cmp(&b.id)));
    let open_due: Vec<ItemLine> = sched
        .due_in_week(plan, week)
        .into_iter()
        .map(|(s, i)| line(s, i))
        .filter(|l| l.done_on.is_none_or(|d| d > as_of) && l.due >= as_of)
        .collect();
    let mut overdue: Vec<ItemLine> = plan
        .items()
        .map(|(s, i)| line(s, i))
        .filter(|l| l.due < as_of && l.done_on.is_none_or(|d| d > as_of))
        .collect();
    overdue.sort_by(|a, b| a.due.cmp(&b.due).then(a.id.cmp(&b.id)));
    let papers = papers_in(conn, span.0, as_of)?;
    let mut notes: Vec<(i64, String, NaiveDate)> = crate::notes::list(conn)?
        .into_iter()
        .filter_map(|n| date_of(&n.created_at).map(|d| (n.id, n.title, d)))
        .filter(|(_, _, d)| *d >= span.0 && *d <= as_of)
        .collect();
    notes.sort_by(|a, b| a.2.cmp(&b.2).then(a.0.cmp(&b.0)));
    let projects: HashMap<String, Project> = crate::runs::project::load_all(data_dir)?
        .into_iter()
        .map(|p| (p.manifest.name.clone(), p))
        .collect();
    let mut runs = Vec::new();
    let mut all: Vec<RunRow> = query::list(conn)?;
    all.reverse();
    for r in all {
        let Some(d) = date_of(&r.created_at) else {
            continue;
        };
        if d < span.0 || d > as_of {
            continue;
        }
        let sums = query::summaries(conn, r.rowid)?;
        let manifest = r
            .project
            .as_ref()
            .and_then(|p| projects.get(p))
            .map(|p| &p.manifest);
        runs.push(RunLine {
            best: best_results(&sums, manifest),
            run: r,
        });
    }
    let deliverables = {
        let due: HashMap<String, NaiveDate> = plan
            .items()
            .map(|(s, i)| (i.id.clone(), sched.due(s, i)))
            .collect();
        deliverables::list(conn)?
            .into_iter()
            .filter_map(|d| due.get(&d.id).copied().map(|x| (d, x)))
            .collect()
    };
    let total = plan.item_count();
    let total_done = plan
        .items()
        .filter(|(_, i)| done_on(&i.id).is_some_and(|d| d <= as_of))
        .count();
    Ok(Progress {
        week,
        weeks: sched.weeks,
        span,
        as_of,
        today,
        plan_span: (sched.start, sched.end()),
        done,
        open_due,
        overdue,
        papers,
        notes,
        runs,
        deliverables,
        total_done,
        total,
    })
}

fn papers_in(conn: &Connection, from: NaiveDate, to: NaiveDate) -> anyhow::Result<Vec<PaperLine>> {
    let mut stmt = conn.prepare(
        "SELECT key, title, status, rating, status_changed_at, notes FROM papers
         WHERE status IN ('read', 'summarised') AND status_changed_at IS NOT NULL ORDER BY status_changed_at, key",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<u8>>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut first_note = conn.prepare(
        "SELECT body, title FROM notes WHERE paper_key = ?1 ORDER BY created_at, id LIMIT 1",
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (key, title, status, rating, changed, notes) = row?;
        let Some(on) = date_of(&changed) else {
            continue;
        };
        if on < from || on > to {
            continue;
        }
        let summary = if !notes.trim().is_empty() {
            Some(first_sentence(&notes))
        } else {
            let n: Option<(String, String)> = first_note
                .query_map([&key], |r| Ok((r.get(0)?, r.get(1)?)))?
                .next()
                .transpose()?;
            n.and_then(|(body, t)| {
                let (intro, sections) = super::split_sections(&body, &t);
                let text = if intro.is_empty() {
                    sections.into_iter().map(|s| s.1).find(|s| !s.is_empty())?
                } else {
                    intro
                };
                Some(first_sentence(&text))
            })
        };
        out.push(PaperLine {
            key,
            title,
            status,
            rating,
            on,
            summary,
        });
    }
    Ok(out)
}

/// The first sentence (or line) of a text, at most 160 characters.
fn first_sentence(t: &str) -> String {
    let line = t
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let cut = line
        .char_indices()
        .find(|(i, c)| *c == '.' && line[i + 1..].starts_with(' '))
        .map(|(i, _)| &line[..=i])
        .unwrap_or(line);
    crate::util::truncate(cut, 160)
}

/// The best value of the run's primary metric, else of up to two metrics whose
/// direction is known from their names.
pub fn best_results(
    sums: &[MetricSummary],
    manifest: Option<&crate::runs::project::Manifest>,
) -> Vec<(String, f64, Option<i64>, Goal)> {
    let pick = |s: &MetricSummary, g: Goal| match g {
        Goal::Min => s.min.map(|v| (s.key.clone(), v, s.min_step, g)),
        Goal::Max => s.max.map(|v| (s.key.clone(), v, s.max_step, g)),
    };
    if let Some(m) = manifest {
        if let (Some(p), Some(g)) = (&m.primary_metric, m.goal) {
            if let Some(b) = sums.iter().find(|s| &s.key == p).and_then(|s| pick(s, g)) {
                return vec![b];
            }
        }
    }
    let mut v: Vec<&MetricSummary> = sums.iter().collect();
    // Validation metrics say more than training ones.
    v.sort_by_key(|s| (!s.key.contains("val"), s.key.clone()));
    v.into_iter()
        .filter_map(|s| goal_of(&s.key, manifest).and_then(|g| pick(s, g)))
        .take(2)
        .collect()
}

pub fn render(p: &Progress) -> String {
    let mut s = format!(
        "# Weekly progress — week {} of {}\n\n*{} – {} · as of {} · plan {} → {} · exported by labbook on {}*\n\n",
        p.week,
        p.weeks,
        p.span.0.format("%a %Y-%m-%d"),
        p.span.1.format("%a %Y-%m-%d"),
        p.as_of,
        p.plan_span.0,
        p.plan_span.1,
        p.today
    );
    if p.today < p.span.0 {
        s.push_str("> This week has not started yet: the report lists what is due.\n\n");
    }
    let completed = p
        .runs
        .iter()
        .filter(|r| r.run.status == crate::runs::Status::Completed)
        .count();
    let due_total = p
        .done
        .iter()
        .filter(|l| l.due >= p.span.0 && l.due <= p.span.1)
        .count()
        + p.open_due.len();
    s.push_str("## Summary\n\n");
    s.push_str(&format!(
        "- Items done this week: {} ({} of the {} due this week)\n",
        p.done.len(),
        p.done
            .iter()
            .filter(|l| l.due >= p.span.0 && l.due <= p.span.1)
            .count(),
        due_total
    ));
    s.push_str(&format!("- Overdue: {}\n", p.overdue.len()));
    s.push_str(&format!(
        "- Papers read or summarised: {}\n- Notes written: {}\n",
        p.papers.len(),
        p.notes.len()
    ));
    s.push_str(&format!(
        "- Runs started: {} ({completed} completed)\n",
        p.runs.len()
    ));
    s.push_str(&format!(
        "- Whole plan: {}/{} items done ({:.0}%)\n\n",
        p.total_done,
        p.total,
        crate::util::ratio(p.total_done, p.total) * 100.0
    ));

    s.push_str("## Done this week\n\n");
    item_table(
        &mut s,
        &p.done,
        "Nothing was marked done this week.",
        "done",
        |l| l.done_on.map(|d| d.to_string()).unwrap_or_default(),
    );
    s.push_str("## Still open this week\n\n");
    item_table(
        &mut s,
        &p.open_due,
        "Nothing else is due this week.",
        "",
        |_| String::new(),
    );
    s.push_str("## Overdue\n\n");
    let none = format!("Nothing was overdue on {}.", p.as_of);
    item_table(&mut s, &p.overdue, &none, "days late", |l| {
        (p.as_of - l.due).num_days().to_string()
    });
    s.push_str("## Papers read and summarised\n\n");
    if p.papers.is_empty() {
        s.push_str("No paper was marked read or summarised this week.\n\n");
    } else {
        s.push_str(
            "| paper | title | status | rating | on | summary |\n|---|---|---|---|---|---|\n",
        );
        for l in &p.papers {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                code(&l.key),
                cell(&l.title),
                l.status,
                l.rating
                    .map(|r| "★".repeat(r as usize))
                    .unwrap_or_else(|| "-".into()),
                l.on,
                l.summary
                    .as_deref()
                    .map(cell)
                    .unwrap_or_else(|| "*no summary yet*".into())
            ));
        }
        s.push('\n');
    }
    s.push_str("## Notes written\n\n");
    if p.notes.is_empty() {
        s.push_str("No notes were written this week.\n\n");
    } else {
        for (id, t, d) in &p.notes {
            s.push_str(&format!("- {d} · note {id}: {}\n", t.trim()));
        }
        s.push('\n');
    }
    s.push_str("## Runs\n\n");
    if p.runs.is_empty() {
        s.push_str("No runs were started this week.\n\n");
    } else {
        s.push_str("| run | project | status | duration | best result |\n|---|---|---|---|---|\n");
        for l in &p.runs {
            let r = &l.run;
            let best = if l.best.is_empty() {
                "-".to_string()
            } else {
                l.best
                    .iter()
                    .map(|(k, v, step, g)| {
                        format!(
                            "{k} {} ({}{})",
                            crate::util::fmt::value(Some(*v)),
                            if *g == Goal::Min { "min" } else { "max" },
                            step.map(|s| format!(" at step {s}")).unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            s.push_str(&format!(
                "| {} | {} | {}{} | {} | {} |\n",
                code(&r.id),
                r.project.as_deref().unwrap_or("-"),
                r.status.as_str(),
                r.reason
                    .as_deref()
                    .filter(|_| r.status != crate::runs::Status::Completed)
                    .map(|x| format!(" ({})", cell(x)))
                    .unwrap_or_default(),
                crate::util::fmt::duration(r.ended_at.and_then(|e| r.started_at.map(|s| e - s))),
                cell(&best)
            ));
        }
        s.push('\n');
    }
    s.push_str("## Deliverables\n\n| deliverable | title | status | due | evidence |\n|---|---|---|---|---|\n");
    for (d, due) in &p.deliverables {
        let late = *due < p.as_of && d.status != DStatus::Done;
        s.push_str(&format!(
            "| {} | {} | {}{} | {} | {} |\n",
            code(&d.id),
            cell(&d.title),
            d.status.as_str(),
            if late { " — **overdue**" } else { "" },
            due,
            if d.evidence.is_empty() {
                "-".to_string()
            } else {
                d.evidence
                    .iter()
                    .map(|e| format!("{} {}", e.kind, cell(&e.target)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ));
    }
    s.push('\n');
    s
}

/// A table of plan items (id, step, kind, title, due) with an optional last column.
fn item_table(
    s: &mut String,
    lines: &[ItemLine],
    empty: &str,
    extra: &str,
    value: impl Fn(&ItemLine) -> String,
) {
    if lines.is_empty() {
        s.push_str(&format!("{empty}\n\n"));
        return;
    }
    s.push_str("| item | step | kind | title | due |");
    if !extra.is_empty() {
        s.push_str(&format!(" {extra} |"));
    }
    s.push_str("\n|---|---|---|---|---|");
    if !extra.is_empty() {
        s.push_str("---|");
    }
    s.push('\n');
    for l in lines {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} |",
            code(&l.id),
            l.step,
            l.kind,
            cell(&l.title),
            l.due
        ));
        if !extra.is_empty() {
            s.push_str(&format!(" {} |", value(l)));
        }
        s.push('\n');
    }
    s.push('\n');
}
