//! Subcommand implementations. Human output is plain text; `--json` is stable JSON.

use std::io::Read;

use anyhow::{bail, Context as _};
use serde_json::json;

use super::{print_json, Cli, Command, DeliverableCmd, NoteCmd, PaperCmd, PlanArgs, ScheduleArgs};
use crate::app::{Context, Options};
use crate::papers::{self, Filter, PaperUpdate, Status};
use crate::plan::{progress, Schedule};
use crate::{deliverables, notes, overview};

pub fn options(cli: &Cli) -> Options {
    Options {
        data_dir: cli.data_dir.clone(),
        curriculum: cli.curriculum.clone(),
        questions: cli.questions.clone(),
        config: cli.config.clone(),
        today: cli.today,
        ..Default::default()
    }
}

/// `labbook exp [NAME]`: run one, or say what there is.
fn exp(name: Option<&str>, params: &[String], help: bool, markdown: bool) -> anyhow::Result<()> {
    match name {
        None if markdown => print!("{}", crate::runs::project::experiments_table()?),
        None => {
            if help {
                let mut cmd = <Cli as clap::CommandFactory>::command();
                if let Some(sub) = cmd.find_subcommand_mut("exp") {
                    println!("{}", sub.render_help());
                }
            }
            print!("{}", crate::exp::list());
        }
        Some(name) if help => {
            print!("{}", crate::exp::help(name)?);
            let projects: Vec<String> = crate::runs::project::built_in()?
                .into_iter()
                .filter(|p| crate::exp::find(name).map(|e| e.name()) == p.manifest.exp.as_deref())
                .map(|p| p.manifest.name)
                .collect();
            if !projects.is_empty() {
                println!(
                    "\nProjects that run it: {} (`labbook run start PROJECT` tracks a run; the \
                     project's manifest may set other defaults)",
                    projects.join(", ")
                );
            }
        }
        Some(name) => crate::exp::run(name, params)?,
    }
    Ok(())
}

/// Run a subcommand (the TUI is started by `main` when there is none).
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let Some(cmd) = cli.command.as_ref() else {
        bail!("no subcommand");
    };
    // Commands that need no database.
    match cmd {
        Command::Supervise { dir } => return crate::runs::launch::supervise(dir),
        Command::SweepRunner { dir } => {
            return crate::runs::sweep::run_runner(&crate::runs::start::exe()?, dir)
        }
        Command::Exp {
            name,
            params,
            help,
            markdown,
        } => return exp(name.as_deref(), params, *help, *markdown),
        Command::Flood { rate, secs } => return crate::runs::bench::flood(*rate, *secs),
        Command::Audio(a) => return super::audio::audio_cmd(a, &cli),
        Command::Eval(e) => return super::audio::eval_cmd(e),
        Command::Data(d) => return super::audio::data_cmd(d, cli.data_dir.as_deref()),
        Command::Bench(b) => return super::bench::run(b),
        _ => {}
    }
    let mut ctx = Context::open(&options(&cli))?;
    match cmd {
        Command::Status(f) => status(&ctx, f.json),
        Command::Plan(a) => plan(&ctx, a),
        Command::Schedule(a) => schedule(&ctx, a),
        Command::Done { ids } => set_done(&ctx, ids, true),
        Command::Undone { ids } => set_done(&ctx, ids, false),
        Command::Sync(f) => sync(&mut ctx, f.json, &cli),
        Command::Paper(p) => paper(&mut ctx, p),
        Command::Note(n) => note(&ctx, n),
        Command::Deliverable(d) => deliverable(&ctx, d),
        Command::Run(r) => super::runs::run(&mut ctx, r),
        Command::Demo(d) => super::demo::demo_cmd(&mut ctx, d),
        Command::Project(p) => super::runs::project_cmd(&ctx, p),
        Command::Cards(c) => super::cards::cards(&ctx, c),
        Command::Interview(i) => super::cards::interview(&ctx, i),
        Command::Export(e) => super::export::run(&mut ctx, e),
        Command::Bench(_)
        | Command::Supervise { .. }
        | Command::SweepRunner { .. }
        | Command::Exp { .. }
        | Command::Flood { .. }
        | Command::Audio(_)
        | Command::Eval(_)
        | Command::Data(_) => Ok(()),
    }
}

fn bar(ratio: f64, width: usize) -> String {
    let n = ((ratio * width as f64).round() as usize).min(width);
    format!("{}{}", "█".repeat(n), "░".repeat(width - n))
}

