//! Drawing the Runs tab: table, run view (log + charts), compare view, projects and
//! the launch form. Pure: everything drawn was prepared in the state.

use ansi_to_tui::IntoText;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Cell, Chart, Dataset, GraphType, List, ListItem, ListState, Paragraph, Row, Table,
    TableState, Wrap,
};
use ratatui::Frame;

use super::runs::{Prepared, RunsView, PALETTE};
use super::state::{App, Tab};
use super::theme::THEME;
use crate::runs::Status;
use crate::util::fmt::value as fmt_value;

const COLOURS: [Color; PALETTE] = [
    Color::Cyan,
    Color::Yellow,
    Color::Magenta,
    Color::Green,
    Color::LightRed,
    Color::LightBlue,
    Color::White,
    Color::LightGreen,
];

pub fn status_style(s: Status) -> Style {
    match s {
        Status::Queued => THEME.dim,
        Status::Running => THEME.header,
        Status::Completed => THEME.done,
        Status::Failed | Status::Lost => THEME.overdue,
        Status::Killed => THEME.due,
    }
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    match &app.runs.view {
        RunsView::Table => table(f, app, area),
        RunsView::Run(id) => run_view(f, app, id, area),
        RunsView::Compare(ids) => compare(f, app, ids, area),
        RunsView::Projects => projects(f, app, area),
        RunsView::Launch(form) => launch(f, form, area),
    }
}

fn table(f: &mut Frame, app: &App, area: Rect) {
    let d = &app.runs_data;
    let rows_idx = app.run_rows();
    if d.runs.is_empty() {
        let text = vec![
            Line::raw(""),
            Line::styled("No runs yet.", THEME.header),
            Line::raw(""),
            Line::raw(format!("Press {} to launch a project, or from a shell:", app.keymap.key(super::action::Action::NewRun))),
            Line::styled("labbook run start --cmd 'python train.py'   ·   labbook project list", THEME.dim),
            Line::raw(""),
            Line::styled("A line your program prints as a JSON object is a metrics record: {\"step\": 10, \"loss\": 2.31}", THEME.dim),
        ];
        f.render_widget(
            Paragraph::new(text)
                .centered()
                .block(Block::bordered().title(" Runs ")),
            area,
        );
        return;
    }
    let visible: Vec<_> = rows_idx.iter().map(|&i| d.runs[i].clone()).collect();
    let diff = crate::runs::query::differing_params(&visible);
    let metric = app.chosen_metric();
    let sel = app.selected[Tab::Runs as usize];
    let height = area.height.saturating_sub(3) as usize;
    let offset = sel.saturating_sub(height.saturating_sub(1));
    let spark_w = 16usize;
    let rows: Vec<Row> = visible
        .iter()
        .skip(offset)
        .take(height)
        .map(|r| {
            let mark = if app.runs.marked.contains(&r.id) {
                "●"
            } else {
                " "
            };
            let mut status = r.status.as_str().to_string();
            if r.stalled {
                status.push_str(" ⚠");
            }
            let params: Vec<String> = diff
                .iter()
                .filter_map(|k| {
                    r.params
                        .get(k)
                        .map(|v| format!("{k}={}", crate::runs::plain(v)))
                })
                .collect();
            let m = metric.as_ref().and_then(|k| {
                d.summaries
                    .get(&r.rowid)
                    .and_then(|s| s.iter().find(|x| &x.key == k))
            });
            let mtext = m
                .map(|m| {
                    format!(
                        "{} ({}…{})",
                        fmt_value(m.last),
                        m.min.map(|v| fmt_value(Some(v))).unwrap_or("-".into()),
                        m.max.map(|v| fmt_value(Some(v))).unwrap_or("-".into())
                    )
                })
                .unwrap_or_default();
            let spark = d
                .sparks
                .get(&r.rowid)
                .map(|v| sparkline_text(v, spark_w))
                .unwrap_or_default();
            Row::new(vec![
                Cell::from(Span::styled(mark, THEME.accent)),
                Cell::from(Span::styled(status, status_style(r.status))),
                Cell::from(r.id.clone()),
                Cell::from(crate::util::fmt::duration(r.duration(d.now))),
                Cell::from(params.join(" ")),
                Cell::from(mtext),
                Cell::from(Span::styled(spark, THEME.gauge)),
            ])
        })
        .collect();
    let title = format!(
        " Runs ({}{}) · sorted by {} (o) · {} · marked {} ",
        rows_idx.len(),
        if app.filter().is_empty() {
            String::new()
        } else {
            format!(" of {}", d.runs.len())
        },
        app.runs.sort.label(),
        metric
            .as_deref()
            .map(|m| format!("metric {m} ([ ] to change)"))
            .unwrap_or_else(|| "no metrics yet".into()),
        app.runs.marked.len()
    );
    let title = if app.ingesting {
        title
    } else {
        format!("{title}· read-only: another labbook is ingesting ")
    };
    let mcol = format!("{} last (min…max)", metric.clone().unwrap_or_default());
    let header = Row::new(vec![
        "",
        "status",
        "run",
        "time",
        "params that differ",
        mcol.as_str(),
        "trend",
    ])
    .style(THEME.dim);
    let table = Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Length(11),
            Constraint::Length(34),
            Constraint::Length(7),
            Constraint::Min(12),
            Constraint::Length(26),
            Constraint::Length(spark_w as u16),
        ],
    )
    .header(header)
    .block(Block::bordered().title(title))
    .row_highlight_style(THEME.focused);
    let mut state =
        TableState::default().with_selected((!visible.is_empty()).then_some(sel - offset));
    f.render_stateful_widget(table, area, &mut state);
}

