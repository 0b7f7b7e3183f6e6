//! `App::handle` without a database or files: an `App` built from plain data, driven
//! by key presses (through the keymap) and the runner's messages, checked by the state
//! it reaches and the effects it asks for.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::cards::bank::{Kind, Level, Question};
use crate::cards::{Card, CardState, Grade};
use crate::deliverables::{DStatus, Deliverable};
use crate::notes::NoteSummary;
use crate::papers::{Paper, Status};
use crate::plan::{Item, ItemKind, Plan, Schedule, Step};
use crate::runs::query::RunRow;
use crate::tui::keymap::{HelpLine, Keymap, Screen};
use crate::tui::model::cards::{CardsView, MockPhase};
use crate::tui::model::logbuf::LogLine;
use crate::tui::model::runs::RunsView;

fn item(id: &str, kind: ItemKind, title: &str) -> Item {
    Item {
        id: id.into(),
        kind,
        group: None,
        title: title.into(),
        detail: String::new(),
        week: Some(1),
        hours: None,
        project: None,
        refs: vec![],
        line: 1,
    }
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn data() -> Data {
    let plan = Plan {
        steps: vec![Step {
            id: "s1".into(),
            title: "Foundations".into(),
            summary: "The basics.".into(),
            week_from: 1,
            week_to: 2,
            source: "s1.md".into(),
            items: vec![
                item("s1.attention", ItemKind::Topic, "Attention"),
                item("s1.vaswani", ItemKind::Paper, "Read the transformer paper"),
                item("s1.report", ItemKind::Deliverable, "A short report"),
            ],
        }],
    };
    let paper = Paper {
        key: "vaswani2017attention".into(),
        entry_type: "article".into(),
        title: "Attention is all you need".into(),
        authors: "Vaswani et al.".into(),
        year: Some("2017".into()),
        venue: None,
        arxiv: None,
        doi: None,
        url: None,
        status: Status::Queued,
        priority: 2,
        rating: None,
        notes: String::new(),
        tags: vec![],
        steps: vec!["s1".into()],
        source: "test".into(),
    };
    let note = NoteSummary {
        id: 7,
        path: "attention.md".into(),
        title: "Attention notes".into(),
        paper: None,
        item: Some("s1.attention".into()),
        run: None,
        created_at: "2026-12-01T10:00:00Z".into(),
        updated_at: "2026-12-01T10:00:00Z".into(),
    };
    let deliverable = Deliverable {
        id: "s1.report".into(),
        step: "s1".into(),
        title: "A short report".into(),
        status: DStatus::NotStarted,
        evidence: vec![],
    };
    Data::new(DataParts {
        plan,
        schedule: Schedule::new(date("2026-11-30"), 12).unwrap(),
        done: HashMap::new(),
        papers: vec![paper],
        notes: vec![note],
        deliverables: vec![deliverable],
        today: date("2026-12-02"),
        curriculum_source: "test".into(),
    })
}

fn app() -> App {
    App::new(data(), Keymap::default_map())
}

fn with_keys(keys: &[(&str, &[&str])]) -> App {
    let o: BTreeMap<String, Vec<String>> = keys
        .iter()
        .map(|(a, k)| (a.to_string(), k.iter().map(|s| s.to_string()).collect()))
        .collect();
    App::new(data(), Keymap::with_overrides(&o).unwrap())
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap()
}

fn card(id: i64) -> Card {
    Card {
        id,
        uid: format!("card-{id}"),
        source: "test".into(),
        topic: Some("attention".into()),
        front: format!("Question {id}?"),
        back: format!("Answer {id}."),
        ..Card::blank(now())
    }
}

fn question() -> Question {
    Question {
        id: "q.attention.scale".into(),
        topic: "attention".into(),
        item: "s1.attention".into(),
        kind: Kind::Theory,
        level: Level::Core,
        text: "Why scale the dot products?".into(),
        answer: "To keep the softmax out of saturation.".into(),
        body: String::new(),
        code: None,
        own_work: None,
        follow_up: None,
        cites: vec![],
        line: 1,
    }
}

fn run_row(rowid: i64, id: &str, status: crate::runs::Status) -> RunRow {
    RunRow {
        rowid,
        id: id.into(),
        name: "train".into(),
        project: None,
        command: "python train.py".into(),
        params: BTreeMap::new(),
        dir: std::path::PathBuf::from("/nonexistent"),
        status,
        reason: None,
        stalled: false,
        exit_code: None,
        signal: None,
        pid: None,
        created_at: "2026-12-02T09:00:00Z".into(),
        started_at: None,
        ended_at: None,
        last_output: None,
        sweep: None,
        seed: None,
        git_commit: None,
        git_dirty: None,
        host: None,
        backend: "local".into(),
        note: String::new(),
        tags: vec![],
        lines: 0,
    }
}

/// The Runs tab with two finished runs, loaded the way the runner reports them.
fn runs_app() -> App {
    let mut a = app();
    let data = crate::tui::model::runs::RunsData {
        runs: vec![
            run_row(2, "run-b", crate::runs::Status::Completed),
            run_row(1, "run-a", crate::runs::Status::Running),
        ],
        ..Default::default()
    };
    assert_eq!(
        a.handle(Msg::Runs {
            data: Box::new(data),
            projects: true
        }),
        vec![]
    );
    a.handle(key('5'));
    assert_eq!(a.tab, Tab::Runs);
    a
}

#[test]
fn keys_reach_actions_through_the_keymap() {
    let mut a = app();
    assert_eq!(a.handle(key('2')), vec![]);
    assert_eq!(a.tab, Tab::Plan);
    a.handle(key('j'));
    assert_eq!(a.selected[Tab::Plan as usize], 1);
    // Row 1 is s1.attention: space marks it done.
    assert_eq!(
        a.handle(key(' ')),
        vec![Effect::SetDone("s1.attention".into(), true)]
    );
    a.handle(code(KeyCode::Tab));
    assert_eq!(a.tab, Tab::Papers);
    assert_eq!(
        a.handle(key('s')),
        vec![Effect::SetPaperStatus(
            "vaswani2017attention".into(),
            Status::Reading
        )]
    );
    assert_eq!(
        a.handle(key('p')),
        vec![Effect::SetPaperPriority("vaswani2017attention".into(), 3)]
    );
    // A key bound nowhere does nothing; a text key outside text input neither.
    assert_eq!(a.handle(key('z')), vec![]);
    assert_eq!(a.handle(crate::tui::action::TextKey::Char('x')), vec![]);
    assert_eq!(a.handle(key('q')), vec![Effect::Quit]);
    assert_eq!(a.handle(ctrl('c')), vec![Effect::Quit]);
}

#[test]
fn opening_an_item_without_a_note_says_which_key_writes_one() {
    let mut a = app();
    a.handle(key('2'));
    a.handle(key('j'));
    a.handle(key('j'));
    assert_eq!(a.handle(code(KeyCode::Enter)), vec![]);
    assert_eq!(
        a.status.as_deref(),
        Some("no note on s1.vaswani yet — press n to write one")
    );
    let mut b = with_keys(&[("new_note", &["N"])]);
    b.handle(key('2'));
    b.handle(key('j'));
    b.handle(key('j'));
    b.handle(code(KeyCode::Enter));
    assert!(b.status.as_deref().unwrap().contains("press N"));
    // Enter on an item with a note edits it.
    a.handle(key('k'));
    assert_eq!(a.handle(code(KeyCode::Enter)), vec![Effect::EditNote(7)]);
}

#[test]
fn the_filter_takes_typed_text_and_the_keymap_keeps_or_clears_it() {
    let mut a = app();
    a.handle(key('2'));
    a.handle(key('/'));
    assert_eq!(a.mode, Mode::Filter);
    assert!(a.text_mode());
    for c in "report".chars() {
        a.handle(key(c));
    }
    // `q` and `j` type in the filter instead of quitting or moving.
    assert_eq!(a.filters[Tab::Plan as usize], "report");
    a.handle(code(KeyCode::Enter));
    assert_eq!(a.mode, Mode::Normal);
    assert_eq!(a.plan_rows().len(), 2, "the step and its matching item");
    a.handle(key('/'));
    a.handle(code(KeyCode::Esc));
    assert_eq!(a.filters[Tab::Plan as usize], "");
    // The Notes filter also searches bodies (an effect).
    a.handle(key('4'));
    a.handle(key('/'));
    assert_eq!(a.handle(key('x')), vec![Effect::SearchNotes("x".into())]);
    assert_eq!(a.handle(Msg::NoteHits(vec![7])), vec![]);
    assert_eq!(a.note_hits, Some(vec![7]));
}

#[test]
fn a_prompt_and_the_editor_submit_save_and_cancel_through_the_keymap() {
    let mut a = app();
    a.handle(key('3'));
    a.handle(key('n'));
    assert!(matches!(
        a.mode,
        Mode::Input {
            purpose: Purpose::NoteTitle(_),
            ..
        }
    ));
    for c in "Thoughts".chars() {
        a.handle(key(c));
    }
    match &a.handle(code(KeyCode::Enter))[..] {
        [Effect::CreateNote { title, attach }] => {
            assert_eq!(title, "Thoughts");
            assert_eq!(attach.paper.as_deref(), Some("vaswani2017attention"));
        }
        other => panic!("{other:?}"),
    }
    // The runner's report: the note was made, so it is edited; the text comes back.
    assert_eq!(a.handle(Msg::NoteCreated(9)), vec![Effect::EditNote(9)]);
    a.handle(Msg::NoteText {
        id: 9,
        title: "Thoughts".into(),
        text: "# Thoughts\n".into(),
    });
    assert!(matches!(a.mode, Mode::Editor(_)));
    assert_eq!(a.screen(), Screen::Editor);
    a.handle(key('x'));
    a.handle(code(KeyCode::Enter));
    a.handle(key('q'));
    assert_eq!(
        a.handle(ctrl('s')),
        vec![Effect::SaveNote(9, "# Thoughtsx\nq\n".into())]
    );
    // Esc with unsaved changes asks first; rebinding `cancel` moves that too.
    let mut b = with_keys(&[("cancel", &["ctrl-g"])]);
    b.open_editor(1, "t".into(), "a\n");
    b.handle(key('b'));
    b.handle(code(KeyCode::Esc));
    assert!(
        matches!(&b.mode, Mode::Editor(e) if !e.confirm_discard),
        "esc is not cancel now"
    );
    b.handle(ctrl('g'));
    b.handle(ctrl('g'));
    assert_eq!(b.mode, Mode::Normal);
    assert_eq!(b.status.as_deref(), Some("edit discarded"));
}

#[test]
fn a_review_reveals_grades_skips_and_ends_by_keys() {
    let mut a = app();
    a.handle(key('7'));
    assert_eq!(a.tab, Tab::Cards);
    assert_eq!(a.handle(code(KeyCode::Enter)), vec![Effect::CardsReview]);
    a.handle(Msg::ReviewQueue {
        cards: vec![card(1), card(2), card(3)],
        now: now(),
    });
    assert!(a.text_mode(), "the review has the keys");
    assert_eq!(a.screen(), Screen::Review);
    // Grades wait for the answer; `3` is not the Papers tab here.
    assert_eq!(a.handle(key('3')), vec![]);
    assert_eq!(a.tab, Tab::Cards);
    a.handle(key(' '));
    assert_eq!(a.screen(), Screen::ReviewAnswer);
    match &a.cards.view {
        CardsView::Review(r) => assert!(r.session.revealed && r.next.is_some()),
        v => panic!("{v:?}"),
    }
    let fx = a.handle(key('3'));
    let [Effect::CardsGrade { card: 1, grade, .. }] = &fx[..] else {
        panic!("{fx:?}")
    };
    assert_eq!(*grade, Grade::Good);
    // The runner stored it: the next card is on show, answer hidden.
    let mut after = card(1);
    after.state = CardState::Learning;
    assert_eq!(
        a.handle(Msg::Graded {
            grade: Grade::Good,
            after: Box::new(after),
            now: now(),
        }),
        vec![]
    );
    assert_eq!(a.screen(), Screen::Review);
    // `s` skips (it is not the paper-status key here); `q` ends the review.
    a.handle(key('s'));
    assert_eq!(a.handle(key('q')), vec![Effect::CardsReload]);
    assert_eq!(a.screen(), Screen::ReviewSummary);
    // Any key leaves the summary.
    a.handle(key('x'));
    assert!(!a.text_mode());
    assert!(matches!(a.cards.view, CardsView::Overview));
}

#[test]
fn review_keys_are_rebindable_and_the_hint_bar_follows() {
    let mut a = with_keys(&[("reveal", &["v"]), ("grade_good", &["g"])]);
    a.handle(key('7'));
    a.handle(Msg::ReviewQueue {
        cards: vec![card(1)],
        now: now(),
    });
    assert_eq!(a.hints()[0], ("v".to_string(), "show answer"));
    a.handle(key(' '));
    assert_eq!(a.screen(), Screen::Review, "space no longer reveals");
    a.handle(key('v'));
    assert_eq!(a.hints()[2], ("g".to_string(), "good"));
    assert_eq!(a.handle(key('3')), vec![]);
    assert!(matches!(
        &a.handle(key('g'))[..],
        [Effect::CardsGrade {
            grade: Grade::Good,
            ..
        }]
    ));
}

#[test]
fn a_mock_interview_answers_rates_and_moves_on_by_keys() {
    let mut a = app();
    a.handle(key('7'));
    assert_eq!(
        a.handle(key('m')),
        vec![Effect::CardsMock {
            filter: None,
            session: None,
            asked: vec![]
        }]
    );
    a.handle(Msg::MockQuestion {
        filter: None,
        question: Box::new(question()),
        session: None,
        asked: vec![],
        now: now(),
    });
    assert!(a.cards.timer_running());
    assert_eq!(a.screen(), Screen::MockAnswer);
    // Keys type the answer (`q`, `n`, `1` included).
    for c in "q1 n".chars() {
        a.handle(key(c));
    }
    a.handle(Msg::Clock(now() + chrono::Duration::seconds(30)));
    a.handle(ctrl('s'));
    match &a.cards.view {
        CardsView::Mock(m) => assert_eq!(
            m.phase,
            MockPhase::Rating {
                answer: "q1 n".into(),
                secs: 30.0
            }
        ),
        v => panic!("{v:?}"),
    }
    assert_eq!(a.screen(), Screen::MockRating);
    assert_eq!(a.hints()[0], ("1-5".to_string(), "rate your answer"));
    assert_eq!(a.handle(key('9')), vec![]);
    assert_eq!(
        a.handle(key('2')),
        vec![Effect::CardsRecordMock { rating: Some(2) }]
    );
    assert_eq!(
        a.handle(Msg::MockRecorded {
            session: 4,
            rating: Some(2),
            card: Some(11),
            now: now(),
        }),
        vec![Effect::CardsReload]
    );
    assert_eq!(a.screen(), Screen::MockDone);
    assert_eq!(
        a.handle(key('n')),
        vec![Effect::CardsMock {
            filter: None,
            session: Some(4),
            asked: vec!["q.attention.scale".into()]
        }]
    );
    assert_eq!(
        a.handle(code(KeyCode::Esc)),
        vec![Effect::CardsFinishMock(4)]
    );
    assert!(matches!(a.cards.view, CardsView::Overview));
    // No question left: back to the overview with the reason.
    assert_eq!(
        a.handle(Msg::MockUnavailable("no questions on that topic".into())),
        vec![Effect::CardsReload]
    );
    assert_eq!(a.status.as_deref(), Some("no questions on that topic"));
}

#[test]
fn mock_keys_are_rebindable() {
    let mut a = with_keys(&[("rate_5", &["f5"]), ("save", &["ctrl-d"])]);
    a.handle(key('7'));
    a.handle(Msg::MockQuestion {
        filter: Some("attention".into()),
        question: Box::new(question()),
        session: Some(1),
        asked: vec![],
        now: now(),
    });
    a.handle(ctrl('s'));
    assert_eq!(a.screen(), Screen::MockAnswer, "ctrl-s is not save now");
    a.handle(ctrl('d'));
    assert_eq!(a.screen(), Screen::MockRating);
    assert_eq!(a.handle(key('5')), vec![]);
    assert_eq!(
        a.handle(code(KeyCode::F(5))),
        vec![Effect::CardsRecordMock { rating: Some(5) }]
    );
}

#[test]
fn confirm_asks_with_its_keys_and_carries_out_on_yes() {
    let mut a = runs_app();
    // The first row is run-b (completed): delete asks.
    assert_eq!(a.handle(key('D')), vec![]);
    let Mode::Confirm { prompt, .. } = &a.mode else {
        panic!("{:?}", a.mode)
    };
    assert_eq!(prompt, "Delete run run-b and its directory? y/n");
    assert_eq!(a.scope(), crate::tui::keymap::Scope::Confirm);
    assert_eq!(a.handle(key('n')), vec![]);
    assert_eq!(a.status.as_deref(), Some("cancelled"));
    a.handle(key('D'));
    assert_eq!(a.handle(key('y')), vec![Effect::DeleteRun("run-b".into())]);
    // Any other key says no.
    a.handle(key('D'));
    assert_eq!(a.handle(key('x')), vec![]);
    assert_eq!(a.mode, Mode::Normal);
    // Rebound, the prompt names the new keys.
    let mut b = with_keys(&[("yes", &["enter"]), ("no", &["esc"])]);
    b.handle(Msg::Runs {
        data: Box::new(crate::tui::model::runs::RunsData {
            runs: vec![run_row(2, "run-b", crate::runs::Status::Completed)],
            ..Default::default()
        }),
        projects: true,
    });
    b.handle(key('5'));
    b.handle(key('D'));
    let Mode::Confirm { prompt, .. } = &b.mode else {
        panic!()
    };
    assert!(prompt.ends_with("? enter/esc"), "{prompt}");
    assert_eq!(b.handle(key('y')), vec![], "y says no now");
    b.handle(key('D'));
    assert_eq!(
        b.handle(code(KeyCode::Enter)),
        vec![Effect::DeleteRun("run-b".into())]
    );
}

#[test]
fn the_runners_reports_fold_into_the_state() {
    let mut a = runs_app();
    // An active run cannot be deleted; cancel it first.
    a.handle(key('j'));
    assert_eq!(a.handle(key('D')), vec![]);
    assert_eq!(
        a.status.as_deref(),
        Some("run-a is running: cancel it first")
    );
    assert_eq!(a.handle(key('X')), vec![Effect::CancelRun("run-a".into())]);
    assert_eq!(
        a.handle(Msg::Cancelled {
            run: "run-a".into(),
            outcome: "killed".into()
        }),
        vec![Effect::LoadRuns { projects: true }]
    );
    assert_eq!(a.status.as_deref(), Some("run-a: killed"));
    // Open a run: the log comes back, then its points.
    assert_eq!(
        a.handle(code(KeyCode::Enter)),
        vec![Effect::OpenRun("run-a".into())]
    );
    let line = |t: &str| LogLine {
        stderr: false,
        text: t.into(),
    };
    assert_eq!(
        a.handle(Msg::Log {
            run: "run-a".into(),
            lines: vec![line("starting"), line("step 1")],
            fresh: true
        }),
        vec![Effect::LoadSeries]
    );
    assert_eq!(a.runs.log.as_ref().map(|l| l.lines.len()), Some(2));
    a.handle(Msg::Log {
        run: "run-b".into(),
        lines: vec![line("not ours")],
        fresh: false,
    });
    assert_eq!(a.runs.log.as_ref().map(|l| l.lines.len()), Some(2));
    a.handle(Msg::Series {
        run: "run-a".into(),
        points: vec![("loss".into(), 0, vec![(0, 0.0, 3.0), (1, 1.0, 2.0)])],
    });
    assert_eq!(a.runs.series[0].1.len(), 2);
    assert!(!a.runs.prepared.is_empty(), "charts prepared for drawing");
    // A stale report (points held already moved on) is dropped.
    a.handle(Msg::Series {
        run: "run-a".into(),
        points: vec![("loss".into(), 0, vec![(0, 0.0, 3.0)])],
    });
    assert_eq!(a.runs.series[0].1.len(), 2);
    // A new table while a run is open asks for that run's new points.
    assert_eq!(
        a.handle(Msg::Runs {
            data: Box::new(a.runs_data.clone()),
            projects: false
        }),
        vec![Effect::LoadSeries]
    );
    // The run is deleted elsewhere: back to the table.
    assert_eq!(
        a.handle(Msg::RunDeleted("run-a".into())),
        vec![Effect::LoadRuns { projects: true }]
    );
    assert_eq!(a.runs.view, RunsView::Table);
    assert_eq!(a.status.as_deref(), Some("deleted run-a"));
    // A failed effect shows as an error; fresh data replaces the old and the preview.
    a.handle(Msg::Failed("disk full".into()));
    assert_eq!(a.status.as_deref(), Some("error: disk full"));
    a.preview = None;
    a.handle(Msg::Data(Box::new(data())));
    assert!(a.preview.is_none());
    // A sweep is planned: asked first, started on yes.
    a.handle(Msg::SweepPlanned {
        project: "lm".into(),
        params: vec![("lr".into(), "1e-3,3e-3".into())],
        lines: vec!["lr=1e-3".into(), "lr=3e-3".into()],
        slurm: false,
    });
    let Mode::Confirm { prompt, .. } = &a.mode else {
        panic!()
    };
    assert!(prompt.starts_with("Sweep lm: 2 run(s)") && prompt.ends_with("Start them? y/n"));
    assert!(matches!(
        &a.handle(key('y'))[..],
        [Effect::LaunchSweep { .. }]
    ));
}

#[test]
fn the_hint_bar_lists_what_help_lists() {
    let mut a = app();
    let text = |a: &App| {
        a.hints()
            .iter()
            .map(|(k, l)| format!("{k} {l}"))
            .collect::<Vec<_>>()
            .join("  ")
    };
    assert_eq!(text(&a), "? help  tab tab  space done  n note  q quit");
    let help = a.keymap.help_lines();
    let in_help = |keys: &str| {
        help.iter().any(|l| match l {
            HelpLine::Entry { keys: k, .. } => k.split('/').any(|x| x == keys) || k == keys,
            _ => false,
        })
    };
    let mut screens = vec![];
    for t in ['1', '2', '3', '4', '5', '6', '7'] {
        a.handle(key(t));
        screens.push(a.hints());
    }
    a.handle(Msg::ReviewQueue {
        cards: vec![card(1)],
        now: now(),
    });
    screens.push(a.hints());
    a.handle(key(' '));
    screens.push(a.hints());
    for hints in screens {
        for (k, label) in hints {
            let first = k.split('-').next().unwrap_or(&k);
            assert!(
                in_help(&k) || in_help(first),
                "`{k} {label}` is not in the help"
            );
        }
    }
    // The help names every scope.
    for title in [
        "Cards: a review",
        "Mock interview: the model answer",
        "Yes/no questions",
    ] {
        assert!(help.contains(&HelpLine::Section(title)), "{title}");
    }
    // Rebound keys show in both.
    let b = with_keys(&[("toggle_done", &["d"])]);
    assert_eq!(text(&b), "? help  tab tab  d done  n note  q quit");
    assert!(b.keymap.help_lines().iter().any(
        |l| matches!(l, HelpLine::Entry { keys, help } if keys == "d" && help.starts_with("done"))
    ));
}

#[test]
fn the_help_overlay_scrolls_and_closes() {
    let mut a = app();
    a.size = (120, 20);
    a.handle(key('?'));
    assert_eq!(a.mode, Mode::Help);
    a.handle(key('j'));
    a.handle(key('j'));
    assert_eq!(a.help_scroll, 2);
    assert_eq!(a.mode, Mode::Help, "moving scrolls, the overlay stays");
    a.handle(key('G'));
    let max = help_grid(a.keymap.help_lines().len(), a.size).max_scroll;
    assert!(max > 0);
    assert_eq!(a.help_scroll, max);
    a.handle(key('j'));
    assert_eq!(a.help_scroll, max);
    a.handle(code(KeyCode::Esc));
    assert_eq!((a.mode.clone(), a.help_scroll), (Mode::Normal, 0));
}

#[test]
fn an_action_of_another_scope_does_nothing() {
    let mut a = app();
    assert_eq!(a.handle(crate::tui::action::Action::GradeGood), vec![]);
    assert_eq!(a.handle(crate::tui::action::Action::Yes), vec![]);
    assert_eq!(a.handle(crate::tui::action::Action::Save), vec![]);
    assert_eq!(a.tab, Tab::Today);
    assert_eq!(a.mode, Mode::Normal);
}
