//! The run lifecycle as a pure state machine: `handle(event) -> Vec<Effect>`.
//! No I/O here; the supervisor's files and `/proc` are turned into events elsewhere.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Queued,
    Running,
    Completed,
    Failed,
    Killed,
    Lost,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Queued,
        Status::Running,
        Status::Completed,
        Status::Failed,
        Status::Killed,
        Status::Lost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Killed => "killed",
            Status::Lost => "lost",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Finished for good (a lost run may still be resolved by a late exit record).
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Completed | Status::Failed | Status::Killed)
    }

    pub fn is_active(self) -> bool {
        matches!(self, Status::Queued | Status::Running)
    }
}

/// How a process ended, as the supervisor recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Exit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    /// The user asked for the run to stop (cancel).
    #[serde(default)]
    pub cancelled: bool,
    /// The command could not be started at all.
    #[serde(default)]
    pub error: Option<String>,
    /// Seconds since the epoch.
    pub at: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The supervisor started the process.
    Started { pid: i32, at: f64 },
    /// A line of output was seen at `at` (seconds since the epoch).
    Output { at: f64 },
    /// The supervisor recorded the exit.
    Exited(Exit),
    /// Reconciliation found the process gone and no exit record.
    ProcessGone { at: f64 },
    /// A queued run's launcher (supervisor or sweep runner) is gone before it started.
    LauncherGone { at: f64 },
    /// Time passes (for the stall check).
    Tick { now: f64 },
    /// A scheduler holds the queued run back (Slurm: `Resources`, `Priority`, …).
    Pending { reason: String },
    /// The scheduler no longer knows the job and it left no exit record.
    Vanished { at: f64, reason: String },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Status {
        status: Status,
        reason: Option<String>,
    },
    Stalled(bool),
}

/// Stall detection: no output for `factor` × the usual interval between lines, and
/// never sooner than `min_secs`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StallPolicy {
    pub factor: f64,
    pub min_secs: f64,
}

