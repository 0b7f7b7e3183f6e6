//! The report as Markdown: abstract, set-up, results, observations, discussion,
//! reproducibility and references, each section from the runs and the user's notes.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;

use super::*;
use crate::export::{cell, code, code_block, Citations};

impl Report {
    /// The Markdown, with `figures` linked by relative path.
    pub fn markdown(&self, figures: &[Figure], conn: &Connection) -> anyhow::Result<String> {
        let mut cites = Citations::default();
        let mut s = self.heading();
        s.push_str(&self.abstract_section(&mut cites));
        s.push_str(&self.setup());
        s.push_str(&self.results(figures));
        s.push_str(&self.observations(&mut cites));
        s.push_str(&self.discussion(&mut cites));
        s.push_str(&self.reproducibility());
        s.push_str(&references(&cites, conn)?);
        Ok(s)
    }

    /// Title and the line under it.
    fn heading(&self) -> String {
        let mut s = String::new();
        let runs = &self.cmp.runs;
        s.push_str(&format!("# {}\n\n", self.title.trim()));
        let proj = self
            .project
            .as_ref()
            .map(|p| format!("project {} · ", code(&p.manifest.name)))
            .unwrap_or_default();
        s.push_str(&format!(
            "*Research report · {proj}{} run{} · exported by labbook on {}*\n\n",
            runs.len(),
            if runs.len() == 1 { "" } else { "s" },
            self.today
        ));
        s
    }

    /// The abstract: the notes' abstract or summary sections.
    fn abstract_section(&self, cites: &mut Citations) -> String {
        let mut s = String::new();
        s.push_str("## Abstract\n\n");
        let abs: Vec<String> = self
            .notes
            .iter()
            .flat_map(|n| n.matching(&["abstract", "summary", "tl;dr", "tldr"]))
            .collect();
        if abs.is_empty() {
            s.push_str(&missing(
                "abstract",
                "the question, what you did, and the main number with its baseline",
                self,
            ));
        } else {
            for a in &abs {
                s.push_str(&cites.render(a));
                s.push_str("\n\n");
            }
        }
        s
    }

    /// What was run: the project, the runs, what differs, code version, hardware.
    fn setup(&self) -> String {
        let runs = &self.cmp.runs;
        let mut s = String::new();
        s.push_str("## Setup\n\n");
        if let Some(p) = &self.project {
            let m = &p.manifest;
            if !m.demonstrates.is_empty() {
                s.push_str(&format!("{}\n\n", m.demonstrates.trim()));
            }
            match (&m.exp, &m.command) {
                (Some(e), _) => s.push_str(&format!(
                    "The runs are the built-in Candle experiment {} (`labbook exp {e}`).\n\n",
                    code(e)
                )),
                (_, Some(c)) => s.push_str(&format!(
                    "The runs execute the project command {}.\n\n",
                    code(c)
                )),
                _ => {}
            }
        }
        s.push_str(
            "| run | id | status | started (UTC) | duration | last step | seed |\n|---|---|---|---|---|---|---|\n",
        );
        for (i, r) in runs.iter().enumerate() {
            s.push_str(&format!(
                "| {}{} | {} | {} | {} | {} | {} | {} |\n",
                run_label(i),
                if i == self.baseline {
                    " (baseline)"
                } else {
                    ""
                },
                code(&r.id),
                r.status.as_str(),
                r.started_at.map(fmt_epoch).unwrap_or_else(|| "-".into()),
                crate::util::fmt::duration(r.ended_at.and_then(|e| r.started_at.map(|s| e - s))),
                self.cmp.summaries[i]
                    .iter()
                    .filter_map(|m| m.last_step)
                    .max()
                    .map(|x| x.to_string())
                    .unwrap_or_else(|| "-".into()),
                r.seed
                    .map(|x| x.to_string())
                    .or_else(|| r.params.get("seed").map(runs::plain))
                    .unwrap_or_else(|| "-".into()),
            ));
        }
        s.push('\n');
        if !self.cmp.differing.is_empty() {
            s.push_str("Parameters that differ between the runs:\n\n| run |");
            for k in &self.cmp.differing {
                s.push_str(&format!(" {} |", cell(k)));
            }
            s.push_str("\n|---|");
            s.push_str(&"---|".repeat(self.cmp.differing.len()));
            s.push('\n');
            for (i, r) in runs.iter().enumerate() {
                s.push_str(&format!("| {} |", run_label(i)));
                for k in &self.cmp.differing {
                    let v = r
                        .params
                        .get(k)
                        .map(runs::plain)
                        .unwrap_or_else(|| "-".into());
                    s.push_str(&format!(" {} |", cell(&v)));
                }
                s.push('\n');
            }
            s.push('\n');
        }
        let commands: BTreeSet<&str> = runs.iter().map(|r| r.command.as_str()).collect();
        if self.cmp.differing.is_empty() && commands.len() > 1 {
            s.push_str("The runs differ in their command lines:\n\n| run | command |\n|---|---|\n");
            for (i, r) in runs.iter().enumerate() {
                s.push_str(&format!(
                    "| {} | {} |\n",
                    run_label(i),
                    code(&cell(&r.command))
                ));
            }
            s.push('\n');
        }
        let shared: Vec<String> = runs
            .first()
            .map(|r| {
                r.params
                    .iter()
                    .filter(|(k, _)| !self.cmp.differing.contains(k))
                    .map(|(k, v)| code(&format!("{k}={}", runs::plain(v))))
                    .collect()
            })
            .unwrap_or_default();
        if !shared.is_empty() {
            s.push_str(&format!(
                "Parameters shared by every run: {}.\n\n",
                shared.join(", ")
            ));
        }
        s.push_str(&self.code_version());
        s.push_str(&self.hardware());
        s
    }

