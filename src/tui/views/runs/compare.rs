//! The compare view: the chosen metric of the marked runs overlaid, and a table of the
//! parameters that differ and their metrics.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use crate::tui::action::Action;
use crate::tui::model::runs::PALETTE;
use crate::tui::state::App;
use crate::tui::theme::THEME;
use crate::tui::widgets::chart;
use crate::util::fmt::value as fmt_value;

pub fn draw(f: &mut Frame, app: &App, ids: &[String], area: Rect) {
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
        Some(p) => {
            let k = |a| app.keymap.key(a);
            let title = format!(
                "{metric} ({} {} metric · {} log · {} x-axis · {}/{} smoothing)",
                k(Action::PrevMetric),
                k(Action::NextMetric),
                k(Action::ToggleLogY),
                k(Action::ToggleXAxis),
                k(Action::SmoothMore),
                k(Action::SmoothLess)
            );
            chart::render(f, p, chart_area, &title, super::chart_opts(app))
        }
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
            let c = THEME.chart_series(crate::runs::series::colour_index(&r.id, PALETTE));
            let mut cells = vec![
                Cell::from(Span::styled("━━", c)),
                Cell::from(r.id.clone()),
                Cell::from(Span::styled(r.status.as_str(), THEME.run_status(r.status))),
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
            .block(Block::bordered().title(format!(
                " Compare: parameters that differ and metrics ({} back) ",
                app.keymap.key(Action::ClearFilter)
            ))),
        table_area,
    );
}
