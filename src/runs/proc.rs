//! Process facts from `/proc` and signals to process groups (Linux).

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat).
pub fn start_ticks(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// State letter of a process (R, S, Z, …).
fn state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 2..].chars().next()
}

/// This boot's id, so a pid recorded before a reboot is never taken for a live one.
pub fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Is the process that had `pid` and `ticks` at start still alive? A reused pid has
/// another start time; a zombie has finished.
pub fn alive(pid: i32, ticks: u64, boot: &str) -> bool {
    if boot != boot_id() {
        return false;
    }
    start_ticks(pid) == Some(ticks) && state(pid) != Some('Z')
}

/// Any process left in the process group?
pub fn group_alive(pgid: i32) -> bool {
    killpg(Pid::from_raw(pgid), None).is_ok()
}

pub fn signal_group(pgid: i32, sig: Signal) -> nix::Result<()> {
    killpg(Pid::from_raw(pgid), sig)
}

pub fn host_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "unknown".into())
}

/// CPU model and logical core count.
pub fn cpu_description() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let n = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!("{model} ({n} threads)")
}

/// GPU names from `nvidia-smi`, if it exists and answers within two seconds
/// (asked once per process: the hardware does not change between runs).
pub fn gpu_description() -> Option<String> {
    static GPU: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    GPU.get_or_init(query_gpu).clone()
}

fn query_gpu() -> Option<String> {
    let exists = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join("nvidia-smi").is_file()))
        .unwrap_or(false);
    if !exists {
        return None;
    }
    let mut child = std::process::Command::new("nvidia-smi")
        .args(["--query-gpu=name,memory.total", "--format=csv,noheader"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let out = child.wait_with_output().ok()?;
    let s = String::from_utf8_lossy(&out.stdout)
        .trim()
        .replace('\n', "; ");
    (!s.is_empty()).then_some(s)
}

/// Seconds since the epoch.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Processes in process group `pgid` that started no earlier than `min_ticks`
/// (members of the run's group, not of a later group that reused the id).
pub fn group_members(pgid: i32, min_ticks: u64) -> Vec<i32> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            let Some(close) = stat.rfind(')') else {
                return false;
            };
            let f: Vec<&str> = stat[close + 2..].split_whitespace().collect();
            // fields after the name: state(0) ppid(1) pgrp(2) … starttime(19)
            f.len() > 19
                && f[0] != "Z"
                && f[2].parse() == Ok(pgid)
                && f[19].parse::<u64>().is_ok_and(|t| t >= min_ticks)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_members_are_found_by_group_and_start_time() {
        let me = std::process::id() as i32;
        let pgid = nix::unistd::getpgrp().as_raw();
        let t = start_ticks(me).unwrap();
        assert!(group_members(pgid, 0).contains(&me));
        assert!(!group_members(pgid, t + 1_000_000).contains(&me));
    }

    #[test]
    fn this_process_is_alive_and_a_wrong_start_time_is_not() {
        let pid = std::process::id() as i32;
        let t = start_ticks(pid).unwrap();
        assert!(alive(pid, t, &boot_id()));
        assert!(
            !alive(pid, t + 1, &boot_id()),
            "a reused pid has another start time"
        );
        assert!(!alive(pid, t, "another-boot"));
        assert!(!alive(i32::MAX - 1, 0, &boot_id()));
    }
}
