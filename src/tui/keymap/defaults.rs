//! The default key table: every key of the TUI and its live views, by scope. The
//! help overlay lists it in this order; the config's `[keys]` table overrides it.

use super::super::action::Action;

/// Where a binding applies. The same key means different things in different scopes
/// (`3` is a tab in the lists and a grade during a review); the state decides which
/// scope is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// The tabs: lists, the runs views, the Cards overview (and the help overlay).
    Normal,
    /// A review card on the Cards tab.
    Review,
    /// The summary of a finished review.
    Summary,
    /// A mock interview's model answer on show, waiting for a self-rating.
    Rating,
    /// A mock answer logged.
    MockDone,
    /// The built-in editor (notes, a mock interview's answer); other keys type text.
    Editor,
    /// The filter line and one-line prompts; other keys type text.
    Input,
    /// A yes/no question.
    Confirm,
    /// `labbook audio view`.
    Audio,
    /// The live view of `labbook demo turn-taking`.
    Turn,
}

impl Scope {
    pub const ALL: [Scope; 10] = [
        Scope::Normal,
        Scope::Review,
        Scope::Summary,
        Scope::Rating,
        Scope::MockDone,
        Scope::Editor,
        Scope::Input,
        Scope::Confirm,
        Scope::Audio,
        Scope::Turn,
    ];

    /// The heading of the scope in the help overlay.
    pub fn title(self) -> &'static str {
        match self {
            Scope::Normal => "Tabs and lists",
            Scope::Review => "Cards: a review",
            Scope::Summary => "Cards: the review's summary",
            Scope::Rating => "Mock interview: the model answer",
            Scope::MockDone => "Mock interview: answer logged",
            Scope::Editor => "Built-in editor and mock answers",
            Scope::Input => "Filter and prompts",
            Scope::Confirm => "Yes/no questions",
            Scope::Audio => "labbook audio view",
            Scope::Turn => "labbook demo turn-taking",
        }
    }

    /// Keys that type text here are not available to actions.
    pub fn takes_text(self) -> bool {
        matches!(self, Scope::Editor | Scope::Input)
    }
}

use Action as A;
use Scope as S;

