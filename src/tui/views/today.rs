//! The Today tab: where the plan stands, steps with gauges, what is due and overdue,
//! this week's reading and deliverables.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, LineGauge, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

use crate::overview::position_text;
use crate::tui::state::App;
use crate::tui::theme::THEME;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let o = &app.data.overview;
    let [head, gauge, rest] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(3),
    ])
    .areas(area);
    let active: Vec<&str> = o
        .steps
        .iter()
        .filter(|s| s.active)
        .map(|s| s.progress.title.as_str())
        .collect();
    let head_text = Text::from(vec![
        Line::from(vec![
            Span::styled(format!(" {} ", capitalise(&position_text(o))), THEME.header),
            Span::styled(
                format!(
                    "· today {} · plan {} → {}",
                    o.today.format("%a %Y-%m-%d"),
                    o.start,
                    o.end
                ),
                THEME.dim,
            ),
        ]),
        Line::from(vec![
            Span::styled(" now: ", THEME.dim),
            Span::raw(active.join(" + ")),
        ]),
    ]);
    f.render_widget(Paragraph::new(head_text), head);
    f.render_widget(
        LineGauge::default()
            .filled_style(THEME.gauge)
            .label(format!(" overall {}/{} ", o.done, o.total))
            .ratio(crate::util::ratio(o.done, o.total)),
        gauge,
    );
    let [left, due_area] =
        Layout::horizontal([Constraint::Percentage(42), Constraint::Percentage(58)]).areas(rest);
    // Left: steps with gauges, then reading and deliverables; right: due and overdue.
    let [steps_area, read_area] = Layout::vertical([
        Constraint::Length(o.steps.len() as u16 * 2 + 2),
        Constraint::Min(4),
    ])
    .areas(left);
    let block = Block::bordered().title(" Steps ");
    let inner = block.inner(steps_area);
    f.render_widget(block, steps_area);
    let rows = Layout::vertical(
        o.steps
            .iter()
            .map(|_| Constraint::Length(2))
            .collect::<Vec<_>>(),
    )
    .split(inner);
    for (st, r) in o.steps.iter().zip(rows.iter()) {
        let [t, g] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(*r);
        let style = if st.active {
            THEME.header
        } else {
            Style::default()
        };
        let marker = if st.active { "▶ " } else { "  " };
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(
                    format!("{marker}{} {}", st.progress.step, st.progress.title),
                    style,
                ),
                Span::styled(
                    format!("  {}–{}", st.start.format("%b %d"), st.end.format("%b %d")),
                    THEME.dim,
                ),
            ])),
            t,
        );
        f.render_widget(
            LineGauge::default()
                .filled_style(
                    if st.progress.done == st.progress.total && st.progress.total > 0 {
                        THEME.done
                    } else {
                        THEME.gauge
                    },
                )
                .label(format!(
                    "  {:>3}/{:<3}",
                    st.progress.done, st.progress.total
                ))
                .ratio(st.progress.ratio()),
            g,
        );
    }
    let rows = app.today_rows();
    let items: Vec<ListItem> = rows
        .iter()
        .map(|(id, title, due, done, overdue)| {
            let (mark, style) = if *done {
                ("[x]", THEME.done)
            } else if *overdue {
                ("[!]", THEME.overdue)
            } else {
                ("[ ]", Style::default())
            };
            ListItem::new(Line::from(vec![
                Span::styled(format!("{mark} "), style),
                Span::styled(
                    format!("{} ", due.format("%b %d")),
                    if *overdue && !*done {
                        THEME.overdue
                    } else {
                        THEME.dim
                    },
                ),
                Span::raw(title.to_string()),
                Span::styled(format!("  {id}"), THEME.dim),
            ]))
        })
        .collect();
    let title = format!(
        " Due in week {} ({}) · overdue {} ",
        o.current_week,
        o.due_this_week.len(),
        o.overdue.len()
    );
    let list = if items.is_empty() {
        List::new(vec![ListItem::new(Line::styled(
            "Nothing due this week and nothing overdue.",
            THEME.dim,
        ))])
    } else {
        List::new(items)
    }
    .block(Block::bordered().title(title))
    .highlight_style(THEME.focused);
    let mut state =
        ListState::default().with_selected((!rows.is_empty()).then_some(app.selected[0]));
    f.render_stateful_widget(list, due_area, &mut state);
    let block = Block::bordered().title(" This week: to read · deliverables ");
    let inner = block.inner(read_area);
    f.render_widget(block, read_area);
    let [read_list, deliv_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(5)]).areas(inner);
    let width = read_list.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    if o.to_read.is_empty() {
        lines.push(Line::styled(
            "No unread papers for this week's steps.",
            THEME.dim,
        ));
    }
    let max_read = read_list.height as usize;
    let shown = if o.to_read.len() > max_read {
        max_read.saturating_sub(1)
    } else {
        max_read
    };
    for (k, t, s) in o.to_read.iter().take(shown) {
        let text = crate::util::truncate(&format!("{t}  {k}"), width.saturating_sub(9));
        lines.push(Line::from(vec![
            Span::styled(format!("{s:<8} "), THEME.due),
            Span::raw(text),
        ]));
    }
    if o.to_read.len() > shown {
        lines.push(Line::styled(
            format!("… {} more on the Papers tab", o.to_read.len() - shown),
            THEME.dim,
        ));
    }
    f.render_widget(Paragraph::new(lines), read_list);
    let dline: Vec<Span> = o
        .deliverables
        .iter()
        .flat_map(|(d, _)| {
            let mark = match d.status {
                crate::deliverables::DStatus::Done => "●",
                crate::deliverables::DStatus::InProgress => "◐",
                crate::deliverables::DStatus::NotStarted => "○",
            };
            [
                Span::styled(format!("{mark} "), THEME.deliverable(d.status)),
                Span::raw(format!("{}  ", d.id.trim_start_matches("d."))),
            ]
        })
        .collect();
    let counts: Vec<String> = o
        .papers_by_status
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    let deliv = Text::from(vec![
        Line::from(dline),
        Line::styled(
            format!("papers: {} · notes: {}", counts.join(", "), o.notes),
            THEME.dim,
        ),
    ]);
    f.render_widget(Paragraph::new(deliv).wrap(Wrap { trim: true }), deliv_area);
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
