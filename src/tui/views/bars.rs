//! The tab bar at the top and the bar at the bottom: the filter line, the status, or
//! the hint bar — generated from the keymap for what is on screen.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs};
use ratatui::Frame;

use crate::tui::action::Action;
use crate::tui::keymap::Screen;
use crate::tui::state::{App, TABS};
use crate::tui::theme::THEME;

pub fn tabs(f: &mut Frame, app: &App, area: Rect) {
    let o = &app.data.overview;
    let right = format!(" week {}/{} ", o.current_week, o.weeks);
    let [l, r] = Layout::horizontal([
        Constraint::Min(10),
        Constraint::Length(right.len() as u16 + 1),
    ])
    .areas(area);
    let titles: Vec<Line> = TABS
        .iter()
        .enumerate()
        .map(|(i, t)| match app.keymap.key(Action::Tab(i)) {
            k if k.is_empty() => Line::from(format!(" {t} ")),
            k => Line::from(format!(" {k} {t} ")),
        })
        .collect();
    let tabs = Tabs::new(titles)
        .select(app.tab as usize)
        .style(THEME.tab)
        .highlight_style(THEME.tab_active)
        .divider("")
        .padding("", "");
    f.render_widget(tabs, l);
    f.render_widget(Paragraph::new(right).style(THEME.header), r);
}

/// `key label  key label  …`
fn hint_line(pairs: &[(String, &str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (k, label) in pairs {
        spans.push(Span::styled(k.clone(), THEME.hint_key));
        spans.push(Span::styled(format!(" {label}  "), THEME.hint));
    }
    Line::from(spans)
}

/// `key label · key label`
fn inline(pairs: &[(String, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, label)| format!("{k} {label}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

pub fn bottom(f: &mut Frame, app: &App, area: Rect) {
    let screen = app.screen();
    let hints = app.hints();
    let line = match screen {
        Screen::Filter => Line::from(vec![
            Span::styled(app.keymap.key(Action::Filter), THEME.hint_key),
            Span::raw(app.filter().to_string()),
            Span::styled("▏", THEME.hint_key),
            Span::styled(format!("   {}", inline(&hints)), THEME.dim),
        ]),
        Screen::Editor => Line::styled(inline(&hints), THEME.hint),
        s if s.scope() != crate::tui::keymap::Scope::Normal => hint_line(&hints),
        _ => match &app.status {
            Some(s) => {
                let style = if s.starts_with("error") {
                    THEME.error
                } else {
                    THEME.due
                };
                Line::styled(s.clone(), style)
            }
            None => hint_line(&hints),
        },
    };
    f.render_widget(Paragraph::new(line), area);
}
