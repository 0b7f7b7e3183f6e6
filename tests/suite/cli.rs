//! CLI integration on temporary data directories, with "today" pinned.

use predicates::prelude::*;
use serde_json::Value;

use crate::common::{isolated, json, lb, TODAY};

fn set_start(dir: &std::path::Path, start: &str, weeks: &str) {
    lb(dir)
        .args(["schedule", "--start", start, "--weeks", weeks])
        .assert()
        .success();
}

#[test]
fn status_works_on_an_empty_data_dir() {
    let d = tempfile::tempdir().unwrap();
    let empty = d.path().join("new");
    lb(&empty)
        .arg("status")
        .assert()
        .success()
        .stdout(predicate::str::contains("week 1 of 12"));
    assert!(empty.join("labbook.db").exists());
    let v = json(&empty, &["status", "--json"]);
    assert_eq!(v["current_week"], 1);
    assert_eq!(
        v["total"].as_u64().unwrap() as usize,
        labbook::plan::embedded::plan().unwrap().item_count()
    );
}

#[test]
fn plan_json_has_all_steps_with_items_and_due_dates() {
    let d = tempfile::tempdir().unwrap();
    set_start(d.path(), "2026-11-30", "12");
    let v = json(d.path(), &["plan", "--json"]);
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 8);
    for s in steps {
        let items = s["items"].as_array().unwrap();
        assert!(!items.is_empty());
        for i in items {
            assert!(
                i["id"].is_string()
                    && i["title"].is_string()
                    && i["due"].is_string()
                    && i["kind"].is_string()
            );
        }
    }
    assert_eq!(steps[0]["start"], "2026-11-30");
    assert_eq!(steps[0]["end"], "2026-12-13");
    assert_eq!(v["end"], "2027-02-21");
}

