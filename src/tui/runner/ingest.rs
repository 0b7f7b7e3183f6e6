//! The ingest worker: the only writer of run data while the TUI is open. It reads the
//! runs' output files into the index on its own connection and tells the event loop
//! when something changed (or, while runs are active, that time passed).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::Event;
use crate::app::Context;
use crate::tui::state::Msg;

/// The ingest worker: takes the ingest lock (if another labbook holds it, this one
/// only reads), runs ingest cycles on its own connection and tells the UI when
/// something changed.
pub(super) fn spawn_ingest(
    ctx: &Context,
    tx: tokio::sync::mpsc::UnboundedSender<Event>,
    stop: Arc<AtomicBool>,
) -> Option<std::thread::JoinHandle<()>> {
    let data_dir = ctx.data_dir.clone();
    let db = ctx.store.path().to_path_buf();
    let policy = ctx.config.runs.policy();
    let slurm_poll = ctx.config.slurm.poll_secs;
    Some(std::thread::spawn(move || {
        let mut lock = crate::runs::ingest::try_lock(&data_dir).ok().flatten();
        if tx
            .send(Event::Msg(Msg::IngestRole(lock.is_some())))
            .is_err()
        {
            return;
        }
        let mut store = if lock.is_some() {
            crate::store::Store::open(&db).ok()
        } else {
            None
        };
        let mut last_try = std::time::Instant::now();
        let mut ing = crate::runs::ingest::Ingester::new(&crate::runs::runs_dir(&data_dir))
            .with_policy(policy)
            .with_slurm_poll(slurm_poll);
        let mut last_tick = std::time::Instant::now();
        while !stop.load(Ordering::Relaxed) {
            // Whoever held the ingest lock may have gone: take over.
            if lock.is_none() && last_try.elapsed() >= Duration::from_secs(2) {
                last_try = std::time::Instant::now();
                lock = crate::runs::ingest::try_lock(&data_dir).ok().flatten();
                if lock.is_some() {
                    store = crate::store::Store::open(&db).ok();
                    if tx.send(Event::Msg(Msg::IngestRole(true))).is_err() {
                        return;
                    }
                }
            }
            let mut backlog = false;
            let mut active = true;
            if let Some(s) = store.as_mut() {
                match ing.cycle(&mut s.conn) {
                    Ok(r) => {
                        backlog = r.backlog;
                        active = ing.active() > 0;
                        if (r.points > 0 || r.lines > 0 || !r.changed.is_empty() || r.new_runs > 0)
                            && tx.send(Event::Ingested).is_err()
                        {
                            return;
                        }
                    }
                    Err(e) => {
                        tracing::error!("ingest: {e:#}");
                        std::thread::sleep(Duration::from_secs(1));
                    }
                }
            }
            if active && last_tick.elapsed() >= Duration::from_secs(1) {
                last_tick = std::time::Instant::now();
                if tx.send(Event::Tick).is_err() {
                    return;
                }
            }
            if !backlog {
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        drop(lock);
    }))
}
