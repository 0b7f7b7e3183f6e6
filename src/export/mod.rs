//! Markdown exports: a research report of a project's runs (with SVG figures beside
//! it), the weekly progress report, and the plan's other documents (day-wise schedule,
//! study roadmap, mini research proposal, speech-to-speech project plan).
//!
//! Each document is built in two steps: gather the data from the store (a plain
//! struct, testable), then render Markdown from it (a pure function). Writing never
//! loses a user's file: a single-file export refuses an existing file and a report
//! refuses an existing non-empty directory unless `force` is given, and even then only
//! the export's own files are replaced (nothing is deleted).

pub mod docs;
pub mod interview;
pub mod progress;
pub mod report;
pub mod svg;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rusqlite::Connection;

use crate::runs::project::{Goal, Manifest};

/// Where a single-document export goes: a file, or stdout for `-`.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Stdout,
    File(PathBuf),
}

impl Target {
    pub fn parse(p: &Path) -> Target {
        if p.as_os_str() == "-" {
            Target::Stdout
        } else {
            Target::File(p.to_path_buf())
        }
    }
}

/// Write one document. An existing file is refused unless `force`; the new content
/// goes to a temporary file first and is renamed over, so a crash never leaves half a
/// document.
pub fn write_doc(target: &Target, text: &str, force: bool) -> anyhow::Result<()> {
    match target {
        Target::Stdout => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .context("writing the document to stdout")?;
            Ok(())
        }
        Target::File(path) => {
            if path.is_dir() {
                bail!(
                    "{} is a directory; give a file name, e.g. {}",
                    path.display(),
                    path.join("export.md").display()
                );
            }
            if path.exists() && !force {
                bail!(
                    "{} already exists; pass --force to replace it",
                    path.display()
                );
            }
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            crate::util::write_atomic(path, text.as_bytes())
        }
    }
}