    /// The results table, the figures, the audio and any warnings.
    fn results(&self, figures: &[Figure]) -> String {
        let runs = &self.cmp.runs;
        let mut s = String::new();
        s.push_str("## Results\n\n");
        s.push_str(&self.results_table());
        for f in figures {
            s.push_str(&format!(
                "![{}]({})\n\n*{}*\n\n",
                f.caption.replace(['[', ']', '`'], ""),
                f.file,
                f.caption
            ));
        }
        if !self.spectrograms.is_empty() {
            s.push_str("### Audio\n\n");
            for sp in &self.spectrograms {
                let rel = sp
                    .wav
                    .strip_prefix(&runs[sp.run].dir)
                    .unwrap_or(&sp.wav)
                    .display()
                    .to_string();
                s.push_str(&format!(
                    "![spectrogram of {rel}]({})\n\n*{}: {} ({:.2} s): log-mel spectrogram with F0 and energy.*\n\n",
                    sp.file,
                    run_label(sp.run),
                    code(&rel),
                    sp.analysis.seconds
                ));
            }
        }
        for w in &self.warnings {
            s.push_str(&format!("> Note: {w}\n\n"));
        }
        s
    }

    /// Every other section of the notes on these runs, note by note.
    fn observations(&self, cites: &mut Citations) -> String {
        let mut s = String::new();
        let used = [
            "abstract",
            "summary",
            "tl;dr",
            "tldr",
            "discussion",
            "conclusion",
            "limitation",
            "next step",
            "future work",
        ];
        let mut obs = String::new();
        for n in &self.notes {
            let rest: Vec<(String, String)> = n
                .sections
                .iter()
                .filter(|(h, _)| {
                    let h = h.to_lowercase();
                    !used.iter().any(|w| h.contains(w))
                })
                .cloned()
                .collect();
            let title_used = used.iter().any(|w| n.title.to_lowercase().contains(w));
            if title_used || (n.intro.trim().is_empty() && rest.is_empty()) {
                continue;
            }
            obs.push_str(&format!(
                "### {}\n\n*note {}, {}*\n\n",
                n.title.trim(),
                n.id,
                crate::export::date_of(&n.created_at)
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            ));
            if !n.intro.trim().is_empty() {
                obs.push_str(&cites.render(n.intro.trim()));
                obs.push_str("\n\n");
            }
            for (h, t) in rest {
                obs.push_str(&format!("#### {h}\n\n{}\n\n", cites.render(t.trim())));
            }
        }
        if !obs.is_empty() {
            s.push_str(
                "## Observations\n\nFrom the notes on these runs and the project's plan items.\n\n",
            );
            s.push_str(&obs);
        }
        s
    }

