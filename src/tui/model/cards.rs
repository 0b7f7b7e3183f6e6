//! The Cards tab's state: today's review (question, reveal, a grade with the next
//! intervals on the buttons, a summary at the end) and timed mock interviews (the
//! question, a countdown, answer notes in the built-in editor, the model answer, a
//! 1–5 self-rating). Pure; the actions that move it are in `state::cards`.

use chrono::{DateTime, Utc};

use super::editor::Editor;
use crate::cards::bank::Question;
use crate::cards::mock::TopicScore;
use crate::cards::review::{Session, Summary};
use crate::cards::{self, Grade, Next, Settings, Stats};

/// What the Cards tab shows, loaded by the runner.
#[derive(Debug, Clone, Default)]
pub struct CardsData {
    pub stats: Stats,
    /// The question bank (mock interviews pick from it).
    pub bank: Option<std::sync::Arc<crate::cards::Bank>>,
    /// Bank topics, weakest first.
    pub scores: Vec<TopicScore>,
    /// Why the bank could not be loaded, if it could not.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReviewUi {
    pub session: Session,
    /// The grade buttons of the card on show (once its answer is revealed).
    pub next: Option<[Next; 4]>,
    pub shown_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MockPhase {
    /// The clock runs; the answer is typed into the editor.
    Answering,
    /// The model answer is on show; waiting for the 1–5 rating.
    Rating { answer: String, secs: f64 },
    /// Saved: the rating given and the card it made due, if any.
    Done {
        rating: Option<u8>,
        card: Option<i64>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct MockUi {
    /// The topic filter asked for (None: weighted to weak topics).
    pub filter: Option<String>,
    pub question: Question,
    /// 1-based number of the question in this session.
    pub number: usize,
    pub session: Option<i64>,
    pub asked: Vec<String>,
    pub started: DateTime<Utc>,
    pub limit_secs: f64,
    pub editor: Editor,
    pub phase: MockPhase,
}

impl MockUi {
    pub fn new(
        filter: Option<String>,
        question: Question,
        session: Option<i64>,
        mut asked: Vec<String>,
        started: DateTime<Utc>,
        limit_secs: f64,
    ) -> MockUi {
        asked.push(question.id.clone());
        let title = format!("Your answer notes · {}", question.id);
        MockUi {
            filter,
            number: asked.len(),
            question,
            session,
            asked,
            started,
            limit_secs,
            editor: Editor::new(0, title, ""),
            phase: MockPhase::Answering,
        }
    }

    /// Seconds left on the clock at `now` (negative: over time).
    pub fn left(&self, now: DateTime<Utc>) -> f64 {
        let spent = match &self.phase {
            MockPhase::Answering => (now - self.started).num_milliseconds() as f64 / 1000.0,
            MockPhase::Rating { secs, .. } => *secs,
            MockPhase::Done { .. } => return 0.0,
        };
        self.limit_secs - spent
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum CardsView {
    #[default]
    Overview,
    Review(Box<ReviewUi>),
    /// The summary of a finished review.
    Done(Summary),
    Mock(Box<MockUi>),
}

#[derive(Debug, Clone, Default)]
pub struct CardsUi {
    pub view: CardsView,
    pub data: CardsData,
    pub settings: Settings,
    /// The clock, set by the runner (rendering reads it; it does no I/O).
    pub now: DateTime<Utc>,
}

impl CardsUi {
    /// Whether the runner should tick the clock every second.
    pub fn timer_running(&self) -> bool {
        matches!(&self.view, CardsView::Mock(m) if m.phase == MockPhase::Answering)
    }

    /// Start a review of `cards` (today's queue, loaded by the runner).
    pub fn start_review(&mut self, cards: Vec<cards::Card>, now: DateTime<Utc>) {
        let session = Session::new(cards, now);
        self.view = if session.finished() {
            CardsView::Done(Summary::default())
        } else {
            CardsView::Review(Box::new(ReviewUi {
                session,
                next: None,
                shown_at: now,
            }))
        };
    }

    /// The runner stored a grade: move on.
    pub fn graded(&mut self, grade: Grade, after: cards::Card, now: DateTime<Utc>) {
        if let CardsView::Review(r) = &mut self.view {
            r.session.graded(grade, after, now);
            r.next = None;
            r.shown_at = now;
            if r.session.finished() {
                self.view = CardsView::Done(r.session.summary.clone());
            }
        }
    }
}
