//! The Runs tab's actions (table, run view, compare view, launch form) and what its
//! charts need loaded next.

use super::super::action::Action;
use super::super::model::runs::{LaunchForm, RunsUi, RunsView};
use super::{App, Effect, Mode, Purpose, Tab};
use crate::runs::query::Point;

/// Points to read for a chart: `key` of the run `rowid` after the `from` held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsQuery {
    /// The series it feeds: the metric (run view) or the run id (compare view).
    pub label: String,
    pub rowid: i64,
    pub key: String,
    pub from: usize,
}

impl App {
    /// Runs-tab actions; `None` lets the generic handling take the action.
    pub(super) fn runs_action(&mut self, action: Action) -> Option<Vec<Effect>> {
        let cycle = |m: usize, n: usize, up: bool| {
            if n == 0 {
                0
            } else if up {
                (m + 1) % n
            } else {
                (m + n - 1) % n
            }
        };
        match (self.runs.view.clone(), action) {
            (
                _,
                Action::ToggleLogY | Action::ToggleXAxis | Action::SmoothMore | Action::SmoothLess,
            ) => {
                match action {
                    Action::ToggleLogY => self.runs.log_y = !self.runs.log_y,
                    Action::ToggleXAxis => self.runs.x_time = !self.runs.x_time,
                    Action::SmoothMore => {
                        self.runs.smoothing = (self.runs.smoothing + 0.1).min(0.95)
                    }
                    _ => self.runs.smoothing = (self.runs.smoothing - 0.1).max(0.0),
                }
                self.runs.prepare(self.size.0 as usize);
            }
            (view, Action::NextMetric | Action::PrevMetric) => {
                let n = self.run_metrics().len();
                self.runs.metric = cycle(self.runs.metric, n, action == Action::NextMetric);
                return Some(match view {
                    RunsView::Run(_) => {
                        self.runs.series.clear();
                        vec![Effect::LoadSeries]
                    }
                    RunsView::Compare(ids) => {
                        self.runs.compare.clear();
                        vec![Effect::LoadCompare(ids)]
                    }
                    _ => vec![],
                });
            }
            (RunsView::Compare(ids), Action::ExportReport) => {
                self.status = Some(format!("writing a report of {} runs …", ids.len()));
                return Some(vec![Effect::ExportReport(ids)]);
            }
            (_, Action::ExportReport) => {
                self.status = Some(format!(
                    "mark runs with {} and compare them with {} first, then export",
                    self.keymap.key(Action::ToggleDone),
                    self.keymap.key(Action::Compare)
                ));
            }
            (RunsView::Table, Action::SortRuns) => {
                self.runs.sort = self.runs.sort.next();
                self.status = Some(format!("runs sorted by {}", self.runs.sort.label()));
            }
            (RunsView::Table, Action::ToggleDone) => {
                let id = self.selected_run()?.id.clone();
                if !self.runs.marked.remove(&id) {
                    self.runs.marked.insert(id);
                }
                let n = self.run_rows().len();
                let i = Tab::Runs as usize;
                self.selected[i] = (self.selected[i] + 1).min(n.saturating_sub(1));
            }
            (RunsView::Table, Action::Open) => {
                let id = self.selected_run()?.id.clone();
                self.runs.view = RunsView::Run(id.clone());
                self.runs.scroll = None;
                self.runs.metric = 0;
                self.runs.series.clear();
                return Some(vec![Effect::OpenRun(id)]);
            }
            (RunsView::Table, Action::Compare) => {
                let ids: Vec<String> = self.runs.marked.iter().cloned().collect();
                if ids.len() < 2 {
                    self.status = Some(format!(
                        "mark two or more runs with {} first",
                        self.keymap.key(Action::ToggleDone)
                    ));
                    return Some(vec![]);
                }
                self.runs.view = RunsView::Compare(ids.clone());
                self.runs.compare.clear();
                return Some(vec![Effect::LoadCompare(ids)]);
            }
            (RunsView::Table | RunsView::Run(_), Action::NewRun) => {
                self.runs.view = RunsView::Projects;
                self.runs.project_sel = 0;
            }
            (RunsView::Table | RunsView::Run(_), Action::CancelRun) => {
                let r = self.focus_run()?;
                if !r.status.is_active() {
                    self.status = Some(format!("{} is already {}", r.id, r.status.as_str()));
                    return Some(vec![]);
                }
                self.status = Some(format!("cancelling {} …", r.id));
                return Some(vec![Effect::CancelRun(r.id)]);
            }
            (RunsView::Table | RunsView::Run(_), Action::DeleteRun) => {
                let r = self.focus_run()?;
                if r.status.is_active() {
                    self.status = Some(format!(
                        "{} is {}: cancel it first",
                        r.id,
                        r.status.as_str()
                    ));
                    return Some(vec![]);
                }
                self.mode = Mode::Confirm {
                    prompt: format!("Delete run {} and its directory? {}", r.id, self.yes_no()),
                    effect: Effect::DeleteRun(r.id),
                };
            }
            (RunsView::Table | RunsView::Run(_), Action::TagRun) => {
                let r = self.focus_run()?;
                self.mode = Mode::Input {
                    purpose: Purpose::Tag(r.id),
                    input: String::new(),
                };
            }
            (RunsView::Table | RunsView::Run(_), Action::Rerun) => {
                let r = self.focus_run()?;
                let Some(p) = r.project.as_ref().and_then(|p| {
                    self.runs_data
                        .projects
                        .iter()
                        .find(|x| &x.manifest.name == p)
                }) else {
                    self.status = Some(format!(
                        "{} is a plain command: re-run it with `labbook run rerun {}`",
                        r.id, r.id
                    ));
                    return Some(vec![]);
                };
                self.runs.view = RunsView::Launch(LaunchForm::new(p, Some(&r.params)));
            }
            (
                RunsView::Run(_) | RunsView::Compare(_) | RunsView::Projects | RunsView::Launch(_),
                Action::ClearFilter,
            ) => {
                self.runs.view = RunsView::Table;
                self.runs.log = None;
                self.runs.series.clear();
                self.runs.compare.clear();
                self.runs.compare_metric = None;
                self.runs.prepared.clear();
            }
            (
                RunsView::Run(_),
                Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom,
            ) => {
                let len = self.runs.log.as_ref().map(|l| l.lines.len()).unwrap_or(0);
                let cur = self.runs.scroll.unwrap_or(0);
                let page = self.page.max(1);
                let next = match action {
                    Action::Up => cur + 1,
                    Action::Down => cur.saturating_sub(1),
                    Action::PageUp => cur + page,
                    Action::PageDown => cur.saturating_sub(page),
                    Action::Top => len,
                    _ => 0,
                };
                let next = next.min(len.saturating_sub(1));
                self.runs.scroll = if next == 0 { None } else { Some(next) };
            }
            (RunsView::Run(_), Action::ToggleFollow) => {
                self.runs.scroll = match self.runs.scroll {
                    None => Some(1),
                    Some(_) => None,
                };
            }
            (RunsView::Run(_), Action::ToggleWrap) => self.runs.wrap = !self.runs.wrap,
            (RunsView::Run(_), Action::Filter) => {
                self.mode = Mode::Input {
                    purpose: Purpose::LogSearch,
                    input: self.runs.search.clone(),
                };
            }
            (RunsView::Projects, Action::Up | Action::Down | Action::Top | Action::Bottom) => {
                let n = self.runs_data.projects.len();
                self.runs.project_sel = match action {
                    Action::Up => self.runs.project_sel.saturating_sub(1),
                    Action::Down => (self.runs.project_sel + 1).min(n.saturating_sub(1)),
                    Action::Top => 0,
                    _ => n.saturating_sub(1),
                };
            }
            (RunsView::Projects, Action::Open) => {
                let order = RunsUi::project_order(&self.runs_data);
                let p = self
                    .runs_data
                    .projects
                    .get(*order.get(self.runs.project_sel)?)?;
                if let crate::runs::project::Readiness::NotBuilt(why) = p.readiness() {
                    self.status = Some(format!("{}: {why}", p.manifest.name));
                    return Some(vec![]);
                }
                self.runs.view = RunsView::Launch(LaunchForm::new(p, None));
            }
            (RunsView::Launch(mut form), Action::Up | Action::Down) => {
                let n = form.fields.len() + 1;
                form.selected = if action == Action::Up {
                    form.selected.saturating_sub(1)
                } else {
                    (form.selected + 1).min(n - 1)
                };
                self.runs.view = RunsView::Launch(form);
            }
            (RunsView::Launch(form), Action::Open) => {
                if form.selected < form.fields.len() {
                    let value = form.fields[form.selected].1.clone();
                    self.mode = Mode::Input {
                        purpose: Purpose::Param(form.selected),
                        input: value,
                    };
                } else {
                    self.runs.view = RunsView::Table;
                    self.status = Some(format!("launching {} …", form.project));
                    return Some(vec![Effect::Launch {
                        project: form.project.clone(),
                        params: form.params(),
                    }]);
                }
            }
            (
                RunsView::Compare(_) | RunsView::Projects | RunsView::Launch(_),
                Action::ToggleDone | Action::NewNote,
            ) => {}
            (RunsView::Run(_), Action::ToggleDone) => {}
            _ => return None,
        }
        Some(vec![])
    }

