//! A run's log: only the visible slice is rendered, control characters escaped, ANSI
//! colours kept, long lines wrapped (or not), search matches highlighted.

use ansi_to_tui::IntoText;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::model::logbuf::LogBuf;
use crate::tui::theme::THEME;

/// How the log is shown.
pub struct LogOpts<'a> {
    /// Lines scrolled up from the end; None follows the end.
    pub scroll: Option<usize>,
    pub search: &'a str,
    pub wrap: bool,
    /// The key that goes back to following.
    pub follow_key: &'a str,
}

pub fn render(f: &mut Frame, log: Option<&LogBuf>, area: Rect, o: &LogOpts) {
    let block_title = match o.scroll {
        None => " Log · following ".to_string(),
        Some(n) => format!(" Log · {n} lines up ({} follows) ", o.follow_key),
    };
    let block = Block::bordered().title(block_title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(log) = log else { return };
    let h = inner.height as usize;
    let end = log.lines.len().saturating_sub(o.scroll.unwrap_or(0));
    let search = o.search.to_lowercase();
    let width = inner.width.max(1) as usize;
    // Render only the visible slice: walk back from `end` until the area is full.
    let mut lines: Vec<Line> = Vec::new();
    let mut used = 0;
    let mut i = end;
    while i > 0 && used < h {
        i -= 1;
        let l = &log.lines[i];
        let safe: String = l
            .text
            .chars()
            .map(|c| {
                if c.is_control() && c != '\x1b' {
                    '·'
                } else {
                    c
                }
            })
            .collect();
        let mut line = safe
            .as_bytes()
            .into_text()
            .ok()
            .and_then(|t| t.lines.into_iter().next())
            .unwrap_or_else(|| Line::raw(safe.clone()));
        if l.stderr {
            line.spans.insert(0, Span::styled("▌", THEME.overdue));
        }
        if !search.is_empty()
            && crate::protocol::strip_ansi(&l.text)
                .to_lowercase()
                .contains(&search)
        {
            line = line.style(THEME.search_hit);
        }
        let rows = if o.wrap {
            line.width().div_ceil(width).max(1)
        } else {
            1
        };
        used += rows;
        lines.push(line);
    }
    lines.reverse();
    // Drop rows that overflow the top when wrapping.
    let mut para = Paragraph::new(lines);
    if o.wrap {
        para = para.wrap(Wrap { trim: false });
        let overflow = used.saturating_sub(h) as u16;
        para = para.scroll((overflow, 0));
    }
    f.render_widget(para, inner);
}
