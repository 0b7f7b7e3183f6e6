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
