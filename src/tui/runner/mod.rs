//! The runner: the TUI's I/O around the pure state. One input thread, background
//! workers (ingest, the mock-interview clock, cancels) that send small events, and one
//! owner of state that drains every pending event, hands each to `App::handle`,
//! carries out the effects it returns (their outcome goes back in as messages), then
//! draws once — only when something changed.
//!
//! - `terminal`: raw mode and the alternate screen
//! - `worker`: effects → I/O → messages
//! - `load`: the loaders (store data, runs, points, cards, notes)
//! - `follow`: the open run's log files
//! - `ingest`: the ingest worker

mod follow;
mod ingest;
pub mod load;
pub mod terminal;
mod worker;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use crossterm::event::{self, Event as TermEvent, KeyEventKind};

use super::keymap::Keymap;
use super::state::{App, Data, Effect, Msg};
use super::views;
use crate::app::Context;
pub use follow::LogFollow;
pub use terminal::{restore_terminal, setup_terminal, Term, TerminalLost};
pub use worker::{Clock, Reply, Worker};

/// What reaches the event loop.
pub(crate) enum Event {
    Term(TermEvent),
    /// The ingest worker stored something new.
    Ingested,
    /// Time passes while runs are active (durations, stall flags).
    Tick,
    /// A quarter second passed while a mock interview's clock runs.
    Clock,
    /// A message for the state (a background worker's news or result).
    Msg(Msg),
}

/// Open the TUI on a started context.
pub fn run(mut ctx: Context) -> anyhow::Result<()> {
    let keymap = Keymap::with_overrides(&ctx.config.keys)
        .with_context(|| format!("in {}", ctx.config_path.display()))?;
    let data = Data::load(&ctx)?;
    let mut app = App::new(data, keymap);

    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        hook(info);
    }));
    let mut term = setup_terminal()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .context("starting the async runtime")?;
    let result = rt.block_on(event_loop(&mut term, &mut app, &mut ctx));
    restore_terminal();
    result
}

/// Carry out `fx` and everything the outcomes ask for in turn, until nothing is left.
/// Returns true when the state asked to quit.
pub fn settle(
    app: &mut App,
    worker: &mut Worker,
    fx: Vec<Effect>,
    mut external: impl FnMut(&mut Worker, &Effect) -> Option<anyhow::Result<Vec<Msg>>>,
) -> anyhow::Result<bool> {
    let mut queue: VecDeque<Effect> = fx.into();
    while let Some(e) = queue.pop_front() {
        if e == Effect::Quit {
            return Ok(true);
        }
        let result = match external(worker, &e) {
            Some(r) => r,
            None => worker.perform(e, app),
        };
        let msgs = match result {
            Ok(m) => m,
            Err(err) if err.is::<TerminalLost>() => return Err(err),
            Err(err) => {
                tracing::error!("{err:#}");
                vec![Msg::Failed(format!("{err:#}"))]
            }
        };
        for m in msgs {
            queue.extend(app.handle(m));
        }
    }
    Ok(false)
}

/// Carry out the effects that need no terminal (tests, benches).
pub fn settle_io(app: &mut App, worker: &mut Worker, fx: Vec<Effect>) -> anyhow::Result<bool> {
    settle(app, worker, fx, |_, _| None)
}

/// One effect, its error told with `what` it was for; then what follows from it.
fn first(app: &mut App, worker: &mut Worker, e: Effect, what: &str) {
    let msgs = match worker.perform(e, app) {
        Ok(m) => m,
        Err(err) => vec![Msg::Failed(format!("{what}: {err:#}"))],
    };
    let fx: Vec<Effect> = msgs.into_iter().flat_map(|m| app.handle(m)).collect();
    if let Err(err) = settle_io(app, worker, fx) {
        app.handle(Msg::Failed(format!("{err:#}")));
    }
}

/// Open a note in $EDITOR with the TUI suspended, then re-index it.
fn external_edit(
    worker: &mut Worker,
    term: &mut Term,
    paused: &AtomicBool,
    editor: &str,
    id: i64,
) -> anyhow::Result<Vec<Msg>> {
    let ctx = &*worker.ctx;
    let n = crate::notes::get(&ctx.store.conn, id)?;
    let path = crate::notes::path_of(&ctx.notes_dir, &n.summary);
    paused.store(true, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(60));
    restore_terminal();
    let r = crate::notes::run_editor(editor, &path);
    match setup_terminal() {
        Ok(t) => *term = t,
        Err(e) => return Err(TerminalLost(format!("{e:#}")).into()),
    }
    paused.store(false, Ordering::Relaxed);
    term.clear()?;
    r?;
    crate::notes::index_file(&ctx.store.conn, &ctx.notes_dir, &n.summary.path)?;
    Ok(vec![load::data(ctx)?])
}

