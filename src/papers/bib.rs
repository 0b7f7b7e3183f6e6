//! BibTeX reading (the `biblatex` crate's raw parser, so field text round-trips as
//! written) and writing, plus the derived display fields labbook keeps in columns.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use biblatex::{RawBibliography, RawChunk};
use regex::Regex;
use serde::{Deserialize, Serialize};

/// One entry: key, type and every field as written (inner braces kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BibEntry {
    pub key: String,
    pub entry_type: String,
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: malformed BibTeX: {message}")]
pub struct BibError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

const MONTHS: [(&str, &str); 12] = [
    ("jan", "January"),
    ("feb", "February"),
    ("mar", "March"),
    ("apr", "April"),
    ("may", "May"),
    ("jun", "June"),
    ("jul", "July"),
    ("aug", "August"),
    ("sep", "September"),
    ("oct", "October"),
    ("nov", "November"),
    ("dec", "December"),
];

/// Parse BibTeX text. `file` names the source in errors.
pub fn parse(file: &str, text: &str) -> Result<Vec<BibEntry>, BibError> {
    let raw = RawBibliography::parse(text).map_err(|e| BibError {
        file: file.to_string(),
        line: crate::util::line_of(text, e.span.start),
        message: e.kind.to_string(),
    })?;
    let mut abbrevs: BTreeMap<String, String> = MONTHS
        .iter()
        .map(|(a, m)| (a.to_string(), m.to_string()))
        .collect();
    for pair in &raw.abbreviations {
        abbrevs.insert(
            pair.key.v.to_ascii_lowercase(),
            join_chunks(&pair.value.v, &abbrevs),
        );
    }
    let mut out = Vec::new();
    for entry in raw.entries {
        let e = entry.v;
        let mut fields = BTreeMap::new();
        for pair in e.fields {
            fields.insert(
                pair.key.v.to_ascii_lowercase(),
                join_chunks(&pair.value.v, &abbrevs),
            );
        }
        out.push(BibEntry {
            key: e.key.v.to_string(),
            entry_type: e.kind.v.to_ascii_lowercase(),
            fields,
        });
    }
    Ok(out)
}

fn join_chunks(
    chunks: &[biblatex::Spanned<RawChunk>],
    abbrevs: &BTreeMap<String, String>,
) -> String {
    let mut s = String::new();
    for c in chunks {
        match c.v {
            RawChunk::Normal(t) => s.push_str(t),
            RawChunk::Abbreviation(a) => match abbrevs.get(&a.to_ascii_lowercase()) {
                Some(v) => s.push_str(v),
                None => s.push_str(a),
            },
        }
    }
    s
}

/// Write entries as BibTeX, fields in a conventional order then alphabetical.
pub fn write(entries: &[BibEntry]) -> String {
    const ORDER: [&str; 12] = [
        "title",
        "author",
        "editor",
        "booktitle",
        "journal",
        "year",
        "volume",
        "number",
        "pages",
        "publisher",
        "school",
        "institution",
    ];
    let mut out = String::new();
    for e in entries {
        out.push_str(&format!("@{}{{{},\n", e.entry_type, e.key));
        let mut keys: Vec<&String> = e.fields.keys().collect();
        keys.sort_by_key(|k| {
            (
                ORDER.iter().position(|o| o == k).unwrap_or(ORDER.len()),
                k.as_str(),
            )
        });
        for k in keys {
            let v = &e.fields[k];
            out.push_str(&format!("  {k} = {{{v}}},\n"));
        }
        out.push_str("}\n\n");
    }
    out
}

/// `\'e`, `\'{e}`, `{\"o}` … and the letter accents `\u{a}`, `\v c`, `\c{c}`, `\H{o}`
/// (which need a brace or a space, so `\url{…}` and `\cite{…}` are not taken for them).
static TEX_ACCENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\\(?:(['`^"~=.])\s*\{?([A-Za-z])\}?|([uvHc])(?:\s+|\{)([A-Za-z])\}?)"#)
        .expect("static regex")
});
static TEX_CMD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\\[A-Za-z]+\s*").expect("static regex"));
static ARXIV_NEW: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{4}\.\d{4,5})(v\d+)?$").expect("static regex"));
static ARXIV_OLD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([a-z\-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$").expect("static regex"));
static ARXIV_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)arxiv(?:\.org/(?:abs|pdf)/|:\s*)(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})",
    )
    .expect("static regex")
});

