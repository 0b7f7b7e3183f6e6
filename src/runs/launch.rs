//! Starting runs: the run directory with its metadata, the detached supervisor that
//! owns the process, and cancelling a run's whole process group.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use nix::sys::signal::Signal;

use super::fsm::Exit;
use super::proc;
use super::{
    read_json, write_json, GitInfo, RunMeta, SupervisorRecord, CANCEL, EXIT, GIT_DIFF, META,
    STDERR, STDOUT, SUPERVISOR,
};

/// Environment variables recorded with a run (the process itself inherits the whole
/// environment of whoever launched it).
pub const ENV_ALLOWLIST: &[&str] = &[
    "PATH",
    "VIRTUAL_ENV",
    "CONDA_DEFAULT_ENV",
    "CONDA_PREFIX",
    "PYTHONPATH",
    "CUDA_VISIBLE_DEVICES",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "RAYON_NUM_THREADS",
    "LANG",
    "LC_ALL",
    "SLURM_JOB_ID",
    "HOSTNAME",
];

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    pub name: String,
    pub project: Option<String>,
    /// Program and arguments (no shell).
    pub argv: Vec<String>,
    /// How the user wrote it (a shell command line is run as `sh -c LINE`).
    pub command: String,
    pub cwd: PathBuf,
    pub params: BTreeMap<String, serde_json::Value>,
    pub sweep: Option<String>,
    /// `local` (empty means local) or `slurm`.
    pub backend: String,
}

impl Spec {
    /// A shell command line, run with `sh -c`.
    pub fn shell(line: &str, cwd: &Path) -> Spec {
        Spec {
            name: line
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" "),
            argv: vec!["sh".into(), "-c".into(), line.to_string()],
            command: line.to_string(),
            cwd: cwd.to_path_buf(),
            ..Default::default()
        }
    }
}

fn git(cwd: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(cwd)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).to_string())
}

/// Commit, branch and dirty flag of the repository around `cwd`; the diff of a dirty
/// tree is written to `diff_path` (capped at 16 MiB).
pub fn git_info(cwd: &Path, diff_path: &Path) -> Option<GitInfo> {
    // Runs created together (a sweep) share one look at the repository.
    type Seen = (PathBuf, Instant, Option<GitInfo>, Option<String>);
    static LAST: std::sync::Mutex<Option<Seen>> = std::sync::Mutex::new(None);
    if let Ok(last) = LAST.lock() {
        if let Some((dir, at, info, diff)) = last.as_ref() {
            if dir == cwd && at.elapsed() < Duration::from_secs(10) {
                if let Some(d) = diff {
                    let _ = std::fs::write(diff_path, d);
                }
                return info.clone();
            }
        }
    }
    let (info, diff) = git_info_uncached(cwd);
    if let Some(d) = &diff {
        let _ = std::fs::write(diff_path, d);
    }
    if let Ok(mut last) = LAST.lock() {
        *last = Some((cwd.to_path_buf(), Instant::now(), info.clone(), diff));
    }
    info
}

