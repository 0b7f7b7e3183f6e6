//! The Slurm backend. A run on Slurm keeps the local design (decision 1): its
//! directory — on storage the compute nodes share — holds `meta.json`, the job script,
//! the output files and the exit record, and labbook tails them. What the supervisor
//! does locally, the job script does on the node: it writes `started.json`, runs the
//! command with its output in `stdout.log`/`stderr.log`, and writes `exit.json`.
//! Whatever the script cannot say (the job never started, hit its time limit, ran
//! out of memory, lost its node, was cancelled while pending) labbook learns from
//! `squeue`, `scontrol` and, where accounting exists, `sacct`, and writes the exit
//! record itself.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use super::fsm::Exit;
use super::{proc, read_json, write_json, RunMeta, CANCEL, EXIT, STDERR, STDOUT};

/// `slurm.json`: the job a run was submitted as.
pub const JOB: &str = "slurm.json";
/// `started.json`: written by the job script when the command starts on its node.
pub const STARTED: &str = "started.json";
/// The job script, kept in the run directory.
pub const SCRIPT: &str = "job.sh";

/// A cluster profile (`[slurm.profiles.NAME]` in the config) merged with the
/// command line's `--partition`, `--gpus`, … options.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Profile {
    pub partition: Option<String>,
    pub account: Option<String>,
    pub qos: Option<String>,
    /// GPUs per job (`--gpus`).
    pub gpus: Option<u32>,
    /// CPU cores per task (`--cpus-per-task`).
    pub cpus_per_task: Option<u32>,
    /// Memory per node, e.g. `32G` (`--mem`).
    pub mem: Option<String>,
    /// Time limit, e.g. `04:00:00` or `30` (minutes) (`--time`).
    pub time: Option<String>,
    /// Shell lines run before the command: `module load …`, `source venv/bin/activate`.
    pub setup: Vec<String>,
    /// More `sbatch` options, verbatim (e.g. `--constraint=a100`).
    pub sbatch_args: Vec<String>,
    /// Where run directories go (shared storage the compute nodes see); default: the
    /// data directory's `runs/`.
    pub runs_dir: Option<PathBuf>,
}

impl Profile {
    /// `self` with every option `over` sets replacing ours.
    pub fn overridden(&self, over: &Profile) -> Profile {
        let mut p = self.clone();
        macro_rules! take {
            ($($f:ident),*) => { $( if over.$f.is_some() { p.$f = over.$f.clone(); } )* };
        }
        take!(
            partition,
            account,
            qos,
            gpus,
            cpus_per_task,
            mem,
            time,
            runs_dir
        );
        p.setup.extend(over.setup.iter().cloned());
        p.sbatch_args.extend(over.sbatch_args.iter().cloned());
        p
    }

    /// `#SBATCH` option lines.
    fn directives(&self) -> Vec<String> {
        let mut d = Vec::new();
        let mut opt = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                d.push(format!("--{k}={v}"));
            }
        };
        opt("partition", self.partition.clone());
        opt("account", self.account.clone());
        opt("qos", self.qos.clone());
        opt("gpus", self.gpus.map(|g| g.to_string()));
        opt("cpus-per-task", self.cpus_per_task.map(|c| c.to_string()));
        opt("mem", self.mem.clone());
        opt("time", self.time.clone());
        d.extend(self.sbatch_args.iter().cloned());
        d
    }
}

/// `[slurm]` in the config.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SlurmConfig {
    /// The profile used when `--profile` is not given.
    pub default_profile: Option<String>,
    /// Seconds between queue polls while Slurm runs are active.
    pub poll_secs: f64,
    pub profiles: std::collections::BTreeMap<String, Profile>,
}

impl Default for SlurmConfig {
    fn default() -> Self {
        SlurmConfig {
            default_profile: None,
            poll_secs: 2.0,
            profiles: Default::default(),
        }
    }
}

impl SlurmConfig {
    /// The named profile (or the default one, or none) with `over` applied.
    pub fn resolve(&self, name: Option<&str>, over: &Profile) -> anyhow::Result<Profile> {
        let name = name.or(self.default_profile.as_deref());
        let base = match name {
            None => Profile::default(),
            Some(n) => self.profiles.get(n).cloned().with_context(|| {
                format!(
                    "no Slurm profile `{n}` in the config (profiles: {})",
                    if self.profiles.is_empty() {
                        "none — add [slurm.profiles.NAME]".to_string()
                    } else {
                        self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
                    }
                )
            })?,
        };
        Ok(base.overridden(over))
    }
}

/// `slurm.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// `123`, or `123_4` for task 4 of array job 123.
    pub job_id: String,
    pub submitted_at: f64,
    pub profile: Profile,
}

