//! The single `Action` enum: the only way UI state changes. Keys reach actions through
//! the keymap; the names users write in the config's `[keys]` table are the serde names
//! of these variants (`quit`, `next_tab`, `tab_1` … `tab_7`, `grade_good`, `rate_1` …).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    NextTab,
    PrevTab,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    ToggleDone,
    CycleStatus,
    CyclePriority,
    CycleRating,
    NewNote,
    Open,
    EditInternal,
    Filter,
    ClearFilter,
    Help,
    ToggleDayView,
    Reload,
    // Runs tab
    NewRun,
    Compare,
    CancelRun,
    DeleteRun,
    Rerun,
    TagRun,
    NextMetric,
    PrevMetric,
    ToggleLogY,
    ToggleXAxis,
    SmoothMore,
    SmoothLess,
    ToggleFollow,
    ToggleWrap,
    SortRuns,
    // Cards tab
    Mock,
    ExportReport,
    // A review on the Cards tab
    /// Show the answer of the card on show.
    Reveal,
    GradeAgain,
    GradeHard,
    GradeGood,
    GradeEasy,
    /// Skip the card for this session (it stays due).
    SkipCard,
    EndReview,
    /// Leave the summary of a finished review.
    Dismiss,
    // A mock interview
    /// Log the answer without a self-rating.
    SkipRating,
    NextQuestion,
    EndMock,
    // Yes/no questions
    Yes,
    No,
    // Text input: the filter, prompts, the built-in editor
    Submit,
    Save,
    Cancel,
    // The live views (`labbook audio view`)
    ScrollLeft,
    ScrollRight,
    ZoomIn,
    ZoomOut,
    /// Go to tab `i` (0-based); named `tab_1` … in the config.
    #[serde(untagged)]
    Tab(#[serde(with = "numbered::tab")] usize),
    /// Rate a mock answer 1–5; named `rate_1` … `rate_5`.
    #[serde(untagged)]
    Rate(#[serde(with = "numbered::rate")] u8),
}

impl Action {
    /// Name used in the config's `[keys]` table (the serde name).
    pub fn name(self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(s)) => s,
            _ => String::new(),
        }
    }

    /// The action a config name stands for.
    pub fn from_name(name: &str) -> Option<Action> {
        use serde::de::IntoDeserializer;
        let d: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
            name.into_deserializer();
        Action::deserialize(d).ok()
    }
}

/// `tab_1` ↔ `Tab(0)`, `rate_3` ↔ `Rate(3)`: numbered actions as one name each.
mod numbered {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    fn parse<'de, D: Deserializer<'de>>(d: D, prefix: &str) -> Result<u64, D::Error> {
        let s = String::deserialize(d)?;
        s.strip_prefix(prefix)
            .and_then(|n| n.parse::<u64>().ok())
            .filter(|n| *n >= 1)
            .ok_or_else(|| D::Error::custom(format!("not a {prefix}N name: {s}")))
    }

    pub mod tab {
        use super::*;

        pub fn serialize<S: Serializer>(i: &usize, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&format!("tab_{}", i + 1))
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
            Ok(parse(d, "tab_")? as usize - 1)
        }
    }

    pub mod rate {
        use super::*;

        pub fn serialize<S: Serializer>(r: &u8, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&format!("rate_{r}"))
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
            let n = parse(d, "rate_")?;
            u8::try_from(n).map_err(|_| D::Error::custom(format!("rate_{n}: out of range")))
        }
    }
}

/// Text-editing input used by the filter, prompts and the built-in editor (what they
/// do with Enter, Esc and Ctrl-S is an action of the keymap: submit, cancel, save).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKey {
    Char(char),
    Backspace,
    Delete,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    /// A new line in the editor.
    Enter,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_serde_and_keep_the_old_spelling() {
        for (a, n) in [
            (Action::Quit, "quit"),
            (Action::NextTab, "next_tab"),
            (Action::ToggleDone, "toggle_done"),
            (Action::ToggleLogY, "toggle_log_y"),
            (Action::ToggleXAxis, "toggle_x_axis"),
            (Action::EditInternal, "edit_internal"),
            (Action::Tab(0), "tab_1"),
            (Action::Tab(6), "tab_7"),
            (Action::GradeGood, "grade_good"),
            (Action::Rate(3), "rate_3"),
        ] {
            assert_eq!(a.name(), n);
            assert_eq!(Action::from_name(n), Some(a), "{n}");
        }
        assert_eq!(Action::from_name("tab_0"), None);
        assert_eq!(Action::from_name("fly"), None);
        assert_eq!(Action::from_name("ToggleDone"), None);
    }
}
