//! Runs on a real Slurm cluster: `.ci/run` starts a single-node one with
//! `shared/slurm/slurm-ci.sh` and sets `LABBOOK_REQUIRE_SLURM=1`. Without Slurm these
//! tests print that they were skipped (to the terminal, past the test harness's
//! capture) — and with `LABBOOK_REQUIRE_SLURM=1` they fail instead.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{finished, labbook, lb, out_ok, run_dir, show, wait_until};

/// Whether a Slurm controller answers; otherwise say so (or fail when required).
fn slurm(test: &str) -> bool {
    let up = std::process::Command::new("sinfo")
        .args(["-h", "-o", "%T"])
        .output()
        .map(|o| o.status.success() && !o.stdout.is_empty())
        .unwrap_or(false);
    if !up {
        if std::env::var("LABBOOK_REQUIRE_SLURM").as_deref() == Ok("1") {
            panic!("{test}: LABBOOK_REQUIRE_SLURM=1 but no Slurm controller answers `sinfo` (is SLURM_CONF set?)");
        }
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: no Slurm cluster (start one with shared/slurm/slurm-ci.sh and export SLURM_CONF)"
        );
    }
    up
}

/// `--on slurm` a command line; the run id and the job id.
fn submit(dir: &Path, line: &str, extra: &[&str]) -> (String, String) {
    let s = out_ok(
        lb(dir)
            .args(["run", "start", "--on", "slurm", "--cmd", line])
            .args(extra),
    );
    // "submitted ID as Slurm job N (DIR)"
    let w: Vec<&str> = s.split_whitespace().collect();
    assert_eq!(w[0], "submitted", "{s}");
    (w[1].to_string(), w[5].to_string())
}

fn status(v: &Value) -> &str {
    v["run"]["status"].as_str().unwrap_or("")
}

/// A config with a Slurm profile and a fast queue poll.
fn home(extra: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("config.toml"),
        format!("[slurm]\npoll_secs = 0.2\n{extra}"),
    )
    .unwrap();
    d
}

#[test]
fn a_job_is_followed_to_completion_with_its_metrics_and_logs() {
    if !slurm("a_job_is_followed_to_completion_with_its_metrics_and_logs") {
        return;
    }
    let d = home("");
    let (id, job) = submit(
        d.path(),
        r#"for i in 1 2 3 4; do echo "{\"step\": $i, \"loss\": 1.$i}"; sleep 0.3; done; echo warn >&2"#,
        &["--time", "5"],
    );
    let v = wait_until(d.path(), &id, 60, finished);
    assert_eq!(status(&v), "completed", "{:#}", v["run"]);
    let loss = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "loss")
        .unwrap();
    assert_eq!(loss["count"], 4);
    assert_eq!(loss["last"], 1.4);
    let logs = out_ok(lb(d.path()).args(["run", "logs", &id]));
    assert!(
        logs.contains("\"step\": 4") && logs.contains("warn"),
        "{logs}"
    );
    // The job id and the node are on record.
    let text = out_ok(lb(d.path()).args(["run", "show", &id]));
    assert!(
        text.contains(&format!("slurm    job {job} · node ")),
        "{text}"
    );
    assert!(text.contains("time 5"), "{text}");
}

#[test]
fn a_failing_job_is_failed_with_its_exit_code() {
    if !slurm("a_failing_job_is_failed_with_its_exit_code") {
        return;
    }
    let d = home("");
    let (id, _) = submit(d.path(), "echo about to fail >&2; exit 4", &[]);
    let v = wait_until(d.path(), &id, 60, finished);
    assert_eq!(status(&v), "failed");
    assert_eq!(v["run"]["reason"], "exit code 4");
    let (id, _) = submit(d.path(), "no-such-command-labbook-xyz", &[]);
    let v = wait_until(d.path(), &id, 60, finished);
    assert_eq!(v["run"]["reason"], "exit code 127 (command not found)");
}

#[test]
fn cancelling_a_running_and_a_pending_job() {
    if !slurm("cancelling_a_running_and_a_pending_job") {
        return;
    }
    // A held job stays pending, with Slurm's reason shown.
    let d = home("[slurm.profiles.held]\nsbatch_args = [\"--hold\"]\n");
    let (held, _) = submit(d.path(), "echo never", &["--profile", "held"]);
    let v = wait_until(d.path(), &held, 30, |v| {
        v["run"]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("pending:"))
    });
    assert_eq!(status(&v), "queued");
    let (running, _) = submit(d.path(), "echo started; sleep 120", &[]);
    wait_until(d.path(), &running, 60, |v| {
        status(v) == "running" && v["run"]["lines"].as_i64().unwrap_or(0) >= 1
    });
    for id in [&held, &running] {
        let out = out_ok(lb(d.path()).args(["run", "cancel", id]));
        assert!(out.contains("scancel sent to Slurm job"), "{out}");
    }
    for id in [&held, &running] {
        let v = wait_until(d.path(), id, 60, finished);
        assert_eq!(status(&v), "killed", "{:#}", v["run"]);
    }
    // The pending one never ran.
    let v = show(d.path(), &held);
    assert!(!run_dir(&v).join("started.json").exists());
}

