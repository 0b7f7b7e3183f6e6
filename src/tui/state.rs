//! TUI state and its update function. `App::handle(Action) -> Vec<Effect>` is pure:
//! effects (database writes, editors) are carried out by the runner, which then
//! hands fresh data back with `App::set_data`.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::action::{Action, TextKey};
use super::editor::Editor;
use super::keymap::Keymap;
use crate::deliverables::{DStatus, Deliverable};
use crate::notes::NoteSummary;
use crate::overview::{self, Overview};
use crate::papers::{Paper, Status};
use crate::plan::{Plan, Schedule};

pub const TABS: [&str; 7] = [
    "Today",
    "Plan",
    "Papers",
    "Notes",
    "Runs",
    "Deliverables",
    "Cards",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Today = 0,
    Plan = 1,
    Papers = 2,
    Notes = 3,
    Runs = 4,
    Deliverables = 5,
    Cards = 6,
}

impl Tab {
    pub fn from_index(i: usize) -> Tab {
        match i % TABS.len() {
            0 => Tab::Today,
            1 => Tab::Plan,
            2 => Tab::Papers,
            3 => Tab::Notes,
            4 => Tab::Runs,
            5 => Tab::Deliverables,
            _ => Tab::Cards,
        }
    }
}

/// Everything the TUI shows, loaded from the store.
#[derive(Debug, Clone)]
pub struct Data {
    pub plan: Plan,
    pub schedule: Schedule,
    pub done: HashMap<String, String>,
    pub papers: Vec<Paper>,
    /// Lower-cased search text per paper (built once per load).
    pub paper_haystacks: Vec<String>,
    pub notes: Vec<NoteSummary>,
    pub deliverables: Vec<Deliverable>,
    pub today: NaiveDate,
    pub curriculum_source: String,
    pub overview: Overview,
}

/// What [`Data::new`] is built from.
pub struct DataParts {
    pub plan: Plan,
    pub schedule: Schedule,
    pub done: HashMap<String, String>,
    pub papers: Vec<Paper>,
    pub notes: Vec<NoteSummary>,
    pub deliverables: Vec<Deliverable>,
    pub today: NaiveDate,
    pub curriculum_source: String,
}

impl Data {
    pub fn new(parts: DataParts) -> Data {
        let DataParts {
            plan,
            schedule,
            done,
            papers,
            notes,
            deliverables,
            today,
            curriculum_source,
        } = parts;
        let overview = overview::build(
            &plan,
            &schedule,
            &done,
            &papers,
            &deliverables,
            notes.len(),
            today,
        );
        let paper_haystacks = papers.iter().map(Paper::haystack).collect();
        Data {
            plan,
            schedule,
            done,
            papers,
            paper_haystacks,
            notes,
            deliverables,
            today,
            curriculum_source,
            overview,
        }
    }

    pub fn load(ctx: &crate::app::Context) -> anyhow::Result<Data> {
        let conn = &ctx.store.conn;
        Ok(Data::new(DataParts {
            plan: crate::plan::progress::load_plan(conn)?,
            schedule: ctx.schedule()?,
            done: crate::plan::progress::done_map(conn)?,
            papers: crate::papers::list(conn)?,
            notes: crate::notes::list(conn)?,
            deliverables: crate::deliverables::list(conn)?,
            today: ctx.today,
            curriculum_source: ctx.curriculum_source.clone(),
        }))
    }
}

/// A row of the Plan tab.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanRow {
    Step(usize),
    Item(usize, usize),
    Day(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    Filter,
    Help,
    /// A one-line text prompt.
    Input {
        purpose: Purpose,
        input: String,
    },
    /// A yes/no question; `y` carries out the effect.
    Confirm {
        prompt: String,
        effect: Effect,
    },
    Editor(Box<Editor>),
}

/// What a text prompt is for.
#[derive(Debug, Clone, PartialEq)]
pub enum Purpose {
    NoteTitle(Attach),
    /// A field of the launch form.
    Param(usize),
    Tag(String),
    LogSearch,
}