#[test]
fn plan_scales_to_ten_weeks_and_filters_by_week() {
    let d = tempfile::tempdir().unwrap();
    set_start(d.path(), "2026-11-30", "10");
    let v = json(d.path(), &["plan", "--json"]);
    assert_eq!(v["end"], "2027-02-07");
    assert_eq!(v["steps"][7]["end"], "2027-02-07");
    let w = json(d.path(), &["plan", "--week", "2", "--json"]);
    for s in w["steps"].as_array().unwrap() {
        for i in s["items"].as_array().unwrap() {
            let due = i["due"].as_str().unwrap();
            assert!(("2026-12-07"..="2026-12-13").contains(&due), "{due}");
        }
    }
    let days = json(d.path(), &["plan", "--days", "--json"]);
    assert_eq!(days["days"].as_array().unwrap().len(), 70);
    lb(d.path())
        .args(["plan", "--week", "11"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("outside the plan"));
    lb(d.path())
        .args(["schedule", "--weeks", "9"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("10, 11 or 12"));
}

#[test]
fn done_is_persisted_and_shows_in_status() {
    let d = tempfile::tempdir().unwrap();
    set_start(d.path(), "2026-11-30", "12");
    lb(d.path())
        .args(["done", "s1.numpy", "s1.scipy"])
        .assert()
        .success();
    let v = json(d.path(), &["status", "--json"]);
    assert_eq!(v["done"], 2);
    assert_eq!(v["current_week"], 2);
    let overdue: Vec<&str> = v["overdue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert!(!overdue.contains(&"s1.numpy"));
    assert!(
        overdue.contains(&"s1.pandas"),
        "week-1 items not done are overdue in week 2"
    );
    lb(d.path()).args(["undone", "s1.scipy"]).assert().success();
    assert_eq!(json(d.path(), &["status", "--json"])["done"], 1);
    lb(d.path())
        .args(["done", "s1.nope"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no plan item with id `s1.nope`"));
}

#[test]
fn paper_list_json_has_every_reading_list_paper() {
    let d = tempfile::tempdir().unwrap();
    let v = json(d.path(), &["paper", "list", "--json"]);
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 60);
    let whisper = list
        .iter()
        .find(|p| p["key"] == "radford2023whisper")
        .unwrap();
    assert_eq!(whisper["arxiv"], "2212.04356");
    let s3 = json(d.path(), &["paper", "list", "--step", "s3", "--json"]);
    assert!(s3
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["key"] == "skantze2021turntaking"));
    lb(d.path())
        .args([
            "paper",
            "set",
            "radford2023whisper",
            "--status",
            "reading",
            "--rating",
            "4",
            "--tag",
            "asr",
        ])
        .assert()
        .success();
    let r = json(
        d.path(),
        &["paper", "list", "--status", "reading", "--json"],
    );
    assert_eq!(r.as_array().unwrap().len(), 1);
    assert_eq!(r[0]["rating"], 4);
    lb(d.path())
        .args(["paper", "set", "radford2023whisper", "--status", "skimmed"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown paper status"));
}

#[test]
fn paper_add_import_export() {
    let d = tempfile::tempdir().unwrap();
    lb(d.path())
        .args([
            "paper",
            "add",
            "--arxiv",
            "2406.01234",
            "--title",
            "Streaming End-of-Turn Detection",
            "--author",
            "Grace Hopper",
            "--tag",
            "turn-taking",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("added hopper2024streaming"));
    let fixture = format!("{}/tests/fixtures/bib/user.bib", env!("CARGO_MANIFEST_DIR"));
    let r = json(d.path(), &["paper", "import", &fixture, "--json"]);
    assert_eq!(r["added"].as_array().unwrap().len(), 1);
    assert_eq!(r["duplicates"].as_array().unwrap().len(), 3);
    let broken = format!(
        "{}/tests/fixtures/bib/broken.bib",
        env!("CARGO_MANIFEST_DIR")
    );
    lb(d.path())
        .args(["paper", "import", &broken])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("broken.bib:")
                .and(predicate::str::contains("malformed BibTeX")),
        );
    assert_eq!(
        json(d.path(), &["paper", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        62,
        "a failed import stores nothing and loses nothing"
    );
    let out = d.path().join("out.bib");
    lb(d.path())
        .args(["paper", "export", "--out"])
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        labbook::papers::bib::parse("out.bib", &text).unwrap().len(),
        62
    );
    assert!(text.contains("@misc{hopper2024streaming,"));
}

#[test]
fn notes_add_list_search_show() {
    let d = tempfile::tempdir().unwrap();
    lb(d.path())
        .args([
            "note",
            "add",
            "--title",
            "RoPE intuition",
            "--item",
            "s1.attention-compare",
            "--body",
            "Rotary embeddings rotate query/key pairs; see [@su2021roformer].",
        ])
        .assert()
        .success();
    lb(d.path())
        .args([
            "note",
            "add",
            "--title",
            "Whisper",
            "--paper",
            "radford2023whisper",
            "--stdin",
        ])
        .write_stdin("Weak supervision at 680k hours.\n")
        .assert()
        .success();
    lb(d.path())
        .args(["note", "add", "--title", "x", "--paper", "nope"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no paper with key `nope`"));
    let list = json(d.path(), &["note", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    let hits = json(d.path(), &["note", "search", "rotat", "--json"]);
    assert_eq!(hits.as_array().unwrap().len(), 1);
    assert_eq!(hits[0]["title"], "RoPE intuition");
    assert_eq!(
        json(d.path(), &["note", "search", "supervision", "--json"])[0]["paper"],
        "radford2023whisper"
    );
    // Odd input is not an FTS syntax error.
    lb(d.path())
        .args(["note", "search", "\"AND (*"])
        .assert()
        .success();
    let by_item = json(
        d.path(),
        &["note", "list", "--item", "s1.attention-compare", "--json"],
    );
    assert_eq!(by_item.as_array().unwrap().len(), 1);
    // Notes are files: an edit outside labbook is picked up on the next start.
    let path = d.path().join("notes").join("rope-intuition.md");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("---\nitem: s1.attention-compare\n---\n# RoPE intuition"));
    std::fs::write(&path, text.replace("rotate", "spin")).unwrap();
    assert_eq!(
        json(d.path(), &["note", "search", "spin", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let id = by_item[0]["id"].as_i64().unwrap().to_string();
    lb(d.path())
        .args(["note", "show", &id])
        .assert()
        .success()
        .stdout(predicate::str::contains("spin query/key"));
}

#[test]
fn deliverables_status_and_evidence() {
    let d = tempfile::tempdir().unwrap();
    let list = json(d.path(), &["deliverable", "list", "--json"]);
    assert!(list.as_array().unwrap().len() >= 8);
    lb(d.path())
        .args([
            "note",
            "add",
            "--title",
            "Demo log",
            "--body",
            "first latency numbers",
        ])
        .assert()
        .success();
    lb(d.path())
        .args([
            "deliverable",
            "link",
            "d.turn-taking-demo",
            "--note",
            "1",
            "--url",
            "https://example.org/demo",
        ])
        .assert()
        .success();
    lb(d.path())
        .args([
            "deliverable",
            "set",
            "d.turn-taking-demo",
            "--status",
            "done",
        ])
        .assert()
        .success();
    let list = json(d.path(), &["deliverable", "list", "--json"]);
    let demo = list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "d.turn-taking-demo")
        .unwrap()
        .clone();
    assert_eq!(demo["status"], "done");
    assert_eq!(demo["evidence"].as_array().unwrap().len(), 2);
    let plan = json(d.path(), &["plan", "--step", "s3", "--json"]);
    let item = plan["steps"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "d.turn-taking-demo")
        .unwrap()
        .clone();
    assert_eq!(
        item["done"], true,
        "a done deliverable checks its plan item"
    );
    // The note file is deleted outside labbook: its evidence goes with it.
    std::fs::remove_file(d.path().join("notes").join("demo-log.md")).unwrap();
    let list = json(d.path(), &["deliverable", "list", "--json"]);
    let demo = list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "d.turn-taking-demo")
        .unwrap()
        .clone();
    assert_eq!(
        demo["evidence"],
        serde_json::json!([{"kind": "url", "target": "https://example.org/demo"}])
    );
    lb(d.path())
        .args(["deliverable", "set", "s1.numpy", "--status", "done"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not a deliverable"));
    lb(d.path())
        .args(["deliverable", "link", "d.reports", "--note", "99"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no note with id 99"));
}

#[test]
fn broken_curriculum_reports_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let cur = d.path().join("cur");
    std::fs::create_dir(&cur).unwrap();
    std::fs::write(
        cur.join("01-a.md"),
        "# A {#a weeks=1-2}\n\n## Topics\n- `a.one` One\n",
    )
    .unwrap();
    std::fs::write(
        cur.join("02-b.md"),
        "# B {#b weeks=3-4}\n\n## Topics\n\n- no id here\n",
    )
    .unwrap();
    lb(d.path())
        .arg("--curriculum")
        .arg(&cur)
        .arg("status")
        .assert()
        .failure()
        .stderr(predicate::str::contains("02-b.md:5:").and(predicate::str::contains("no id")));
}

#[test]
fn own_curriculum_replaces_the_built_in_one_and_keeps_progress() {
    let d = tempfile::tempdir().unwrap();
    let cur = d.path().join("cur");
    std::fs::create_dir(&cur).unwrap();
    std::fs::write(
        cur.join("01-a.md"),
        "# A {#a weeks=1-6}\n\n## Topics\n- `a.one` One\n- `a.two` Two\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let mut c = lb(d.path());
        c.arg("--curriculum").arg(&cur).args(args);
        c
    };
    run(&["done", "a.one"]).assert().success();
    let out = run(&["plan", "--json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["steps"].as_array().unwrap().len(), 1);
    std::fs::write(cur.join("01-a.md"), "# A {#a weeks=1-6}\n\nEdited.\n\n## Topics\n- `a.two` Two, edited\n- `a.one` One, edited\n").unwrap();
    let out = run(&["status", "--json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["done"], 1);
    assert_eq!(v["total"], 2);
    // `sync` reports what the (start-up) sync changed.
    std::fs::write(
        cur.join("01-a.md"),
        "# A {#a weeks=1-6}\n\n## Topics\n- `a.one` One, again\n",
    )
    .unwrap();
    let out = run(&["sync", "--json"]).output().unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["archived"], serde_json::json!(["a.two"]));
    assert_eq!(r["updated"], serde_json::json!(["a.one"]));
    let out = run(&["sync", "--json"]).output().unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["unchanged"], 1);
    // A config file can name the directory too.
    std::fs::write(
        d.path().join("config.toml"),
        format!("curriculum_dir = {:?}\n", cur.display().to_string()),
    )
    .unwrap();
    assert_eq!(json(d.path(), &["status", "--json"])["total"], 1);
    std::fs::write(d.path().join("config.toml"), "curriculum_dir = 3\n").unwrap();
    lb(d.path())
        .arg("status")
        .assert()
        .failure()
        .stderr(predicate::str::contains("config.toml:1: invalid config"));
}

#[test]
fn corrupt_database_gets_a_clear_error_and_is_kept() {
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("labbook.db");
    std::fs::write(&db, b"garbage garbage garbage garbage garbage").unwrap();
    lb(d.path()).arg("status").assert().failure().stderr(
        predicate::str::contains("not a labbook database")
            .and(predicate::str::contains("left untouched")),
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        b"garbage garbage garbage garbage garbage"
    );
}

#[test]
fn labbook_home_selects_the_data_dir() {
    let d = tempfile::tempdir().unwrap();
    let mut c = assert_cmd::Command::from_std(isolated(&d.path().join(".home"), TODAY));
    c.env("LABBOOK_HOME", d.path())
        .arg("status")
        .assert()
        .success();
    assert!(d.path().join("labbook.db").exists());
}
