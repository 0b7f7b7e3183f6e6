//! TUI: update logic through the Action enum and key presses (through the keymap),
//! the runner's effects carried out on a real data directory, TestBackend snapshots of
//! every tab and the help overlay (insta), and a real terminal session killed with
//! SIGKILL.

use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use labbook::app::Context;
use labbook::tui::action::{Action, TextKey};
use labbook::tui::keymap::Keymap;
use labbook::tui::runner::{settle_io, Worker};
use labbook::tui::state::{App, Data, Effect, Mode, Tab};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::common::{context, labbook, labbook_pty, TODAY};

fn fixture() -> (tempfile::TempDir, Context) {
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path(), TODAY);
    let start = NaiveDate::parse_from_str("2026-11-30", "%Y-%m-%d").unwrap();
    labbook::plan::progress::save_schedule(
        &ctx.store.conn,
        &labbook::plan::Schedule::new(start, 12).unwrap(),
    )
    .unwrap();
    for id in ["s1.numpy", "s1.scipy", "s1.pytorch"] {
        labbook::plan::progress::set_done(&ctx.store.conn, id, true).unwrap();
    }
    let mut conn = rusqlite::Connection::open(dir.path().join("labbook.db")).unwrap();
    labbook::papers::update(
        &mut conn,
        "vaswani2017attention",
        &labbook::papers::PaperUpdate {
            status: Some(labbook::papers::Status::Summarised),
            rating: Some(Some(5)),
            ..Default::default()
        },
    )
    .unwrap();
    labbook::papers::update(
        &mut conn,
        "su2021roformer",
        &labbook::papers::PaperUpdate {
            status: Some(labbook::papers::Status::Reading),
            ..Default::default()
        },
    )
    .unwrap();
    labbook::notes::create(
        &ctx.store.conn,
        &ctx.notes_dir,
        &labbook::notes::NewNote {
            title: "RoPE intuition".into(),
            body: "Rotary embeddings rotate pairs of dimensions.".into(),
            item: Some("s1.attention-compare".into()),
            ..Default::default()
        },
    )
    .unwrap();
    labbook::deliverables::set_status(
        &ctx.store.conn,
        "d.whisper-finetune",
        labbook::deliverables::DStatus::InProgress,
    )
    .unwrap();
    // Pin timestamps that would otherwise be "now".
    conn.execute_batch("UPDATE items SET done_at = '2026-12-08T09:00:00Z' WHERE done_at IS NOT NULL; UPDATE notes SET created_at = '2026-12-09T10:00:00Z', updated_at = '2026-12-09T10:00:00Z';").unwrap();
    (dir, ctx)
}

fn app(ctx: &Context) -> App {
    App::new(Data::load(ctx).unwrap(), Keymap::default_map())
}

/// A key press as the terminal sends it.
fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| labbook::tui::views::draw(f, app)).unwrap();
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn snapshot_every_tab_and_the_help_overlay() {
    let (_d, ctx) = fixture();
    let mut a = app(&ctx);
    insta::assert_snapshot!("today", render(&a, 120, 36));
    a.handle(Action::Tab(1));
    a.handle(Action::Down);
    a.handle(Action::Down);
    insta::assert_snapshot!("plan", render(&a, 120, 36));
    a.handle(Action::ToggleDayView);
    insta::assert_snapshot!("plan_days", render(&a, 120, 36));
    a.handle(Action::Tab(2));
    insta::assert_snapshot!("papers", render(&a, 120, 36));
    a.handle(Action::Tab(3));
    let id = a.selected_note().unwrap().id;
    a.preview = Some(labbook::notes::get(&ctx.store.conn, id).unwrap());
    insta::assert_snapshot!("notes", render(&a, 120, 36));
    a.handle(Action::Tab(4));
    insta::assert_snapshot!("runs", render(&a, 120, 36));
    a.handle(Action::Tab(5));
    insta::assert_snapshot!("deliverables", render(&a, 120, 36));
    a.handle(Action::Help);
    insta::assert_snapshot!("help", render(&a, 120, 36));
    insta::assert_snapshot!("help_small", render(&a, 140, 24));
}

#[test]
fn small_terminals_do_not_panic() {
    let (_d, ctx) = fixture();
    let mut a = app(&ctx);
    for t in 0..6 {
        a.handle(Action::Tab(t));
        for (w, h) in [(20, 5), (40, 10), (80, 24), (1, 1)] {
            render(&a, w, h);
        }
    }
    a.handle(Action::Help);
    render(&a, 30, 8);
}

