//! Question bank, flashcards (FSRS), mock interviews and the interview prep sheet.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use labbook::app::Context;
use labbook::cards::{self, bank, CardState, Grade, Origin, Settings};

use crate::common::{context, date, json, lb, TODAY};

// ---- the question bank ----

#[test]
fn the_committed_bank_parses_completely_and_its_references_exist() {
    let b = cards::embedded::bank().unwrap();
    assert_eq!(b.questions().count(), 136);
    assert_eq!(b.topics.len(), 11);
    // Every file of data/questions is built in.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/questions");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".md") && n != "README.md")
        .collect();
    on_disk.sort();
    let built_in: Vec<String> = cards::embedded::FILES
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    assert_eq!(on_disk, built_in);
    // Read from the directory, the same questions (errors would name the paths).
    let from_dir = bank::load_dir(&dir).unwrap();
    let ids = |b: &bank::Bank| b.questions().map(|q| q.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&from_dir), ids(&b));
    assert!(from_dir.topics[0]
        .file
        .ends_with("data/questions/agents-memory.md"));
    // Topic ids are items of the curriculum (step 8), cited keys are in the catalog.
    let plan = labbook::plan::embedded::plan().unwrap();
    let items: HashSet<String> = plan.items().map(|(_, i)| i.id.clone()).collect();
    let catalog =
        labbook::papers::bib::parse("catalog.bib", labbook::plan::embedded::CATALOG).unwrap();
    let keys: HashSet<String> = catalog.iter().map(|e| e.key.clone()).collect();
    assert_eq!(b.check_refs(&items, &keys), vec![]);
    for t in &b.topics {
        assert!(t.item.starts_with("s8."), "{}", t.item);
        assert!((5..=8).contains(&t.key_points.len()));
    }
    let cites: usize = b.questions().map(|q| q.cites.len()).sum();
    assert!(cites > 20, "{cites} citations");
    // The coding questions carry their code; the conventions are split out.
    let attn = b.question("q.coding.attention").unwrap();
    assert_eq!(attn.kind, bank::Kind::Coding);
    assert!(attn.code.as_ref().unwrap().text.contains("def attention"));
    let scale = b.question("q.transformers.scale").unwrap();
    assert!(scale
        .follow_up
        .as_deref()
        .unwrap()
        .starts_with("What would"));
    assert!(scale.cites.contains(&"vaswani2017attention".to_string()));
    assert_eq!(scale.line, 12);
    // A check against a plan without step 8 and an empty catalog names file and line.
    let errs = b.check_refs(&HashSet::new(), &HashSet::new());
    assert!(errs
        .iter()
        .any(|e| e.to_string()
            == "data/questions/transformers.md:1: topic id `s8.transformers` is not an item of the plan"));
    assert!(errs.iter().any(|e| e.to_string()
        == "data/questions/transformers.md:12: q.transformers.scale: citation key `vaswani2017attention` is not in the reading list"));
}

/// A valid topic file with `n` questions; `edit` rewrites it before parsing.
fn topic(n: usize) -> String {
    let mut s = String::from("# Demo {#s8.transformers}\n\nKey points:\n");
    for k in 0..5 {
        s.push_str(&format!("- point {k}\n"));
    }
    for k in 0..n {
        s.push_str(&format!(
            "\n## Question {k}? {{#q.demo.q{k} kind=theory level=core}}\n\nAnswer {k} [@vaswani2017attention].\n\nFollow-up: next {k}?\n"
        ));
    }
    s
}

fn parse_err(text: &str) -> String {
    bank::parse_topic("demo.md", "q/demo.md", text)
        .unwrap_err()
        .to_string()
}