/// Make `dir` ready for a multi-file export: created if missing; an existing
/// non-empty directory is refused unless `force`.
pub fn prepare_dir(dir: &Path, force: bool) -> anyhow::Result<()> {
    if dir.exists() {
        if !dir.is_dir() {
            bail!("{} exists and is not a directory", dir.display());
        }
        let mut entries =
            std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
        if entries.next().is_some() && !force {
            bail!(
                "{} is not empty; choose a new directory or pass --force (which replaces only the report's own files and deletes nothing)",
                dir.display()
            );
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

/// Whether lower or higher is better for a metric: the project's goal for its primary
/// metric, else a judgement from the name; `None` when the name says nothing
/// (a learning rate, a gradient norm).
pub fn goal_of(key: &str, manifest: Option<&Manifest>) -> Option<Goal> {
    if let Some(m) = manifest {
        if m.primary_metric.as_deref() == Some(key) {
            if let Some(g) = m.goal {
                return Some(g);
            }
        }
    }
    let k = key.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| k.contains(w));
    if has(&[
        "loss",
        "wer",
        "cer",
        "error",
        "perplexity",
        "ppl",
        "latency",
        "_ms",
        "rtf",
        "mse",
        "mae",
        "cutoff",
        "interruptions",
        "snr_error",
    ]) {
        return Some(Goal::Min);
    }
    if has(&[
        "acc",
        "f1",
        "auc",
        "precision",
        "recall",
        "stoi",
        "pesq",
        "bleu",
        "mos",
        "r1_",
        "r5_",
        "r10_",
        "tokens_per_s",
        "throughput",
        "score",
        "reward",
        "silhouette",
        "success",
        "sim",
        "agreement",
    ]) {
        return Some(Goal::Max);
    }
    None
}

pub fn goal_text(g: Option<Goal>) -> &'static str {
    match g {
        Some(Goal::Min) => "lower is better",
        Some(Goal::Max) => "higher is better",
        None => "no direction known",
    }
}

/// Text safe inside a Markdown table cell.
pub fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// Inline code, with a fence long enough for backticks inside.
pub fn code(s: &str) -> String {
    let mut fence = String::from("`");
    while s.contains(fence.as_str()) {
        fence.push('`');
    }
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A fenced code block whose fence cannot clash with the content.
pub fn code_block(lang: &str, body: &str) -> String {
    let mut fence = String::from("```");
    while body.contains(fence.as_str()) {
        fence.push('`');
    }
    format!("{fence}{lang}\n{}\n{fence}\n", body.trim_end())
}

/// A note prepared for quoting in a document.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteText {
    pub id: i64,
    pub title: String,
    pub created_at: String,
    /// Text before the first heading (the title line removed).
    pub intro: String,
    /// `(heading, text)` for each heading of the note.
    pub sections: Vec<(String, String)>,
}

impl NoteText {
    pub fn from_note(n: &crate::notes::Note) -> NoteText {
        let (intro, sections) = split_sections(&n.body, &n.summary.title);
        NoteText {
            id: n.summary.id,
            title: n.summary.title.clone(),
            created_at: n.summary.created_at.clone(),
            intro,
            sections,
        }
    }

    /// Sections whose heading contains one of `words` (case-insensitive); a note whose
    /// title contains one of them counts whole.
    pub fn matching(&self, words: &[&str]) -> Vec<String> {
        let hit = |h: &str| {
            let h = h.to_lowercase();
            words.iter().any(|w| h.contains(w))
        };
        if hit(&self.title) && self.sections.iter().all(|(h, _)| !hit(h)) {
            return vec![self.whole()];
        }
        self.sections
            .iter()
            .filter(|(h, _)| hit(h))
            .map(|(_, t)| t.clone())
            .filter(|t| !t.trim().is_empty())
            .collect()
    }

    /// The whole note without its title line, headings demoted to level 4.
    pub fn whole(&self) -> String {
        let mut s = self.intro.trim().to_string();
        for (h, t) in &self.sections {
            if !s.is_empty() {
                s.push_str("\n\n");
            }
            s.push_str(&format!("#### {h}\n\n{}", t.trim()));
        }
        s
    }
}

/// Split a Markdown body at its headings (outside code fences). The first level-1
/// heading equal to `title` is dropped; nested headings stay inside their section's
/// text, demoted so they sit below the document's own headings.
pub fn split_sections(body: &str, title: &str) -> (String, Vec<(String, String)>) {
    let mut intro = String::new();
    let mut sections: Vec<(String, String)> = Vec::new();
    let mut in_fence = false;
    let mut top: Option<usize> = None;
    let mut dropped_title = false;
    for line in body.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
        }
        let level = if in_fence {
            0
        } else {
            t.chars().take_while(|c| *c == '#').count()
        };
        let is_heading = (1..=6).contains(&level) && t[level..].starts_with(' ');
        if is_heading {
            let text = t[level..].trim().trim_end_matches('#').trim().to_string();
            if level == 1 && !dropped_title && text == title.trim() {
                dropped_title = true;
                continue;
            }
            let lvl = top.get_or_insert(level);
            if level <= *lvl {
                *lvl = level;
                sections.push((text, String::new()));
                continue;
            }
            let demoted = format!("{} {text}", "#".repeat((level - *lvl + 4).min(6)));
            if let Some((_, s)) = sections.last_mut() {
                s.push_str(&demoted);
                s.push('\n');
            }
            continue;
        }
        match sections.last_mut() {
            Some((_, s)) => {
                s.push_str(line);
                s.push('\n');
            }
            None => {
                intro.push_str(line);
                intro.push('\n');
            }
        }
    }
    let sections = sections
        .into_iter()
        .map(|(h, t)| (h, t.trim().to_string()))
        .collect();
    (intro.trim().to_string(), sections)
}

/// Citation numbering for one document: `[@a; @b]` becomes `[1, 2]`, numbered in
/// order of first use; wiki links `[[Note]]` become the note's name in italics.
#[derive(Debug, Default, Clone)]
pub struct Citations {
    pub order: Vec<String>,
}

impl Citations {
    pub fn number(&mut self, key: &str) -> usize {
        match self.order.iter().position(|k| k == key) {
            Some(i) => i + 1,
            None => {
                self.order.push(key.to_string());
                self.order.len()
            }
        }
    }

