//! Benchmarks of the TUI itself (`labbook bench startup|follow|chart`): time to the
//! first frame on a large database, following a run that floods its output, and
//! drawing many long metric series. Each returns its report as text; synthetic data is
//! clearly marked as such and lives in a scratch directory removed afterwards.

use std::fmt::Write as _;
use std::time::Instant;

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::app::{Context, Options};
use crate::eval::latency::percentile;
use crate::tui::keymap::Keymap;
use crate::tui::model::runs::RunsView;
use crate::tui::runner::{settle_io, Worker};
use crate::tui::state::{App, Data, Msg};

pub fn startup(
    papers: usize,
    notes: usize,
    iters: usize,
    keep: Option<&std::path::Path>,
) -> anyhow::Result<String> {
    let mut out = String::new();
    let dir = match keep {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.to_path_buf()
        }
        None => crate::util::scratch_dir("startup")?,
    };
    let t = Instant::now();
    crate::app::fill_synthetic(&dir, papers, notes)?;
    let _ = writeln!(
        out,
        "populated {papers} papers + {notes} notes in {:.1}s ({})",
        t.elapsed().as_secs_f64(),
        dir.display()
    );
    let mut first_frame = Vec::new();
    let mut filter = Vec::new();
    let mut phases: Vec<(f64, f64)> = Vec::new();
    let mut scans = Vec::new();
    let mut parts: Vec<(f64, f64, f64)> = Vec::new();
    for _ in 0..iters.max(1) {
        let t = Instant::now();
        // The TUI's start path: open without the notes rescan, load, draw; the rescan
        // runs right after the first frame.
        let ctx = Context::open(&Options {
            data_dir: Some(dir.clone()),
            defer_notes_scan: true,
            ..Default::default()
        })?;
        let t_open = t.elapsed().as_secs_f64() * 1e3;
        let data = Data::load(&ctx)?;
        let t_load = t.elapsed().as_secs_f64() * 1e3;
        let mut app = App::new(data, Keymap::default_map());
        let mut term = Terminal::new(TestBackend::new(160, 48))?;
        term.draw(|f| crate::tui::views::draw(f, &app))?;
        first_frame.push(t.elapsed().as_secs_f64() * 1e3);
        phases.push((t_open, t_load - t_open));
        let t = Instant::now();
        std::hint::black_box(crate::papers::list(&ctx.store.conn)?);
        let tp = t.elapsed().as_secs_f64() * 1e3;
        std::hint::black_box(crate::notes::list(&ctx.store.conn)?);
        let tn = t.elapsed().as_secs_f64() * 1e3 - tp;
        std::hint::black_box(crate::plan::progress::load_plan(&ctx.store.conn)?);
        let tl = t.elapsed().as_secs_f64() * 1e3 - tp - tn;
        parts.push((tp, tn, tl));
        let t = Instant::now();
        crate::notes::scan(&ctx.store.conn, &ctx.notes_dir)?;
        scans.push(t.elapsed().as_secs_f64() * 1e3);
        // Filtering 10k papers: type a query, recompute the rows, draw.
        app.handle(crate::tui::action::Action::Tab(2));
        for q in ["speech", "speech lat", "synthetic 99"] {
            app.filters[2] = q.to_string();
            let t = Instant::now();
            let n = app.paper_rows().len();
            term.draw(|f| crate::tui::views::draw(f, &app))?;
            filter.push(t.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(n);
        }
    }
    let _ = writeln!(out, "start-up to first frame (open + sync check + load + draw, 160x48): median {:.1} ms, p95 {:.1} ms over {} runs", percentile(&first_frame, 50.0)?, percentile(&first_frame, 95.0)?, iters);
    let _ = writeln!(out,
        "  of which: open (store, catalog + curriculum checks, notes rescan) median {:.1} ms, load data median {:.1} ms, first draw the rest",
        percentile(&phases.iter().map(|p| p.0).collect::<Vec<_>>(), 50.0)?,
        percentile(&phases.iter().map(|p| p.1).collect::<Vec<_>>(), 50.0)?
    );
    let _ = writeln!(
        out,
        "  load parts (warm, measured again): papers {:.1} ms, notes {:.1} ms, plan {:.1} ms",
        percentile(&parts.iter().map(|p| p.0).collect::<Vec<_>>(), 50.0)?,
        percentile(&parts.iter().map(|p| p.1).collect::<Vec<_>>(), 50.0)?,
        percentile(&parts.iter().map(|p| p.2).collect::<Vec<_>>(), 50.0)?
    );
    let _ = writeln!(
        out,
        "notes rescan after the first frame ({notes} files, unchanged): median {:.1} ms",
        percentile(&scans, 50.0)?
    );
    let _ = writeln!(
        out,
        "filter {} papers + redraw: median {:.2} ms, p95 {:.2} ms over {} queries",
        papers + 60,
        percentile(&filter, 50.0)?,
        percentile(&filter, 95.0)?,
        filter.len()
    );
    if keep.is_none() {
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(out)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// `labbook bench follow`: a run printing `rate` lines/s, followed like the TUI's run
/// view does (poll the log, draw a frame) as fast as frames come.
pub fn follow(exe: &std::path::Path, rate: u64, secs: f64) -> anyhow::Result<String> {
    let mut out = String::new();
    let dir = crate::util::scratch_dir("follow")?;
    let mut ctx = Context::open(&Options {
        data_dir: Some(dir.clone()),
        ..Default::default()
    })?;
    let spec = crate::runs::launch::Spec {
        name: "flood".into(),
        argv: vec![
            exe.display().to_string(),
            "__flood".into(),
            rate.to_string(),
            secs.to_string(),
        ],
        command: format!("labbook __flood {rate} {secs}"),
        cwd: dir.clone(),
        ..Default::default()
    };
    let (run_dir, meta) = crate::runs::launch::create(&crate::runs::runs_dir(&dir), &spec)?;
    crate::runs::ingest::register(&ctx.store.conn, &run_dir, &meta)?;
    let sup = crate::runs::launch::spawn_supervisor(exe, &run_dir)?;
    crate::runs::launch::reap_in_background(sup);
    let mut app = App::new(Data::load(&ctx)?, Keymap::default_map());
    app.handle(Msg::Resize(160, 48));
    crate::tui::refresh_runs_view(&mut app, &ctx)?;
    app.handle(crate::tui::action::Action::Tab(4));
    // Open the run as the user does; the worker follows its log.
    let opened = app.handle(crate::tui::action::Action::Open);
    let mut worker = Worker::new(&mut ctx, None);
    settle_io(&mut app, &mut worker, opened)?;
    anyhow::ensure!(
        app.runs.view == RunsView::Run(meta.id.clone()),
        "the flood run did not open"
    );
    let mut term = Terminal::new(TestBackend::new(160, 48))?;
    let rss0 = rss_kib();
    let mut frames = Vec::new();
    let mut rss_max = rss0;
    let t = Instant::now();
    while !run_dir.join(crate::runs::EXIT).exists() && t.elapsed().as_secs_f64() < secs + 30.0 {
        let f = Instant::now();
        if let Some(m) = worker.poll_log(&app) {
            app.handle(m);
        }
        term.draw(|fr| crate::tui::views::draw(fr, &app))?;
        frames.push(f.elapsed().as_secs_f64() * 1e3);
        rss_max = rss_max.max(rss_kib());
        std::thread::sleep(std::time::Duration::from_millis(16));
    }
    let expected = (rate as f64 * secs) as usize;
    let text = std::fs::read_to_string(run_dir.join(crate::runs::STDOUT))?;
    let in_file = text.lines().count();
    let searchable = text
        .lines()
        .filter(|l| crate::protocol::strip_ansi(l).contains("flood"))
        .count();
    let held = app.runs.log.as_ref().map(|l| l.lines.len()).unwrap_or(0);
    let _ = writeln!(out,
        "follow a run printing {rate} lines/s for {secs} s: {} frames (poll + draw, 160x48) median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        frames.len(),
        percentile(&frames, 50.0)?,
        percentile(&frames, 99.0)?,
        frames.iter().cloned().fold(0.0, f64::max)
    );
    let _ = writeln!(out, "  lines in the log file: {in_file} of {expected}; found by search (ANSI stripped): {searchable}; held in the view: {held} (cap 20000)");
    let _ = writeln!(
        out,
        "  resident memory: {} KiB before, at most {} KiB while following",
        rss0, rss_max
    );
    anyhow::ensure!(in_file == expected, "lines lost: {in_file} of {expected}");
    std::fs::remove_dir_all(&dir).ok();
    Ok(out)
}

/// `labbook bench chart`: 10 runs × N points overlaid in the compare view —
/// preparation (smoothing + per-column downsampling) and frames, beside ratatui's
/// `Chart` given every point (the reference).
pub fn chart(runs: usize, points: usize, frames: usize) -> anyhow::Result<String> {
    let mut out = String::new();
    let dir = crate::util::scratch_dir("chart")?;
    let ctx = Context::open(&Options {
        data_dir: Some(dir.clone()),
        ..Default::default()
    })?;
    let mut app = App::new(Data::load(&ctx)?, Keymap::default_map());
    app.handle(Msg::Resize(160, 48));
    app.handle(crate::tui::action::Action::Tab(4));
    let ids: Vec<String> = (0..runs).map(|r| format!("run-{r}")).collect();
    app.runs.view = RunsView::Compare(ids.clone());
    app.runs.compare = ids
        .iter()
        .enumerate()
        .map(|(r, id)| {
            let pts = (0..points)
                .map(|i| {
                    let x = i as f64;
                    (
                        i as i64,
                        x * 0.01,
                        3.0 * (-x / (points as f64 / 4.0)).exp()
                            + 0.05 * ((x * 0.37 + r as f64).sin())
                            + r as f64 * 0.02,
                    )
                })
                .collect();
            (id.clone(), pts)
        })
        .collect();
    let t = Instant::now();
    app.runs.prepare(160);
    let prep = t.elapsed().as_secs_f64() * 1e3;
    let kept: usize = app
        .runs
        .prepared
        .iter()
        .flat_map(|p| p.lines.iter())
        .map(|l| l.2.len() + l.3.len())
        .sum();
    let mut term = Terminal::new(TestBackend::new(160, 48))?;
    let mut ours = Vec::new();
    let mut reference = Vec::new();
    let all: Vec<Vec<(f64, f64)>> = app
        .runs
        .compare
        .iter()
        .map(|(_, p)| p.iter().map(|&(s, _, v)| (s as f64, v)).collect())
        .collect();
    for k in 0..frames {
        let t = Instant::now();
        term.draw(|f| crate::tui::views::draw(f, &app))?;
        ours.push(t.elapsed().as_secs_f64() * 1e3);
        // The reference: every point handed to ratatui's Chart (a few frames: it is slow).
        if k < 5 {
            let t = Instant::now();
            term.draw(|f| {
                use ratatui::widgets::{Axis, Chart, Dataset, GraphType};
                let ds: Vec<Dataset> = all
                    .iter()
                    .map(|p| {
                        Dataset::default()
                            .marker(ratatui::symbols::Marker::Braille)
                            .graph_type(GraphType::Line)
                            .data(p)
                    })
                    .collect();
                let c = Chart::new(ds)
                    .x_axis(Axis::default().bounds([0.0, points as f64]))
                    .y_axis(Axis::default().bounds([0.0, 3.5]));
                f.render_widget(c, f.area());
            })?;
            reference.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let _ = writeln!(
        out,
        "chart: {runs} runs × {points} points overlaid (160x48 compare view)"
    );
    let _ = writeln!(out, "  preparation when data changes (EMA + downsampling to ~2 points/column): {prep:.1} ms, {kept} points kept");
    let _ = writeln!(
        out,
        "  labbook frame: median {:.2} ms, p99 {:.2} ms over {} frames",
        percentile(&ours, 50.0)?,
        percentile(&ours, 99.0)?,
        ours.len()
    );
    let _ = writeln!(out, "  ratatui Chart with every point (reference): median {:.1} ms over {} frames; ratio {:.0}×", percentile(&reference, 50.0)?, reference.len(), percentile(&reference, 50.0)? / percentile(&ours, 50.0)?);
    std::fs::remove_dir_all(&dir).ok();
    Ok(out)
}