#[test]
fn malformed_question_files_are_errors_naming_file_and_line() {
    let ok = topic(10);
    let t = bank::parse_topic("demo.md", "q/demo.md", &ok).unwrap();
    assert_eq!(t.questions.len(), 10);
    assert_eq!(t.questions[0].line, 10);
    assert_eq!(t.questions[0].follow_up.as_deref(), Some("next 0?"));
    assert_eq!(t.questions[0].body, "Answer 0 [@vaswani2017attention].");
    let cases: Vec<(String, &str)> = vec![
        (
            ok.replace("# Demo {#s8.transformers}", "# Demo"),
            "q/demo.md:1: the title must end with the topic id as `{#s8.topic}`",
        ),
        (
            ok.replace("Key points:", "Points:"),
            "q/demo.md:3: expected a paragraph reading exactly `Key points:` after the title",
        ),
        (
            ok.replace("- point 4\n", ""),
            "q/demo.md:4: 4 key points; a topic has 5 to 8",
        ),
        (
            ok.replace("{#q.demo.q1 kind=theory level=core}", ""),
            "q/demo.md:16: a question heading must end with `{#q.<topic>.<slug> kind=<kind> level=<level>}`",
        ),
        (
            ok.replace("#q.demo.q1 ", "#q.other.q1 "),
            "q/demo.md:16: question id `q.other.q1`: the topic part must be the file name, `demo`",
        ),
        (
            ok.replace("#q.demo.q1 ", "#q.demo.q0 "),
            "q/demo.md:16: question id `q.demo.q0` is already used on line 10",
        ),
        (
            ok.replace("#q.demo.q1 kind=theory", "#q.demo.q1 kind=trivia"),
            "q/demo.md:16: kind `trivia`: expected theory, coding, design or research",
        ),
        (
            ok.replace("q1 kind=theory level=core", "q1 kind=theory level=easy"),
            "q/demo.md:16: level `easy`: expected core or deep",
        ),
        (
            ok.replace("Answer 1 [@vaswani2017attention].", "- a list\n- of points"),
            "q/demo.md:18: q.demo.q1: lists are not allowed in an answer",
        ),
        (
            ok.replace("Answer 1 [@vaswani2017attention].", "### Sub\n\ntext"),
            "q/demo.md:18: q.demo.q1: headings are not allowed inside an answer",
        ),
        (
            ok.replace("Answer 1 [@vaswani2017attention].", "```python\nx = 1\n```"),
            "q/demo.md:18: q.demo.q1: only coding questions have a code block",
        ),
        (
            ok.replace("Answer 1 [@vaswani2017attention].", "| a | b |\n|---|---|\n| 1 | 2 |"),
            "q/demo.md:18: q.demo.q1: a table is not allowed in an answer",
        ),
        (
            ok.replace("Answer 1 [@vaswani2017attention].", "Text with <b>html</b>."),
            "q/demo.md:18: q.demo.q1: HTML is not allowed in an answer",
        ),
        (
            ok.replace(
                "Answer 1 [@vaswani2017attention].\n\nFollow-up: next 1?",
                "Follow-up: next 1?\n\nAnswer 1.",
            ),
            "q/demo.md:18: q.demo.q1: `Follow-up:` must be the last paragraph of an answer",
        ),
        (
            ok.replace("q1 kind=theory", "q1 kind=coding"),
            "q/demo.md:16: q.demo.q1: a coding question needs exactly one fenced code block",
        ),
        (
            ok.replace("Answer 1 [@vaswani2017attention].\n\nFollow-up: next 1?\n", ""),
            "q/demo.md:16: q.demo.q1: the question has no model answer",
        ),
        (topic(9), "q/demo.md:0: 9 questions; a topic file has 10 to 14"),
        (
            ok.replace("Key points:\n", "Key points:\n\nStray paragraph.\n\n"),
            "q/demo.md:5: expected the bullet list of key points after `Key points:`",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(parse_err(&text), want);
    }
    // A code block longer than 25 lines.
    let long: String = (0..26).map(|k| format!("x{k} = {k}\n")).collect();
    let coding = ok.replace("q1 kind=theory", "q1 kind=coding").replace(
        "Answer 1 [@vaswani2017attention].",
        &format!("Answer.\n\n```python\n{long}```"),
    );
    assert_eq!(
        parse_err(&coding),
        "q/demo.md:20: q.demo.q1: the code block has 26 lines (at most 25)"
    );
    assert_eq!(
        bank::parse_topic("Demo.md", "q/Demo.md", &ok)
            .unwrap_err()
            .to_string(),
        "q/Demo.md:0: file name `Demo.md` must be `<topic>.md` with lower-case letters, digits and `-`"
    );
    // Ids must be unique across files.
    let other = ok.replace("# Demo", "# Other");
    let e = bank::parse_sources([
        ("demo.md", "a/demo.md", ok.as_str()),
        ("demo2.md", "a/demo2.md", other.as_str()),
    ]);
    assert!(e.is_err());
}

#[test]
fn a_broken_question_dir_fails_clearly_and_keeps_the_cards() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let q = d.path().join("questions");
    std::fs::create_dir_all(&q).unwrap();
    std::fs::write(q.join("demo.md"), topic(10)).unwrap();
    let s = json(
        &data,
        &[
            "--questions",
            q.to_str().unwrap(),
            "cards",
            "stats",
            "--json",
        ],
    );
    assert_eq!(s["total"], 10);
    std::fs::write(
        q.join("demo.md"),
        topic(10).replace("#q.demo.q1 kind=theory", "#q.demo.q1 kind=nope"),
    )
    .unwrap();
    let out = lb(&data)
        .args(["--questions", q.to_str().unwrap(), "cards", "stats"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:16: kind `nope`: expected theory, coding, design or research",
            q.join("demo.md").display()
        )),
        "{err}"
    );
    // An unknown citation key in a user bank is an error too.
    std::fs::write(
        q.join("demo.md"),
        topic(10).replace(
            "Answer 3 [@vaswani2017attention]",
            "Answer 3 [@nobody2020none]",
        ),
    )
    .unwrap();
    let out = lb(&data)
        .args(["--questions", q.to_str().unwrap(), "cards", "stats"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains(
        "demo.md:28: q.demo.q3: citation key `nobody2020none` is not in the reading list"
    ));
    // Nothing stored was lost.
    std::fs::write(q.join("demo.md"), topic(10)).unwrap();
    let s = json(
        &data,
        &[
            "--questions",
            q.to_str().unwrap(),
            "cards",
            "stats",
            "--json",
        ],
    );
    assert_eq!(s["total"], 10);
    assert_eq!(s["orphaned"], 0);
}

