//! The terminal UI: one input thread, one owner of state that drains every pending
//! message, applies it, then draws once. Redraws happen only when something changed.

pub mod action;
pub mod editor;
pub mod keymap;
pub mod state;
pub mod theme;
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

type Term = Terminal<CrosstermBackend<Stdout>>;

fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

fn setup_terminal() -> anyhow::Result<Term> {
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
                        if tx.send(Msg::Term(ev)).is_err() {
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
    load_preview(app, ctx);
    term.draw(|f| ui::draw(f, app))?;
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
        for Msg::Term(ev) in pending {
            let effects = match ev {
                Event::Key(k) if k.kind != KeyEventKind::Release => {
                    dirty = true;
                    if app.text_mode() {
                        text_key(&k).map(|t| app.handle_text(t)).unwrap_or_default()
                    } else {
                        match app.keymap.action(&k) {
                            Some(a) => app.handle(a),
                            None => vec![],
                        }
                    }
                }
                Event::Resize(_, h) => {
                    app.page = (h as usize).saturating_sub(8).max(1);
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
                if let Err(err) = apply(e, app, ctx, term, &paused) {
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
        load_preview(app, ctx);
        if dirty && !quit {
            term.draw(|f| ui::draw(f, app))?;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = input.join();
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
                    run: None,
                },
            )?;
            if let Some(d) = &attach.deliverable {
                crate::deliverables::link(conn, d, "note", &n.id.to_string())?;
            }
            reload(app, ctx)?;
            apply(Effect::EditNote(n.id), app, ctx, term, paused)?;
        }
        Effect::EditNote(id) => match crate::cli::editor_command(&ctx.config) {
            Some(ed) => {
                let n = crate::notes::get(conn, id)?;
                let path = crate::notes::path_of(&ctx.notes_dir, &n.summary);
                paused.store(true, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(60));
                restore_terminal();
                let r = crate::cli::run_editor(&ed, &path);
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
            None => apply(Effect::EditNoteInternal(id), app, ctx, term, paused)?,
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
            reload(app, ctx)?;
            app.status = Some("reloaded".into());
        }
    }
    Ok(())
}
