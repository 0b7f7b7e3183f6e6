//! The rows each tab shows (pure functions of state: filter, sort, selection) and
//! what is selected.

use chrono::NaiveDate;

use super::super::model::runs::{RunSort, RunsView};
use super::{App, Tab, TABS};
use crate::deliverables::Deliverable;
use crate::notes::NoteSummary;
use crate::papers::Paper;

/// A row of the Plan tab.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanRow {
    Step(usize),
    Item(usize, usize),
    Day(usize),
}

impl App {
    pub fn filter(&self) -> &str {
        &self.filters[self.tab as usize]
    }

    /// Today tab rows: overdue items first, then those due this week
    /// (id, title, due, done, overdue).
    pub fn today_rows(&self) -> Vec<(&str, &str, NaiveDate, bool, bool)> {
        let o = &self.data.overview;
        let mut rows: Vec<_> = o
            .overdue
            .iter()
            .map(|d| {
                (
                    d.id.as_str(),
                    d.title.as_str(),
                    d.due,
                    self.data.done.contains_key(&d.id),
                    true,
                )
            })
            .collect();
        for d in &o.due_this_week {
            if !rows.iter().any(|r| r.0 == d.id) {
                rows.push((
                    d.id.as_str(),
                    d.title.as_str(),
                    d.due,
                    self.data.done.contains_key(&d.id),
                    false,
                ));
            }
        }
        rows
    }

    pub fn plan_rows(&self) -> Vec<PlanRow> {
        let f = self.filters[Tab::Plan as usize].to_lowercase();
        let words: Vec<&str> = f.split_whitespace().collect();
        let matches = |s: &crate::plan::Step, i: &crate::plan::Item| {
            words.is_empty() || {
                let hay = format!(
                    "{} {} {} {} {}",
                    i.id,
                    i.title,
                    i.kind.as_str(),
                    i.group.as_deref().unwrap_or(""),
                    s.title
                )
                .to_lowercase();
                words.iter().all(|w| hay.contains(w))
            }
        };
        if self.day_view {
            // Days that hold a matching item (all days without a filter).
            let days = self.data.schedule.days(&self.data.plan);
            return days
                .iter()
                .enumerate()
                .filter(|(_, d)| {
                    words.is_empty()
                        || d.items.iter().any(|id| {
                            self.data
                                .plan
                                .items()
                                .any(|(s, i)| &i.id == id && matches(s, i))
                        })
                })
                .map(|(k, _)| PlanRow::Day(k))
                .collect();
        }
        let mut rows = Vec::new();
        for (si, s) in self.data.plan.steps.iter().enumerate() {
            let items: Vec<usize> = s
                .items
                .iter()
                .enumerate()
                .filter(|(_, i)| matches(s, i))
                .map(|(ii, _)| ii)
                .collect();
            if items.is_empty() && !words.is_empty() {
                continue;
            }
            rows.push(PlanRow::Step(si));
            rows.extend(items.into_iter().map(|ii| PlanRow::Item(si, ii)));
        }
        rows
    }

    pub fn paper_rows(&self) -> Vec<usize> {
        let f = self.filters[Tab::Papers as usize].to_lowercase();
        let words: Vec<&str> = f.split_whitespace().collect();
        self.data
            .paper_haystacks
            .iter()
            .enumerate()
            .filter(|(_, h)| words.iter().all(|w| h.contains(w)))
            .map(|(i, _)| i)
            .collect()
    }

