//! The built-in editor in an area, with its cursor (notes and mock answers).

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use crate::tui::model::editor::Editor;
use crate::tui::theme::THEME;

/// What the editor's title says about keys: while editing, and while asking whether
/// to discard unsaved changes.
pub struct EditorKeys {
    pub editing: String,
    pub discarding: String,
}

pub fn render(f: &mut Frame, ed: &Editor, area: Rect, keys: &EditorKeys) {
    let title = if ed.confirm_discard {
        format!(" unsaved changes — {} ", keys.discarding)
    } else {
        format!(
            " {} {}({}) ",
            ed.title,
            if ed.dirty { "● " } else { "" },
            keys.editing
        )
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(THEME.header);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let h = inner.height as usize;
    let top = ed.row.saturating_sub(h.saturating_sub(1));
    let lines: Vec<Line> = ed
        .lines
        .iter()
        .skip(top)
        .take(h)
        .map(|l| Line::raw(l.clone()))
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
    let col: usize = ed.lines[ed.row]
        .chars()
        .take(ed.col)
        .map(|c| unicode_width::UnicodeWidthChar::width(c).unwrap_or(0))
        .sum();
    f.set_cursor_position((
        inner.x + (col as u16).min(inner.width.saturating_sub(1)),
        inner.y + (ed.row - top) as u16,
    ));
}