impl Purpose {
    pub fn title(&self) -> String {
        match self {
            Purpose::NoteTitle(_) => "New note — title".into(),
            Purpose::Param(_) => "Parameter value".into(),
            Purpose::Tag(_) => "Tag (prefix with - to remove)".into(),
            Purpose::LogSearch => "Search the log".into(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attach {
    pub paper: Option<String>,
    pub item: Option<String>,
    pub deliverable: Option<String>,
    pub run: Option<String>,
}

/// Work for the runner: I/O that `handle` must not do itself.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    SetDone(String, bool),
    SetPaperStatus(String, Status),
    SetPaperPriority(String, u8),
    SetPaperRating(String, Option<u8>),
    SetDeliverable(String, DStatus),
    CreateNote {
        title: String,
        attach: Attach,
    },
    /// Open in $EDITOR (the runner falls back to the built-in editor).
    EditNote(i64),
    /// Load a note into the built-in editor.
    EditNoteInternal(i64),
    SaveNote(i64, String),
    SearchNotes(String),
    Reload,
    /// Open a run's view (log and charts).
    OpenRun(String),
    /// Load the chosen metric of the compared runs.
    LoadCompare(Vec<String>),
    /// Reload the open run's series (metric or axis changed).
    LoadSeries,
    CancelRun(String),
    DeleteRun(String),
    Launch {
        project: String,
        params: Vec<(String, String)>,
    },
    /// Start a previewed sweep (list-valued parameters).
    LaunchSweep {
        project: String,
        params: Vec<(String, String)>,
    },
    TagRun {
        run: String,
        add: Vec<String>,
        remove: Vec<String>,
    },
    /// Load today's review queue and start the review.
    CardsReview,
    /// Store a grade of the card on show.
    CardsGrade {
        card: i64,
        grade: crate::cards::Grade,
        duration_ms: i64,
    },
    /// Pick a question and start (or continue) a mock interview.
    CardsMock {
        filter: Option<String>,
        session: Option<i64>,
        asked: Vec<String>,
    },
    /// Log the mock answer on show with this self-rating.
    CardsRecordMock {
        rating: Option<u8>,
    },
    CardsFinishMock(i64),
    /// Reload the Cards tab's counts.
    CardsReload,
    /// Write a research report of the compared runs (the first is the baseline).
    ExportReport(Vec<String>),
}

pub struct App {
    pub data: Data,
    pub keymap: Keymap,
    pub tab: Tab,
    pub mode: Mode,
    /// Selected row per tab.
    pub selected: [usize; TABS.len()],
    pub filters: [String; TABS.len()],
    pub day_view: bool,
    pub status: Option<String>,
    /// Note ids matching the Notes filter by full-text search (None: no FTS yet).
    pub note_hits: Option<Vec<i64>>,
    /// Body of the note shown in the Notes preview (loaded by the runner).
    pub preview: Option<crate::notes::Note>,
    pub page: usize,
    pub runs_data: super::runs::RunsData,
    pub runs: super::runs::RunsUi,
    /// Terminal size (columns, rows), for chart preparation.
    pub size: (u16, u16),
    /// This TUI's ingest worker holds the ingest lock.
    pub ingesting: bool,
    /// The Cards tab: review and mock interviews.
    pub cards: super::cards::CardsUi,
}

impl App {
    pub fn new(data: Data, keymap: Keymap) -> App {
        App {
            data,
            keymap,
            tab: Tab::Today,
            mode: Mode::Normal,
            selected: [0; TABS.len()],
            filters: Default::default(),
            day_view: false,
            status: None,
            note_hits: None,
            preview: None,
            page: 10,
            runs_data: super::runs::RunsData::default(),
            runs: super::runs::RunsUi::default(),
            size: (120, 36),
            ingesting: true,
            cards: super::cards::CardsUi::default(),
        }
    }

    pub fn set_data(&mut self, data: Data) {
        self.data = data;
        self.clamp();
    }

    pub fn filter(&self) -> &str {
        &self.filters[self.tab as usize]
    }

    // ---- row models (pure functions of state) ----

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

    pub fn row_count(&self) -> usize {
        match self.tab {
            Tab::Today => self.today_rows().len(),
            Tab::Plan => self.plan_rows().len(),
            Tab::Papers => self.paper_rows().len(),
            Tab::Notes => self.note_rows().len(),
            Tab::Runs => match &self.runs.view {
                super::runs::RunsView::Table => self.run_rows().len(),
                super::runs::RunsView::Projects => self.runs_data.projects.len(),
                super::runs::RunsView::Launch(f) => f.fields.len() + 1,
                _ => 0,
            },
            Tab::Deliverables => self.deliverable_rows().len(),
            Tab::Cards => super::cards::topic_rows(self),
        }
    }

    fn sel(&self) -> usize {
        self.selected[self.tab as usize]
    }

    fn clamp(&mut self) {
        for t in 0..TABS.len() {
            let tab = self.tab;
            self.tab = Tab::from_index(t);
            let n = self.row_count();
            self.selected[t] = self.selected[t].min(n.saturating_sub(1));
            self.tab = tab;
        }
    }

    fn move_by(&mut self, delta: isize) {
        let n = self.row_count();
        let i = self.tab as usize;
        if n == 0 {
            self.selected[i] = 0;
            return;
        }
        let cur = self.selected[i] as isize;
        self.selected[i] = (cur + delta).clamp(0, n as isize - 1) as usize;
    }

    // ---- the selection ----

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

    // ---- update ----

    pub fn handle(&mut self, action: Action) -> Vec<Effect> {
        self.status = None;
        if self.mode == Mode::Help {
            if matches!(action, Action::Help | Action::ClearFilter | Action::Quit) {
                self.mode = Mode::Normal;
            }
            return vec![];
        }
        if self.tab == Tab::Runs {
            if let Some(fx) = self.handle_runs(action) {
                return fx;
            }
        }
        if self.tab == Tab::Cards {
            if let Some(fx) = self.handle_cards(action) {
                return fx;
            }
        }
        match action {
            Action::Quit => return vec![Effect::Quit],
            Action::NextTab => self.tab = Tab::from_index(self.tab as usize + 1),
            Action::PrevTab => self.tab = Tab::from_index(self.tab as usize + TABS.len() - 1),
            Action::Tab(i) => self.tab = Tab::from_index(i),
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-(self.page as isize)),
            Action::PageDown => self.move_by(self.page as isize),
            Action::Top => self.selected[self.tab as usize] = 0,
            Action::Bottom => self.selected[self.tab as usize] = self.row_count().saturating_sub(1),
            Action::Help => self.mode = Mode::Help,
            Action::Filter => {
                if self.tab != Tab::Today {
                    self.mode = Mode::Filter;
                }
            }
            Action::ClearFilter => {
                self.filters[self.tab as usize].clear();
                self.note_hits = None;
            }
            Action::ToggleDayView => {
                if self.tab == Tab::Plan {
                    self.day_view = !self.day_view;
                    self.selected[Tab::Plan as usize] = 0;
                    if self.day_view {
                        let days = self.data.schedule.days(&self.data.plan);
                        if let Some(k) = days.iter().position(|d| d.date == self.data.today) {
                            if let Some(row) =
                                self.plan_rows().iter().position(|r| *r == PlanRow::Day(k))
                            {
                                self.selected[Tab::Plan as usize] = row;
                            }
                        }
                    }
                }
            }
            Action::ToggleDone => {
                if let Some((_, item)) = self.selected_item() {
                    let done = self.data.done.contains_key(&item.id);
                    return vec![Effect::SetDone(item.id.clone(), !done)];
                }
            }
            Action::CycleStatus => {
                if let Some(p) = self.selected_paper() {
                    return vec![Effect::SetPaperStatus(p.key.clone(), p.status.next())];
                }
                if let Some(d) = self.selected_deliverable() {
                    return vec![Effect::SetDeliverable(d.id.clone(), d.status.next())];
                }
            }
            Action::CyclePriority => {
                if let Some(p) = self.selected_paper() {
                    return vec![Effect::SetPaperPriority(p.key.clone(), p.priority % 3 + 1)];
                }
            }
            Action::CycleRating => {
                if let Some(p) = self.selected_paper() {
                    let next = match p.rating {
                        None => Some(1),
                        Some(5) => None,
                        Some(r) => Some(r + 1),
                    };
                    return vec![Effect::SetPaperRating(p.key.clone(), next)];
                }
            }
            Action::NewNote => {
                let mut attach = Attach::default();
                if let Some(p) = self.selected_paper() {
                    attach.paper = Some(p.key.clone());
                } else if let Some(d) = self.selected_deliverable() {
                    attach.item = Some(d.id.clone());
                    attach.deliverable = Some(d.id.clone());
                } else if let Some((_, i)) = self.selected_item() {
                    attach.item = Some(i.id.clone());
                } else if self.tab == Tab::Runs {
                    match self.focus_run() {
                        Some(r) => attach.run = Some(r.id),
                        None => return vec![],
                    }
                }
                self.mode = Mode::Input {
                    purpose: Purpose::NoteTitle(attach),
                    input: String::new(),
                };
            }
            Action::Open => {
                if let Some(n) = self.selected_note() {
                    return vec![Effect::EditNote(n.id)];
                }
                if let Some(p) = self.selected_paper() {
                    if let Some(n) = self
                        .data
                        .notes
                        .iter()
                        .find(|n| n.paper.as_deref() == Some(&p.key))
                    {
                        return vec![Effect::EditNote(n.id)];
                    }
                    self.status = Some(format!(
                        "no note on {} yet — press {} to write one",
                        p.key,
                        self.keymap.key(Action::NewNote)
                    ));
                    return vec![];
                }
                if let Some(d) = self.selected_deliverable() {
                    let note = d
                        .evidence
                        .iter()
                        .filter(|e| e.kind == "note")
                        .find_map(|e| e.target.parse::<i64>().ok())
                        .or_else(|| {
                            self.data
                                .notes
                                .iter()
                                .find(|n| n.item.as_deref() == Some(&d.id))
                                .map(|n| n.id)
                        });
                    if let Some(id) = note {
                        return vec![Effect::EditNote(id)];
                    }
                    self.status = Some(format!(
                        "no evidence note on {} yet — press {} to write one",
                        d.id,
                        self.keymap.key(Action::NewNote)
                    ));
                    return vec![];
                }
                if self.tab == Tab::Plan || self.tab == Tab::Today {
                    // Enter on an item opens its first note, if any.
                    if let Some((_, i)) = self.selected_item() {
                        if let Some(n) = self
                            .data
                            .notes
                            .iter()
                            .find(|n| n.item.as_deref() == Some(&i.id))
                        {
                            return vec![Effect::EditNote(n.id)];
                        }
                        self.status = Some(format!(
                            "no note on {} yet — press {} to write one",
                            i.id,
                            self.keymap.key(Action::NewNote)
                        ));
                    }
                }
            }
            Action::EditInternal => {
                if let Some(n) = self.selected_note() {
                    return vec![Effect::EditNoteInternal(n.id)];
                }
            }
            Action::Reload => return vec![Effect::Reload],
            Action::NewRun
            | Action::Compare
            | Action::CancelRun
            | Action::DeleteRun
            | Action::Rerun
            | Action::TagRun
            | Action::NextMetric
            | Action::PrevMetric
            | Action::ToggleLogY
            | Action::ToggleXAxis
            | Action::SmoothMore
            | Action::SmoothLess
            | Action::ToggleFollow
            | Action::ToggleWrap
            | Action::SortRuns
            | Action::ExportReport => {
                self.status = Some(format!(
                    "that key works on the Runs tab ({})",
                    self.keymap.key(Action::Tab(4))
                ));
            }
            Action::Mock => {
                self.status = Some(format!(
                    "mock interviews start on the Cards tab ({})",
                    self.keymap.key(Action::Tab(Tab::Cards as usize))
                ));
            }
        }
        vec![]
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
        use super::runs::RunSort;
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
    fn focus_run(&self) -> Option<crate::runs::query::RunRow> {
        match &self.runs.view {
            super::runs::RunsView::Run(id) => {
                self.runs_data.runs.iter().find(|r| &r.id == id).cloned()
            }
            _ => self.selected_run().cloned(),
        }
    }

    /// Metric names offered by the current Runs view.
    pub fn run_metrics(&self) -> Vec<String> {
        match &self.runs.view {
            super::runs::RunsView::Run(id) => self
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

    /// Runs-tab actions; `None` lets the generic handling take the action.
    fn handle_runs(&mut self, action: Action) -> Option<Vec<Effect>> {
        use super::runs::{LaunchForm, RunsView};
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
                    RunsView::Run(_) => vec![Effect::LoadSeries],
                    RunsView::Compare(ids) => vec![Effect::LoadCompare(ids)],
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
                    prompt: format!("Delete run {} and its directory? y/n", r.id),
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
                let order = super::runs::RunsUi::project_order(&self.runs_data);
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

    /// A finished text prompt.
    fn submit(&mut self, purpose: Purpose, text: String) -> Vec<Effect> {
        match purpose {
            Purpose::NoteTitle(attach) => {
                if text.is_empty() {
                    self.status = Some("a note needs a title".into());
                    return vec![];
                }
                vec![Effect::CreateNote {
                    title: text,
                    attach,
                }]
            }
            Purpose::Param(i) => {
                if let super::runs::RunsView::Launch(form) = &mut self.runs.view {
                    if let Some(f) = form.fields.get_mut(i) {
                        f.1 = text;
                    }
                }
                vec![]
            }
            Purpose::Tag(run) => {
                let (remove, add): (Vec<String>, Vec<String>) = text
                    .split_whitespace()
                    .map(str::to_string)
                    .partition(|t| t.starts_with('-'));
                let remove = remove
                    .into_iter()
                    .map(|t| t.trim_start_matches('-').to_string())
                    .collect::<Vec<_>>();
                if add.is_empty() && remove.is_empty() {
                    return vec![];
                }
                vec![Effect::TagRun { run, add, remove }]
            }
            Purpose::LogSearch => {
                self.runs.search = text.clone();
                if let Some(log) = &self.runs.log {
                    let hits = log.search(&text);
                    match hits.last() {
                        Some(&last) => {
                            let from_end = log.lines.len() - 1 - last;
                            self.runs.scroll = if from_end == 0 { None } else { Some(from_end) };
                            self.status = Some(format!("{} matching line(s)", hits.len()));
                        }
                        None if !text.is_empty() => {
                            self.status = Some(format!("no line contains `{text}`"))
                        }
                        None => {}
                    }
                }
                vec![]
            }
        }
    }

    /// Text input in the filter, the note-title prompt and the built-in editor.
    pub fn handle_text(&mut self, key: TextKey) -> Vec<Effect> {
        if self.cards_take_keys() {
            return self.handle_cards_text(key);
        }
        match &mut self.mode {
            Mode::Filter => {
                let tab = self.tab as usize;
                match key {
                    TextKey::Char(c) => self.filters[tab].push(c),
                    TextKey::Backspace => {
                        self.filters[tab].pop();
                    }
                    TextKey::Enter => self.mode = Mode::Normal,
                    TextKey::Esc => {
                        self.filters[tab].clear();
                        self.note_hits = None;
                        self.mode = Mode::Normal;
                    }
                    _ => {}
                }
                self.selected[tab] = 0;
                if self.tab == Tab::Notes && !self.filters[tab].trim().is_empty() {
                    return vec![Effect::SearchNotes(self.filters[tab].clone())];
                }
            }
            Mode::Input { purpose, input } => match key {
                TextKey::Char(c) => input.push(c),
                TextKey::Backspace => {
                    input.pop();
                }
                TextKey::Esc => self.mode = Mode::Normal,
                TextKey::Enter => {
                    let text = input.trim().to_string();
                    let purpose = purpose.clone();
                    self.mode = Mode::Normal;
                    return self.submit(purpose, text);
                }
                _ => {}
            },
            Mode::Confirm { effect, .. } => {
                let effect = effect.clone();
                self.mode = Mode::Normal;
                if key == TextKey::Char('y') || key == TextKey::Char('Y') {
                    return vec![effect];
                }
                self.status = Some("cancelled".into());
            }
            Mode::Editor(ed) => match key {
                TextKey::Save => {
                    let effect = Effect::SaveNote(ed.note_id, ed.text());
                    self.mode = Mode::Normal;
                    return vec![effect];
                }
                TextKey::Esc => {
                    if ed.dirty && !ed.confirm_discard {
                        ed.confirm_discard = true;
                    } else {
                        self.mode = Mode::Normal;
                        self.status = Some("edit discarded".into());
                    }
                }
                k => ed.key(k),
            },
            Mode::Normal | Mode::Help => {}
        }
        vec![]
    }

    pub fn open_editor(&mut self, note_id: i64, title: String, text: &str) {
        self.mode = Mode::Editor(Box::new(Editor::new(note_id, title, text)));
    }

    /// The note whose body the preview needs, if it is not loaded yet.
    pub fn wants_preview(&self) -> Option<i64> {
        let n = self.selected_note()?;
        match &self.preview {
            Some(p) if p.summary.id == n.id => None,
            _ => Some(n.id),
        }
    }

    /// True when keys should go to text input rather than the keymap.
    pub fn text_mode(&self) -> bool {
        self.cards_take_keys()
            || matches!(
                self.mode,
                Mode::Filter | Mode::Input { .. } | Mode::Confirm { .. } | Mode::Editor(_)
            )
    }

    /// A review or a mock interview is on screen: keys go to it.
    pub fn cards_take_keys(&self) -> bool {
        self.tab == Tab::Cards && self.mode == Mode::Normal && self.cards.takes_keys()
    }
}