#[test]
fn states_are_reconciled_after_labbook_was_away() {
    if !slurm("states_are_reconciled_after_labbook_was_away") {
        return;
    }
    let d = home("");
    let (id, job) = submit(
        d.path(),
        r#"for i in $(seq 1 50); do echo "{\"step\": $i, \"x\": $i}"; done; sleep 1; exit 3"#,
        &[],
    );
    // A watcher follows it and is killed with SIGKILL mid-run.
    let mut watcher = labbook(d.path())
        .args(["run", "watch", "--interval-ms", "50"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    watcher.kill().unwrap();
    watcher.wait().unwrap();
    // The job ends while nobody watches.
    let t = Instant::now();
    loop {
        let q = std::process::Command::new("squeue")
            .args(["-h", "-j", &job, "-o", "%T"])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&q.stdout).trim().is_empty() {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(200));
    }
    let v = wait_until(d.path(), &id, 30, finished);
    assert_eq!(status(&v), "failed");
    assert_eq!(v["run"]["reason"], "exit code 3");
    let x = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "x")
        .unwrap()
        .clone();
    assert_eq!(x["count"], 50, "every point once");
}

#[test]
fn sweeps_go_as_a_job_array_or_as_limited_single_jobs() {
    if !slurm("sweeps_go_as_a_job_array_or_as_limited_single_jobs") {
        return;
    }
    let d = home("");
    out_ok(lb(d.path()).args([
        "project",
        "add",
        "echo",
        "--command",
        "echo value {v}",
        "--default",
        "v=1",
    ]));
    let out = out_ok(lb(d.path()).args([
        "run",
        "sweep",
        "echo",
        "--param",
        "v=1,2,3",
        "--on",
        "slurm",
        "--max-parallel",
        "2",
        "--yes",
    ]));
    assert!(
        out.contains("job array") && out.contains("3 task(s), at most 2 at a time"),
        "{out}"
    );
    let out = out_ok(lb(d.path()).args([
        "run",
        "sweep",
        "echo",
        "--param",
        "v=4,5",
        "--on",
        "slurm",
        "--no-array",
        "--max-parallel",
        "1",
        "--yes",
    ]));
    assert!(out.contains("2 job(s)"), "{out}");
    let t = Instant::now();
    loop {
        let list: Value =
            serde_json::from_str(&out_ok(lb(d.path()).args(["run", "list", "--json"]))).unwrap();
        let runs = list.as_array().unwrap();
        assert_eq!(runs.len(), 5);
        if runs.iter().all(|r| r["status"] == "completed") {
            let mut vs: Vec<String> = runs.iter().map(|r| r["params"]["v"].to_string()).collect();
            vs.sort();
            assert_eq!(vs, ["1", "2", "3", "4", "5"]);
            // Array tasks are recorded as ARRAY_TASK.
            let array_tasks = runs
                .iter()
                .filter(|r| {
                    let dir = PathBuf::from(r["dir"].as_str().unwrap());
                    let job: Value = serde_json::from_str(
                        &std::fs::read_to_string(dir.join("slurm.json")).unwrap(),
                    )
                    .unwrap();
                    job["job_id"].as_str().unwrap().contains('_')
                })
                .count();
            assert_eq!(array_tasks, 3);
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(90), "{list:#}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn a_job_over_its_time_limit_fails_with_slurms_reason() {
    if !slurm("a_job_over_its_time_limit_fails_with_slurms_reason") {
        return;
    }
    // Slurm's smallest limit is a minute; the job ignores nothing and just sleeps.
    let d = home("");
    let (id, _) = submit(d.path(), "echo start; sleep 600", &["--time", "1"]);
    let v = wait_until(d.path(), &id, 150, finished);
    assert_eq!(status(&v), "failed", "{:#}", v["run"]);
    let reason = v["run"]["reason"].as_str().unwrap_or("");
    assert!(reason.starts_with("Slurm: TIMEOUT"), "{reason}");
}

#[test]
fn without_slurm_a_submission_fails_clearly_and_is_recorded() {
    // Needs no cluster: sbatch is made unreachable.
    let d = home("");
    let out = lb(d.path())
        .env("PATH", "/nonexistent")
        .args(["run", "start", "--on", "slurm", "--cmd", "echo hi"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`sbatch` was not found"), "{err}");
    let list: Value =
        serde_json::from_str(&out_ok(lb(d.path()).args(["run", "list", "--json"]))).unwrap();
    assert_eq!(list[0]["status"], "failed");
    assert!(list[0]["reason"]
        .as_str()
        .unwrap()
        .contains("not submitted"));
    // Unknown profiles and stray options are named.
    let out = lb(d.path())
        .args([
            "run",
            "start",
            "--on",
            "slurm",
            "--profile",
            "gpu",
            "--cmd",
            "true",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("no Slurm profile `gpu`"));
    let out = lb(d.path())
        .args(["run", "start", "--gpus", "2", "--cmd", "true"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("go with --on slurm"));
}