async fn event_loop(term: &mut Term, app: &mut App, ctx: &mut Context) -> anyhow::Result<()> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let paused = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let (p2, s2) = (paused.clone(), stop.clone());
    let input_tx = tx.clone();
    // The input task: a plain thread, since crossterm's reads block.
    let input = std::thread::spawn(move || {
        while !s2.load(Ordering::Relaxed) {
            if p2.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            match event::poll(Duration::from_millis(50)) {
                Ok(true) => match event::read() {
                    Ok(ev) => {
                        if input_tx.send(Event::Term(ev)).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::error!("reading terminal input: {e}");
                        break;
                    }
                },
                Ok(false) => {}
                Err(e) => {
                    tracing::error!("polling terminal input: {e}");
                    break;
                }
            }
        }
    });
    if let Ok(size) = term.size() {
        app.handle(Msg::Resize(size.width, size.height));
    }
    let editor = ctx.config.editor_command();
    let reply_tx = tx.clone();
    let reply: Reply = Arc::new(move |m| {
        let _ = reply_tx.send(Event::Msg(m));
    });
    let mut worker = Worker::new(ctx, Some(reply));
    app.handle(Msg::Clock(worker.clock.now()));
    first(app, &mut worker, Effect::CardsReload, "loading cards");
    // The mock-interview clock: a tick a second while an answer is being timed.
    let timer = Arc::new(AtomicBool::new(false));
    let ticker = {
        let (timer, stop, tx) = (timer.clone(), stop.clone(), tx.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                if timer.load(Ordering::Relaxed) && tx.send(Event::Clock).is_err() {
                    break;
                }
            }
        })
    };
    let mut last_tick = std::time::Instant::now();
    load_preview(app, &worker);
    term.draw(|f| views::draw(f, app))?;
    // The ingest worker: its own connection, the only writer of run data.
    let ingest = ingest::spawn_ingest(&*worker.ctx, tx.clone(), stop.clone());
    first(
        app,
        &mut worker,
        Effect::LoadRuns { projects: true },
        "loading runs",
    );
    // Notes edited outside labbook are re-indexed after the first frame is up.
    let ctx = &*worker.ctx;
    match crate::notes::scan(&ctx.store.conn, &ctx.notes_dir) {
        Ok(r) => {
            for e in &r.errors {
                tracing::warn!("note not indexed: {e}");
            }
            if r.indexed > 0 || r.removed > 0 {
                app.handle(load::data(ctx)?);
                term.draw(|f| views::draw(f, app))?;
            }
        }
        Err(e) => {
            app.handle(Msg::Failed(format!("rescanning notes: {e:#}")));
        }
    }
    let mut quit = false;
    while !quit {
        let Some(first) = rx.recv().await else { break };
        let mut pending = vec![first];
        while let Ok(m) = rx.try_recv() {
            pending.push(m);
        }
        let mut dirty = false;
        let mut runs_changed = false;
        for ev in pending {
            let fx = match ev {
                Event::Ingested | Event::Tick => {
                    runs_changed = true;
                    continue;
                }
                Event::Clock => {
                    // Redraw once a second, whatever the tick rate.
                    if last_tick.elapsed() >= Duration::from_millis(900) {
                        last_tick = std::time::Instant::now();
                        app.handle(Msg::Clock(worker.clock.now()));
                        dirty = true;
                    }
                    continue;
                }
                Event::Msg(m) => {
                    dirty = true;
                    app.handle(m)
                }
                Event::Term(TermEvent::Key(k)) if k.kind != KeyEventKind::Release => {
                    dirty = true;
                    app.handle(Msg::Clock(worker.clock.now()));
                    app.handle(Msg::Key(k))
                }
                Event::Term(TermEvent::Resize(w, h)) => {
                    dirty = true;
                    app.handle(Msg::Resize(w, h))
                }
                Event::Term(_) => continue,
            };
            let done = settle(app, &mut worker, fx, |w, e| match (e, &editor) {
                (Effect::EditNote(id), Some(ed)) => Some(external_edit(w, term, &paused, ed, *id)),
                _ => None,
            });
            match done {
                Ok(q) => quit = q,
                Err(err) => {
                    stop.store(true, Ordering::Relaxed);
                    return Err(err);
                }
            }
            if quit {
                break;
            }
        }
        if runs_changed && !quit {
            let fx = app.handle(Msg::RunsChanged);
            if let Err(err) = settle_io(app, &mut worker, fx) {
                app.handle(Msg::Failed(format!("{err:#}")));
            }
            dirty = true;
        }
        load_preview(app, &worker);
        timer.store(app.cards.timer_running(), Ordering::Relaxed);
        if dirty && !quit {
            term.draw(|f| views::draw(f, app))?;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = input.join();
    let _ = ticker.join();
    if let Some(h) = ingest {
        let _ = h.join();
    }
    Ok(())
}

/// The Notes preview's body, when the selection changed.
fn load_preview(app: &mut App, worker: &Worker) {
    if let Some(id) = app.wants_preview() {
        app.handle(load::preview(&*worker.ctx, id));
    }
}