/// Plain text from a BibTeX value: accents resolved, braces and commands dropped.
pub fn detex(s: &str) -> String {
    let s = TEX_ACCENT.replace_all(s, |c: &regex::Captures| match (c.get(1), c.get(2)) {
        (Some(m), Some(l)) => accent(m.as_str(), l.as_str()),
        _ => accent(
            c.get(3).map_or("", |m| m.as_str()),
            c.get(4).map_or("", |m| m.as_str()),
        ),
    });
    let s = s.replace("\\&", "&").replace("--", "–").replace('~', " ");
    let s = TEX_CMD.replace_all(&s, "");
    let s: String = s.chars().filter(|c| *c != '{' && *c != '}').collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn accent(mark: &str, letter: &str) -> String {
    let table: &[(&str, &str, &str)] = &[
        ("'", "e", "é"),
        ("'", "a", "á"),
        ("'", "o", "ó"),
        ("'", "i", "í"),
        ("'", "u", "ú"),
        ("'", "E", "É"),
        ("`", "e", "è"),
        ("`", "a", "à"),
        ("^", "e", "ê"),
        ("^", "o", "ô"),
        ("\"", "o", "ö"),
        ("\"", "u", "ü"),
        ("\"", "a", "ä"),
        ("\"", "i", "ï"),
        ("\"", "O", "Ö"),
        ("\"", "U", "Ü"),
        ("~", "n", "ñ"),
        ("c", "c", "ç"),
        ("v", "c", "č"),
        ("v", "s", "š"),
        ("v", "z", "ž"),
        ("v", "r", "ř"),
        ("u", "a", "ă"),
        ("H", "o", "ő"),
    ];
    table
        .iter()
        .find(|(m, l, _)| *m == mark && *l == letter)
        .map(|(_, _, r)| r.to_string())
        .unwrap_or_else(|| letter.to_string())
}

/// Normalise an arXiv id (`arXiv:2212.04356v2` → `2212.04356`); `None` if not one.
pub fn normalize_arxiv(s: &str) -> Option<String> {
    let t = s.trim();
    let t = t
        .strip_prefix("arXiv:")
        .or_else(|| t.strip_prefix("arxiv:"))
        .unwrap_or(t);
    if let Some(c) = ARXIV_NEW.captures(t) {
        return Some(c[1].to_string());
    }
    if let Some(c) = ARXIV_OLD.captures(t) {
        return Some(c[1].to_string());
    }
    None
}

/// Normalise a DOI: lower case, no resolver prefix.
pub fn normalize_doi(s: &str) -> Option<String> {
    let t = s.trim();
    let t = t
        .strip_prefix("https://doi.org/")
        .or_else(|| t.strip_prefix("http://doi.org/"))
        .or_else(|| t.strip_prefix("https://dx.doi.org/"))
        .or_else(|| t.strip_prefix("doi:"))
        .unwrap_or(t);
    (t.starts_with("10.") && t.contains('/')).then(|| t.to_ascii_lowercase())
}

/// Tags from a `keywords` field (comma or semicolon separated), lower-cased.
pub fn split_keywords(k: &str) -> Vec<String> {
    k.split([',', ';'])
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Display fields derived from an entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Derived {
    pub title: String,
    pub authors: String,
    pub year: Option<String>,
    pub venue: Option<String>,
    pub arxiv: Option<String>,
    pub doi: Option<String>,
    pub url: Option<String>,
    pub tags: Vec<String>,
}

pub fn derive(e: &BibEntry) -> Derived {
    let f = |k: &str| e.fields.get(k).map(|v| detex(v)).filter(|v| !v.is_empty());
    let authors = e
        .fields
        .get("author")
        .map(|a| {
            a.split(" and ")
                .map(|p| {
                    let p = detex(p.trim());
                    match p.split_once(',') {
                        Some((last, first)) => format!("{} {}", first.trim(), last.trim()),
                        None => p,
                    }
                })
                .map(|p| {
                    if p == "others" {
                        "et al.".to_string()
                    } else {
                        p
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let eprint_is_arxiv = e
        .fields
        .get("archiveprefix")
        .or_else(|| e.fields.get("eprinttype"))
        .is_none_or(|p| p.eq_ignore_ascii_case("arxiv"));
    let arxiv = e
        .fields
        .get("eprint")
        .filter(|_| eprint_is_arxiv)
        .and_then(|v| normalize_arxiv(v))
        .or_else(|| {
            ["url", "journal", "note", "howpublished"]
                .iter()
                .filter_map(|k| e.fields.get(*k))
                .find_map(|v| ARXIV_IN_TEXT.captures(v).map(|c| c[1].to_string()))
        });
    let doi = e
        .fields
        .get("doi")
        .and_then(|d| normalize_doi(d))
        .or_else(|| e.fields.get("url").and_then(|u| normalize_doi(u)));
    let venue = [
        "booktitle",
        "journal",
        "howpublished",
        "school",
        "institution",
        "publisher",
    ]
    .iter()
    .find_map(|k| f(k));
    let year = f("year").or_else(|| f("date").map(|d| d.chars().take(4).collect()));
    let tags = e
        .fields
        .get("keywords")
        .map(|k| split_keywords(k))
        .unwrap_or_default();
    Derived {
        title: f("title").unwrap_or_else(|| "(untitled)".to_string()),
        authors,
        year,
        venue,
        arxiv,
        doi,
        url: e.fields.get("url").map(|u| u.trim().to_string()),
        tags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_round_trips() {
        let src = r#"
@string{icml = "International Conference on Machine Learning"}
% a comment
@inproceedings{radford2023whisper,
  title = {Robust Speech Recognition via Large-Scale Weak Supervision},
  author = {Radford, Alec and others},
  booktitle = icml,
  year = 2023,
  month = jul,
  eprint = {2212.04356},
  archivePrefix = {arXiv},
}
@article{x, title="{BERT}: Pre-training", author={D{\'e}fossez, Alexandre and Kim, J.}, journal={J}, doi={https://doi.org/10.1109/TASLP.2021.3122291}}
"#;
        let entries = parse("t.bib", src).unwrap();
        assert_eq!(entries.len(), 2);
        let w = &entries[0];
        assert_eq!(
            w.fields["booktitle"],
            "International Conference on Machine Learning"
        );
        assert_eq!(w.fields["year"], "2023");
        assert_eq!(w.fields["month"], "July");
        let d = derive(w);
        assert_eq!(d.arxiv.as_deref(), Some("2212.04356"));
        assert_eq!(d.authors, "Alec Radford, et al.");
        let d2 = derive(&entries[1]);
        assert_eq!(d2.title, "BERT: Pre-training");
        assert_eq!(d2.authors, "Alexandre Défossez, J. Kim");
        assert_eq!(d2.doi.as_deref(), Some("10.1109/taslp.2021.3122291"));
        let again = parse("w.bib", &write(&entries)).unwrap();
        assert_eq!(again, entries);
    }

    #[test]
    fn malformed_names_line() {
        let src = "@article{ok, title={A}}\n\n@article{bad, title = {unclosed,\n year = 2020\n";
        let e = parse("bad.bib", src).unwrap_err();
        assert_eq!(e.file, "bad.bib");
        assert!(e.line >= 3, "{e}");
    }

    #[test]
    fn detex_keeps_commands_that_are_not_accents() {
        assert_eq!(detex(r"\url{https://github.com/x}"), "https://github.com/x");
        assert_eq!(detex(r"Dvo{\v{r}}{\'a}k \v c \c{c}a"), "Dvořák č ça");
        assert_eq!(detex(r#"G{\"o}del and \'{E}cole"#), "Gödel and École");
        assert_eq!(detex(r"\textit{Fast} Speech"), "Fast Speech");
    }

    #[test]
    fn arxiv_and_doi_normalisation() {
        assert_eq!(
            normalize_arxiv("arXiv:2212.04356v3").as_deref(),
            Some("2212.04356")
        );
        assert_eq!(
            normalize_arxiv("hep-th/9901001").as_deref(),
            Some("hep-th/9901001")
        );
        assert_eq!(normalize_arxiv("12.34"), None);
        assert_eq!(
            normalize_doi("doi:10.1145/1143844.1143891").as_deref(),
            Some("10.1145/1143844.1143891")
        );
        assert_eq!(normalize_doi("nope"), None);
    }
}
