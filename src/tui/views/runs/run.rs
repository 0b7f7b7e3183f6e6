//! A run's view: its status and command, the live log and its charts (the
//! turn-taking view for `latency` runs).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::action::Action;
use crate::tui::state::App;
use crate::tui::theme::THEME;
use crate::tui::turn_view::{self, TurnData};
use crate::tui::widgets::{chart, log};

pub fn draw(f: &mut Frame, app: &App, id: &str, area: Rect) {
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
        THEME.run_status(r.status).add_modifier(Modifier::REVERSED),
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
        let data = TurnData::from_series(&app.runs.series);
        turn_view::render(f, live, &data, "Turn-taking session");
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
            chart::render(f, p, *a, &p.title, super::chart_opts(app));
        }
    }
}

fn log_view(f: &mut Frame, app: &App, area: Rect) {
    let follow_key = app.keymap.key(Action::ToggleFollow);
    let opts = log::LogOpts {
        scroll: app.runs.scroll,
        search: &app.runs.search,
        wrap: app.runs.wrap,
        follow_key: &follow_key,
    };
    log::render(f, app.runs.log.as_ref(), area, &opts);
}