/// (scope, action, default keys, help text). Order is the help overlay's order.
pub const DEFAULTS: &[(Scope, Action, &[&str], &str)] = &[
    (S::Normal, A::Help, &["?"], "toggle this help"),
    (S::Normal, A::Quit, &["q", "ctrl-c"], "quit"),
    (S::Normal, A::NextTab, &["tab", "l", "right"], "next tab"),
    (
        S::Normal,
        A::PrevTab,
        &["shift-tab", "h", "left"],
        "previous tab",
    ),
    (S::Normal, A::Tab(0), &["1"], "Today"),
    (S::Normal, A::Tab(1), &["2"], "Plan"),
    (S::Normal, A::Tab(2), &["3"], "Papers"),
    (S::Normal, A::Tab(3), &["4"], "Notes"),
    (S::Normal, A::Tab(4), &["5"], "Runs"),
    (S::Normal, A::Tab(5), &["6"], "Deliverables"),
    (
        S::Normal,
        A::Tab(6),
        &["7"],
        "Cards: review and mock interviews",
    ),
    (S::Normal, A::Down, &["j", "down"], "move down"),
    (S::Normal, A::Up, &["k", "up"], "move up"),
    (S::Normal, A::PageDown, &["ctrl-d", "pagedown"], "page down"),
    (S::Normal, A::PageUp, &["ctrl-u", "pageup"], "page up"),
    (S::Normal, A::Top, &["g", "home"], "first row"),
    (S::Normal, A::Bottom, &["G", "end"], "last row"),
    (
        S::Normal,
        A::ToggleDone,
        &["space", "x"],
        "done / not done; runs: mark",
    ),
    (
        S::Normal,
        A::CycleStatus,
        &["s"],
        "cycle paper or deliverable status",
    ),
    (S::Normal, A::CyclePriority, &["p"], "cycle paper priority"),
    (S::Normal, A::CycleRating, &["r"], "cycle paper rating"),
    (
        S::Normal,
        A::NewNote,
        &["n"],
        "new note (attached to the selection)",
    ),
    (
        S::Normal,
        A::Open,
        &["enter", "e"],
        "open / edit note in $EDITOR; cards: review",
    ),
    (
        S::Normal,
        A::EditInternal,
        &["E"],
        "edit note in the built-in editor",
    ),
    (S::Normal, A::Filter, &["/"], "filter the list"),
    (S::Normal, A::ClearFilter, &["esc"], "clear filter / close"),
    (
        S::Normal,
        A::ToggleDayView,
        &["v"],
        "plan: by step / day by day",
    ),
    (S::Normal, A::Reload, &["ctrl-r"], "reload from disk"),
    (S::Normal, A::NewRun, &["a"], "runs: launch a project"),
    (S::Normal, A::Compare, &["c"], "runs: compare marked runs"),
    (S::Normal, A::CancelRun, &["X"], "runs: cancel the run"),
    (S::Normal, A::Rerun, &["R"], "runs: re-run, edit params"),
    (S::Normal, A::DeleteRun, &["D"], "runs: delete (asks first)"),
    (S::Normal, A::TagRun, &["t"], "runs: tag (-tag removes)"),
    (S::Normal, A::NextMetric, &["]"], "runs: next metric"),
    (S::Normal, A::PrevMetric, &["["], "runs: previous metric"),
    (S::Normal, A::ToggleLogY, &["y"], "charts: log-scale y"),
    (S::Normal, A::ToggleXAxis, &["T"], "charts: x = step / time"),
    (S::Normal, A::SmoothMore, &["+"], "charts: more smoothing"),
    (S::Normal, A::SmoothLess, &["-"], "charts: less smoothing"),
    (S::Normal, A::ToggleFollow, &["f"], "log: follow the end"),
    (S::Normal, A::ToggleWrap, &["w"], "log: wrap long lines"),
    (S::Normal, A::SortRuns, &["o"], "runs: change the sort"),
    (
        S::Normal,
        A::Mock,
        &["m"],
        "cards: mock interview (selected topic)",
    ),
    (
        S::Normal,
        A::ExportReport,
        &["P"],
        "runs compare: export a report",
    ),
    (S::Review, A::Reveal, &["space", "enter"], "show the answer"),
    (S::Review, A::GradeAgain, &["1"], "grade: again (forgotten)"),
    (S::Review, A::GradeHard, &["2"], "grade: hard"),
    (S::Review, A::GradeGood, &["3"], "grade: good"),
    (S::Review, A::GradeEasy, &["4"], "grade: easy"),
    (
        S::Review,
        A::SkipCard,
        &["s"],
        "skip the card (it stays due)",
    ),
    (
        S::Review,
        A::EndReview,
        &["esc", "q", "ctrl-c"],
        "end the review",
    ),
    (
        S::Summary,
        A::Dismiss,
        &["esc", "enter", "q"],
        "back to the topics (any key does)",
    ),
    (S::Rating, A::Rate(1), &["1"], "rate your answer 1–5"),
    (S::Rating, A::Rate(2), &["2"], "rate your answer 1–5"),
    (S::Rating, A::Rate(3), &["3"], "rate your answer 1–5"),
    (S::Rating, A::Rate(4), &["4"], "rate your answer 1–5"),
    (S::Rating, A::Rate(5), &["5"], "rate your answer 1–5"),
    (
        S::Rating,
        A::SkipRating,
        &["esc", "ctrl-c"],
        "log the answer without a rating",
    ),
    (
        S::MockDone,
        A::NextQuestion,
        &["n", "enter"],
        "next question",
    ),
    (
        S::MockDone,
        A::EndMock,
        &["esc", "q", "ctrl-c"],
        "end the session",
    ),
    (
        S::Editor,
        A::Save,
        &["ctrl-s"],
        "save; mock: done, show the model answer",
    ),
    (
        S::Editor,
        A::Cancel,
        &["esc", "ctrl-c"],
        "cancel (asks if unsaved); mock: abandon",
    ),
    (S::Input, A::Submit, &["enter"], "accept; filter: keep it"),
    (
        S::Input,
        A::Cancel,
        &["esc", "ctrl-c"],
        "cancel; filter: clear it",
    ),
    (S::Confirm, A::Yes, &["y", "Y"], "yes, go ahead"),
    (S::Confirm, A::No, &["n", "esc"], "no (any other key too)"),
    (S::Audio, A::ScrollLeft, &["left", "h"], "scroll back"),
    (S::Audio, A::ScrollRight, &["right", "l"], "scroll on"),
    (S::Audio, A::ZoomIn, &["+", "="], "zoom in"),
    (S::Audio, A::ZoomOut, &["-"], "zoom out"),
    (S::Audio, A::Top, &["home"], "back to the start"),
    (S::Audio, A::Quit, &["q", "esc"], "quit the view"),
    (S::Turn, A::Quit, &["q", "esc"], "leave (the run goes on)"),
    (S::Turn, A::CancelRun, &["c"], "cancel the run"),
];
