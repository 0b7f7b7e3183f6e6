//! The interview question bank: one Markdown file per topic (`data/questions/*.md`),
//! read strictly by the rules of `data/questions/README.md`. Anything off the format is
//! an error naming the file and the line.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::LazyLock;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use regex::Regex;
use serde::Serialize;

pub use crate::plan::parse::ParseError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Theory,
    Coding,
    Design,
    Research,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Theory, Kind::Coding, Kind::Design, Kind::Research];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Theory => "theory",
            Kind::Coding => "coding",
            Kind::Design => "design",
            Kind::Research => "research",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Core,
    Deep,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Core => "core",
            Level::Deep => "deep",
        }
    }
}

/// A fenced code block of a coding answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Code {
    pub lang: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Question {
    /// `q.<topic>.<slug>`, unique across the bank.
    pub id: String,
    /// The file's topic name (`transformers`).
    pub topic: String,
    /// The plan item the file serves (`s8.transformers`).
    pub item: String,
    pub kind: Kind,
    pub level: Level,
    /// The question as asked (the heading without its attribute block).
    pub text: String,
    /// The whole model answer as Markdown (paragraphs, the code block, the
    /// "In your own work" and "Follow-up" paragraphs).
    pub answer: String,
    /// The model answer's own paragraphs, without the two conventions below.
    pub body: String,
    pub code: Option<Code>,
    pub own_work: Option<String>,
    pub follow_up: Option<String>,
    /// Citation keys used in the answer, in order of first use.
    pub cites: Vec<String>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Topic {
    /// File name without `.md`.
    pub name: String,
    /// Where it came from (a path, or `data/questions/<name>.md` when built in).
    pub file: String,
    /// The plan item of the title's attribute block.
    pub item: String,
    pub title: String,
    pub key_points: Vec<String>,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Bank {
    pub topics: Vec<Topic>,
}

impl Bank {
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.topics.iter().flat_map(|t| t.questions.iter())
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions().find(|q| q.id == id)
    }

    pub fn topic(&self, name: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.name == name)
    }

    /// Plan items the bank serves, in file order, without repeats.
    pub fn items(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for t in &self.topics {
            if !out.contains(&t.item.as_str()) {
                out.push(&t.item);
            }
        }
        out
    }

    /// Check the bank against the plan (every title's item exists) and the reading
    /// list (every citation key exists). Returns every problem found.
    pub fn check_refs(&self, items: &HashSet<String>, papers: &HashSet<String>) -> Vec<ParseError> {
        let mut errs = Vec::new();
        for t in &self.topics {
            if !items.contains(&t.item) {
                errs.push(ParseError {
                    file: t.file.clone(),
                    line: 1,
                    message: format!("topic id `{}` is not an item of the plan", t.item),
                });
            }
            for q in &t.questions {
                for k in &q.cites {
                    if !papers.contains(k) {
                        errs.push(ParseError {
                            file: t.file.clone(),
                            line: q.line,
                            message: format!(
                                "{}: citation key `{k}` is not in the reading list",
                                q.id
                            ),
                        });
                    }
                }
            }
        }
        errs
    }
}

static FILE_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9-]+$").expect("static regex"));
static TITLE_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(.*\S)\s+\{#([a-z0-9][a-z0-9.\-]*)\}$").expect("static regex"));
static QUESTION_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(.*\S)\s+\{#(\S+) kind=(\S+) level=(\S+)\}$").expect("static regex")
});
static QID_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^q\.([a-z0-9-]+)\.([a-z0-9-]+)$").expect("static regex"));

pub const MIN_KEY_POINTS: usize = 5;
pub const MAX_KEY_POINTS: usize = 8;
pub const MIN_QUESTIONS: usize = 10;
pub const MAX_QUESTIONS: usize = 14;
pub const MAX_CODE_LINES: usize = 25;