fn git_info_uncached(cwd: &Path) -> (Option<GitInfo>, Option<String>) {
    let Some(commit) = git(cwd, &["rev-parse", "HEAD"]) else {
        return (None, None);
    };
    let commit = commit.trim().to_string();
    let branch = git(cwd, &["rev-parse", "--abbrev-ref", "HEAD"])
        .map(|b| b.trim().to_string())
        .filter(|b| b != "HEAD");
    let dirty = git(cwd, &["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|s| !s.trim().is_empty());
    let mut diff_text = None;
    if dirty {
        if let Some(mut diff) = git(cwd, &["diff", "HEAD"]) {
            const CAP: usize = 16 << 20;
            if diff.len() > CAP {
                diff.truncate(crate::util::prefix(&diff, CAP).len());
                diff.push_str("\n[diff truncated at 16 MiB]\n");
            }
            diff_text = Some(diff);
        }
    }
    (
        Some(GitInfo {
            commit,
            branch,
            dirty,
        }),
        diff_text,
    )
}

/// Create the run directory and its `meta.json`. Nothing runs yet.
pub fn create(runs_root: &Path, spec: &Spec) -> anyhow::Result<(PathBuf, RunMeta)> {
    if spec.argv.is_empty() {
        bail!("nothing to run: the command is empty");
    }
    let id = super::new_id(&spec.name);
    let dir = runs_root.join(&id);
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating run directory {}", dir.display()))?;
    let env = ENV_ALLOWLIST
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect();
    let seed = spec.params.get("seed").and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    });
    let meta = RunMeta {
        id,
        name: spec.name.clone(),
        project: spec.project.clone(),
        argv: spec.argv.clone(),
        command: spec.command.clone(),
        cwd: spec.cwd.clone(),
        env,
        params: spec.params.clone(),
        seed,
        git: git_info(&spec.cwd, &dir.join(GIT_DIFF)),
        host: proc::host_name(),
        cpu: proc::cpu_description(),
        gpu: proc::gpu_description(),
        labbook_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: crate::store::now_ts(),
        sweep: spec.sweep.clone(),
        backend: if spec.backend.is_empty() {
            "local".into()
        } else {
            spec.backend.clone()
        },
    };
    write_json(&dir.join(META), &meta)?;
    // Until a supervisor takes over, the creator is the run's launcher: if it dies
    // first, the run is recorded as never started instead of staying queued.
    write_json(
        &dir.join(super::LAUNCH),
        &super::LaunchRecord::of(std::process::id() as i32),
    )?;
    Ok((dir, meta))
}

/// Start the supervisor for a created run, record it as the run's launcher, and reap
/// it on a thread.
pub fn start(exe: &Path, dir: &Path) -> anyhow::Result<()> {
    let child = spawn_supervisor(exe, dir)?;
    write_json(
        &dir.join(super::LAUNCH),
        &super::LaunchRecord::of(child.id() as i32),
    )?;
    reap_in_background(child);
    Ok(())
}

/// Wait for a detached child on a thread, so it does not linger as a zombie.
pub fn reap_in_background(mut child: std::process::Child) {
    std::thread::spawn(move || {
        let _ = child.wait();
    });
}

/// Start the detached supervisor for a created run. `exe` is the labbook binary.
/// Returns the supervisor's process handle (whoever launched should reap it).
pub fn spawn_supervisor(exe: &Path, dir: &Path) -> anyhow::Result<std::process::Child> {
    let log = std::fs::File::create(dir.join("supervisor.log"))
        .with_context(|| format!("creating {}/supervisor.log", dir.display()))?;
    let child = Command::new(exe)
        .arg("__supervise")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting the run supervisor {}", exe.display()))?;
    Ok(child)
}

/// The supervisor (`labbook __supervise DIR`): a new session, the command in its own
/// process group writing to the log files, then its exit status. It holds no database
/// connection: the files are the record.
pub fn supervise(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    // Leave the launcher's session, so closing its terminal does not hang us up.
    let _ = nix::unistd::setsid();
    let meta: RunMeta =
        read_json(&dir.join(META))?.with_context(|| format!("{} has no {META}", dir.display()))?;
    let open = |name: &str| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(name))
            .with_context(|| format!("opening {}/{name}", dir.display()))
    };
    // Cancelled while queued: never start it.
    if dir.join(CANCEL).exists() {
        let exit = Exit {
            cancelled: true,
            at: proc::now(),
            ..Default::default()
        };
        return write_json(&dir.join(EXIT), &exit);
    }
    let (out, err) = (open(STDOUT)?, open(STDERR)?);
    let mut cmd = Command::new(&meta.argv[0]);
    cmd.args(&meta.argv[1..])
        .current_dir(&meta.cwd)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .env("LABBOOK_RUN_ID", &meta.id)
        .env("LABBOOK_RUN_DIR", dir)
        .env("PYTHONUNBUFFERED", "1")
        .process_group(0);
    let me = std::process::id() as i32;
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let exit = Exit {
                error: Some(format!("cannot start `{}`: {e}", meta.argv[0])),
                at: proc::now(),
                ..Default::default()
            };
            write_json(&dir.join(EXIT), &exit)?;
            return Ok(());
        }
    };
    let pid = child.id() as i32;
    let record = SupervisorRecord {
        supervisor_pid: me,
        pid,
        pgid: pid,
        start_ticks: proc::start_ticks(pid).unwrap_or(0),
        supervisor_ticks: proc::start_ticks(me).unwrap_or(0),
        boot_id: proc::boot_id(),
        started_at: proc::now(),
    };
    if let Err(e) = write_json(&dir.join(SUPERVISOR), &record) {
        // Without its record nobody could follow or cancel the run: stop it.
        let _ = proc::signal_group(pid, Signal::SIGKILL);
        let _ = child.wait();
        let exit = Exit {
            error: Some(format!("could not record the started process: {e:#}")),
            at: proc::now(),
            ..Default::default()
        };
        write_json(&dir.join(EXIT), &exit)?;
        return Err(e);
    }
    let status = child.wait().context("waiting for the run")?;
    let exit = Exit {
        code: status.code(),
        signal: status.signal(),
        cancelled: dir.join(CANCEL).exists(),
        error: None,
        at: proc::now(),
    };
    write_json(&dir.join(EXIT), &exit)?;
    Ok(())
}

