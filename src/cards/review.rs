//! A review session as a pure state machine: the queue of today's cards, the card
//! on show, what grading did. The TUI and `labbook cards review` both drive it and
//! carry out the writes (`cards::grade`) themselves.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{Card, CardState, Grade};

/// A learning card due within this long is shown again in the same session.
pub const LEARN_AHEAD_MINUTES: i64 = 20;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub reviewed: usize,
    /// Distinct cards seen.
    pub cards: usize,
    pub new: usize,
    pub again: usize,
    pub hard: usize,
    pub good: usize,
    pub easy: usize,
    pub seconds: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub queue: VecDeque<Card>,
    /// The answer of the front card is on show.
    pub revealed: bool,
    pub started: DateTime<Utc>,
    pub summary: Summary,
    seen: Vec<i64>,
}

impl Session {
    pub fn new(cards: Vec<Card>, now: DateTime<Utc>) -> Session {
        Session {
            queue: cards.into(),
            revealed: false,
            started: now,
            summary: Summary::default(),
            seen: Vec::new(),
        }
    }

    pub fn current(&self) -> Option<&Card> {
        self.queue.front()
    }

    pub fn finished(&self) -> bool {
        self.queue.is_empty()
    }

    /// Cards left as (new, learning, review), like Anki's three counts.
    pub fn left(&self) -> (usize, usize, usize) {
        let mut n = (0, 0, 0);
        for c in &self.queue {
            match c.state {
                CardState::New => n.0 += 1,
                CardState::Learning | CardState::Relearning => n.1 += 1,
                CardState::Review => n.2 += 1,
            }
        }
        n
    }

    pub fn reveal(&mut self) {
        if !self.queue.is_empty() {
            self.revealed = true;
        }
    }

    /// The front card was graded and became `after`: it leaves the queue, or goes
    /// to its end when it is due again within [`LEARN_AHEAD_MINUTES`].
    pub fn graded(&mut self, grade: Grade, after: Card, now: DateTime<Utc>) {
        let Some(before) = self.queue.pop_front() else {
            return;
        };
        self.revealed = false;
        let s = &mut self.summary;
        s.reviewed += 1;
        if before.state == CardState::New {
            s.new += 1;
        }
        if !self.seen.contains(&before.id) {
            self.seen.push(before.id);
            s.cards += 1;
        }
        match grade {
            Grade::Again => s.again += 1,
            Grade::Hard => s.hard += 1,
            Grade::Good => s.good += 1,
            Grade::Easy => s.easy += 1,
        }
        s.seconds = (now - self.started).num_seconds().max(0);
        if after.due <= now + Duration::minutes(LEARN_AHEAD_MINUTES) {
            self.queue.push_back(after);
        }
    }

    /// Skip the front card for this session (it stays due).
    pub fn bury(&mut self) {
        self.queue.pop_front();
        self.revealed = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cards::{schedule, Settings};

    #[test]
    fn learning_cards_come_back_in_the_same_session() {
        let now = Utc::now();
        let mut a = Card::blank(now);
        a.id = 1;
        let mut b = Card::blank(now);
        b.id = 2;
        let mut s = Session::new(vec![a.clone(), b], now);
        assert_eq!(s.left(), (2, 0, 0));
        let st = Settings::default();
        let after = schedule(&st, &a, Grade::Again, now);
        s.graded(Grade::Again, after, now);
        // Again on a new card: due in a minute, so it goes to the back.
        assert_eq!(s.left(), (1, 1, 0));
        assert_eq!(s.current().map(|c| c.id), Some(2));
        let b = s.current().cloned().unwrap();
        let after = schedule(&st, &b, Grade::Easy, now);
        s.graded(Grade::Easy, after, now);
        assert_eq!(s.left(), (0, 1, 0));
        assert_eq!(s.summary.new, 2);
        assert_eq!(s.summary.cards, 2);
        assert_eq!((s.summary.again, s.summary.easy), (1, 1));
    }
}