    /// The notes' discussion, conclusion, limitations and next steps.
    fn discussion(&self, cites: &mut Citations) -> String {
        let mut s = String::new();
        s.push_str("## Discussion\n\n");
        let disc: Vec<String> = self
            .notes
            .iter()
            .flat_map(|n| {
                n.matching(&[
                    "discussion",
                    "conclusion",
                    "limitation",
                    "next step",
                    "future work",
                ])
            })
            .collect();
        if disc.is_empty() {
            s.push_str(&missing(
                "discussion",
                "what the evidence shows, what you believe beyond it, the limitations, and what you would try next",
                self,
            ));
        } else {
            for d in &disc {
                s.push_str(&cites.render(d));
                s.push_str("\n\n");
            }
        }
        s
    }

    /// Each run's command exactly as it was executed.
    fn reproducibility(&self) -> String {
        let runs = &self.cmp.runs;
        let mut s = String::new();
        s.push_str("## Reproducibility\n\nEach run's command exactly as it was executed, from its working directory:\n\n");
        for (i, r) in runs.iter().enumerate() {
            let meta = self.metas[i].as_ref();
            let mut block = format!("# {} {} ({})\n", run_label(i), r.id, r.status.as_str());
            if let Some(m) = meta {
                block.push_str(&format!(
                    "cd {}\n",
                    crate::runs::project::shell_quote(&m.cwd.display().to_string())
                ));
            }
            if let Some(c) = &r.git_commit {
                let dirty = if r.git_dirty == Some(true) {
                    format!(
                        "  # plus the uncommitted changes saved in {}",
                        r.dir.join(runs::GIT_DIFF).display()
                    )
                } else {
                    String::new()
                };
                block.push_str(&format!("git checkout {c}{dirty}\n"));
            }
            block.push_str(&r.command);
            s.push_str(&code_block("sh", &block));
            s.push('\n');
        }
        s.push_str(&format!(
            "Or start any of them again with labbook: {}.\n\n",
            code("labbook run rerun RUN-ID [--param K=V]")
        ));
        s
    }

    fn results_table(&self) -> String {
        let runs = &self.cmp.runs;
        if self.metrics.is_empty() {
            return "*The runs reported no metrics.*\n\n".into();
        }
        let mut s = format!(
            "Final value of each metric (the last point reported). **Bold**: the best run for that metric; \
             in brackets: the difference from the baseline {} (absolute, relative).\n\n| run |",
            run_label(self.baseline)
        );
        for m in &self.metrics {
            let arrow = match m.goal {
                Some(Goal::Min) => " ↓",
                Some(Goal::Max) => " ↑",
                None => "",
            };
            s.push_str(&format!(" {}{arrow} |", cell(&m.key)));
        }
        s.push_str("\n|---|");
        s.push_str(&"---:|".repeat(self.metrics.len()));
        s.push('\n');
        for i in 0..runs.len() {
            s.push_str(&format!(
                "| {}{} |",
                run_label(i),
                if i == self.baseline {
                    " (baseline)"
                } else {
                    ""
                }
            ));
            for m in &self.metrics {
                let v = final_value(&self.cmp, i, &m.key);
                let mut c = match v {
                    None => "-".to_string(),
                    Some(x) => crate::util::fmt::value(if x.is_nan() { None } else { Some(x) }),
                };
                if m.best.contains(&i) {
                    c = format!("**{c}**");
                }
                if i != self.baseline {
                    if let (Some(x), Some(b)) = (v, final_value(&self.cmp, self.baseline, &m.key)) {
                        if x.is_finite() && b.is_finite() {
                            c.push_str(&format!(" ({})", delta(x, b)));
                        }
                    }
                }
                s.push_str(&format!(" {c} |"));
            }
            s.push('\n');
        }
        s.push_str("\n↓ lower is better, ↑ higher is better (the project's goal for its primary metric, otherwise judged from the name); no arrow: no best is marked.\n\n");
        s
    }

