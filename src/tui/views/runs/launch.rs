//! Launching: pick a project, then fill its form.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState};
use ratatui::Frame;

use crate::tui::action::Action;
use crate::tui::model::runs::{LaunchForm, RunsUi};
use crate::tui::state::App;
use crate::tui::theme::THEME;

pub fn projects(f: &mut Frame, app: &App, area: Rect) {
    let order = RunsUi::project_order(&app.runs_data);
    let items: Vec<ListItem> = order
        .iter()
        .map(|&i| {
            let p = &app.runs_data.projects[i];
            let (st, style) = match p.readiness() {
                crate::runs::project::Readiness::Ready => ("ready".to_string(), THEME.done),
                crate::runs::project::Readiness::NotBuilt(w) => {
                    (format!("not built yet — {w}"), THEME.dim)
                }
            };
            ListItem::new(Line::from(vec![
                Span::styled(format!("{:<22}", p.manifest.name), THEME.header),
                Span::styled(
                    format!("{:<4}", p.manifest.step.clone().unwrap_or_default()),
                    THEME.dim,
                ),
                Span::raw(format!("{}  ", p.manifest.title)),
                Span::styled(st, style),
            ]))
        })
        .collect();
    let list = List::new(items)
        .block(Block::bordered().title(format!(
            " Launch: pick a project ({} · {} back) ",
            app.keymap.key(Action::Open),
            app.keymap.key(Action::ClearFilter)
        )))
        .highlight_style(THEME.focused);
    let mut state =
        ListState::default().with_selected((!order.is_empty()).then_some(app.runs.project_sel));
    f.render_stateful_widget(list, area, &mut state);
}

pub fn form(f: &mut Frame, app: &App, form: &LaunchForm, area: Rect) {
    let mut items: Vec<ListItem> = form
        .fields
        .iter()
        .map(|(k, v, kind, help)| {
            ListItem::new(Line::from(vec![
                Span::styled(format!("{k:<16}"), THEME.header),
                Span::raw(format!(
                    "{:<28}",
                    if v.is_empty() {
                        "(required)".to_string()
                    } else {
                        v.clone()
                    }
                )),
                Span::styled(format!("{kind:<12} "), THEME.accent),
                Span::styled(help.clone(), THEME.dim),
            ]))
        })
        .collect();
    items.push(ListItem::new(Line::styled("▶ Launch", THEME.launch)));
    let (open, back) = (
        app.keymap.key(Action::Open),
        app.keymap.key(Action::ClearFilter),
    );
    let list = List::new(items)
        .block(Block::bordered().title(format!(
            " Launch {} — {open} edits a value (a,b,c sweeps over values); {open} on ▶ Launch starts; {back} cancels ",
            form.project
        )))
        .highlight_style(THEME.focused);
    let mut state = ListState::default().with_selected(Some(form.selected));
    f.render_stateful_widget(list, area, &mut state);
}
