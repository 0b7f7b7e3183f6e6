//! The study roadmap: papers with links, hands-on projects with the commands that
//! start them.

use std::collections::HashMap;

use rusqlite::Connection;

use super::Sources;
use crate::export::{code, code_block};
use crate::papers::Paper;
use crate::plan::ItemKind;
use crate::runs::project::Project;

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
