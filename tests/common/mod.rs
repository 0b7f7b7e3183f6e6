//! What the integration tests share: the `labbook` command with an environment of its
//! own, fixture paths, and reading a command's JSON output.
//!
//! Every `labbook` a test starts goes through [`isolated`], so none reads the real
//! user's config, data, `$EDITOR` or today's date, or writes its log into the real
//! home: what a child needs is set on that child's command, never on the test process
//! (all tests run as threads of one process).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use labbook::app::{Context, Options};
use serde_json::Value;

/// The day `labbook` runs on unless a test names another ([`lb_on`]).
pub const TODAY: &str = "2026-12-10";

/// A `YYYY-MM-DD` date.
pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The app's context on the data directory `dir` on `today`, opened in process as
/// `labbook --data-dir DIR` opens it.
pub fn context(dir: &Path, today: &str) -> Context {
    Context::open(&Options {
        data_dir: Some(dir.to_path_buf()),
        today: Some(date(today)),
        ..Default::default()
    })
    .unwrap()
}

/// The variables labbook reads that no test should inherit from whoever runs the tests.
const UNSET: &[&str] = &[
    "LABBOOK_HOME",
    "LABBOOK_LOG",
    "LABBOOK_RUN_DIR",
    "LABBOOK_RUN_ID",
];

/// The `labbook` binary with an environment of its own and no data directory (the
/// caller names one, with `--data-dir` or `LABBOOK_HOME`):
/// * `HOME` and the XDG config, data, state and cache directories under `home`, which
///   is not created (labbook creates what it writes there: its log);
/// * `LABBOOK_HOME`, `LABBOOK_LOG`, `LABBOOK_RUN_DIR` and `LABBOOK_RUN_ID` unset;
/// * `LABBOOK_TODAY` = `today` (the hidden `--today`);
/// * `VISUAL` and `EDITOR` = `true`: an editor that changes nothing and returns at once.
///
/// The time zone is the test process's own (`TZ` is left alone), so times a test
/// computes in process read the same as the child's.
pub fn isolated(home: &Path, today: &str) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_labbook"));
    for k in UNSET {
        c.env_remove(k);
    }
    c.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("LABBOOK_TODAY", today)
        .env("VISUAL", "true")
        .env("EDITOR", "true");
    c
}

/// `labbook --data-dir DIR --config DIR/config.toml` on `today`, isolated as in
/// [`isolated`] with its home in `DIR/.home`: inside the data directory, so it lasts
/// as long as the test's data does — run supervisors outlive the command that started
/// them and log there too.
pub fn labbook_on(dir: &Path, today: &str) -> std::process::Command {
    let mut c = isolated(&dir.join(".home"), today);
    c.arg("--data-dir")
        .arg(dir)
        .arg("--config")
        .arg(dir.join("config.toml"));
    c
}

/// [`labbook_on`] on [`TODAY`], as a plain `std::process::Command` (to `spawn` it).
pub fn labbook(dir: &Path) -> std::process::Command {
    labbook_on(dir, TODAY)
}

/// [`labbook`] as an `assert_cmd` command.
pub fn lb(dir: &Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(labbook(dir))
}

/// [`labbook_on`] as an `assert_cmd` command.
pub fn lb_on(dir: &Path, today: &str) -> assert_cmd::Command {
    assert_cmd::Command::from_std(labbook_on(dir, today))
}

/// `labbook` with a data directory of its own, removed with the command: for commands
/// whose data directory the test never looks at (`exp`, `audio`, `eval`, `data`).
pub fn lb_scratch() -> Scratch {
    let dir = tempfile::tempdir().unwrap();
    Scratch {
        cmd: lb(dir.path()),
        _dir: dir,
    }
}

/// An `assert_cmd` command that owns its data directory (see [`lb_scratch`]).
pub struct Scratch {
    cmd: assert_cmd::Command,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for Scratch {
    type Target = assert_cmd::Command;
    fn deref(&self) -> &assert_cmd::Command {
        &self.cmd
    }
}

impl std::ops::DerefMut for Scratch {
    fn deref_mut(&mut self) -> &mut assert_cmd::Command {
        &mut self.cmd
    }
}

/// [`labbook`] for a pseudo-terminal, started in the test's working directory
/// (portable-pty would otherwise start it in `$HOME`).
pub fn labbook_pty(dir: &Path) -> portable_pty::CommandBuilder {
    let c = labbook(dir);
    let mut b = portable_pty::CommandBuilder::new(c.get_program());
    b.args(c.get_args());
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => b.env(k, v),
            None => b.env_remove(k),
        }
    }
    b.cwd(std::env::current_dir().unwrap());
    b
}

/// Its stdout, after checking that it succeeded (else its stderr is the message).
pub fn out_ok(c: &mut assert_cmd::Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Its stderr, after checking that it failed.
pub fn err_of(c: &mut assert_cmd::Command) -> String {
    let o = c.output().unwrap();
    assert!(!o.status.success());
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// `labbook ARGS` on the data directory `dir`, its stdout parsed as one JSON value.
pub fn json(dir: &Path, args: &[&str]) -> Value {
    let out = lb(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The lines of a command's output that are JSON (the metrics protocol's records);
/// the others are log lines.
pub fn json_lines(stdout: impl AsRef<[u8]>) -> Vec<Value> {
    String::from_utf8_lossy(stdout.as_ref())
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

/// `labbook run show ID --json`.
pub fn show(dir: &Path, id: &str) -> Value {
    serde_json::from_str(&out_ok(lb(dir).args(["run", "show", id, "--json"]))).unwrap()
}

/// [`show`] every 100 ms until `pred` holds; fails after `secs` seconds with the last
/// state.
pub fn wait_until(dir: &Path, id: &str, secs: u64, pred: impl Fn(&Value) -> bool) -> Value {
    let t = Instant::now();
    loop {
        let v = show(dir, id);
        if pred(&v) {
            return v;
        }
        assert!(
            t.elapsed() < Duration::from_secs(secs),
            "timed out; last state {v:#}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether a run (`run show --json`) has ended, one way or another.
pub fn finished(v: &Value) -> bool {
    matches!(
        v["run"]["status"].as_str(),
        Some("completed" | "failed" | "killed" | "lost")
    )
}

/// A run's directory (`run show --json`).
pub fn run_dir(v: &Value) -> PathBuf {
    PathBuf::from(v["run"]["dir"].as_str().unwrap())
}

/// A path in the repository.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A path under `tests/fixtures`.
pub fn fixture(path: &str) -> PathBuf {
    repo("tests/fixtures").join(path)
}