/// Unicode block sparkline of the last `width` values (NaN shown as a gap).
pub fn sparkline_text(values: &[f64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let tail = &values[values.len().saturating_sub(width)..];
    let finite: Vec<f64> = tail.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return String::new();
    }
    let (lo, hi) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    tail.iter()
        .map(|v| {
            if !v.is_finite() {
                ' '
            } else if hi == lo {
                BARS[3]
            } else {
                BARS[(((v - lo) / (hi - lo)) * 7.0).round() as usize]
            }
        })
        .collect()
}

fn chart<'a>(f: &mut Frame, app: &App, p: &'a Prepared, area: Rect, title: &str) {
    let line = |data: &'a [(f64, f64)], style: Style| {
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(style)
            .data(data)
    };
    let mut datasets = Vec::new();
    for (label, colour, raw, smooth) in &p.lines {
        let c = Style::default().fg(COLOURS[*colour % PALETTE]);
        if app.runs.smoothing > 0.0 {
            // The raw line faint behind the smoothed one (TensorBoard's look).
            datasets.push(line(raw, c.add_modifier(Modifier::DIM)));
            datasets.push(line(smooth, c).name(label.clone()));
        } else {
            datasets.push(line(raw, c).name(label.clone()));
        }
    }
    let fmt = |v: f64| {
        if app.runs.log_y {
            fmt_value(Some(10f64.powf(v)))
        } else {
            fmt_value(Some(v))
        }
    };
    let xl = if app.runs.x_time { "seconds" } else { "step" };
    let chart = Chart::new(datasets)
        .block(Block::bordered().title(format!(
            " {title} · smoothing {:.1}{} ",
            app.runs.smoothing,
            if app.runs.log_y { " · log y" } else { "" }
        )))
        .x_axis(
            Axis::default()
                .title(xl)
                .style(THEME.dim)
                .bounds(p.x)
                .labels([format!("{:.0}", p.x[0]), format!("{:.0}", p.x[1])]),
        )
        .y_axis(
            Axis::default()
                .style(THEME.dim)
                .bounds(p.y)
                .labels([fmt(p.y[0]), fmt(p.y[1])]),
        )
        .legend_position(if p.lines.len() > 1 {
            Some(ratatui::widgets::LegendPosition::TopRight)
        } else {
            None
        })
        .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)));
    f.render_widget(chart, area);
}

