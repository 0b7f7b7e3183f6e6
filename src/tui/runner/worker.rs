//! Carrying out effects: the only place the TUI writes, reads files or starts
//! processes. Each effect's outcome goes back to the state as messages; the worker
//! assigns nothing itself.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use super::follow::LogFollow;
use super::load;
use crate::app::Context;
use crate::tui::model::cards::{CardsView, MockPhase};
use crate::tui::model::runs::{split_on, RunsView};
use crate::tui::state::{App, Effect, Msg};

/// The clock of the Cards tab: the real time, or (with `--today` set to another day)
/// that day's noon plus the time since the TUI started.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    today: chrono::NaiveDate,
    started: std::time::Instant,
}

impl Clock {
    pub fn new(today: chrono::NaiveDate) -> Clock {
        Clock {
            today,
            started: std::time::Instant::now(),
        }
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let base = crate::cards::now_for(self.today);
        if chrono::Local::now().date_naive() == self.today {
            base
        } else {
            base + chrono::Duration::milliseconds(self.started.elapsed().as_millis() as i64)
        }
    }
}

/// Where work that finishes later (a cancel) reports.
pub type Reply = Arc<dyn Fn(Msg) + Send + Sync>;

pub struct Worker<'c> {
    pub ctx: &'c mut Context,
    pub clock: Clock,
    /// The open run's log files: (run id, follower).
    follow: Option<(String, LogFollow)>,
    /// None: slow work is done before `perform` returns.
    reply: Option<Reply>,
}

