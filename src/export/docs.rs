//! The plan's other documents: the day-wise schedule, the study roadmap (papers with
//! links, hands-on projects with their commands), a mini research proposal filled from
//! the user's notes and runs, and the project plan of the end-to-end real-time
//! speech-to-speech pipeline.
//!
//! Where the user has written nothing for a section, the section says what to write
//! (in italics, starting "To write:"); nothing made up is presented as theirs.

use std::collections::HashMap;

use anyhow::bail;
use chrono::NaiveDate;
use rusqlite::Connection;

use super::{cell, code, code_block, date_of, Citations, NoteText};
use crate::papers::{Paper, Status as PStatus};
use crate::plan::{ItemKind, Plan, Schedule};
use crate::runs::project::{Goal, Project};
use crate::runs::query::{self, RunRow};

/// What every document needs from the store, loaded once.
pub struct Sources {
    pub plan: Plan,
    pub sched: Schedule,
    pub today: NaiveDate,
    /// Item id → date it was marked done.
    pub done: HashMap<String, NaiveDate>,
    pub papers: Vec<Paper>,
    pub projects: Vec<Project>,
    pub runs: Vec<RunRow>,
    pub notes: Vec<crate::notes::Note>,
}

impl Sources {
    pub fn load(
        conn: &Connection,
        data_dir: &std::path::Path,
        plan: Plan,
        sched: Schedule,
        today: NaiveDate,
    ) -> anyhow::Result<Sources> {
        let done = crate::plan::progress::done_map(conn)?
            .into_iter()
            .filter_map(|(k, v)| date_of(&v).map(|d| (k, d)))
            .collect();
        let mut notes = Vec::new();
        let mut list = crate::notes::list(conn)?;
        list.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        for n in list {
            notes.push(crate::notes::get(conn, n.id)?);
        }
        Ok(Sources {
            plan,
            sched,
            today,
            done,
            papers: crate::papers::list(conn)?,
            projects: crate::runs::project::load_all(data_dir)?,
            runs: query::list(conn)?,
            notes,
        })
    }

    fn mark(&self, id: &str) -> &'static str {
        if self.done.contains_key(id) {
            "[x]"
        } else {
            "[ ]"
        }
    }

    fn item(&self, id: &str) -> Option<(&crate::plan::Step, &crate::plan::Item)> {
        self.plan.items().find(|(_, i)| i.id == id)
    }

    fn project(&self, name: &str) -> Option<&Project> {
        self.projects.iter().find(|p| p.manifest.name == name)
    }

    /// The best finished run of a project by its primary metric: (run, metric, value).
    fn best_run(
        &self,
        conn: &Connection,
        name: &str,
    ) -> anyhow::Result<Option<(RunRow, String, f64, usize)>> {
        let Some(p) = self.project(name) else {
            return Ok(None);
        };
        let (Some(key), Some(goal)) = (p.manifest.primary_metric.clone(), p.manifest.goal) else {
            return Ok(None);
        };
        let mut best: Option<(RunRow, f64)> = None;
        let mut n = 0;
        for r in self.runs.iter().filter(|r| {
            r.project.as_deref() == Some(name) && r.status == crate::runs::Status::Completed
        }) {
            n += 1;
            let Some(v) = query::summaries(conn, r.rowid)?
                .into_iter()
                .find(|s| s.key == key)
                .and_then(|s| s.last)
                .filter(|v| v.is_finite())
            else {
                continue;
            };
            let better = match (&best, goal) {
                (None, _) => true,
                (Some((_, b)), Goal::Min) => v < *b,
                (Some((_, b)), Goal::Max) => v > *b,
            };
            if better {
                best = Some((r.clone(), v));
            }
        }
        Ok(best.map(|(r, v)| (r, key, v, n)))
    }

    /// Notes attached to any of `items`.
    fn notes_on(&self, items: &[&str]) -> Vec<NoteText> {
        self.notes
            .iter()
            .filter(|n| {
                n.summary
                    .item
                    .as_deref()
                    .is_some_and(|i| items.contains(&i))
            })
            .map(NoteText::from_note)
            .collect()
    }
}

