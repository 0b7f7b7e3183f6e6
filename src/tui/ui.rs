//! Rendering: a pure function of [`App`] state. No I/O here.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{
    Block, Borders, Cell, Clear, LineGauge, List, ListItem, ListState, Paragraph, Row, Table,
    TableState, Tabs, Wrap,
};
use ratatui::Frame;

use super::action::Action;
use super::state::{App, Mode, PlanRow, Tab, TABS};
use super::theme::THEME;
use crate::overview::position_text;

pub fn draw(f: &mut Frame, app: &App) {
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(f.area());
    draw_tabs(f, app, top);
    match app.tab {
        Tab::Today => draw_today(f, app, body),
        Tab::Plan => draw_plan(f, app, body),
        Tab::Papers => draw_papers(f, app, body),
        Tab::Notes => draw_notes(f, app, body),
        Tab::Runs => super::runs_ui::draw(f, app, body),
        Tab::Deliverables => draw_deliverables(f, app, body),
        Tab::Cards => super::cards_ui::draw(f, app, body),
    }
    draw_bottom(f, app, bottom);
    match &app.mode {
        Mode::Help => draw_help(f, app),
        Mode::Input { purpose, input } => draw_prompt(f, &purpose.title(), input),
        Mode::Confirm { prompt, .. } => draw_confirm(f, prompt),
        Mode::Editor(_) => draw_editor(f, app),
        _ => {}
    }
}

