//! Ingestion: tail each run's log files from remembered byte offsets, turn metrics
//! records into long-format points, keep per-run summaries, and drive each run's
//! lifecycle from the supervisor's files and `/proc`. Everything a cycle learns is
//! written in one transaction with the new offsets, so a crash never loses or
//! duplicates a point: the next start re-reads from the last committed offset.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::fsm::{Event, Exit, Lifecycle, StallPolicy, Status};
use super::{
    proc, read_json, slurm, write_json, RunMeta, SupervisorRecord, EXIT, META, STDERR, STDOUT,
    SUPERVISOR,
};
use crate::protocol::{parse_line, Line};

/// (run, key, seq, step, wall, value) — a value of `None` is NaN.
type PointRow = (i64, i64, i64, i64, f64, Option<f64>);
/// (run, key) → [(seq, step, wall, value)].
type Series = HashMap<(i64, i64), Vec<(i64, i64, f64, Option<f64>)>>;

/// At most this much is read from one stream in one cycle (bounded memory).
const CHUNK: u64 = 8 << 20;
const STREAMS: [&str; 2] = [STDOUT, STDERR];

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Summary {
    count: i64,
    last: Option<f64>,
    last_step: Option<i64>,
    min: Option<(f64, i64)>,
    max: Option<(f64, i64)>,
}

impl Summary {
    fn add(&mut self, step: i64, v: f64) {
        self.count += 1;
        self.last = Some(v);
        self.last_step = Some(step);
        if !v.is_nan() {
            if self.min.is_none_or(|(m, _)| v < m) {
                self.min = Some((v, step));
            }
            if self.max.is_none_or(|(m, _)| v > m) {
                self.max = Some((v, step));
            }
        }
    }
}

/// A run being followed.
struct Tracked {
    id: i64,
    dir: PathBuf,
    life: Lifecycle,
    offsets: [u64; 2],
    lines: [u64; 2],
    /// File sizes seen last cycle (growth without a full line is still activity).
    sizes: [u64; 2],
    records: i64,
    last_step: Option<i64>,
    sup: Option<SupervisorRecord>,
    exited: bool,
    finished: bool,
    /// Submitted to Slurm (`backend = 'slurm'`); its job, once `slurm.json` exists.
    slurm: bool,
    job: Option<slurm::JobRecord>,
}

/// What one cycle did (for `run watch` and the TUI).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CycleReport {
    pub points: u64,
    pub lines: u64,
    pub bytes: u64,
    pub changed: Vec<(String, Status)>,
    pub new_runs: usize,
    /// More unread output is waiting (the cycle hit its read limit).
    pub backlog: bool,
}

pub struct Ingester {
    runs_root: PathBuf,
    tracked: HashMap<i64, Tracked>,
    keys: HashMap<String, i64>,
    summaries: HashMap<(i64, i64), Summary>,
    policy: StallPolicy,
    tuned: bool,
    /// Slurm: what the last queue poll said, when it ran, how often to poll.
    slurm_states: HashMap<String, slurm::JobState>,
    slurm_polled: Option<std::time::Instant>,
    slurm_every: std::time::Duration,
}

/// Register a run directory in the index (idempotent). Returns the run's row id.
pub fn register(conn: &Connection, dir: &Path, meta: &RunMeta) -> rusqlite::Result<i64> {
    // INSERT OR IGNORE: a launcher and an ingester may register the same run at once.
    conn.execute(
        "INSERT OR IGNORE INTO runs(uid, name, project, command, params, dir, created_at, sweep, seed, git_commit, git_dirty, host, backend)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            meta.id,
            meta.name,
            meta.project,
            meta.command,
            serde_json::to_string(&meta.params).unwrap_or_else(|_| "{}".into()),
            dir.to_string_lossy(),
            meta.created_at,
            meta.sweep,
            meta.seed,
            meta.git.as_ref().map(|g| g.commit.clone()),
            meta.git.as_ref().map(|g| g.dirty),
            meta.host,
            if meta.backend.is_empty() { "local" } else { meta.backend.as_str() },
        ],
    )?;
    conn.query_row("SELECT id FROM runs WHERE uid = ?1", [&meta.id], |r| {
        r.get(0)
    })
}