/// A top-level block of the file, as pulldown-cmark sees it.
#[derive(Debug)]
enum Block {
    Heading {
        level: HeadingLevel,
        text: String,
    },
    Paragraph {
        src: String,
        html: bool,
    },
    List {
        ordered: bool,
        items: Vec<(usize, String, bool)>,
    },
    Code {
        fenced: bool,
        lang: String,
        text: String,
    },
    Other(&'static str),
}

fn blocks(text: &str) -> Vec<(usize, Block)> {
    let lines = crate::util::LineIndex::new(text);
    let mut out = Vec::new();
    let parser = Parser::new_ext(text, Options::ENABLE_TABLES).into_offset_iter();
    let mut depth = 0usize;
    let mut cur: Option<(usize, Block)> = None;
    // List state: (item start line, item source, item holds more than one line of text or nested blocks)
    let mut item: Option<(usize, String, bool)> = None;
    let mut item_depth = 0usize;
    for (ev, range) in parser {
        match ev {
            Event::Start(tag) => {
                depth += 1;
                if depth == 1 {
                    let line = lines.line(range.start);
                    let b = match tag {
                        Tag::Heading { level, .. } => Block::Heading {
                            level,
                            text: String::new(),
                        },
                        Tag::Paragraph => Block::Paragraph {
                            src: text[range.clone()].trim().to_string(),
                            html: false,
                        },
                        Tag::List(start) => Block::List {
                            ordered: start.is_some(),
                            items: Vec::new(),
                        },
                        Tag::CodeBlock(kind) => {
                            let (fenced, lang) = match kind {
                                CodeBlockKind::Fenced(l) => (true, l.to_string()),
                                CodeBlockKind::Indented => (false, String::new()),
                            };
                            Block::Code {
                                fenced,
                                lang,
                                text: String::new(),
                            }
                        }
                        Tag::Table(_) => Block::Other("a table"),
                        Tag::HtmlBlock => Block::Other("HTML"),
                        Tag::BlockQuote(_) => Block::Other("a block quote"),
                        _ => Block::Other("an unsupported block"),
                    };
                    cur = Some((line, b));
                } else if let Some((_, Block::List { .. })) = &cur {
                    if matches!(tag, Tag::Item) && depth == 2 {
                        let src = text[range.clone()].trim_end().to_string();
                        let multi = src.contains('\n');
                        item = Some((lines.line(range.start), src, multi));
                        item_depth = depth;
                    } else if depth > 2 {
                        if let Some(it) = item.as_mut() {
                            // A paragraph inside a loose item or a nested list.
                            if !matches!(
                                tag,
                                Tag::Emphasis
                                    | Tag::Strong
                                    | Tag::Link { .. }
                                    | Tag::Strikethrough
                                    | Tag::Superscript
                                    | Tag::Subscript
                            ) {
                                it.2 = true;
                            }
                        }
                    }
                }
            }
            Event::End(end) => {
                if depth == item_depth && matches!(end, TagEnd::Item) {
                    if let (Some(it), Some((_, Block::List { items, .. }))) =
                        (item.take(), cur.as_mut())
                    {
                        items.push(it);
                    }
                }
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    if let Some(b) = cur.take() {
                        out.push(b);
                    }
                }
            }
            Event::Text(t) | Event::Code(t) => match cur.as_mut() {
                Some((_, Block::Heading { text: h, .. })) => h.push_str(&t),
                Some((_, Block::Code { text: c, .. })) => c.push_str(&t),
                _ => {}
            },
            Event::InlineHtml(_) | Event::InlineMath(_) | Event::DisplayMath(_) => {
                if let Some((_, Block::Paragraph { html, .. })) = cur.as_mut() {
                    *html = true;
                }
            }
            Event::Html(_) => {
                if depth == 0 {
                    out.push((lines.line(range.start), Block::Other("HTML")));
                } else if let Some((_, Block::Paragraph { html, .. })) = cur.as_mut() {
                    *html = true;
                }
            }
            Event::Rule => out.push((lines.line(range.start), Block::Other("a rule"))),
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, Block::Heading { text: h, .. })) = cur.as_mut() {
                    h.push(' ');
                }
            }
            _ => {}
        }
    }
    out
}

