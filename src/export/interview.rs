//! The interview prep sheet (`labbook export interview --out FILE.md`): the weakest
//! topics first, then for every theory topic of step 8 its key points, your notes, the
//! questions with your latest mock answers and ratings beside the model answers, the
//! coding/design/research questions you practised, and case studies built from your
//! own runs (problem, method, result with numbers, what next).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use chrono::NaiveDate;
use rusqlite::Connection;

use crate::cards::bank::{Bank, Kind, Question, Topic};
use crate::cards::mock::{self, AnswerRow, TopicScore};
use crate::runs::project::{Goal, Project};
use crate::runs::query::{self, MetricSummary, RunRow};
use crate::util::fmt;

/// A note as the sheet quotes it.
#[derive(Debug, Clone)]
struct NoteRef {
    id: i64,
    path: String,
    title: String,
    body: String,
}

fn notes_where(conn: &Connection, sql: &str, arg: &str) -> anyhow::Result<Vec<NoteRef>> {
    let rows = conn
        .prepare(sql)?
        .query_map([arg], |r| {
            Ok(NoteRef {
                id: r.get(0)?,
                path: r.get(1)?,
                title: r.get(2)?,
                body: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()
        .context("reading notes")?;
    Ok(rows)
}

/// Notes attached to a plan item (front matter `item:` or an item link).
fn item_notes(conn: &Connection, item: &str) -> anyhow::Result<Vec<NoteRef>> {
    notes_where(
        conn,
        "SELECT DISTINCT n.id, n.path, n.title, n.body FROM notes n
         LEFT JOIN note_links l ON l.note_id = n.id AND l.kind = 'item'
         WHERE n.item_id = ?1 OR l.target = ?1 ORDER BY n.updated_at DESC, n.id",
        item,
    )
}

/// Notes on a paper.
fn paper_notes(conn: &Connection, key: &str) -> anyhow::Result<Vec<NoteRef>> {
    notes_where(
        conn,
        "SELECT DISTINCT n.id, n.path, n.title, n.body FROM notes n
         LEFT JOIN note_links l ON l.note_id = n.id AND l.kind = 'paper'
         WHERE n.paper_key = ?1 OR l.target = ?1 ORDER BY n.updated_at DESC, n.id",
        key,
    )
}

/// The body of a note without its title heading, as one paragraph of at most `n`
/// characters.
fn excerpt(body: &str, n: usize) -> String {
    let text: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("```"))
        .collect();
    crate::util::truncate(&text.join(" "), n)
}

fn quote(text: &str) -> String {
    let mut out = String::new();
    for l in text.trim().lines() {
        if l.trim().is_empty() {
            out.push_str(">\n");
        } else {
            let _ = writeln!(out, "> {l}");
        }
    }
    out
}

/// The theory topics of step 8 in plan order: (item id, title).
fn theory_items(conn: &Connection) -> anyhow::Result<Vec<(String, String)>> {
    let plan = crate::plan::progress::load_plan(conn)?;
    Ok(plan
        .steps
        .iter()
        .filter(|s| s.id == "s8")
        .flat_map(|s| s.items.iter())
        .filter(|i| i.kind == crate::plan::ItemKind::Topic)
        .map(|i| (i.id.clone(), i.title.clone()))
        .collect())
}

/// The sheet as Markdown, from the plan, cards, mock answers and runs in `conn`, the
/// projects of `data_dir`, and up to `cases` case studies.
pub fn render(
    conn: &Connection,
    data_dir: &Path,
    cards: &crate::cards::Settings,
    today: NaiveDate,
    bank: &Bank,
    cases: usize,
) -> anyhow::Result<String> {
    let latest = mock::latest(conn)?;
    let scores = mock::topic_scores(conn, bank)?;
    let stats = crate::cards::stats(conn, cards, crate::cards::now_for(today), today)?;
    let mut items = theory_items(conn)?;
    if items.is_empty() {
        // A curriculum of the user's own without step 8: the bank's theory topics.
        items = bank
            .topics
            .iter()
            .filter(|t| t.questions.iter().any(|q| q.kind == Kind::Theory))
            .map(|t| (t.item.clone(), t.title.clone()))
            .collect();
    }
    let mut md = String::new();
    let _ = writeln!(md, "# Interview prep sheet\n");
    let answered = latest.len();
    let _ = writeln!(
        md,
        "Exported by labbook on {}. The question bank holds {} questions; {} of them answered in mock interviews; {} flashcards ({} due today, {} learnt).\n",
        today,
        bank.questions().count(),
        answered,
        stats.total - stats.suspended - stats.orphaned,
        stats.due_today,
        stats.review
    );
    // Weakest topics first.
    let _ = writeln!(md, "## Weakest topics first\n");
    let _ = writeln!(
        md,
        "Weakness combines your latest mock ratings (1–5) and how often the topic's cards were forgotten; topics you have not practised sit in the middle.\n"
    );
    let _ = writeln!(
        md,
        "| # | topic | plan item | answered | mean rating | cards forgotten | weakness |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|");
    for (k, s) in scores.iter().enumerate() {
        let _ = writeln!(
            md,
            "| {} | {} | `{}` | {}/{} | {} | {} | {:.2} |",
            k + 1,
            s.title,
            s.item,
            s.answered,
            s.questions,
            s.mean_rating
                .map(|m| format!("{m:.1}"))
                .unwrap_or_else(|| "–".into()),
            s.again_rate
                .map(|a| format!("{:.0}%", a * 100.0))
                .unwrap_or_else(|| "–".into()),
            s.weakness
        );
    }
    md.push('\n');
    // Theory topics, weakest first.
    let rank = |item: &str| {
        scores
            .iter()
            .position(|s| s.item == item)
            .unwrap_or(usize::MAX)
    };
    items.sort_by_key(|(id, _)| rank(id));
    for (item, title) in &items {
        let topics: Vec<&Topic> = bank.topics.iter().filter(|t| &t.item == item).collect();
        let score: Vec<&TopicScore> = scores.iter().filter(|s| &s.item == item).collect();
        topic_section(&mut md, conn, item, title, &topics, &score, &latest)?;
    }
    // Practice questions outside the theory topics that were answered.
    let practice: Vec<&Question> = bank
        .questions()
        .filter(|q| !items.iter().any(|(i, _)| *i == q.item) && latest.contains_key(&q.id))
        .collect();
    let _ = writeln!(md, "## Coding, design and research practice\n");
    if practice.is_empty() {
        let _ = writeln!(
            md,
            "No coding, design or research question answered yet: `labbook interview mock --topic coding` starts one.\n"
        );
    }
    for q in practice {
        question_block(&mut md, q, latest.get(&q.id));
    }
    case_studies(&mut md, conn, data_dir, cases)?;
    Ok(md)
}

fn topic_section(
    md: &mut String,
    conn: &Connection,
    item: &str,
    title: &str,
    topics: &[&Topic],
    score: &[&TopicScore],
    latest: &HashMap<String, AnswerRow>,
) -> anyhow::Result<()> {
    let _ = writeln!(md, "## {title}\n");
    let n_q: usize = topics.iter().map(|t| t.questions.len()).sum();
    let answered: usize = score.iter().map(|s| s.answered).sum();
    let mean = score.iter().find_map(|s| s.mean_rating);
    let _ = writeln!(
        md,
        "Plan item `{item}` · {n_q} questions · {answered} answered{}\n",
        mean.map(|m| format!(" · mean rating {m:.1}/5"))
            .unwrap_or_default()
    );
    let _ = writeln!(md, "### Key points\n");
    let mut any = false;
    for t in topics {
        for p in &t.key_points {
            let _ = writeln!(md, "- {p}");
            any = true;
        }
    }
    if !any {
        let _ = writeln!(md, "- (no question file serves this topic)");
    }
    md.push('\n');
    let _ = writeln!(md, "### Your notes\n");
    let notes = item_notes(conn, item)?;
    let mut cited: Vec<String> = Vec::new();
    for t in topics {
        for q in &t.questions {
            for k in &q.cites {
                if !cited.contains(k) {
                    cited.push(k.clone());
                }
            }
        }
    }
    let mut paper_hits: BTreeMap<i64, (String, NoteRef)> = BTreeMap::new();
    for k in &cited {
        for n in paper_notes(conn, k)? {
            if !notes.iter().any(|m| m.id == n.id) {
                paper_hits.entry(n.id).or_insert((k.clone(), n));
            }
        }
    }
    if notes.is_empty() && paper_hits.is_empty() {
        let _ = writeln!(
            md,
            "No notes on this topic yet (attach one with `labbook note add --item {item}`).\n"
        );
    }
    for n in &notes {
        let _ = writeln!(
            md,
            "- **{}** (`{}`): {}",
            n.title,
            n.path,
            excerpt(&n.body, 400)
        );
    }
    for (key, n) in paper_hits.values() {
        let _ = writeln!(
            md,
            "- **{}** (`{}`, on [@{key}]): {}",
            n.title,
            n.path,
            excerpt(&n.body, 300)
        );
    }
    if !notes.is_empty() || !paper_hits.is_empty() {
        md.push('\n');
    }
    let _ = writeln!(md, "### Questions\n");
    let mut qs: Vec<&Question> = topics.iter().flat_map(|t| t.questions.iter()).collect();
    // Answered ones first, lowest rating first; then the rest in bank order.
    qs.sort_by_key(|q| match latest.get(&q.id) {
        Some(a) => (0, a.rating.unwrap_or(0)),
        None => (1, 0),
    });
    for q in qs {
        question_block(md, q, latest.get(&q.id));
    }
    Ok(())
}

fn question_block(md: &mut String, q: &Question, a: Option<&AnswerRow>) {
    let _ = writeln!(
        md,
        "#### {} ({}, {})\n",
        q.text,
        q.kind.as_str(),
        q.level.as_str()
    );
    match a {
        Some(a) => {
            let _ = writeln!(
                md,
                "**Your latest answer** ({}, rating {}, {} of {}):\n",
                crate::util::prefix(&a.answered_at, 10),
                a.rating
                    .map(|r| format!("{r}/5"))
                    .unwrap_or_else(|| "unrated".into()),
                fmt::clock(a.seconds),
                fmt::clock(a.limit_secs)
            );
            if a.answer.trim().is_empty() {
                let _ = writeln!(md, "> (no notes typed)\n");
            } else {
                let _ = writeln!(md, "{}", quote(&a.answer));
            }
        }
        None => {
            let _ = writeln!(md, "*Not practised yet.*\n");
        }
    }
    let _ = writeln!(md, "**Model answer.** {}\n", q.answer.trim());
}

/// A project's runs with their metric summaries.
struct ProjectRuns {
    name: String,
    manifest: Option<Project>,
    runs: Vec<(RunRow, Vec<MetricSummary>)>,
}

impl ProjectRuns {
    fn primary(&self) -> Option<(String, Goal)> {
        let m = &self.manifest.as_ref()?.manifest;
        let key = m.primary_metric.clone()?;
        Some((key, m.goal.unwrap_or(Goal::Min)))
    }

    /// The metric the case study is about and whether lower is better.
    fn metric(&self) -> Option<(String, Goal)> {
        if let Some(p) = self.primary() {
            if self
                .runs
                .iter()
                .any(|(_, s)| s.iter().any(|m| m.key == p.0))
            {
                return Some(p);
            }
        }
        let has = |k: &str| self.runs.iter().any(|(_, s)| s.iter().any(|m| m.key == k));
        for k in ["val_loss", "loss", "wer", "cer"] {
            if has(k) {
                return Some((k.to_string(), Goal::Min));
            }
        }
        for k in ["accuracy", "acc", "f1", "recall"] {
            if has(k) {
                return Some((k.to_string(), Goal::Max));
            }
        }
        let first = self.runs.iter().flat_map(|(_, s)| s.iter()).next()?;
        Some((first.key.clone(), Goal::Min))
    }
}

fn best_value(s: &MetricSummary, goal: Goal) -> Option<(f64, Option<i64>)> {
    match goal {
        Goal::Min => s.min.map(|v| (v, s.min_step)),
        Goal::Max => s.max.map(|v| (v, s.max_step)),
    }
    .filter(|(v, _)| v.is_finite())
}

fn case_studies(
    md: &mut String,
    conn: &Connection,
    data_dir: &Path,
    cases: usize,
) -> anyhow::Result<()> {
    let _ = writeln!(md, "## Case studies from your runs\n");
    let runs = query::list(conn)?;
    let projects = crate::runs::project::load_all(data_dir).unwrap_or_default();
    let mut groups: BTreeMap<String, ProjectRuns> = BTreeMap::new();
    for r in runs {
        if !matches!(r.status, crate::runs::fsm::Status::Completed) {
            continue;
        }
        let sums = query::summaries(conn, r.rowid)?;
        if sums.is_empty() {
            continue;
        }
        let name = r.project.clone().unwrap_or_else(|| r.name.clone());
        let g = groups.entry(name.clone()).or_insert_with(|| ProjectRuns {
            manifest: projects.iter().find(|p| p.manifest.name == name).cloned(),
            name,
            runs: Vec::new(),
        });
        g.runs.push((r, sums));
    }
    // The projects with the most evidence: metric points over all runs.
    let mut ranked: Vec<ProjectRuns> = groups.into_values().collect();
    ranked.sort_by_key(|g| {
        std::cmp::Reverse(
            g.runs
                .iter()
                .map(|(_, s)| s.iter().map(|m| m.count).sum::<i64>())
                .sum::<i64>(),
        )
    });
    let mut written = 0;
    for g in ranked.iter().take(cases) {
        if case_study(md, conn, g, written + 1)? {
            written += 1;
        }
    }
    if written == 0 {
        let _ = writeln!(
            md,
            "No completed run with metrics yet. Finish a project run (`labbook run start PROJECT`) and export again: the best runs become case studies here.\n"
        );
    }
    Ok(())
}

fn case_study(
    md: &mut String,
    conn: &Connection,
    g: &ProjectRuns,
    n: usize,
) -> anyhow::Result<bool> {
    let Some((key, goal)) = g.metric() else {
        return Ok(false);
    };
    let scored: Vec<(&RunRow, &Vec<MetricSummary>, f64, Option<i64>)> = g
        .runs
        .iter()
        .filter_map(|(r, s)| {
            let m = s.iter().find(|m| m.key == key)?;
            let (v, step) = best_value(m, goal)?;
            Some((r, s, v, step))
        })
        .collect();
    let Some(best) = scored.iter().copied().reduce(|a, b| {
        let better = match goal {
            Goal::Min => b.2 < a.2,
            Goal::Max => b.2 > a.2,
        };
        if better {
            b
        } else {
            a
        }
    }) else {
        return Ok(false);
    };
    let (run, sums, value, step) = best;
    let title = g
        .manifest
        .as_ref()
        .map(|p| p.manifest.title.clone())
        .unwrap_or_else(|| g.name.clone());
    let dir = match goal {
        Goal::Min => "lower is better",
        Goal::Max => "higher is better",
    };
    let _ = writeln!(md, "### Case study {n}: {title}\n");
    // Problem.
    let problem = g
        .manifest
        .as_ref()
        .map(|p| p.manifest.demonstrates.trim().to_string())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| format!("The `{}` experiments, judged on `{key}`.", g.name));
    let _ = writeln!(md, "**Problem.** {problem}\n");
    // Method.
    let differing = {
        let rows: Vec<RunRow> = g.runs.iter().map(|(r, _)| r.clone()).collect();
        query::differing_params(&rows)
    };
    let params: Vec<String> = run
        .params
        .iter()
        .map(|(k, v)| format!("{k}={}", v.to_string().trim_matches('"')))
        .collect();
    let _ = writeln!(
        md,
        "**Method.** {} completed run(s) of `{}`{}; the best was `{}` ({}) with `{}`.\n",
        g.runs.len(),
        g.name,
        if differing.is_empty() {
            String::new()
        } else {
            format!(", varying {}", differing.join(", "))
        },
        run.id,
        run.git_commit
            .as_deref()
            .map(|c| format!("commit {}", crate::util::prefix(c, 10)))
            .unwrap_or_else(|| "no commit recorded".into()),
        if params.is_empty() {
            run.command.clone()
        } else {
            params.join(" ")
        }
    );
    // Result.
    let _ = write!(
        md,
        "**Result.** Best `{key}` = {} at step {} ({dir}).",
        fmt::value(Some(value)),
        step.map(|s| s.to_string()).unwrap_or_else(|| "–".into())
    );
    if scored.len() > 1 {
        let baseline = scored
            .iter()
            .min_by(|a, b| a.0.created_at.cmp(&b.0.created_at))
            .copied()
            .unwrap_or(best);
        if baseline.0.id != run.id {
            let d = value - baseline.2;
            let pct = if baseline.2 != 0.0 {
                format!(" ({:+.1}%)", 100.0 * d / baseline.2.abs())
            } else {
                String::new()
            };
            let _ = write!(
                md,
                " Against the first run `{}` ({}): {}{pct}.",
                baseline.0.id,
                fmt::value(Some(baseline.2)),
                if d >= 0.0 {
                    format!("+{}", fmt::value(Some(d)))
                } else {
                    fmt::value(Some(d))
                }
            );
        }
        let mut vals: Vec<f64> = scored.iter().map(|s| s.2).collect();
        vals.sort_by(f64::total_cmp);
        let _ = write!(
            md,
            " Over all {} runs: {} to {}.",
            vals.len(),
            fmt::value(Some(vals[0])),
            fmt::value(Some(vals[vals.len() - 1]))
        );
    }
    md.push_str("\n\n");
    let _ = writeln!(md, "| metric | last | min (step) | max (step) | points |");
    let _ = writeln!(md, "|---|---|---|---|---|");
    for m in sums.iter().take(8) {
        let opt = |v: Option<f64>, s: Option<i64>| match v {
            Some(v) => format!(
                "{}{}",
                fmt::value(Some(v)),
                s.map(|s| format!(" ({s})")).unwrap_or_default()
            ),
            None => "NaN".into(),
        };
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | {} | {} |",
            m.key,
            opt(m.last, None),
            opt(m.min, m.min_step),
            opt(m.max, m.max_step),
            m.count
        );
    }
    md.push('\n');
    // What next: the user's own words on the best run (else on another run of the
    // project), else the open questions the data leaves.
    let mut notes = notes_where(
        conn,
        "SELECT id, path, title, body FROM notes WHERE run_id = ?1 ORDER BY updated_at DESC",
        &run.id,
    )?;
    for (r, _) in &g.runs {
        if notes.is_empty() && r.id != run.id {
            notes = notes_where(
                conn,
                "SELECT id, path, title, body FROM notes WHERE run_id = ?1 ORDER BY updated_at DESC",
                &r.id,
            )?;
        }
    }
    let next = match notes.first() {
        Some(nn) => format!(
            "From your note **{}** (`{}`): {}",
            nn.title,
            nn.path,
            excerpt(&nn.body, 400)
        ),
        None => {
            let seeds = g
                .runs
                .iter()
                .filter_map(|(r, _)| r.seed)
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            format!(
                "Repeat the best configuration over more seeds ({} seed(s) so far) to put an error bar on {}, then change one factor at a time{}; write the decision you would now make differently in a note on `{}`.",
                seeds.max(1),
                fmt::value(Some(value)),
                if differing.is_empty() {
                    String::new()
                } else {
                    format!(" beyond {}", differing.join(", "))
                },
                run.id
            )
        }
    };
    let _ = writeln!(md, "**What next.** {next}\n");
    Ok(true)
}
