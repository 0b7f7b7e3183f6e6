//! Benchmarks of the run machinery: `labbook bench ingest` (metric points per second
//! from a run's log into SQLite) and the `__flood` process that `bench follow` and the
//! flood tests follow.

use std::fmt::Write as _;
use std::time::Instant;

use crate::eval::latency::percentile;

/// `labbook bench ingest`: metric points per second from a finished run's log file
/// into SQLite (parse + insert + summaries), one thread.
pub fn ingest(points: usize, per_line: usize, iters: usize) -> anyhow::Result<String> {
    let mut out = String::new();
    use std::io::Write as _;
    let per_line = per_line.max(1);
    let lines = points.div_ceil(per_line);
    let mut results = Vec::new();
    let mut bytes = 0u64;
    for it in 0..iters.max(1) {
        let dir = crate::util::scratch_dir(&format!("ingest-{it}"))?;
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
                if let crate::protocol::Line::Record(r) = crate::protocol::parse_line(l) {
                    n += r.points.len();
                }
            }
            let _ = writeln!(
                out,
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
    let _ = writeln!(out,
        "ingest {} points ({} per line, {:.1} MB of log): median {:.0} points/s, min {:.0}, max {:.0} over {} runs",
        lines * per_line,
        per_line,
        bytes as f64 / 1e6,
        percentile(&results, 50.0)?,
        results.iter().cloned().fold(f64::INFINITY, f64::min),
        results.iter().cloned().fold(0.0, f64::max),
        results.len()
    );
    Ok(out)
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
