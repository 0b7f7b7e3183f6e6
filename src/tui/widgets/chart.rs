//! A metric chart from prepared (smoothed, downsampled) lines.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType};
use ratatui::Frame;

use crate::tui::model::runs::Prepared;
use crate::tui::theme::THEME;
use crate::util::fmt::value as fmt_value;

/// How the chart was prepared (it says so in its title and axes).
#[derive(Debug, Clone, Copy)]
pub struct ChartOpts {
    pub smoothing: f64,
    pub log_y: bool,
    pub x_time: bool,
}

pub fn render<'a>(f: &mut Frame, p: &'a Prepared, area: Rect, title: &str, o: ChartOpts) {
    let line = |data: &'a [(f64, f64)], style: Style| {
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(style)
            .data(data)
    };
    let mut datasets = Vec::new();
    for (label, colour, raw, smooth) in &p.lines {
        if o.smoothing > 0.0 {
            // The raw line faint behind the smoothed one (TensorBoard's look).
            datasets.push(line(raw, THEME.chart_raw(*colour)));
            datasets.push(line(smooth, THEME.chart_series(*colour)).name(label.clone()));
        } else {
            datasets.push(line(raw, THEME.chart_series(*colour)).name(label.clone()));
        }
    }
    let fmt = |v: f64| {
        if o.log_y {
            fmt_value(Some(10f64.powf(v)))
        } else {
            fmt_value(Some(v))
        }
    };
    let xl = if o.x_time { "seconds" } else { "step" };
    let chart = Chart::new(datasets)
        .block(Block::bordered().title(format!(
            " {title} · smoothing {:.1}{} ",
            o.smoothing,
            if o.log_y { " · log y" } else { "" }
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