impl Ingester {
    pub fn new(runs_root: &Path) -> Ingester {
        Ingester {
            runs_root: runs_root.to_path_buf(),
            tracked: HashMap::new(),
            keys: HashMap::new(),
            summaries: HashMap::new(),
            policy: StallPolicy::default(),
            tuned: false,
            slurm_states: HashMap::new(),
            slurm_polled: None,
            slurm_every: std::time::Duration::from_secs(2),
        }
    }

    /// How often Slurm's queue is asked about active Slurm runs.
    pub fn with_slurm_poll(mut self, secs: f64) -> Ingester {
        self.slurm_every = std::time::Duration::from_secs_f64(secs.clamp(0.05, 3600.0));
        self
    }

    /// Ask Slurm about the jobs of unfinished Slurm runs, at most every `slurm_every`
    /// (outside any transaction: the client commands may take a while).
    fn poll_slurm(&mut self) {
        let ids: Vec<String> = self
            .tracked
            .values()
            .filter(|t| t.slurm && !t.exited)
            .filter_map(|t| t.job.as_ref().map(|j| j.job_id.clone()))
            .collect();
        if ids.is_empty() {
            return;
        }
        if self
            .slurm_polled
            .is_some_and(|at| at.elapsed() < self.slurm_every)
        {
            return;
        }
        self.slurm_polled = Some(std::time::Instant::now());
        match slurm::query(&ids) {
            Ok(states) => self.slurm_states = states,
            // Slurm could not be asked: conclude nothing this time.
            Err(e) => {
                tracing::warn!("asking Slurm about {} job(s): {e:#}", ids.len());
                self.slurm_states.clear();
            }
        }
    }

    /// Runs queued or running (a lost run is still followed, but not active).
    pub fn active(&self) -> usize {
        self.tracked
            .values()
            .filter(|t| t.life.status.is_active())
            .count()
    }

    pub fn with_policy(mut self, policy: StallPolicy) -> Ingester {
        self.policy = policy;
        self
    }

