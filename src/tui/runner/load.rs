//! Reading what the state shows: the store's data, the runs table, chart points, the
//! Cards tab, a note's body. Each loader returns a message for `App::handle`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::app::Context;
use crate::tui::model::runs::{pick_metric, RunsData};
use crate::tui::state::{App, CardsLoaded, Data, DataParts, Effect, Msg, PointsQuery};

impl Data {
    pub fn load(ctx: &Context) -> anyhow::Result<Data> {
        let conn = &ctx.store.conn;
        Ok(Data::new(DataParts {
            plan: crate::plan::progress::load_plan(conn)?,
            schedule: ctx.schedule()?,
            done: crate::plan::progress::done_map(conn)?,
            papers: crate::papers::list(conn)?,
            notes: crate::notes::list(conn)?,
            deliverables: crate::deliverables::list(conn)?,
            today: ctx.today,
            curriculum_source: ctx.curriculum_source.clone(),
        }))
    }
}

pub fn data(ctx: &Context) -> anyhow::Result<Msg> {
    Ok(Msg::Data(Box::new(Data::load(ctx)?)))
}

/// The runs table from the index: runs, metric summaries, sparklines, and the project
/// manifests when `projects` (parsing every manifest on each refresh is wasted work).
pub fn runs(ctx: &Context, projects: bool) -> anyhow::Result<Msg> {
    let conn = &ctx.store.conn;
    let runs = crate::runs::query::list(conn)?;
    let summaries = crate::runs::query::all_summaries(conn)?;
    let mut sparks = HashMap::new();
    for r in runs.iter().take(200) {
        if let Some(first) = summaries.get(&r.rowid).and_then(|s| pick_metric(s)) {
            sparks.insert(
                r.rowid,
                crate::runs::query::last_values(conn, r.rowid, &first, 40)?,
            );
        }
    }
    let projects_list = if projects {
        crate::runs::project::load_all(&ctx.data_dir).unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(Msg::Runs {
        data: Box::new(RunsData {
            runs,
            summaries,
            sparks,
            projects: projects_list,
            now: crate::runs::proc::now(),
        }),
        projects,
    })
}

/// The points each query asks for: (label, points held, new points).
fn points(
    ctx: &Context,
    queries: Vec<PointsQuery>,
) -> anyhow::Result<Vec<(String, usize, Vec<crate::runs::query::Point>)>> {
    queries
        .into_iter()
        .map(|q| {
            let more =
                crate::runs::query::series_from(&ctx.store.conn, q.rowid, &q.key, q.from as i64)?;
            Ok((q.label, q.from, more))
        })
        .collect()
}

/// What the open run's charts lack.
pub fn series(ctx: &Context, app: &App) -> anyhow::Result<Option<Msg>> {
    let Some((run, q)) = app.series_query() else {
        return Ok(None);
    };
    Ok(Some(Msg::Series {
        run,
        points: points(ctx, q)?,
    }))
}

/// What the comparison of `ids` lacks.
pub fn compare(ctx: &Context, app: &App, ids: &[String]) -> anyhow::Result<Option<Msg>> {
    let Some((metric, q)) = app.compare_query(ids) else {
        return Ok(None);
    };
    Ok(Some(Msg::ComparePoints {
        ids: ids.to_vec(),
        metric,
        points: points(ctx, q)?,
    }))
}

/// The Cards tab's counts; the question bank too, the first time.
pub fn cards(ctx: &Context, app: &App) -> anyhow::Result<Msg> {
    let settings = ctx.config.cards.clone();
    let mut bank = app.cards.data.bank.clone();
    let mut opened = None;
    if bank.is_none() && app.cards.data.error.is_none() {
        match crate::cards::open(&ctx.store, ctx.questions_dir.as_deref(), ctx.today) {
            Ok(b) => {
                let b = Arc::new(b);
                bank = Some(b.clone());
                opened = Some(Ok(b));
            }
            Err(e) => opened = Some(Err(format!("{e:#}"))),
        }
    }
    let conn = &ctx.store.conn;
    let now = crate::cards::now_for(ctx.today);
    let stats = crate::cards::stats(conn, &settings, now, ctx.today)?;
    let scores = match &bank {
        Some(b) => crate::cards::mock::topic_scores(conn, b)?,
        None => app.cards.data.scores.clone(),
    };
    Ok(Msg::Cards(Box::new(CardsLoaded {
        settings,
        bank: opened,
        stats,
        scores,
    })))
}

/// The body of a note for the Notes preview.
pub fn preview(ctx: &Context, id: i64) -> Msg {
    match crate::notes::get(&ctx.store.conn, id) {
        Ok(n) => Msg::Preview(Box::new(n)),
        Err(e) => Msg::PreviewFailed {
            id,
            error: format!("{e:#}"),
        },
    }
}

/// Reload the runs table and what the open run or comparison shows (no log: that is
/// followed by the event loop's worker).
pub fn refresh_runs_view(app: &mut App, ctx: &Context) -> anyhow::Result<()> {
    let msg = runs(ctx, app.runs_data.projects.is_empty())?;
    let mut queue: VecDeque<Effect> = app.handle(msg).into();
    while let Some(e) = queue.pop_front() {
        let msg = match e {
            Effect::LoadSeries => series(ctx, app)?,
            Effect::LoadCompare(ids) => compare(ctx, app, &ids)?,
            _ => None,
        };
        if let Some(m) = msg {
            queue.extend(app.handle(m));
        }
    }
    Ok(())
}

/// Reload the Cards tab's counts (and, the first time, the question bank).
pub fn load_cards(app: &mut App, ctx: &Context) -> anyhow::Result<()> {
    let msg = cards(ctx, app)?;
    app.handle(msg);
    Ok(())
}