// ---- FSRS scheduling ----

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn first_review_intervals_with_default_parameters() {
    // FSRS-5 defaults (w0..w3 = 0.4072, 1.1829, 3.1262, 15.4722), retention 0.9:
    // Again 1 min, Hard 5 min, Good 10 min (learning steps), Easy round(w3) = 15 days.
    let now = at("2026-12-10T12:00:00Z");
    let n = cards::preview(&Settings::default(), &cards::Card::blank(now), now);
    let got: Vec<(Grade, i64)> = n
        .iter()
        .map(|x| (x.grade, x.interval.num_minutes()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Grade::Again, 1),
            (Grade::Hard, 5),
            (Grade::Good, 10),
            (Grade::Easy, 15 * 24 * 60)
        ]
    );
    let labels: Vec<String> = n.iter().map(|x| cards::fmt_interval(x.interval)).collect();
    assert_eq!(labels, ["1m", "5m", "10m", "15d"]);
    assert_eq!(n[3].card.state, CardState::Review);
    assert!((n[3].card.stability - 15.4722).abs() < 1e-9);
}

#[test]
fn a_sequence_of_grades_follows_the_reference_intervals() {
    // The sequence and intervals of rs-fsrs' own `test_basic_scheduler_interval`
    // (default parameters, each review on the due date).
    let st = Settings::default();
    let seq = [3, 3, 3, 3, 3, 3, 1, 1, 3, 3, 3, 3, 3];
    let want = [0, 4, 15, 48, 136, 351, 0, 0, 7, 13, 24, 43, 77];
    let mut now = at("2022-11-29T12:30:00Z");
    let mut c = cards::Card::blank(now);
    let mut got = Vec::new();
    for g in seq {
        c = cards::schedule(&st, &c, Grade::from_number(g).unwrap(), now);
        got.push(c.scheduled_days);
        now = c.due;
    }
    assert_eq!(got, want);
    assert_eq!(c.lapses, 1);
    // A higher target retention gives shorter intervals.
    let strict = Settings {
        retention: 0.95,
        ..Settings::default()
    };
    let now = at("2026-12-10T12:00:00Z");
    let easy = |s: &Settings| cards::preview(s, &cards::Card::blank(now), now)[3].interval;
    assert!(easy(&strict) < easy(&st));
}

fn store_dir() -> (tempfile::TempDir, Context) {
    let d = tempfile::tempdir().unwrap();
    let ctx = context(d.path(), TODAY);
    (d, ctx)
}