impl Default for StallPolicy {
    fn default() -> Self {
        StallPolicy {
            factor: 10.0,
            min_secs: 60.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lifecycle {
    pub status: Status,
    pub reason: Option<String>,
    pub started_at: Option<f64>,
    pub ended_at: Option<f64>,
    pub last_output: Option<f64>,
    /// Exponential moving average of the seconds between output lines.
    pub interval: Option<f64>,
    pub stalled: bool,
    pub policy: StallPolicy,
}

pub fn signal_name(sig: i32) -> String {
    match sig {
        1 => "SIGHUP".into(),
        2 => "SIGINT".into(),
        6 => "SIGABRT".into(),
        9 => "SIGKILL".into(),
        11 => "SIGSEGV".into(),
        13 => "SIGPIPE".into(),
        15 => "SIGTERM".into(),
        n => format!("signal {n}"),
    }
}

/// The status and reason an exit record means.
pub fn outcome(exit: &Exit) -> (Status, Option<String>) {
    if let Some(e) = &exit.error {
        return (Status::Failed, Some(e.clone()));
    }
    if exit.cancelled {
        let how = match (exit.code, exit.signal) {
            (_, Some(s)) => format!("cancelled ({})", signal_name(s)),
            (Some(c), None) => format!("cancelled (exited with code {c})"),
            (None, None) => "cancelled".into(),
        };
        return (Status::Killed, Some(how));
    }
    match (exit.code, exit.signal) {
        (Some(0), _) => (Status::Completed, None),
        (Some(127), _) => (
            Status::Failed,
            Some("exit code 127 (command not found)".into()),
        ),
        (Some(126), _) => (
            Status::Failed,
            Some("exit code 126 (command not executable)".into()),
        ),
        (Some(c), _) => (Status::Failed, Some(format!("exit code {c}"))),
        (None, Some(s)) => (
            Status::Failed,
            Some(format!("terminated by {}", signal_name(s))),
        ),
        (None, None) => (Status::Failed, Some("exited without a status".into())),
    }
}

impl Lifecycle {
    pub fn new(policy: StallPolicy) -> Lifecycle {
        Lifecycle {
            status: Status::Queued,
            reason: None,
            started_at: None,
            ended_at: None,
            last_output: None,
            interval: None,
            stalled: false,
            policy,
        }
    }

    fn set(&mut self, status: Status, reason: Option<String>, out: &mut Vec<Effect>) {
        if self.status != status || self.reason != reason {
            self.status = status;
            self.reason = reason.clone();
            out.push(Effect::Status { status, reason });
        }
        if self.status != Status::Running && self.stalled {
            self.stalled = false;
            out.push(Effect::Stalled(false));
        }
    }

    pub fn handle(&mut self, ev: Event) -> Vec<Effect> {
        let mut out = Vec::new();
        match ev {
            Event::Started { at, .. } => {
                if self.status == Status::Queued {
                    self.started_at = Some(at);
                    self.last_output.get_or_insert(at);
                    self.set(Status::Running, None, &mut out);
                }
            }
            Event::Output { at } => {
                if let Some(prev) = self.last_output {
                    let gap = (at - prev).max(0.0);
                    self.interval = Some(match self.interval {
                        None => gap,
                        Some(i) => 0.9 * i + 0.1 * gap,
                    });
                }
                self.last_output = Some(self.last_output.map_or(at, |p| p.max(at)));
                if self.stalled {
                    self.stalled = false;
                    out.push(Effect::Stalled(false));
                }
            }
            Event::Exited(exit) => {
                // A terminal status is final; a lost run is resolved by a late record.
                if !self.status.is_terminal() {
                    let (status, reason) = outcome(&exit);
                    self.ended_at = Some(exit.at);
                    self.set(status, reason, &mut out);
                }
            }
            Event::ProcessGone { at } => {
                if self.status == Status::Running {
                    self.ended_at = Some(at);
                    self.set(
                        Status::Lost,
                        Some("the process is gone and left no exit record".into()),
                        &mut out,
                    );
                }
            }
            Event::LauncherGone { at } => {
                if self.status == Status::Queued {
                    self.ended_at = Some(at);
                    self.set(
                        Status::Lost,
                        Some("never started: its launcher is gone".into()),
                        &mut out,
                    );
                }
            }
            Event::Pending { reason } => {
                if self.status == Status::Queued {
                    let r = (!reason.is_empty() && reason != "None")
                        .then(|| format!("pending: {reason}"));
                    self.set(Status::Queued, r, &mut out);
                }
            }
            Event::Vanished { at, reason } => {
                if self.status.is_active() {
                    self.ended_at = Some(at);
                    self.set(Status::Lost, Some(reason), &mut out);
                }
            }
            Event::Tick { now } => {
                if self.status == Status::Running {
                    if let Some(last) = self.last_output {
                        let limit = (self.interval.unwrap_or(0.0) * self.policy.factor)
                            .max(self.policy.min_secs);
                        let stalled = now - last > limit;
                        if stalled != self.stalled {
                            self.stalled = stalled;
                            out.push(Effect::Stalled(stalled));
                        }
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exit(code: Option<i32>, signal: Option<i32>, cancelled: bool) -> Event {
        Event::Exited(Exit {
            code,
            signal,
            cancelled,
            error: None,
            at: 100.0,
        })
    }

    fn status_after(events: Vec<Event>) -> (Status, Option<String>) {
        let mut l = Lifecycle::new(StallPolicy::default());
        for e in events {
            l.handle(e);
        }
        (l.status, l.reason)
    }

    #[test]
    fn transition_table() {
        let started = || Event::Started { pid: 42, at: 1.0 };
        let cases: Vec<(Vec<Event>, Status, Option<&str>)> = vec![
            (vec![], Status::Queued, None),
            (vec![started()], Status::Running, None),
            (
                vec![started(), exit(Some(0), None, false)],
                Status::Completed,
                None,
            ),
            (
                vec![started(), exit(Some(3), None, false)],
                Status::Failed,
                Some("exit code 3"),
            ),
            (
                vec![started(), exit(Some(127), None, false)],
                Status::Failed,
                Some("exit code 127 (command not found)"),
            ),
            (
                vec![started(), exit(None, Some(9), false)],
                Status::Failed,
                Some("terminated by SIGKILL"),
            ),
            (
                vec![started(), exit(None, Some(15), true)],
                Status::Killed,
                Some("cancelled (SIGTERM)"),
            ),
            (
                vec![started(), exit(None, Some(9), true)],
                Status::Killed,
                Some("cancelled (SIGKILL)"),
            ),
            (
                vec![started(), exit(Some(0), None, true)],
                Status::Killed,
                Some("cancelled (exited with code 0)"),
            ),
            (
                vec![started(), Event::ProcessGone { at: 5.0 }],
                Status::Lost,
                Some("the process is gone and left no exit record"),
            ),
            // A late exit record resolves a lost run.
            (
                vec![
                    started(),
                    Event::ProcessGone { at: 5.0 },
                    exit(Some(0), None, false),
                ],
                Status::Completed,
                None,
            ),
            // Terminal states are final.
            (
                vec![
                    started(),
                    exit(Some(0), None, false),
                    Event::ProcessGone { at: 9.0 },
                ],
                Status::Completed,
                None,
            ),
            (
                vec![
                    started(),
                    exit(Some(1), None, false),
                    exit(Some(0), None, false),
                ],
                Status::Failed,
                Some("exit code 1"),
            ),
            // A queued run that could not start.
            (
                vec![Event::Exited(Exit {
                    error: Some("cannot start `nope`: No such file or directory".into()),
                    at: 1.0,
                    ..Default::default()
                })],
                Status::Failed,
                Some("cannot start `nope`: No such file or directory"),
            ),
            // Gone before it started: still queued (reconciliation only judges running runs).
            (vec![Event::ProcessGone { at: 1.0 }], Status::Queued, None),
            (
                vec![Event::LauncherGone { at: 1.0 }],
                Status::Lost,
                Some("never started: its launcher is gone"),
            ),
            (
                vec![started(), Event::LauncherGone { at: 1.0 }],
                Status::Running,
                None,
            ),
        ];
        for (events, status, reason) in cases {
            let desc = format!("{events:?}");
            assert_eq!(
                status_after(events),
                (status, reason.map(String::from)),
                "{desc}"
            );
        }
    }

    #[test]
    fn effects_are_emitted_once_per_change() {
        let mut l = Lifecycle::new(StallPolicy::default());
        assert_eq!(
            l.handle(Event::Started { pid: 1, at: 0.0 }),
            vec![Effect::Status {
                status: Status::Running,
                reason: None
            }]
        );
        assert_eq!(l.handle(Event::Started { pid: 1, at: 0.0 }), vec![]);
        assert_eq!(l.handle(Event::Output { at: 1.0 }), vec![]);
    }

    #[test]
    fn stall_flag_follows_the_usual_interval() {
        let policy = StallPolicy {
            factor: 5.0,
            min_secs: 2.0,
        };
        let mut l = Lifecycle::new(policy);
        l.handle(Event::Started { pid: 1, at: 0.0 });
        for t in 1..=20 {
            l.handle(Event::Output { at: t as f64 });
        }
        // Lines every second: 5 s of silence is the limit.
        assert_eq!(l.handle(Event::Tick { now: 24.0 }), vec![]);
        assert_eq!(
            l.handle(Event::Tick { now: 26.0 }),
            vec![Effect::Stalled(true)]
        );
        assert!(l.stalled);
        assert_eq!(
            l.handle(Event::Tick { now: 27.0 }),
            vec![],
            "no repeated effect"
        );
        assert_eq!(
            l.handle(Event::Output { at: 27.0 }),
            vec![Effect::Stalled(false)]
        );
        // The minimum applies when output is very frequent.
        let mut l = Lifecycle::new(policy);
        l.handle(Event::Started { pid: 1, at: 0.0 });
        for t in 0..100 {
            l.handle(Event::Output {
                at: t as f64 * 0.01,
            });
        }
        assert_eq!(l.handle(Event::Tick { now: 1.5 }), vec![]);
        assert_eq!(
            l.handle(Event::Tick { now: 3.0 }),
            vec![Effect::Stalled(true)]
        );
        // Ending clears the flag.
        let fx = l.handle(exit(Some(0), None, false));
        assert!(fx.contains(&Effect::Stalled(false)));
        assert!(!l.stalled);
        // Not running: never stalled.
        let mut q = Lifecycle::new(policy);
        assert_eq!(q.handle(Event::Tick { now: 1e9 }), vec![]);
    }
}
