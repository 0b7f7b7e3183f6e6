//! Python `str` / `re` character predicates used to reproduce jiwer's and Whisper's
//! text processing exactly.
//!
//! Python's definitions differ from Rust's in small ways (e.g. `str.isspace()` is true
//! for U+001C..U+001F, which `char::is_whitespace` rejects), so they are spelled out
//! here. Character properties come from the `unicode-general-category` crate (Unicode
//! 16); CPython 3.11 uses Unicode 14, so characters first assigned after Unicode 14 may
//! be classified differently. Everything assigned up to Unicode 14 matches.

use unicode_general_category::{get_general_category, GeneralCategory};

/// Python's `str.isspace()` for one character, which is also what `re`'s `\s` and
/// `str.strip()` / `str.split()` (without arguments) use for `str` patterns.
pub(crate) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\u{9}'..='\u{d}'
            | '\u{1c}'..='\u{20}'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Python's `re` `\w` for `str` patterns: `str.isalnum()` or `_`. For Unicode 14,
/// `isalnum()` is exactly "general category L* or N*" (checked over all code points).
pub(crate) fn is_word(c: char) -> bool {
    if c == '_' {
        return true;
    }
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    matches!(category_major(c), 'L' | 'N')
}

/// Python's `re` `\d` for `str` patterns: general category Nd.
pub(crate) fn is_decimal(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    get_general_category(c) == GeneralCategory::DecimalNumber
}

/// First letter of the Unicode general category (`unicodedata.category(c)[0]`).
pub(crate) fn category_major(c: char) -> char {
    get_general_category(c)
        .abbreviation()
        .chars()
        .next()
        .unwrap_or('C')
}

/// `unicodedata.category(c) == "Mn"`.
pub(crate) fn is_nonspacing_mark(c: char) -> bool {
    get_general_category(c) == GeneralCategory::NonspacingMark
}

/// Python's `str.strip()` without arguments.
pub(crate) fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// Python's `re.sub(r"\s+", " ", s)`.
pub(crate) fn collapse_space_runs(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_run = false;
    for c in s.chars() {
        if is_space(c) {
            if !in_run {
                out.push(' ');
                in_run = true;
            }
        } else {
            out.push(c);
            in_run = false;
        }
    }
    out
}

/// Python's `re.sub(r"\s\s+", " ", s)` (used as a test oracle for jiwer's word
/// transform, which implements it without an intermediate string): only runs of two or more whitespace characters
/// are replaced; a single whitespace character (e.g. a lone tab) is kept as is.
#[cfg(test)]
pub(crate) fn collapse_multi_space_runs(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if is_space(chars[i]) {
            let mut j = i;
            while j < chars.len() && is_space(chars[j]) {
                j += 1;
            }
            if j - i >= 2 {
                out.push(' ');
            } else {
                out.push(chars[i]);
            }
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Python's `str.split()` without arguments.
pub(crate) fn split_whitespace(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_space).filter(|w| !w.is_empty())
}

/// Python's `str.lower()`. Rust's `str::to_lowercase` applies the same full case
/// mappings (including the final-sigma rule) as CPython.
pub(crate) fn lower(s: &str) -> String {
    s.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_space_set() {
        assert!(is_space('\u{1c}'));
        assert!(!'\u{1c}'.is_whitespace());
        assert!(is_space('\u{a0}'));
        assert!(!is_space('\u{200b}'));
        assert!(!is_space('a'));
    }

    #[test]
    fn multi_space_keeps_single_tab() {
        assert_eq!(collapse_multi_space_runs("a\tb  c \t d"), "a\tb c d");
        assert_eq!(collapse_space_runs("a\tb  c"), "a b c");
    }

    #[test]
    fn word_chars() {
        assert!(is_word('é'));
        assert!(is_word('_'));
        assert!(is_word('٣'));
        assert!(!is_word('\u{301}'));
        assert!(!is_word('\''));
        assert!(is_decimal('٣'));
        assert!(!is_decimal('²'));
    }
}