#[test]
fn grades_are_logged_and_a_lapse_reschedules_the_card() {
    let (d, ctx) = store_dir();
    let conn = &ctx.store.conn;
    let st = Settings::default();
    let t0 = at("2026-12-10T09:00:00Z");
    let c = cards::add(
        conn,
        "What is FSRS?",
        "A spaced-repetition scheduler.",
        Some("s8.transformers"),
        t0,
    )
    .unwrap();
    let c1 = cards::grade(conn, &st, c.id, Grade::Good, t0, Some(4000), Origin::Review).unwrap();
    assert_eq!(
        (c1.state, c1.due - t0),
        (CardState::Learning, Duration::minutes(10))
    );
    let c2 = cards::grade(conn, &st, c.id, Grade::Good, c1.due, None, Origin::Review).unwrap();
    assert_eq!((c2.state, c2.scheduled_days), (CardState::Review, 4));
    let c3 = cards::grade(conn, &st, c.id, Grade::Good, c2.due, None, Origin::Review).unwrap();
    assert_eq!(c3.scheduled_days, 15);
    // Forgotten at the next review: relearning in 5 minutes, one lapse, lower stability.
    let c4 = cards::grade(conn, &st, c.id, Grade::Again, c3.due, None, Origin::Review).unwrap();
    assert_eq!(c4.state, CardState::Relearning);
    assert_eq!(c4.lapses, 1);
    assert_eq!(c4.due - c3.due, Duration::minutes(5));
    assert!(c4.stability < c3.stability);
    let c5 = cards::grade(conn, &st, c.id, Grade::Good, c4.due, None, Origin::Review).unwrap();
    assert_eq!(c5.state, CardState::Review);
    assert!(c5.scheduled_days >= 1 && c5.scheduled_days < c3.scheduled_days);
    drop(ctx);
    // The log and the schedule survive a reopen.
    let ctx = context(d.path(), TODAY);
    let stored = cards::get(&ctx.store.conn, c.id).unwrap();
    assert_eq!(stored, c5);
    let log = cards::reviews(&ctx.store.conn, c.id).unwrap();
    let ratings: Vec<i64> = log.iter().map(|r| r.rating).collect();
    assert_eq!(ratings, [3, 3, 3, 1, 3]);
    let states: Vec<CardState> = log.iter().map(|r| r.state_before).collect();
    assert_eq!(
        states,
        [
            CardState::New,
            CardState::Learning,
            CardState::Review,
            CardState::Review,
            CardState::Relearning
        ]
    );
    assert_eq!(log[2].interval_days, 15);
    assert_eq!(log[3].interval_days, 0);
}

#[test]
fn new_cards_per_day_are_capped_and_due_cards_come_first_by_due_date() {
    let (_d, ctx) = store_dir();
    let conn = &ctx.store.conn;
    cards::open(&ctx.store, ctx.questions_dir.as_deref(), ctx.today).unwrap(); // 99 bank cards, all new
    let st = Settings {
        new_per_day: 3,
        ..Settings::default()
    };
    let day = date(TODAY);
    let noon = cards::now_for(day);
    let (q, n_new) = cards::todays_queue(conn, &st, noon, day).unwrap();
    assert_eq!((q.len(), n_new), (3, 3));
    // Own cards come before the bank's; the bank's interleave topics.
    let mine = cards::add(conn, "mine?", "yes", None, noon).unwrap();
    let (q, _) = cards::todays_queue(conn, &st, noon, day).unwrap();
    assert_eq!(q[0].id, mine.id);
    assert_ne!(q[1].topic, q[2].topic);
    // Introduce two new cards today: one new card is left; the learning one is due
    // 10 minutes later.
    cards::grade(conn, &st, q[0].id, Grade::Good, noon, None, Origin::Review).unwrap();
    cards::grade(conn, &st, q[1].id, Grade::Easy, noon, None, Origin::Review).unwrap();
    assert_eq!(cards::new_on(conn, day).unwrap(), 2);
    let (q2, n_new) = cards::todays_queue(conn, &st, noon, day).unwrap();
    assert_eq!((q2.len(), n_new), (1, 1));
    let later = noon + Duration::minutes(11);
    let (q3, n_new) = cards::todays_queue(conn, &st, later, day).unwrap();
    assert_eq!(n_new, 1);
    assert_eq!(
        q3[0].id, mine.id,
        "the learning card is due and comes first"
    );
    // Tomorrow the cap starts again; review cards are ordered by due date.
    let next = day + Duration::days(1);
    let (q4, n_new) = cards::todays_queue(conn, &st, cards::now_for(next), next).unwrap();
    assert_eq!(n_new, 3);
    assert_eq!(q4[0].id, mine.id);
    let far = cards::now_for(day + Duration::days(40));
    let (q5, _) = cards::todays_queue(conn, &st, far, day + Duration::days(40)).unwrap();
    let dues: Vec<_> = q5
        .iter()
        .filter(|c| c.state != CardState::New)
        .map(|c| c.due)
        .collect();
    assert_eq!(dues.len(), 2);
    assert!(dues.windows(2).all(|w| w[0] <= w[1]));
    let st0 = Settings {
        new_per_day: 0,
        ..Settings::default()
    };
    let (q6, n_new) = cards::todays_queue(conn, &st0, noon, day).unwrap();
    assert_eq!((q6.len(), n_new), (0, 0));
}