/// What a cancel did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// It had not started; it never will.
    BeforeStart,
    /// It stopped on SIGTERM within the grace period.
    Terminated,
    /// It ignored SIGTERM and was killed.
    Killed,
    /// Its processes were already gone.
    AlreadyGone,
}

impl Cancelled {
    pub fn describe(self) -> &'static str {
        match self {
            Cancelled::BeforeStart => "cancelled before it started",
            Cancelled::Terminated => "stopped (SIGTERM)",
            Cancelled::Killed => "did not stop within the grace period: killed (SIGKILL)",
            Cancelled::AlreadyGone => "its processes had already ended",
        }
    }
}

fn signal_members(rec: &SupervisorRecord, sig: Signal) -> usize {
    let members = proc::group_members(rec.pgid, rec.start_ticks);
    for pid in &members {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(*pid), sig);
    }
    members.len()
}

/// Stop a run. A queued run is marked so that it never starts; a running one gets
/// SIGTERM (every member of its process group), then SIGKILL after `grace`.
pub fn cancel(dir: &Path, grace: Duration) -> anyhow::Result<Cancelled> {
    if dir.join(EXIT).exists() {
        bail!("the run has already ended");
    }
    let mut rec: Option<SupervisorRecord> = read_json(&dir.join(SUPERVISOR))?;
    if rec.is_none() {
        write_json(&dir.join(CANCEL), &serde_json::json!({ "at": proc::now() }))?;
        // A supervisor that is starting right now either sees the mark (and never
        // starts the process) or has started it: give it a moment to say which.
        let deadline = Instant::now() + Duration::from_millis(1500);
        while Instant::now() < deadline && rec.is_none() && !dir.join(EXIT).exists() {
            std::thread::sleep(Duration::from_millis(50));
            rec = read_json(&dir.join(SUPERVISOR))?;
        }
        if rec.is_none() {
            let launcher_alive = read_json::<super::LaunchRecord>(&dir.join(super::LAUNCH))?
                .is_some_and(|l| l.alive());
            if !launcher_alive && !dir.join(EXIT).exists() {
                write_json(
                    &dir.join(EXIT),
                    &Exit {
                        cancelled: true,
                        at: proc::now(),
                        ..Default::default()
                    },
                )?;
            }
            return Ok(Cancelled::BeforeStart);
        }
    }
    let Some(rec) = rec else {
        return Ok(Cancelled::BeforeStart);
    };
    if proc::group_members(rec.pgid, rec.start_ticks).is_empty() {
        return Ok(Cancelled::AlreadyGone);
    }
    // Marked only once there is something to stop, so a run that just finished by
    // itself is not recorded as cancelled.
    write_json(&dir.join(CANCEL), &serde_json::json!({ "at": proc::now() }))?;
    signal_members(&rec, Signal::SIGTERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if proc::group_members(rec.pgid, rec.start_ticks).is_empty() {
            return Ok(Cancelled::Terminated);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if signal_members(&rec, Signal::SIGKILL) == 0 {
        return Ok(Cancelled::Terminated);
    }
    Ok(Cancelled::Killed)
}
