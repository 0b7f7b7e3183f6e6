//! The Papers tab: the reading list and the selected paper.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use crate::tui::state::{App, Tab};
use crate::tui::theme::THEME;
use crate::tui::widgets::layout::visible_window;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let [table_area, detail] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(8)]).areas(area);
    let rows_idx = app.paper_rows();
    let sel = app.selected[Tab::Papers as usize];
    let height = table_area.height.saturating_sub(3) as usize;
    let offset = visible_window(sel, height);
    let rows: Vec<Row> = rows_idx
        .iter()
        .skip(offset)
        .take(height)
        .map(|&i| {
            let p = &app.data.papers[i];
            Row::new(vec![
                Cell::from(Span::styled(
                    p.status.as_str(),
                    THEME.paper_status(p.status),
                )),
                Cell::from(format!("P{}", p.priority)),
                Cell::from(p.rating.map(|r| "★".repeat(r as usize)).unwrap_or_default()),
                Cell::from(p.year.clone().unwrap_or_default()),
                Cell::from(p.steps.join(" ")),
                Cell::from(p.title.clone()),
            ])
        })
        .collect();
    let counts = app.data.papers.len();
    let title = if app.filter().is_empty() {
        format!(" Papers ({counts}) ")
    } else {
        format!(
            " Papers ({}/{counts}) filter: {} ",
            rows_idx.len(),
            app.filter()
        )
    };
    let table = Table::new(
        rows,
        [
            Constraint::Length(10),
            Constraint::Length(2),
            Constraint::Length(5),
            Constraint::Length(4),
            Constraint::Length(6),
            Constraint::Min(20),
        ],
    )
    .header(Row::new(vec!["status", "P", "★", "year", "steps", "title"]).style(THEME.dim))
    .block(Block::bordered().title(title))
    .row_highlight_style(THEME.focused);
    let mut state =
        TableState::default().with_selected((!rows_idx.is_empty()).then_some(sel - offset));
    f.render_stateful_widget(table, table_area, &mut state);
    let mut lines = Vec::new();
    if let Some(p) = app.selected_paper() {
        lines.push(Line::styled(p.title.clone(), THEME.header));
        lines.push(Line::raw(p.authors.clone()));
        lines.push(Line::styled(
            format!(
                "{} · {} · {}",
                p.key,
                p.venue.clone().unwrap_or_default(),
                p.link().unwrap_or_default()
            ),
            THEME.dim,
        ));
        lines.push(Line::styled(
            format!("tags: {}", p.tags.join(", ")),
            THEME.dim,
        ));
        let n = app
            .data
            .notes
            .iter()
            .filter(|n| n.paper.as_deref() == Some(&p.key))
            .count();
        if n > 0 {
            lines.push(Line::raw(format!("{n} note(s)")));
        }
        if !p.notes.is_empty() {
            lines.push(Line::raw(p.notes.clone()));
        }
    } else {
        lines.push(Line::styled("No papers match the filter.", THEME.dim));
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::bordered()),
        detail,
    );
}
