//! What the hint bar offers on each screen, and the help overlay's lines. Both take
//! their keys from the keymap, so a rebound key shows up everywhere at once.

use super::super::action::Action;
use super::{Keymap, Scope};

/// What is on screen, as far as the hint bar is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Screen {
    Today,
    Plan,
    Papers,
    Notes,
    RunsTable,
    RunsRun,
    RunsCompare,
    /// Choosing a project or filling the launch form.
    RunsLaunch,
    Deliverables,
    CardsOverview,
    /// A review card, answer hidden.
    Review,
    /// A review card with its answer and the grade buttons.
    ReviewAnswer,
    ReviewSummary,
    MockAnswer,
    MockRating,
    MockDone,
    Filter,
    Editor,
    Audio,
    /// The turn-taking view of a run still going.
    TurnLive,
    TurnEnded,
}

impl Screen {
    /// The keymap scope whose keys this screen shows.
    pub fn scope(self) -> Scope {
        match self {
            Screen::Review | Screen::ReviewAnswer => Scope::Review,
            Screen::ReviewSummary => Scope::Summary,
            Screen::MockAnswer | Screen::Editor => Scope::Editor,
            Screen::MockRating => Scope::Rating,
            Screen::MockDone => Scope::MockDone,
            Screen::Filter => Scope::Input,
            Screen::Audio => Scope::Audio,
            Screen::TurnLive | Screen::TurnEnded => Scope::Turn,
            _ => Scope::Normal,
        }
    }

    /// A tab's own screen: the bar starts with help and tab, ends with quit.
    fn is_tab(self) -> bool {
        self.scope() == Scope::Normal
    }
}

/// One item of the hint bar: an action (or a run of numbered actions, `1-5`) and what
/// it does here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hint {
    pub action: Action,
    /// The last of a run of actions shown as one item (`first-last`).
    pub to: Option<(Action, &'static str)>,
    pub label: &'static str,
    /// Shown only while the list is filtered.
    pub when_filtered: bool,
}

fn h(action: Action, label: &'static str) -> Hint {
    Hint {
        action,
        to: None,
        label,
        when_filtered: false,
    }
}

fn span(action: Action, to: Action, joiner: &'static str, label: &'static str) -> Hint {
    Hint {
        action,
        to: Some((to, joiner)),
        label,
        when_filtered: false,
    }
}

use Action as A;