    /// Register run directories the index does not know yet (a launcher that died
    /// before registering, a run copied in, a cluster job) and load unfinished runs.
    fn discover(&mut self, conn: &Connection, report: &mut CycleReport) -> anyhow::Result<()> {
        if let Ok(rd) = std::fs::read_dir(&self.runs_root) {
            let known: HashSet<String> = conn
                .prepare("SELECT uid FROM runs")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if known.contains(&name) || !e.path().join(META).exists() {
                    continue;
                }
                match read_json::<RunMeta>(&e.path().join(META)) {
                    Ok(Some(meta)) => {
                        register(conn, &e.path(), &meta)?;
                        report.new_runs += 1;
                    }
                    Ok(None) => {}
                    Err(err) => {
                        tracing::warn!("skipping run directory {}: {err:#}", e.path().display())
                    }
                }
            }
        }
        let mut stmt = conn.prepare(
            "SELECT r.id, r.dir, r.status, r.reason, r.started_at, r.ended_at, r.last_output, r.interval, r.stalled,
                    r.records, r.last_step,
                    (SELECT offset FROM run_offsets WHERE run_id = r.id AND stream = 'stdout'),
                    (SELECT lines FROM run_offsets WHERE run_id = r.id AND stream = 'stdout'),
                    (SELECT offset FROM run_offsets WHERE run_id = r.id AND stream = 'stderr'),
                    (SELECT lines FROM run_offsets WHERE run_id = r.id AND stream = 'stderr')
                    , r.backend
             FROM runs r WHERE r.finished = 0",
        )?;
        let rows = stmt.query_map([], |r| {
            let status: String = r.get(2)?;
            let mut life = Lifecycle::new(self.policy);
            life.status = Status::parse(&status).unwrap_or(Status::Queued);
            life.reason = r.get(3)?;
            life.started_at = r.get(4)?;
            life.ended_at = r.get(5)?;
            life.last_output = r.get(6)?;
            life.interval = r.get(7)?;
            life.stalled = r.get::<_, i64>(8)? != 0;
            Ok(Tracked {
                id: r.get(0)?,
                dir: PathBuf::from(r.get::<_, String>(1)?),
                life,
                records: r.get(9)?,
                last_step: r.get(10)?,
                offsets: [
                    r.get::<_, Option<i64>>(11)?.unwrap_or(0) as u64,
                    r.get::<_, Option<i64>>(13)?.unwrap_or(0) as u64,
                ],
                lines: [
                    r.get::<_, Option<i64>>(12)?.unwrap_or(0) as u64,
                    r.get::<_, Option<i64>>(14)?.unwrap_or(0) as u64,
                ],
                sizes: [0; 2],
                sup: None,
                exited: false,
                finished: false,
                slurm: r.get::<_, String>(15)? == "slurm",
                job: None,
            })
        })?;
        for t in rows {
            let t = t?;
            self.tracked.entry(t.id).or_insert(t);
        }
        Ok(())
    }

    fn key_id(&mut self, tx: &Transaction, name: &str) -> rusqlite::Result<i64> {
        if let Some(id) = self.keys.get(name) {
            return Ok(*id);
        }
        tx.execute(
            "INSERT OR IGNORE INTO metric_keys(name) VALUES (?1)",
            [name],
        )?;
        let id: i64 = tx.query_row("SELECT id FROM metric_keys WHERE name = ?1", [name], |r| {
            r.get(0)
        })?;
        self.keys.insert(name.to_string(), id);
        Ok(id)
    }

    fn summary(&mut self, tx: &Transaction, run: i64, key: i64) -> rusqlite::Result<&mut Summary> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.summaries.entry((run, key)) {
            let s = tx
                .query_row(
                    "SELECT count, last, last_step, min, min_step, max, max_step FROM metric_summary WHERE run_id = ?1 AND key_id = ?2",
                    [run, key],
                    |r| {
                        let pair = |v: Option<f64>, s: Option<i64>| v.zip(s);
                        Ok(Summary {
                            count: r.get(0)?,
                            last: Some(r.get::<_, Option<f64>>(1)?.unwrap_or(f64::NAN)),
                            last_step: r.get(2)?,
                            min: pair(r.get(3)?, r.get(4)?),
                            max: pair(r.get(5)?, r.get(6)?),
                        })
                    },
                )
                .optional()?
                .unwrap_or_default();
            slot.insert(s);
        }
        Ok(self.summaries.get_mut(&(run, key)).expect("inserted above"))
    }

    /// One pass over every unfinished run. Returns what changed.
    pub fn cycle(&mut self, conn: &mut Connection) -> anyhow::Result<CycleReport> {
        let r = self.cycle_inner(conn);
        if r.is_err() {
            // The transaction rolled back: forget what this cycle believed, so the next
            // one starts again from what the database committed.
            self.tracked.clear();
            self.summaries.clear();
            self.keys.clear();
        }
        r
    }

    fn cycle_inner(&mut self, conn: &mut Connection) -> anyhow::Result<CycleReport> {
        let mut report = CycleReport::default();
        self.discover(conn, &mut report)?;
        for t in self
            .tracked
            .values_mut()
            .filter(|t| t.slurm && t.job.is_none())
        {
            t.job = read_json(&t.dir.join(slurm::JOB)).unwrap_or(None);
        }
        self.poll_slurm();
        let now = proc::now();
        if !self.tuned {
            // The writer keeps a larger page cache: series tails stay in memory.
            conn.execute_batch("PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 16384;")?;
            self.tuned = true;
        }
        // Take the write lock up front: a read-then-write transaction could fail with
        // a busy snapshot when someone else writes in between.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let ids: Vec<i64> = self.tracked.keys().copied().collect();
        // Points grouped by series, each series in reported order.
        let mut points: Series = HashMap::new();
        for id in ids {
            let Some(mut t) = self.tracked.remove(&id) else {
                continue;
            };
            // A run deleted from the index is no longer followed.
            let uid: Option<String> = tx
                .query_row("SELECT uid FROM runs WHERE id = ?1", [t.id], |r| r.get(0))
                .optional()?;
            let Some(uid) = uid else { continue };
            let mut effects = Vec::new();
            // 1. The supervisor's files (the job script's on Slurm): started, exited.
            if t.slurm {
                if t.life.status == Status::Queued {
                    if let Ok(Some(st)) =
                        read_json::<slurm::StartedRecord>(&t.dir.join(slurm::STARTED))
                    {
                        effects.extend(t.life.handle(Event::Started {
                            pid: 0,
                            at: st.started_at,
                        }));
                    }
                }
            } else if t.sup.is_none() {
                t.sup = read_json::<SupervisorRecord>(&t.dir.join(SUPERVISOR)).unwrap_or(None);
                if let Some(s) = &t.sup {
                    effects.extend(t.life.handle(Event::Started {
                        pid: s.pid,
                        at: s.started_at,
                    }));
                }
            }
            let mut exit: Option<Exit> = read_json(&t.dir.join(EXIT)).unwrap_or(None);
            let mut slurm_event = None;
            if let (true, Some(job)) = (t.slurm, &t.job) {
                // The script's record waits for Slurm's verdict: a SIGTERM it saw may be
                // Slurm's time limit, memory limit or node failure, which only the queue
                // tells. While Slurm still lists the job as active (or has not been asked
                // since), the run is not taken as ended — for at most a minute.
                let state = self.slurm_states.get(&job.job_id);
                let verdict_pending = match state {
                    Some(slurm::JobState::Done { .. }) | Some(slurm::JobState::Unknown) => false,
                    Some(_) | None => exit.as_ref().is_some_and(|e| now - e.at < 60.0),
                };
                if verdict_pending {
                    exit = None;
                }
                match state {
                    Some(slurm::JobState::Done {
                        state,
                        exit_code,
                        reason,
                    }) => {
                        // Slurm's verdict where the script could not give one (or only
                        // saw the SIGTERM of a time limit): written down as the record.
                        let replace = match &exit {
                            None => true,
                            Some(e) => slurm::overrides_script(state) && e.error.is_none(),
                        };
                        if replace {
                            let e = slurm::exit_from(state, exit_code, reason, exit.as_ref(), now);
                            if let Err(err) = write_json(&t.dir.join(EXIT), &e) {
                                tracing::warn!("recording the exit of {uid}: {err:#}");
                            }
                            exit = Some(e);
                        }
                    }
                    Some(slurm::JobState::Pending(reason)) => {
                        slurm_event = Some(Event::Pending {
                            reason: reason.clone(),
                        })
                    }
                    Some(slurm::JobState::Unknown) if exit.is_none() => {
                        slurm_event = Some(Event::Vanished {
                            at: now,
                            reason: format!(
                                "Slurm no longer knows job {} and it left no exit record",
                                job.job_id
                            ),
                        })
                    }
                    _ => {}
                }
            }
            // 2. Output (read after the exit record, so a finished run is read to the end).
            let ended = exit.is_some();
            let mut run_backlog = false;
            for (k, stream) in STREAMS.iter().enumerate() {
                let (bytes, lines, backlog, grew) =
                    self.tail(&tx, &mut t, k, stream, ended, now, &mut points)?;
                report.bytes += bytes;
                report.lines += lines;
                report.backlog |= backlog;
                run_backlog |= backlog;
                // Output counts as activity even before its line ends (progress bars).
                if lines > 0 || grew {
                    effects.extend(t.life.handle(Event::Output { at: now }));
                }
            }
            if let Some(e) = &exit {
                t.exited = true;
                effects.extend(t.life.handle(Event::Exited(e.clone())));
            } else if let Some(ev) = slurm_event {
                effects.extend(t.life.handle(ev));
            } else if t.slurm && t.job.is_some() {
                // Followed through Slurm's queue, not through local processes.
            } else if t.life.status == Status::Queued && t.sup.is_none() {
                if let Ok(Some(l)) = read_json::<super::LaunchRecord>(&t.dir.join(super::LAUNCH)) {
                    if !l.alive() && !t.dir.join(SUPERVISOR).exists() && !t.dir.join(EXIT).exists()
                    {
                        effects.extend(t.life.handle(Event::LauncherGone { at: now }));
                    }
                }
            } else if t.life.status == Status::Running && !t.slurm {
                // 3. Reconcile: the process and its supervisor both gone, no record.
                if let Some(s) = &t.sup {
                    let child = proc::alive(s.pid, s.start_ticks, &s.boot_id);
                    let supervisor = proc::alive(s.supervisor_pid, s.supervisor_ticks, &s.boot_id);
                    if !child && !supervisor && !t.dir.join(EXIT).exists() {
                        effects.extend(t.life.handle(Event::ProcessGone { at: now }));
                    }
                }
            }
            effects.extend(t.life.handle(Event::Tick { now }));
            // The state machine has applied the effects to `t.life` (written below as
            // the run's row); status changes are reported.
            for e in effects {
                if let super::fsm::Effect::Status { status, .. } = e {
                    report.changed.push((uid.clone(), status));
                }
            }
            // Finished: terminal status and every byte read.
            t.finished = t.life.status.is_terminal() && t.exited && !run_backlog;
            let exit_rec = exit;
            tx.execute(
                "UPDATE runs SET status = ?2, reason = ?3, stalled = ?4, started_at = ?5, ended_at = ?6, last_output = ?7,
                   interval = ?8, pid = COALESCE(?9, pid), exit_code = ?10, signal = ?11, records = ?12, last_step = ?13, finished = ?14
                 WHERE id = ?1",
                params![
                    t.id,
                    t.life.status.as_str(),
                    t.life.reason,
                    t.life.stalled,
                    t.life.started_at,
                    t.life.ended_at,
                    t.life.last_output,
                    t.life.interval,
                    t.sup.as_ref().map(|s| s.pid),
                    exit_rec.as_ref().and_then(|e| e.code),
                    exit_rec.as_ref().and_then(|e| e.signal),
                    t.records,
                    t.last_step,
                    t.finished,
                ],
            )?;
            for (k, stream) in ["stdout", "stderr"].iter().enumerate() {
                tx.execute(
                    "INSERT INTO run_offsets(run_id, stream, offset, lines) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(run_id, stream) DO UPDATE SET offset = excluded.offset, lines = excluded.lines",
                    params![t.id, stream, t.offsets[k] as i64, t.lines[k] as i64],
                )?;
            }
            if !t.finished {
                self.tracked.insert(id, t);
            }
        }
        // Series by series, every insert appends at its series' end of the B-tree.
        let mut touched: Vec<(i64, i64)> = points.keys().copied().collect();
        touched.sort_unstable();
        let mut rows: Vec<PointRow> = Vec::with_capacity(points.values().map(Vec::len).sum());
        for k in &touched {
            if let Some(v) = points.get(k) {
                rows.extend(
                    v.iter()
                        .map(|&(seq, step, wall, value)| (k.0, k.1, seq, step, wall, value)),
                );
            }
        }
        report.points = rows.len() as u64;
        insert_points(&tx, &rows)?;
        let mut up = tx.prepare_cached(
            "INSERT INTO metric_summary(run_id, key_id, count, last, last_step, min, min_step, max, max_step)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT(run_id, key_id) DO UPDATE SET count = excluded.count, last = excluded.last,
               last_step = excluded.last_step, min = excluded.min, min_step = excluded.min_step,
               max = excluded.max, max_step = excluded.max_step",
        )?;
        for (run, key) in &touched {
            if let Some(s) = self.summaries.get(&(*run, *key)) {
                up.execute(params![
                    run,
                    key,
                    s.count,
                    s.last.filter(|v| !v.is_nan()),
                    s.last_step,
                    s.min.map(|m| m.0),
                    s.min.map(|m| m.1),
                    s.max.map(|m| m.0),
                    s.max.map(|m| m.1)
                ])?;
            }
        }
        drop(up);
        tx.commit()?;
        Ok(report)
    }

    /// Read new complete lines of one stream. At the end of a finished run, a last
    /// line without a newline is read too.
    #[allow(clippy::too_many_arguments)]
    fn tail(
        &mut self,
        tx: &Transaction,
        t: &mut Tracked,
        k: usize,
        stream: &str,
        ended: bool,
        now: f64,
        points: &mut Series,
    ) -> anyhow::Result<(u64, u64, bool, bool)> {
        let path = t.dir.join(stream);
        let mut tail = super::tail::Tail::new(&path, t.offsets[k]);
        let Some(chunk) = tail
            .read(CHUNK, ended)
            .with_context(|| format!("reading {}", path.display()))?
        else {
            return Ok((0, 0, false, false));
        };
        let grew = chunk.size > t.sizes[k];
        t.sizes[k] = chunk.size;
        if chunk.size <= t.offsets[k] {
            return Ok((0, 0, false, false));
        }
        let mut nlines = 0;
        for text in chunk.lines() {
            nlines += 1;
            if let Line::Record(r) = parse_line(&text) {
                let step = r.step.or(t.last_step).unwrap_or(t.records);
                if r.step.is_some() {
                    t.last_step = r.step;
                }
                t.records += 1;
                let wall = r.time.unwrap_or(now);
                for (key, v) in &r.points {
                    let key_id = self.key_id(tx, key)?;
                    let s = self.summary(tx, t.id, key_id)?;
                    let seq = s.count;
                    s.add(step, *v);
                    points.entry((t.id, key_id)).or_default().push((
                        seq,
                        step,
                        wall,
                        (!v.is_nan()).then_some(*v),
                    ));
                }
                for (key, v) in &r.info {
                    tx.execute(
                        "INSERT INTO run_info(run_id, key, value) VALUES (?1, ?2, ?3)
                         ON CONFLICT(run_id, key) DO UPDATE SET value = excluded.value",
                        params![t.id, key, v],
                    )?;
                }
            }
        }
        let take = tail.offset() - t.offsets[k];
        t.offsets[k] = tail.offset();
        t.lines[k] += nlines;
        Ok((take, nlines, chunk.backlog, grew))
    }
}

