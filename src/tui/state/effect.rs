//! What `App::handle` asks of the runner ([`Effect`]: I/O it must not do itself) and
//! the modes the state can be in.

use crate::deliverables::DStatus;
use crate::papers::Status;

use super::super::model::editor::Editor;

/// Work for the runner: I/O that `handle` must not do itself. The runner reports what
/// came of it as messages (`Msg`) back into `App::handle`.
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
    /// Reload the runs table (and the project manifests when `projects`), then what the
    /// open run or comparison shows.
    LoadRuns {
        projects: bool,
    },
    /// Open a run's view (log and charts).
    OpenRun(String),
    /// Load what the compared runs' charts lack of the chosen metric.
    LoadCompare(Vec<String>),
    /// Load what the open run's charts lack (`App::series_query`).
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
    /// A yes/no question; `yes` carries out the effect.
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

/// What a new note is attached to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attach {
    pub paper: Option<String>,
    pub item: Option<String>,
    pub deliverable: Option<String>,
    pub run: Option<String>,
}