/// `started.json` (from the job script).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartedRecord {
    pub job_id: String,
    pub node: String,
    pub started_at: f64,
}

/// A job name sbatch takes as is: letters, digits, `.`, `_`, `-`.
fn job_name(name: &str) -> String {
    let n: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if n.is_empty() {
        "labbook".into()
    } else {
        n
    }
}

/// A path in an `#SBATCH` line (sbatch's own parser takes double quotes, not shell
/// escapes).
fn directive_path(p: &str) -> String {
    if p.contains([' ', '\t']) {
        format!("\"{}\"", p.replace('"', ""))
    } else {
        p.to_string()
    }
}

/// Quote for bash.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The job script for a run: set-up lines, then the command with its output in the
/// run directory, the start and exit records, and SIGTERM (scancel, time limit)
/// passed on to the command.
pub fn job_script(meta: &RunMeta, dir: &Path, profile: &Profile) -> String {
    let d = dir.display().to_string();
    let mut s = String::from("#!/bin/bash\n");
    s.push_str(&format!("#SBATCH --job-name={}\n", job_name(&meta.name)));
    s.push_str(&format!(
        "#SBATCH --output={}\n",
        directive_path(&format!("{d}/slurm-%j.out"))
    ));
    s.push_str(&format!(
        "#SBATCH --chdir={}\n",
        directive_path(&meta.cwd.display().to_string())
    ));
    for o in profile.directives() {
        s.push_str(&format!("#SBATCH {o}\n"));
    }
    s.push_str(&format!(
        "# labbook run {} — written by labbook; the run directory is the record.\n",
        meta.id
    ));
    s.push_str(&format!("RUN_DIR={}\n", q(&d)));
    s.push_str("now() { date +%s.%N; }\n");
    s.push_str(
        "record() { printf '%s\\n' \"$2\" > \"$RUN_DIR/$1.tmp\" && mv \"$RUN_DIR/$1.tmp\" \"$RUN_DIR/$1\"; }\n",
    );
    if !profile.setup.is_empty() {
        s.push_str("# cluster profile set-up\n");
        for line in &profile.setup {
            s.push_str(line);
            s.push('\n');
        }
    }
    s.push_str(&format!(
        "export LABBOOK_RUN_ID={} LABBOOK_RUN_DIR=\"$RUN_DIR\" PYTHONUNBUFFERED=1\n",
        q(&meta.id)
    ));
    s.push_str(
        "JOB=\"${SLURM_ARRAY_JOB_ID:+${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}}\"\nJOB=\"${JOB:-${SLURM_JOB_ID:-}}\"\n",
    );
    s.push_str(&format!(
        "if [ -e \"$RUN_DIR/{CANCEL}\" ]; then record {EXIT} \"{{\\\"cancelled\\\":true,\\\"at\\\":$(now)}}\"; exit 0; fi\n"
    ));
    let argv: Vec<String> = meta.argv.iter().map(|a| q(a)).collect();
    s.push_str(&format!(
        "{} >>\"$RUN_DIR/{STDOUT}\" 2>>\"$RUN_DIR/{STDERR}\" </dev/null &\n",
        argv.join(" ")
    ));
    s.push_str("child=$!\n");
    s.push_str(&format!(
        "record {STARTED} \"{{\\\"job_id\\\":\\\"$JOB\\\",\\\"node\\\":\\\"$(hostname)\\\",\\\"started_at\\\":$(now)}}\"\n"
    ));
    // `wait` returns early when a trapped signal arrives; wait again for the status.
    s.push_str("trap 'kill -TERM $child 2>/dev/null' TERM INT\n");
    s.push_str("wait $child; code=$?\n");
    s.push_str("while kill -0 $child 2>/dev/null; do wait $child; code=$?; done\n");
    s.push_str(&format!(
        "cancelled=false; [ -e \"$RUN_DIR/{CANCEL}\" ] && cancelled=true\n"
    ));
    // bash reports a death by signal N as 128 + N.
    s.push_str(&format!(
        "if [ $code -gt 128 ]; then record {EXIT} \"{{\\\"code\\\":null,\\\"signal\\\":$((code-128)),\\\"cancelled\\\":$cancelled,\\\"at\\\":$(now)}}\"\n\
         else record {EXIT} \"{{\\\"code\\\":$code,\\\"signal\\\":null,\\\"cancelled\\\":$cancelled,\\\"at\\\":$(now)}}\"; fi\n"
    ));
    s.push_str("exit $code\n");
    s
}

fn slurm_cmd(name: &str) -> Command {
    Command::new(name)
}

