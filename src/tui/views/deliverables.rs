//! The Deliverables tab: status, due dates and evidence.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::plan::item_detail;
use crate::tui::action::Action;
use crate::tui::state::{App, Tab};
use crate::tui::theme::THEME;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let rows_idx = app.deliverable_rows();
    let [table_area, detail] = Layout::vertical([
        Constraint::Length(rows_idx.len() as u16 + 3),
        Constraint::Min(6),
    ])
    .areas(area);
    let o = &app.data.overview;
    let rows: Vec<Row> = rows_idx
        .iter()
        .map(|&i| {
            let d = &app.data.deliverables[i];
            let due = o
                .deliverables
                .iter()
                .find(|(x, _)| x.id == d.id)
                .map(|(_, due)| *due);
            let late = due.is_some_and(|due| due < app.data.today)
                && d.status != crate::deliverables::DStatus::Done;
            Row::new(vec![
                Cell::from(Span::styled(d.status.as_str(), THEME.deliverable(d.status))),
                Cell::from(Span::styled(
                    due.map(|d| d.to_string()).unwrap_or_default(),
                    if late {
                        THEME.overdue
                    } else {
                        Style::default()
                    },
                )),
                Cell::from(d.step.clone()),
                Cell::from(d.evidence.len().to_string()),
                Cell::from(d.title.clone()),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(11),
            Constraint::Length(10),
            Constraint::Length(4),
            Constraint::Length(3),
            Constraint::Min(20),
        ],
    )
    .header(Row::new(vec!["status", "due", "step", "ev", "deliverable"]).style(THEME.dim))
    .block(Block::bordered().title(format!(" Deliverables ({}) ", app.data.deliverables.len())))
    .row_highlight_style(THEME.focused);
    let sel = app.selected[Tab::Deliverables as usize];
    let mut state = TableState::default().with_selected((!rows_idx.is_empty()).then_some(sel));
    f.render_stateful_widget(table, table_area, &mut state);
    let mut lines = Vec::new();
    if let Some(d) = app.selected_deliverable() {
        if let Some((s, i)) = app.data.plan.items().find(|(_, i)| i.id == d.id) {
            item_detail(app, s, i, &mut lines);
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled("Evidence", THEME.step));
        if d.evidence.is_empty() {
            lines.push(Line::styled(
                format!(
                    "none yet — press {} to write a note that counts as evidence",
                    app.keymap.key(Action::NewNote)
                ),
                THEME.dim,
            ));
        }
        for e in &d.evidence {
            let label = if e.kind == "note" {
                app.data
                    .notes
                    .iter()
                    .find(|n| n.id.to_string() == e.target)
                    .map(|n| format!("note #{} {}", n.id, n.title))
                    .unwrap_or_else(|| format!("note #{}", e.target))
            } else {
                format!("{}: {}", e.kind, e.target)
            };
            lines.push(Line::raw(label));
        }
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered()),
        detail,
    );
}
