//! The Cards tab: today's review (question, space reveals, 1–4 grade with the next
//! intervals on the buttons, a summary at the end) and timed mock interviews (the
//! question, a countdown, answer notes in the built-in editor, the model answer, a
//! 1–5 self-rating). Pure state and update; the runner does the writes.

use chrono::{DateTime, Utc};

use super::action::{Action, TextKey};
use super::editor::Editor;
use super::state::{App, Effect, Tab};
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

    /// Keys go straight to the review or the mock interview, not the keymap.
    pub fn takes_keys(&self) -> bool {
        !matches!(self.view, CardsView::Overview)
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

/// Rows of the Cards overview: "all topics" then each bank topic.
pub fn topic_rows(app: &App) -> usize {
    app.cards.data.scores.len() + 1
}

impl App {
    /// The Cards tab's own actions (overview); `None` lets generic handling run.
    pub(super) fn handle_cards(&mut self, action: Action) -> Option<Vec<Effect>> {
        if !matches!(self.cards.view, CardsView::Overview) {
            return None;
        }
        match action {
            Action::Open | Action::ToggleDone => {
                if let Some(e) = &self.cards.data.error {
                    self.status = Some(format!("error: {e}"));
                    return Some(vec![]);
                }
                Some(vec![Effect::CardsReview])
            }
            Action::Mock => {
                if let Some(e) = &self.cards.data.error {
                    self.status = Some(format!("error: {e}"));
                    return Some(vec![]);
                }
                let sel = self.selected[Tab::Cards as usize];
                let filter = match sel {
                    0 => None,
                    k => self.cards.data.scores.get(k - 1).map(|s| s.topic.clone()),
                };
                Some(vec![Effect::CardsMock {
                    filter,
                    session: None,
                    asked: Vec::new(),
                }])
            }
            _ => None,
        }
    }

    /// Keys during a review or a mock interview.
    pub(super) fn handle_cards_text(&mut self, key: TextKey) -> Vec<Effect> {
        let now = self.cards.now;
        let settings = self.cards.settings.clone();
        match &mut self.cards.view {
            CardsView::Overview => {}
            CardsView::Done(_) => self.cards.view = CardsView::Overview,
            CardsView::Review(r) => match key {
                TextKey::Esc | TextKey::Char('q') => {
                    let s = r.session.summary.clone();
                    self.cards.view = CardsView::Done(s);
                    return vec![Effect::CardsReload];
                }
                TextKey::Char(' ') | TextKey::Enter if !r.session.revealed => {
                    r.session.reveal();
                    if let Some(c) = r.session.current() {
                        r.next = Some(cards::preview(&settings, c, now));
                    }
                }
                TextKey::Char(c @ '1'..='4') if r.session.revealed => {
                    let grade = Grade::from_number(c as u8 - b'0');
                    if let (Some(g), Some(card)) = (grade, r.session.current()) {
                        let ms = (now - r.shown_at).num_milliseconds().max(0);
                        return vec![Effect::CardsGrade {
                            card: card.id,
                            grade: g,
                            duration_ms: ms,
                        }];
                    }
                }
                TextKey::Char('s') => {
                    // Skip for this session (the card stays due).
                    r.session.bury();
                    r.next = None;
                    if r.session.finished() {
                        let s = r.session.summary.clone();
                        self.cards.view = CardsView::Done(s);
                    }
                }
                _ => {}
            },
            CardsView::Mock(m) => match (&m.phase, key) {
                (MockPhase::Answering, TextKey::Save) => {
                    let secs = (now - m.started).num_milliseconds().max(0) as f64 / 1000.0;
                    m.phase = MockPhase::Rating {
                        answer: m.editor.text().trim_end().to_string(),
                        secs,
                    };
                }
                (MockPhase::Answering, TextKey::Esc) => {
                    if m.editor.dirty && !m.editor.confirm_discard {
                        m.editor.confirm_discard = true;
                    } else {
                        let session = m.session;
                        self.cards.view = CardsView::Overview;
                        self.status = Some("mock question abandoned (not logged)".into());
                        if let Some(s) = session {
                            return vec![Effect::CardsFinishMock(s)];
                        }
                    }
                }
                (MockPhase::Answering, k) => m.editor.key(k),
                (MockPhase::Rating { .. }, TextKey::Char(c @ '1'..='5')) => {
                    return vec![Effect::CardsRecordMock {
                        rating: Some(c as u8 - b'0'),
                    }];
                }
                (MockPhase::Rating { .. }, TextKey::Esc) => {
                    return vec![Effect::CardsRecordMock { rating: None }];
                }
                (MockPhase::Done { .. }, TextKey::Char('n') | TextKey::Enter) => {
                    return vec![Effect::CardsMock {
                        filter: m.filter.clone(),
                        session: m.session,
                        asked: m.asked.clone(),
                    }];
                }
                (MockPhase::Done { .. }, TextKey::Esc | TextKey::Char('q')) => {
                    let s = m.session;
                    self.cards.view = CardsView::Overview;
                    return s.map(Effect::CardsFinishMock).into_iter().collect();
                }
                _ => {}
            },
        }
        vec![]
    }
}