/// Parse one topic file. `name` is the file name (`transformers.md`), `file` what
/// errors call it (usually its path).
pub fn parse_topic(name: &str, file: &str, text: &str) -> Result<Topic, ParseError> {
    let err = |line: usize, message: String| ParseError {
        file: file.to_string(),
        line,
        message,
    };
    let stem = name.strip_suffix(".md").unwrap_or(name);
    if !name.ends_with(".md") || !FILE_RE.is_match(stem) {
        return Err(err(
            0,
            format!(
                "file name `{name}` must be `<topic>.md` with lower-case letters, digits and `-`"
            ),
        ));
    }
    let blocks = blocks(text);
    let mut it = blocks.into_iter().peekable();
    // Title.
    let (item, title) = match it.next() {
        Some((
            1,
            Block::Heading {
                level: HeadingLevel::H1,
                text: h,
            },
        )) => {
            let c = TITLE_RE.captures(h.trim()).ok_or_else(|| {
                err(
                    1,
                    "the title must end with the topic id as `{#s8.topic}`".to_string(),
                )
            })?;
            (c[2].to_string(), c[1].trim().to_string())
        }
        Some((line, _)) if line != 1 => {
            return Err(err(
                1,
                "the first line must be the title (`# Title {#s8.topic}`)".into(),
            ))
        }
        Some((line, _)) => {
            return Err(err(
                line,
                "the first line must be a level-1 heading (`# Title {#s8.topic}`)".into(),
            ))
        }
        None => return Err(err(1, "empty file: expected `# Title {#s8.topic}`".into())),
    };
    // Key points.
    let key_points = match it.next() {
        Some((_, Block::Paragraph { src, .. })) if src == "Key points:" => match it.next() {
            Some((
                line,
                Block::List {
                    ordered: false,
                    items,
                },
            )) => {
                let mut pts = Vec::new();
                for (l, src, multi) in items {
                    if multi {
                        return Err(err(l, "a key point must be a single line".into()));
                    }
                    let p = src.trim_start_matches(['-', '*', '+']).trim().to_string();
                    if p.is_empty() {
                        return Err(err(l, "empty key point".into()));
                    }
                    pts.push(p);
                }
                if !(MIN_KEY_POINTS..=MAX_KEY_POINTS).contains(&pts.len()) {
                    return Err(err(
                        line,
                        format!(
                            "{} key points; a topic has {MIN_KEY_POINTS} to {MAX_KEY_POINTS}",
                            pts.len()
                        ),
                    ));
                }
                pts
            }
            Some((line, _)) => {
                return Err(err(
                    line,
                    "expected the bullet list of key points after `Key points:`".into(),
                ))
            }
            None => return Err(err(0, "no key points after `Key points:`".into())),
        },
        Some((line, _)) => {
            return Err(err(
                line,
                "expected a paragraph reading exactly `Key points:` after the title".into(),
            ))
        }
        None => return Err(err(1, "no `Key points:` after the title".into())),
    };
    // Questions.
    let mut questions: Vec<Question> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    while let Some((line, b)) = it.next() {
        let h = match b {
            Block::Heading {
                level: HeadingLevel::H2,
                text,
            } => text,
            Block::Heading { .. } => {
                return Err(err(
                    line,
                    "only `##` question headings may follow the key points".into(),
                ))
            }
            // Blocks after a question are its answer (consumed below), so only the
            // key points can be followed by one.
            _ => {
                return Err(err(
                    line,
                    "expected a question heading (`## … {#q.topic.slug kind=… level=…}`) after the key points".into(),
                ))
            }
        };
        let c = QUESTION_RE.captures(h.trim()).ok_or_else(|| {
            err(
                line,
                "a question heading must end with `{#q.<topic>.<slug> kind=<kind> level=<level>}`"
                    .into(),
            )
        })?;
        let (qtext, id, kind, level) = (c[1].trim(), &c[2], &c[3], &c[4]);
        let idc = QID_RE.captures(id).ok_or_else(|| {
            err(
                line,
                format!("question id `{id}` must be `q.<topic>.<slug>` with `[a-z0-9-]+` parts"),
            )
        })?;
        if &idc[1] != stem {
            return Err(err(
                line,
                format!("question id `{id}`: the topic part must be the file name, `{stem}`"),
            ));
        }
        if let Some(prev) = seen.get(id) {
            return Err(err(
                line,
                format!("question id `{id}` is already used on line {prev}"),
            ));
        }
        seen.insert(id.to_string(), line);
        let kind = Kind::parse(kind).ok_or_else(|| {
            err(
                line,
                format!("kind `{kind}`: expected theory, coding, design or research"),
            )
        })?;
        let level = match level {
            "core" => Level::Core,
            "deep" => Level::Deep,
            other => return Err(err(line, format!("level `{other}`: expected core or deep"))),
        };
        // The answer: plain paragraphs and (coding only) one fenced code block.
        let mut paras: Vec<(usize, String)> = Vec::new();
        let mut code: Option<(usize, Code)> = None;
        let mut parts: Vec<String> = Vec::new();
        while let Some((l, b)) = it.next_if(|(_, b)| {
            !matches!(
                b,
                Block::Heading {
                    level: HeadingLevel::H2,
                    ..
                }
            )
        }) {
            match b {
                Block::Paragraph { src, html } => {
                    if html {
                        return Err(err(l, format!("{id}: HTML is not allowed in an answer")));
                    }
                    parts.push(src.clone());
                    paras.push((l, src));
                }
                Block::Code {
                    fenced,
                    lang,
                    text: c,
                } => {
                    if !fenced {
                        return Err(err(
                            l,
                            format!("{id}: code must be a fenced block (```), not indented"),
                        ));
                    }
                    if kind != Kind::Coding {
                        return Err(err(
                            l,
                            format!("{id}: only coding questions have a code block"),
                        ));
                    }
                    if let Some((first, _)) = &code {
                        return Err(err(
                            l,
                            format!(
                                "{id}: a second code block (the first is on line {first}); a coding answer has exactly one"
                            ),
                        ));
                    }
                    let n = c.lines().count();
                    if n > MAX_CODE_LINES {
                        return Err(err(
                            l,
                            format!(
                                "{id}: the code block has {n} lines (at most {MAX_CODE_LINES})"
                            ),
                        ));
                    }
                    parts.push(format!("```{lang}\n{}```", c));
                    code = Some((
                        l,
                        Code {
                            lang: lang.trim().to_string(),
                            text: c,
                        },
                    ));
                }
                Block::Heading { .. } => {
                    return Err(err(
                        l,
                        format!("{id}: headings are not allowed inside an answer"),
                    ))
                }
                Block::List { .. } => {
                    return Err(err(l, format!("{id}: lists are not allowed in an answer")))
                }
                Block::Other(what) => {
                    return Err(err(l, format!("{id}: {what} is not allowed in an answer")))
                }
            }
        }
        if kind == Kind::Coding && code.is_none() {
            return Err(err(
                line,
                format!("{id}: a coding question needs exactly one fenced code block"),
            ));
        }
        let mut own_work = None;
        let mut follow_up = None;
        let mut body = Vec::new();
        let n = paras.len();
        for (k, (l, p)) in paras.iter().enumerate() {
            if let Some(rest) = p.strip_prefix("Follow-up:") {
                if k + 1 != n || follow_up.is_some() {
                    return Err(err(
                        *l,
                        format!("{id}: `Follow-up:` must be the last paragraph of an answer"),
                    ));
                }
                follow_up = Some(rest.trim().to_string());
            } else if let Some(rest) = p.strip_prefix("In your own work:") {
                if own_work.is_some() {
                    return Err(err(
                        *l,
                        format!("{id}: a second `In your own work:` paragraph"),
                    ));
                }
                own_work = Some(rest.trim().to_string());
            } else {
                body.push(p.clone());
            }
        }
        if body.is_empty() {
            return Err(err(line, format!("{id}: the question has no model answer")));
        }
        let answer = parts.join("\n\n");
        let cites = crate::util::cite_keys(&answer);
        questions.push(Question {
            id: id.to_string(),
            topic: stem.to_string(),
            item: item.clone(),
            kind,
            level,
            text: qtext.to_string(),
            body: body.join("\n\n"),
            answer,
            code: code.map(|c| c.1),
            own_work,
            follow_up,
            cites,
            line,
        });
    }
    if !(MIN_QUESTIONS..=MAX_QUESTIONS).contains(&questions.len()) {
        return Err(err(
            0,
            format!(
                "{} questions; a topic file has {MIN_QUESTIONS} to {MAX_QUESTIONS}",
                questions.len()
            ),
        ));
    }
    Ok(Topic {
        name: stem.to_string(),
        file: file.to_string(),
        item,
        title,
        key_points,
        questions,
    })
}

/// Parse a set of (file name, shown path, text) sources, ordered by file name, and
/// check that question ids are unique across files.
pub fn parse_sources<'a>(
    sources: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> Result<Bank, ParseError> {
    let mut sources: Vec<_> = sources.into_iter().collect();
    sources.sort_by(|a, b| a.0.cmp(b.0));
    let mut bank = Bank::default();
    let mut ids = crate::plan::parse::IdIndex::default();
    for (name, file, text) in sources {
        let topic = parse_topic(name, file, text)?;
        for q in &topic.questions {
            ids.claim("question id", &q.id, file, q.line)?;
        }
        bank.topics.push(topic);
    }
    if bank.topics.is_empty() {
        return Err(ParseError::no_files("question", "questions"));
    }
    Ok(bank)
}

/// Every `*.md` file (except README.md) of a question directory.
pub fn load_dir(dir: &Path) -> anyhow::Result<Bank> {
    let files = crate::util::markdown_files(dir, "question directory")?;
    Ok(parse_sources(
        files
            .iter()
            .map(|(n, p, t)| (n.as_str(), p.as_str(), t.as_str())),
    )?)
}
