//! Rendering of the Cards tab: overview, review, summary, mock interview. Pure.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Cell, Gauge, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::overlays::editor_keys;
use crate::cards::mock::RATING_SCALE;
use crate::cards::review::Summary;
use crate::cards::{fmt_interval, CardState, Grade};
use crate::tui::action::Action;
use crate::tui::keymap::Scope;
use crate::tui::model::cards::{CardsView, MockPhase, MockUi, ReviewUi};
use crate::tui::state::{App, Tab};
use crate::tui::theme::THEME;
use crate::tui::widgets::editor;
use crate::util::fmt::clock as clock_text;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    match &app.cards.view {
        CardsView::Overview => overview(f, app, area),
        CardsView::Review(r) => review(f, app, r, area),
        CardsView::Done(s) => summary(f, s, area),
        CardsView::Mock(m) => mock(f, app, m, area),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.0}%", x * 100.0))
        .unwrap_or_else(|| "–".into())
}

fn overview(f: &mut Frame, app: &App, area: Rect) {
    let d = &app.cards.data;
    let s = &d.stats;
    let [head, table] = Layout::vertical([Constraint::Length(6), Constraint::Min(3)]).areas(area);
    let mut lines = vec![
        Line::from(vec![
            Span::styled(" Flashcards ", THEME.header),
            Span::styled(
                format!(
                    "· {} cards · {} new · {} learning · {} review",
                    s.total - s.suspended - s.orphaned,
                    s.new,
                    s.learning,
                    s.review
                ),
                THEME.dim,
            ),
        ]),
        Line::from(vec![
            Span::raw(" today: "),
            Span::styled(format!("{} due", s.due_now), THEME.due),
            Span::raw(format!(
                " · {} new left (cap {}) · {} reviews done · retention (30 d) {}",
                s.new_left_today.min(s.new),
                app.cards.settings.new_per_day,
                s.reviews_today,
                pct(s.retention_30d)
            )),
        ]),
        Line::from(vec![
            Span::styled(" next 7 days: ", THEME.dim),
            Span::raw(
                s.forecast
                    .iter()
                    .map(|(day, n)| format!("{} {n}", day.format("%a")))
                    .collect::<Vec<_>>()
                    .join(" · "),
            ),
        ]),
    ];
    if let Some(e) = &d.error {
        lines.push(Line::styled(format!(" question bank: {e}"), THEME.error));
    } else {
        lines.push(Line::from(vec![
            Span::styled(format!(" {}", app.keymap.key(Action::Open)), THEME.hint_key),
            Span::raw(" reviews today's cards · "),
            Span::styled(app.keymap.key(Action::Mock), THEME.hint_key),
            Span::raw(format!(
                " starts a {} mock interview on the selected topic (first row: your weakest)",
                clock_text(app.cards.settings.mock_minutes * 60.0)
            )),
        ]));
    }
    f.render_widget(Paragraph::new(lines).block(Block::bordered()), head);
    let by_item = |item: &str| s.topics.iter().find(|t| t.topic == item);
    let mut rows = vec![Row::new(vec![
        Cell::from("All topics — weighted to the weakest"),
        Cell::from(""),
        Cell::from(format!("{}", s.total - s.suspended - s.orphaned)),
        Cell::from(format!("{}", s.due_now)),
        Cell::from(""),
        Cell::from(""),
        Cell::from(""),
    ])];
    for t in &d.scores {
        let cs = by_item(&t.item);
        rows.push(Row::new(vec![
            Cell::from(t.title.clone()),
            Cell::from(t.item.clone()),
            Cell::from(
                cs.map(|c| c.cards.to_string())
                    .unwrap_or_else(|| "–".into()),
            ),
            Cell::from(cs.map(|c| c.due.to_string()).unwrap_or_else(|| "–".into())),
            Cell::from(format!("{}/{}", t.answered, t.questions)),
            Cell::from(
                t.mean_rating
                    .map(|m| format!("{m:.1}"))
                    .unwrap_or_else(|| "–".into()),
            ),
            Cell::from(format!("{:.2}", t.weakness)),
        ]));
    }
    let widths = [
        Constraint::Min(30),
        Constraint::Length(22),
        Constraint::Length(6),
        Constraint::Length(5),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(9),
    ];
    let table_w = Table::new(rows, widths)
        .header(
            Row::new(vec![
                "topic (weakest first)",
                "plan item",
                "cards",
                "due",
                "answered",
                "rating",
                "weakness",
            ])
            .style(THEME.header),
        )
        .row_highlight_style(THEME.focused)
        .block(Block::bordered().title(" Topics "));
    let mut st = TableState::default().with_selected(Some(app.selected[Tab::Cards as usize]));
    f.render_stateful_widget(table_w, table, &mut st);
}

