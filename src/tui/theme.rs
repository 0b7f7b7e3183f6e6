//! Styles by meaning, not colours sprinkled through widgets: every colour the TUI and
//! its live views draw with is named here.

use ratatui::style::{Color, Modifier, Style};

use crate::cards::Grade;
use crate::deliverables::DStatus;
use crate::papers::Status;
use crate::rt::State;

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
    // Runs
    pub run_queued: Style,
    pub run_running: Style,
    pub run_completed: Style,
    pub run_failed: Style,
    pub run_killed: Style,
    /// The launch form's "▶ Launch" row.
    pub launch: Style,
    /// Log lines matching the search.
    pub search_hit: Style,
    /// Chart lines, one colour per series (wrapping).
    pub chart: [Color; 8],
    // The turn-taking view
    pub signal_energy: Style,
    pub signal_vad: Style,
    pub signal_eot: Style,
    pub latency_bars: Style,
    pub session_summary: Style,
    pub agent_listening: Color,
    pub agent_speaking: Color,
    pub agent_pause: Color,
    pub agent_responding: Color,
    // The audio view
    pub pitch: Style,
    pub energy: Style,
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
    run_queued: Style::new().fg(Color::DarkGray),
    run_running: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
    run_completed: Style::new().fg(Color::Green),
    run_failed: Style::new().fg(Color::Red),
    run_killed: Style::new().fg(Color::Yellow),
    launch: Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
    search_hit: Style::new().bg(Color::Rgb(60, 60, 0)),
    chart: [
        Color::Cyan,
        Color::Yellow,
        Color::Magenta,
        Color::Green,
        Color::LightRed,
        Color::LightBlue,
        Color::White,
        Color::LightGreen,
    ],
    signal_energy: Style::new().fg(Color::DarkGray),
    signal_vad: Style::new().fg(Color::Green),
    signal_eot: Style::new().fg(Color::Yellow),
    latency_bars: Style::new().fg(Color::Cyan),
    session_summary: Style::new().fg(Color::Cyan),
    agent_listening: Color::Gray,
    agent_speaking: Color::Green,
    agent_pause: Color::Yellow,
    agent_responding: Color::Cyan,
    pitch: Style::new().fg(Color::White),
    energy: Style::new().fg(Color::Rgb(255, 150, 40)),
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

    pub fn run_status(&self, s: crate::runs::Status) -> Style {
        use crate::runs::Status as R;
        match s {
            R::Queued => self.run_queued,
            R::Running => self.run_running,
            R::Completed => self.run_completed,
            R::Failed | R::Lost => self.run_failed,
            R::Killed => self.run_killed,
        }
    }

    /// The `i`-th series of a chart (the palette wraps).
    pub fn chart_series(&self, i: usize) -> Style {
        Style::new().fg(self.chart[i % self.chart.len()])
    }

    /// The raw line drawn faint behind a smoothed series.
    pub fn chart_raw(&self, i: usize) -> Style {
        self.chart_series(i).add_modifier(Modifier::DIM)
    }

    /// A review grade (buttons and the summary's counts).
    pub fn grade(&self, g: Grade) -> Style {
        match g {
            Grade::Again => self.overdue,
            Grade::Hard => self.due,
            Grade::Good => self.done,
            Grade::Easy => self.accent,
        }
    }

    /// The turn-taking agent's state, as a badge.
    pub fn agent_state(&self, s: State) -> Style {
        let c = match s {
            State::Listening => self.agent_listening,
            State::Speaking => self.agent_speaking,
            State::Pause => self.agent_pause,
            State::Responding => self.agent_responding,
        };
        Style::new()
            .fg(Color::Black)
            .bg(c)
            .add_modifier(Modifier::BOLD)
    }

    /// A spectrogram cell's colour for a level in 0..1 (viridis).
    pub fn heat(&self, t: f32) -> Color {
        let (r, g, b) = crate::audio::view::viridis(t);
        Color::Rgb(r, g, b)
    }
}