#[test]
fn actions_change_state_and_emit_effects() {
    let (_d, ctx) = fixture();
    let mut a = app(&ctx);
    assert_eq!(a.tab, Tab::Today);
    // Today: the first row is due this week; space toggles it.
    let effects = a.handle(Action::ToggleDone);
    assert!(
        matches!(&effects[..], [Effect::SetDone(_, _)]),
        "{effects:?}"
    );
    a.handle(Action::NextTab);
    assert_eq!(a.tab, Tab::Plan);
    a.handle(Action::PrevTab);
    a.handle(Action::PrevTab);
    assert_eq!(a.tab, Tab::Cards);
    a.handle(Action::PrevTab);
    assert_eq!(a.tab, Tab::Deliverables);
    assert_eq!(
        a.handle(Action::CycleStatus),
        vec![Effect::SetDeliverable(
            "d.whisper-finetune".into(),
            labbook::deliverables::DStatus::Done
        )]
    );
    // Plan: row 0 is the step header; row 1 is s1.numpy (done) → toggling undoes it.
    a.handle(Action::Tab(1));
    a.handle(Action::Down);
    assert_eq!(
        a.handle(Action::ToggleDone),
        vec![Effect::SetDone("s1.numpy".into(), false)]
    );
    a.handle(Action::Bottom);
    assert_eq!(a.selected[1], a.row_count() - 1);
    a.handle(Action::Top);
    // Filter: typing narrows the rows; esc clears.
    a.handle(Action::Filter);
    assert!(a.text_mode());
    for c in "whisper".chars() {
        a.handle(TextKey::Char(c));
    }
    a.handle(code(KeyCode::Enter));
    let rows = a.plan_rows().len();
    assert!(rows > 1 && rows < 20, "{rows}");
    a.handle(Action::ClearFilter);
    assert!(a.plan_rows().len() > 150);
    // Papers: status cycles, priority cycles, rating cycles.
    a.handle(Action::Tab(2));
    let key = a.selected_paper().unwrap().key.clone();
    let st = a.selected_paper().unwrap().status;
    assert_eq!(
        a.handle(Action::CycleStatus),
        vec![Effect::SetPaperStatus(key.clone(), st.next())]
    );
    // New note on a paper asks for a title, then creates it attached.
    a.handle(Action::NewNote);
    assert!(matches!(
        a.mode,
        Mode::Input {
            purpose: labbook::tui::state::Purpose::NoteTitle(_),
            ..
        }
    ));
    for c in "Thoughts".chars() {
        a.handle(TextKey::Char(c));
    }
    let fx = a.handle(code(KeyCode::Enter));
    match &fx[..] {
        [Effect::CreateNote { title, attach }] => {
            assert_eq!(title, "Thoughts");
            assert_eq!(attach.paper.as_deref(), Some(key.as_str()));
        }
        other => panic!("{other:?}"),
    }
    // Help opens and closes; quit quits.
    a.handle(Action::Help);
    assert_eq!(a.mode, Mode::Help);
    a.handle(Action::Down);
    assert_eq!(
        a.mode,
        Mode::Help,
        "keys other than close are swallowed by help"
    );
    a.handle(Action::ClearFilter);
    assert_eq!(a.mode, Mode::Normal);
    assert_eq!(a.handle(Action::Quit), vec![Effect::Quit]);
}

#[test]
fn filtering_papers_matches_all_words() {
    let (_d, ctx) = fixture();
    let mut a = app(&ctx);
    a.handle(Action::Tab(2));
    a.filters[2] = "speech whisper".into();
    let keys: Vec<&str> = a
        .paper_rows()
        .iter()
        .map(|&i| a.data.papers[i].key.as_str())
        .collect();
    assert_eq!(keys, ["radford2023whisper"]);
    a.filters[2] = "s4 clap".into();
    let keys: Vec<&str> = a
        .paper_rows()
        .iter()
        .map(|&i| a.data.papers[i].key.as_str())
        .collect();
    assert!(
        keys.contains(&"elizalde2023clap") && keys.contains(&"wu2023laionclap"),
        "{keys:?}"
    );
}

#[test]
fn built_in_editor_saves_through_an_effect() {
    let (_d, ctx) = fixture();
    let mut a = app(&ctx);
    a.open_editor(1, "RoPE intuition".into(), "# RoPE intuition\n");
    for c in "x".chars() {
        a.handle(TextKey::Char(c));
    }
    let fx = a.handle(ctrl('s'));
    assert_eq!(fx, vec![Effect::SaveNote(1, "# RoPE intuitionx\n".into())]);
    // Esc with unsaved changes asks first.
    a.open_editor(1, "t".into(), "a\n");
    a.handle(key('b'));
    a.handle(code(KeyCode::Esc));
    assert!(matches!(a.mode, Mode::Editor(_)));
    a.handle(code(KeyCode::Esc));
    assert_eq!(a.mode, Mode::Normal);
}

