//! The terminal UI: one input thread, one owner of state that drains every pending
//! message, applies it, then draws once. Redraws happen only when something changed.

pub mod action;
pub mod audio_view;
pub mod bench;
pub mod cards;
pub mod cards_ui;
pub mod editor;
pub mod keymap;
pub mod logbuf;
pub mod runs;
pub mod runs_ui;
pub mod state;
pub mod theme;
pub mod turn_view;
pub mod ui;

use std::io::Stdout;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use crate::app::Context;
use action::TextKey;
use state::{App, Data, Effect};

pub type Term = Terminal<CrosstermBackend<Stdout>>;

pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

pub fn setup_terminal() -> anyhow::Result<Term> {
    enable_raw_mode().context("switching the terminal to raw mode (is stdout a terminal?)")?;
    let term = execute!(std::io::stdout(), EnterAlternateScreen)
        .context("entering the alternate screen")
        .and_then(|_| Ok(Terminal::new(CrosstermBackend::new(std::io::stdout()))?));
    if term.is_err() {
        restore_terminal();
    }
    term
}

/// The terminal could not be taken back after an external editor: stop the TUI.
#[derive(Debug, thiserror::Error)]
#[error("could not restore the terminal after the editor: {0}")]
struct TerminalLost(String);

/// Map a key to text input for the filter, prompts and the built-in editor.
fn text_key(ev: &KeyEvent) -> Option<TextKey> {
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    Some(match ev.code {
        KeyCode::Char('s') if ctrl => TextKey::Save,
        KeyCode::Char('c') if ctrl => TextKey::Esc,
        KeyCode::Char(c) if !ctrl => TextKey::Char(c),
        KeyCode::Backspace => TextKey::Backspace,
        KeyCode::Delete => TextKey::Delete,
        KeyCode::Left => TextKey::Left,
        KeyCode::Right => TextKey::Right,
        KeyCode::Up => TextKey::Up,
        KeyCode::Down => TextKey::Down,
        KeyCode::Home => TextKey::Home,
        KeyCode::End => TextKey::End,
        KeyCode::Enter => TextKey::Enter,
        KeyCode::Esc => TextKey::Esc,
        KeyCode::Tab => TextKey::Char(' '),
        _ => return None,
    })
}

enum Msg {
    Term(Event),
    /// The ingest worker stored something new.
    Ingested,
    /// Time passes while runs are active (durations, stall flags).
    Tick,
    /// A cancel finished in the background.
    Cancelled(String, String),
    /// Whether this TUI ingests run output (false: another labbook holds the lock).
    IngestRole(bool),
    /// A second passed while a mock interview's clock runs.
    Clock,
}

/// The cards clock: the real time, or (with `--today` set to another day) that
/// day's noon plus the time since the TUI started.
fn cards_clock(ctx: &Context, started: std::time::Instant) -> chrono::DateTime<chrono::Utc> {
    let base = crate::cards::now_for(ctx.today);
    if chrono::Local::now().date_naive() == ctx.today {
        base
    } else {
        base + chrono::Duration::milliseconds(started.elapsed().as_millis() as i64)
    }
}

/// Reload the Cards tab's counts (and, the first time, the question bank).
pub fn load_cards(app: &mut App, ctx: &Context) -> anyhow::Result<()> {
    app.cards.settings = ctx.config.cards.clone();
    if app.cards.data.bank.is_none() && app.cards.data.error.is_none() {
        match crate::cards::open(&ctx.store, ctx.questions_dir.as_deref(), ctx.today) {
            Ok(b) => app.cards.data.bank = Some(std::sync::Arc::new(b)),
            Err(e) => app.cards.data.error = Some(format!("{e:#}")),
        }
    }
    let conn = &ctx.store.conn;
    let now = crate::cards::now_for(ctx.today);
    app.cards.data.stats = crate::cards::stats(conn, &app.cards.settings, now, ctx.today)?;
    if let Some(bank) = &app.cards.data.bank {
        app.cards.data.scores = crate::cards::mock::topic_scores(conn, bank)?;
    }
    let n = app.cards.data.scores.len() + 1;
    let i = state::Tab::Cards as usize;
    app.selected[i] = app.selected[i].min(n - 1);
    Ok(())
}

