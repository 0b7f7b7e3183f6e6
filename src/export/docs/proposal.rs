//! The mini research proposal, filled from the user's notes and runs.

use rusqlite::Connection;

use super::Sources;
use crate::export::{cell, code, Citations, NoteText};
use crate::papers::{Paper, Status as PStatus};

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

pub(super) fn to_write(hint: &str, how: &str) -> String {
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