    /// What the open run's charts lack: (run id, one query per series). Up to four
    /// metrics from the chosen one on (the turn-taking view's own for `latency` runs);
    /// a different set of metrics starts again from 0.
    pub fn series_query(&self) -> Option<(String, Vec<PointsQuery>)> {
        let RunsView::Run(id) = &self.runs.view else {
            return None;
        };
        let r = self.runs_data.runs.iter().find(|r| &r.id == id)?;
        let want: Vec<String> = if r.project.as_deref() == Some("latency") {
            // the turn-taking view needs these, whatever the chosen metric
            super::super::turn_view::SERIES
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else {
            let names = self.run_metrics();
            (0..names.len().min(4))
                .map(|k| names[(self.runs.metric + k) % names.len()].clone())
                .collect()
        };
        let same = self.runs.series.iter().map(|s| &s.0).eq(want.iter());
        let q = want
            .into_iter()
            .enumerate()
            .map(|(k, key)| PointsQuery {
                label: key.clone(),
                rowid: r.rowid,
                from: if same { self.runs.series[k].1.len() } else { 0 },
                key,
            })
            .collect();
        Some((id.clone(), q))
    }

    /// What the comparison of `ids` lacks of the chosen metric: (metric, one query per
    /// run still in the index); another metric or other runs start again from 0.
    pub fn compare_query(&self, ids: &[String]) -> Option<(String, Vec<PointsQuery>)> {
        let key = self.chosen_metric()?;
        let same = self.compare_holds(ids, &key);
        let q = ids
            .iter()
            .enumerate()
            .filter_map(|(k, id)| {
                let r = self.runs_data.runs.iter().find(|r| &r.id == id)?;
                Some(PointsQuery {
                    label: id.clone(),
                    rowid: r.rowid,
                    key: key.clone(),
                    from: if same {
                        self.runs.compare[k].1.len()
                    } else {
                        0
                    },
                })
            })
            .collect();
        Some((key, q))
    }

    fn compare_holds(&self, ids: &[String], metric: &str) -> bool {
        self.runs.compare_metric.as_deref() == Some(metric)
            && self.runs.compare.iter().map(|c| &c.0).eq(ids.iter())
    }

    /// New points of the open run's charts.
    pub(super) fn add_series(&mut self, run: &str, points: Vec<(String, usize, Vec<Point>)>) {
        if self.runs.view != RunsView::Run(run.to_string()) {
            return;
        }
        let mut changed = false;
        if self
            .runs
            .series
            .iter()
            .map(|s| &s.0)
            .ne(points.iter().map(|p| &p.0))
        {
            self.runs.series = points.iter().map(|p| (p.0.clone(), Vec::new())).collect();
            changed = true;
        }
        for ((_, held), (_, from, more)) in self.runs.series.iter_mut().zip(points) {
            if held.len() == from {
                changed |= !more.is_empty();
                held.extend(more);
            }
        }
        if changed || self.runs.prepared.is_empty() {
            self.runs.prepare(self.size.0 as usize / 2);
        }
    }

    /// New points of the compared runs.
    pub(super) fn add_compare(
        &mut self,
        ids: &[String],
        metric: String,
        points: Vec<(String, usize, Vec<Point>)>,
    ) {
        let same = self.compare_holds(ids, &metric);
        let mut changed = !same;
        if !same {
            self.runs.compare = ids.iter().map(|i| (i.clone(), Vec::new())).collect();
            self.runs.compare_metric = Some(metric);
        }
        for (id, from, more) in points {
            if let Some((_, held)) = self.runs.compare.iter_mut().find(|c| c.0 == id) {
                if held.len() == from {
                    changed |= !more.is_empty();
                    held.extend(more);
                }
            }
        }
        if changed {
            self.runs.prepare(self.size.0 as usize);
        }
    }
}
