//! Taking the terminal (raw mode, the alternate screen) and giving it back.

use std::io::Stdout;

use anyhow::Context as _;
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

pub fn setup_terminal() -> anyhow::Result<Term> {
    enable_raw_mode().context("switching the terminal to raw mode (is stdout a terminal?)")?;
    let term = execute!(std::io::stdout(), EnterAlternateScreen)
        .context("entering the alternate screen")
        .and_then(|_| Ok(Terminal::new(CrosstermBackend::new(std::io::stdout()))?));
    if term.is_err() {
        restore_terminal();
    }
    term
}

/// The terminal could not be taken back after an external editor: stop the TUI.
#[derive(Debug, thiserror::Error)]
#[error("could not restore the terminal after the editor: {0}")]
pub struct TerminalLost(pub String);