// ---------------------------------------------------------------------------------
// Day-wise schedule

pub fn schedule(src: &Sources, week: Option<u32>) -> anyhow::Result<String> {
    let sched = &src.sched;
    if let Some(w) = week {
        if w == 0 || w > sched.weeks {
            bail!("week {w} is outside the plan (1–{})", sched.weeks);
        }
    }
    let items: HashMap<&str, (&crate::plan::Step, &crate::plan::Item)> = src
        .plan
        .items()
        .map(|(s, i)| (i.id.as_str(), (s, i)))
        .collect();
    let mut s = format!(
        "# Day-wise schedule\n\n*Plan {} → {} ({} weeks) · exported by labbook on {} · [x] done, [ ] open; hours are effort estimates*\n\n",
        sched.start,
        sched.end(),
        sched.weeks,
        src.today
    );
    let days = sched.days(&src.plan);
    let mut cur_week = 0;
    for d in days.iter().filter(|d| week.is_none_or(|w| d.week == w)) {
        if d.week != cur_week {
            cur_week = d.week;
            let (a, b) = sched.week_span(d.week);
            s.push_str(&format!(
                "## Week {} — {} to {}\n\n",
                d.week,
                a.format("%a %Y-%m-%d"),
                b.format("%a %Y-%m-%d")
            ));
            let steps: Vec<String> = sched
                .steps_in_week(&src.plan, d.week)
                .iter()
                .map(|st| format!("{} {}", st.id, st.title))
                .collect();
            s.push_str(&format!("Steps: {}.\n\n", steps.join("; ")));
        }
        let hours: f64 = d
            .items
            .iter()
            .filter_map(|id| items.get(id.as_str()))
            .map(|(_, i)| i.effort())
            .sum();
        s.push_str(&format!(
            "### {}{}{}\n\n",
            d.date.format("%a %Y-%m-%d"),
            if hours > 0.0 {
                format!(" · {} h", fmt_hours(hours))
            } else {
                String::new()
            },
            if d.date == src.today { " · today" } else { "" }
        ));
        if d.items.is_empty() {
            s.push_str("- catch-up and review\n\n");
            continue;
        }
        for id in &d.items {
            if let Some((_, i)) = items.get(id.as_str()) {
                s.push_str(&format!(
                    "- {} {} {} *({}, {} h)*\n",
                    src.mark(id),
                    code(id),
                    i.title,
                    i.kind.as_str(),
                    fmt_hours(i.effort())
                ));
            }
        }
        s.push('\n');
    }
    Ok(s)
}

fn fmt_hours(h: f64) -> String {
    if h.fract() == 0.0 {
        format!("{h:.0}")
    } else {
        format!("{h:.1}")
    }
}

// ---------------------------------------------------------------------------------
// Study roadmap

/// The command that starts a project with its defaults (required parameters named).
fn start_command(p: &Project) -> String {
    let mut cmd = format!("labbook run start {}", p.manifest.name);
    for (k, spec) in &p.manifest.params {
        if spec.default.is_none() {
            cmd.push_str(&format!(" --param {k}={}", k.to_uppercase()));
        }
    }
    cmd
}