fn draw_tabs(f: &mut Frame, app: &App, area: Rect) {
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
        .map(|(i, t)| Line::from(format!(" {} {t} ", i + 1)))
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

fn hint(app: &App, pairs: &[(Action, &str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (a, label) in pairs {
        spans.push(Span::styled(app.keymap.key(*a), THEME.hint_key));
        spans.push(Span::styled(format!(" {label}  "), THEME.hint));
    }
    Line::from(spans)
}

fn draw_bottom(f: &mut Frame, app: &App, area: Rect) {
    let line = match &app.mode {
        Mode::Filter => Line::from(vec![
            Span::styled("/", THEME.hint_key),
            Span::raw(app.filter().to_string()),
            Span::styled("▏", THEME.hint_key),
            Span::styled("   enter keep · esc clear", THEME.dim),
        ]),
        Mode::Editor(_) => Line::styled("ctrl-s save · esc cancel", THEME.hint),
        _ if app.cards_take_keys() => super::cards_ui::hint_line(app),
        _ => {
            if let Some(s) = &app.status {
                let style = if s.starts_with("error") {
                    THEME.error
                } else {
                    THEME.due
                };
                Line::styled(s.clone(), style)
            } else {
                let mut pairs = vec![(Action::Help, "help"), (Action::NextTab, "tab")];
                match app.tab {
                    Tab::Today => {
                        pairs.extend([(Action::ToggleDone, "done"), (Action::NewNote, "note")])
                    }
                    Tab::Plan => pairs.extend([
                        (Action::ToggleDone, "done"),
                        (Action::NewNote, "note"),
                        (Action::ToggleDayView, "by day"),
                        (Action::Filter, "filter"),
                    ]),
                    Tab::Papers => pairs.extend([
                        (Action::CycleStatus, "status"),
                        (Action::CyclePriority, "priority"),
                        (Action::CycleRating, "rating"),
                        (Action::NewNote, "note"),
                        (Action::Filter, "filter"),
                    ]),
                    Tab::Notes => pairs.extend([
                        (Action::Open, "edit"),
                        (Action::NewNote, "new"),
                        (Action::Filter, "search"),
                    ]),
                    Tab::Runs => match &app.runs.view {
                        super::runs::RunsView::Table => pairs.extend([
                            (Action::Open, "open"),
                            (Action::NewRun, "launch"),
                            (Action::ToggleDone, "mark"),
                            (Action::Compare, "compare"),
                            (Action::CancelRun, "cancel"),
                            (Action::Filter, "filter"),
                        ]),
                        super::runs::RunsView::Run(_) => pairs.extend([
                            (Action::ClearFilter, "back"),
                            (Action::ToggleFollow, "follow"),
                            (Action::Filter, "search"),
                            (Action::NextMetric, "metrics"),
                            (Action::ToggleLogY, "log y"),
                            (Action::CancelRun, "cancel"),
                            (Action::Rerun, "re-run"),
                        ]),
                        super::runs::RunsView::Compare(_) => pairs.extend([
                            (Action::ClearFilter, "back"),
                            (Action::NextMetric, "metric"),
                            (Action::ExportReport, "export report"),
                        ]),
                        _ => pairs.extend([
                            (Action::ClearFilter, "back"),
                            (Action::NextMetric, "metric"),
                        ]),
                    },
                    Tab::Deliverables => pairs.extend([
                        (Action::CycleStatus, "status"),
                        (Action::NewNote, "evidence note"),
                    ]),
                    Tab::Cards => {
                        pairs.extend([(Action::Open, "review"), (Action::Mock, "mock interview")])
                    }
                }
                if !app.filter().is_empty() {
                    pairs.push((Action::ClearFilter, "clear filter"));
                }
                pairs.push((Action::Quit, "quit"));
                hint(app, &pairs)
            }
        }
    };
    f.render_widget(Paragraph::new(line), area);
}

fn draw_today(f: &mut Frame, app: &App, area: Rect) {
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

fn draw_plan(f: &mut Frame, app: &App, area: Rect) {
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

fn item_detail(
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

fn visible_window(sel: usize, height: usize) -> usize {
    sel.saturating_sub(height.saturating_sub(1))
}

fn draw_papers(f: &mut Frame, app: &App, area: Rect) {
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

fn draw_notes(f: &mut Frame, app: &App, area: Rect) {
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
            "No notes yet — press n to write one."
        } else {
            "No notes match."
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

fn draw_deliverables(f: &mut Frame, app: &App, area: Rect) {
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
                "none yet — press n to write a note that counts as evidence",
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

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn draw_help(f: &mut Frame, app: &App) {
    let entry = |(a, _, help): &(Action, Vec<super::keymap::Chord>, &str)| {
        Line::from(vec![
            Span::styled(
                format!("{:>20}  ", app.keymap.keys_label(*a)),
                THEME.hint_key,
            ),
            Span::raw(help.to_string()),
        ])
    };
    let n = app.keymap.bindings.len();
    let screen = f.area();
    // One column when it fits, else two side by side.
    let columns = if (n as u16 + 2) <= screen.height {
        1
    } else {
        2
    };
    let rows = n.div_ceil(columns);
    let area = centered(screen, 64 * columns as u16 + 2, rows as u16 + 2);
    f.render_widget(Clear, area);
    let block = Block::bordered()
        .title(" Keys (? or esc closes; rebind in config [keys]) ")
        .border_style(THEME.header);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let cols = Layout::horizontal(vec![Constraint::Ratio(1, columns as u32); columns]).split(inner);
    for (c, col) in cols.iter().enumerate() {
        let lines: Vec<Line> = app
            .keymap
            .bindings
            .iter()
            .skip(c * rows)
            .take(rows)
            .map(entry)
            .collect();
        f.render_widget(Paragraph::new(lines), *col);
    }
}

fn draw_confirm(f: &mut Frame, prompt: &str) {
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

fn draw_prompt(f: &mut Frame, title: &str, input: &str) {
    let area = centered(f.area(), 60, 3);
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::raw(input.to_string()),
            Span::styled("▏", THEME.hint_key),
        ]))
        .block(
            Block::bordered()
                .title(format!(" {title} (enter create · esc cancel) "))
                .border_style(THEME.header),
        ),
        area,
    );
}

fn draw_editor(f: &mut Frame, app: &App) {
    let Mode::Editor(ed) = &app.mode else { return };
    let outer = f.area();
    let area = Rect {
        x: outer.x + 2,
        y: outer.y + 1,
        width: outer.width.saturating_sub(4),
        height: outer.height.saturating_sub(2),
    };
    f.render_widget(Clear, area);
    render_editor(f, ed, area, "ctrl-s save · esc cancel");
}

/// The built-in editor in `area`, with its cursor (also used by mock interviews).
pub(super) fn render_editor(f: &mut Frame, ed: &super::editor::Editor, area: Rect, keys: &str) {
    let title = if ed.confirm_discard {
        " unsaved changes — esc again discards, ctrl-s saves ".to_string()
    } else {
        format!(
            " {} {}({keys}) ",
            ed.title,
            if ed.dirty { "● " } else { "" }
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
