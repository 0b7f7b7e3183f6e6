//! Styles by meaning, not colours sprinkled through widgets.

use ratatui::style::{Color, Modifier, Style};

use crate::deliverables::DStatus;
use crate::papers::Status;

pub struct Theme {
    pub tab_active: Style,
    pub tab: Style,
    pub focused: Style,
    pub header: Style,
    pub dim: Style,
    pub done: Style,
    pub overdue: Style,
    pub due: Style,
    pub accent: Style,
    pub gauge: Style,
    pub hint_key: Style,
    pub hint: Style,
    pub error: Style,
    pub step: Style,
}

pub const THEME: Theme = Theme {
    tab_active: Style::new()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD),
    tab: Style::new().fg(Color::Gray),
    focused: Style::new()
        .bg(Color::DarkGray)
        .add_modifier(Modifier::BOLD),
    header: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    dim: Style::new().fg(Color::DarkGray),
    done: Style::new().fg(Color::Green),
    overdue: Style::new().fg(Color::Red),
    due: Style::new().fg(Color::Yellow),
    accent: Style::new().fg(Color::Magenta),
    gauge: Style::new().fg(Color::Cyan),
    hint_key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    hint: Style::new().fg(Color::Gray),
    error: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
    step: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
};

impl Theme {
    pub fn paper_status(&self, s: Status) -> Style {
        match s {
            Status::Queued => self.dim,
            Status::Reading => self.due,
            Status::Read => self.done,
            Status::Summarised => self.accent,
        }
    }

    pub fn deliverable(&self, s: DStatus) -> Style {
        match s {
            DStatus::NotStarted => self.dim,
            DStatus::InProgress => self.due,
            DStatus::Done => self.done,
        }
    }
}
