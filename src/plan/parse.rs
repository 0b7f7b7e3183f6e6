//! Curriculum parser: one Markdown file per step, read with pulldown-cmark.
//!
//! Structure (documented in `curriculum/README.md`):
//! `# Title {#s1 weeks=1-2}`, then `##` sections named Topics / Resources / Papers /
//! Hands-on / Tasks / Deliverables / Notes, each holding list items that start with a
//! stable id in backticks. Anything off that structure is an error naming file and line.

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use regex::Regex;

use super::model::{Item, ItemKind, Plan, Step, NOMINAL_WEEKS};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ParseError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Where each id of a set of files was first used, so a second use is refused naming
/// both places (the curriculum's step and item ids, the question bank's ids).
#[derive(Debug, Default)]
pub struct IdIndex(HashMap<String, (String, usize)>);

impl IdIndex {
    /// Record `id` at `file:line`; `what` names it in the error ("step id", "id").
    pub fn claim(
        &mut self,
        what: &str,
        id: &str,
        file: &str,
        line: usize,
    ) -> Result<(), ParseError> {
        if let Some((f, l)) = self.0.get(id) {
            return Err(ParseError {
                file: file.to_string(),
                line,
                message: format!("{what} `{id}` is already used by {f}:{l}"),
            });
        }
        self.0.insert(id.to_string(), (file.to_string(), line));
        Ok(())
    }
}

impl ParseError {
    /// A set of files without a single one to read (`what`: "curriculum", "question").
    pub fn no_files(what: &str, dir: &str) -> ParseError {
        ParseError {
            file: format!("({dir})"),
            line: 0,
            message: format!("no {what} files (*.md other than README.md)"),
        }
    }
}

static ID_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9][a-z0-9.\-]*$").expect("static regex"));
static STRAY_ATTRS_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\s*(week|hours|project)\s*=").expect("static regex"));
static ATTRS_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*\{([^{}]*=[^{}]*)\}\s*$").expect("static regex"));

#[derive(Clone, Copy, PartialEq)]
enum Section {
    Items(ItemKind),
    Notes,
}

fn section_for(name: &str) -> Option<Section> {
    let n = name.trim().to_ascii_lowercase();
    match n.as_str() {
        "notes" => Some(Section::Notes),
        "hands-on" | "hands on" | "handson" => Some(Section::Items(ItemKind::HandsOn)),
        _ => ItemKind::ALL
            .into_iter()
            .find(|k| k.section().to_ascii_lowercase() == n)
            .map(Section::Items),
    }
}

/// An item being built while its events stream past.
struct Pending {
    line: usize,
    id: Option<String>,
    first_para_done: bool,
    title: String,
    detail: String,
    saw_content: bool,
}

struct StepParser<'a> {
    file: &'a str,
    step: Option<Step>,
    section: Option<Section>,
    seen_sections: Vec<String>,
    group: Option<String>,
    heading: Option<(HeadingLevel, usize, String)>,
    list_depth: usize,
    item: Option<Pending>,
    in_summary_para: bool,
}

impl<'a> StepParser<'a> {
    fn err(&self, line: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            file: self.file.to_string(),
            line,
            message: message.into(),
        }
    }
}

/// Parse one curriculum file. `file` names it in errors.
pub fn parse_step(file: &str, text: &str) -> Result<Step, ParseError> {
    let lines = crate::util::LineIndex::new(text);
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    let mut p = StepParser {
        file,
        step: None,
        section: None,
        seen_sections: Vec::new(),
        group: None,
        heading: None,
        list_depth: 0,
        item: None,
        in_summary_para: false,
    };
    for (event, range) in Parser::new_ext(text, opts).into_offset_iter() {
        let line = lines.line(range.start);
        handle(&mut p, event, line)?;
    }
    let step = p.step.ok_or_else(|| ParseError {
        file: file.to_string(),
        line: 1,
        message: "no step heading: the file must start with `# Title {#id weeks=A-B}`".into(),
    })?;
    Ok(step)
}

