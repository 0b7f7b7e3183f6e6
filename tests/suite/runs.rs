//! Runs end to end with real child processes: metrics in several styles, crashes,
//! missing commands, SIGTERM ignored, floods, supervisor and watcher killed with
//! SIGKILL, reused pids, sweeps with a concurrency limit, re-runs, tags, deletes.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use predicates::prelude::*;
use serde_json::Value;

use crate::common::{finished, labbook, labbook_pty, lb, run_dir, show, wait_until};

fn fixture(name: &str) -> String {
    crate::common::fixture("runs")
        .join(name)
        .display()
        .to_string()
}

/// Start `--cmd LINE` and return the run id.
fn start(dir: &Path, line: &str) -> String {
    let out = lb(dir)
        .args(["run", "start", "--cmd", line])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8_lossy(&out.stdout).to_string();
    s.split_whitespace().nth(1).unwrap().to_string()
}

fn wait_done(dir: &Path, id: &str) -> Value {
    wait_until(dir, id, 30, finished)
}

fn metric<'a>(v: &'a Value, key: &str) -> &'a Value {
    v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == key)
        .unwrap_or_else(|| panic!("no metric {key} in {v:#}"))
}

#[test]
fn metrics_logs_and_completion() {
    let d = tempfile::tempdir().unwrap();
    let id = start(d.path(), &format!("sh {}", fixture("metrics.sh")));
    let v = wait_done(d.path(), &id);
    assert_eq!(v["run"]["status"], "completed", "{v:#}");
    assert_eq!(v["run"]["exit_code"], 0);
    // Every record point, out-of-order and repeated steps included, NaN and Inf kept.
    let loss = metric(&v, "loss");
    assert_eq!(loss["count"], 6);
    assert_eq!(loss["min"], 2.0);
    assert_eq!(loss["min_step"], 5);
    assert_eq!(loss["max"], 4.5);
    assert_eq!(metric(&v, "eval.wer")["last"], 0.25);
    assert_eq!(metric(&v, "grad_norm")["count"], 1);
    assert_eq!(v["info"][0], serde_json::json!(["phase", "warmup"]));
    let out = lb(d.path())
        .args(["run", "metrics", &id, "--key", "loss", "--csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&out.stdout);
    let steps: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(
        steps,
        ["0", "2", "1", "2", "2", "5"],
        "reported order kept: {csv}"
    );
    assert!(csv.contains(",NaN"), "{csv}");
    // Logs: the progress bar folded to its last state, colours kept; grep ignores them.
    let logs = lb(d.path()).args(["run", "logs", &id]).output().unwrap();
    let text = String::from_utf8_lossy(&logs.stdout);
    assert!(
        text.contains("100%|##########| 3/3") && !text.contains("33%"),
        "{text}"
    );
    assert!(text.contains("\x1b[32mINFO\x1b[0m epoch 1 done"));
    assert!(text.contains("{not json at all"));
    assert!(text.trim_end().ends_with("a warning"), "{text}");
    assert!(
        text.contains("no newline at the end"),
        "the last partial line is kept"
    );
    let g = lb(d.path())
        .args(["run", "logs", &id, "--grep", "INFO epoch"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&g.stdout).lines().count(), 1);
    // Metadata captured.
    let meta = &v["meta"];
    assert_eq!(meta["argv"][0], "sh");
    assert!(meta["host"].as_str().is_some_and(|h| !h.is_empty()));
    assert!(meta["cpu"].as_str().is_some_and(|h| !h.is_empty()));
    assert_eq!(meta["labbook_version"], env!("CARGO_PKG_VERSION"));
    assert!(meta["env"]["PATH"].is_string());
    assert_eq!(v["run"]["lines"], 12);
}

#[test]
fn a_crash_is_failed_with_its_exit_code() {
    let d = tempfile::tempdir().unwrap();
    let id = start(d.path(), "echo before; exit 3");
    let v = wait_done(d.path(), &id);
    assert_eq!(v["run"]["status"], "failed");
    assert_eq!(v["run"]["exit_code"], 3);
    assert_eq!(v["run"]["reason"], "exit code 3");
    let id = start(d.path(), "kill -SEGV $$");
    let v = wait_done(d.path(), &id);
    assert_eq!(v["run"]["status"], "failed");
    assert_eq!(v["run"]["reason"], "terminated by SIGSEGV");
}

#[test]
fn a_missing_command_is_named() {
    let d = tempfile::tempdir().unwrap();
    let id = start(d.path(), "definitely-not-a-command-xyz --flag");
    let v = wait_done(d.path(), &id);
    assert_eq!(v["run"]["status"], "failed");
    assert_eq!(v["run"]["reason"], "exit code 127 (command not found)");
    let logs = lb(d.path())
        .args(["run", "logs", &id, "--stderr"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&logs.stdout).contains("definitely-not-a-command-xyz"));
    // A project whose experiment is not built yet (whichever that is today).
    let projects = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("projects");
    let unbuilt = labbook::exp::REGISTRY
        .iter()
        .map(|e| (e.name(), e.built().is_some()))
        .find(|(n, built)| !built && projects.join(n).join("project.toml").exists());
    if let Some((name, _)) = unbuilt {
        lb(d.path())
            .args(["run", "start", name])
            .assert()
            .failure()
            .stderr(predicates::str::contains("not built yet"));
    }
    lb(d.path())
        .args(["run", "start", "nope"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("no project `nope`"));
}

#[test]
fn cancel_terminates_the_group_and_escalates_when_sigterm_is_ignored() {
    let d = tempfile::tempdir().unwrap();
    let polite = start(d.path(), "echo up; sleep 30 & wait");
    wait_until(d.path(), &polite, 30, |v| {
        v["run"]["status"] == "running" && v["run"]["lines"] == 1
    });
    lb(d.path())
        .args(["run", "cancel", &polite, "--grace", "5"])
        .assert()
        .success()
        .stdout(predicates::str::contains("stopped (SIGTERM)"));
    let v = wait_done(d.path(), &polite);
    assert_eq!(v["run"]["status"], "killed");
    assert_eq!(v["run"]["reason"], "cancelled (SIGTERM)");
    let stubborn = start(
        d.path(),
        "trap '' TERM; echo up; while true; do sleep 0.1; done",
    );
    wait_until(d.path(), &stubborn, 30, |v| v["run"]["lines"] == 1);
    let pid = show(d.path(), &stubborn)["run"]["pid"].as_i64().unwrap();
    lb(d.path())
        .args(["run", "cancel", &stubborn, "--grace", "0.5"])
        .assert()
        .success()
        .stdout(predicates::str::contains("killed (SIGKILL)"));
    let v = wait_done(d.path(), &stubborn);
    assert_eq!(v["run"]["status"], "killed");
    assert_eq!(v["run"]["reason"], "cancelled (SIGKILL)");
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .unwrap_or_default()
                .contains(") Z")
    );
    lb(d.path())
        .args(["run", "cancel", &stubborn])
        .assert()
        .failure()
        .stderr(predicates::str::contains("already killed"));
}

#[test]
fn a_flood_of_output_is_kept_line_for_line() {
    let d = tempfile::tempdir().unwrap();
    let id = start(
        d.path(),
        "seq 1 200000; seq 1 1000 | sed 's/.*/{\"step\": &, \"x\": &}/'",
    );
    let v = wait_done(d.path(), &id);
    assert_eq!(v["run"]["status"], "completed");
    assert_eq!(v["run"]["lines"], 201_000);
    assert_eq!(metric(&v, "x")["count"], 1000);
    let log = std::fs::read_to_string(run_dir(&v).join("stdout.log")).unwrap();
    assert_eq!(log.lines().count(), 201_000);
}

#[test]
fn a_run_whose_supervisor_was_killed_is_lost_not_running() {
    let d = tempfile::tempdir().unwrap();
    let id = start(d.path(), "echo up; sleep 1.5");
    let v = wait_until(d.path(), &id, 30, |v| v["run"]["status"] == "running");
    let sup: Value =
        serde_json::from_slice(&std::fs::read(run_dir(&v).join("supervisor.json")).unwrap())
            .unwrap();
    let spid = sup["supervisor_pid"].as_i64().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-9", &spid])
        .status()
        .unwrap()
        .success());
    // Still running while the process lives…
    assert_eq!(show(d.path(), &id)["run"]["status"], "running");
    // …and lost once it is gone without anyone recording its exit.
    let v = wait_done(d.path(), &id);
    assert_eq!(v["run"]["status"], "lost");
    assert!(!run_dir(&v).join("exit.json").exists());
    // Following a lost run ends instead of waiting forever.
    lb(d.path())
        .args(["run", "logs", &id, "-f"])
        .timeout(Duration::from_secs(15))
        .assert()
        .success()
        .stdout(predicate::str::contains("up"));
    // Deleting it is fine while an ingester still follows it.
    lb(d.path())
        .args(["run", "delete", &id, "--yes"])
        .assert()
        .success();
    lb(d.path())
        .args(["run", "list", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("[]"));
}

#[test]
fn a_queued_sweep_run_cancelled_never_starts() {
    let d = tempfile::tempdir().unwrap();
    lb(d.path())
        .args([
            "project",
            "add",
            "slow",
            "--command",
            "echo {n}; sleep 1.5",
            "--default",
            "n=1",
        ])
        .assert()
        .success();
    lb(d.path())
        .args([
            "run",
            "sweep",
            "slow",
            "--param",
            "n=1,2",
            "--max-parallel",
            "1",
            "--yes",
        ])
        .assert()
        .success();
    let list = || -> Vec<Value> {
        let out = lb(d.path())
            .args(["run", "list", "--json"])
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    let t = Instant::now();
    let queued = loop {
        let l = list();
        if let Some(q) = l
            .iter()
            .find(|r| r["status"] == "queued" && r["params"]["n"] == 2)
        {
            if l.iter().any(|r| r["status"] == "running") {
                break q["id"].as_str().unwrap().to_string();
            }
        }
        assert!(t.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(50));
    };
    lb(d.path())
        .args(["run", "cancel", &queued])
        .assert()
        .success()
        .stdout(predicate::str::contains("cancelled before it started"));
    let v = wait_done(d.path(), &queued);
    assert_eq!(v["run"]["status"], "killed");
    assert!(
        !run_dir(&v).join("supervisor.json").exists(),
        "it never started"
    );
    assert_eq!(v["run"]["lines"], 0);
    // The other run completes normally.
    let t = Instant::now();
    while !list().iter().any(|r| r["status"] == "completed") {
        assert!(t.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn killing_the_watcher_mid_ingest_loses_and_duplicates_nothing() {
    let d = tempfile::tempdir().unwrap();
    let id = start(d.path(), "i=0; while [ $i -lt 3000 ]; do echo \"{\\\"step\\\": $i, \\\"v\\\": $i}\"; i=$((i+1)); done; sleep 0.5; seq 1 3000 | sed 's/.*/{\"w\": &}/'");
    for _ in 0..3 {
        let mut w = labbook(d.path())
            .args(["run", "watch", "--interval-ms", "5"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        w.kill().unwrap(); // SIGKILL
        w.wait().unwrap();
    }
    let v = wait_done(d.path(), &id);
    assert_eq!(v["run"]["status"], "completed");
    assert_eq!(metric(&v, "v")["count"], 3000);
    assert_eq!(metric(&v, "w")["count"], 3000);
    let db = rusqlite::Connection::open(d.path().join("labbook.db")).unwrap();
    let n: i64 = db
        .query_row("SELECT count(*) FROM metrics", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 6000, "no point lost or stored twice");
    let distinct: i64 = db.query_row("SELECT count(DISTINCT step) FROM metrics m JOIN metric_keys k ON k.id = m.key_id WHERE k.name = 'v'", [], |r| r.get(0)).unwrap();
    assert_eq!(distinct, 3000);
    assert_eq!(v["run"]["lines"], 6000);
}

#[test]
fn a_reused_pid_is_not_taken_for_the_run() {
    use labbook::runs::{self, ingest, RunMeta, SupervisorRecord};
    let d = tempfile::tempdir().unwrap();
    let mut store = labbook::store::Store::open(&d.path().join("labbook.db")).unwrap();
    let root = runs::runs_dir(d.path());
    let dir = root.join("20260101-000000-fake-0001");
    std::fs::create_dir_all(&dir).unwrap();
    let meta = RunMeta {
        id: "20260101-000000-fake-0001".into(),
        name: "fake".into(),
        argv: vec!["true".into()],
        command: "true".into(),
        ..Default::default()
    };
    runs::write_json(&dir.join(runs::META), &meta).unwrap();
    // The pid of a live process (this test), but with another start time: a reuse.
    let me = std::process::id() as i32;
    let ticks = runs::proc::start_ticks(me).unwrap();
    let rec = SupervisorRecord {
        supervisor_pid: me,
        pid: me,
        pgid: me,
        start_ticks: ticks + 7,
        supervisor_ticks: ticks + 7,
        boot_id: runs::proc::boot_id(),
        started_at: 1.0,
    };
    runs::write_json(&dir.join(runs::SUPERVISOR), &rec).unwrap();
    let mut ing = ingest::Ingester::new(&root);
    let r = ing.cycle(&mut store.conn).unwrap();
    assert_eq!(r.new_runs, 1);
    let run = runs::query::find(&store.conn, "fake").unwrap();
    assert_eq!(run.status, runs::Status::Lost, "{run:?}");
    // With the right start time the same pid is this live process: running.
    let dir2 = root.join("20260101-000000-real-0002");
    std::fs::create_dir_all(&dir2).unwrap();
    runs::write_json(
        &dir2.join(runs::META),
        &RunMeta {
            id: "20260101-000000-real-0002".into(),
            name: "real".into(),
            ..meta
        },
    )
    .unwrap();
    runs::write_json(
        &dir2.join(runs::SUPERVISOR),
        &SupervisorRecord {
            start_ticks: ticks,
            supervisor_ticks: ticks,
            ..rec
        },
    )
    .unwrap();
    ing.cycle(&mut store.conn).unwrap();
    assert_eq!(
        runs::query::find(&store.conn, "real").unwrap().status,
        runs::Status::Running
    );
}

#[test]
fn projects_sweeps_reruns_tags_notes_and_deletes() {
    let d = tempfile::tempdir().unwrap();
    lb(d.path())
        .args([
            "project",
            "add",
            "echo-x",
            "--command",
            "printf '{\"x\": %s, \"y\": %s}\\n' {x} {y}; sleep 0.3",
            "--default",
            "x=1",
            "--default",
            "y=2",
            "--metric",
            "x",
        ])
        .assert()
        .success();
    lb(d.path())
        .args(["project", "show", "echo-x"])
        .assert()
        .success()
        .stdout(predicates::str::contains("--param x=1"));
    // Preview only, nothing started.
    lb(d.path())
        .args([
            "run", "sweep", "echo-x", "--param", "x=1,2,3", "--param", "y=5",
        ])
        .assert()
        .success()
        .stdout(
            predicates::str::contains("3 run(s)").and(predicates::str::contains("preview only")),
        );
    assert!(lb(d.path())
        .args(["run", "list", "--json"])
        .output()
        .unwrap()
        .stdout
        .starts_with(b"[]"));
    lb(d.path())
        .args([
            "run",
            "sweep",
            "echo-x",
            "--param",
            "x=1,2,3",
            "--param",
            "y=5",
            "--max-parallel",
            "1",
            "--yes",
        ])
        .assert()
        .success();
    let t = Instant::now();
    let runs = loop {
        let out = lb(d.path())
            .args(["run", "list", "--json"])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let all = v.as_array().unwrap().clone();
        if all.len() == 3 && all.iter().all(|r| r["status"] == "completed") {
            break all;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "{v:#}");
        std::thread::sleep(Duration::from_millis(100));
    };
    // One at a time: each run started after the previous one ended.
    let mut spans: Vec<(f64, f64)> = runs
        .iter()
        .map(|r| {
            (
                r["started_at"].as_f64().unwrap(),
                r["ended_at"].as_f64().unwrap(),
            )
        })
        .collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    for w in spans.windows(2) {
        assert!(w[1].0 >= w[0].1 - 0.05, "runs overlapped: {spans:?}");
    }
    let xs: Vec<i64> = runs
        .iter()
        .map(|r| r["params"]["x"].as_i64().unwrap())
        .collect();
    assert_eq!(
        {
            let mut s = xs.clone();
            s.sort();
            s
        },
        [1, 2, 3]
    );
    let first = runs[0]["id"].as_str().unwrap().to_string();
    let v = show(d.path(), &first);
    assert_eq!(metric(&v, "y")["last"], 5.0);
    // Compare: the parameter that differs and the metrics side by side.
    let ids: Vec<String> = runs
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let out = lb(d.path())
        .args(["run", "compare", &ids[0], &ids[1], "--json"])
        .output()
        .unwrap();
    let c: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(c["differing_params"], serde_json::json!(["x"]));
    // Re-run with an edited parameter.
    let out = lb(d.path())
        .args(["run", "rerun", &first, "--param", "x=42"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_id = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    let v = wait_done(d.path(), &new_id);
    assert_eq!(metric(&v, "x")["last"], 42.0);
    assert_eq!(v["run"]["params"]["y"], 5);
    // Tags, notes, delete.
    lb(d.path())
        .args(["run", "tag", &new_id, "--add", "best", "--add", "rerun"])
        .assert()
        .success();
    assert_eq!(
        show(d.path(), &new_id)["run"]["tags"],
        serde_json::json!(["best", "rerun"])
    );
    lb(d.path())
        .args(["run", "note", &new_id, "--body", "x=42 is the answer"])
        .assert()
        .success();
    let notes: Value = serde_json::from_slice(
        &lb(d.path())
            .args(["note", "list", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(notes[0]["run"], new_id);
    lb(d.path())
        .args(["run", "delete", &new_id])
        .write_stdin("n\n")
        .assert()
        .success()
        .stdout(predicates::str::contains("kept"));
    let dir = run_dir(&show(d.path(), &new_id));
    lb(d.path())
        .args(["run", "delete", &new_id, "--yes"])
        .assert()
        .success();
    assert!(!dir.exists());
    lb(d.path())
        .args(["run", "show", &new_id])
        .assert()
        .failure()
        .stderr(predicates::str::contains("no run matches"));
}

#[test]
fn a_silent_run_is_flagged_stalled_and_unflagged_when_output_resumes() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("config.toml"),
        "[runs]\nstall_factor = 3\nstall_min_secs = 0.6\n",
    )
    .unwrap();
    let id = start(
        d.path(),
        "for i in 1 2 3 4 5 6 7 8; do echo tick; sleep 0.05; done; sleep 2.5; echo back; sleep 0.3",
    );
    wait_until(d.path(), &id, 30, |v| v["run"]["lines"].as_i64() >= Some(8));
    let v = wait_until(d.path(), &id, 30, |v| {
        v["run"]["stalled"] == true || v["run"]["status"] != "running"
    });
    assert_eq!(v["run"]["stalled"], true, "{v:#}");
    assert_eq!(v["run"]["status"], "running");
    let v = wait_until(d.path(), &id, 30, |v| v["run"]["lines"] == 9);
    assert_eq!(v["run"]["stalled"], false);
    let v = wait_done(d.path(), &id);
    assert_eq!(v["run"]["status"], "completed");
}

/// The TUI ingests while open; SIGKILL it mid-run and nothing is lost.
#[test]
fn killing_the_tui_mid_run_loses_nothing() {
    use portable_pty::{native_pty_system, PtySize};
    let d = tempfile::tempdir().unwrap();
    let id = start(d.path(), "i=0; while [ $i -lt 40 ]; do echo \"{\\\"step\\\": $i, \\\"v\\\": $i}\"; i=$((i+1)); sleep 0.05; done");
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = labbook_pty(d.path());
    cmd.env("TERM", "xterm-256color");
    let mut child = pty.slave.spawn_command(cmd).unwrap();
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = std::io::Read::read(&mut reader, &mut buf) {
            if n == 0 {
                break;
            }
        }
    });
    // Let the TUI's ingest worker follow the run for a while, then SIGKILL it.
    std::thread::sleep(Duration::from_millis(1200));
    let db = rusqlite::Connection::open(d.path().join("labbook.db")).unwrap();
    let during: i64 = db
        .query_row("SELECT count(*) FROM metrics", [], |r| r.get(0))
        .unwrap();
    assert!(during > 0, "the TUI ingested while it was open");
    let pid = child.process_id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-9", &pid])
        .status()
        .unwrap()
        .success());
    let _ = child.wait();
    let v = wait_done(d.path(), &id);
    assert_eq!(v["run"]["status"], "completed");
    assert_eq!(metric(&v, "v")["count"], 40);
    let n: i64 = db
        .query_row("SELECT count(*) FROM metrics", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 40, "nothing lost, nothing stored twice");
}

#[test]
fn git_commit_dirty_flag_and_diff_are_captured() {
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    std::fs::write(repo.join("train.py"), "print('v1')\n").unwrap();
    git(&["add", "train.py"]);
    git(&["commit", "-qm", "v1"]);
    std::fs::write(repo.join("train.py"), "print('v2')\n").unwrap();
    let out = lb(d.path())
        .args(["run", "start", "--cmd", "true", "--cwd"])
        .arg(&repo)
        .output()
        .unwrap();
    assert!(out.status.success());
    let id = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    let v = wait_done(d.path(), &id);
    let g = &v["meta"]["git"];
    assert_eq!(g["commit"].as_str().unwrap().len(), 40);
    assert_eq!(g["dirty"], true);
    let diff = std::fs::read_to_string(run_dir(&v).join("git.diff")).unwrap();
    assert!(diff.contains("+print('v2')"), "{diff}");
    assert_eq!(v["run"]["git_dirty"], true);
}
