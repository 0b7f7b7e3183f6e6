//! What the TUI shows from the store (plan, papers, notes, deliverables and the
//! overview built from them) and the tabs. Loaded by the runner (`Data::load` lives
//! with the other loaders in `runner::load`).

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::deliverables::Deliverable;
use crate::notes::NoteSummary;
use crate::overview::{self, Overview};
use crate::papers::Paper;
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
}
