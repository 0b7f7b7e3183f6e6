//! Cards written inside notes.
//!
//! * **Question and answer**: a line starting `Q:` holds the question (it may run on
//!   over the following lines), a later line starting `A:` the answer, which runs until
//!   a blank line, the next `Q:` or a heading.
//! * **Cloze deletion**: `{{c1::hidden text}}` or `{{c1::hidden text::hint}}` inside a
//!   paragraph. Every number gives one card that hides the deletions with that number
//!   and shows the others.
//!
//! Fenced code blocks are skipped. A card keeps its schedule while its front stays the
//! same; editing the back only updates the text. A card whose text disappears from the
//! note is set aside (orphaned) with its review history, and comes back if the text
//! does.

use std::collections::{BTreeSet, HashSet};
use std::sync::LazyLock;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use regex::Regex;
use rusqlite::{params, Connection};

use crate::store::now_ts;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteCard {
    pub kind: &'static str,
    pub front: String,
    pub back: String,
    /// 1-based line of the note body the card starts on.
    pub line: usize,
}

impl NoteCard {
    /// The part of the uid that stays put while the front does.
    pub fn key(&self) -> String {
        crate::util::content_hash(format!("{}\n{}", self.kind, self.front).as_bytes())[..12]
            .to_string()
    }
}

static CLOZE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{c(\d+)::(.+?)(?:::(.+?))?\}\}").expect("static regex"));

fn is_heading(l: &str) -> bool {
    l.trim_start().starts_with('#')
}

/// The cards of a note body.
pub fn extract(body: &str) -> Vec<NoteCard> {
    let mut out = Vec::new();
    let lines: Vec<&str> = body.lines().collect();
    // Paragraphs outside fenced code, with their first line.
    let mut paras: Vec<(usize, Vec<&str>)> = Vec::new();
    let mut fence: Option<&str> = None;
    let mut cur: Option<(usize, Vec<&str>)> = None;
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        if let Some(f) = fence {
            if t.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = Some(&t[..3]);
            if let Some(p) = cur.take() {
                paras.push(p);
            }
            continue;
        }
        if t.is_empty() || is_heading(t) {
            if let Some(p) = cur.take() {
                paras.push(p);
            }
            continue;
        }
        cur.get_or_insert_with(|| (i + 1, Vec::new())).1.push(l);
    }
    if let Some(p) = cur.take() {
        paras.push(p);
    }
    for (first, para) in paras {
        // Q/A pairs.
        let mut rest: Vec<&str> = Vec::new();
        let mut k = 0;
        while k < para.len() {
            let l = para[k].trim();
            if let Some(q) = l.strip_prefix("Q:") {
                let line = first + k;
                let mut front = vec![q.trim()];
                k += 1;
                while k < para.len()
                    && !para[k].trim().starts_with("A:")
                    && !para[k].trim().starts_with("Q:")
                {
                    front.push(para[k].trim());
                    k += 1;
                }
                if k < para.len() && para[k].trim().starts_with("A:") {
                    let mut back = vec![para[k].trim()["A:".len()..].trim()];
                    k += 1;
                    while k < para.len() && !para[k].trim().starts_with("Q:") {
                        back.push(para[k].trim());
                        k += 1;
                    }
                    let front = front.join(" ").trim().to_string();
                    let back = back.join("\n").trim().to_string();
                    if !front.is_empty() && !back.is_empty() {
                        out.push(NoteCard {
                            kind: "qa",
                            front,
                            back,
                            line,
                        });
                    }
                }
                continue;
            }
            rest.push(para[k]);
            k += 1;
        }
        // Clozes in what is left of the paragraph.
        let text = rest.join("\n");
        let numbers: BTreeSet<u32> = CLOZE
            .captures_iter(&text)
            .filter_map(|c| c[1].parse().ok())
            .collect();
        for n in numbers {
            let front = CLOZE.replace_all(&text, |c: &regex::Captures| {
                if c[1].parse::<u32>().ok() == Some(n) {
                    match c.get(3) {
                        Some(h) => format!("[{}]", h.as_str()),
                        None => "[…]".to_string(),
                    }
                } else {
                    c[2].to_string()
                }
            });
            let back = CLOZE.replace_all(&text, |c: &regex::Captures| {
                if c[1].parse::<u32>().ok() == Some(n) {
                    format!("**{}**", &c[2])
                } else {
                    c[2].to_string()
                }
            });
            out.push(NoteCard {
                kind: "cloze",
                front: front.into_owned(),
                back: back.into_owned(),
                line: first,
            });
        }
    }
    out
}

/// Bring note cards up to date with the indexed notes.
pub fn sync(conn: &Connection, now: DateTime<Utc>) -> anyhow::Result<super::SyncReport> {
    let mut report = super::SyncReport::default();
    let notes: Vec<(String, Option<String>, String)> = conn
        .prepare(
            "SELECT path, item_id, body FROM notes WHERE body LIKE '%Q:%' OR body LIKE '%{{c%'",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let tx = conn.unchecked_transaction()?;
    let mut live = HashSet::new();
    for (path, item, body) in notes {
        for c in extract(&body) {
            let uid = format!("note:{path}:{}", c.key());
            if !live.insert(uid.clone()) {
                continue; // the same card twice in one note
            }
            match super::by_uid(&tx, &uid)? {
                Some(old) => {
                    if old.back != c.back || old.topic != item || old.orphaned {
                        tx.execute(
                            "UPDATE cards SET back = ?2, topic = ?3, orphaned_at = NULL, updated_at = ?4 WHERE id = ?1",
                            params![old.id, c.back, item, now_ts()],
                        )?;
                        report.updated += 1;
                    }
                }
                None => {
                    super::insert(&tx, &uid, "note", item.as_deref(), &c.front, &c.back, now)?;
                    report.added += 1;
                }
            }
        }
    }
    report.orphaned += super::orphan_missing(&tx, "note", &live)?;
    tx.commit().context("syncing cards from notes")?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_qa_and_clozes_but_not_code() {
        let body = "# Attention\n\nQ: Why divide by √d_k?\nA: To keep the logits at unit variance\nat initialisation.\n\nThe KV cache holds {{c1::keys and values}} of {{c2::past tokens::what}}.\n\n```\nQ: not a card\nA: no\n{{c1::nor this}}\n```\n\nQ: dangling question\n\nplain text\n";
        let cards = extract(body);
        assert_eq!(cards.len(), 3, "{cards:#?}");
        assert_eq!(cards[0].kind, "qa");
        assert_eq!(cards[0].front, "Why divide by √d_k?");
        assert_eq!(
            cards[0].back,
            "To keep the logits at unit variance\nat initialisation."
        );
        assert_eq!(cards[0].line, 3);
        assert_eq!(cards[1].front, "The KV cache holds […] of past tokens.");
        assert_eq!(
            cards[1].back,
            "The KV cache holds **keys and values** of past tokens."
        );
        assert_eq!(
            cards[2].front,
            "The KV cache holds keys and values of [what]."
        );
        assert_ne!(cards[1].key(), cards[2].key());
    }
}
