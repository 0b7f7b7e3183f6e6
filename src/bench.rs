//! `labbook bench startup`: time to the first TUI frame and paper filtering on a
//! database with the full plan plus N synthetic papers and notes (clearly marked
//! synthetic, in a temporary directory that is removed afterwards).

use std::time::Instant;

use anyhow::Context as _;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use rusqlite::params;

use crate::app::{Context, Options};
use crate::tui::keymap::Keymap;
use crate::tui::state::{App, Data};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn p95(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 * 0.95).ceil() as usize)
        .saturating_sub(1)
        .min(v.len() - 1)]
}

/// Fill a data directory with `papers` papers and `notes` notes.
pub fn populate(dir: &std::path::Path, papers: usize, notes: usize) -> anyhow::Result<()> {
    let ctx = Context::open(&Options {
        data_dir: Some(dir.to_path_buf()),
        ..Default::default()
    })?;
    let notes_dir = ctx.notes_dir.clone();
    std::fs::create_dir_all(&notes_dir)?;
    let conn = &ctx.store.conn;
    let tx = conn.unchecked_transaction()?;
    let now = crate::store::now_ts();
    let words = [
        "attention",
        "speech",
        "latency",
        "turn",
        "contrastive",
        "agent",
        "memory",
        "prosody",
        "vocoder",
        "alignment",
    ];
    for i in 0..papers {
        let w = words[i % words.len()];
        let w2 = words[(i / 7) % words.len()];
        tx.execute(
            "INSERT INTO papers(key, entry_type, title, authors, year, arxiv, fields, source, added_at, updated_at)
             VALUES (?1, 'misc', ?2, 'Synthetic Author', '2024', ?3, '{}', 'bench', ?4, ?4)",
            params![format!("bench{i}"), format!("Synthetic paper {i} on {w} and {w2}"), format!("9{:03}.{:05}", i / 100000, i % 100000), now],
        )?;
    }
    for i in 0..notes {
        let rel = format!("bench-{i}.md");
        let body = format!(
            "# Bench note {i}\n\nSynthetic note about {} for the start-up benchmark.\n",
            words[i % words.len()]
        );
        std::fs::write(notes_dir.join(&rel), &body)?;
        tx.execute(
            "INSERT INTO notes(path, title, body, created_at, updated_at, mtime_ns, size) VALUES (?1, ?2, ?3, ?4, ?4, 0, 0)",
            params![rel, format!("Bench note {i}"), body, now],
        )?;
    }
    tx.commit()?;
    // Index the files' real stamps so start-up does not reindex them.
    crate::notes::scan(conn, &notes_dir)?;
    Ok(())
}

