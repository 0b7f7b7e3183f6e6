//! What opens over the tabs: the help overlay, a yes/no question, a one-line prompt and
//! the built-in editor.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::tui::action::Action;
use crate::tui::keymap::{HelpLine, Scope, Screen};
use crate::tui::state::{help_grid, App, Mode};
use crate::tui::theme::THEME;
use crate::tui::widgets::editor::{self, EditorKeys};
use crate::tui::widgets::layout::centered;

/// Every key of the keymap by scope, in one or two columns; what does not fit scrolls.
pub fn help(f: &mut Frame, app: &App) {
    let entries = app.keymap.help_lines();
    let screen = f.area();
    let grid = help_grid(entries.len(), (screen.width, screen.height));
    let scroll = app.help_scroll.min(grid.max_scroll);
    let line = |l: &HelpLine| match l {
        HelpLine::Section(title) => Line::styled(format!("{:>20}  {title}", ""), THEME.header),
        HelpLine::Entry { keys, help } => Line::from(vec![
            Span::styled(format!("{keys:>20}  "), THEME.hint_key),
            Span::raw(help.to_string()),
        ]),
        HelpLine::Blank => Line::raw(""),
    };
    let area = centered(screen, 64 * grid.columns as u16 + 2, grid.rows as u16 + 2);
    f.render_widget(Clear, area);
    let k = &app.keymap;
    let scrolls = if grid.max_scroll > 0 {
        format!(", {}/{} scroll", k.key(Action::Down), k.key(Action::Up))
    } else {
        String::new()
    };
    let block = Block::bordered()
        .title(format!(
            " Keys ({} or {} closes{scrolls}; rebind in config [keys]) ",
            k.key(Action::Help),
            k.key(Action::ClearFilter)
        ))
        .border_style(THEME.header);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let cols = Layout::horizontal(vec![
        Constraint::Ratio(1, grid.columns as u32);
        grid.columns
    ])
    .split(inner);
    for (c, col) in cols.iter().enumerate() {
        let lines: Vec<Line> = entries
            .iter()
            .skip(scroll + c * grid.rows)
            .take(grid.rows)
            .map(line)
            .collect();
        f.render_widget(Paragraph::new(lines), *col);
    }
}

pub fn confirm(f: &mut Frame, prompt: &str) {
    let lines: Vec<Line> = prompt
        .lines()
        .map(|l| Line::styled(l.to_string(), THEME.due))
        .collect();
    let width = prompt.lines().map(|l| l.chars().count()).max().unwrap_or(0) as u16 + 4;
    let area = centered(f.area(), width.max(30), lines.len() as u16 + 2);
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" Confirm ")
                .border_style(THEME.overdue),
        ),
        area,
    );
}

pub fn prompt(f: &mut Frame, app: &App, title: &str, input: &str) {
    let area = centered(f.area(), 60, 3);
    f.render_widget(Clear, area);
    let k = &app.keymap;
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::raw(input.to_string()),
            Span::styled("▏", THEME.hint_key),
        ]))
        .block(
            Block::bordered()
                .title(format!(
                    " {title} ({} create · {} cancel) ",
                    k.key_in(Scope::Input, Action::Submit),
                    k.key_in(Scope::Input, Action::Cancel)
                ))
                .border_style(THEME.header),
        ),
        area,
    );
}

/// The editor's key hints: `save · cancel` (or a mock's `done · abandon`), and what
/// the keys do while it asks about unsaved changes.
pub fn editor_keys(app: &App, editing: &[(Action, &str)]) -> EditorKeys {
    let k = |a| app.keymap.key_in(Scope::Editor, a);
    EditorKeys {
        editing: editing
            .iter()
            .map(|(a, label)| format!("{} {label}", k(*a)))
            .collect::<Vec<_>>()
            .join(" · "),
        discarding: format!(
            "{} again discards, {} saves",
            k(Action::Cancel),
            k(Action::Save)
        ),
    }
}

pub fn editor(f: &mut Frame, app: &App) {
    let Mode::Editor(ed) = &app.mode else { return };
    let outer = f.area();
    let area = Rect {
        x: outer.x + 2,
        y: outer.y + 1,
        width: outer.width.saturating_sub(4),
        height: outer.height.saturating_sub(2),
    };
    f.render_widget(Clear, area);
    let labels: Vec<(Action, &str)> = crate::tui::keymap::hints(Screen::Editor)
        .iter()
        .map(|h| (h.action, h.label))
        .collect();
    editor::render(f, ed, area, &editor_keys(app, &labels));
}