fn review(f: &mut Frame, app: &App, r: &ReviewUi, area: Rect) {
    let Some(card) = r.session.current() else {
        return;
    };
    let (n, l, rv) = r.session.left();
    let [head, q, a, buttons] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Percentage(35),
        Constraint::Min(3),
        Constraint::Length(3),
    ])
    .areas(area);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" Review ", THEME.header),
            Span::styled(format!("{n} new"), THEME.accent),
            Span::raw(" · "),
            Span::styled(format!("{l} learning"), THEME.overdue),
            Span::raw(" · "),
            Span::styled(format!("{rv} review"), THEME.done),
            Span::styled(
                format!(
                    "   done {} · card {} · {} · {}",
                    r.session.summary.reviewed,
                    card.id,
                    card.state.as_str(),
                    card.topic.as_deref().unwrap_or(card.source.as_str())
                ),
                THEME.dim,
            ),
        ])),
        head,
    );
    f.render_widget(
        Paragraph::new(card.front.clone())
            .wrap(Wrap { trim: false })
            .block(
                Block::bordered()
                    .title(" Question ")
                    .border_style(THEME.header),
            ),
        q,
    );
    let answer = if r.session.revealed {
        Paragraph::new(Text::raw(card.back.clone())).wrap(Wrap { trim: false })
    } else {
        Paragraph::new(Line::styled(
            format!(
                "{} shows the answer — say yours aloud first",
                app.keymap.key_in(Scope::Review, Action::Reveal)
            ),
            THEME.dim,
        ))
    };
    f.render_widget(answer.block(Block::bordered().title(" Answer ")), a);
    if let Some(next) = &r.next {
        let cols = Layout::horizontal([Constraint::Ratio(1, 4); 4]).split(buttons);
        for (k, nx) in next.iter().enumerate() {
            let key = app.keymap.key_in(Scope::Review, grade_action(nx.grade));
            f.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled(format!("{key} "), THEME.hint_key),
                    Span::styled(nx.grade.label().to_string(), THEME.grade(nx.grade)),
                    Span::styled(format!("  {}", fmt_interval(nx.interval)), THEME.dim),
                ]))
                .centered()
                .block(Block::bordered()),
                cols[k],
            );
        }
    } else if card.state == CardState::New {
        f.render_widget(
            Paragraph::new(Line::styled("a new card", THEME.dim))
                .centered()
                .block(Block::bordered()),
            buttons,
        );
    } else {
        f.render_widget(Block::bordered(), buttons);
    }
}

fn summary(f: &mut Frame, s: &Summary, area: Rect) {
    let lines = if s.reviewed == 0 {
        vec![
            Line::styled(" Nothing to review right now.", THEME.done),
            Line::raw(""),
            Line::styled(
                " New cards wait for tomorrow's cap; the forecast on the Cards tab shows what comes due.",
                THEME.dim,
            ),
        ]
    } else {
        vec![
            Line::styled(" Review finished", THEME.header),
            Line::raw(""),
            Line::raw(format!(
                " {} review(s) of {} card(s), {} new, in {}",
                s.reviewed,
                s.cards,
                s.new,
                clock_text(s.seconds as f64)
            )),
            Line::from(vec![
                Span::raw(" "),
                Span::styled(format!("again {}", s.again), THEME.grade(Grade::Again)),
                Span::raw(" · "),
                Span::styled(format!("hard {}", s.hard), THEME.grade(Grade::Hard)),
                Span::raw(" · "),
                Span::styled(format!("good {}", s.good), THEME.grade(Grade::Good)),
                Span::raw(" · "),
                Span::styled(format!("easy {}", s.easy), THEME.grade(Grade::Easy)),
            ]),
        ]
    };
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Summary ")),
        area,
    );
}