fn status(ctx: &Context, json: bool) -> anyhow::Result<()> {
    let o = overview::load(&ctx.store.conn, ctx.today)?;
    if json {
        return print_json(&o);
    }
    let mut s = String::new();
    s.push_str(&format!(
        "labbook — {} · plan {} → {} ({} weeks) · today {}\n",
        overview::position_text(&o),
        o.start,
        o.end,
        o.weeks,
        o.today
    ));
    let ratio = crate::util::ratio(o.done, o.total);
    s.push_str(&format!(
        "overall  {} {}/{} items ({:.0}%)\n\n",
        bar(ratio, 30),
        o.done,
        o.total,
        ratio * 100.0
    ));
    for st in &o.steps {
        s.push_str(&format!(
            "{} {:<3} {:<44} {} → {}  {} {}/{}\n",
            if st.active { "▶" } else { " " },
            st.progress.step,
            crate::util::truncate(&st.progress.title, 44),
            st.start.format("%b %d"),
            st.end.format("%b %d"),
            bar(st.progress.ratio(), 12),
            st.progress.done,
            st.progress.total
        ));
    }
    s.push_str(&format!(
        "\nDue in week {} ({}):\n",
        o.current_week,
        o.due_this_week.len()
    ));
    for d in &o.due_this_week {
        s.push_str(&format!(
            "  [{}] {:<28} {}  {}\n",
            if d.done { "x" } else { " " },
            d.id,
            d.due,
            d.title
        ));
    }
    s.push_str(&format!("\nOverdue ({}):\n", o.overdue.len()));
    for d in o.overdue.iter().take(20) {
        s.push_str(&format!("  {:<30} due {}  {}\n", d.id, d.due, d.title));
    }
    if o.overdue.len() > 20 {
        s.push_str(&format!(
            "  … and {} more (labbook status --json)\n",
            o.overdue.len() - 20
        ));
    }
    if !o.to_read.is_empty() {
        s.push_str(&format!("\nTo read for this week ({}):\n", o.to_read.len()));
        for (k, t, st) in &o.to_read {
            s.push_str(&format!(
                "  {:<28} {:<9} {}\n",
                k,
                st,
                crate::util::truncate(t, 70)
            ));
        }
    }
    s.push_str("\nDeliverables:\n");
    for (d, due) in &o.deliverables {
        s.push_str(&format!(
            "  {:<22} {:<11} due {}  {}\n",
            d.id,
            d.status.as_str(),
            due,
            d.title
        ));
    }
    let counts: Vec<String> = o
        .papers_by_status
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    s.push_str(&format!(
        "\nPapers: {} · Notes: {}\n",
        counts.join(", "),
        o.notes
    ));
    print!("{s}");
    Ok(())
}