fn sweep_command(p: &Project) -> Option<String> {
    if p.manifest.sweep.is_empty() {
        return None;
    }
    let mut cmd = format!("labbook run sweep {}", p.manifest.name);
    for (k, spec) in &p.manifest.params {
        if spec.default.is_none() {
            cmd.push_str(&format!(" --param {k}={}", k.to_uppercase()));
        }
    }
    Some(format!(
        "{cmd}   # the default grid: {}; add --yes to start",
        p.manifest
            .sweep
            .iter()
            .map(|(k, v)| format!(
                "{k} = {}",
                v.iter()
                    .map(|x| x.to_string().trim_matches('"').to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .collect::<Vec<_>>()
            .join("; ")
    ))
}

fn paper_line(p: &Paper) -> String {
    let link = p.link().map(|l| format!(" — <{l}>")).unwrap_or_default();
    format!(
        "{} ({}{}) {}{link} · *{}*",
        p.title,
        p.authors,
        p.year
            .as_ref()
            .map(|y| format!(", {y}"))
            .unwrap_or_default(),
        code(&p.key),
        p.status.as_str()
    )
}

pub fn roadmap(conn: &Connection, src: &Sources) -> anyhow::Result<String> {
    let papers: HashMap<&str, &Paper> = src.papers.iter().map(|p| (p.key.as_str(), p)).collect();
    let mut s = format!(
        "# Study roadmap\n\n*Plan {} → {} ({} weeks) · exported by labbook on {} · [x] done*\n\n\
         Each step with its papers (links to arXiv, DOI or the project page), resources and hands-on projects with the commands that run them.\n\n",
        src.sched.start,
        src.sched.end(),
        src.sched.weeks,
        src.today
    );
    for step in &src.plan.steps {
        let (a, b) = src.sched.step_span(step);
        s.push_str(&format!(
            "## {} — {}\n\n*{} to {} · nominal weeks {}–{}*\n\n{}\n\n",
            step.id,
            step.title,
            a,
            b,
            step.week_from,
            step.week_to,
            step.summary.trim()
        ));
        let of = |k: ItemKind| step.items.iter().filter(move |i| i.kind == k);
        let topics: Vec<_> = of(ItemKind::Topic).collect();
        if !topics.is_empty() {
            s.push_str("### Topics\n\n");
            for i in topics {
                s.push_str(&format!("- {} {}\n", src.mark(&i.id), i.title));
            }
            s.push('\n');
        }
        let mut listed: Vec<&str> = Vec::new();
        let paper_items: Vec<_> = of(ItemKind::Paper).collect();
        if !paper_items.is_empty() {
            s.push_str("### Papers\n\n");
            for i in paper_items {
                s.push_str(&format!(
                    "- {} {}\n",
                    src.mark(&i.id),
                    strip_cite_text(&i.title)
                ));
                for k in &i.refs {
                    listed.push(k);
                    match papers.get(k.as_str()) {
                        Some(p) => s.push_str(&format!("  - {}\n", paper_line(p))),
                        None => s.push_str(&format!("  - {} (not in the library)\n", code(k))),
                    }
                }
            }
            s.push('\n');
        }
        let further: Vec<&&Paper> = {
            let mut v: Vec<&&Paper> = papers
                .values()
                .filter(|p| p.steps.contains(&step.id) && !listed.contains(&p.key.as_str()))
                .collect();
            v.sort_by(|a, b| a.priority.cmp(&b.priority).then(a.key.cmp(&b.key)));
            v
        };
        if !further.is_empty() {
            s.push_str("### Further reading for this step\n\n");
            for p in further {
                s.push_str(&format!("- {}\n", paper_line(p)));
            }
            s.push('\n');
        }
        let res: Vec<_> = of(ItemKind::Resource).collect();
        if !res.is_empty() {
            s.push_str("### Resources\n\n");
            for i in res {
                s.push_str(&format!(
                    "- {} {}",
                    src.mark(&i.id),
                    strip_cite_text(&i.title)
                ));
                let links = links_in(&format!("{} {}", i.title, i.detail));
                if !links.is_empty() {
                    s.push_str(&format!(
                        " — {}",
                        links
                            .iter()
                            .map(|l| format!("<{l}>"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ));
                }
                s.push('\n');
            }
            s.push('\n');
        }
        // Projects: those of the step's hands-on items and those that name the step.
        let mut names: Vec<String> = step
            .items
            .iter()
            .filter_map(|i| i.project.clone())
            .collect();
        for p in &src.projects {
            if p.manifest.step.as_deref() == Some(step.id.as_str())
                && !names.contains(&p.manifest.name)
            {
                names.push(p.manifest.name.clone());
            }
        }
        let hands: Vec<_> = of(ItemKind::HandsOn).collect();
        if !hands.is_empty() || !names.is_empty() {
            s.push_str("### Hands-on\n\n");
            for i in &hands {
                s.push_str(&format!(
                    "- {} {} {}{}\n",
                    src.mark(&i.id),
                    code(&i.id),
                    i.title,
                    i.project
                        .as_ref()
                        .map(|p| format!(" — project {}", code(p)))
                        .unwrap_or_default()
                ));
            }
            s.push('\n');
            for name in &names {
                let Some(p) = src.project(name) else { continue };
                let m = &p.manifest;
                s.push_str(&format!("#### Project {}: {}\n\n", code(&m.name), m.title));
                if !m.demonstrates.is_empty() {
                    s.push_str(&format!("{}\n\n", m.demonstrates.trim()));
                }
                let mut block = String::new();
                if let crate::runs::project::Readiness::NotBuilt(why) = p.readiness() {
                    s.push_str(&format!("*Not built yet: {why}.*\n\n"));
                } else {
                    block.push_str(&start_command(p));
                    block.push('\n');
                    if let Some(sw) = sweep_command(p) {
                        block.push_str(&sw);
                        block.push('\n');
                    }
                }
                block.push_str(&format!(
                    "labbook project show {}   # parameters and the brief",
                    m.name
                ));
                s.push_str(&code_block("sh", &block));
                if let Some((r, key, v, n)) = src.best_run(conn, name)? {
                    s.push_str(&format!(
                        "\nBest so far: {key} = {} in {} ({n} completed run{}).\n",
                        crate::util::fmt::value(Some(v)),
                        code(&r.id),
                        if n == 1 { "" } else { "s" }
                    ));
                }
                s.push('\n');
            }
        }
        let dels: Vec<_> = of(ItemKind::Deliverable).collect();
        if !dels.is_empty() {
            s.push_str("### Deliverables\n\n");
            for i in dels {
                s.push_str(&format!(
                    "- {} {} {} — due {}\n",
                    src.mark(&i.id),
                    code(&i.id),
                    i.title,
                    src.sched.due(step, i)
                ));
            }
            s.push('\n');
        }
    }
    Ok(s)
}

/// A plan title without its `[@key]` citations (the papers are listed below it).
fn strip_cite_text(t: &str) -> String {
    crate::util::strip_cites(t)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

static URL: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"https?://[^\s<>)\]]+").expect("static regex"));

fn links_in(t: &str) -> Vec<String> {
    let mut v: Vec<String> = URL
        .find_iter(t)
        .map(|m| m.as_str().trim_end_matches(['.', ',', ';']).to_string())
        .collect();
    v.dedup();
    v
}

// ---------------------------------------------------------------------------------
// Mini research proposal

/// A section of a note-filled document: heading, the words that select note sections
/// for it, and what to write when the notes have none.
struct Part {
    heading: &'static str,
    words: &'static [&'static str],
    hint: &'static str,
}

const PROPOSAL: &[Part] = &[
    Part {
        heading: "Motivation",
        words: &["motivation", "problem", "background"],
        hint: "the problem in two or three sentences, who has it, and why current systems fall short (one number helps)",
    },
    Part {
        heading: "Research question and hypothesis",
        words: &["question", "hypothes"],
        hint: "one question a few weeks of work can answer, and the outcome you expect with the reason",
    },
    Part {
        heading: "Related work",
        words: &["related"],
        hint: "two or three lines on each closest paper, and the gap your question fills",
    },
    Part {
        heading: "Method",
        words: &["method", "approach", "design"],
        hint: "data, model, the baseline you compare against and the one change you test",
    },
    Part {
        heading: "Preliminary results",
        words: &["preliminary", "result"],
        hint: "what your runs so far show, with numbers, baselines and spread",
    },
    Part {
        heading: "Evaluation",
        words: &["evaluation", "metric"],
        hint: "metrics with their direction, the test sets, and what difference would count as success",
    },
    Part {
        heading: "Risks and limitations",
        words: &["risk", "limitation"],
        hint: "what could make the result wrong or unusable, and the fallback",
    },
    Part {
        heading: "Timeline",
        words: &["timeline", "milestone", "schedule"],
        hint: "milestones by week",
    },
];

fn parts_from(notes: &[NoteText], part: &Part) -> Vec<String> {
    notes
        .iter()
        .flat_map(|n| {
            n.sections
                .iter()
                .filter(|(h, _)| {
                    let h = h.to_lowercase();
                    part.words.iter().any(|w| h.contains(w))
                })
                .map(|(_, t)| t.clone())
                .filter(|t| !t.trim().is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn to_write(hint: &str, how: &str) -> String {
    format!("*To write: {hint}. {how}*\n\n")
}

pub fn proposal(conn: &Connection, src: &Sources) -> anyhow::Result<String> {
    let notes: Vec<NoteText> = src
        .notes
        .iter()
        .filter(|n| n.summary.title.to_lowercase().contains("proposal"))
        .map(NoteText::from_note)
        .collect();
    let how = "Add a section with this heading to a note whose title contains \"proposal\" (`labbook note add --title \"Research proposal\" --edit`).";
    let mut cites = Citations::default();
    let title = notes
        .iter()
        .flat_map(|n| n.sections.iter())
        .find(|(h, _)| h.eq_ignore_ascii_case("title"))
        .map(|(_, t)| t.lines().next().unwrap_or("").trim().to_string())
        .filter(|t| !t.is_empty());
    let mut s = format!(
        "# {}\n\n*Mini research proposal · exported by labbook on {} · {}*\n\n",
        title.as_deref().unwrap_or("Mini research proposal"),
        src.today,
        match notes.len() {
            0 => "no proposal note yet".to_string(),
            1 => format!("from note {} and your runs and papers", notes[0].id),
            _ => format!(
                "from notes {} and your runs and papers",
                notes
                    .iter()
                    .map(|n| n.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    );
    if title.is_none() {
        s.push_str(&to_write(
            "a title that states the question (a `## Title` section, one line)",
            how,
        ));
    }
    if notes.is_empty() {
        s.push_str("> The sections below say what to write. Papers you have read and your runs' results are filled in from the library.\n\n");
    }
    for part in PROPOSAL {
        s.push_str(&format!("## {}\n\n", part.heading));
        let texts = parts_from(&notes, part);
        for t in &texts {
            s.push_str(&cites.render(t));
            s.push_str("\n\n");
        }
        let auto = match part.heading {
            "Related work" => related_work(src, &mut cites),
            "Preliminary results" => preliminary(conn, src)?,
            "Timeline" if texts.is_empty() => timeline(src),
            _ => String::new(),
        };
        s.push_str(&auto);
        if texts.is_empty() {
            s.push_str(&to_write(part.hint, how));
        }
    }
    s.push_str("## References\n\n");
    let bib = cites.bibliography(conn)?;
    if bib.is_empty() {
        s.push_str("*No papers cited yet: cite them as `[@key]` in the proposal note.*\n");
    } else {
        s.push_str(&bib);
    }
    Ok(s)
}

/// Papers read or summarised, with the reader's own summary, cited by number.
fn related_work(src: &Sources, cites: &mut Citations) -> String {
    let mut read: Vec<&Paper> = src
        .papers
        .iter()
        .filter(|p| matches!(p.status, PStatus::Read | PStatus::Summarised))
        .collect();
    read.sort_by(|a, b| b.rating.cmp(&a.rating).then(a.key.cmp(&b.key)));
    if read.is_empty() {
        return String::new();
    }
    let mut s = String::from("Papers you have read (from the library), best rated first:\n\n");
    for p in read {
        let n = cites.number(&p.key);
        let own = if !p.notes.trim().is_empty() {
            p.notes.trim().replace('\n', " ")
        } else {
            src.notes
                .iter()
                .find(|x| x.summary.paper.as_deref() == Some(p.key.as_str()))
                .map(|x| {
                    let nt = NoteText::from_note(x);
                    let t = if nt.intro.is_empty() {
                        nt.whole()
                    } else {
                        nt.intro
                    };
                    t.lines()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("")
                        .trim()
                        .to_string()
                })
                .unwrap_or_default()
        };
        s.push_str(&format!(
            "- [{n}] {}{}\n",
            p.title,
            if own.is_empty() {
                " — *no summary yet*".to_string()
            } else {
                format!(" — {}", cites.render(&own))
            }
        ));
    }
    s.push('\n');
    s
}

/// The best completed run of each project, by its primary metric.
fn preliminary(conn: &Connection, src: &Sources) -> anyhow::Result<String> {
    let mut rows = Vec::new();
    for p in &src.projects {
        if let Some((r, key, v, n)) = src.best_run(conn, &p.manifest.name)? {
            rows.push(format!(
                "| {} | {} | {} {} | {} | {n} |\n",
                code(&p.manifest.name),
                cell(&p.manifest.title),
                key,
                crate::util::fmt::value(Some(v)),
                code(&r.id)
            ));
        }
    }
    if rows.is_empty() {
        return Ok(String::new());
    }
    Ok(format!(
        "From your completed runs (each project's primary metric, final value of its best run):\n\n| project | title | best | run | runs |\n|---|---|---|---|---:|\n{}\n",
        rows.concat()
    ))
}

/// The plan's remaining steps by date.
fn timeline(src: &Sources) -> String {
    let mut s = String::from("From the plan (remaining steps):\n\n");
    let mut spans: Vec<_> = src
        .plan
        .steps
        .iter()
        .map(|st| (src.sched.step_span(st), st))
        .filter(|((_, b), _)| *b >= src.today)
        .collect();
    spans.sort_by_key(|((a, b), _)| (*a, *b));
    for ((a, b), st) in &spans {
        s.push_str(&format!("- {a} → {b}: {} {}\n", st.id, st.title));
    }
    if spans.is_empty() {
        return String::new();
    }
    s.push('\n');
    s
}

// ---------------------------------------------------------------------------------
// Project plan: the end-to-end real-time speech-to-speech pipeline

/// The pipeline's stages: name, plan items, labbook projects.
pub const S2S_STAGES: &[(&str, &[&str], &[&str])] = &[
    (
        "Audio in and voice activity detection",
        &["s3.vad", "s3.silero-vad", "s3.vad-demo"],
        &["vad"],
    ),
    (
        "Turn-taking (end of turn, barge-in)",
        &["s3.turn-prediction", "s3.barge-in", "s3.turn-detector"],
        &["turn"],
    ),
    (
        "Streaming ASR",
        &["s2.ctc", "s2.whisper", "s2.whisper-ft"],
        &["asr-ctc", "whisper-finetune"],
    ),
    (
        "Dialogue LLM with memory",
        &["s5.simple-agent", "s5.agent-memory", "s5.rag-memory"],
        &["agent", "agent-memory"],
    ),
    (
        "Expressive TTS",
        &["s2.tts-build", "s4.expressive-tts"],
        &["tts", "expressive-tts"],
    ),
    (
        "Latency instrumentation",
        &["s3.latency", "s3.latency-pipeline", "s6.s2s-latency"],
        &["latency"],
    ),
    ("Data and evaluation", &["s6.s2s-dataset"], &["s2s-dataset"]),
];

/// Milestones of the pipeline, in order.
pub const S2S_MILESTONES: &[&str] = &[
    "s7.s2s-skeleton",
    "d.turn-taking-demo",
    "s7.s2s-integrate",
    "d.s2s-pipeline",
];

/// Latency targets (ANCHORS.md: voice agents' endpointing and voice-to-voice numbers).
const LATENCY_TARGETS: &[(&str, &str, f64)] = &[
    (
        "end-of-turn decision after speech ends",
        "eot_decision_ms",
        300.0,
    ),
    ("voice-to-voice p50", "v2v_p50_ms", f64::NAN),
    ("voice-to-voice p95", "v2v_p95_ms", 800.0),
    ("voice-to-voice p99", "v2v_p99_ms", f64::NAN),
];

pub fn project_plan(conn: &Connection, src: &Sources) -> anyhow::Result<String> {
    let mut cites = Citations::default();
    let mut s = format!(
        "# Project plan: a real-time conversational speech-to-speech pipeline\n\n*Exported by labbook on {} · from the plan items {} and your notes and runs*\n\n",
        src.today,
        S2S_MILESTONES.iter().map(|m| code(m)).collect::<Vec<_>>().join(", ")
    );
    let all_items: Vec<&str> = S2S_MILESTONES
        .iter()
        .copied()
        .chain(S2S_STAGES.iter().flat_map(|s| s.1.iter().copied()))
        .collect();
    let notes = src.notes_on(&all_items);
    let how = "Write it in a note attached to one of the milestone items (`labbook note add --item d.s2s-pipeline --title \"S2S plan\" --edit`) under a heading with this name.";
    // Goal.
    s.push_str("## Goal\n\n");
    if let Some((_, i)) = src.item("d.s2s-pipeline") {
        s.push_str(&format!(
            "{} (the plan's deliverable {}).\n\n",
            i.title,
            code(&i.id)
        ));
        if !i.detail.trim().is_empty() {
            for l in i.detail.lines().filter(|l| !l.trim().is_empty()) {
                s.push_str(&format!("- {}\n", l.trim().trim_start_matches("- ")));
            }
            s.push('\n');
        }
    }
    let goals: Vec<String> = notes
        .iter()
        .flat_map(|n| n.matching(&["goal", "scope", "motivation"]))
        .collect();
    if goals.is_empty() {
        s.push_str(&to_write(
            "your own scope: the conversation it should hold, the hardware it runs on, and what \"real time\" means for you in numbers",
            how,
        ));
    } else {
        for g in goals {
            s.push_str(&cites.render(&g));
            s.push_str("\n\n");
        }
    }
    // Architecture.
    s.push_str("## Architecture\n\n");
    s.push_str(&code_block(
        "text",
        "microphone / WAV at real-time pace\n  → VAD (speech / non-speech per 32 ms)\n  → turn detector (hold or shift at each pause; barge-in)\n  → streaming ASR (partial and final transcripts)\n  → dialogue LLM + memory (streamed tokens)\n  → expressive TTS (streamed audio chunks)\n  → speaker\n  (every stage timestamps its events for the latency table)",
    ));
    s.push_str("\n| stage | plan items | projects | best result so far |\n|---|---|---|---|\n");
    for (stage, items, projects) in S2S_STAGES {
        let its: Vec<String> = items
            .iter()
            .filter(|i| src.item(i).is_some())
            .map(|i| format!("{} {}", src.mark(i), code(i)))
            .collect();
        let mut best = Vec::new();
        for p in projects.iter() {
            if let Some((r, key, v, _)) = src.best_run(conn, p)? {
                best.push(format!(
                    "{p}: {key} {} ({})",
                    crate::util::fmt::value(Some(v)),
                    code(&r.id)
                ));
            }
        }
        s.push_str(&format!(
            "| {stage} | {} | {} | {} |\n",
            its.join(", "),
            projects
                .iter()
                .map(|p| code(p))
                .collect::<Vec<_>>()
                .join(", "),
            if best.is_empty() {
                "no completed run yet".to_string()
            } else {
                best.join("; ")
            }
        ));
    }
    s.push('\n');
    let arch: Vec<String> = notes
        .iter()
        .flat_map(|n| n.matching(&["architecture", "design"]))
        .collect();
    for a in arch {
        s.push_str(&cites.render(&a));
        s.push_str("\n\n");
    }
    // Milestones.
    s.push_str("## Milestones\n\n| item | title | due | status |\n|---|---|---|---|\n");
    for m in S2S_MILESTONES {
        let Some((st, i)) = src.item(m) else { continue };
        let due = src.sched.due(st, i);
        let status = match src.done.get(*m) {
            Some(d) => format!("done {d}"),
            None if due < src.today => {
                format!("**overdue** ({} days)", (src.today - due).num_days())
            }
            None => "open".to_string(),
        };
        s.push_str(&format!(
            "| {} | {} | {due} | {status} |\n",
            code(m),
            cell(&i.title)
        ));
    }
    s.push('\n');
    // Latency budget.
    s.push_str("## Latency budget\n\nTargets from voice agents in production (500 ms endpointing; a voice-to-voice p95 under 800 ms); report p50/p95/p99 per stage.\n\n| measure | target | best measured |\n|---|---:|---:|\n");
    let latency_runs: Vec<&RunRow> = src
        .runs
        .iter()
        .filter(|r| r.status == crate::runs::Status::Completed)
        .collect();
    for (label, key, target) in LATENCY_TARGETS {
        let mut best: Option<(f64, String)> = None;
        for r in &latency_runs {
            if let Some(v) = query::summaries(conn, r.rowid)?
                .into_iter()
                .find(|m| m.key == *key)
                .and_then(|m| m.last)
                .filter(|v| v.is_finite())
            {
                if best.as_ref().is_none_or(|(b, _)| v < *b) {
                    best = Some((v, r.id.clone()));
                }
            }
        }
        s.push_str(&format!(
            "| {label} (`{key}`) | {} | {} |\n",
            if target.is_nan() {
                "report".to_string()
            } else {
                format!("≤ {target:.0} ms")
            },
            match best {
                Some((v, id)) => format!("{v:.0} ms ({})", code(&id)),
                None => "not measured yet".into(),
            }
        ));
    }
    s.push_str("\nMeasure with `labbook run start latency` (the latency project) once the loop runs end to end.\n\n");
    // Risks.
    s.push_str("## Risks and failure cases\n\n");
    let risks: Vec<String> = notes
        .iter()
        .flat_map(|n| n.matching(&["risk", "failure"]))
        .collect();
    if risks.is_empty() {
        s.push_str(&to_write(
            "the failure cases you expect or saw (talking over the user, missed turns, slow replies) and what caused each",
            how,
        ));
    } else {
        for r in risks {
            s.push_str(&cites.render(&r));
            s.push_str("\n\n");
        }
    }
    // Other notes on these items.
    let other: Vec<&NoteText> = notes
        .iter()
        .filter(|n| {
            n.matching(&[
                "goal",
                "scope",
                "motivation",
                "architecture",
                "design",
                "risk",
                "failure",
            ])
            .is_empty()
        })
        .collect();
    if !other.is_empty() {
        s.push_str("## Notes\n\n");
        for n in other {
            s.push_str(&format!(
                "### {}\n\n{}\n\n",
                n.title.trim(),
                cites.render(&n.whole())
            ));
        }
    }
    let bib = cites.bibliography(conn)?;
    if !bib.is_empty() {
        s.push_str("## References\n\n");
        s.push_str(&bib);
    }
    Ok(s)
}