fn run_view(f: &mut Frame, app: &App, id: &str, area: Rect) {
    let d = &app.runs_data;
    let Some(r) = d.runs.iter().find(|r| r.id == id) else {
        f.render_widget(
            Paragraph::new("This run is no longer in the index.").block(Block::bordered()),
            area,
        );
        return;
    };
    let [head, body] = Layout::vertical([Constraint::Length(3), Constraint::Min(5)]).areas(area);
    let params: Vec<String> = r
        .params
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::runs::plain(v)))
        .collect();
    let mut status = vec![Span::styled(
        format!(" {} ", r.status.as_str()),
        status_style(r.status).add_modifier(Modifier::REVERSED),
    )];
    if r.stalled {
        status.push(Span::styled(
            " stalled: no output for a while ",
            THEME.overdue,
        ));
    }
    status.push(Span::raw(format!(
        "  {}  ·  {}  ·  {} lines",
        r.id,
        crate::util::fmt::duration(r.duration(d.now)),
        r.lines
    )));
    if let Some(reason) = &r.reason {
        status.push(Span::styled(format!("  ·  {reason}"), THEME.dim));
    }
    let head_text = vec![
        Line::from(status),
        Line::styled(format!(" $ {}", r.command), THEME.dim),
        Line::styled(
            format!(
                " {}{}",
                params.join(" "),
                if r.tags.is_empty() {
                    String::new()
                } else {
                    format!("   tags: {}", r.tags.join(", "))
                }
            ),
            THEME.accent,
        ),
    ];
    f.render_widget(Paragraph::new(head_text), head);
    if r.project.as_deref() == Some("latency") {
        // a turn-taking session: its live view over the log
        let [live, log_area] =
            Layout::vertical([Constraint::Min(23), Constraint::Length(8)]).areas(body);
        let data = super::turn_view::TurnData::from_series(&app.runs.series);
        super::turn_view::render(f, live, &data, "Turn-taking session");
        log_view(f, app, log_area);
        return;
    }
    let [log_area, charts] =
        Layout::horizontal([Constraint::Percentage(52), Constraint::Percentage(48)]).areas(body);
    log_view(f, app, log_area);
    if app.runs.prepared.is_empty() {
        f.render_widget(
            Paragraph::new(Line::styled(
                "No metrics yet. Print JSON lines like {\"step\": 1, \"loss\": 2.3}.",
                THEME.dim,
            ))
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(" Metrics ")),
            charts,
        );
    } else {
        let n = app.runs.prepared.len() as u32;
        let parts = Layout::vertical(vec![Constraint::Ratio(1, n); n as usize]).split(charts);
        for (p, a) in app.runs.prepared.iter().zip(parts.iter()) {
            chart(f, app, p, *a, &p.title);
        }
    }
}

