//! The Plan tab: steps and items (or day by day) with the selection's detail.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::state::{App, PlanRow, Tab};
use crate::tui::theme::THEME;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    let rows = app.plan_rows();
    let sched = &app.data.schedule;
    let days = if app.day_view {
        sched.days(&app.data.plan)
    } else {
        Vec::new()
    };
    let sel = app.selected[Tab::Plan as usize];
    // Render only the visible slice.
    let height = left.height.saturating_sub(2) as usize;
    let offset = sel.saturating_sub(height.saturating_sub(1));
    let items: Vec<ListItem> = rows
        .iter()
        .skip(offset)
        .take(height)
        .map(|r| match r {
            PlanRow::Step(si) => {
                let s = &app.data.plan.steps[*si];
                let (a, b) = sched.step_span(s);
                let done = s
                    .items
                    .iter()
                    .filter(|i| app.data.done.contains_key(&i.id))
                    .count();
                ListItem::new(Line::from(vec![
                    Span::styled(format!("{} {}", s.id, s.title), THEME.step),
                    Span::styled(
                        format!(
                            "  {}–{}  {done}/{}",
                            a.format("%b %d"),
                            b.format("%b %d"),
                            s.items.len()
                        ),
                        THEME.dim,
                    ),
                ]))
            }
            PlanRow::Item(si, ii) => {
                let s = &app.data.plan.steps[*si];
                let i = &s.items[*ii];
                let done = app.data.done.contains_key(&i.id);
                let due = sched.due(s, i);
                let overdue = !done && due < app.data.today;
                let (mark, style) = if done {
                    ("[x]", THEME.done)
                } else if overdue {
                    ("[!]", THEME.overdue)
                } else {
                    ("[ ]", Style::default())
                };
                ListItem::new(Line::from(vec![
                    Span::styled(format!("  {mark} "), style),
                    Span::styled(format!("{:<9}", i.kind.as_str()), THEME.dim),
                    Span::raw(i.title.clone()),
                ]))
            }
            PlanRow::Day(di) => {
                let d = &days[*di];
                let today = d.date == app.data.today;
                let n_done = d
                    .items
                    .iter()
                    .filter(|i| app.data.done.contains_key(*i))
                    .count();
                ListItem::new(Line::from(vec![
                    Span::styled(
                        format!("{} ", d.date.format("%a %b %d")),
                        if today {
                            THEME.header
                        } else {
                            Style::default()
                        },
                    ),
                    Span::styled(format!("w{:<2} ", d.week), THEME.dim),
                    Span::raw(if d.items.is_empty() {
                        "review / catch-up".to_string()
                    } else {
                        format!("{} item(s), {n_done} done", d.items.len())
                    }),
                    Span::styled(if today { "  ← today" } else { "" }, THEME.header),
                ]))
            }
        })
        .collect();
    let title = if app.day_view {
        " Plan — day by day ".to_string()
    } else {
        format!(" Plan ({}) ", app.data.curriculum_source)
    };
    let list = List::new(items)
        .block(Block::bordered().title(title))
        .highlight_style(THEME.focused);
    let mut state = ListState::default().with_selected((!rows.is_empty()).then_some(sel - offset));
    f.render_stateful_widget(list, left, &mut state);

    // Detail.
    let mut lines: Vec<Line> = Vec::new();
    match rows.get(sel) {
        Some(PlanRow::Step(si)) => {
            let s = &app.data.plan.steps[*si];
            let (a, b) = sched.step_span(s);
            lines.push(Line::styled(
                format!("{} — {}", s.id, s.title),
                THEME.header,
            ));
            lines.push(Line::styled(
                format!("{a} → {b} (nominal weeks {}–{})", s.week_from, s.week_to),
                THEME.dim,
            ));
            lines.push(Line::raw(""));
            lines.extend(s.summary.lines().map(|l| Line::raw(l.to_string())));
        }
        Some(PlanRow::Item(si, ii)) => {
            let s = &app.data.plan.steps[*si];
            let i = &s.items[*ii];
            item_detail(app, s, i, &mut lines);
        }
        Some(PlanRow::Day(di)) => {
            let d = &days[*di];
            lines.push(Line::styled(
                format!("{} — week {}", d.date.format("%A %Y-%m-%d"), d.week),
                THEME.header,
            ));
            lines.push(Line::raw(""));
            for id in &d.items {
                if let Some((s, i)) = app.data.plan.items().find(|(_, i)| &i.id == id) {
                    let done = app.data.done.contains_key(id);
                    lines.push(Line::from(vec![
                        Span::styled(
                            if done { "[x] " } else { "[ ] " },
                            if done { THEME.done } else { Style::default() },
                        ),
                        Span::raw(i.title.clone()),
                        Span::styled(format!("  {} · {}", s.id, i.id), THEME.dim),
                    ]));
                }
            }
        }
        None => lines.push(Line::styled("No items match the filter.", THEME.dim)),
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" Detail ")),
        right,
    );
}

pub fn item_detail(
    app: &App,
    s: &crate::plan::Step,
    i: &crate::plan::Item,
    lines: &mut Vec<Line<'static>>,
) {
    let sched = &app.data.schedule;
    let done = app.data.done.get(&i.id);
    lines.push(Line::styled(i.title.clone(), THEME.header));
    lines.push(Line::styled(
        format!(
            "{} · {} · {}{}",
            i.id,
            i.kind.as_str(),
            s.id,
            i.group
                .as_ref()
                .map(|g| format!(" · {g}"))
                .unwrap_or_default()
        ),
        THEME.dim,
    ));
    let due = sched.due(s, i);
    let mut meta = vec![Span::raw(format!("due {due}"))];
    if let Some(h) = i.hours {
        meta.push(Span::raw(format!(" · ~{h}h")));
    }
    if let Some(p) = &i.project {
        meta.push(Span::styled(format!(" · project {p}"), THEME.accent));
    }
    match done {
        Some(at) => meta.push(Span::styled(
            format!(" · done {}", crate::util::prefix(at, 10)),
            THEME.done,
        )),
        None if due < app.data.today => meta.push(Span::styled(" · overdue", THEME.overdue)),
        None => {}
    }
    lines.push(Line::from(meta));
    if !i.detail.is_empty() {
        lines.push(Line::raw(""));
        lines.extend(i.detail.lines().map(|l| Line::raw(l.to_string())));
    }
    if !i.refs.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Papers", THEME.step));
        for k in &i.refs {
            match app.data.papers.iter().find(|p| &p.key == k) {
                Some(p) => lines.push(Line::from(vec![
                    Span::styled(
                        format!("{:<10} ", p.status.as_str()),
                        THEME.paper_status(p.status),
                    ),
                    Span::raw(p.title.clone()),
                    Span::styled(
                        p.link().map(|l| format!("  {l}")).unwrap_or_default(),
                        THEME.dim,
                    ),
                ])),
                None => lines.push(Line::styled(
                    format!("{k} (not in the library)"),
                    THEME.overdue,
                )),
            }
        }
    }
    let notes: Vec<_> = app
        .data
        .notes
        .iter()
        .filter(|n| n.item.as_deref() == Some(&i.id))
        .collect();
    if !notes.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Notes", THEME.step));
        for n in notes {
            lines.push(Line::raw(format!("#{} {}", n.id, n.title)));
        }
    }
}