impl<'c> Worker<'c> {
    pub fn new(ctx: &'c mut Context, reply: Option<Reply>) -> Worker<'c> {
        let clock = Clock::new(ctx.today);
        Worker {
            ctx,
            clock,
            follow: None,
            reply,
        }
    }

    /// New lines of the open run's log, if a run is open.
    pub fn poll_log(&mut self, app: &App) -> Option<Msg> {
        let RunsView::Run(id) = &app.runs.view else {
            self.follow = None;
            return None;
        };
        let (run, f) = self.follow.as_mut().filter(|(run, _)| run == id)?;
        let lines = f.read();
        (!lines.is_empty()).then(|| Msg::Log {
            run: run.clone(),
            lines,
            fresh: false,
        })
    }

    /// Do what `e` asks and say what came of it. `app` is read for what an effect
    /// needs to know (the open run, the mock answer on show), never written.
    pub fn perform(&mut self, e: Effect, app: &App) -> anyhow::Result<Vec<Msg>> {
        let now = self.clock.now();
        let ctx = &mut *self.ctx;
        let conn = &ctx.store.conn;
        Ok(match e {
            Effect::Quit => vec![],
            Effect::SetDone(id, done) => {
                crate::plan::progress::set_done(conn, &id, done)?;
                let status = format!("{id} {}", if done { "done ✓" } else { "not done" });
                vec![Msg::Status(status), load::data(ctx)?]
            }
            Effect::SetPaperStatus(key, s) => {
                update_paper(ctx, &key, |u| u.status = Some(s))?;
                vec![
                    Msg::Status(format!("{key}: {}", s.as_str())),
                    load::data(ctx)?,
                ]
            }
            Effect::SetPaperPriority(key, p) => {
                update_paper(ctx, &key, |u| u.priority = Some(p))?;
                vec![load::data(ctx)?]
            }
            Effect::SetPaperRating(key, r) => {
                update_paper(ctx, &key, |u| u.rating = Some(r))?;
                vec![load::data(ctx)?]
            }
            Effect::SetDeliverable(id, s) => {
                crate::deliverables::set_status(conn, &id, s)?;
                vec![
                    Msg::Status(format!("{id}: {}", s.as_str())),
                    load::data(ctx)?,
                ]
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
                vec![load::data(ctx)?, Msg::NoteCreated(n.id)]
            }
            // The event loop runs $EDITOR itself (it owns the terminal); here, without
            // one, the built-in editor opens.
            Effect::EditNote(id) | Effect::EditNoteInternal(id) => {
                let n = crate::notes::get(conn, id)?;
                let path = crate::notes::path_of(&ctx.notes_dir, &n.summary);
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?;
                vec![Msg::NoteText {
                    id,
                    title: n.summary.title.clone(),
                    text,
                }]
            }
            Effect::SaveNote(id, text) => {
                crate::notes::save(conn, &ctx.notes_dir, id, &text)?;
                vec![Msg::Status("note saved".into()), load::data(ctx)?]
            }
            Effect::SearchNotes(q) => vec![Msg::NoteHits(
                crate::notes::search(conn, &q)?
                    .into_iter()
                    .map(|h| h.note.id)
                    .collect(),
            )],
            Effect::Reload => {
                let (plan, source) = crate::app::load_curriculum(ctx.curriculum_dir.as_deref())?;
                crate::app::sync_if_changed(&mut ctx.store, &plan, &source)?;
                crate::notes::scan(&ctx.store.conn, &ctx.notes_dir)?;
                let mut out = vec![load::runs(ctx, true)?];
                out.extend(self.poll_log(app));
                out.extend([load::data(self.ctx)?, Msg::Status("reloaded".into())]);
                out
            }
            Effect::LoadRuns { projects } => {
                let mut out = vec![load::runs(ctx, projects)?];
                out.extend(self.poll_log(app));
                out
            }
            Effect::OpenRun(id) => {
                let r = crate::runs::query::find(conn, &id)?;
                let mut f = LogFollow::open(&r.dir, 1 << 20);
                let lines = f.read();
                self.follow = Some((id.clone(), f));
                vec![Msg::Log {
                    run: id,
                    lines,
                    fresh: true,
                }]
            }
            Effect::LoadSeries => load::series(ctx, app)?.into_iter().collect(),
            Effect::LoadCompare(ids) => load::compare(ctx, app, &ids)?.into_iter().collect(),
            Effect::CancelRun(id) => {
                let r = crate::runs::query::find(conn, &id)?;
                let cancel = move || {
                    let outcome = match crate::runs::cancel_run(
                        &r.dir,
                        &r.backend,
                        Duration::from_secs(10),
                    ) {
                        Ok(c) => c,
                        Err(e) => format!("error: {e:#}"),
                    };
                    Msg::Cancelled { run: r.id, outcome }
                };
                match self.reply.clone() {
                    // The grace period must not freeze the screen: cancel on a thread.
                    Some(reply) => {
                        std::thread::spawn(move || reply(cancel()));
                        vec![]
                    }
                    None => vec![cancel()],
                }
            }
            Effect::DeleteRun(id) => {
                let r = crate::runs::query::find(conn, &id)?;
                crate::runs::query::delete(conn, &r)?;
                vec![Msg::RunDeleted(id)]
            }
            Effect::Launch { project, params }
                if split_on(&params).0.iter().any(|(_, v)| v.contains(',')) =>
            {
                let (kv, on) = split_on(&params);
                let plan = crate::runs::sweep::plan(&ctx.data_dir, &project, &kv, None, 0)?;
                vec![Msg::SweepPlanned {
                    project,
                    params,
                    lines: plan.preview(),
                    slurm: on.is_some(),
                }]
            }
            Effect::LaunchSweep { project, params } => {
                let (kv, on) = split_on(&params);
                let plan = crate::runs::sweep::plan(&ctx.data_dir, &project, &kv, None, 0)?;
                let status = match on {
                    None => {
                        let (id, n) = crate::runs::sweep::start_planned(
                            conn,
                            &ctx.data_dir,
                            &project,
                            plan,
                            2,
                        )?;
                        format!("started sweep {id}: {n} run(s) queued")
                    }
                    Some(profile) => {
                        let profile = ctx
                            .config
                            .slurm
                            .resolve(profile.as_deref(), &Default::default())?;
                        let (id, jobs) = crate::runs::sweep::submit(
                            conn,
                            &ctx.data_dir,
                            &project,
                            plan,
                            2,
                            &profile,
                            true,
                        )?;
                        format!("submitted sweep {id} to Slurm: {jobs}")
                    }
                };
                vec![Msg::Status(status), Msg::RunsChanged]
            }
            Effect::Launch { project, params } => {
                let (kv, on) = split_on(&params);
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
                    conn,
                    &ctx.data_dir,
                    &spec,
                    &[],
                    profile.as_ref(),
                )?;
                let status = match profile {
                    Some(_) => format!("submitted {} to Slurm", meta.id),
                    None => format!("started {}", meta.id),
                };
                vec![Msg::Status(status), Msg::RunsChanged]
            }
            Effect::CardsReview => {
                let (cards, _) =
                    crate::cards::todays_queue(conn, &app.cards.settings, now, ctx.today)?;
                vec![Msg::ReviewQueue { cards, now }]
            }
            Effect::CardsGrade {
                card,
                grade,
                duration_ms,
            } => {
                let after = crate::cards::grade(
                    conn,
                    &app.cards.settings,
                    card,
                    grade,
                    now,
                    Some(duration_ms),
                    crate::cards::Origin::Review,
                )?;
                vec![Msg::Graded {
                    grade,
                    after: Box::new(after),
                    now,
                }]
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
                    Ok(q) => vec![Msg::MockQuestion {
                        filter,
                        question: Box::new(q.clone()),
                        session,
                        asked,
                        now,
                    }],
                    Err(e) => {
                        if let Some(s) = session {
                            crate::cards::mock::finish(conn, s, now)?;
                        }
                        vec![Msg::MockUnavailable(format!("{e:#}"))]
                    }
                }
            }
            Effect::CardsRecordMock { rating } => match &app.cards.view {
                CardsView::Mock(m) => match &m.phase {
                    MockPhase::Rating { answer, secs } => {
                        let session = match m.session {
                            Some(s) => s,
                            None => crate::cards::mock::start(
                                conn,
                                m.filter.as_deref(),
                                m.limit_secs / 60.0,
                                now,
                            )?,
                        };
                        let rec = crate::cards::mock::record(
                            conn,
                            &app.cards.settings,
                            session,
                            &m.question,
                            answer,
                            *secs,
                            m.limit_secs,
                            rating,
                            now,
                        )?;
                        vec![Msg::MockRecorded {
                            session,
                            rating,
                            card: rec.card.map(|c| c.0),
                            now,
                        }]
                    }
                    _ => vec![load::cards(ctx, app)?],
                },
                _ => vec![load::cards(ctx, app)?],
            },
            Effect::CardsFinishMock(session) => {
                crate::cards::mock::finish(conn, session, now)?;
                vec![load::cards(ctx, app)?]
            }
            Effect::CardsReload => vec![load::cards(ctx, app)?],
            Effect::ExportReport(ids) => {
                let w =
                    crate::export::report::write_comparison(conn, &ctx.data_dir, ctx.today, &ids)?;
                vec![Msg::Status(format!(
                    "report written: {} ({} figure(s))",
                    w.markdown.display(),
                    w.figures.len()
                ))]
            }
            Effect::TagRun { run, add, remove } => {
                let r = crate::runs::query::find(conn, &run)?;
                crate::runs::query::set_tags(conn, &r, &add, &remove)?;
                vec![
                    Msg::Status(format!("{run}: tags updated")),
                    Msg::RunsChanged,
                ]
            }
        })
    }
}

fn update_paper(
    ctx: &mut Context,
    key: &str,
    set: impl FnOnce(&mut crate::papers::PaperUpdate),
) -> anyhow::Result<()> {
    let mut u = crate::papers::PaperUpdate::default();
    set(&mut u);
    crate::papers::update(&mut ctx.store.conn, key, &u)?;
    Ok(())
}
