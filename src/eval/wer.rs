//! Word and character error rates whose counts, alignments and measures are identical
//! to jiwer 4.0 (`jiwer.process_words` / `jiwer.process_characters` with their default
//! transforms).
//!
//! Conventions (all taken from jiwer 4.0.0's source):
//!
//! * **Word transform** (`jiwer.transformations.wer_default`): `RemoveMultipleSpaces`
//!   (`re.sub(r"\s\s+", " ", s)`: only runs of *two or more* Python-whitespace
//!   characters become one space), `Strip` (`str.strip()`), then
//!   `ReduceToListOfListOfWords` (`s.split(" ")`, dropping empty strings). A single
//!   tab or newline between two words is therefore *not* a separator: `"a\tb"` is one
//!   word, while `"a \tb"` is two.
//! * **Character transform** (`cer_default`): `Strip`, then every Unicode scalar value
//!   (Python code point) is one token. Spaces inside the sentence are characters and
//!   count towards the CER; runs of spaces are *not* collapsed.
//! * **Alignment**: words are mapped to integers and aligned with rapidfuzz's
//!   `Levenshtein.opcodes`, reproduced exactly by [`crate::eval::levenshtein`]; tie-breaking
//!   among equal-cost alignments (and hence the S/D/I split) is identical.
//! * **Corpus aggregation**: counts are summed over all sentences; then
//!   `WER = (S + D + I) / (H + S + D)`, `MER = (S + D + I) / (H + S + D + I)`,
//!   `WIP = (H / N_ref) * (H / N_hyp)` (0 when the hypotheses have no words),
//!   `WIL = 1 - WIP`. CER is the WER formula on characters.
//! * **Empty references**: jiwer 4 does *not* raise on empty reference strings. If the
//!   whole corpus has zero reference tokens, `WER = I` (the raw insertion count, not a
//!   ratio) and `MER = 0, WIP = 1` when the hypotheses are empty too, else
//!   `MER = 1, WIP = 0`. This is mirrored.
//! * **Empty input lists**: jiwer turns an empty list of sentences into one empty
//!   sentence (`ReduceToListOfListOfWords` returns `[[]]`), so `process_words([], [])`
//!   yields one empty alignment and WER 0, and `process_words(["a"], [])` compares
//!   `"a"` against an empty hypothesis. Mirrored as well.
//! * Differing numbers of references and hypotheses (after the above) are an error,
//!   as in jiwer.

use std::fmt::Write as _;

use anyhow::{bail, Result};

use crate::eval::levenshtein::{self, Opcode};
use crate::eval::pytext;
use rustc_hash::FxHashMap;

pub use crate::eval::levenshtein::OpKind as ChunkKind;

/// Alignment between a span of the reference and a span of the hypothesis
/// (jiwer's `AlignmentChunk`; index ranges are half-open token indices).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlignmentChunk {
    /// `equal`, `substitute`, `insert` or `delete`.
    pub kind: ChunkKind,
    /// First reference token of the chunk.
    pub ref_start_idx: usize,
    /// One past the last reference token of the chunk.
    pub ref_end_idx: usize,
    /// First hypothesis token of the chunk.
    pub hyp_start_idx: usize,
    /// One past the last hypothesis token of the chunk.
    pub hyp_end_idx: usize,
}

impl From<Opcode> for AlignmentChunk {
    fn from(o: Opcode) -> Self {
        AlignmentChunk {
            kind: o.kind,
            ref_start_idx: o.src_start,
            ref_end_idx: o.src_end,
            hyp_start_idx: o.dest_start,
            hyp_end_idx: o.dest_end,
        }
    }
}

/// Result of [`process_words`] (jiwer's `WordOutput`).
#[derive(Debug, Clone, PartialEq)]
pub struct WordOutput {
    /// Transformed references, one list of words per sentence.
    pub references: Vec<Vec<String>>,
    /// Transformed hypotheses, one list of words per sentence.
    pub hypotheses: Vec<Vec<String>>,
    /// Per-sentence alignment chunks.
    pub alignments: Vec<Vec<AlignmentChunk>>,
    /// Word error rate over the corpus (see module docs for the empty-reference case).
    pub wer: f64,
    /// Match error rate.
    pub mer: f64,
    /// Word information lost.
    pub wil: f64,
    /// Word information preserved.
    pub wip: f64,
    /// Total correct words.
    pub hits: usize,
    /// Total substituted words.
    pub substitutions: usize,
    /// Total deleted words (in the reference, missing from the hypothesis).
    pub deletions: usize,
    /// Total inserted words (in the hypothesis, absent from the reference).
    pub insertions: usize,
}

