//! Rendering: a pure function of [`App`] state. No I/O here.
//!
//! One file per tab (`today`, `plan`, `papers`, `notes`, `runs/`, `deliverables`,
//! `cards`), the bars (`bars`) and what opens over them (`overlays`).

mod bars;
mod cards;
mod deliverables;
mod notes;
mod overlays;
mod papers;
mod plan;
mod runs;
mod today;

use ratatui::layout::{Constraint, Layout};
use ratatui::Frame;

use super::state::{App, Mode, Tab};

pub fn draw(f: &mut Frame, app: &App) {
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(f.area());
    bars::tabs(f, app, top);
    match app.tab {
        Tab::Today => today::draw(f, app, body),
        Tab::Plan => plan::draw(f, app, body),
        Tab::Papers => papers::draw(f, app, body),
        Tab::Notes => notes::draw(f, app, body),
        Tab::Runs => runs::draw(f, app, body),
        Tab::Deliverables => deliverables::draw(f, app, body),
        Tab::Cards => cards::draw(f, app, body),
    }
    bars::bottom(f, app, bottom);
    match &app.mode {
        Mode::Help => overlays::help(f, app),
        Mode::Input { purpose, input } => overlays::prompt(f, app, &purpose.title(), input),
        Mode::Confirm { prompt, .. } => overlays::confirm(f, prompt),
        Mode::Editor(_) => overlays::editor(f, app),
        _ => {}
    }
}
