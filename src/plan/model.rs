//! The typed plan: steps and their items, as parsed from `curriculum/`.

use serde::{Deserialize, Serialize};

/// Nominal length of the plan in weeks; curriculum weeks are written against it.
pub const NOMINAL_WEEKS: u32 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    Topic,
    Resource,
    Paper,
    HandsOn,
    Task,
    Deliverable,
}

impl ItemKind {
    pub const ALL: [ItemKind; 6] = [
        ItemKind::Topic,
        ItemKind::Resource,
        ItemKind::Paper,
        ItemKind::HandsOn,
        ItemKind::Task,
        ItemKind::Deliverable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Topic => "topic",
            ItemKind::Resource => "resource",
            ItemKind::Paper => "paper",
            ItemKind::HandsOn => "hands-on",
            ItemKind::Task => "task",
            ItemKind::Deliverable => "deliverable",
        }
    }

    pub fn parse(s: &str) -> Option<ItemKind> {
        ItemKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The `##` section heading that holds items of this kind.
    pub fn section(self) -> &'static str {
        match self {
            ItemKind::Topic => "Topics",
            ItemKind::Resource => "Resources",
            ItemKind::Paper => "Papers",
            ItemKind::HandsOn => "Hands-on",
            ItemKind::Task => "Tasks",
            ItemKind::Deliverable => "Deliverables",
        }
    }

    /// Default effort in hours when an item gives none (used by the day-wise schedule).
    pub fn default_hours(self) -> f64 {
        match self {
            ItemKind::Topic => 2.0,
            ItemKind::Resource => 2.0,
            ItemKind::Paper => 2.0,
            ItemKind::HandsOn => 6.0,
            ItemKind::Task => 3.0,
            ItemKind::Deliverable => 4.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    pub kind: ItemKind,
    /// `###` heading the item sits under, if any.
    pub group: Option<String>,
    pub title: String,
    pub detail: String,
    /// Nominal week the item is due (within its step); `None` = end of step.
    pub week: Option<u32>,
    pub hours: Option<f64>,
    pub project: Option<String>,
    /// Cited paper keys (`[@key]`).
    pub refs: Vec<String>,
    pub line: usize,
}

impl Item {
    pub fn effort(&self) -> f64 {
        self.hours.unwrap_or_else(|| self.kind.default_hours())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    pub title: String,
    pub summary: String,
    /// Nominal weeks, inclusive, 1-based.
    pub week_from: u32,
    pub week_to: u32,
    /// File the step came from (name only for the embedded curriculum).
    pub source: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn items(&self) -> impl Iterator<Item = (&Step, &Item)> {
        self.steps
            .iter()
            .flat_map(|s| s.items.iter().map(move |i| (s, i)))
    }

    pub fn item_count(&self) -> usize {
        self.steps.iter().map(|s| s.items.len()).sum()
    }
}