/// Result of [`process_characters`] (jiwer's `CharacterOutput`).
#[derive(Debug, Clone, PartialEq)]
pub struct CharacterOutput {
    /// Transformed references, one list of characters per sentence (jiwer: lists of
    /// one-character strings).
    pub references: Vec<Vec<char>>,
    /// Transformed hypotheses, one list of characters per sentence.
    pub hypotheses: Vec<Vec<char>>,
    /// Per-sentence alignment chunks (character indices).
    pub alignments: Vec<Vec<AlignmentChunk>>,
    /// Character error rate over the corpus.
    pub cer: f64,
    /// Total correct characters.
    pub hits: usize,
    /// Total substituted characters.
    pub substitutions: usize,
    /// Total deleted characters.
    pub deletions: usize,
    /// Total inserted characters.
    pub insertions: usize,
}

/// jiwer's `wer_default` transform for one sentence: collapse runs of two or more
/// whitespace characters to one space, strip, split on `' '`, drop empty words.
///
/// Equivalently: leading/trailing whitespace is removed; inside the sentence a
/// whitespace run separates words if it is longer than one character or is a single
/// `' '`; a lone other whitespace character (tab, newline, NBSP, ...) stays inside the
/// word, exactly as in jiwer.
pub fn words_default(sentence: &str) -> Vec<String> {
    word_spans(sentence)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn word_spans(sentence: &str) -> Vec<&str> {
    let s = pytext::strip(sentence);
    let mut words = Vec::new();
    let mut start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if !pytext::is_space(c) {
            continue;
        }
        // maximal whitespace run [i, j)
        let mut run = 1;
        let mut j = i + c.len_utf8();
        while let Some(&(k, d)) = iter.peek() {
            if !pytext::is_space(d) {
                break;
            }
            run += 1;
            j = k + d.len_utf8();
            iter.next();
        }
        if run >= 2 || c == ' ' {
            if start < i {
                words.push(&s[start..i]);
            }
            start = j;
        }
    }
    if start < s.len() {
        words.push(&s[start..]);
    }
    words
}

/// jiwer's `cer_default` transform for one sentence: strip, then one token per
/// Unicode scalar value (spaces included).
pub fn chars_default(sentence: &str) -> Vec<char> {
    pytext::strip(sentence).chars().collect()
}

struct Totals {
    alignments: Vec<Vec<AlignmentChunk>>,
    hits: usize,
    substitutions: usize,
    deletions: usize,
    insertions: usize,
    ref_tokens: usize,
    hyp_tokens: usize,
}