#[test]
fn notes_make_cards_that_keep_their_schedule_across_edits() {
    let (_d, ctx) = store_dir();
    let conn = &ctx.store.conn;
    let n = labbook::notes::create(
        conn,
        &ctx.notes_dir,
        &labbook::notes::NewNote {
            title: "KV cache".into(),
            body: "Q: What does the KV cache store?\nA: Keys and values of past tokens.\n\nIts size grows {{c1::linearly}} with the context.\n".into(),
            item: Some("s8.transformers".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let now = cards::now_for(date(TODAY));
    let r = cards::notes::sync(conn, now).unwrap();
    assert_eq!(r.added, 2);
    let mine = cards::list(
        conn,
        &cards::Filter {
            source: Some("note".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(mine.len(), 2);
    assert!(mine
        .iter()
        .all(|c| c.topic.as_deref() == Some("s8.transformers")));
    let qa = mine
        .iter()
        .find(|c| c.front.starts_with("What does"))
        .unwrap()
        .clone();
    cards::grade(
        conn,
        &Settings::default(),
        qa.id,
        Grade::Easy,
        now,
        None,
        Origin::Review,
    )
    .unwrap();
    // Edit the answer: same card, new back, schedule kept.
    let path = ctx.notes_dir.join(&n.path);
    let text = std::fs::read_to_string(&path).unwrap();
    labbook::notes::save(
        conn,
        &ctx.notes_dir,
        n.id,
        &text.replace("past tokens", "every past token"),
    )
    .unwrap();
    cards::notes::sync(conn, now).unwrap();
    let c = cards::get(conn, qa.id).unwrap();
    assert_eq!(c.back, "Keys and values of every past token.");
    assert_eq!(c.state, CardState::Review);
    // Remove the question: the card is set aside, not deleted; back again when restored.
    labbook::notes::save(conn, &ctx.notes_dir, n.id, "# KV cache\n\nnothing\n").unwrap();
    let r = cards::notes::sync(conn, now).unwrap();
    assert_eq!(r.orphaned, 2);
    assert!(cards::get(conn, qa.id).unwrap().orphaned);
    labbook::notes::save(conn, &ctx.notes_dir, n.id, &text).unwrap();
    cards::notes::sync(conn, now).unwrap();
    let c = cards::get(conn, qa.id).unwrap();
    assert!(!c.orphaned);
    assert_eq!(c.state, CardState::Review);
    assert_eq!(cards::reviews(conn, qa.id).unwrap().len(), 1);
}

// ---- the line-mode CLI ----

#[test]
fn line_mode_review_grades_cards_and_prints_a_summary() {
    let d = tempfile::tempdir().unwrap();
    let out = lb(d.path())
        .args(["cards", "review"])
        .write_stdin("\n3\n\nx\n4\n\nq\n")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Review: 0 due · 10 new (new cards today: 0 of 10)"),
        "{text}"
    );
    assert!(
        text.contains("1 again (1m) · 2 hard (5m) · 3 good (10m) · 4 easy (15d)"),
        "{text}"
    );
    assert!(text.contains("enter 1, 2, 3 or 4 (or q to stop)"), "{text}");
    assert!(text.contains("→ easy: due in 15d"), "{text}");
    assert!(
        text.contains(
            "Done: 2 review(s) of 2 card(s) (2 new) · again 0 · hard 0 · good 1 · easy 1"
        ),
        "{text}"
    );
    let s = json(d.path(), &["cards", "stats", "--json"]);
    assert_eq!(s["reviews_today"], 2);
    assert_eq!(s["new_today"], 2);
    assert_eq!(s["new_left_today"], 8);
    assert_eq!(s["learning"], 1);
    assert_eq!(s["review"], 1);
    // Stopping at once reviews nothing; end of input is a stop too.
    let out = lb(d.path())
        .args(["cards", "review"])
        .write_stdin("")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Done: 0 review(s)"));
}

#[test]
fn a_mock_interview_logs_the_answer_and_a_low_rating_becomes_a_card() {
    let d = tempfile::tempdir().unwrap();
    let out = lb(d.path())
        .args([
            "interview",
            "mock",
            "--question",
            "q.coding.attention",
            "--minutes",
            "2",
        ])
        .write_stdin("softmax of QK^T / sqrt(d)\nmask with -inf\n\n7\n1\n")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Question 1/1 · coding (s8.mock-questions) · coding · core"),
        "{text}"
    );
    assert!(text.contains("You have 2:00."), "{text}");
    assert!(
        text.contains("── Model answer ──\nCompute the scores"),
        "{text}"
    );
    assert!(
        text.contains("def attention(q, k, v, causal=False):"),
        "{text}"
    );
    assert!(text.contains("enter a number from 1 to 5"), "{text}");
    assert!(text.contains("Rating 1 → card"), "{text}");
    assert!(text.contains("due in 1m"), "{text}");
    // The coding question was not a card before; now it is, with a mock review logged.
    let h = json(d.path(), &["interview", "history", "--json"]);
    let a = &h[0]["answers"][0];
    assert_eq!(a["question_id"], "q.coding.attention");
    assert_eq!(a["rating"], 1);
    assert_eq!(a["answer"], "softmax of QK^T / sqrt(d)\nmask with -inf");
    assert_eq!(a["limit_secs"], 120.0);
    assert!(h[0]["ended_at"].is_string());
    let card = a["card_id"].as_i64().unwrap();
    let c = json(d.path(), &["cards", "show", &card.to_string(), "--json"]);
    assert_eq!(c["card"]["uid"], "bank:q.coding.attention");
    assert_eq!(c["card"]["state"], "learning");
    assert_eq!(c["reviews"][0]["origin"], "mock");
    assert_eq!(c["reviews"][0]["rating"], 1);
    // A card made by a mock interview does not use up the day's new cards.
    let s = json(d.path(), &["cards", "stats", "--json"]);
    assert_eq!(
        (s["new_today"].as_i64(), s["reviews_today"].as_i64()),
        (Some(0), Some(1))
    );
    // A good rating makes no card; a low rating of a known card resets it.
    lb(d.path())
        .args([
            "interview",
            "mock",
            "--question",
            "q.coding.wer",
            "--minutes",
            "1",
        ])
        .write_stdin("dp over edits\n\n5\n")
        .assert()
        .success();
    lb(d.path())
        .args(["interview", "mock", "--question", "q.coding.mha"])
        .write_stdin("heads\n\n1\n")
        .assert()
        .success();
    let cards_now = json(
        d.path(),
        &["cards", "list", "--source", "bank", "--all", "--json"],
    );
    assert!(!cards_now
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["uid"] == "bank:q.coding.wer"));
    // Topic sessions: weighted picks stay inside the topic and never repeat.
    let out = lb(d.path())
        .args([
            "interview",
            "mock",
            "--topic",
            "s8.latency",
            "--count",
            "3",
            "--seed",
            "7",
        ])
        .write_stdin("a\n\n3\nb\n\n2\nc\n\n4\n")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let h = json(
        d.path(),
        &["interview", "history", "--topic", "latency", "--json"],
    );
    let ids: Vec<&str> = h[0]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["question_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|i| i.starts_with("q.latency.")));
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 3);
    let t = json(d.path(), &["interview", "topics", "--json"]);
    assert_eq!(t[0]["topic"], "coding", "weakest first: {t}");
    let latency = t
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["topic"] == "latency")
        .unwrap();
    assert_eq!(latency["answered"], 3);
    assert_eq!(latency["mean_rating"], 3.0);
    // Bad input is refused before anything is stored.
    lb(d.path())
        .args(["interview", "mock", "--topic", "astrology"])
        .write_stdin("")
        .assert()
        .failure()
        .stderr(predicates::str::contains("no question topic `astrology`"));
    lb(d.path())
        .args(["interview", "mock", "--question", "q.none.x"])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "no question `q.none.x` in the bank",
        ));
}

