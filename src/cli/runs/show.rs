//! `labbook run show` and `labbook run compare`: one run in full, runs side by side.

use serde_json::json;

use super::{now, read_json_opt, status_text};
use crate::app::Context;
use crate::cli::print_json;
use crate::runs::{self, ingest, query};
use crate::util::fmt;

/// One run: status, command, metadata, metric summaries.
pub fn show(ctx: &mut Context, id: &str, json: bool) -> anyhow::Result<()> {
    ingest::catch_up(&mut ctx.store.conn, &ctx.data_dir, ctx.config.runs.policy())?;
    let r = query::find(&ctx.store.conn, id)?;
    let sums = query::summaries(&ctx.store.conn, r.rowid)?;
    let info = query::info(&ctx.store.conn, r.rowid)?;
    let meta: Option<runs::RunMeta> = runs::read_json(&r.dir.join(runs::META))?;
    if json {
        return print_json(&json!({"run": r, "metrics": sums, "info": info, "meta": meta}));
    }
    println!(
        "{}  {}{}",
        r.id,
        status_text(&r),
        r.reason
            .as_ref()
            .map(|x| format!(" — {x}"))
            .unwrap_or_default()
    );
    println!("  command  {}", r.command);
    println!("  dir      {}", r.dir.display());
    if r.backend == "slurm" {
        let job = read_json_opt::<runs::slurm::JobRecord>(&r.dir.join(runs::slurm::JOB));
        let started =
            read_json_opt::<runs::slurm::StartedRecord>(&r.dir.join(runs::slurm::STARTED));
        let mut parts = vec![match &job {
            Some(j) => format!("job {}", j.job_id),
            None => "not submitted".into(),
        }];
        if let Some(st) = started {
            parts.push(format!("node {}", st.node));
        }
        if let Some(p) = job.as_ref().map(|j| &j.profile) {
            for (k, v) in [
                ("partition", p.partition.clone()),
                ("gpus", p.gpus.map(|g| g.to_string())),
                ("time", p.time.clone()),
                ("mem", p.mem.clone()),
                ("account", p.account.clone()),
            ] {
                if let Some(v) = v {
                    parts.push(format!("{k} {v}"));
                }
            }
        }
        println!("  slurm    {}", parts.join(" · "));
    }
    println!(
        "  duration {}  lines {}",
        fmt::duration(r.duration(now())),
        r.lines
    );
    if let Some(m) = &meta {
        println!(
            "  host     {} · {}{}",
            m.host,
            m.cpu,
            m.gpu
                .as_ref()
                .map(|g| format!(" · {g}"))
                .unwrap_or_default()
        );
        if let Some(g) = &m.git {
            println!(
                "  git      {}{}",
                g.commit,
                if g.dirty {
                    " (dirty: git.diff saved)"
                } else {
                    ""
                }
            );
        }
    }
    if !r.params.is_empty() {
        let p: Vec<String> = r
            .params
            .iter()
            .map(|(k, v)| format!("{k}={}", runs::plain(v)))
            .collect();
        println!("  params   {}", p.join(" "));
    }
    if !r.tags.is_empty() {
        println!("  tags     {}", r.tags.join(", "));
    }
    for (k, v) in &info {
        println!("  info     {k} = {v}");
    }
    if !sums.is_empty() {
        println!(
            "\n  {:<20} {:>8} {:>12} {:>12} {:>12}",
            "metric", "points", "last", "min", "max"
        );
        for s in &sums {
            println!(
                "  {:<20} {:>8} {:>12} {:>12} {:>12}",
                s.key,
                s.count,
                fmt::value(s.last),
                s.min.map(|m| fmt::value(Some(m))).unwrap_or("-".into()),
                s.max.map(|m| fmt::value(Some(m))).unwrap_or("-".into())
            );
        }
    }
    Ok(())
}

/// Runs side by side: the parameters that differ and the metrics' last values.
pub fn compare(
    ctx: &mut Context,
    ids: &[String],
    metrics: &[String],
    json: bool,
) -> anyhow::Result<()> {
    ingest::catch_up(&mut ctx.store.conn, &ctx.data_dir, ctx.config.runs.policy())?;
    let list: Vec<query::RunRow> = ids
        .iter()
        .map(|i| query::find(&ctx.store.conn, i))
        .collect::<anyhow::Result<_>>()?;
    let cmp = query::Comparison::load(&ctx.store.conn, list)?;
    let (list, diff, sums) = (&cmp.runs, &cmp.differing, &cmp.summaries);
    let keys: Vec<String> = if metrics.is_empty() {
        cmp.keys.clone()
    } else {
        metrics.to_vec()
    };
    if json {
        let rows: Vec<_> = list
            .iter()
            .zip(sums)
            .map(|(r, s)| {
                json!({
                    "id": r.id, "status": r.status, "params": diff.iter().map(|k| (k.clone(), r.params.get(k).cloned())).collect::<std::collections::BTreeMap<_,_>>(),
                    "metrics": s.iter().filter(|m| keys.contains(&m.key)).collect::<Vec<_>>(),
                })
            })
            .collect();
        return print_json(&json!({"differing_params": diff, "runs": rows}));
    }
    print!("{:<40}", "run");
    for k in diff {
        print!(" {k:>12}");
    }
    for k in &keys {
        print!(" {:>14}", format!("{k}(last)"));
    }
    println!();
    for (r, s) in list.iter().zip(sums) {
        print!("{:<40}", r.id);
        for k in diff {
            print!(
                " {:>12}",
                r.params.get(k).map(runs::plain).unwrap_or("-".into())
            );
        }
        for k in &keys {
            let v = s
                .iter()
                .find(|m| &m.key == k)
                .map(|m| fmt::value(m.last))
                .unwrap_or("-".into());
            print!(" {v:>14}");
        }
        println!();
    }
    Ok(())
}