/// jiwer's list handling: an empty list of sentences becomes one empty sentence.
fn with_empty_rule<'a>(sentences: &'a [&'a str]) -> &'a [&'a str] {
    if sentences.is_empty() {
        &[""]
    } else {
        sentences
    }
}

fn check_lengths(refs: usize, hyps: usize) -> Result<()> {
    if refs != hyps {
        bail!(
            "after applying the transforms, the number of reference sentences ({refs}) \
             and hypothesis sentences ({hyps}) must match"
        );
    }
    Ok(())
}

/// Map each distinct word to an integer (jiwer's `_word2int`); only equality matters.
fn intern<'a>(ids: &mut FxHashMap<&'a str, u32>, words: &[&'a str]) -> Result<Vec<u32>> {
    words
        .iter()
        .map(|w| {
            let next = u32::try_from(ids.len())
                .map_err(|_| anyhow::anyhow!("more than u32::MAX distinct words"))?;
            Ok(*ids.entry(*w).or_insert(next))
        })
        .collect()
}

fn new_totals(n: usize) -> Totals {
    Totals {
        alignments: Vec::with_capacity(n),
        hits: 0,
        substitutions: 0,
        deletions: 0,
        insertions: 0,
        ref_tokens: 0,
        hyp_tokens: 0,
    }
}

/// Align one sentence (token ids) and add its counts to `totals`.
fn add_sentence(totals: &mut Totals, r: &[u32], h: &[u32]) {
    let chunks: Vec<AlignmentChunk> = levenshtein::opcodes(r, h)
        .into_iter()
        .map(AlignmentChunk::from)
        .collect();
    for c in &chunks {
        match c.kind {
            ChunkKind::Equal => totals.hits += c.ref_end_idx - c.ref_start_idx,
            ChunkKind::Substitute => totals.substitutions += c.ref_end_idx - c.ref_start_idx,
            ChunkKind::Delete => totals.deletions += c.ref_end_idx - c.ref_start_idx,
            ChunkKind::Insert => totals.insertions += c.hyp_end_idx - c.hyp_start_idx,
        }
    }
    totals.ref_tokens += r.len();
    totals.hyp_tokens += h.len();
    totals.alignments.push(chunks);
}

/// `(wer, mer, wil, wip)` exactly as jiwer 4.0 computes them (f64 arithmetic in the
/// same order).
fn measures(t: &Totals) -> (f64, f64, f64, f64) {
    let (s, d, i, h) = (t.substitutions, t.deletions, t.insertions, t.hits);
    let (wer, mer, wip);
    if t.ref_tokens == 0 {
        wer = i as f64;
        if t.hyp_tokens == 0 {
            mer = 0.0;
            wip = 1.0;
        } else {
            mer = 1.0;
            wip = 0.0;
        }
    } else {
        wer = (s + d + i) as f64 / (h + s + d) as f64;
        mer = (s + d + i) as f64 / (h + s + d + i) as f64;
        wip = if t.hyp_tokens >= 1 {
            (h as f64 / t.ref_tokens as f64) * (h as f64 / t.hyp_tokens as f64)
        } else {
            0.0
        };
    }
    (wer, mer, 1.0 - wip, wip)
}

/// Word-level alignment and measures for a corpus of reference/hypothesis sentence
/// pairs, identical to `jiwer.process_words(references, hypotheses)` (jiwer 4.0,
/// default transforms). See the module docs for the exact conventions.
///
/// # Errors
/// If the numbers of references and hypotheses differ (after jiwer's empty-list rule).
pub fn process_words(references: &[&str], hypotheses: &[&str]) -> Result<WordOutput> {
    let references = with_empty_rule(references);
    let hypotheses = with_empty_rule(hypotheses);
    check_lengths(references.len(), hypotheses.len())?;
    let mut ids: FxHashMap<&str, u32> = FxHashMap::default();
    let mut t = new_totals(references.len());
    let mut refs = Vec::with_capacity(references.len());
    let mut hyps = Vec::with_capacity(hypotheses.len());
    for (r, h) in references.iter().zip(hypotheses) {
        let rw = word_spans(r);
        let hw = word_spans(h);
        let ri = intern(&mut ids, &rw)?;
        let hi = intern(&mut ids, &hw)?;
        add_sentence(&mut t, &ri, &hi);
        refs.push(rw.into_iter().map(str::to_owned).collect());
        hyps.push(hw.into_iter().map(str::to_owned).collect());
    }
    let (wer, mer, wil, wip) = measures(&t);
    Ok(WordOutput {
        references: refs,
        hypotheses: hyps,
        alignments: t.alignments,
        wer,
        mer,
        wil,
        wip,
        hits: t.hits,
        substitutions: t.substitutions,
        deletions: t.deletions,
        insertions: t.insertions,
    })
}

/// Character-level alignment and CER, identical to
/// `jiwer.process_characters(references, hypotheses)` (jiwer 4.0, default transforms:
/// strip, then every code point, spaces included, is a token).
///
/// # Errors
/// If the numbers of references and hypotheses differ (after jiwer's empty-list rule).
pub fn process_characters(references: &[&str], hypotheses: &[&str]) -> Result<CharacterOutput> {
    let references = with_empty_rule(references);
    let hypotheses = with_empty_rule(hypotheses);
    check_lengths(references.len(), hypotheses.len())?;
    let mut t = new_totals(references.len());
    let mut refs = Vec::with_capacity(references.len());
    let mut hyps = Vec::with_capacity(hypotheses.len());
    for (r, h) in references.iter().zip(hypotheses) {
        let rc = chars_default(r);
        let hc = chars_default(h);
        let ri: Vec<u32> = rc.iter().map(|&c| u32::from(c)).collect();
        let hi: Vec<u32> = hc.iter().map(|&c| u32::from(c)).collect();
        add_sentence(&mut t, &ri, &hi);
        refs.push(rc);
        hyps.push(hc);
    }
    let (cer, _, _, _) = measures(&t);
    Ok(CharacterOutput {
        references: refs,
        hypotheses: hyps,
        alignments: t.alignments,
        cer,
        hits: t.hits,
        substitutions: t.substitutions,
        deletions: t.deletions,
        insertions: t.insertions,
    })
}

/// Corpus WER, as `jiwer.wer(references, hypotheses)`.
///
/// # Errors
/// See [`process_words`].
pub fn wer(references: &[&str], hypotheses: &[&str]) -> Result<f64> {
    Ok(process_words(references, hypotheses)?.wer)
}

/// Corpus CER, as `jiwer.cer(references, hypotheses)`.
///
/// # Errors
/// See [`process_characters`].
pub fn cer(references: &[&str], hypotheses: &[&str]) -> Result<f64> {
    Ok(process_characters(references, hypotheses)?.cer)
}

/// Something [`visualize_alignment`] can render: [`WordOutput`] or [`CharacterOutput`].
pub trait AlignedOutput {
    /// Reference and hypothesis tokens of sentence `i` (as strings).
    fn tokens(&self, i: usize) -> (Vec<String>, Vec<String>);
    /// Alignment chunks per sentence.
    fn alignments(&self) -> &[Vec<AlignmentChunk>];
    /// Whether tokens are characters (rendered without separators, summary shows CER).
    fn is_characters(&self) -> bool;
    /// The `=== SUMMARY ===` measure lines (after the counts line).
    fn measure_lines(&self) -> String;
    /// `(substitutions, deletions, insertions, hits)`.
    fn counts(&self) -> (usize, usize, usize, usize);
}

impl AlignedOutput for WordOutput {
    fn tokens(&self, i: usize) -> (Vec<String>, Vec<String>) {
        (
            self.references.get(i).cloned().unwrap_or_default(),
            self.hypotheses.get(i).cloned().unwrap_or_default(),
        )
    }
    fn alignments(&self) -> &[Vec<AlignmentChunk>] {
        &self.alignments
    }
    fn is_characters(&self) -> bool {
        false
    }
    fn measure_lines(&self) -> String {
        format!(
            "\nmer={:.2}%\nwil={:.2}%\nwip={:.2}%\nwer={:.2}%\n",
            self.mer * 100.0,
            self.wil * 100.0,
            self.wip * 100.0,
            self.wer * 100.0
        )
    }
    fn counts(&self) -> (usize, usize, usize, usize) {
        (
            self.substitutions,
            self.deletions,
            self.insertions,
            self.hits,
        )
    }
}

impl AlignedOutput for CharacterOutput {
    fn tokens(&self, i: usize) -> (Vec<String>, Vec<String>) {
        let conv = |v: Option<&Vec<char>>| -> Vec<String> {
            v.map(|v| v.iter().map(char::to_string).collect())
                .unwrap_or_default()
        };
        (conv(self.references.get(i)), conv(self.hypotheses.get(i)))
    }
    fn alignments(&self) -> &[Vec<AlignmentChunk>] {
        &self.alignments
    }
    fn is_characters(&self) -> bool {
        true
    }
    fn measure_lines(&self) -> String {
        format!("\ncer={:.2}%\n", self.cer * 100.0)
    }
    fn counts(&self) -> (usize, usize, usize, usize) {
        (
            self.substitutions,
            self.deletions,
            self.insertions,
            self.hits,
        )
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad_left(out: &mut String, s: &str, w: usize) {
    for _ in width(s)..w {
        out.push(' ');
    }
    out.push_str(s);
}

/// jiwer's `_construct_comparison_string`.
fn comparison_string(
    reference: &[String],
    hypothesis: &[String],
    chunks: &[AlignmentChunk],
    space_sep: bool,
    line_width: Option<usize>,
) -> String {
    let mut ref_str = String::from("REF: ");
    let mut hyp_str = String::from("HYP: ");
    let mut op_str = String::from("     ");
    let mut agg = String::new();
    let star = "*".to_string();
    let strip_last = |s: &str| -> String {
        let mut c = s.chars();
        c.next_back();
        c.as_str().to_owned()
    };
    for ch in chunks {
        let slice = |v: &[String], a: usize, b: usize| -> Vec<String> {
            v.get(a..b).map(<[String]>::to_vec).unwrap_or_default()
        };
        let (rf, hp, op) = match ch.kind {
            ChunkKind::Equal | ChunkKind::Substitute => (
                slice(reference, ch.ref_start_idx, ch.ref_end_idx),
                slice(hypothesis, ch.hyp_start_idx, ch.hyp_end_idx),
                if ch.kind == ChunkKind::Equal {
                    ' '
                } else {
                    'S'
                },
            ),
            ChunkKind::Delete => {
                let r = slice(reference, ch.ref_start_idx, ch.ref_end_idx);
                let h = vec![star.clone(); r.len()];
                (r, h, 'D')
            }
            ChunkKind::Insert => {
                let h = slice(hypothesis, ch.hyp_start_idx, ch.hyp_end_idx);
                let r = vec![star.clone(); h.len()];
                (r, h, 'I')
            }
        };
        for (r, h) in rf.iter().zip(hp.iter()) {
            let w = width(r).max(width(h)).max(1);
            if let Some(lw) = line_width {
                if width(&ref_str) + w > lw {
                    if space_sep {
                        let _ = write!(
                            agg,
                            "{}\n{}\n{}\n\n",
                            strip_last(&ref_str),
                            strip_last(&hyp_str),
                            strip_last(&op_str)
                        );
                    } else {
                        let _ = write!(agg, "{ref_str}\n{hyp_str}\n{op_str}\n\n");
                    }
                    ref_str = String::from("REF: ");
                    hyp_str = String::from("HYP: ");
                    op_str = String::from("     ");
                }
            }
            let (r_out, h_out) = if r == "*" {
                ("*".repeat(w), h.clone())
            } else if h == "*" {
                (r.clone(), "*".repeat(w))
            } else {
                (r.clone(), h.clone())
            };
            pad_left(&mut ref_str, &r_out, w);
            pad_left(&mut hyp_str, &h_out, w);
            pad_left(&mut op_str, &op.to_string(), w);
            if space_sep {
                ref_str.push(' ');
                hyp_str.push(' ');
                op_str.push(' ');
            }
        }
    }
    if space_sep {
        format!(
            "{agg}{}\n{}\n{}\n",
            strip_last(&ref_str),
            strip_last(&hyp_str),
            strip_last(&op_str)
        )
    } else {
        format!("{agg}{ref_str}\n{hyp_str}\n{op_str}\n")
    }
}

/// Render alignments like `jiwer.visualize_alignment` (byte-identical output for the
/// same arguments): per sentence a `REF:` line, a `HYP:` line (`*` marks a missing
/// token) and a line of `S`/`D`/`I` markers, followed (if `show_measures`) by a
/// summary with the counts and measures formatted with two decimals.
///
/// * `skip_correct`: leave out sentences whose alignment is empty or a single `equal`
///   chunk.
/// * `line_width`: wrap a sentence's lines, best effort, when they would exceed this
///   many characters (widths count Unicode scalar values, as Python's `len`).
pub fn visualize_alignment<O: AlignedOutput>(
    output: &O,
    show_measures: bool,
    skip_correct: bool,
    line_width: Option<usize>,
) -> String {
    let is_chars = output.is_characters();
    let mut out = String::new();
    for (idx, chunks) in output.alignments().iter().enumerate() {
        if skip_correct
            && (chunks.is_empty() || (chunks.len() == 1 && chunks[0].kind == ChunkKind::Equal))
        {
            continue;
        }
        let (gt, hp) = output.tokens(idx);
        let _ = write!(out, "=== SENTENCE {} ===\n\n", idx + 1);
        out.push_str(&comparison_string(&gt, &hp, chunks, !is_chars, line_width));
        out.push('\n');
    }
    if show_measures {
        let (s, d, i, h) = output.counts();
        out.push_str("=== SUMMARY ===\n");
        let _ = writeln!(out, "number of sentences: {}", output.alignments().len());
        let _ = writeln!(
            out,
            "substitutions={s} deletions={d} insertions={i} hits={h}"
        );
        out.push_str(&output.measure_lines());
    } else {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: ChunkKind, r: (usize, usize), h: (usize, usize)) -> AlignmentChunk {
        AlignmentChunk {
            kind,
            ref_start_idx: r.0,
            ref_end_idx: r.1,
            hyp_start_idx: h.0,
            hyp_end_idx: h.1,
        }
    }

    #[test]
    fn jiwer_docs_example() {
        // Example from jiwer's visualize_alignment docstring.
        let out = process_words(
            &["short one here", "quite a bit of longer sentence"],
            &[
                "shoe order one",
                "quite bit of an even longest sentence here",
            ],
        )
        .unwrap();
        assert_eq!(
            (out.substitutions, out.deletions, out.insertions, out.hits),
            (2, 2, 4, 5)
        );
        // Output of jiwer 4.0.0's visualize_alignment for this input.
        let expected = concat!(
            "=== SENTENCE 1 ===\n",
            "\n",
            "REF: **** short one here\n",
            "HYP: shoe order one ****\n",
            "        I     S        D\n",
            "\n",
            "=== SENTENCE 2 ===\n",
            "\n",
            "REF: quite a bit of ** ****  longer sentence ****\n",
            "HYP: quite * bit of an even longest sentence here\n",
            "           D         I    I       S             I\n",
            "\n",
            "=== SUMMARY ===\n",
            "number of sentences: 2\n",
            "substitutions=2 deletions=2 insertions=4 hits=5\n",
            "\n",
            "mer=61.54%\n",
            "wil=74.75%\n",
            "wip=25.25%\n",
            "wer=88.89%\n",
        );
        assert_eq!(visualize_alignment(&out, true, true, None), expected);
    }

    #[test]
    fn whitespace_rules() {
        assert_eq!(words_default("  a\tb  c \t d\n"), vec!["a\tb", "c", "d"]);
        assert_eq!(words_default("\u{1c}a\u{1c}"), vec!["a"]);
        assert_eq!(chars_default("  a  b "), vec!['a', ' ', ' ', 'b']);
        assert_eq!(
            words_default("a\u{a0}b\u{a0}\u{a0}c d"),
            vec!["a\u{a0}b", "c", "d"]
        );
        assert_eq!(words_default("\ta \nb"), vec!["a", "b"]);
        assert!(words_default(" \t ").is_empty());
    }

    #[test]
    fn word_spans_equal_literal_jiwer_pipeline() {
        // RemoveMultipleSpaces -> Strip -> split(" ") done literally, on random strings
        let alphabet = [
            'a', 'b', ' ', '\t', '\n', '\u{a0}', '\u{1c}', '\u{3000}', 'é',
        ];
        let mut state = 7u64;
        for _ in 0..5000 {
            let mut s = String::new();
            for _ in 0..(state % 12) {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push(alphabet[((state >> 33) % alphabet.len() as u64) as usize]);
            }
            state = state.wrapping_add(0x9e37_79b9);
            let collapsed = pytext::collapse_multi_space_runs(&s);
            let literal: Vec<&str> = pytext::strip(&collapsed)
                .split(' ')
                .filter(|w| !w.is_empty())
                .collect();
            assert_eq!(word_spans(&s), literal, "{s:?}");
        }
    }

    #[test]
    fn tie_breaking_prefers_rapidfuzz_order() {
        // ref "a b", hyp "b a": S S and I + D cost the same; jiwer 4.0.0 (rapidfuzz
        // 3.14) reports insert, equal, delete.
        let out = process_words(&["a b"], &["b a"]).unwrap();
        assert_eq!(
            out.alignments[0],
            vec![
                chunk(ChunkKind::Insert, (0, 0), (0, 1)),
                chunk(ChunkKind::Equal, (0, 1), (1, 2)),
                chunk(ChunkKind::Delete, (1, 2), (2, 2)),
            ]
        );
        assert_eq!(
            (out.substitutions, out.deletions, out.insertions),
            (0, 1, 1)
        );
    }

    #[test]
    fn empty_reference_edge_cases() {
        let o = process_words(&[""], &["a b"]).unwrap();
        assert_eq!((o.wer, o.mer, o.wil, o.wip), (2.0, 1.0, 1.0, 0.0));
        let o = process_words(&[""], &[" "]).unwrap();
        assert_eq!((o.wer, o.mer, o.wil, o.wip), (0.0, 0.0, 0.0, 1.0));
        let o = process_words(&[], &[]).unwrap();
        assert_eq!(o.alignments, vec![Vec::<AlignmentChunk>::new()]);
        // jiwer quirk: an empty hypothesis list is one empty sentence
        let o = process_words(&["a"], &[]).unwrap();
        assert_eq!(o.deletions, 1);
        assert_eq!(o.wer, 1.0);
        assert!(process_words(&["a", "b"], &["a"]).is_err());
    }

    #[test]
    fn cer_counts_spaces() {
        let o = process_characters(&["ab c"], &["abc"]).unwrap();
        assert_eq!(o.deletions, 1);
        assert_eq!(o.cer, 0.25);
    }
}