fn log_view(f: &mut Frame, app: &App, area: Rect) {
    let block_title = match app.runs.scroll {
        None => " Log · following ".to_string(),
        Some(n) => format!(" Log · {n} lines up (f follows) "),
    };
    let block = Block::bordered().title(block_title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(log) = &app.runs.log else { return };
    let h = inner.height as usize;
    let end = log.lines.len().saturating_sub(app.runs.scroll.unwrap_or(0));
    let search = app.runs.search.to_lowercase();
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
            line = line.style(Style::default().bg(Color::Rgb(60, 60, 0)));
        }
        let rows = if app.runs.wrap {
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
    if app.runs.wrap {
        para = para.wrap(Wrap { trim: false });
        let overflow = used.saturating_sub(h) as u16;
        para = para.scroll((overflow, 0));
    }
    f.render_widget(para, inner);
}

fn compare(f: &mut Frame, app: &App, ids: &[String], area: Rect) {
    let d = &app.runs_data;
    let runs: Vec<_> = ids
        .iter()
        .filter_map(|i| d.runs.iter().find(|r| &r.id == i).cloned())
        .collect();
    let diff = crate::runs::query::differing_params(&runs);
    let metric = app.chosen_metric().unwrap_or_default();
    let [chart_area, table_area] =
        Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area);
    match app.runs.prepared.first() {
        Some(p) => chart(
            f,
            app,
            p,
            chart_area,
            &format!("{metric} ([ ] metric · y log · T x-axis · +/- smoothing)"),
        ),
        None => f.render_widget(
            Paragraph::new("No points for this metric.").block(Block::bordered()),
            chart_area,
        ),
    }
    let metrics: Vec<String> = {
        let mut m: Vec<String> = runs
            .iter()
            .flat_map(|r| {
                d.summaries
                    .get(&r.rowid)
                    .into_iter()
                    .flatten()
                    .map(|s| s.key.clone())
            })
            .collect();
        m.sort();
        m.dedup();
        m.into_iter().take(4).collect()
    };
    let mut header = vec!["".to_string(), "run".to_string(), "status".to_string()];
    header.extend(diff.iter().cloned());
    header.extend(metrics.iter().map(|m| format!("{m} last/min")));
    let rows: Vec<Row> = runs
        .iter()
        .map(|r| {
            let c = COLOURS[crate::runs::series::colour_index(&r.id, PALETTE)];
            let mut cells = vec![
                Cell::from(Span::styled("━━", Style::default().fg(c))),
                Cell::from(r.id.clone()),
                Cell::from(Span::styled(r.status.as_str(), status_style(r.status))),
            ];
            for k in &diff {
                cells.push(Cell::from(
                    r.params
                        .get(k)
                        .map(|v| v.to_string().trim_matches('"').to_string())
                        .unwrap_or("-".into()),
                ));
            }
            for m in &metrics {
                let s = d
                    .summaries
                    .get(&r.rowid)
                    .and_then(|s| s.iter().find(|x| &x.key == m));
                cells.push(Cell::from(
                    s.map(|s| {
                        format!(
                            "{} / {}",
                            fmt_value(s.last),
                            s.min.map(|v| fmt_value(Some(v))).unwrap_or("-".into())
                        )
                    })
                    .unwrap_or("-".into()),
                ));
            }
            Row::new(cells)
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(2),
        Constraint::Length(34),
        Constraint::Length(10),
    ];
    widths.extend(diff.iter().map(|_| Constraint::Length(12)));
    widths.extend(metrics.iter().map(|_| Constraint::Length(20)));
    f.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(THEME.dim))
            .block(
                Block::bordered().title(" Compare: parameters that differ and metrics (esc back) "),
            ),
        table_area,
    );
}

fn projects(f: &mut Frame, app: &App, area: Rect) {
    let order = super::runs::RunsUi::project_order(&app.runs_data);
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
        .block(Block::bordered().title(" Launch: pick a project (enter · esc back) "))
        .highlight_style(THEME.focused);
    let mut state =
        ListState::default().with_selected((!order.is_empty()).then_some(app.runs.project_sel));
    f.render_stateful_widget(list, area, &mut state);
}

fn launch(f: &mut Frame, form: &super::runs::LaunchForm, area: Rect) {
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
    items.push(ListItem::new(Line::styled(
        "▶ Launch",
        THEME.done.add_modifier(Modifier::BOLD),
    )));
    let list = List::new(items)
        .block(Block::bordered().title(format!(
            " Launch {} — enter edits a value (a,b,c sweeps over values); enter on ▶ Launch starts; esc cancels ",
            form.project
        )))
        .highlight_style(THEME.focused);
    let mut state = ListState::default().with_selected(Some(form.selected));
    f.render_stateful_widget(list, area, &mut state);
}