/// Run a Slurm client command; its stdout, or an error naming it and what it said.
fn client(name: &str, args: &[String], cwd: Option<&Path>) -> anyhow::Result<String> {
    let mut c = slurm_cmd(name);
    c.args(args);
    if let Some(d) = cwd {
        c.current_dir(d);
    }
    let out = c.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow::anyhow!(
                "`{name}` was not found: run labbook on a Slurm login node (or put the Slurm \
                 client commands on PATH and set SLURM_CONF)"
            )
        } else {
            anyhow::anyhow!("running {name}: {e}")
        }
    })?;
    if !out.status.success() {
        bail!(
            "{name} {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Parse `sbatch --parsable` output: `123` or `123;cluster`.
fn parse_job_id(out: &str) -> anyhow::Result<String> {
    let id = out.trim().split(';').next().unwrap_or("").trim();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        bail!("sbatch printed `{}`, not a job id", out.trim());
    }
    Ok(id.to_string())
}

/// Write the job script and submit it; records `slurm.json`.
pub fn submit(meta: &RunMeta, dir: &Path, profile: &Profile) -> anyhow::Result<String> {
    let script = dir.join(SCRIPT);
    std::fs::write(&script, job_script(meta, dir, profile))
        .with_context(|| format!("writing {}", script.display()))?;
    let out = client(
        "sbatch",
        &["--parsable".into(), script.display().to_string()],
        Some(&meta.cwd),
    )?;
    let job_id = parse_job_id(&out)?;
    write_json(
        &dir.join(JOB),
        &JobRecord {
            job_id: job_id.clone(),
            submitted_at: proc::now(),
            profile: profile.clone(),
        },
    )?;
    Ok(job_id)
}

/// Submit runs as one job array, at most `limit` at a time (`--array=0-N%limit`); each
/// task runs its run's own `job.sh`. Returns the array job id.
pub fn submit_array(
    dirs: &[(PathBuf, RunMeta)],
    array_dir: &Path,
    profile: &Profile,
    limit: usize,
) -> anyhow::Result<String> {
    if dirs.is_empty() {
        bail!("no runs to submit");
    }
    for (dir, meta) in dirs {
        std::fs::write(dir.join(SCRIPT), job_script(meta, dir, profile))
            .with_context(|| format!("writing {}/{SCRIPT}", dir.display()))?;
    }
    std::fs::create_dir_all(array_dir)
        .with_context(|| format!("creating {}", array_dir.display()))?;
    let mut s = String::from("#!/bin/bash\n");
    s.push_str(&format!(
        "#SBATCH --job-name={}\n",
        job_name(&dirs[0].1.sweep.clone().unwrap_or_else(|| "sweep".into()))
    ));
    s.push_str(&format!(
        "#SBATCH --output={}\n",
        directive_path(&format!("{}/slurm-%A_%a.out", array_dir.display()))
    ));
    for o in profile.directives() {
        s.push_str(&format!("#SBATCH {o}\n"));
    }
    s.push_str("DIRS=(\n");
    for (dir, _) in dirs {
        s.push_str(&format!("  {}\n", q(&dir.display().to_string())));
    }
    s.push_str(")\n");
    s.push_str(&format!(
        "exec bash \"${{DIRS[$SLURM_ARRAY_TASK_ID]}}/{SCRIPT}\"\n"
    ));
    let script = array_dir.join("array.sh");
    std::fs::write(&script, s).with_context(|| format!("writing {}", script.display()))?;
    let mut args = vec![
        "--parsable".to_string(),
        format!("--array=0-{}%{}", dirs.len() - 1, limit.max(1)),
    ];
    args.push(script.display().to_string());
    let out = client("sbatch", &args, Some(&dirs[0].1.cwd))?;
    let array = parse_job_id(&out)?;
    for (i, (dir, _)) in dirs.iter().enumerate() {
        write_json(
            &dir.join(JOB),
            &JobRecord {
                job_id: format!("{array}_{i}"),
                submitted_at: proc::now(),
                profile: profile.clone(),
            },
        )?;
    }
    Ok(array)
}

/// What Slurm says of a job.
#[derive(Debug, Clone, PartialEq)]
pub enum JobState {
    /// Waiting (the reason, e.g. `Resources`, `Priority`).
    Pending(String),
    Running,
    /// Over, with Slurm's state name (COMPLETED, FAILED, CANCELLED, TIMEOUT, …), its
    /// exit code (`code:signal`) and reason.
    Done {
        state: String,
        exit_code: String,
        reason: String,
    },
    /// Slurm does not know the job (purged from the controller, no accounting).
    Unknown,
}

fn classify(state: &str, reason: &str, exit_code: &str) -> JobState {
    // `CANCELLED by 1000` → CANCELLED
    let s = state
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_end_matches('+');
    match s {
        "PENDING" | "REQUEUED" | "REQUEUE_HOLD" | "REQUEUE_FED" | "RESV_DEL_HOLD" | "SUSPENDED"
        | "STOPPED" | "CONFIGURING" | "RESIZING" | "SIGNALING" => {
            JobState::Pending(reason.to_string())
        }
        "RUNNING" | "COMPLETING" | "STAGE_OUT" => JobState::Running,
        "" => JobState::Unknown,
        other => JobState::Done {
            state: other.to_string(),
            exit_code: exit_code.to_string(),
            reason: reason.to_string(),
        },
    }
}

/// `key=value` pairs of `scontrol show job -o` (values hold no spaces except the
/// last fields, which we do not read).
fn scontrol_fields(line: &str) -> HashMap<String, String> {
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The state of each job in `ids`: one `squeue` for all of them (pending and running
/// jobs, and finished ones the controller still holds), then `scontrol` and `sacct`
/// for the rest. An error means Slurm could not be asked (nothing is concluded).
pub fn query(ids: &[String]) -> anyhow::Result<HashMap<String, JobState>> {
    let mut out = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let listing = client(
        "squeue",
        &[
            "-h".into(),
            "--me".into(),
            "-r".into(),
            "-t".into(),
            "all".into(),
            "-o".into(),
            "%i|%T|%r".into(),
        ],
        None,
    )?;
    let mut seen: HashMap<String, (String, String)> = HashMap::new();
    for line in listing.lines() {
        let f: Vec<&str> = line.split('|').collect();
        if f.len() >= 3 {
            seen.insert(
                f[0].trim().to_string(),
                (f[1].to_string(), f[2].to_string()),
            );
        }
    }
    for id in ids {
        match seen.get(id) {
            Some((state, reason)) if classify(state, reason, "").is_active() => {
                out.insert(id.clone(), classify(state, reason, ""));
            }
            _ => {
                // Finished (or unknown to squeue): the exit code comes from scontrol.
                out.insert(id.clone(), final_state(id));
            }
        }
    }
    Ok(out)
}

impl JobState {
    fn is_active(&self) -> bool {
        matches!(self, JobState::Pending(_) | JobState::Running)
    }
}

fn final_state(id: &str) -> JobState {
    if let Ok(text) = client(
        "scontrol",
        &["show".into(), "job".into(), "-o".into(), id.into()],
        None,
    ) {
        // An array task may be shown under its own JobId: pick the line for this task.
        for line in text.lines() {
            let f = scontrol_fields(line);
            let this = match (f.get("ArrayJobId"), f.get("ArrayTaskId")) {
                (Some(a), Some(t)) => format!("{a}_{t}") == id,
                _ => f.get("JobId").map(|j| j == id).unwrap_or(false),
            };
            if this {
                return classify(
                    f.get("JobState").map(String::as_str).unwrap_or(""),
                    f.get("Reason").map(String::as_str).unwrap_or(""),
                    f.get("ExitCode").map(String::as_str).unwrap_or(""),
                );
            }
        }
    }
    // Purged from the controller: accounting, where it exists.
    if let Ok(text) = client(
        "sacct",
        &[
            "-n".into(),
            "-P".into(),
            "-X".into(),
            "-j".into(),
            id.into(),
            "-o".into(),
            "JobID,State,ExitCode,Reason".into(),
        ],
        None,
    ) {
        for line in text.lines() {
            let f: Vec<&str> = line.split('|').collect();
            if f.len() >= 4 && f[0] == id {
                return classify(f[1], f[3], f[2]);
            }
        }
    }
    JobState::Unknown
}

/// The exit record Slurm's verdict stands for; `script` is what the job script
/// recorded, if anything (its code and signal are kept).
pub fn exit_from(
    state: &str,
    exit_code: &str,
    reason: &str,
    script: Option<&Exit>,
    at: f64,
) -> Exit {
    let (code, signal) = match exit_code.split_once(':') {
        Some((c, s)) => (
            c.parse::<i32>().ok(),
            s.parse::<i32>().ok().filter(|s| *s != 0),
        ),
        None => (None, None),
    };
    let mut e = script.cloned().unwrap_or(Exit {
        code: if signal.is_some() { None } else { code },
        signal,
        at,
        ..Default::default()
    });
    let why = |what: &str| {
        if reason.is_empty() || reason == "None" {
            format!("Slurm: {state} — {what}")
        } else {
            format!("Slurm: {state} — {what} ({reason})")
        }
    };
    match state {
        "CANCELLED" => e.cancelled = true,
        "TIMEOUT" => e.error = Some(why("the job reached its time limit")),
        "OUT_OF_MEMORY" => e.error = Some(why("the job ran out of memory")),
        "NODE_FAIL" => e.error = Some(why("its node failed")),
        "BOOT_FAIL" => e.error = Some(why("its node failed to boot")),
        "PREEMPTED" => e.error = Some(why("preempted by another job")),
        "DEADLINE" => e.error = Some(why("the deadline passed before it could run")),
        "COMPLETED" | "FAILED" => {
            if script.is_none() && e.code.is_none() && e.signal.is_none() {
                e.error = Some(why("no exit status recorded"));
            }
        }
        other => {
            if script.is_none() {
                e.error = Some(why(&format!("unexpected state {other}")));
            }
        }
    }
    e
}

/// Whether Slurm's verdict must replace the script's own exit record (the script saw
/// only a SIGTERM; Slurm knows it was the time limit, memory or the node).
pub fn overrides_script(state: &str) -> bool {
    matches!(
        state,
        "TIMEOUT" | "OUT_OF_MEMORY" | "NODE_FAIL" | "BOOT_FAIL" | "PREEMPTED" | "DEADLINE"
    )
}

/// Cancel a run's job: marks the run directory (the script then records a
/// cancellation), then `scancel`.
pub fn cancel(dir: &Path) -> anyhow::Result<String> {
    let job: JobRecord = read_json(&dir.join(JOB))?
        .with_context(|| format!("{} has no {JOB}: it was never submitted", dir.display()))?;
    write_json(&dir.join(CANCEL), &serde_json::json!({ "at": proc::now() }))?;
    client("scancel", std::slice::from_ref(&job.job_id), None)?;
    Ok(job.job_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_map_onto_the_lifecycle() {
        assert_eq!(
            classify("PENDING", "Resources", ""),
            JobState::Pending("Resources".into())
        );
        assert_eq!(classify("COMPLETING", "None", ""), JobState::Running);
        assert!(
            matches!(classify("CANCELLED by 0", "None", "0:15"), JobState::Done { state, .. } if state == "CANCELLED")
        );
        let e = exit_from("TIMEOUT", "0:15", "TimeLimit", None, 1.0);
        assert_eq!(e.signal, Some(15));
        assert!(e.error.as_deref().unwrap_or("").contains("time limit"));
        let e = exit_from("FAILED", "3:0", "NonZeroExitCode", None, 1.0);
        assert_eq!((e.code, e.signal, e.error.is_none()), (Some(3), None, true));
        let e = exit_from("CANCELLED", "0:15", "None", None, 1.0);
        assert!(e.cancelled);
        let script = Exit {
            signal: Some(15),
            at: 5.0,
            ..Default::default()
        };
        let e = exit_from("OUT_OF_MEMORY", "0:125", "OutOfMemory", Some(&script), 9.0);
        assert_eq!((e.signal, e.at), (Some(15), 5.0));
        assert!(e.error.as_deref().unwrap_or("").contains("out of memory"));
    }

    #[test]
    fn job_ids_and_profiles() {
        assert_eq!(parse_job_id("123\n").unwrap(), "123");
        assert_eq!(parse_job_id("77;cluster\n").unwrap(), "77");
        assert!(parse_job_id("Submitted batch job 5").is_err());
        let base = Profile {
            partition: Some("gpu".into()),
            gpus: Some(1),
            setup: vec!["module load cuda".into()],
            ..Default::default()
        };
        let over = Profile {
            gpus: Some(4),
            time: Some("01:00:00".into()),
            ..Default::default()
        };
        let p = base.overridden(&over);
        assert_eq!(
            p.directives(),
            ["--partition=gpu", "--gpus=4", "--time=01:00:00"]
        );
        assert_eq!(p.setup, ["module load cuda"]);
    }

    #[test]
    fn the_job_script_quotes_and_records() {
        let meta = RunMeta {
            id: "r1".into(),
            name: "it's a run".into(),
            argv: vec!["python".into(), "train.py".into(), "--msg=a b'c".into()],
            cwd: PathBuf::from("/tmp"),
            ..Default::default()
        };
        let s = job_script(&meta, Path::new("/shared/runs/r1"), &Profile::default());
        assert!(s.contains("#SBATCH --job-name=it-s-a-run\n"), "{s}");
        assert!(s.contains("'python' 'train.py' '--msg=a b'\\''c'"), "{s}");
        assert!(s.contains("record started.json"));
        assert!(s.contains("record exit.json"));
    }
}