    /// Render note text for the document.
    pub fn render(&mut self, text: &str) -> String {
        let t = crate::util::replace_cites(text, |keys| {
            let n: Vec<String> = keys.iter().map(|k| self.number(k).to_string()).collect();
            format!("[{}]", n.join(", "))
        });
        WIKI.replace_all(&t, "*$1*").into_owned()
    }

    /// The numbered bibliography (empty string when nothing was cited).
    pub fn bibliography(&self, conn: &Connection) -> anyhow::Result<String> {
        if self.order.is_empty() {
            return Ok(String::new());
        }
        let papers: HashMap<String, crate::papers::Paper> = crate::papers::list(conn)?
            .into_iter()
            .map(|p| (p.key.clone(), p))
            .collect();
        let mut s = String::new();
        for (i, k) in self.order.iter().enumerate() {
            match papers.get(k) {
                Some(p) => s.push_str(&format!("{}. {}\n", i + 1, reference(p))),
                None => s.push_str(&format!(
                    "{}. {} — not in the library; add it with `labbook paper add` or `labbook paper import`\n",
                    i + 1,
                    code(k)
                )),
            }
        }
        Ok(s)
    }
}

static WIKI: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"\[\[([^\[\]]+)\]\]").expect("static regex"));

/// One reference: authors (year). *Title*. Venue. link. `[key]`
pub fn reference(p: &crate::papers::Paper) -> String {
    let mut s = String::new();
    if !p.authors.is_empty() {
        s.push_str(&p.authors);
        s.push(' ');
    }
    if let Some(y) = &p.year {
        s.push_str(&format!("({y}). "));
    } else if !s.is_empty() {
        s = format!("{}. ", s.trim_end());
    }
    s.push_str(&format!("*{}*.", p.title.trim_end_matches('.')));
    if let Some(v) = p.venue.as_ref().filter(|v| !v.is_empty()) {
        s.push_str(&format!(" {v}."));
    }
    if let Some(a) = &p.arxiv {
        s.push_str(&format!(" [arXiv:{a}](https://arxiv.org/abs/{a})."));
    } else if let Some(d) = &p.doi {
        s.push_str(&format!(" [doi:{d}](https://doi.org/{d})."));
    } else if let Some(u) = &p.url {
        s.push_str(&format!(" <{u}>."));
    }
    s.push_str(&format!(" {}", code(&p.key)));
    s
}

/// A date-time stored as RFC 3339 → its date, when it parses.
pub fn date_of(ts: &str) -> Option<chrono::NaiveDate> {
    chrono::DateTime::parse_from_rfc3339(ts)
        .map(|d| d.date_naive())
        .ok()
        .or_else(|| chrono::NaiveDate::parse_from_str(crate::util::prefix(ts, 10), "%Y-%m-%d").ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_split_at_the_top_heading_level_outside_fences() {
        let body = "# My note\n\nintro line\n\n## Abstract\nWe ask X.\n### Detail\nmore\n## Discussion\n```\n# not a heading\n```\nok\n";
        let (intro, s) = split_sections(body, "My note");
        assert_eq!(intro, "intro line");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].0, "Abstract");
        assert_eq!(s[0].1, "We ask X.\n##### Detail\nmore");
        assert!(s[1].1.contains("# not a heading"));
    }

    #[test]
    fn citations_are_numbered_in_order_of_first_use() {
        let mut c = Citations::default();
        assert_eq!(
            c.render("see [@b; @a] and [@b], [[Other note]]"),
            "see [1, 2] and [1], *Other note*"
        );
        assert_eq!(c.order, ["b", "a"]);
    }

    #[test]
    fn goals_come_from_the_project_then_the_name() {
        assert_eq!(goal_of("val_loss", None), Some(Goal::Min));
        assert_eq!(goal_of("eval.wer", None), Some(Goal::Min));
        assert_eq!(goal_of("val_f1", None), Some(Goal::Max));
        assert_eq!(goal_of("lr", None), None);
        assert_eq!(goal_of("grad_norm", None), None);
    }

    #[test]
    fn markdown_helpers_escape() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(code("x`y"), "``x`y``");
        assert!(code_block("sh", "a ``` b").starts_with("````sh"));
    }
}
