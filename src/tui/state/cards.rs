//! The Cards tab's actions: the overview (start a review or a mock interview), a
//! review (reveal, grade, skip, end), its summary and a mock interview (answer in the
//! editor, rate the model answer, next question). The runner does the writes.

use super::super::action::{Action, TextKey};
use super::super::keymap::{Scope, Screen};
use super::super::model::cards::{CardsView, MockPhase, MockUi};
use super::{App, Effect, Tab};
use crate::cards::{self, Grade};

impl App {
    /// The keymap scope of what the Cards tab shows.
    pub(super) fn cards_scope(&self) -> Scope {
        match &self.cards.view {
            CardsView::Overview => Scope::Normal,
            CardsView::Review(_) => Scope::Review,
            CardsView::Done(_) => Scope::Summary,
            CardsView::Mock(m) => match m.phase {
                MockPhase::Answering => Scope::Editor,
                MockPhase::Rating { .. } => Scope::Rating,
                MockPhase::Done { .. } => Scope::MockDone,
            },
        }
    }

    /// The hint bar's screen while a review or a mock interview is on (None: the
    /// overview).
    pub(super) fn cards_screen(&self) -> Option<Screen> {
        Some(match &self.cards.view {
            CardsView::Overview => return None,
            CardsView::Review(r) if r.session.revealed => Screen::ReviewAnswer,
            CardsView::Review(_) => Screen::Review,
            CardsView::Done(_) => Screen::ReviewSummary,
            CardsView::Mock(m) => match m.phase {
                MockPhase::Answering => Screen::MockAnswer,
                MockPhase::Rating { .. } => Screen::MockRating,
                MockPhase::Done { .. } => Screen::MockDone,
            },
        })
    }

    /// The overview's own actions; `None` lets generic handling run.
    pub(super) fn cards_overview_action(&mut self, action: Action) -> Option<Vec<Effect>> {
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

    /// A review card on show.
    pub(super) fn review_action(&mut self, action: Action) -> Vec<Effect> {
        let now = self.cards.now;
        let CardsView::Review(r) = &mut self.cards.view else {
            return vec![];
        };
        let grade = match action {
            Action::GradeAgain => Some(Grade::Again),
            Action::GradeHard => Some(Grade::Hard),
            Action::GradeGood => Some(Grade::Good),
            Action::GradeEasy => Some(Grade::Easy),
            _ => None,
        };
        match action {
            Action::EndReview => {
                let s = r.session.summary.clone();
                self.cards.view = CardsView::Done(s);
                return vec![Effect::CardsReload];
            }
            Action::Reveal if !r.session.revealed => {
                r.session.reveal();
                if let Some(c) = r.session.current() {
                    r.next = Some(cards::preview(&self.cards.settings, c, now));
                }
            }
            _ if grade.is_some() && r.session.revealed => {
                if let (Some(g), Some(card)) = (grade, r.session.current()) {
                    let ms = (now - r.shown_at).num_milliseconds().max(0);
                    return vec![Effect::CardsGrade {
                        card: card.id,
                        grade: g,
                        duration_ms: ms,
                    }];
                }
            }
            Action::SkipCard => {
                // Skip for this session (the card stays due).
                r.session.bury();
                r.next = None;
                if r.session.finished() {
                    let s = r.session.summary.clone();
                    self.cards.view = CardsView::Done(s);
                }
            }
            _ => {}
        }
        vec![]
    }

    /// Leave a review's summary.
    pub(super) fn dismiss_summary(&mut self) -> Vec<Effect> {
        if matches!(self.cards.view, CardsView::Done(_)) {
            self.cards.view = CardsView::Overview;
        }
        vec![]
    }

    fn mock(&mut self) -> Option<&mut MockUi> {
        match &mut self.cards.view {
            CardsView::Mock(m) => Some(m),
            _ => None,
        }
    }

    /// Writing the mock answer: save shows the model answer, cancel abandons.
    pub(super) fn mock_answer_action(&mut self, action: Action) -> Vec<Effect> {
        let now = self.cards.now;
        let Some(m) = self.mock() else {
            return vec![];
        };
        match action {
            Action::Save => {
                let secs = (now - m.started).num_milliseconds().max(0) as f64 / 1000.0;
                m.phase = MockPhase::Rating {
                    answer: m.editor.text().trim_end().to_string(),
                    secs,
                };
            }
            Action::Cancel => {
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
            _ => {}
        }
        vec![]
    }

    /// Typing the mock answer.
    pub(super) fn mock_answer_text(&mut self, key: TextKey) -> Vec<Effect> {
        if let Some(m) = self.mock() {
            m.editor.key(key);
        }
        vec![]
    }

    /// The model answer on show: rate yours 1–5, or log it unrated.
    pub(super) fn rating_action(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Rate(r @ 1..=5) => vec![Effect::CardsRecordMock { rating: Some(r) }],
            Action::SkipRating => vec![Effect::CardsRecordMock { rating: None }],
            _ => vec![],
        }
    }

    /// The answer is logged: the next question, or the end of the session.
    pub(super) fn mock_done_action(&mut self, action: Action) -> Vec<Effect> {
        let Some(m) = self.mock() else {
            return vec![];
        };
        match action {
            Action::NextQuestion => vec![Effect::CardsMock {
                filter: m.filter.clone(),
                session: m.session,
                asked: m.asked.clone(),
            }],
            Action::EndMock => {
                let s = m.session;
                self.cards.view = CardsView::Overview;
                s.map(Effect::CardsFinishMock).into_iter().collect()
            }
            _ => vec![],
        }
    }
}