fn mock(f: &mut Frame, app: &App, m: &MockUi, area: Rect) {
    let q = &m.question;
    let [head, question, timer, rest] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(5),
        Constraint::Length(1),
        Constraint::Min(3),
    ])
    .areas(area);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(
                format!(" Mock interview · question {} ", m.number),
                THEME.header,
            ),
            Span::styled(
                format!(
                    "· {} ({}) · {} · {}",
                    q.topic,
                    q.item,
                    q.kind.as_str(),
                    q.level.as_str()
                ),
                THEME.dim,
            ),
        ])),
        head,
    );
    f.render_widget(
        Paragraph::new(q.text.clone())
            .wrap(Wrap { trim: false })
            .block(
                Block::bordered()
                    .title(" Question ")
                    .border_style(THEME.header),
            ),
        question,
    );
    let left = m.left(app.cards.now);
    let ratio = (left / m.limit_secs).clamp(0.0, 1.0);
    let (label, style) = if left >= 0.0 {
        (
            format!("{} left of {}", clock_text(left), clock_text(m.limit_secs)),
            THEME.gauge,
        )
    } else {
        (
            format!("{} over {}", clock_text(-left), clock_text(m.limit_secs)),
            THEME.error,
        )
    };
    f.render_widget(
        Gauge::default()
            .gauge_style(style)
            .ratio(ratio)
            .label(label),
        timer,
    );
    match &m.phase {
        MockPhase::Answering => {
            let keys = editor_keys(app, &[(Action::Save, "done"), (Action::Cancel, "abandon")]);
            editor::render(f, &m.editor, rest, &keys);
        }
        MockPhase::Rating { .. } | MockPhase::Done { .. } => {
            let [l, r] =
                Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)])
                    .areas(rest);
            let yours = match &m.phase {
                MockPhase::Rating { answer, .. } => answer.clone(),
                _ => m.editor.text(),
            };
            f.render_widget(
                Paragraph::new(yours)
                    .wrap(Wrap { trim: false })
                    .block(Block::bordered().title(" Your answer ")),
                l,
            );
            let [model, foot] =
                Layout::vertical([Constraint::Min(3), Constraint::Length(4)]).areas(r);
            f.render_widget(
                Paragraph::new(q.answer.clone())
                    .wrap(Wrap { trim: false })
                    .block(
                        Block::bordered()
                            .title(" Model answer ")
                            .border_style(THEME.header),
                    ),
                model,
            );
            let foot_text = match &m.phase {
                MockPhase::Done { rating, card } => match (rating, card) {
                    (Some(r), Some(c)) => Line::styled(
                        format!(" saved: {r}/5 — card {c} joins today's review"),
                        THEME.due,
                    ),
                    (Some(r), None) => Line::styled(format!(" saved: {r}/5"), THEME.done),
                    (None, _) => Line::styled(" saved without a rating", THEME.dim),
                },
                _ => Line::raw(format!(" rate: {}", RATING_SCALE.join(" · "))),
            };
            f.render_widget(
                Paragraph::new(foot_text)
                    .wrap(Wrap { trim: true })
                    .block(Block::bordered()),
                foot,
            );
        }
    }
}

/// The review action that gives `g`.
fn grade_action(g: Grade) -> Action {
    match g {
        Grade::Again => Action::GradeAgain,
        Grade::Hard => Action::GradeHard,
        Grade::Good => Action::GradeGood,
        Grade::Easy => Action::GradeEasy,
    }
}
