//! The single `Action` enum: the only way UI state changes.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    NextTab,
    PrevTab,
    Tab(usize),
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
}

impl Action {
    /// Name used in the config's `[keys]` table.
    pub fn name(self) -> String {
        match self {
            Action::Tab(i) => format!("tab_{}", i + 1),
            other => {
                let dbg = format!("{other:?}");
                let mut s = String::new();
                for (i, c) in dbg.chars().enumerate() {
                    if c.is_uppercase() && i > 0 {
                        s.push('_');
                    }
                    s.extend(c.to_lowercase());
                }
                s
            }
        }
    }
}

/// Text-editing input used by the filter, prompts and the built-in editor.
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
    Enter,
    Esc,
    Save,
}