    pub fn note_rows(&self) -> Vec<usize> {
        let f = self.filters[Tab::Notes as usize].to_lowercase();
        if f.trim().is_empty() {
            return (0..self.data.notes.len()).collect();
        }
        let words: Vec<&str> = f.split_whitespace().collect();
        self.data
            .notes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                let t = n.title.to_lowercase();
                words.iter().all(|w| t.contains(w))
                    || self.note_hits.as_ref().is_some_and(|h| h.contains(&n.id))
            })
            .map(|(i, _)| i)
            .collect()
    }

    pub fn deliverable_rows(&self) -> Vec<usize> {
        let f = self.filters[Tab::Deliverables as usize].to_lowercase();
        let words: Vec<&str> = f.split_whitespace().collect();
        self.data
            .deliverables
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                let hay =
                    format!("{} {} {} {}", d.id, d.title, d.step, d.status.as_str()).to_lowercase();
                words.iter().all(|w| hay.contains(w))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Rows of the current tab.
    pub fn row_count(&self) -> usize {
        self.row_count_of(self.tab)
    }

    pub fn row_count_of(&self, tab: Tab) -> usize {
        match tab {
            Tab::Today => self.today_rows().len(),
            Tab::Plan => self.plan_rows().len(),
            Tab::Papers => self.paper_rows().len(),
            Tab::Notes => self.note_rows().len(),
            Tab::Runs => match &self.runs.view {
                RunsView::Table => self.run_rows().len(),
                RunsView::Projects => self.runs_data.projects.len(),
                RunsView::Launch(f) => f.fields.len() + 1,
                _ => 0,
            },
            Tab::Deliverables => self.deliverable_rows().len(),
            Tab::Cards => self.cards.data.scores.len() + 1,
        }
    }

    pub(super) fn sel(&self) -> usize {
        self.selected[self.tab as usize]
    }

    pub(super) fn clamp(&mut self) {
        for t in 0..TABS.len() {
            let n = self.row_count_of(Tab::from_index(t));
            self.selected[t] = self.selected[t].min(n.saturating_sub(1));
        }
    }

    pub(super) fn move_by(&mut self, delta: isize) {
        let n = self.row_count();
        let i = self.tab as usize;
        if n == 0 {
            self.selected[i] = 0;
            return;
        }
        let cur = self.selected[i] as isize;
        self.selected[i] = (cur + delta).clamp(0, n as isize - 1) as usize;
    }

    pub fn selected_item(&self) -> Option<(&crate::plan::Step, &crate::plan::Item)> {
        match self.tab {
            Tab::Today => {
                let rows = self.today_rows();
                let id = rows.get(self.sel())?.0;
                self.data.plan.items().find(|(_, i)| i.id == id)
            }
            Tab::Plan => match self.plan_rows().get(self.sel())? {
                PlanRow::Item(s, i) => {
                    let st = self.data.plan.steps.get(*s)?;
                    Some((st, st.items.get(*i)?))
                }
                _ => None,
            },
            Tab::Deliverables => {
                let d = self
                    .data
                    .deliverables
                    .get(*self.deliverable_rows().get(self.sel())?)?;
                self.data.plan.items().find(|(_, i)| i.id == d.id)
            }
            _ => None,
        }
    }

    pub fn selected_paper(&self) -> Option<&Paper> {
        (self.tab == Tab::Papers)
            .then(|| {
                self.paper_rows()
                    .get(self.sel())
                    .and_then(|i| self.data.papers.get(*i))
            })
            .flatten()
    }

    pub fn selected_note(&self) -> Option<&NoteSummary> {
        (self.tab == Tab::Notes)
            .then(|| {
                self.note_rows()
                    .get(self.sel())
                    .and_then(|i| self.data.notes.get(*i))
            })
            .flatten()
    }

    pub fn selected_deliverable(&self) -> Option<&Deliverable> {
        (self.tab == Tab::Deliverables)
            .then(|| {
                self.deliverable_rows()
                    .get(self.sel())
                    .and_then(|i| self.data.deliverables.get(*i))
            })
            .flatten()
    }

    /// Indices into `runs_data.runs` that match the Runs filter.
    pub fn run_rows(&self) -> Vec<usize> {
        let f = self.filters[Tab::Runs as usize].to_lowercase();
        let words: Vec<&str> = f.split_whitespace().collect();
        let mut rows = self
            .runs_data
            .runs
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                words.is_empty() || {
                    let params: Vec<String> =
                        r.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    let hay = format!(
                        "{} {} {} {} {} {}",
                        r.id,
                        r.name,
                        r.project.as_deref().unwrap_or(""),
                        r.status.as_str(),
                        params.join(" "),
                        r.tags.join(" ")
                    )
                    .to_lowercase();
                    words.iter().all(|w| hay.contains(w))
                }
            })
            .map(|(i, _)| i)
            .collect::<Vec<usize>>();
        self.sort_runs(&mut rows);
        rows
    }

    fn sort_runs(&self, rows: &mut [usize]) {
        let runs = &self.runs_data.runs;
        match self.runs.sort {
            RunSort::Newest => {}
            RunSort::Status => {
                rows.sort_by_key(|&i| (!runs[i].status.is_active(), runs[i].status.as_str()))
            }
            RunSort::Duration => rows.sort_by(|&a, &b| {
                let d = |i: usize| runs[i].duration(self.runs_data.now).unwrap_or(-1.0);
                d(b).total_cmp(&d(a))
            }),
            RunSort::Metric => {
                let Some(key) = self.chosen_metric() else {
                    return;
                };
                let last = |i: usize| {
                    self.runs_data
                        .summaries
                        .get(&runs[i].rowid)
                        .and_then(|s| s.iter().find(|m| m.key == key))
                        .and_then(|m| m.last)
                        .filter(|v| v.is_finite())
                };
                // Lowest first (losses, error rates); runs without the metric last.
                rows.sort_by(|&a, &b| match (last(a), last(b)) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                });
            }
        }
    }

    pub fn selected_run(&self) -> Option<&crate::runs::query::RunRow> {
        let rows = self.run_rows();
        rows.get(self.selected[Tab::Runs as usize])
            .and_then(|&i| self.runs_data.runs.get(i))
    }

    /// The run the current Runs view is about (the open one, else the selected row).
    pub(super) fn focus_run(&self) -> Option<crate::runs::query::RunRow> {
        match &self.runs.view {
            RunsView::Run(id) => self.runs_data.runs.iter().find(|r| &r.id == id).cloned(),
            _ => self.selected_run().cloned(),
        }
    }

    /// Metric names offered by the current Runs view.
    pub fn run_metrics(&self) -> Vec<String> {
        match &self.runs.view {
            RunsView::Run(id) => self
                .runs_data
                .runs
                .iter()
                .find(|r| &r.id == id)
                .and_then(|r| self.runs_data.summaries.get(&r.rowid))
                .map(|s| {
                    let mut names: Vec<String> = s.iter().map(|m| m.key.clone()).collect();
                    names.sort_by_key(|n| n != "loss");
                    names
                })
                .unwrap_or_default(),
            _ => self.runs_data.metric_names(),
        }
    }

    /// The metric the charts and the table show.
    pub fn chosen_metric(&self) -> Option<String> {
        let names = self.run_metrics();
        if names.is_empty() {
            None
        } else {
            Some(names[self.runs.metric % names.len()].clone())
        }
    }

    /// The note whose body the preview needs, if it is not loaded yet.
    pub fn wants_preview(&self) -> Option<i64> {
        let n = self.selected_note()?;
        match &self.preview {
            Some(p) if p.summary.id == n.id => None,
            _ => Some(n.id),
        }
    }
}
