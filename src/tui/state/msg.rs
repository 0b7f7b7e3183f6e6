//! Everything that reaches `App::handle`: input (keys, actions, typed text, resizes,
//! the clock), news from the background workers, and what came of the runner's effects.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use super::super::action::{Action, TextKey};
use super::super::model::logbuf::LogLine;
use super::super::model::runs::RunsData;
use super::data::Data;
use crate::cards::bank::Question;
use crate::cards::mock::TopicScore;
use crate::cards::{Bank, Card, Grade, Settings, Stats};
use crate::runs::query::Point;

#[derive(Debug, Clone)]
pub enum Msg {
    // ---- input ----
    /// A key press: resolved through the keymap in the active scope (or typed).
    Key(KeyEvent),
    /// An action, as its key would trigger it.
    Action(Action),
    /// Text typed into the filter, a prompt or the editor.
    Text(TextKey),
    /// The terminal's size (columns, rows).
    Resize(u16, u16),
    /// The clock (the Cards tab's "now": timers and due dates read it).
    Clock(DateTime<Utc>),

    // ---- the background ----
    /// Whether this TUI ingests run output (false: another labbook holds the lock).
    IngestRole(bool),
    /// Run data changed on disk, or time passed while runs are active.
    RunsChanged,
    /// A cancel finished.
    Cancelled {
        run: String,
        outcome: String,
    },

    // ---- what came of an effect ----
    /// A line for the status bar.
    Status(String),
    /// An effect failed: its error.
    Failed(String),
    /// Fresh data from the store (after a write or a reload).
    Data(Box<Data>),
    /// A new note: edit it.
    NoteCreated(i64),
    /// A note's text, for the built-in editor.
    NoteText {
        id: i64,
        title: String,
        text: String,
    },
    /// Notes matching the Notes filter by full-text search.
    NoteHits(Vec<i64>),
    /// The body of the note in the Notes preview.
    Preview(Box<crate::notes::Note>),
    /// Loading the preview's note failed.
    PreviewFailed {
        id: i64,
        error: String,
    },
    /// The runs table; `projects` says whether the manifests were read again (else the
    /// ones held are kept).
    Runs {
        data: Box<RunsData>,
        projects: bool,
    },
    /// A run's log: its tail when opened (`fresh`), then what is new.
    Log {
        run: String,
        lines: Vec<LogLine>,
        fresh: bool,
    },
    /// Points of the open run's charts: (metric, points held before, new points).
    Series {
        run: String,
        points: Vec<(String, usize, Vec<Point>)>,
    },
    /// Points of the compared runs' `metric`: (run, points held before, new points).
    ComparePoints {
        ids: Vec<String>,
        metric: String,
        points: Vec<(String, usize, Vec<Point>)>,
    },
    RunDeleted(String),
    /// A launch with list-valued parameters, planned: ask before starting it.
    SweepPlanned {
        project: String,
        params: Vec<(String, String)>,
        /// One line per run of the sweep.
        lines: Vec<String>,
        slurm: bool,
    },
    /// The Cards tab's counts (and the question bank, the first time).
    Cards(Box<CardsLoaded>),
    /// Today's review queue.
    ReviewQueue {
        cards: Vec<Card>,
        now: DateTime<Utc>,
    },
    /// A grade was stored.
    Graded {
        grade: Grade,
        after: Box<Card>,
        now: DateTime<Utc>,
    },
    /// The next mock-interview question.
    MockQuestion {
        filter: Option<String>,
        question: Box<Question>,
        session: Option<i64>,
        asked: Vec<String>,
        now: DateTime<Utc>,
    },
    /// No question to ask (the session, if any, is closed).
    MockUnavailable(String),
    /// A mock answer was logged in `session`; `card` is the card it made due.
    MockRecorded {
        session: i64,
        rating: Option<u8>,
        card: Option<i64>,
        now: DateTime<Utc>,
    },
}

/// What the Cards tab loads.
#[derive(Debug, Clone)]
pub struct CardsLoaded {
    pub settings: Settings,
    /// The question bank when it was (tried to be) opened this time.
    pub bank: Option<Result<Arc<Bank>, String>>,
    pub stats: Stats,
    pub scores: Vec<TopicScore>,
}

impl From<Action> for Msg {
    fn from(a: Action) -> Msg {
        Msg::Action(a)
    }
}

impl From<TextKey> for Msg {
    fn from(t: TextKey) -> Msg {
        Msg::Text(t)
    }
}

impl From<KeyEvent> for Msg {
    fn from(k: KeyEvent) -> Msg {
        Msg::Key(k)
    }
}