pub fn startup(
    papers: usize,
    notes: usize,
    iters: usize,
    keep: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let dir = match keep {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.to_path_buf()
        }
        None => tempfile_dir()?,
    };
    let t = Instant::now();
    populate(&dir, papers, notes)?;
    eprintln!(
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
        term.draw(|f| crate::tui::ui::draw(f, &app))?;
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
            term.draw(|f| crate::tui::ui::draw(f, &app))?;
            filter.push(t.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(n);
        }
    }
    println!("start-up to first frame (open + sync check + load + draw, 160x48): median {:.1} ms, p95 {:.1} ms over {} runs", median(first_frame.clone()), p95(first_frame), iters);
    println!(
        "  of which: open (store, catalog + curriculum checks, notes rescan) median {:.1} ms, load data median {:.1} ms, first draw the rest",
        median(phases.iter().map(|p| p.0).collect()),
        median(phases.iter().map(|p| p.1).collect())
    );
    println!(
        "  load parts (warm, measured again): papers {:.1} ms, notes {:.1} ms, plan {:.1} ms",
        median(parts.iter().map(|p| p.0).collect()),
        median(parts.iter().map(|p| p.1).collect()),
        median(parts.iter().map(|p| p.2).collect())
    );
    println!(
        "notes rescan after the first frame ({notes} files, unchanged): median {:.1} ms",
        median(scans)
    );
    println!(
        "filter {} papers + redraw: median {:.2} ms, p95 {:.2} ms over {} queries",
        papers + 60,
        median(filter.clone()),
        p95(filter.clone()),
        filter.len()
    );
    if keep.is_none() {
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("labbook-bench-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).context("clearing an old bench directory")?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// `labbook bench ingest`: metric points per second from a finished run's log file
/// into SQLite (parse + insert + summaries), one thread.
pub fn ingest(points: usize, per_line: usize, iters: usize) -> anyhow::Result<()> {
    use std::io::Write;
    let per_line = per_line.max(1);
    let lines = points.div_ceil(per_line);
    let mut results = Vec::new();
    let mut bytes = 0u64;
    for it in 0..iters.max(1) {
        let dir = tempfile_dir()?.join(format!("ingest-{it}"));
        let root = crate::runs::runs_dir(&dir);
        let run_dir = root.join("20260101-000000-bench-0000");
        std::fs::create_dir_all(&run_dir)?;
        {
            let f = std::fs::File::create(run_dir.join(crate::runs::STDOUT))?;
            let mut w = std::io::BufWriter::new(f);
            for i in 0..lines {
                write!(w, "{{\"step\": {i}")?;
                for k in 0..per_line {
                    write!(
                        w,
                        ", \"metric_{k}\": {}",
                        (i as f64 * 0.001 + k as f64).sin()
                    )?;
                }
                writeln!(w, "}}")?;
            }
        }
        bytes = std::fs::metadata(run_dir.join(crate::runs::STDOUT))?.len();
        let meta = crate::runs::RunMeta {
            id: "20260101-000000-bench-0000".into(),
            name: "bench".into(),
            argv: vec!["true".into()],
            command: "true".into(),
            backend: "local".into(),
            ..Default::default()
        };
        crate::runs::write_json(&run_dir.join(crate::runs::META), &meta)?;
        crate::runs::write_json(
            &run_dir.join(crate::runs::EXIT),
            &crate::runs::Exit {
                code: Some(0),
                at: 1.0,
                ..Default::default()
            },
        )?;
        if it == 0 {
            let text = std::fs::read_to_string(run_dir.join(crate::runs::STDOUT))?;
            let t = Instant::now();
            let mut n = 0usize;
            for l in text.lines() {
                if let crate::runs::protocol::Line::Record(r) = crate::runs::protocol::parse_line(l)
                {
                    n += r.points.len();
                }
            }
            println!(
                "  parse only: {:.0} points/s",
                n as f64 / t.elapsed().as_secs_f64()
            );
        }
        let mut store = crate::store::Store::open(&dir.join("labbook.db"))?;
        let mut ing = crate::runs::ingest::Ingester::new(&root);
        let t = Instant::now();
        let mut n = 0;
        loop {
            let r = ing.cycle(&mut store.conn)?;
            n += r.points;
            if !r.backlog {
                break;
            }
        }
        let secs = t.elapsed().as_secs_f64();
        let stored: i64 = store
            .conn
            .query_row("SELECT count(*) FROM metrics", [], |r| r.get(0))?;
        anyhow::ensure!(
            stored as u64 == n && n as usize == lines * per_line,
            "stored {stored} of {} points",
            lines * per_line
        );
        results.push(n as f64 / secs);
        drop(store);
        std::fs::remove_dir_all(&dir).ok();
    }
    println!(
        "ingest {} points ({} per line, {:.1} MB of log): median {:.0} points/s, min {:.0}, max {:.0} over {} runs",
        lines * per_line,
        per_line,
        bytes as f64 / 1e6,
        median(results.clone()),
        results.iter().cloned().fold(f64::INFINITY, f64::min),
        results.iter().cloned().fold(0.0, f64::max),
        results.len()
    );
    Ok(())
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 * p).ceil() as usize)
        .saturating_sub(1)
        .min(v.len() - 1)]
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

/// `labbook __flood`: print `rate` numbered lines per second for `secs` seconds.
pub fn flood(rate: u64, secs: f64) -> anyhow::Result<()> {
    use std::io::Write;
    let out = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, out.lock());
    let start = Instant::now();
    let total = (rate as f64 * secs) as u64;
    let mut n = 0u64;
    while n < total {
        let due = ((start.elapsed().as_secs_f64() * rate as f64) as u64).min(total);
        while n < due {
            writeln!(w, "line {n} \x1b[33mflood\x1b[0m payload payload payload")?;
            n += 1;
        }
        w.flush()?;
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    w.flush()?;
    Ok(())
}