/// Open the TUI on a started context.
pub fn run(mut ctx: Context) -> anyhow::Result<()> {
    let keymap = keymap::Keymap::with_overrides(&ctx.config.keys)
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

async fn event_loop(term: &mut Term, app: &mut App, ctx: &mut Context) -> anyhow::Result<()> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Msg>();
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
                        if input_tx.send(Msg::Term(ev)).is_err() {
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
        app.size = (size.width, size.height);
        app.page = (size.height as usize).saturating_sub(8).max(1);
    }
    let started = std::time::Instant::now();
    app.cards.now = cards_clock(ctx, started);
    if let Err(e) = load_cards(app, ctx) {
        app.status = Some(format!("error: loading cards: {e:#}"));
    }
    // The mock-interview clock: a tick a second while an answer is being timed.
    let timer = Arc::new(AtomicBool::new(false));
    let ticker = {
        let (timer, stop, tx) = (timer.clone(), stop.clone(), tx.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                if timer.load(Ordering::Relaxed) && tx.send(Msg::Clock).is_err() {
                    break;
                }
            }
        })
    };
    let mut last_tick = std::time::Instant::now();
    load_preview(app, ctx);
    term.draw(|f| ui::draw(f, app))?;
    // The ingest worker: its own connection, the only writer of run data.
    let ingest = spawn_ingest(ctx, tx.clone(), stop.clone());
    if let Err(e) = refresh_runs_view(app, ctx) {
        app.status = Some(format!("error: loading runs: {e:#}"));
    }
    // Notes edited outside labbook are re-indexed after the first frame is up.
    match crate::notes::scan(&ctx.store.conn, &ctx.notes_dir) {
        Ok(r) => {
            for e in &r.errors {
                tracing::warn!("note not indexed: {e}");
            }
            if r.indexed > 0 || r.removed > 0 {
                reload(app, ctx)?;
                term.draw(|f| ui::draw(f, app))?;
            }
        }
        Err(e) => app.status = Some(format!("error: rescanning notes: {e:#}")),
    }
    let mut quit = false;
    while !quit {
        let Some(first) = rx.recv().await else { break };
        let mut pending = vec![first];
        while let Ok(m) = rx.try_recv() {
            pending.push(m);
        }
        let mut dirty = false;
        let mut refresh_runs = false;
        for msg in pending {
            let ev = match msg {
                Msg::Term(ev) => ev,
                Msg::Ingested | Msg::Tick => {
                    refresh_runs = true;
                    continue;
                }
                Msg::IngestRole(ours) => {
                    app.ingesting = ours;
                    dirty = true;
                    continue;
                }
                Msg::Clock => {
                    // Redraw once a second, whatever the tick rate.
                    if last_tick.elapsed() >= Duration::from_millis(900) {
                        last_tick = std::time::Instant::now();
                        app.cards.now = cards_clock(ctx, started);
                        dirty = true;
                    }
                    continue;
                }
                Msg::Cancelled(id, outcome) => {
                    app.status = Some(format!("{id}: {outcome}"));
                    refresh_runs = true;
                    dirty = true;
                    continue;
                }
            };
            let effects = match ev {
                Event::Key(k) if k.kind != KeyEventKind::Release => {
                    dirty = true;
                    app.cards.now = cards_clock(ctx, started);
                    if app.text_mode() {
                        text_key(&k).map(|t| app.handle_text(t)).unwrap_or_default()
                    } else {
                        match app.keymap.action(&k) {
                            Some(a) => app.handle(a),
                            None => vec![],
                        }
                    }
                }
                Event::Resize(w, h) => {
                    app.page = (h as usize).saturating_sub(8).max(1);
                    app.size = (w, h);
                    app.runs.prepare(w as usize);
                    dirty = true;
                    vec![]
                }
                _ => vec![],
            };
            for e in effects {
                if e == Effect::Quit {
                    quit = true;
                    break;
                }
                app.cards.now = cards_clock(ctx, started);
                if let Err(err) = apply(e, app, ctx, term, &paused, &tx) {
                    if err.is::<TerminalLost>() {
                        stop.store(true, Ordering::Relaxed);
                        return Err(err);
                    }
                    tracing::error!("{err:#}");
                    app.status = Some(format!("error: {err:#}"));
                }
            }
            if quit {
                break;
            }
        }
        if refresh_runs && !quit {
            if let Err(err) = refresh_runs_view(app, ctx) {
                app.status = Some(format!("error: {err:#}"));
            }
            dirty = true;
        }
        load_preview(app, ctx);
        timer.store(app.cards.timer_running(), Ordering::Relaxed);
        if dirty && !quit {
            term.draw(|f| ui::draw(f, app))?;
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

fn load_preview(app: &mut App, ctx: &Context) {
    if let Some(id) = app.wants_preview() {
        match crate::notes::get(&ctx.store.conn, id) {
            Ok(n) => app.preview = Some(n),
            Err(e) => {
                app.preview = None;
                app.status = Some(format!("error: loading note {id}: {e:#}"));
            }
        }
    }
}

/// Reload the runs table and follow the open run or comparison.
pub fn refresh_runs_view(app: &mut App, ctx: &Context) -> anyhow::Result<()> {
    let projects = std::mem::take(&mut app.runs_data.projects);
    app.runs_data = runs::RunsData::load(&ctx.store.conn, &ctx.data_dir, Some(projects))?;
    if let Some(log) = app.runs.log.as_mut() {
        log.poll();
    }
    match app.runs.view.clone() {
        runs::RunsView::Run(_) => load_run_series(app, ctx)?,
        runs::RunsView::Compare(ids) => load_compare(app, ctx, &ids)?,
        _ => {}
    }
    let n = app.row_count();
    let i = state::Tab::Runs as usize;
    app.selected[i] = app.selected[i].min(n.saturating_sub(1));
    Ok(())
}

/// Up to four metrics of the open run, from the chosen one on; only new points are read.
pub fn load_run_series(app: &mut App, ctx: &Context) -> anyhow::Result<()> {
    let runs::RunsView::Run(id) = app.runs.view.clone() else {
        return Ok(());
    };
    let Some(r) = app.runs_data.runs.iter().find(|r| r.id == id).cloned() else {
        return Ok(());
    };
    let want: Vec<String> = if r.project.as_deref() == Some("latency") {
        // the turn-taking view needs these, whatever the chosen metric
        turn_view::SERIES.iter().map(|s| s.to_string()).collect()
    } else {
        let names = app.run_metrics();
        (0..names.len().min(4))
            .map(|k| names[(app.runs.metric + k) % names.len()].clone())
            .collect()
    };
    let mut changed = false;
    if app.runs.series.iter().map(|s| &s.0).ne(want.iter()) {
        app.runs.series = want.iter().map(|k| (k.clone(), Vec::new())).collect();
        changed = true;
    }
    for (key, pts) in app.runs.series.iter_mut() {
        let more =
            crate::runs::query::series_from(&ctx.store.conn, r.rowid, key, pts.len() as i64)?;
        changed |= !more.is_empty();
        pts.extend(more);
    }
    if changed || app.runs.prepared.is_empty() {
        app.runs.prepare(app.size.0 as usize / 2);
    }
    Ok(())
}

/// The chosen metric of every compared run; only new points are read.
pub fn load_compare(app: &mut App, ctx: &Context, ids: &[String]) -> anyhow::Result<()> {
    let Some(key) = app.chosen_metric() else {
        return Ok(());
    };
    let same = app.runs.compare_metric.as_deref() == Some(key.as_str())
        && app.runs.compare.iter().map(|c| &c.0).eq(ids.iter());
    let mut changed = !same;
    if !same {
        app.runs.compare = ids.iter().map(|i| (i.clone(), Vec::new())).collect();
        app.runs.compare_metric = Some(key.clone());
    }
    for (id, pts) in app.runs.compare.iter_mut() {
        if let Some(r) = app.runs_data.runs.iter().find(|r| &r.id == id) {
            let more =
                crate::runs::query::series_from(&ctx.store.conn, r.rowid, &key, pts.len() as i64)?;
            changed |= !more.is_empty();
            pts.extend(more);
        }
    }
    if changed {
        app.runs.prepare(app.size.0 as usize);
    }
    Ok(())
}

/// The ingest worker: takes the ingest lock (if another labbook holds it, this one
/// only reads), runs ingest cycles on its own connection and tells the UI when
/// something changed.
fn spawn_ingest(
    ctx: &Context,
    tx: tokio::sync::mpsc::UnboundedSender<Msg>,
    stop: Arc<AtomicBool>,
) -> Option<std::thread::JoinHandle<()>> {
    let data_dir = ctx.data_dir.clone();
    let db = ctx.store.path().to_path_buf();
    let policy = ctx.config.runs.policy();
    let slurm_poll = ctx.config.slurm.poll_secs;
    Some(std::thread::spawn(move || {
        let mut lock = crate::runs::ingest::try_lock(&data_dir).ok().flatten();
        if tx.send(Msg::IngestRole(lock.is_some())).is_err() {
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
                    if tx.send(Msg::IngestRole(true)).is_err() {
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
                            && tx.send(Msg::Ingested).is_err()
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
                if tx.send(Msg::Tick).is_err() {
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

fn reload(app: &mut App, ctx: &Context) -> anyhow::Result<()> {
    app.set_data(Data::load(ctx)?);
    app.preview = None;
    Ok(())
}

/// Carry out one effect (the only place the TUI writes).
fn apply(
    e: Effect,
    app: &mut App,
    ctx: &mut Context,
    term: &mut Term,
    paused: &AtomicBool,
    tx: &tokio::sync::mpsc::UnboundedSender<Msg>,
) -> anyhow::Result<()> {
    let conn = &ctx.store.conn;
    match e {
        Effect::Quit => {}
        Effect::SetDone(id, done) => {
            crate::plan::progress::set_done(conn, &id, done)?;
            app.status = Some(format!("{id} {}", if done { "done ✓" } else { "not done" }));
            reload(app, ctx)?;
        }
        Effect::SetPaperStatus(key, s) => {
            crate::papers::update(
                &mut ctx.store.conn,
                &key,
                &crate::papers::PaperUpdate {
                    status: Some(s),
                    ..Default::default()
                },
            )?;
            app.status = Some(format!("{key}: {}", s.as_str()));
            reload(app, ctx)?;
        }
        Effect::SetPaperPriority(key, p) => {
            crate::papers::update(
                &mut ctx.store.conn,
                &key,
                &crate::papers::PaperUpdate {
                    priority: Some(p),
                    ..Default::default()
                },
            )?;
            reload(app, ctx)?;
        }
        Effect::SetPaperRating(key, r) => {
            crate::papers::update(
                &mut ctx.store.conn,
                &key,
                &crate::papers::PaperUpdate {
                    rating: Some(r),
                    ..Default::default()
                },
            )?;
            reload(app, ctx)?;
        }
        Effect::SetDeliverable(id, s) => {
            crate::deliverables::set_status(conn, &id, s)?;
            app.status = Some(format!("{id}: {}", s.as_str()));
            reload(app, ctx)?;
        }
        Effect::CreateNote { title, attach } => {
            let n = crate::notes::create(
                conn,
                &ctx.notes_dir,
                &crate::notes::NewNote {
                    title,
                    body: String::new(),
                    paper: attach.paper,
                    item: attach.item,
                    run: attach.run,
                },
            )?;
            if let Some(d) = &attach.deliverable {
                crate::deliverables::link(conn, d, "note", &n.id.to_string())?;
            }
            reload(app, ctx)?;
            apply(Effect::EditNote(n.id), app, ctx, term, paused, tx)?;
        }
        Effect::EditNote(id) => match ctx.config.editor_command() {
            Some(ed) => {
                let n = crate::notes::get(conn, id)?;
                let path = crate::notes::path_of(&ctx.notes_dir, &n.summary);
                paused.store(true, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(60));
                restore_terminal();
                let r = crate::notes::run_editor(&ed, &path);
                match setup_terminal() {
                    Ok(t) => *term = t,
                    Err(e) => return Err(TerminalLost(format!("{e:#}")).into()),
                }
                paused.store(false, Ordering::Relaxed);
                term.clear()?;
                r?;
                crate::notes::index_file(&ctx.store.conn, &ctx.notes_dir, &n.summary.path)?;
                reload(app, ctx)?;
            }
            None => apply(Effect::EditNoteInternal(id), app, ctx, term, paused, tx)?,
        },
        Effect::EditNoteInternal(id) => {
            let n = crate::notes::get(conn, id)?;
            let path = crate::notes::path_of(&ctx.notes_dir, &n.summary);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            app.open_editor(id, n.summary.title.clone(), &text);
        }
        Effect::SaveNote(id, text) => {
            crate::notes::save(conn, &ctx.notes_dir, id, &text)?;
            app.status = Some("note saved".into());
            reload(app, ctx)?;
        }
        Effect::SearchNotes(q) => {
            app.note_hits = Some(
                crate::notes::search(conn, &q)?
                    .into_iter()
                    .map(|h| h.note.id)
                    .collect(),
            );
        }
        Effect::Reload => {
            let (plan, source) = crate::app::load_curriculum(ctx.curriculum_dir.as_deref())?;
            crate::app::sync_if_changed(&mut ctx.store, &plan, &source)?;
            crate::notes::scan(&ctx.store.conn, &ctx.notes_dir)?;
            app.runs_data.projects.clear();
            refresh_runs_view(app, ctx)?;
            reload(app, ctx)?;
            app.status = Some("reloaded".into());
        }
        Effect::OpenRun(id) => {
            let r = crate::runs::query::find(&ctx.store.conn, &id)?;
            app.runs.log = Some(logbuf::LogTail::open(&r.dir, 20_000, 1 << 20));
            app.runs.series.clear();
            load_run_series(app, ctx)?;
        }
        Effect::LoadSeries => {
            app.runs.series.clear();
            load_run_series(app, ctx)?;
        }
        Effect::LoadCompare(ids) => {
            app.runs.compare.clear();
            load_compare(app, ctx, &ids)?;
        }
        Effect::CancelRun(id) => {
            let r = crate::runs::query::find(&ctx.store.conn, &id)?;
            let tx = tx.clone();
            // The grace period must not freeze the screen: cancel on a thread.
            std::thread::spawn(move || {
                let outcome =
                    match crate::runs::cancel_run(&r.dir, &r.backend, Duration::from_secs(10)) {
                        Ok(c) => c,
                        Err(e) => format!("error: {e:#}"),
                    };
                let _ = tx.send(Msg::Cancelled(r.id, outcome));
            });
        }
        Effect::DeleteRun(id) => {
            let r = crate::runs::query::find(&ctx.store.conn, &id)?;
            crate::runs::query::delete(&ctx.store.conn, &r)?;
            app.runs.marked.remove(&id);
            if app.runs.view == runs::RunsView::Run(id.clone()) {
                app.runs.view = runs::RunsView::Table;
                app.runs.log = None;
            }
            app.status = Some(format!("deleted {id}"));
            refresh_runs_view(app, ctx)?;
        }
        Effect::Launch { project, params }
            if runs::split_on(&params)
                .0
                .iter()
                .any(|(_, v)| v.contains(',')) =>
        {
            let (kv, on) = runs::split_on(&params);
            let plan = crate::runs::sweep::plan(&ctx.data_dir, &project, &kv, None, 0)?;
            let lines = plan.preview();
            let mut prompt = format!(
                "Sweep {project}: {} run(s), at most 2 at a time{}:\n",
                lines.len(),
                if on.is_some() {
                    ", on Slurm (a job array)"
                } else {
                    ""
                }
            );
            for l in lines.iter().take(8) {
                prompt.push_str(&format!("  {l}\n"));
            }
            if lines.len() > 8 {
                prompt.push_str(&format!("  … and {} more\n", lines.len() - 8));
            }
            prompt.push_str("Start them? y/n");
            app.mode = state::Mode::Confirm {
                prompt,
                effect: Effect::LaunchSweep { project, params },
            };
        }
        Effect::LaunchSweep { project, params } => {
            let (kv, on) = runs::split_on(&params);
            let plan = crate::runs::sweep::plan(&ctx.data_dir, &project, &kv, None, 0)?;
            match on {
                None => {
                    let (id, n) = crate::runs::sweep::start_planned(
                        &ctx.store.conn,
                        &ctx.data_dir,
                        &project,
                        plan,
                        2,
                    )?;
                    app.status = Some(format!("started sweep {id}: {n} run(s) queued"));
                }
                Some(profile) => {
                    let profile = ctx
                        .config
                        .slurm
                        .resolve(profile.as_deref(), &Default::default())?;
                    let (id, jobs) = crate::runs::sweep::submit(
                        &ctx.store.conn,
                        &ctx.data_dir,
                        &project,
                        plan,
                        2,
                        &profile,
                        true,
                    )?;
                    app.status = Some(format!("submitted sweep {id} to Slurm: {jobs}"));
                }
            }
            refresh_runs_view(app, ctx)?;
        }
        Effect::Launch { project, params } => {
            let (kv, on) = runs::split_on(&params);
            let cwd = std::env::current_dir().context("finding the current directory")?;
            let kv: Vec<String> = kv.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let spec = crate::runs::start::project_spec(&ctx.data_dir, &project, &kv, &cwd)?;
            let profile = match on {
                None => None,
                Some(p) => Some(
                    ctx.config
                        .slurm
                        .resolve(p.as_deref(), &Default::default())?,
                ),
            };
            let (_, meta) = crate::runs::start::start_spec(
                &ctx.store.conn,
                &ctx.data_dir,
                &spec,
                &[],
                profile.as_ref(),
            )?;
            app.status = Some(match profile {
                Some(_) => format!("submitted {} to Slurm", meta.id),
                None => format!("started {}", meta.id),
            });
            refresh_runs_view(app, ctx)?;
        }
        Effect::CardsReview => {
            let now = app.cards.now;
            let (queue, _) = crate::cards::todays_queue(conn, &app.cards.settings, now, ctx.today)?;
            app.cards.start_review(queue, now);
        }
        Effect::CardsGrade {
            card,
            grade,
            duration_ms,
        } => {
            let now = app.cards.now;
            let after = crate::cards::grade(
                conn,
                &app.cards.settings,
                card,
                grade,
                now,
                Some(duration_ms),
                crate::cards::Origin::Review,
            )?;
            app.cards.graded(grade, after, now);
            if !matches!(app.cards.view, cards::CardsView::Review(_)) {
                load_cards(app, ctx)?;
            }
        }
        Effect::CardsMock {
            filter,
            session,
            asked,
        } => {
            let Some(bank) = app.cards.data.bank.clone() else {
                anyhow::bail!("the question bank is not loaded");
            };
            let mut rng = crate::util::rng::Rng::from_time();
            match crate::cards::mock::pick(conn, &bank, filter.as_deref(), &asked, &mut rng) {
                Ok(q) => {
                    app.cards.view = cards::CardsView::Mock(Box::new(cards::MockUi::new(
                        filter,
                        q.clone(),
                        session,
                        asked,
                        app.cards.now,
                        app.cards.settings.mock_minutes * 60.0,
                    )));
                }
                Err(e) => {
                    if let Some(s) = session {
                        crate::cards::mock::finish(conn, s, app.cards.now)?;
                    }
                    app.cards.view = cards::CardsView::Overview;
                    app.status = Some(format!("{e:#}"));
                    load_cards(app, ctx)?;
                }
            }
        }
        Effect::CardsRecordMock { rating } => {
            let now = app.cards.now;
            let settings = app.cards.settings.clone();
            if let cards::CardsView::Mock(m) = &mut app.cards.view {
                if let cards::MockPhase::Rating { answer, secs } = m.phase.clone() {
                    let session = match m.session {
                        Some(s) => s,
                        None => {
                            let s = crate::cards::mock::start(
                                conn,
                                m.filter.as_deref(),
                                m.limit_secs / 60.0,
                                now,
                            )?;
                            m.session = Some(s);
                            s
                        }
                    };
                    let rec = crate::cards::mock::record(
                        conn,
                        &settings,
                        session,
                        &m.question,
                        &answer,
                        secs,
                        m.limit_secs,
                        rating,
                        now,
                    )?;
                    m.phase = cards::MockPhase::Done {
                        rating,
                        card: rec.card.map(|c| c.0),
                    };
                }
            }
            load_cards(app, ctx)?;
        }
        Effect::CardsFinishMock(session) => {
            crate::cards::mock::finish(conn, session, app.cards.now)?;
            load_cards(app, ctx)?;
        }
        Effect::CardsReload => load_cards(app, ctx)?,
        Effect::ExportReport(ids) => {
            let w = crate::export::report::write_comparison(
                &ctx.store.conn,
                &ctx.data_dir,
                ctx.today,
                &ids,
            )?;
            app.status = Some(format!(
                "report written: {} ({} figure(s))",
                w.markdown.display(),
                w.figures.len()
            ));
        }
        Effect::TagRun { run, add, remove } => {
            let r = crate::runs::query::find(&ctx.store.conn, &run)?;
            crate::runs::query::set_tags(&ctx.store.conn, &r, &add, &remove)?;
            app.status = Some(format!("{run}: tags updated"));
            refresh_runs_view(app, ctx)?;
        }
    }
    Ok(())
}