fn plan(ctx: &Context, a: &PlanArgs) -> anyhow::Result<()> {
    let plan = ctx.plan()?;
    let sched = ctx.schedule()?;
    let done = progress::done_map(&ctx.store.conn)?;
    if let Some(s) = &a.step {
        if !plan.steps.iter().any(|x| &x.id == s) {
            bail!(
                "no step `{s}` (steps: {})",
                plan.steps
                    .iter()
                    .map(|x| x.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    if let Some(w) = a.week {
        if w == 0 || w > sched.weeks {
            bail!("week {w} is outside the plan (1–{})", sched.weeks);
        }
    }
    let step_ok = |id: &str| a.step.as_deref().is_none_or(|s| s == id);
    if a.days {
        let titles: std::collections::HashMap<&str, (&str, &str)> = plan
            .items()
            .map(|(s, i)| (i.id.as_str(), (i.title.as_str(), s.id.as_str())))
            .collect();
        let days: Vec<_> = sched
            .days(&plan)
            .into_iter()
            .filter(|d| a.week.is_none_or(|w| d.week == w))
            .map(|d| {
                let items: Vec<_> = d
                    .items
                    .iter()
                    .filter(|id| titles.get(id.as_str()).is_some_and(|(_, s)| step_ok(s)))
                    .map(|id| {
                        let (t, s) = titles.get(id.as_str()).copied().unwrap_or(("", ""));
                        json!({"id": id, "step": s, "title": t, "done": done.contains_key(id)})
                    })
                    .collect();
                json!({"date": d.date, "week": d.week, "items": items})
            })
            .collect();
        if a.json {
            return print_json(&json!({"start": sched.start, "weeks": sched.weeks, "days": days}));
        }
        for d in &days {
            let items = d["items"].as_array().map(|v| v.as_slice()).unwrap_or(&[]);
            let date: chrono::NaiveDate = serde_json::from_value(d["date"].clone())?;
            let marker = if date == ctx.today { " ← today" } else { "" };
            println!(
                "{} (week {}){marker}",
                date.format("%a %Y-%m-%d"),
                d["week"]
            );
            if items.is_empty() {
                println!("    (catch-up / review)");
            }
            for it in items {
                let mark = if it["done"].as_bool() == Some(true) {
                    "x"
                } else {
                    " "
                };
                println!(
                    "    [{mark}] {:<26} {}",
                    it["id"].as_str().unwrap_or(""),
                    it["title"].as_str().unwrap_or("")
                );
            }
        }
        return Ok(());
    }
    let mut steps = Vec::new();
    for s in &plan.steps {
        if !step_ok(&s.id) {
            continue;
        }
        let (start, end) = sched.step_span(s);
        let items: Vec<_> = s
            .items
            .iter()
            .filter(|i| {
                a.week.is_none_or(|w| {
                    let (ws, we) = sched.week_span(w);
                    let due = sched.due(s, i);
                    due >= ws && due <= we
                })
            })
            .map(|i| {
                json!({
                    "id": i.id, "kind": i.kind.as_str(), "group": i.group, "title": i.title, "detail": i.detail,
                    "due": sched.due(s, i), "done": done.contains_key(&i.id), "done_at": done.get(&i.id),
                    "hours": i.hours, "project": i.project, "refs": i.refs,
                })
            })
            .collect();
        if a.week.is_some() && items.is_empty() {
            continue;
        }
        steps.push(json!({
            "id": s.id, "title": s.title, "summary": s.summary, "source": s.source,
            "nominal_weeks": [s.week_from, s.week_to], "start": start, "end": end, "items": items,
        }));
    }
    if a.json {
        return print_json(
            &json!({"start": sched.start, "weeks": sched.weeks, "end": sched.end(), "steps": steps}),
        );
    }
    for s in &steps {
        println!(
            "{} {}  ({} → {})",
            s["id"].as_str().unwrap_or(""),
            s["title"].as_str().unwrap_or(""),
            s["start"].as_str().unwrap_or(""),
            s["end"].as_str().unwrap_or("")
        );
        for it in s["items"].as_array().map(|v| v.as_slice()).unwrap_or(&[]) {
            let mark = if it["done"].as_bool() == Some(true) {
                "x"
            } else {
                " "
            };
            println!(
                "  [{mark}] {:<28} {:<11} due {}  {}",
                it["id"].as_str().unwrap_or(""),
                it["kind"].as_str().unwrap_or(""),
                it["due"].as_str().unwrap_or(""),
                it["title"].as_str().unwrap_or("")
            );
        }
        println!();
    }
    Ok(())
}

fn schedule(ctx: &Context, a: &ScheduleArgs) -> anyhow::Result<()> {
    let cur = ctx.schedule()?;
    let new = if a.start.is_some() || a.weeks.is_some() {
        let s = Schedule::new(a.start.unwrap_or(cur.start), a.weeks.unwrap_or(cur.weeks))
            .map_err(anyhow::Error::msg)?;
        progress::save_schedule(&ctx.store.conn, &s)?;
        s
    } else {
        cur
    };
    if a.json {
        return print_json(
            &json!({"start": new.start, "weeks": new.weeks, "end": new.end(), "current_week": new.current_week(ctx.today)}),
        );
    }
    println!(
        "plan: {} → {} ({} weeks); today is in week {}",
        new.start,
        new.end(),
        new.weeks,
        new.current_week(ctx.today)
    );
    Ok(())
}

fn set_done(ctx: &Context, ids: &[String], done: bool) -> anyhow::Result<()> {
    for id in ids {
        progress::set_done(&ctx.store.conn, id, done)?;
        println!("{} {id}", if done { "done:" } else { "not done:" });
    }
    Ok(())
}

fn sync(ctx: &mut Context, json: bool, cli: &Cli) -> anyhow::Result<()> {
    let _ = cli;
    // Opening the context already synced a changed curriculum: report that sync.
    let source = ctx.curriculum_source.clone();
    let report = match ctx.sync.take() {
        Some(r) => r,
        None => {
            let (plan, _) = crate::app::load_curriculum(ctx.curriculum_dir.as_deref())?;
            crate::plan::sync::sync(&mut ctx.store.conn, &plan)?
        }
    };
    if json {
        return print_json(&report);
    }
    println!("curriculum ({source}): {}", report.summary());
    for id in &report.archived {
        println!("  archived {id}");
    }
    for (what, ids) in [
        ("added", &report.added),
        ("updated", &report.updated),
        ("restored", &report.restored),
    ] {
        for id in ids {
            println!("  {what} {id}");
        }
    }
    Ok(())
}

fn paper(ctx: &mut Context, cmd: &PaperCmd) -> anyhow::Result<()> {
    let conn = &mut ctx.store.conn;
    match cmd {
        PaperCmd::List {
            status,
            step,
            tag,
            search,
            json,
        } => {
            let filter = Filter {
                status: status.as_deref().map(Status::parse).transpose()?,
                step: step.clone(),
                tag: tag.clone(),
                text: search.clone(),
            };
            let list: Vec<_> = papers::list(conn)?
                .into_iter()
                .filter(|p| filter.matches(p, &p.haystack()))
                .collect();
            if *json {
                return print_json(&list);
            }
            for p in &list {
                println!(
                    "{:<28} {:<10} P{} {:<5} {:<12} {}",
                    p.key,
                    p.status.as_str(),
                    p.priority,
                    p.year.as_deref().unwrap_or(""),
                    p.arxiv.as_deref().unwrap_or("-"),
                    crate::util::truncate(&p.title, 80)
                );
            }
            eprintln!("{} paper(s)", list.len());
        }
        PaperCmd::Show { key, json } => {
            let p = papers::get(conn, key)?;
            if *json {
                return print_json(&p);
            }
            println!("{}\n  {}", p.title, p.authors);
            println!(
                "  key {} · {} · {} · {}",
                p.key,
                p.entry_type,
                p.year.as_deref().unwrap_or("?"),
                p.venue.as_deref().unwrap_or("")
            );
            if let Some(l) = p.link() {
                println!("  {l}");
            }
            println!(
                "  status {} · priority {} · rating {} · steps {} · tags {}",
                p.status.as_str(),
                p.priority,
                p.rating.map(|r| r.to_string()).unwrap_or("-".into()),
                p.steps.join(" "),
                p.tags.join(", ")
            );
            if !p.notes.is_empty() {
                println!("\n{}", p.notes);
            }
        }
        PaperCmd::Add {
            arxiv,
            doi,
            url,
            title,
            authors,
            year,
            key,
            tags,
        } => {
            let key = papers::add(
                conn,
                &papers::NewPaper {
                    arxiv: arxiv.clone(),
                    doi: doi.clone(),
                    url: url.clone(),
                    title: title.clone(),
                    authors: authors.clone(),
                    year: year.clone(),
                    key: key.clone(),
                    tags: tags.clone(),
                },
            )?;
            println!("added {key}");
        }
        PaperCmd::Set {
            key,
            status,
            priority,
            rating,
            tags,
            untags,
            steps,
            unsteps,
            notes,
        } => {
            let u = PaperUpdate {
                status: status.as_deref().map(Status::parse).transpose()?,
                priority: *priority,
                rating: rating.map(|r| if r == 0 { None } else { Some(r) }),
                add_tags: tags.clone(),
                remove_tags: untags.clone(),
                add_steps: steps.clone(),
                remove_steps: unsteps.clone(),
                notes: notes.clone(),
            };
            papers::update(conn, key, &u)?;
            println!("updated {key}");
        }
        PaperCmd::Import { file, json } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let entries = papers::bib::parse(&file.display().to_string(), &text)?;
            let report = papers::import(conn, &entries, "import")?;
            if *json {
                return print_json(&report);
            }
            println!(
                "{}: {} added, {} duplicate(s), {} conflict(s)",
                file.display(),
                report.added.len(),
                report.duplicates.len(),
                report.conflicts.len()
            );
            for c in &report.conflicts {
                println!("  conflict: `{}` is already a different paper ({}); rename the key in the file to import it", c.key, c.reason);
            }
            for d in &report.duplicates {
                let merged = if d.merged_fields.is_empty() {
                    String::new()
                } else {
                    format!(" (filled {})", d.merged_fields.join(", "))
                };
                println!(
                    "  duplicate: {} = {} (same {}){merged}",
                    d.key, d.existing, d.by
                );
            }
        }
        PaperCmd::Export { out, status } => {
            let keep: Option<Vec<String>> = match status {
                Some(s) => {
                    let s = Status::parse(s)?;
                    Some(
                        papers::list(conn)?
                            .into_iter()
                            .filter(|p| p.status == s)
                            .map(|p| p.key)
                            .collect(),
                    )
                }
                None => None,
            };
            let entries: Vec<_> = papers::entries(conn)?
                .into_iter()
                .filter(|e| keep.as_ref().is_none_or(|k| k.contains(&e.key)))
                .collect();
            let text = papers::bib::write(&entries);
            match out {
                Some(path) => {
                    std::fs::write(path, &text)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("wrote {} entries to {}", entries.len(), path.display());
                }
                None => print!("{text}"),
            }
        }
    }
    Ok(())
}

fn note(ctx: &Context, cmd: &NoteCmd) -> anyhow::Result<()> {
    let conn = &ctx.store.conn;
    match cmd {
        NoteCmd::Add {
            title,
            paper,
            item,
            body,
            stdin,
            edit,
        } => {
            let mut text = body.clone().unwrap_or_default();
            if *stdin {
                std::io::stdin()
                    .read_to_string(&mut text)
                    .context("reading the note body from stdin")?;
            }
            let n = notes::create(
                conn,
                &ctx.notes_dir,
                &notes::NewNote {
                    title: title.clone(),
                    body: text,
                    paper: paper.clone(),
                    item: item.clone(),
                    run: None,
                },
            )?;
            if *edit {
                let ed = ctx
                    .config
                    .editor_command()
                    .context("no editor: set $EDITOR or `editor` in the config")?;
                notes::run_editor(&ed, &notes::path_of(&ctx.notes_dir, &n))?;
                notes::index_file(conn, &ctx.notes_dir, &n.path)?;
            }
            println!(
                "note {} {}",
                n.id,
                notes::path_of(&ctx.notes_dir, &n).display()
            );
        }
        NoteCmd::List { paper, item, json } => {
            let list: Vec<_> = notes::list(conn)?
                .into_iter()
                .filter(|n| paper.as_ref().is_none_or(|p| n.paper.as_ref() == Some(p)))
                .filter(|n| item.as_ref().is_none_or(|i| n.item.as_ref() == Some(i)))
                .collect();
            if *json {
                return print_json(&list);
            }
            for n in &list {
                let att = n.paper.clone().or(n.item.clone()).unwrap_or_default();
                println!(
                    "{:>5}  {}  {:<50} {}",
                    n.id,
                    crate::util::prefix(&n.updated_at, 10),
                    crate::util::truncate(&n.title, 50),
                    att
                );
            }
        }
        NoteCmd::Search { query, json } => {
            let hits = notes::search(conn, query)?;
            if *json {
                return print_json(&hits);
            }
            for h in &hits {
                println!(
                    "{:>5}  {}\n       {}",
                    h.note.id,
                    h.note.title,
                    h.snippet.replace('\n', " ")
                );
            }
            eprintln!("{} match(es)", hits.len());
        }
        NoteCmd::Show(super::ById { id, json }) => {
            let n = notes::get(conn, *id)?;
            if *json {
                return print_json(&n);
            }
            print!("{}", n.body);
        }
        NoteCmd::Edit { id } => {
            let n = notes::get(conn, *id)?;
            let ed = ctx
                .config
                .editor_command()
                .context("no editor: set $EDITOR or `editor` in the config")?;
            notes::run_editor(&ed, &notes::path_of(&ctx.notes_dir, &n.summary))?;
            notes::index_file(conn, &ctx.notes_dir, &n.summary.path)?;
        }
    }
    Ok(())
}

fn deliverable(ctx: &Context, cmd: &DeliverableCmd) -> anyhow::Result<()> {
    let conn = &ctx.store.conn;
    match cmd {
        DeliverableCmd::List { json } => {
            let o = overview::load(&ctx.store.conn, ctx.today)?;
            if *json {
                let v: Vec<_> = o
                    .deliverables
                    .iter()
                    .map(|(d, due)| json!({"id": d.id, "step": d.step, "title": d.title, "status": d.status, "due": due, "evidence": d.evidence}))
                    .collect();
                return print_json(&v);
            }
            for (d, due) in &o.deliverables {
                println!(
                    "{:<22} {:<11} due {}  {}",
                    d.id,
                    d.status.as_str(),
                    due,
                    d.title
                );
                for e in &d.evidence {
                    println!("    {}: {}", e.kind, e.target);
                }
            }
        }
        DeliverableCmd::Set { id, status } => {
            deliverables::set_status(conn, id, deliverables::DStatus::parse(status)?)?;
            println!("{id}: {status}");
        }
        DeliverableCmd::Link {
            id,
            note,
            paper,
            url,
        } => {
            let mut any = false;
            if let Some(n) = note {
                deliverables::link(conn, id, "note", &n.to_string())?;
                any = true;
            }
            if let Some(p) = paper {
                deliverables::link(conn, id, "paper", p)?;
                any = true;
            }
            if let Some(u) = url {
                deliverables::link(conn, id, "url", u)?;
                any = true;
            }
            if !any {
                bail!("give --note ID, --paper KEY or --url URL");
            }
            println!("linked evidence to {id}");
        }
    }
    Ok(())
}