fn handle(p: &mut StepParser, event: Event, line: usize) -> Result<(), ParseError> {
    // Inside a heading: collect its text.
    if let Some((level, hline, text)) = p.heading.as_mut() {
        match event {
            Event::End(TagEnd::Heading(_)) => {
                let (level, hline, text) = (*level, *hline, text.trim().to_string());
                p.heading = None;
                return heading_done(p, level, hline, text);
            }
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
        return Ok(());
    }
    match event {
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => {
            if !classes.is_empty() {
                return Err(p.err(line, format!("heading classes (`.{}`) are not used; only `{{#id weeks=A-B}}` on the step heading", classes[0])));
            }
            if p.list_depth > 0 {
                return Err(p.err(line, "heading inside a list item"));
            }
            if level == HeadingLevel::H1 {
                if p.step.is_some() {
                    return Err(p.err(line, "a second level-1 heading: one step per file"));
                }
                let id = id.map(|s| s.to_string()).ok_or_else(|| {
                    p.err(
                        line,
                        "step heading has no id: end it with `{#s1 weeks=1-2}`",
                    )
                })?;
                if !ID_RE.is_match(&id) {
                    return Err(p.err(
                        line,
                        format!("step id `{id}` must match [a-z0-9][a-z0-9.-]*"),
                    ));
                }
                let mut weeks = None;
                for (k, v) in attrs {
                    match (k.as_ref(), v) {
                        ("weeks", Some(v)) => {
                            weeks = Some(parse_weeks(&v).map_err(|m| p.err(line, m))?)
                        }
                        (k, _) => {
                            return Err(p.err(
                                line,
                                format!("unknown step attribute `{k}` (expected weeks=A-B)"),
                            ))
                        }
                    }
                }
                let (from, to) = weeks.ok_or_else(|| {
                    p.err(
                        line,
                        "step heading has no weeks: add `weeks=A-B` inside the braces",
                    )
                })?;
                p.step = Some(Step {
                    id,
                    title: String::new(),
                    summary: String::new(),
                    week_from: from,
                    week_to: to,
                    source: p.file.to_string(),
                    items: Vec::new(),
                });
            } else if p.step.is_none() {
                return Err(p.err(
                    line,
                    "the file must start with the step heading `# Title {#id weeks=A-B}`",
                ));
            }
            p.heading = Some((level, line, String::new()));
        }
        Event::Start(Tag::List(start)) => {
            if p.list_depth == 0 && start.is_some() && matches!(p.section, Some(Section::Items(_)))
            {
                return Err(p.err(line, "numbered lists are not items: use `-` bullets"));
            }
            if p.list_depth == 0 {
                match p.section {
                    None if p.step.is_none() => {
                        return Err(p.err(line, "the file must start with the step heading `# Title {#id weeks=A-B}`"))
                    }
                    None => {
                        return Err(p.err(line, "list outside a section: put items under `## Topics`, `## Resources`, `## Papers`, `## Hands-on`, `## Tasks` or `## Deliverables`"))
                    }
                    Some(Section::Notes) => {
                        return Err(p.err(line, "lists are not allowed under `## Notes` (it holds prose only)"))
                    }
                    Some(Section::Items(_)) => {}
                }
            } else if let Some(it) = p.item.as_mut() {
                it.first_para_done = true;
                if !it.detail.is_empty() && !it.detail.ends_with('\n') {
                    it.detail.push('\n');
                }
            }
            p.list_depth += 1;
        }
        Event::End(TagEnd::List(_)) => {
            p.list_depth = p.list_depth.saturating_sub(1);
        }
        Event::Start(Tag::Item) => {
            if p.list_depth == 1 {
                p.item = Some(Pending {
                    line,
                    id: None,
                    first_para_done: false,
                    title: String::new(),
                    detail: String::new(),
                    saw_content: false,
                });
            } else if let Some(it) = p.item.as_mut() {
                let indent = "  ".repeat(p.list_depth.saturating_sub(2));
                if !it.detail.is_empty() && !it.detail.ends_with('\n') {
                    it.detail.push('\n');
                }
                it.detail.push_str(&indent);
                it.detail.push_str("- ");
            }
        }
        Event::End(TagEnd::Item) if p.list_depth == 1 => {
            if let Some(it) = p.item.take() {
                finish_item(p, it)?;
            }
        }
        Event::Start(Tag::Paragraph) => {
            if p.step.is_none() {
                return Err(p.err(
                    line,
                    "the file must start with the step heading `# Title {#id weeks=A-B}`",
                ));
            }
            if p.list_depth == 0 && matches!(p.section, Some(Section::Items(_))) {
                return Err(p.err(line, "text outside a list item: put prose in an item's detail (indented under it) or under `## Notes`"));
            }
            if p.list_depth == 0 {
                if p.section.is_none() {
                    p.in_summary_para = true;
                    if let Some(s) = p.step.as_mut() {
                        if !s.summary.is_empty() {
                            s.summary.push_str("\n\n");
                        }
                    }
                }
            } else if let Some(it) = p.item.as_mut() {
                if it.saw_content && !it.first_para_done {
                    it.first_para_done = true;
                }
                if it.first_para_done && !it.detail.is_empty() && !it.detail.ends_with("- ") {
                    it.detail.push('\n');
                }
            }
        }
        Event::End(TagEnd::Paragraph) => {
            if p.list_depth == 0 {
                p.in_summary_para = false;
            } else if let Some(it) = p.item.as_mut() {
                if it.saw_content {
                    it.first_para_done = true;
                }
            }
        }
        Event::Code(code) => {
            if let Some(it) = p.item.as_mut() {
                if p.list_depth == 1 && !it.saw_content && it.id.is_none() {
                    it.id = Some(code.to_string());
                    it.saw_content = true;
                } else {
                    push_inline(it, p.list_depth, &code);
                }
            } else if p.in_summary_para {
                push_summary(p, &code);
            }
        }
        Event::Text(t) => {
            if let Some(it) = p.item.as_mut() {
                push_inline(it, p.list_depth, &t);
            } else if p.in_summary_para {
                push_summary(p, &t);
            }
        }
        Event::SoftBreak | Event::HardBreak => {
            if let Some(it) = p.item.as_mut() {
                push_inline(it, p.list_depth, " ");
            } else if p.in_summary_para {
                push_summary(p, " ");
            }
        }
        Event::Start(Tag::CodeBlock(_) | Tag::BlockQuote(_) | Tag::HtmlBlock)
            if p.list_depth == 0 && matches!(p.section, Some(Section::Items(_))) =>
        {
            return Err(p.err(line, "a block outside a list item: put it in an item's detail (indented under it) or under `## Notes`"));
        }
        Event::TaskListMarker(_) => {
            return Err(p.err(
                line,
                "checkboxes are not used in the curriculum: progress is kept by labbook",
            ));
        }
        _ => {}
    }
    Ok(())
}

fn push_summary(p: &mut StepParser, text: &str) {
    if let Some(s) = p.step.as_mut() {
        s.summary.push_str(text);
    }
}

fn push_inline(it: &mut Pending, depth: usize, text: &str) {
    if depth == 1 && !it.first_para_done {
        it.title.push_str(text);
    } else {
        it.detail.push_str(text);
    }
    it.saw_content = true;
}

fn heading_done(
    p: &mut StepParser,
    level: HeadingLevel,
    line: usize,
    text: String,
) -> Result<(), ParseError> {
    match level {
        HeadingLevel::H1 => {
            if text.is_empty() {
                return Err(p.err(line, "the step heading has no title"));
            }
            if let Some(s) = p.step.as_mut() {
                s.title = text;
            }
        }
        HeadingLevel::H2 => {
            let section = section_for(&text).ok_or_else(|| {
                p.err(
                    line,
                    format!("unknown section `{text}`: expected Topics, Resources, Papers, Hands-on, Tasks, Deliverables or Notes"),
                )
            })?;
            let norm = text.to_ascii_lowercase();
            if p.seen_sections.contains(&norm) {
                return Err(p.err(line, format!("section `{text}` appears twice in this step")));
            }
            p.seen_sections.push(norm);
            p.section = Some(section);
            p.group = None;
        }
        _ => {
            if p.section.is_none() {
                return Err(p.err(
                    line,
                    format!("heading `{text}` outside a section: add a `##` section above it"),
                ));
            }
            p.group = Some(text);
        }
    }
    Ok(())
}

fn finish_item(p: &mut StepParser, it: Pending) -> Result<(), ParseError> {
    let Some(Section::Items(kind)) = p.section else {
        return Err(p.err(it.line, "list item outside an item section"));
    };
    let t = it.title.trim_start();
    if t.starts_with("[ ]") || t.starts_with("[x]") || t.starts_with("[X]") {
        return Err(p.err(
            it.line,
            "checkboxes are not used in the curriculum: progress is kept by labbook",
        ));
    }
    let id = it.id.ok_or_else(|| {
        p.err(it.line, "list item has no id: start it with a stable id in backticks, e.g. - `s1.attention` Title")
    })?;
    if !ID_RE.is_match(&id) {
        return Err(p.err(
            it.line,
            format!("item id `{id}` must match [a-z0-9][a-z0-9.-]*"),
        ));
    }
    let step = p
        .step
        .as_ref()
        .ok_or_else(|| p.err(it.line, "item before the step heading"))?;
    if let Some(prev) = step.items.iter().find(|i| i.id == id) {
        return Err(p.err(
            it.line,
            format!("duplicate id `{id}` (first used on line {})", prev.line),
        ));
    }
    let mut title = it.title.trim().to_string();
    let (mut week, mut hours, mut project) = (None, None, None);
    if let Some(caps) = ATTRS_RE.captures(&title) {
        let whole = caps.get(0).map(|m| m.start()).unwrap_or(title.len());
        for pair in caps[1].split_whitespace() {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| p.err(it.line, format!("attribute `{pair}` is not key=value")))?;
            match k {
                "week" => {
                    let w: u32 = v
                        .parse()
                        .map_err(|_| p.err(it.line, format!("week=`{v}` is not a number")))?;
                    if w < step.week_from || w > step.week_to {
                        return Err(p.err(
                            it.line,
                            format!(
                                "week={w} lies outside the step's weeks {}-{}",
                                step.week_from, step.week_to
                            ),
                        ));
                    }
                    week = Some(w);
                }
                "hours" => {
                    let h: f64 = v
                        .parse()
                        .ok()
                        .filter(|h: &f64| h.is_finite() && *h > 0.0)
                        .ok_or_else(|| {
                            p.err(it.line, format!("hours=`{v}` is not a positive number"))
                        })?;
                    hours = Some(h);
                }
                "project" => project = Some(v.to_string()),
                other => {
                    return Err(p.err(
                        it.line,
                        format!("unknown item attribute `{other}` (expected week, hours, project)"),
                    ))
                }
            }
        }
        title.truncate(whole);
    }
    if STRAY_ATTRS_RE.is_match(&title) {
        return Err(p.err(
            it.line,
            "an attribute block `{…}` must end the item's first paragraph",
        ));
    }
    let refs = crate::util::cite_keys(&format!("{title}\n{}", it.detail));
    let title = collapse_ws(&crate::util::strip_cites(&title));
    let title = title
        .trim_end_matches([' ', '—', '-', ':', ','])
        .trim()
        .to_string();
    if title.is_empty() {
        return Err(p.err(it.line, format!("item `{id}` has no title")));
    }
    let detail = it
        .detail
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let group = p.group.clone();
    if let Some(step) = p.step.as_mut() {
        step.items.push(Item {
            id,
            kind,
            group,
            title,
            detail,
            week,
            hours,
            project,
            refs,
            line: it.line,
        });
    }
    Ok(())
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn parse_weeks(v: &str) -> Result<(u32, u32), String> {
    let (a, b) = v.split_once('-').unwrap_or((v, v));
    let a: u32 = a
        .trim()
        .parse()
        .map_err(|_| format!("weeks=`{v}` is not A-B"))?;
    let b: u32 = b
        .trim()
        .parse()
        .map_err(|_| format!("weeks=`{v}` is not A-B"))?;
    if a == 0 || b < a || b > NOMINAL_WEEKS {
        return Err(format!(
            "weeks={v} must satisfy 1 <= A <= B <= {NOMINAL_WEEKS} (weeks of the nominal {NOMINAL_WEEKS}-week plan)"
        ));
    }
    Ok((a, b))
}

/// Parse a set of (file name, text) sources into a plan, ordered by file name, and
/// check that ids are unique across files.
pub fn parse_sources<'a>(
    sources: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Plan, ParseError> {
    let mut sources: Vec<_> = sources.into_iter().collect();
    sources.sort_by(|a, b| a.0.cmp(b.0));
    let mut plan = Plan::default();
    let mut ids = IdIndex::default();
    for (name, text) in sources {
        let step = parse_step(name, text)?;
        ids.claim("step id", &step.id, name, 1)?;
        for item in &step.items {
            ids.claim("id", &item.id, name, item.line)?;
        }
        plan.steps.push(step);
    }
    if plan.steps.is_empty() {
        return Err(ParseError::no_files("curriculum", "curriculum"));
    }
    Ok(plan)
}

/// Load every `*.md` file (except README.md) of a curriculum directory.
pub fn load_dir(dir: &Path) -> anyhow::Result<Plan> {
    let files = crate::util::markdown_files(dir, "curriculum directory")?;
    let plan = parse_sources(files.iter().map(|(_, p, t)| (p.as_str(), t.as_str())))?;
    Ok(plan)
}