    fn code_version(&self) -> String {
        let commits: BTreeSet<(Option<&str>, bool)> = self
            .cmp
            .runs
            .iter()
            .map(|r| (r.git_commit.as_deref(), r.git_dirty == Some(true)))
            .collect();
        let desc = |c: Option<&str>, dirty: bool| match c {
            Some(c) => format!(
                "commit {}{}",
                code(crate::util::prefix(c, 12)),
                if dirty {
                    " with uncommitted changes (saved as `git.diff` in the run directory)"
                } else {
                    ""
                }
            ),
            None => "no git commit recorded (not started inside a git repository)".into(),
        };
        let v = env!("CARGO_PKG_VERSION");
        if commits.len() == 1 {
            match commits.iter().next().copied().unwrap_or((None, false)) {
                (None, _) => format!(
                    "Code version: no git commit recorded (the runs were not started inside a git repository); labbook {v}.\n\n"
                ),
                (c, d) => format!("Code version: every run used {}; labbook {v}.\n\n", desc(c, d)),
            }
        } else {
            let mut s = String::from("Code version:\n\n");
            for (i, r) in self.cmp.runs.iter().enumerate() {
                s.push_str(&format!(
                    "- {}: {}\n",
                    run_label(i),
                    desc(r.git_commit.as_deref(), r.git_dirty == Some(true))
                ));
            }
            s.push('\n');
            s
        }
    }

    fn hardware(&self) -> String {
        let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (i, r) in self.cmp.runs.iter().enumerate() {
            let d = match &self.metas[i] {
                Some(m) => {
                    let mut parts = vec![];
                    if !m.host.is_empty() {
                        parts.push(format!("host {}", code(&m.host)));
                    }
                    if !m.cpu.is_empty() {
                        parts.push(m.cpu.clone());
                    }
                    parts.push(m.gpu.clone().unwrap_or_else(|| "no GPU".into()));
                    parts.push(format!("{} backend", r.backend));
                    parts.join(", ")
                }
                None => format!(
                    "{}{} backend (no meta.json in the run directory)",
                    r.host
                        .as_ref()
                        .map(|h| format!("host {}, ", code(h)))
                        .unwrap_or_default(),
                    r.backend
                ),
            };
            seen.entry(d).or_default().push(run_label(i));
        }
        if seen.len() == 1 {
            let d = seen.keys().next().cloned().unwrap_or_default();
            return format!("Hardware: {d} (every run).\n\n");
        }
        let mut s = String::from("Hardware:\n\n");
        for (d, rs) in seen {
            s.push_str(&format!("- {}: {d}\n", rs.join(", ")));
        }
        s.push('\n');
        s
    }
}

/// What to write where a section has no content yet (never a made-up text).
fn missing(what: &str, content: &str, r: &Report) -> String {
    let attach = match &r.project {
        Some(p) => {
            let item = p
                .manifest
                .items
                .first()
                .cloned()
                .unwrap_or_else(|| "ITEM".into());
            format!(
                "`labbook run note RUN-ID --body …` on one of these runs, or `labbook note add --item {item} --title …`"
            )
        }
        None => "`labbook run note RUN-ID --body …` on one of these runs".to_string(),
    };
    format!(
        "*To write: no note on these runs or the project has a section headed \"{}\" yet. \
         Add one ({attach}) with a `## {}` section: {content}.*\n\n",
        capitalise(what),
        capitalise(what)
    )
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The papers cited in the notes, as a bibliography.
fn references(cites: &Citations, conn: &Connection) -> anyhow::Result<String> {
    let mut s = String::new();
    s.push_str("## References\n\n");
    let bib = cites.bibliography(conn)?;
    if bib.is_empty() {
        s.push_str("*No papers are cited yet: cite them in the notes as `[@key]` (keys from `labbook paper list`).*\n");
    } else {
        s.push_str(&bib);
    }
    Ok(s)
}
