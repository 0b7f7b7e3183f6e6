//! Drawing the turn-taking view.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Bar, BarChart, BarGroup, Block, Chart, Dataset, GraphType, Paragraph,
};
use ratatui::Frame;

use super::{TurnData, WINDOW_S};
use crate::rt::State;
use crate::tui::theme::THEME;

fn pct(xs: &[f64], q: f64) -> String {
    crate::eval::latency::percentile(xs, q).map_or("-".into(), |v| format!("{v:.0}"))
}

/// Draw the view into `area`.
pub fn render(f: &mut Frame, area: Rect, d: &TurnData, title: &str) {
    let [head, signal, bottom] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(8),
        Constraint::Length(12),
    ])
    .areas(area);
    let state = d.state.unwrap_or(State::Listening);
    let mut spans = vec![
        Span::styled(format!(" {} ", state.label()), THEME.agent_state(state)),
        Span::raw(format!(
            "  answers {} · cut-offs {} · barge-ins {}",
            d.v2v_ms.len() + d.cut_offs,
            d.cut_offs,
            d.barge_ms.len()
        )),
    ];
    if let Some(last) = d.v2v_ms.last() {
        spans.push(Span::raw(format!(" · last voice-to-voice {last:.0} ms")));
    }
    let info: Vec<String> = d
        .info
        .iter()
        .filter(|(k, _)| ["source", "vad", "detector", "pace"].contains(&k.as_str()))
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let second = match &d.done {
        Some(s) => Line::styled(format!(" {s}"), THEME.session_summary),
        None => Line::styled(format!(" {}", info.join(" · ")), THEME.dim),
    };
    f.render_widget(
        Paragraph::new(vec![Line::from(spans), second])
            .block(Block::default().title(format!(" {title} "))),
        head,
    );

    // signal: energy (dB, mapped to 0..1 over −80..0) and VAD / end-of-turn probabilities
    let t_end = d.energy.last().map_or(WINDOW_S, |p| p.0.max(WINDOW_S));
    let t0 = t_end - WINDOW_S;
    let window = |v: &[(f64, f64)], map: &dyn Fn(f64) -> f64| -> Vec<(f64, f64)> {
        v.iter()
            .filter(|p| p.0 >= t0)
            .map(|p| (p.0, map(p.1)))
            .collect()
    };
    let energy = window(&d.energy, &|e| ((e + 80.0) / 80.0).clamp(0.0, 1.0));
    let vad = window(&d.vad, &|v| v);
    let eot = window(&d.eot, &|v| v);
    let sets = vec![
        Dataset::default()
            .name("energy (−80…0 dB)")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(THEME.signal_energy)
            .data(&energy),
        Dataset::default()
            .name("VAD probability")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(THEME.signal_vad)
            .data(&vad),
        Dataset::default()
            .name("end-of-turn probability")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(THEME.signal_eot)
            .data(&eot),
    ];
    f.render_widget(
        Chart::new(sets)
            .block(Block::bordered().title(" Signal (last 8 s) "))
            .x_axis(
                Axis::default()
                    .bounds([t0, t_end])
                    .labels([format!("{t0:.1} s"), format!("{t_end:.1} s")]),
            )
            .y_axis(Axis::default().bounds([0.0, 1.0]).labels(["0", "1"])),
        signal,
    );

    let [hist, stats] =
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(bottom);
    let bins = d.histogram();
    let bars: Vec<Bar> = bins
        .iter()
        .map(|(l, c)| Bar::default().label(Line::from(l.clone())).value(*c))
        .collect();
    f.render_widget(
        BarChart::default()
            .block(Block::bordered().title(" Voice to voice, ms (answers per bin) "))
            .data(BarGroup::default().bars(&bars))
            .bar_width(5)
            .bar_gap(1)
            .bar_style(THEME.latency_bars),
        hist,
    );
    let lines = vec![
        Line::styled("answers to finished turns", THEME.dim),
        Line::raw("            p50   p95   p99"),
        Line::raw(format!(
            "end of turn {:>5} {:>5} {:>5}",
            pct(&d.eot_ms, 50.0),
            pct(&d.eot_ms, 95.0),
            pct(&d.eot_ms, 99.0)
        )),
        Line::raw(format!(
            "voice→voice {:>5} {:>5} {:>5}",
            pct(&d.v2v_ms, 50.0),
            pct(&d.v2v_ms, 95.0),
            pct(&d.v2v_ms, 99.0)
        )),
        Line::raw(format!(
            "barge-in    {:>5} {:>5} {:>5}",
            pct(&d.barge_ms, 50.0),
            pct(&d.barge_ms, 95.0),
            pct(&d.barge_ms, 99.0)
        )),
        Line::raw(""),
        Line::styled("budget: decision ≤ 300 · v2v p95 < 800", THEME.dim),
    ];
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Latency, ms ")),
        stats,
    );
}