#[test]
fn key_events_reach_actions_through_the_keymap() {
    let k = Keymap::default_map();
    assert_eq!(
        k.action(&KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE)),
        Some(Action::ToggleDone)
    );
    assert_eq!(
        k.action(&KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)),
        Some(Action::NextTab)
    );
}

/// A real terminal: start the TUI in a pty, mark an item done with the space key,
/// SIGKILL the process, and check the mark is in the database.
#[test]
fn kill_9_right_after_marking_done_loses_nothing() {
    use portable_pty::{native_pty_system, PtySize};
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let status = labbook(dir.path())
        .args(["schedule", "--start", "2026-11-30"])
        .status()
        .unwrap();
    assert!(status.success());
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = labbook_pty(dir.path());
    cmd.env("TERM", "xterm-256color");
    let mut child = pty.slave.spawn_command(cmd).unwrap();
    drop(pty.slave);
    let screen = Arc::new(Mutex::new(Vec::<u8>::new()));
    let mut reader = pty.master.try_clone_reader().unwrap();
    let s2 = screen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            s2.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let wait_for = |needle: &str| {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(20) {
            if String::from_utf8_lossy(&screen.lock().unwrap()).contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "`{needle}` never appeared on screen: {:?}",
            String::from_utf8_lossy(&screen.lock().unwrap())
        );
    };
    // Spaces are drawn as cursor moves, so wait for unbroken words.
    wait_for("week 2/12");
    let mut w = pty.master.take_writer().unwrap();
    // Week 2's first due row; the status line confirms the write.
    w.write_all(b" ").unwrap();
    w.flush().unwrap();
    wait_for("✓");
    let pid = child.process_id().unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let _ = child.wait();
    let out = labbook(dir.path())
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["done"], 1,
        "the item marked done just before SIGKILL is stored"
    );
}

/// Two finished runs written as their supervisor would have, then ingested.
fn runs_fixture() -> (tempfile::TempDir, Context) {
    use labbook::runs::{self, Exit, RunMeta, SupervisorRecord};
    let (d, mut ctx) = fixture();
    let root = runs::runs_dir(&ctx.data_dir);
    for (k, (lr, code)) in [("0.001", 0), ("0.003", 1)].iter().enumerate() {
        let id = format!("20261210-09000{k}-train-lr-{}", lr.replace('.', "-"));
        let dir = root.join(&id);
        std::fs::create_dir_all(&dir).unwrap();
        let mut params = std::collections::BTreeMap::new();
        params.insert(
            "lr".to_string(),
            serde_json::json!(lr.parse::<f64>().unwrap()),
        );
        params.insert("seed".to_string(), serde_json::json!(1));
        let meta = RunMeta {
            id: id.clone(),
            name: "train".into(),
            project: None,
            argv: vec!["python3".into(), "train.py".into()],
            command: format!("python3 train.py --lr {lr}"),
            params,
            backend: "local".into(),
            created_at: format!("2026-12-10T09:00:0{k}Z"),
            ..Default::default()
        };
        runs::write_json(&dir.join(runs::META), &meta).unwrap();
        let t0 = 1_796_900_000.0 + k as f64 * 100.0;
        runs::write_json(
            &dir.join(runs::SUPERVISOR),
            &SupervisorRecord {
                supervisor_pid: 1,
                pid: 2,
                pgid: 2,
                start_ticks: 1,
                supervisor_ticks: 1,
                boot_id: "x".into(),
                started_at: t0,
            },
        )
        .unwrap();
        let mut out = String::from("\x1b[32mINFO\x1b[0m starting\n");
        let rate: f64 = lr.parse().unwrap();
        for step in 0..200 {
            let loss = 3.0 * (-(step as f64) * rate * 10.0).exp() + 0.1;
            out.push_str(&format!(
                "{{\"step\": {step}, \"loss\": {loss}, \"acc\": {}, \"time\": {}}}\n",
                1.0 - loss / 4.0,
                t0 + step as f64 * 0.5
            ));
        }
        out.push_str("done\n");
        std::fs::write(dir.join(runs::STDOUT), out).unwrap();
        std::fs::write(
            dir.join(runs::STDERR),
            if *code == 0 { "" } else { "Traceback: boom\n" },
        )
        .unwrap();
        runs::write_json(
            &dir.join(runs::EXIT),
            &Exit {
                code: Some(*code),
                at: t0 + 100.0,
                ..Default::default()
            },
        )
        .unwrap();
    }
    let mut ing = labbook::runs::ingest::Ingester::new(&root);
    ing.cycle(&mut ctx.store.conn).unwrap();
    (d, ctx)
}