/// The screen's own hints (tab screens get help/tab before and quit after).
fn own(screen: Screen) -> Vec<Hint> {
    match screen {
        Screen::Today => vec![h(A::ToggleDone, "done"), h(A::NewNote, "note")],
        Screen::Plan => vec![
            h(A::ToggleDone, "done"),
            h(A::NewNote, "note"),
            h(A::ToggleDayView, "by day"),
            h(A::Filter, "filter"),
        ],
        Screen::Papers => vec![
            h(A::CycleStatus, "status"),
            h(A::CyclePriority, "priority"),
            h(A::CycleRating, "rating"),
            h(A::NewNote, "note"),
            h(A::Filter, "filter"),
        ],
        Screen::Notes => vec![
            h(A::Open, "edit"),
            h(A::NewNote, "new"),
            h(A::Filter, "search"),
        ],
        Screen::RunsTable => vec![
            h(A::Open, "open"),
            h(A::NewRun, "launch"),
            h(A::ToggleDone, "mark"),
            h(A::Compare, "compare"),
            h(A::CancelRun, "cancel"),
            h(A::Filter, "filter"),
        ],
        Screen::RunsRun => vec![
            h(A::ClearFilter, "back"),
            h(A::ToggleFollow, "follow"),
            h(A::Filter, "search"),
            h(A::NextMetric, "metrics"),
            h(A::ToggleLogY, "log y"),
            h(A::CancelRun, "cancel"),
            h(A::Rerun, "re-run"),
        ],
        Screen::RunsCompare => vec![
            h(A::ClearFilter, "back"),
            h(A::NextMetric, "metric"),
            h(A::ExportReport, "export report"),
        ],
        Screen::RunsLaunch => vec![h(A::ClearFilter, "back"), h(A::NextMetric, "metric")],
        Screen::Deliverables => vec![h(A::CycleStatus, "status"), h(A::NewNote, "evidence note")],
        Screen::CardsOverview => vec![h(A::Open, "review"), h(A::Mock, "mock interview")],
        Screen::Review => vec![
            h(A::Reveal, "show answer"),
            h(A::SkipCard, "skip"),
            h(A::EndReview, "end review"),
        ],
        Screen::ReviewAnswer => vec![
            h(A::GradeAgain, "again"),
            h(A::GradeHard, "hard"),
            h(A::GradeGood, "good"),
            h(A::GradeEasy, "easy"),
            h(A::SkipCard, "skip"),
            h(A::EndReview, "end review"),
        ],
        Screen::ReviewSummary => vec![h(A::Dismiss, "back")],
        Screen::MockAnswer => vec![
            h(A::Save, "done: show the model answer"),
            h(A::Cancel, "abandon"),
        ],
        Screen::MockRating => vec![
            span(A::Rate(1), A::Rate(5), "-", "rate your answer"),
            h(A::SkipRating, "save unrated"),
        ],
        Screen::MockDone => vec![
            h(A::NextQuestion, "next question"),
            h(A::EndMock, "end the session"),
        ],
        Screen::Filter => vec![h(A::Submit, "keep"), h(A::Cancel, "clear")],
        Screen::Editor => vec![h(A::Save, "save"), h(A::Cancel, "cancel")],
        Screen::Audio => vec![
            span(A::ScrollLeft, A::ScrollRight, "/", "scroll"),
            span(A::ZoomIn, A::ZoomOut, "/", "zoom"),
            h(A::Top, "start"),
            h(A::Quit, "quit"),
        ],
        Screen::TurnLive => vec![h(A::Quit, "leave"), h(A::CancelRun, "cancel")],
        Screen::TurnEnded => vec![h(A::Quit, "leave")],
    }
}

/// Every hint of a screen in order, the conditional ones included.
pub fn hints(screen: Screen) -> Vec<Hint> {
    let mut out = Vec::new();
    if screen.is_tab() {
        out.extend([h(A::Help, "help"), h(A::NextTab, "tab")]);
    }
    out.extend(own(screen));
    if screen.is_tab() {
        out.push(Hint {
            when_filtered: true,
            ..h(A::ClearFilter, "clear filter")
        });
        out.push(h(A::Quit, "quit"));
    }
    out
}

/// A line of the help overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    /// A scope's heading.
    Section(&'static str),
    /// Keys (all of them, `/`-separated) and what they do.
    Entry {
        keys: String,
        help: &'static str,
    },
    Blank,
}

impl Keymap {
    /// The hint bar of a screen: (keys, label) pairs.
    pub fn hint_bar(&self, screen: Screen, filtered: bool) -> Vec<(String, &'static str)> {
        let scope = screen.scope();
        hints(screen)
            .into_iter()
            .filter(|h| filtered || !h.when_filtered)
            .map(|h| {
                let first = self.key_in(scope, h.action);
                let keys = match h.to {
                    Some((to, joiner)) => format!("{first}{joiner}{}", self.key_in(scope, to)),
                    None => first,
                };
                (keys, h.label)
            })
            .collect()
    }

    /// The help overlay: every binding under its scope's heading, in table order;
    /// neighbours with the same help text share a line (`1/2/3/4/5`).
    pub fn help_lines(&self) -> Vec<HelpLine> {
        let mut out = Vec::new();
        for scope in Scope::ALL {
            let rows: Vec<_> = self.bindings.iter().filter(|b| b.scope == scope).collect();
            if rows.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push(HelpLine::Blank);
            }
            out.push(HelpLine::Section(scope.title()));
            let mut i = 0;
            while i < rows.len() {
                let help = rows[i].help;
                let mut keys = Vec::new();
                while i < rows.len() && rows[i].help == help {
                    keys.push(rows[i].label());
                    i += 1;
                }
                out.push(HelpLine::Entry {
                    keys: keys.join("/"),
                    help,
                });
            }
        }
        out
    }
}