#[test]
fn cards_add_list_suspend() {
    let d = tempfile::tempdir().unwrap();
    let c = json(
        d.path(),
        &[
            "cards",
            "add",
            "--front",
            "RoPE?",
            "--back",
            "Rotations.",
            "--topic",
            "s8.transformers",
            "--json",
        ],
    );
    let id = c["id"].as_i64().unwrap().to_string();
    let l = json(d.path(), &["cards", "list", "--source", "user", "--json"]);
    assert_eq!(l.as_array().unwrap().len(), 1);
    lb(d.path())
        .args(["cards", "suspend", &id])
        .assert()
        .success();
    let l = json(d.path(), &["cards", "list", "--source", "user", "--json"]);
    assert_eq!(l.as_array().unwrap().len(), 0);
    lb(d.path())
        .args([
            "cards",
            "add",
            "--front",
            "x",
            "--back",
            "y",
            "--topic",
            "s99.nothing",
        ])
        .assert()
        .failure()
        .stderr(predicates::str::contains("no plan item `s99.nothing`"));
}

// ---- the interview prep sheet ----

/// Finished runs of the `lm` project (three learning rates) written as their
/// supervisor would have, then ingested.
fn write_runs(ctx: &mut Context) {
    use labbook::runs::{self, Exit, RunMeta, SupervisorRecord};
    let root = runs::runs_dir(&ctx.data_dir);
    for (k, lr) in ["0.001", "0.003", "0.0003"].iter().enumerate() {
        let id = format!("20261201-09000{k}-lm-lr-{}", lr.replace('.', "-"));
        let dir = root.join(&id);
        std::fs::create_dir_all(&dir).unwrap();
        let mut params = std::collections::BTreeMap::new();
        params.insert(
            "lr".to_string(),
            serde_json::json!(lr.parse::<f64>().unwrap()),
        );
        let meta = RunMeta {
            id: id.clone(),
            name: "lm".into(),
            project: Some("lm".into()),
            argv: vec!["labbook".into(), "exp".into(), "lm".into()],
            command: format!("labbook exp lm --param lr={lr}"),
            params,
            seed: Some(1),
            backend: "local".into(),
            created_at: format!("2026-12-01T09:00:0{k}Z"),
            ..Default::default()
        };
        runs::write_json(&dir.join(runs::META), &meta).unwrap();
        let t0 = 1_796_100_000.0 + k as f64 * 1000.0;
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
        let rate: f64 = lr.parse().unwrap();
        let mut out = String::new();
        for step in 0..50 {
            let loss = 3.0 * (-(step as f64) * rate * 20.0).exp() + 1.0;
            out.push_str(&format!(
                "{{\"step\": {step}, \"loss\": {loss}, \"val_loss\": {}}}\n",
                loss + 0.05
            ));
        }
        std::fs::write(dir.join(runs::STDOUT), out).unwrap();
        std::fs::write(dir.join(runs::STDERR), "").unwrap();
        runs::write_json(
            &dir.join(runs::EXIT),
            &Exit {
                code: Some(0),
                at: t0 + 100.0,
                ..Default::default()
            },
        )
        .unwrap();
    }
    let mut ing = labbook::runs::ingest::Ingester::new(&root);
    ing.cycle(&mut ctx.store.conn).unwrap();
}