#[test]
fn snapshot_runs_table_run_view_and_compare() {
    let (_d, mut ctx) = runs_fixture();
    let mut a = app(&ctx);
    a.size = (140, 40);
    labbook::tui::refresh_runs_view(&mut a, &ctx).unwrap();
    a.handle(Action::Tab(4));
    insta::assert_snapshot!("runs_table", render(&a, 140, 40));
    // Open the first run: log and charts (the runner reads them and reports back).
    let fx = a.handle(Action::Open);
    assert!(matches!(&fx[..], [Effect::OpenRun(_)]));
    let mut w = Worker::new(&mut ctx, None);
    settle_io(&mut a, &mut w, fx).unwrap();
    assert!(a.runs.log.is_some() && !a.runs.series.is_empty());
    insta::assert_snapshot!("runs_run_view", render(&a, 140, 40));
    // Log search jumps to the match; log-y and x = time redraw the charts.
    a.handle(Action::Filter);
    for c in "starting".chars() {
        a.handle(TextKey::Char(c));
    }
    a.handle(code(KeyCode::Enter));
    assert!(a.runs.scroll.is_some(), "scrolled up to the match");
    a.handle(Action::ToggleFollow);
    assert_eq!(a.runs.scroll, None);
    // Back, mark both, compare.
    a.handle(Action::ClearFilter);
    a.handle(Action::Top);
    a.handle(Action::ToggleDone);
    a.handle(Action::ToggleDone);
    let fx = a.handle(Action::Compare);
    let ids = match &fx[..] {
        [Effect::LoadCompare(ids)] => ids.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(ids.len(), 2);
    settle_io(&mut a, &mut w, fx).unwrap();
    assert_eq!(a.runs.compare.len(), 2);
    insta::assert_snapshot!("runs_compare", render(&a, 140, 40));
    a.handle(Action::ToggleLogY);
    a.handle(Action::ToggleXAxis);
    render(&a, 140, 40);
    // The launch flow: projects, then the form of a runnable project.
    a.handle(Action::ClearFilter);
    a.handle(Action::NewRun);
    insta::assert_snapshot!("runs_projects", render(&a, 140, 40));
    a.handle(Action::Open);
    assert!(
        matches!(a.runs.view, labbook::tui::model::runs::RunsView::Launch(_)),
        "{:?}",
        a.runs.view
    );
    insta::assert_snapshot!("runs_launch", render(&a, 140, 40));
    // Enter on a field edits it; the last row launches.
    a.handle(Action::Open);
    assert!(a.text_mode());
    a.handle(code(KeyCode::Esc));
    let n = match &a.runs.view {
        labbook::tui::model::runs::RunsView::Launch(f) => f.fields.len(),
        _ => unreachable!(),
    };
    for _ in 0..n {
        a.handle(Action::Down);
    }
    let fx = a.handle(Action::Open);
    assert!(matches!(&fx[..], [Effect::Launch { .. }]), "{fx:?}");
}

#[test]
fn runs_tab_empty_state_and_confirmed_delete() {
    let (_d, ctx) = fixture();
    let mut a = app(&ctx);
    labbook::tui::refresh_runs_view(&mut a, &ctx).unwrap();
    a.handle(Action::Tab(4));
    insta::assert_snapshot!("runs_empty", render(&a, 120, 20));
    let (_d2, ctx2) = runs_fixture();
    let mut a = app(&ctx2);
    labbook::tui::refresh_runs_view(&mut a, &ctx2).unwrap();
    a.handle(Action::Tab(4));
    a.handle(Action::DeleteRun);
    assert!(matches!(a.mode, Mode::Confirm { .. }));
    assert_eq!(a.handle(key('n')), vec![]);
    a.handle(Action::DeleteRun);
    let fx = a.handle(key('y'));
    assert!(matches!(&fx[..], [Effect::DeleteRun(_)]));
    // Tags: words add, -words remove.
    a.handle(Action::TagRun);
    for c in "best -old".chars() {
        a.handle(TextKey::Char(c));
    }
    match &a.handle(code(KeyCode::Enter))[..] {
        [Effect::TagRun { add, remove, .. }] => {
            assert_eq!(add, &vec!["best".to_string()]);
            assert_eq!(remove, &vec!["old".to_string()]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn runs_table_sorts_and_filters() {
    let (_d, ctx) = runs_fixture();
    let mut a = app(&ctx);
    labbook::tui::refresh_runs_view(&mut a, &ctx).unwrap();
    a.handle(Action::Tab(4));
    let ids = |a: &App| {
        a.run_rows()
            .iter()
            .map(|&i| a.runs_data.runs[i].id.clone())
            .collect::<Vec<_>>()
    };
    assert!(ids(&a)[0].contains("0-003"), "newest first");
    for _ in 0..3 {
        a.handle(Action::SortRuns);
    }
    assert_eq!(a.runs.sort, labbook::tui::model::runs::RunSort::Metric);
    assert!(
        ids(&a)[0].contains("0-003"),
        "lowest loss first: {:?}",
        ids(&a)
    );
    a.filters[4] = "0-001".into();
    assert_eq!(ids(&a).len(), 1);
    a.filters[4] = "failed".into();
    assert!(ids(&a)[0].contains("0-003"));
}

#[test]
fn cards_review_and_mock_interview_on_screen() {
    use labbook::cards::{self, Grade};
    use labbook::tui::model::cards::{CardsView, MockPhase, MockUi};
    let (_d, ctx) = fixture();
    let mut a = app(&ctx);
    labbook::tui::load_cards(&mut a, &ctx).unwrap();
    let now = cards::now_for(ctx.today);
    a.cards.now = now;
    a.handle(Action::Tab(6));
    assert_eq!(a.tab, Tab::Cards);
    insta::assert_snapshot!("cards", render(&a, 120, 36));
    // Review: enter starts it (the runner loads today's queue).
    assert_eq!(a.handle(Action::Open), vec![Effect::CardsReview]);
    let (queue, n_new) =
        cards::todays_queue(&ctx.store.conn, &a.cards.settings, now, ctx.today).unwrap();
    assert_eq!(n_new, 10);
    a.cards.start_review(queue, now);
    assert!(a.text_mode(), "keys go to the review");
    insta::assert_snapshot!("cards_review_question", render(&a, 120, 36));
    // Grades do nothing before the answer is shown; space shows it with the intervals.
    assert_eq!(a.handle(key('3')), vec![]);
    a.handle(key(' '));
    insta::assert_snapshot!("cards_review_answer", render(&a, 120, 36));
    let fx = a.handle(key('3'));
    let [Effect::CardsGrade { card, grade, .. }] = &fx[..] else {
        panic!("{fx:?}")
    };
    assert_eq!(*grade, Grade::Good);
    let after = cards::grade(
        &ctx.store.conn,
        &a.cards.settings,
        *card,
        *grade,
        now,
        None,
        cards::Origin::Review,
    )
    .unwrap();
    a.cards.graded(*grade, after, now);
    match &a.cards.view {
        CardsView::Review(r) => assert_eq!(r.session.left(), (9, 1, 0)),
        v => panic!("{v:?}"),
    }
    // `q` ends the review (it does not quit labbook) with a summary.
    assert_eq!(a.handle(key('q')), vec![Effect::CardsReload]);
    insta::assert_snapshot!("cards_review_summary", render(&a, 120, 36));
    a.handle(key('x'));
    assert!(!a.text_mode());
    // A mock interview on the first row: weighted to the weakest topics.
    assert_eq!(
        a.handle(Action::Mock),
        vec![Effect::CardsMock {
            filter: None,
            session: None,
            asked: vec![]
        }]
    );
    let bank = a.cards.data.bank.clone().unwrap();
    let q = bank.question("q.transformers.scale").unwrap().clone();
    a.cards.view = CardsView::Mock(Box::new(MockUi::new(None, q, None, vec![], now, 180.0)));
    assert!(a.cards.timer_running());
    for c in "unit variance".chars() {
        a.handle(key(c));
    }
    a.cards.now = now + chrono::Duration::seconds(50);
    insta::assert_snapshot!("cards_mock_answering", render(&a, 120, 36));
    a.handle(ctrl('s'));
    assert!(!a.cards.timer_running());
    match &a.cards.view {
        CardsView::Mock(m) => assert_eq!(
            m.phase,
            MockPhase::Rating {
                answer: "unit variance".into(),
                secs: 50.0
            }
        ),
        v => panic!("{v:?}"),
    }
    insta::assert_snapshot!("cards_mock_rating", render(&a, 120, 36));
    assert_eq!(a.handle(key('9')), vec![]);
    assert_eq!(
        a.handle(key('2')),
        vec![Effect::CardsRecordMock { rating: Some(2) }]
    );
}