/// Insert points with multi-row statements (128 rows each).
fn insert_points(tx: &Transaction, points: &[PointRow]) -> rusqlite::Result<()> {
    const N: usize = 128;
    let row = "(?, ?, ?, ?, ?, ?)";
    let many = format!(
        "INSERT INTO metrics(run_id, key_id, seq, step, wall, value) VALUES {}",
        vec![row; N].join(", ")
    );
    let mut chunks = points.chunks_exact(N);
    {
        let mut stmt = tx.prepare_cached(&many)?;
        for c in chunks.by_ref() {
            let mut vals: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(N * 6);
            for p in c {
                vals.extend([&p.0 as &dyn rusqlite::ToSql, &p.1, &p.2, &p.3, &p.4, &p.5]);
            }
            stmt.execute(vals.as_slice())?;
        }
    }
    let mut one = tx.prepare_cached(
        "INSERT INTO metrics(run_id, key_id, seq, step, wall, value) VALUES (?, ?, ?, ?, ?, ?)",
    )?;
    for p in chunks.remainder() {
        one.execute(params![p.0, p.1, p.2, p.3, p.4, p.5])?;
    }
    Ok(())
}

/// The ingest lock: one process at a time writes run data (the TUI or `run watch`);
/// others only read. `None` when someone else holds it.
pub fn try_lock(data_dir: &Path) -> anyhow::Result<Option<nix::fcntl::Flock<std::fs::File>>> {
    let path = data_dir.join("ingest.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusiveNonblock) {
        Ok(l) => Ok(Some(l)),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, e)) => Err(anyhow::anyhow!("locking {}: {e}", path.display())),
    }
}

/// Bring the index up to date if nobody else is ingesting (CLI reads call this).
pub fn catch_up(conn: &mut Connection, data_dir: &Path, policy: StallPolicy) -> anyhow::Result<()> {
    if let Some(_lock) = try_lock(data_dir)? {
        let mut ing = Ingester::new(&super::runs_dir(data_dir)).with_policy(policy);
        loop {
            let r = ing.cycle(conn)?;
            if !r.backlog {
                break;
            }
        }
    }
    Ok(())
}
