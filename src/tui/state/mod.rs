//! TUI state and its update function. `App::handle(msg) -> Vec<Effect>` is the only
//! way the state changes, and it is pure: keys are resolved through the keymap in the
//! active scope, actions change the state, and I/O is asked of the runner as effects,
//! whose outcome comes back as messages.
//!
//! - `data`: what the store holds (plan, papers, notes, deliverables) and the tabs
//! - `rows`: the rows each tab shows and the selection
//! - `lists`, `runs`, `cards`, `text`: actions by tab and by scope
//! - `results`: the runner's reports
//! - `msg`, `effect`: what goes in and what comes out

mod cards;
mod data;
mod effect;
mod lists;
mod msg;
mod results;
mod rows;
mod runs;
#[cfg(test)]
mod tests;
mod text;

use crossterm::event::{KeyEvent, KeyEventKind};

use super::action::Action;
use super::keymap::{text_key, Keymap, Scope, Screen};
use super::model::cards::CardsUi;
use super::model::runs::{RunsData, RunsUi, RunsView};
pub use data::{Data, DataParts, Tab, TABS};
pub use effect::{Attach, Effect, Mode, Purpose};
pub use lists::{help_grid, HelpGrid};
pub use msg::{CardsLoaded, Msg};
pub use rows::PlanRow;
pub use runs::PointsQuery;

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
    pub runs_data: RunsData,
    pub runs: RunsUi,
    /// Terminal size (columns, rows), for chart preparation.
    pub size: (u16, u16),
    /// This TUI's ingest worker holds the ingest lock.
    pub ingesting: bool,
    /// The Cards tab: review and mock interviews.
    pub cards: CardsUi,
    /// Lines the help overlay is scrolled down.
    pub help_scroll: usize,
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
            runs_data: RunsData::default(),
            runs: RunsUi::default(),
            size: (120, 36),
            ingesting: true,
            cards: CardsUi::default(),
            help_scroll: 0,
        }
    }

    pub fn set_data(&mut self, data: Data) {
        self.data = data;
        self.clamp();
    }

    /// Take a message — a key, an action, typed text, news from the background or
    /// what came of an effect — and say what I/O should follow.
    pub fn handle(&mut self, msg: impl Into<Msg>) -> Vec<Effect> {
        match msg.into() {
            Msg::Key(k) => self.key(k),
            Msg::Action(a) => self.act(a),
            Msg::Text(t) => {
                if self.scope().takes_text() {
                    self.text(t)
                } else {
                    vec![]
                }
            }
            Msg::Resize(w, h) => {
                self.page = (h as usize).saturating_sub(8).max(1);
                self.size = (w, h);
                self.runs.prepare(w as usize);
                vec![]
            }
            Msg::Clock(now) => {
                self.cards.now = now;
                vec![]
            }
            other => self.result(other),
        }
    }

    /// A key: the keymap's action in the active scope; in text scopes other keys type,
    /// and a yes/no question or a review's summary end on any other key.
    fn key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        if ev.kind == KeyEventKind::Release {
            return vec![];
        }
        let scope = self.scope();
        if let Some(a) = self.keymap.action_in(scope, &ev) {
            return self.act(a);
        }
        match scope {
            Scope::Editor | Scope::Input => text_key(&ev).map(|t| self.text(t)).unwrap_or_default(),
            Scope::Confirm => self.act(Action::No),
            Scope::Summary => self.act(Action::Dismiss),
            _ => vec![],
        }
    }

    /// An action, taken in the active scope (an action of another scope does nothing).
    fn act(&mut self, action: Action) -> Vec<Effect> {
        match self.scope() {
            Scope::Normal => self.normal(action),
            Scope::Review => self.review_action(action),
            Scope::Summary => match action {
                Action::Dismiss => self.dismiss_summary(),
                _ => vec![],
            },
            Scope::Rating => self.rating_action(action),
            Scope::MockDone => self.mock_done_action(action),
            Scope::Editor => self.editor_action(action),
            Scope::Input => self.input_action(action),
            Scope::Confirm => self.confirm_action(action),
            Scope::Audio | Scope::Turn => vec![],
        }
    }

    /// Which keymap scope the keys are in now.
    pub fn scope(&self) -> Scope {
        match &self.mode {
            Mode::Filter | Mode::Input { .. } => Scope::Input,
            Mode::Editor(_) => Scope::Editor,
            Mode::Confirm { .. } => Scope::Confirm,
            Mode::Help => Scope::Normal,
            Mode::Normal if self.tab == Tab::Cards => self.cards_scope(),
            Mode::Normal => Scope::Normal,
        }
    }

    /// What the hint bar describes.
    pub fn screen(&self) -> Screen {
        match &self.mode {
            Mode::Filter => return Screen::Filter,
            Mode::Editor(_) => return Screen::Editor,
            Mode::Normal if self.tab == Tab::Cards => {
                if let Some(s) = self.cards_screen() {
                    return s;
                }
            }
            _ => {}
        }
        match self.tab {
            Tab::Today => Screen::Today,
            Tab::Plan => Screen::Plan,
            Tab::Papers => Screen::Papers,
            Tab::Notes => Screen::Notes,
            Tab::Runs => match &self.runs.view {
                RunsView::Table => Screen::RunsTable,
                RunsView::Run(_) => Screen::RunsRun,
                RunsView::Compare(_) => Screen::RunsCompare,
                RunsView::Projects | RunsView::Launch(_) => Screen::RunsLaunch,
            },
            Tab::Deliverables => Screen::Deliverables,
            Tab::Cards => Screen::CardsOverview,
        }
    }

    /// True when keys are not the lists' (text input, a question, a review or a mock
    /// interview has them).
    pub fn text_mode(&self) -> bool {
        self.scope() != Scope::Normal
    }

    /// The hint bar's (keys, label) pairs for what is on screen.
    pub fn hints(&self) -> Vec<(String, &'static str)> {
        self.keymap
            .hint_bar(self.screen(), !self.filter().is_empty())
    }
}