/// `labbook bench follow`: a run printing `rate` lines/s, followed like the TUI's run
/// view does (poll the log, draw a frame) as fast as frames come.
pub fn follow(exe: &std::path::Path, rate: u64, secs: f64) -> anyhow::Result<()> {
    let dir = tempfile_dir()?.join("follow");
    std::fs::create_dir_all(&dir)?;
    let ctx = Context::open(&Options {
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
    app.size = (160, 48);
    crate::tui::refresh_runs_view(&mut app, &ctx)?;
    app.handle(crate::tui::action::Action::Tab(4));
    app.runs.view = crate::tui::runs::RunsView::Run(meta.id.clone());
    app.runs.log = Some(crate::tui::logbuf::LogTail::open(&run_dir, 20_000, 1 << 20));
    let mut term = Terminal::new(TestBackend::new(160, 48))?;
    let rss0 = rss_kib();
    let mut frames = Vec::new();
    let mut rss_max = rss0;
    let t = Instant::now();
    while !run_dir.join(crate::runs::EXIT).exists() && t.elapsed().as_secs_f64() < secs + 30.0 {
        let f = Instant::now();
        if let Some(l) = app.runs.log.as_mut() {
            l.poll();
        }
        term.draw(|fr| crate::tui::ui::draw(fr, &app))?;
        frames.push(f.elapsed().as_secs_f64() * 1e3);
        rss_max = rss_max.max(rss_kib());
        std::thread::sleep(std::time::Duration::from_millis(16));
    }
    let expected = (rate as f64 * secs) as usize;
    let text = std::fs::read_to_string(run_dir.join(crate::runs::STDOUT))?;
    let in_file = text.lines().count();
    let searchable = text
        .lines()
        .filter(|l| crate::runs::protocol::strip_ansi(l).contains("flood"))
        .count();
    let held = app.runs.log.as_ref().map(|l| l.lines.len()).unwrap_or(0);
    println!(
        "follow a run printing {rate} lines/s for {secs} s: {} frames (poll + draw, 160x48) median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        frames.len(),
        median(frames.clone()),
        percentile(frames.clone(), 0.99),
        frames.iter().cloned().fold(0.0, f64::max)
    );
    println!("  lines in the log file: {in_file} of {expected}; found by search (ANSI stripped): {searchable}; held in the view: {held} (cap 20000)");
    println!(
        "  resident memory: {} KiB before, at most {} KiB while following",
        rss0, rss_max
    );
    anyhow::ensure!(in_file == expected, "lines lost: {in_file} of {expected}");
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// `labbook bench chart`: 10 runs × N points overlaid in the compare view —
/// preparation (smoothing + per-column downsampling) and frames, beside ratatui's
/// `Chart` given every point (the reference).
pub fn chart(runs: usize, points: usize, frames: usize) -> anyhow::Result<()> {
    use crate::tui::runs::RunsView;
    let dir = tempfile_dir()?.join("chart");
    std::fs::create_dir_all(&dir)?;
    let ctx = Context::open(&Options {
        data_dir: Some(dir.clone()),
        ..Default::default()
    })?;
    let mut app = App::new(Data::load(&ctx)?, Keymap::default_map());
    app.size = (160, 48);
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
        term.draw(|f| crate::tui::ui::draw(f, &app))?;
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
    println!("chart: {runs} runs × {points} points overlaid (160x48 compare view)");
    println!("  preparation when data changes (EMA + downsampling to ~2 points/column): {prep:.1} ms, {kept} points kept");
    println!(
        "  labbook frame: median {:.2} ms, p99 {:.2} ms over {} frames",
        median(ours.clone()),
        percentile(ours.clone(), 0.99),
        ours.len()
    );
    println!("  ratatui Chart with every point (reference): median {:.1} ms over {} frames; ratio {:.0}×", median(reference.clone()), reference.len(), median(reference) / median(ours));
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// `labbook bench lm`: the configuration of shared/bench/train_torch.py (4 layers,
/// 4 heads, width 128, block 128, batch 16, no biases, exact GELU, untied head, AdamW
/// 1e-3 (0.9, 0.99) wd 0.1, the same LCG batches), `warmup` + `steps` timed steps,
/// one JSON line with the reference's fields.
pub fn lm(
    corpus: Option<&std::path::Path>,
    warmup: usize,
    steps: usize,
    threads: usize,
    device: &str,
) -> anyhow::Result<()> {
    use crate::exp::lm::{self, model};
    if threads > 0 {
        // Before any worker pool exists (this runs first in the process).
        std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
    }
    let corpus = match corpus {
        Some(p) => lm::Corpus::load(&p.display().to_string())?,
        None => lm::Corpus::load(lm::DEFAULT_CORPUS)?,
    };
    let dev = lm::device(device)?;
    let cfg = model::Config {
        vocab: corpus.vocab_size(),
        block: 128,
        n_layer: 4,
        n_head: 4,
        n_embd: 128,
        position: model::Position::Learned,
        dropout: 0.0,
    };
    let (gpt, params) = model::Gpt::new(cfg, 1337, &dev)?;
    let vars = params.all();
    let nparams: usize = vars.iter().map(|v| v.elem_count()).sum();
    let mut opt = lm::optim::AdamW::new(vars, 1e-3, 0.9, 0.99, 1e-8, 0.1)?;
    let mut rng = lm::Lcg(42);
    let (mut losses, mut times, mut tf, mut tb, mut to) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // The loop runs on a worker of rayon's pool (see exp::lm::on_pool).
    lm::on_pool(|| -> anyhow::Result<()> {
        for step in 0..warmup + steps {
            let t0 = Instant::now();
            let (x, y) = lm::batch(&corpus.data, 16, 128, &mut rng, &dev)?;
            let loss = gpt.loss(&x, &y)?;
            let loss_v = loss.to_scalar::<f32>()?; // forces the forward pass
            let t1 = Instant::now();
            let grads = loss.backward()?;
            dev.synchronize()?; // kernels are asynchronous on CUDA
            let t2 = Instant::now();
            opt.step(&grads)?;
            dev.synchronize()?;
            let t3 = Instant::now();
            losses.push(loss_v as f64);
            if step >= warmup {
                times.push((t3 - t0).as_secs_f64());
                tf.push((t1 - t0).as_secs_f64());
                tb.push((t2 - t1).as_secs_f64());
                to.push((t3 - t2).as_secs_f64());
            }
        }
        Ok(())
    })?;
    let ms = 1000.0 * times.iter().sum::<f64>() / times.len().max(1) as f64;
    let med = |v: &Vec<f64>| 1000.0 * median(v.clone());
    let at = |i: usize| (losses[i.min(losses.len() - 1)] * 1e4).round() / 1e4;
    let threads_used = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        });
    let res = serde_json::json!({
        "impl": "labbook-candle", "candle": "0.11", "device": device, "threads": threads_used, "vocab": corpus.vocab_size(), "params": nparams,
        "ms_per_step": (ms * 100.0).round() / 100.0, "ms_median": (med(&times) * 100.0).round() / 100.0,
        "tok_per_s": (16.0 * 128.0 / (ms / 1000.0)).round(),
        "fwd_ms": (med(&tf) * 100.0).round() / 100.0, "bwd_ms": (med(&tb) * 100.0).round() / 100.0, "opt_ms": (med(&to) * 100.0).round() / 100.0,
        "loss0": at(0), "loss10": at(10), "loss50": at(50), "loss_last": at(losses.len() - 1),
    });
    println!("{res}");
    Ok(())
}

/// `labbook bench mel`: Whisper's log-mel (one thread) on 30 s of synthetic audio or a
/// WAV file; one JSON line with the median, min and max of `runs` calls after a warm-up.
/// `tests/fixtures/audio/bench_compare.py` runs it beside whisper and librosa.
pub fn mel(
    wav: Option<&std::path::Path>,
    runs: usize,
    n_mels: usize,
    out: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use crate::audio;
    let samples = match wav {
        Some(p) => {
            let a = audio::read_wav(p)?;
            audio::resample::resample(&a.to_mono()?, a.sample_rate, 16_000)?
        }
        // An FM tone with a little noise, 30 s at 16 kHz.
        None => {
            let mut rng = crate::exp::lm::model::Rng::new(7);
            (0..480_000)
                .map(|i| {
                    let t = i as f64 / 16_000.0;
                    let f = 220.0 + 80.0 * (2.0 * std::f64::consts::PI * 0.5 * t).sin();
                    ((2.0 * std::f64::consts::PI * f * t).sin() * 0.3 + rng.normal() * 0.01) as f32
                })
                .collect()
        }
    };
    let ex = audio::MelExtractor::new(audio::MelConfig {
        n_mels,
        ..Default::default()
    })?;
    let warm = ex.compute(&samples)?;
    if let Some(o) = out {
        audio::write_npy_f32(o, &warm.data, &[warm.n_mels, warm.n_frames])?;
    }
    let mut times = Vec::with_capacity(runs.max(1));
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let m = ex.compute(&samples)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(&m);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{}",
        serde_json::json!({"impl": "labbook", "samples": samples.len(), "n_mels": n_mels,
            "frames": warm.n_frames, "runs": times.len(), "median_ms": times[times.len() / 2],
            "min_ms": times[0], "max_ms": times[times.len() - 1]})
    );
    Ok(())
}
