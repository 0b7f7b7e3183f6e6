//! Whisper-style text normalisers, to be applied to references and hypotheses before
//! [`crate::eval::wer`].
//!
//! * [`BasicTextNormalizer`] / [`normalize_basic`] reproduce
//!   `whisper.normalizers.BasicTextNormalizer` (openai-whisper 20250625,
//!   `whisper/normalizers/basic.py`) exactly, including its options.
//! * [`EnglishTextNormalizer`] / [`normalize_english`] reproduce
//!   `whisper.normalizers.EnglishTextNormalizer` **except its number standardiser**
//!   (`EnglishNumberNormalizer`), which is skipped. See [`EnglishTextNormalizer`] for
//!   exactly what that means.
//!
//! Unicode data: NFKC/NFKD come from `unicode-normalization` and general categories
//! from `unicode-general-category` (both newer Unicode versions than CPython 3.11's
//! Unicode 14). Results can differ only for characters assigned after Unicode 14.
//! Lower-casing uses Rust's `str::to_lowercase`, which applies the same full case
//! mappings and final-sigma rule as Python's `str.lower()`.

use std::collections::HashMap;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

use crate::eval::pytext::{
    self, category_major, is_decimal, is_nonspacing_mark, is_space, is_word,
};

/// Whisper's `ADDITIONAL_DIACRITICS`: letters that NFKD does not decompose.
fn additional_diacritic(c: char) -> Option<&'static str> {
    Some(match c {
        'œ' => "oe",
        'Œ' => "OE",
        'ø' => "o",
        'Ø' => "O",
        'æ' => "ae",
        'Æ' => "AE",
        'ß' => "ss",
        'ẞ' => "SS",
        'đ' => "d",
        'Đ' => "D",
        'ð' => "d",
        'Ð' => "D",
        'þ' => "th",
        'Þ' => "th",
        'ł' => "l",
        'Ł' => "L",
        _ => return None,
    })
}

