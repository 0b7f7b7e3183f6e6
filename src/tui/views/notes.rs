//! The Notes tab: the notes and a preview of the selected one.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::action::Action;
use crate::tui::state::{App, Tab};
use crate::tui::theme::THEME;
use crate::tui::widgets::layout::visible_window;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let rows = app.note_rows();
    let sel = app.selected[Tab::Notes as usize];
    let height = left.height.saturating_sub(2) as usize;
    let offset = visible_window(sel, height);
    let items: Vec<ListItem> = rows
        .iter()
        .skip(offset)
        .take(height)
        .map(|&i| {
            let n = &app.data.notes[i];
            let att = n
                .paper
                .clone()
                .or_else(|| n.item.clone())
                .unwrap_or_default();
            ListItem::new(Line::from(vec![
                Span::styled(
                    format!("{} ", crate::util::prefix(&n.updated_at, 10)),
                    THEME.dim,
                ),
                Span::raw(n.title.clone()),
                Span::styled(
                    if att.is_empty() {
                        String::new()
                    } else {
                        format!("  {att}")
                    },
                    THEME.accent,
                ),
            ]))
        })
        .collect();
    let title = format!(" Notes ({}) ", app.data.notes.len());
    let list = if rows.is_empty() {
        let msg = if app.data.notes.is_empty() {
            format!(
                "No notes yet — press {} to write one.",
                app.keymap.key(Action::NewNote)
            )
        } else {
            "No notes match.".to_string()
        };
        List::new(vec![ListItem::new(Line::styled(msg, THEME.dim))])
    } else {
        List::new(items)
    }
    .block(Block::bordered().title(title))
    .highlight_style(THEME.focused);
    let mut state = ListState::default().with_selected((!rows.is_empty()).then_some(sel - offset));
    f.render_stateful_widget(list, left, &mut state);
    let mut lines: Vec<Line> = Vec::new();
    if let Some(n) = app.selected_note() {
        lines.push(Line::styled(format!("#{} · {}", n.id, n.path), THEME.dim));
        match &app.preview {
            Some(note) if note.summary.id == n.id => {
                if !note.links.is_empty() {
                    let links: Vec<String> =
                        note.links.iter().map(|(k, t)| format!("{k}:{t}")).collect();
                    lines.push(Line::styled(
                        format!("links: {}", links.join("  ")),
                        THEME.accent,
                    ));
                }
                lines.extend(note.body.lines().take(200).map(|l| {
                    if l.starts_with('#') {
                        Line::styled(l.to_string(), THEME.header)
                    } else {
                        Line::raw(l.to_string())
                    }
                }))
            }
            _ => lines.push(Line::styled("…", THEME.dim)),
        }
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" Preview ")),
        right,
    );
}
