//! `labbook cards …`, `labbook interview …` and `labbook export interview`.
//! The review and the mock interview read their input line by line, so they work in
//! any terminal and in tests.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use super::print_json;
use anyhow::{bail, Context as _};
use chrono::{DateTime, Utc};
use clap::Subcommand;

use crate::app::Context;
use crate::cards::{self, bank::Question, mock, review::Session, Grade, Origin, Settings};

#[derive(Debug, Subcommand)]
pub enum CardsCmd {
    /// Review today's due and new cards, one line at a time (the TUI's Cards tab does it on screen).
    Review {
        /// Stop after this many reviews.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Counts, today's load, retention, a 7-day forecast and each topic's cards.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Add a card by hand.
    Add {
        #[arg(long)]
        front: String,
        #[arg(long)]
        back: String,
        /// The plan item it belongs to (e.g. s8.transformers).
        #[arg(long)]
        topic: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List cards (by due date).
    List {
        /// A plan item, e.g. s8.latency.
        #[arg(long)]
        topic: Option<String>,
        /// bank, note or user.
        #[arg(long)]
        source: Option<String>,
        /// Only cards due now.
        #[arg(long)]
        due: bool,
        /// Include suspended cards and cards whose source is gone.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// One card with its review log.
    Show(super::ById),
    /// Leave a card out of reviews.
    Suspend { id: i64 },
    /// Bring a suspended card back.
    Unsuspend { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum InterviewCmd {
    /// A timed mock interview: question, your answer notes, the model answer, a 1–5 self-rating.
    Mock {
        /// A question topic (transformers, coding, …), a plan item (s8.latency) or a
        /// kind (theory, coding, design, research); default: weighted to weak topics.
        #[arg(long)]
        topic: Option<String>,
        /// Minutes per answer (default: `[cards] mock_minutes`, 3).
        #[arg(long, value_name = "N")]
        minutes: Option<f64>,
        /// Questions in the session.
        #[arg(long, default_value_t = 1, value_name = "N")]
        count: usize,
        /// Ask this question (an id such as q.transformers.scale).
        #[arg(long, value_name = "ID")]
        question: Option<String>,
        /// Seed for picking questions (reproducible sessions).
        #[arg(long, hide = true)]
        seed: Option<u64>,
    },
    /// Past sessions with answers and ratings, newest first.
    History {
        #[arg(long)]
        topic: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Question topics, weakest first (mock ratings and card lapses).
    Topics {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCmd {
    /// The interview prep sheet (Markdown): per topic key points, your notes, questions
    /// with your latest answers, weakest topics first, and case studies from your runs.
    Interview {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Case studies to build from your runs.
        #[arg(long, default_value_t = 3)]
        cases: usize,
    },
}

fn settings(ctx: &Context) -> &Settings {
    &ctx.config.cards
}

pub fn cards(ctx: &Context, cmd: &CardsCmd) -> anyhow::Result<()> {
    cards::open(&ctx.store, ctx.questions_dir.as_deref(), ctx.today)?;
    let conn = &ctx.store.conn;
    let now = cards::now_for(ctx.today);
    match cmd {
        CardsCmd::Review { limit } => {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            let mut out = std::io::stdout().lock();
            let today = ctx.today;
            let fixed = now;
            let clock = move || {
                if chrono::Local::now().date_naive() == today {
                    Utc::now()
                } else {
                    fixed
                }
            };
            review_lines(ctx, &clock, *limit, &mut input, &mut out)?;
            Ok(())
        }
        CardsCmd::Stats { json } => {
            let s = cards::stats(conn, settings(ctx), now, ctx.today)?;
            if *json {
                return print_json(&s);
            }
            print!("{}", stats_text(&s));
            Ok(())
        }
        CardsCmd::Add {
            front,
            back,
            topic,
            json,
        } => {
            let c = cards::add(conn, front, back, topic.as_deref(), now)?;
            if *json {
                return print_json(&c);
            }
            println!(
                "added card {} (new; it enters a review within the daily cap)",
                c.id
            );
            Ok(())
        }
        CardsCmd::List {
            topic,
            source,
            due,
            all,
            json,
        } => {
            if let Some(s) = source {
                if !["bank", "note", "user"].contains(&s.as_str()) {
                    bail!("--source is bank, note or user (got `{s}`)");
                }
            }
            let list = cards::list(
                conn,
                &cards::Filter {
                    topic: topic.clone(),
                    source: source.clone(),
                    due_by: due.then_some(now),
                    all: *all,
                },
            )?;
            if *json {
                return print_json(&list);
            }
            for c in &list {
                let due = if c.state == cards::CardState::New {
                    "new".to_string()
                } else {
                    c.due
                        .with_timezone(&chrono::Local)
                        .format("%Y-%m-%d %H:%M")
                        .to_string()
                };
                let flag = if c.suspended {
                    " (suspended)"
                } else if c.orphaned {
                    " (source gone)"
                } else {
                    ""
                };
                println!(
                    "{:>5}  {:<10} {:<16} {:<18} {}{flag}",
                    c.id,
                    c.state.as_str(),
                    due,
                    c.topic.as_deref().unwrap_or("-"),
                    crate::util::truncate(&one_line(&c.front), 70)
                );
            }
            if list.is_empty() {
                println!("no cards");
            }
            Ok(())
        }
        CardsCmd::Show(super::ById { id, json }) => {
            let c = cards::get(conn, *id)?;
            let log = cards::reviews(conn, *id)?;
            if *json {
                return print_json(&serde_json::json!({"card": c, "reviews": log}));
            }
            println!(
                "card {} · {} · {} · {}",
                c.id,
                c.source,
                c.state.as_str(),
                c.uid
            );
            if let Some(t) = &c.topic {
                println!("topic: {t}");
            }
            println!(
                "due {} · stability {:.2} d · difficulty {:.2} · reps {} · lapses {}\n",
                c.due.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M"),
                c.stability,
                c.difficulty,
                c.reps,
                c.lapses
            );
            println!("Q: {}\n\nA: {}\n", c.front, c.back);
            for r in &log {
                println!(
                    "  {}  {:<5} {:<10} → {} d  ({})",
                    r.reviewed_at,
                    Grade::from_number(r.rating as u8)
                        .map(Grade::label)
                        .unwrap_or("?"),
                    r.state_before.as_str(),
                    r.interval_days,
                    r.origin
                );
            }
            Ok(())
        }
        CardsCmd::Suspend { id } => {
            cards::set_suspended(conn, *id, true)?;
            println!("card {id} suspended");
            Ok(())
        }
        CardsCmd::Unsuspend { id } => {
            cards::set_suspended(conn, *id, false)?;
            println!("card {id} back in reviews");
            Ok(())
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn stats_text(s: &cards::Stats) -> String {
    let mut t = String::new();
    t.push_str(&format!(
        "cards: {} ({} new · {} learning · {} review · {} suspended · {} whose source is gone)\n",
        s.total, s.new, s.learning, s.review, s.suspended, s.orphaned
    ));
    t.push_str(&format!(
        "today: {} due now, {} by tonight · new {} of {} (cap) · {} reviews done\n",
        s.due_now,
        s.due_today,
        s.new_today,
        s.new_today + s.new_left_today,
        s.reviews_today
    ));
    match s.retention_30d {
        Some(r) => t.push_str(&format!(
            "retention (30 days, review cards): {:.0}%\n",
            r * 100.0
        )),
        None => t.push_str("retention (30 days): no reviews of learnt cards yet\n"),
    }
    t.push_str("next 7 days: ");
    let f: Vec<String> = s
        .forecast
        .iter()
        .map(|(d, n)| format!("{} {n}", d.format("%a")))
        .collect();
    t.push_str(&f.join(" · "));
    t.push_str("\n\n");
    t.push_str(&format!(
        "{:<24} {:>5} {:>5} {:>5} {:>7} {:>7}\n",
        "topic", "cards", "new", "due", "lapses", "again%"
    ));
    for x in &s.topics {
        t.push_str(&format!(
            "{:<24} {:>5} {:>5} {:>5} {:>7} {:>7}\n",
            x.topic,
            x.cards,
            x.new,
            x.due,
            x.lapses,
            x.again_rate
                .map(|a| format!("{:.0}%", a * 100.0))
                .unwrap_or_else(|| "-".into())
        ));
    }
    t
}

/// Read one line; `None` at end of input.
fn read_line(input: &mut impl BufRead) -> anyhow::Result<Option<String>> {
    let mut s = String::new();
    let n = input.read_line(&mut s).context("reading standard input")?;
    if n == 0 {
        return Ok(None);
    }
    Ok(Some(s.trim_end_matches(['\n', '\r']).to_string()))
}

/// The line-mode review: the question, enter shows the answer, a grade 1–4 (with
/// the interval each would give), `q` stops. Ends with a summary.
pub fn review_lines(
    ctx: &Context,
    clock: &dyn Fn() -> DateTime<Utc>,
    limit: Option<usize>,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> anyhow::Result<cards::review::Summary> {
    let conn = &ctx.store.conn;
    let st = settings(ctx);
    let now = clock();
    let (queue, n_new) = cards::todays_queue(conn, st, now, ctx.today)?;
    let due = queue.len() - n_new;
    let mut s = Session::new(queue, now);
    writeln!(
        out,
        "Review: {due} due · {n_new} new (new cards today: {} of {})",
        cards::new_on(conn, ctx.today)?,
        st.new_per_day
    )?;
    if s.finished() {
        writeln!(
            out,
            "Nothing to review now. `labbook cards stats` shows what comes next."
        )?;
        return Ok(s.summary);
    }
    'cards: while let Some(card) = s.current().cloned() {
        if limit.is_some_and(|l| s.summary.reviewed >= l) {
            break;
        }
        let (n, l, r) = s.left();
        writeln!(
            out,
            "\n── card {} · {} · {} ── left: {n} new · {l} learning · {r} review",
            card.id,
            card.state.as_str(),
            card.topic.as_deref().unwrap_or("-")
        )?;
        writeln!(out, "Q: {}", card.front)?;
        writeln!(out, "[enter: show the answer · q: stop]")?;
        out.flush()?;
        match read_line(input)? {
            None => break,
            Some(l) if l.trim() == "q" => break,
            Some(_) => {}
        }
        s.reveal();
        writeln!(out, "A: {}", card.back)?;
        let shown = clock();
        let nexts = cards::preview(st, &card, shown);
        let buttons: Vec<String> = nexts
            .iter()
            .map(|n| {
                format!(
                    "{} {} ({})",
                    n.grade as u8,
                    n.grade.label(),
                    cards::fmt_interval(n.interval)
                )
            })
            .collect();
        let grade = loop {
            write!(out, "{} · q stop > ", buttons.join(" · "))?;
            out.flush()?;
            let Some(l) = read_line(input)? else {
                writeln!(out)?;
                break 'cards;
            };
            let l = l.trim();
            if l == "q" {
                break 'cards;
            }
            match l.parse::<u8>().ok().and_then(Grade::from_number) {
                Some(g) => break g,
                None => writeln!(out, "enter 1, 2, 3 or 4 (or q to stop)")?,
            }
        };
        let now = clock();
        let ms = (now - shown).num_milliseconds().max(0);
        let after = cards::grade(conn, st, card.id, grade, now, Some(ms), Origin::Review)?;
        writeln!(
            out,
            "→ {}: due in {}",
            grade.label(),
            cards::fmt_interval(after.due - now)
        )?;
        s.graded(grade, after, now);
    }
    let sm = &s.summary;
    writeln!(
        out,
        "\nDone: {} review(s) of {} card(s) ({} new) · again {} · hard {} · good {} · easy {} · {}",
        sm.reviewed,
        sm.cards,
        sm.new,
        sm.again,
        sm.hard,
        sm.good,
        sm.easy,
        crate::util::fmt::clock(sm.seconds as f64)
    )?;
    let left = s.queue.len();
    if left > 0 {
        writeln!(out, "{left} card(s) still waiting today.")?;
    }
    Ok(s.summary.clone())
}

/// Options of a line-mode mock interview.
#[derive(Debug, Clone, Default)]
pub struct MockOptions {
    pub topic: Option<String>,
    pub minutes: Option<f64>,
    pub count: usize,
    pub question: Option<String>,
    pub seed: Option<u64>,
}

/// The line-mode mock interview.
pub fn mock_lines(
    ctx: &Context,
    bank: &cards::Bank,
    opts: &MockOptions,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> anyhow::Result<i64> {
    let conn = &ctx.store.conn;
    let st = settings(ctx);
    let minutes = opts.minutes.unwrap_or(st.mock_minutes);
    let fixed = opts.question.as_deref().map(|id| {
        bank.question(id).ok_or_else(|| {
            anyhow::anyhow!("no question `{id}` in the bank (ids look like q.transformers.scale)")
        })
    });
    let fixed: Option<&Question> = fixed.transpose()?;
    if let Some(t) = &opts.topic {
        mock::topics_for(bank, t)?;
    }
    let count = if fixed.is_some() {
        1
    } else {
        opts.count.max(1)
    };
    let now = cards::now_for(ctx.today);
    let session = mock::start(conn, opts.topic.as_deref(), minutes, now)?;
    let mut rng = opts
        .seed
        .map(crate::util::rng::Rng::new)
        .unwrap_or_else(crate::util::rng::Rng::from_time);
    writeln!(
        out,
        "Mock interview · {count} question(s) · {} each · {}",
        crate::util::fmt::clock(minutes * 60.0),
        match &opts.topic {
            Some(t) => format!("topic {t}"),
            None if fixed.is_some() => "chosen question".into(),
            None => "weighted to your weakest topics".into(),
        }
    )?;
    let mut asked: Vec<String> = Vec::new();
    let mut ratings = Vec::new();
    for k in 0..count {
        let q = match fixed {
            Some(q) => q,
            None => mock::pick(conn, bank, opts.topic.as_deref(), &asked, &mut rng)?,
        };
        asked.push(q.id.clone());
        writeln!(
            out,
            "\nQuestion {}/{count} · {} ({}) · {} · {}",
            k + 1,
            q.topic,
            q.item,
            q.kind.as_str(),
            q.level.as_str()
        )?;
        writeln!(out, "{}", q.text)?;
        writeln!(
            out,
            "You have {}. Type your answer notes; an empty line (or end of input) ends the answer.",
            crate::util::fmt::clock(minutes * 60.0)
        )?;
        out.flush()?;
        let t0 = std::time::Instant::now();
        let mut lines = Vec::new();
        let mut eof = false;
        loop {
            match read_line(input)? {
                None => {
                    eof = true;
                    break;
                }
                Some(l) if l.trim().is_empty() => break,
                Some(l) => lines.push(l),
            }
        }
        let secs = t0.elapsed().as_secs_f64();
        let limit = minutes * 60.0;
        if secs > limit {
            writeln!(
                out,
                "Time {} of {} — {} over.",
                crate::util::fmt::clock(secs),
                crate::util::fmt::clock(limit),
                crate::util::fmt::clock(secs - limit)
            )?;
        } else {
            writeln!(
                out,
                "Time {} of {}.",
                crate::util::fmt::clock(secs),
                crate::util::fmt::clock(limit)
            )?;
        }
        writeln!(out, "\n── Model answer ──\n{}\n", q.answer)?;
        let rating = if eof {
            None
        } else {
            loop {
                write!(
                    out,
                    "Rate your answer against the model answer ({}) > ",
                    mock::RATING_SCALE.join(" · ")
                )?;
                out.flush()?;
                match read_line(input)? {
                    None => {
                        writeln!(out)?;
                        break None;
                    }
                    Some(l) => match l.trim().parse::<u8>() {
                        Ok(r) if (1..=5).contains(&r) => break Some(r),
                        _ => writeln!(out, "enter a number from 1 to 5")?,
                    },
                }
            }
        };
        let rec = mock::record(
            conn,
            st,
            session,
            q,
            &lines.join("\n"),
            secs,
            limit,
            rating,
            cards::now_for(ctx.today),
        )?;
        match (rating, rec.card) {
            (Some(r), Some((card, due))) => {
                ratings.push(r);
                writeln!(
                    out,
                    "Saved (answer {}). Rating {r} → card {card}, due in {}; it joins `labbook cards review`.",
                    rec.answer_id,
                    cards::fmt_interval(due - cards::now_for(ctx.today))
                )?
            }
            (Some(r), None) => {
                ratings.push(r);
                writeln!(out, "Saved (answer {}), rating {r}.", rec.answer_id)?
            }
            (None, _) => writeln!(
                out,
                "Saved (answer {}) without a rating: the input ended.",
                rec.answer_id
            )?,
        }
        if eof {
            break;
        }
    }
    mock::finish(conn, session, cards::now_for(ctx.today))?;
    let mean = if ratings.is_empty() {
        "no ratings".to_string()
    } else {
        format!(
            "mean rating {:.1}",
            ratings.iter().map(|r| *r as f64).sum::<f64>() / ratings.len() as f64
        )
    };
    writeln!(
        out,
        "\nSession {session}: {} answer(s), {mean}. `labbook interview history` lists past sessions.",
        asked.len()
    )?;
    Ok(session)
}

pub fn interview(ctx: &Context, cmd: &InterviewCmd) -> anyhow::Result<()> {
    let bank = cards::open(&ctx.store, ctx.questions_dir.as_deref(), ctx.today)?;
    let conn = &ctx.store.conn;
    match cmd {
        InterviewCmd::Mock {
            topic,
            minutes,
            count,
            question,
            seed,
        } => {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            let mut out = std::io::stdout().lock();
            mock_lines(
                ctx,
                &bank,
                &MockOptions {
                    topic: topic.clone(),
                    minutes: *minutes,
                    count: *count,
                    question: question.clone(),
                    seed: *seed,
                },
                &mut input,
                &mut out,
            )?;
            Ok(())
        }
        InterviewCmd::History { topic, limit, json } => {
            let h = mock::history(conn, topic.as_deref(), *limit)?;
            if *json {
                return print_json(&h);
            }
            if h.is_empty() {
                println!("no mock interviews yet: `labbook interview mock` starts one");
            }
            for s in &h {
                println!(
                    "session {} · {} · {} min · {}",
                    s.id,
                    s.started_at,
                    s.minutes,
                    s.topic.as_deref().unwrap_or("weighted")
                );
                for a in &s.answers {
                    println!(
                        "  {:<32} {}  {}/{}  {}",
                        a.question_id,
                        a.rating
                            .map(|r| format!("{r}/5"))
                            .unwrap_or_else(|| "-/5".into()),
                        crate::util::fmt::clock(a.seconds),
                        crate::util::fmt::clock(a.limit_secs),
                        crate::util::truncate(&a.question, 60)
                    );
                }
            }
            Ok(())
        }
        InterviewCmd::Topics { json } => {
            let scores = mock::topic_scores(conn, &bank)?;
            if *json {
                return print_json(&scores);
            }
            println!(
                "{:<20} {:<22} {:>9} {:>6} {:>7} {:>8}",
                "topic", "plan item", "answered", "mean", "again%", "weakness"
            );
            for s in &scores {
                println!(
                    "{:<20} {:<22} {:>9} {:>6} {:>7} {:>8.2}",
                    s.topic,
                    s.item,
                    format!("{}/{}", s.answered, s.questions),
                    s.mean_rating
                        .map(|m| format!("{m:.1}"))
                        .unwrap_or_else(|| "-".into()),
                    s.again_rate
                        .map(|a| format!("{:.0}%", a * 100.0))
                        .unwrap_or_else(|| "-".into()),
                    s.weakness
                );
            }
            Ok(())
        }
    }
}

pub fn export(ctx: &Context, cmd: &ExportCmd) -> anyhow::Result<()> {
    match cmd {
        ExportCmd::Interview { out, cases } => {
            let bank = cards::open(&ctx.store, ctx.questions_dir.as_deref(), ctx.today)?;
            let md = crate::export::interview::render(
                &ctx.store.conn,
                &ctx.data_dir,
                &ctx.config.cards,
                ctx.today,
                &bank,
                *cases,
            )?;
            if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            crate::util::write_atomic(out, md.as_bytes())?;
            println!("wrote {}", out.display());
            Ok(())
        }
    }
}