/// Whisper's `remove_symbols_and_diacritics(s, keep)`: NFKD, then characters in `keep`
/// are kept, the `ADDITIONAL_DIACRITICS` letters are transliterated, nonspacing marks
/// (category Mn) are dropped and any other mark, symbol or punctuation (categories
/// M*, S*, P*) becomes a space.
pub fn remove_symbols_and_diacritics(s: &str, keep: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd() {
        if keep.contains(c) {
            out.push(c);
        } else if let Some(rep) = additional_diacritic(c) {
            out.push_str(rep);
        } else if is_nonspacing_mark(c) {
            // dropped
        } else if matches!(category_major(c), 'M' | 'S' | 'P') {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Whisper's `remove_symbols(s)`: NFKC, then every mark, symbol or punctuation
/// character (categories M*, S*, P*) becomes a space; diacritics are kept.
pub fn remove_symbols(s: &str) -> String {
    s.nfkc()
        .map(|c| {
            if matches!(category_major(c), 'M' | 'S' | 'P') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// `re.sub(r"[<\[][^>\]]*[>\]]", "", s)`: removes `<...>` / `[...]` spans (an opening
/// `<` or `[` up to the next `>` or `]`, whichever comes first).
fn remove_bracketed(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if matches!(chars[i], '<' | '[') {
            if let Some(off) = chars[i + 1..].iter().position(|&c| c == '>' || c == ']') {
                i += off + 2;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// `re.sub(r"\(([^)]+?)\)", "", s)`: removes `(...)` spans with non-empty content
/// (no nesting: an opening `(` up to the next `)`).
fn remove_parenthesized(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '(' && i + 1 < chars.len() && chars[i + 1] != ')' {
            if let Some(off) = chars[i + 2..].iter().position(|&c| c == ')') {
                i += off + 3;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Whisper's `BasicTextNormalizer`.
///
/// Steps (exactly as `basic.py`): lower-case; remove `[...]`/`<...>` spans; remove
/// non-empty `(...)` spans; `remove_symbols` (NFKC, marks/symbols/punctuation to
/// spaces) or, with `remove_diacritics`, `remove_symbols_and_diacritics` (NFKD, drop
/// Mn marks, transliterate `œ ø æ ß đ ð þ ł`…); lower-case again; with
/// `split_letters`, put a space between extended grapheme clusters; finally replace
/// every run of whitespace by one space. Leading/trailing spaces are **not** stripped
/// (Whisper does not strip either), e.g. `"Hello, World!"` becomes `"hello world "`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BasicTextNormalizer {
    /// Use `remove_symbols_and_diacritics` instead of `remove_symbols`.
    pub remove_diacritics: bool,
    /// Separate extended grapheme clusters with spaces (`regex` `\X`; segmentation from
    /// `unicode-segmentation`).
    pub split_letters: bool,
}

impl BasicTextNormalizer {
    /// Normalise one string.
    pub fn normalize(&self, s: &str) -> String {
        let s = pytext::lower(s);
        let s = remove_bracketed(&s);
        let s = remove_parenthesized(&s);
        let s = if self.remove_diacritics {
            remove_symbols_and_diacritics(&s, "")
        } else {
            remove_symbols(&s)
        };
        let mut s = pytext::lower(&s);
        if self.split_letters {
            s = s.graphemes(true).collect::<Vec<_>>().join(" ");
        }
        pytext::collapse_space_runs(&s)
    }
}

/// `BasicTextNormalizer()` with default options (keep diacritics, no letter split).
pub fn normalize_basic(s: &str) -> String {
    BasicTextNormalizer::default().normalize(s)
}

/// Regex-free equivalent of `re.sub(pattern, repl, s)` for the literal patterns of
/// Whisper's English normaliser: `lead_b` means the pattern starts with `\b` before a
/// word character; all patterns end with a word character followed by `\b`.
fn replace_word_literal(s: &[char], lit: &[char], lead_b: bool, repl: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let end = i + lit.len();
        if end <= s.len()
            && s[i..end] == *lit
            && (!lead_b || i == 0 || !is_word(s[i - 1]))
            && (end == s.len() || !is_word(s[end]))
        {
            out.extend(repl.chars());
            i = end;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// Whisper's `EnglishTextNormalizer.replacers`, in order: `(pattern literal, leading
/// \b, replacement)`.
const REPLACERS: &[(&str, bool, &str)] = &[
    ("won't", true, "will not"),
    ("can't", true, "can not"),
    ("let's", true, "let us"),
    ("ain't", true, "aint"),
    ("y'all", true, "you all"),
    ("wanna", true, "want to"),
    ("gotta", true, "got to"),
    ("gonna", true, "going to"),
    ("i'ma", true, "i am going to"),
    ("imma", true, "i am going to"),
    ("woulda", true, "would have"),
    ("coulda", true, "could have"),
    ("shoulda", true, "should have"),
    ("ma'am", true, "madam"),
    ("mr", true, "mister "),
    ("mrs", true, "missus "),
    ("st", true, "saint "),
    ("dr", true, "doctor "),
    ("prof", true, "professor "),
    ("capt", true, "captain "),
    ("gov", true, "governor "),
    ("ald", true, "alderman "),
    ("gen", true, "general "),
    ("sen", true, "senator "),
    ("rep", true, "representative "),
    ("pres", true, "president "),
    ("rev", true, "reverend "),
    ("hon", true, "honorable "),
    ("asst", true, "assistant "),
    ("assoc", true, "associate "),
    ("lt", true, "lieutenant "),
    ("col", true, "colonel "),
    ("jr", true, "junior "),
    ("sr", true, "senior "),
    ("esq", true, "esquire "),
    ("'d been", false, " had been"),
    ("'s been", false, " has been"),
    ("'d gone", false, " had gone"),
    ("'s gone", false, " has gone"),
    ("'d done", false, " had done"),
    ("'s got", false, " has got"),
    ("n't", false, " not"),
    ("'re", false, " are"),
    ("'s", false, " is"),
    ("'d", false, " would"),
    ("'ll", false, " will"),
    ("'t", false, " not"),
    ("'ve", false, " have"),
    ("'m", false, " am"),
];

/// Hesitations removed by `re.sub(r"\b(hmm|mm|mhm|mmm|uh|um)\b", "", s)`: a maximal run
/// of word characters equal to one of these.
const FILLERS: &[&str] = &["hmm", "mm", "mhm", "mmm", "uh", "um"];

fn remove_fillers(s: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if is_word(s[i]) {
            let mut j = i;
            while j < s.len() && is_word(s[j]) {
                j += 1;
            }
            let w: String = s[i..j].iter().collect();
            if !FILLERS.contains(&w.as_str()) {
                out.extend_from_slice(&s[i..j]);
            }
            i = j;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// `re.sub(r"\s+'", "'", s)`: whitespace directly before an apostrophe is removed.
fn remove_space_before_apostrophe(s: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if is_space(s[i]) {
            let mut j = i;
            while j < s.len() && is_space(s[j]) {
                j += 1;
            }
            if j < s.len() && s[j] == '\'' {
                i = j;
                continue;
            }
            out.extend_from_slice(&s[i..j]);
            i = j;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// `re.sub(r"(\d),(\d)", r"\1\2", s)` (non-overlapping, left to right: "1,2,3" gives
/// "12,3").
fn remove_digit_commas(s: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if i + 2 < s.len() && is_decimal(s[i]) && s[i + 1] == ',' && is_decimal(s[i + 2]) {
            out.push(s[i]);
            out.push(s[i + 2]);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// `re.sub(r"\.([^0-9]|$)", r" \1", s)` and `re.sub(r"[.$¢€£]([^0-9])", r" \1", s)`:
/// a marker character not followed by an ASCII digit becomes a space; the following
/// character is consumed by the match (so it is not itself examined as a marker).
/// `at_end` selects the `|$` alternative (a trailing marker becomes a space).
fn space_markers_before_non_digit(s: &[char], markers: &[char], at_end: bool) -> Vec<char> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if markers.contains(&s[i]) {
            if i + 1 < s.len() && !s[i + 1].is_ascii_digit() {
                out.push(' ');
                out.push(s[i + 1]);
                i += 2;
                continue;
            }
            if i + 1 == s.len() && at_end {
                out.push(' ');
                i += 1;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// `re.sub(r"([^0-9])%", r"\1 ", s)`.
fn space_percent_after_non_digit(s: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if i + 1 < s.len() && !s[i].is_ascii_digit() && s[i + 1] == '%' {
            out.push(s[i]);
            out.push(' ');
            i += 2;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// British → American spellings: `english_spelling.tsv` is the table of
/// openai-whisper's `normalizers/english.json` (MIT licence, © 2022 OpenAI), as TSV.
fn spelling_table() -> &'static HashMap<&'static str, &'static str> {
    static TABLE: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("english_spelling.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter_map(|l| l.split_once('\t'))
            .collect()
    })
}

/// A subset of Whisper's `EnglishTextNormalizer` (openai-whisper 20250625,
/// `whisper/normalizers/english.py`).
///
/// Implemented exactly as Whisper does, in Whisper's order: lower-case; remove
/// `[...]`/`<...>` and `(...)` spans; drop the hesitations `hmm mm mhm mmm uh um`;
/// remove whitespace before apostrophes; expand Whisper's contraction and title
/// table (`won't`→`will not`, `can't`→`can not`, `mr`→`mister`, `'s`→` is`,
/// `n't`→` not`, `'d been`→` had been`, …); drop commas between digits; turn periods
/// not followed by a digit into spaces; `remove_symbols_and_diacritics` keeping
/// `. % $ ¢ € £`; British→American spellings (Whisper's 1739-entry table, which also
/// splits on whitespace and joins with single spaces); drop `. $ ¢ € £` not followed
/// by a digit and `%` not preceded by one; collapse whitespace runs.
///
/// **Difference from Whisper:** Whisper's `EnglishNumberNormalizer` step (between
/// symbol removal and spelling) is skipped, so numbers stay as written. Whisper would
/// turn spelled-out numbers into digits and standardise number words, e.g. (outputs
/// of openai-whisper 20250625): `"twenty one"` → `"21"`, `"three cats"` →
/// `"3 cats"`, `"first"` → `"1st"`, `"the sixties"` → `"the 60s"`,
/// `"five dollars"` → `"$5"`, `"fifty percent"` → `"50%"`, `"oh seven"` → `"07"`;
/// here these inputs only get the other steps (`"twenty one"`, `"three cats"`,
/// `"first"`, `"the sixties"`, `"five dollars"`, `"fifty percent"`, `"oh seven"`).
/// Digits already written as digits (`"$5"`, `"50%"`, `"1st"`, `"in 2019"`) come out
/// as in Whisper. In short: for text whose numbers are already digits (or that has
/// none) the output equals Whisper's; otherwise it equals Whisper with
/// `standardize_numbers` replaced by the identity, which is what the fixtures test.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EnglishTextNormalizer;

impl EnglishTextNormalizer {
    /// Normalise one string.
    pub fn normalize(&self, s: &str) -> String {
        let s = pytext::lower(s);
        let s = remove_bracketed(&s);
        let s = remove_parenthesized(&s);
        let mut c: Vec<char> = s.chars().collect();
        c = remove_fillers(&c);
        c = remove_space_before_apostrophe(&c);
        for (pat, lead_b, repl) in REPLACERS {
            let lit: Vec<char> = pat.chars().collect();
            c = replace_word_literal(&c, &lit, *lead_b, repl);
        }
        c = remove_digit_commas(&c);
        c = space_markers_before_non_digit(&c, &['.'], true);
        let s: String = c.into_iter().collect();
        let s = remove_symbols_and_diacritics(&s, ".%$¢€£");
        // (Whisper: s = self.standardize_numbers(s) -- skipped, see type docs.)
        let table = spelling_table();
        let s = pytext::split_whitespace(&s)
            .map(|w| table.get(w).copied().unwrap_or(w))
            .collect::<Vec<_>>()
            .join(" ");
        let c: Vec<char> = s.chars().collect();
        let c = space_markers_before_non_digit(&c, &['.', '$', '¢', '€', '£'], false);
        let c = space_percent_after_non_digit(&c);
        let s: String = c.into_iter().collect();
        pytext::collapse_space_runs(&s)
    }
}

/// [`EnglishTextNormalizer`] on one string (Whisper's English normaliser without
/// number standardisation).
pub fn normalize_english(s: &str) -> String {
    EnglishTextNormalizer.normalize(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_examples_from_whisper() {
        // outputs of whisper.normalizers.BasicTextNormalizer (openai-whisper 20250625)
        assert_eq!(normalize_basic("Hello, World!"), "hello world ");
        assert_eq!(
            normalize_basic("  I [inaudible] can't believe (laughs) it's   <unk> here.  "),
            " i can t believe it s here "
        );
        assert_eq!(normalize_basic("a () b"), "a b");
        assert_eq!(normalize_basic("[open (x"), " open x");
    }

    #[test]
    fn english_examples_from_whisper() {
        assert_eq!(
            normalize_english("The colour of the theatre's organised favourite."),
            "the color of the theater is organized favorite"
        );
        assert_eq!(
            normalize_english("He'd been there; she's got it; we'd gone."),
            "he had been there she has got it we had gone"
        );
        assert_eq!(
            normalize_english("hmm, um... uh-huh mhm mmm mm-hmm"),
            " huh"
        );
        assert_eq!(
            normalize_english("1,2,3 and a%% and $$a"),
            "12 3 and a % and $a"
        );
    }

    #[test]
    fn numbers_are_left_as_written() {
        // Whisper's full normaliser would give "21" and "3 cats"; see type docs.
        assert_eq!(normalize_english("Twenty one"), "twenty one");
        assert_eq!(normalize_english("three cats"), "three cats");
        assert_eq!(normalize_english("$5 or 50%"), "$5 or 50%");
    }

    #[test]
    fn spelling_table_loaded() {
        assert_eq!(spelling_table().len(), 1739);
        assert_eq!(spelling_table().get("colour"), Some(&"color"));
    }
}
