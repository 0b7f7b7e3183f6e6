//! Drawing the Runs tab: the table here; a run's view (log and charts), the compare
//! view, and the projects and launch form in their own files. Pure: everything drawn
//! was prepared in the state.

mod compare;
mod launch;
mod run;

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use crate::tui::action::Action;
use crate::tui::model::runs::RunsView;
use crate::tui::state::{App, Tab};
use crate::tui::theme::THEME;
use crate::tui::widgets::chart::ChartOpts;
use crate::tui::widgets::sparkline::sparkline_text;
use crate::util::fmt::value as fmt_value;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    match &app.runs.view {
        RunsView::Table => table(f, app, area),
        RunsView::Run(id) => run::draw(f, app, id, area),
        RunsView::Compare(ids) => compare::draw(f, app, ids, area),
        RunsView::Projects => launch::projects(f, app, area),
        RunsView::Launch(form) => launch::form(f, app, form, area),
    }
}

/// How the charts are drawn (the state's chart options).
fn chart_opts(app: &App) -> ChartOpts {
    ChartOpts {
        smoothing: app.runs.smoothing,
        log_y: app.runs.log_y,
        x_time: app.runs.x_time,
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
            Line::raw(format!("Press {} to launch a project, or from a shell:", app.keymap.key(Action::NewRun))),
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
                Cell::from(Span::styled(status, THEME.run_status(r.status))),
                Cell::from(r.id.clone()),
                Cell::from(crate::util::fmt::duration(r.duration(d.now))),
                Cell::from(params.join(" ")),
                Cell::from(mtext),
                Cell::from(Span::styled(spark, THEME.gauge)),
            ])
        })
        .collect();
    let k = |a| app.keymap.key(a);
    let title = format!(
        " Runs ({}{}) · sorted by {} ({}) · {} · marked {} ",
        rows_idx.len(),
        if app.filter().is_empty() {
            String::new()
        } else {
            format!(" of {}", d.runs.len())
        },
        app.runs.sort.label(),
        k(Action::SortRuns),
        metric
            .as_deref()
            .map(|m| format!(
                "metric {m} ({} {} to change)",
                k(Action::PrevMetric),
                k(Action::NextMetric)
            ))
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