#[test]
fn the_interview_sheet_has_every_topic_answers_notes_and_case_studies_with_numbers() {
    use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
    let d = tempfile::tempdir().unwrap();
    let mut ctx = context(d.path(), TODAY);
    write_runs(&mut ctx);
    let conn = &ctx.store.conn;
    labbook::notes::create(
        conn,
        &ctx.notes_dir,
        &labbook::notes::NewNote {
            title: "Attention cost, my derivation".into(),
            body: "Scores cost 2n²d; with d = 384 the quadratic term wins past ~2300 tokens."
                .into(),
            item: Some("s8.transformers".into()),
            ..Default::default()
        },
    )
    .unwrap();
    labbook::notes::create(
        conn,
        &ctx.notes_dir,
        &labbook::notes::NewNote {
            title: "Best LM run".into(),
            body: "Next: try a cosine schedule and two more seeds.".into(),
            run: Some("20261201-090000-lm-lr-0-001".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let bank = cards::open(&ctx.store, ctx.questions_dir.as_deref(), ctx.today).unwrap();
    let st = Settings::default();
    let now = cards::now_for(date(TODAY));
    let s = cards::mock::start(conn, None, 3.0, now).unwrap();
    let q = bank
        .question("q.vad-turn-taking.vap")
        .or_else(|| bank.topic("vad-turn-taking").map(|t| &t.questions[0]))
        .unwrap();
    cards::mock::record(
        conn,
        &st,
        s,
        q,
        "hold/shift from audio",
        95.0,
        180.0,
        Some(1),
        now,
    )
    .unwrap();
    let q2 = bank.question("q.transformers.scale").unwrap();
    cards::mock::record(
        conn,
        &st,
        s,
        q2,
        "unit variance of logits",
        60.0,
        180.0,
        Some(4),
        now,
    )
    .unwrap();
    cards::mock::finish(conn, s, now).unwrap();
    let md = labbook::export::interview::render(
        &ctx.store.conn,
        &ctx.data_dir,
        &ctx.config.cards,
        ctx.today,
        &bank,
        3,
    )
    .unwrap();
    // Headings, in order.
    let mut heads: Vec<(HeadingLevel, String)> = Vec::new();
    let mut cur: Option<(HeadingLevel, String)> = None;
    for ev in Parser::new(&md) {
        match ev {
            Event::Start(Tag::Heading { level, .. }) => cur = Some((level, String::new())),
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, s)) = cur.as_mut() {
                    s.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => heads.extend(cur.take()),
            _ => {}
        }
    }
    let h2: Vec<&str> = heads
        .iter()
        .filter(|(l, _)| *l == HeadingLevel::H2)
        .map(|(_, s)| s.as_str())
        .collect();
    let plan = ctx.plan().unwrap();
    let theory: Vec<String> = plan
        .steps
        .iter()
        .find(|s| s.id == "s8")
        .unwrap()
        .items
        .iter()
        .filter(|i| i.kind == labbook::plan::ItemKind::Topic)
        .map(|i| i.title.clone())
        .collect();
    assert_eq!(theory.len(), 8);
    for t in &theory {
        assert!(h2.contains(&t.as_str()), "no section for {t}: {h2:?}");
    }
    assert_eq!(h2[0], "Weakest topics first");
    // The weakest topic (a rating of 1) comes first among the topic sections.
    assert_eq!(h2[1], "VAD and turn-taking models");
    assert_eq!(h2[h2.len() - 1], "Case studies from your runs");
    let case: Vec<&str> = heads
        .iter()
        .filter(|(l, s)| *l == HeadingLevel::H3 && s.starts_with("Case study"))
        .map(|(_, s)| s.as_str())
        .collect();
    assert_eq!(
        case,
        ["Case study 1: A small transformer language model from scratch"]
    );
    // Every key point and every question of a topic is there; answers and notes too.
    let tr = bank.topic("transformers").unwrap();
    for p in &tr.key_points {
        assert!(md.contains(p.as_str()));
    }
    for q in bank.questions() {
        if q.kind == bank::Kind::Theory {
            assert!(md.contains(&format!("#### {} (", q.text)), "{}", q.id);
        }
    }
    assert!(md.contains("> unit variance of logits"));
    assert!(md.contains("rating 4/5, 1:00 of 3:00"));
    assert!(md.contains("**Attention cost, my derivation**"));
    // The case study: numbers from the runs' metrics.
    let cs = &md[md.find("### Case study 1").unwrap()..];
    let best = 3.0 * (-49.0f64 * 0.003 * 20.0).exp() + 1.05;
    assert!(
        cs.contains("the best was `20261201-090001-lm-lr-0-003`"),
        "{cs}"
    );
    let shown = format!("{best:.4}");
    let shown = shown.trim_end_matches('0').trim_end_matches('.');
    assert!(
        cs.contains(&format!(
            "Best `val_loss` = {shown} at step 49 (lower is better)"
        )),
        "{cs}"
    );
    assert!(
        cs.contains("Against the first run `20261201-090000-lm-lr-0-001`"),
        "{cs}"
    );
    assert!(cs.contains("varying lr"), "{cs}");
    assert!(cs.contains("| `val_loss` |"), "{cs}");
    assert!(cs.contains("Over all 3 runs"), "{cs}");
    assert!(
        cs.contains("**What next.** From your note **Best LM run** (`best-lm-run.md`): Next: try a cosine schedule"),
        "{cs}"
    );
    // Structure snapshot: the heading outline and the case study.
    let outline: Vec<String> = heads
        .iter()
        .filter(|(l, _)| *l <= HeadingLevel::H3)
        .map(|(l, s)| format!("{} {s}", "#".repeat(*l as usize)))
        .collect();
    insta::assert_snapshot!("interview_outline", outline.join("\n"));
    insta::assert_snapshot!("interview_case_study", cs);
    // The CLI writes the same file.
    drop(ctx);
    let out = d.path().join("sheets/interview.md");
    lb(d.path())
        .args(["export", "interview", "--out", out.to_str().unwrap()])
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), md);
}

#[test]
fn now_for_a_pinned_day_is_its_local_noon() {
    let day = NaiveDate::from_ymd_opt(2020, 1, 2).unwrap();
    let t = cards::now_for(day);
    let local = t.with_timezone(&chrono::Local);
    assert_eq!(local.date_naive(), day);
    assert_eq!(chrono::Timelike::hour(&local), 12);
    let _ = Utc.timestamp_opt(0, 0);
}
