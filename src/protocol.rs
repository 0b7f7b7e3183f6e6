//! The metrics protocol: a line that is a JSON object is a metrics record, anything
//! else is a log line. Numbers become metric points, strings become run info.
//! Carriage-return progress bars are folded to their last state; ANSI colour codes
//! are kept for display and stripped for search and parsing.

use serde_json::{Map, Value};

/// What one line of output is.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Log(String),
    Record(Record),
}

/// A parsed metrics record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    pub step: Option<i64>,
    /// Seconds since the epoch, when the record carries `"time"`.
    pub time: Option<f64>,
    /// Metric points; NaN and ±Inf are kept.
    pub points: Vec<(String, f64)>,
    /// String-valued fields (run info).
    pub info: Vec<(String, String)>,
}

/// Write one metrics record: the object as one line of JSON, flushed at once so a
/// follower sees it while the run goes on. Every built-in experiment reports through
/// this; a record that is not a JSON object would read as a log line, so it is refused.
pub fn emit(out: &mut impl std::io::Write, record: &Value) -> std::io::Result<()> {
    if !record.is_object() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("a metrics record must be a JSON object, not {record}"),
        ));
    }
    writeln!(out, "{record}")?;
    out.flush()
}

/// Fold carriage-return progress updates: keep what follows the last `\r` that has
/// text after it (tqdm redraws a line in place).
pub fn fold_cr(line: &str) -> &str {
    let line = line.strip_suffix('\r').unwrap_or(line);
    line.rsplit('\r')
        .find(|s| !s.is_empty())
        .unwrap_or_default()
}

/// Remove ANSI escape sequences (CSI `ESC [ … final`, OSC `ESC ] … BEL/ST`, and
/// two-byte escapes).
pub fn strip_ansi(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('\x1b') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                // CSI: parameters and intermediates, then one final byte in @..~
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                // OSC: until BEL or ESC \
                while let Some(c) = chars.next() {
                    if c == '\x07' {
                        break;
                    }
                    if c == '\x1b' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Classify one line (without its newline).
pub fn parse_line(raw: &str) -> Line {
    let folded = fold_cr(raw);
    let plain = strip_ansi(folded);
    let t = plain.trim();
    if t.len() >= 2 && t.starts_with('{') && t.ends_with('}') {
        if let Some(r) = parse_record(t) {
            return Line::Record(r);
        }
    }
    Line::Log(folded.to_string())
}

/// Python's `json.dumps` writes NaN, Infinity and -Infinity, which strict JSON (and
/// serde_json) rejects: rewrite those tokens outside strings into marker strings.
fn python_json(t: &str) -> Option<String> {
    if !(t.contains("NaN") || t.contains("Infinity")) {
        return None;
    }
    // Work on bytes: the tokens are ASCII, and every other byte (UTF-8 included) is
    // copied through unchanged.
    let b = t.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len() + 16);
    let mut in_str = false;
    let mut escaped = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        let rest = &b[i..];
        if c == b'"' {
            in_str = true;
            out.push(c);
            i += 1;
        } else if rest.starts_with(b"NaN") {
            out.extend_from_slice(b"\"\\u0000NaN\"");
            i += 3;
        } else if rest.starts_with(b"-Infinity") {
            out.extend_from_slice(b"\"\\u0000-Inf\"");
            i += 9;
        } else if rest.starts_with(b"Infinity") {
            out.extend_from_slice(b"\"\\u0000Inf\"");
            i += 8;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn special(s: &str) -> Option<f64> {
    match s {
        "\u{0}NaN" => Some(f64::NAN),
        "\u{0}Inf" => Some(f64::INFINITY),
        "\u{0}-Inf" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// A Python dict literal (`print({'loss': 0.5, 'ok': True})`) as JSON: single-quoted
/// strings, True/False/None, nan/inf. `None` when it is not one.
fn python_dict(t: &str) -> Option<String> {
    let mut out = String::with_capacity(t.len() + 8);
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                // A string: re-emit it double-quoted, escaping as JSON needs.
                out.push('"');
                let quote = c;
                loop {
                    let c = chars.next()?;
                    match c {
                        '\\' => {
                            let n = chars.next()?;
                            match n {
                                '\'' => out.push('\''),
                                _ => {
                                    out.push('\\');
                                    out.push(n);
                                }
                            }
                        }
                        '"' if quote == '\'' => out.push_str("\\\""),
                        c if c == quote => break,
                        c => out.push(c),
                    }
                }
                out.push('"');
            }
            c if c.is_ascii_alphabetic() => {
                let mut word = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_ascii_alphanumeric() || n == '_' {
                        word.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push_str(match word.as_str() {
                    "True" => "true",
                    "False" => "false",
                    "None" => "null",
                    "nan" | "NaN" => "\"\\u0000NaN\"",
                    "inf" | "Infinity" => "\"\\u0000Inf\"",
                    _ => return None,
                });
            }
            '-' if chars.peek().is_some_and(|n| *n == 'i' || *n == 'I') => {
                let mut word = String::new();
                while let Some(&n) = chars.peek() {
                    if !n.is_ascii_alphabetic() {
                        break;
                    }
                    word.push(n);
                    chars.next();
                }
                if word != "inf" && word != "Infinity" {
                    return None;
                }
                out.push_str("\"\\u0000-Inf\"");
            }
            c => out.push(c),
        }
    }
    Some(out)
}

fn parse_record(t: &str) -> Option<Record> {
    let map: Map<String, Value> = match serde_json::from_str(t) {
        Ok(m) => m,
        Err(_) => match python_json(t).and_then(|j| serde_json::from_str(&j).ok()) {
            Some(m) => m,
            None => serde_json::from_str(&python_dict(t)?).ok()?,
        },
    };
    let mut r = Record::default();
    for (k, v) in map {
        match k.as_str() {
            "step" | "_step" => match &v {
                Value::Number(n) => r.step = n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
                _ => flatten(&k, &v, &mut r),
            },
            "time" | "_timestamp" => match &v {
                Value::Number(n) => r.time = n.as_f64(),
                _ => flatten(&k, &v, &mut r),
            },
            _ => flatten(&k, &v, &mut r),
        }
    }
    Some(r)
}

fn flatten(key: &str, v: &Value, r: &mut Record) {
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64() {
                r.points.push((key.to_string(), f));
            }
        }
        Value::Bool(b) => r.points.push((key.to_string(), if *b { 1.0 } else { 0.0 })),
        Value::Null => r.points.push((key.to_string(), f64::NAN)),
        Value::String(s) => match special(s) {
            Some(f) => r.points.push((key.to_string(), f)),
            None => r.info.push((key.to_string(), s.clone())),
        },
        Value::Object(m) => {
            for (k, v) in m {
                flatten(&format!("{key}.{k}"), v, r);
            }
        }
        Value::Array(_) => r.info.push((key.to_string(), v.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(s: &str) -> Record {
        match parse_line(s) {
            Line::Record(r) => r,
            Line::Log(l) => panic!("not a record: {l}"),
        }
    }

    #[test]
    fn json_objects_are_records() {
        let r = rec(
            r#"{"step": 10, "loss": 2.31, "lr": 0.001, "phase": "warmup", "eval": {"wer": 0.12}, "ok": true}"#,
        );
        assert_eq!(r.step, Some(10));
        assert_eq!(
            r.points,
            vec![
                ("eval.wer".into(), 0.12),
                ("loss".into(), 2.31),
                ("lr".into(), 0.001),
                ("ok".into(), 1.0)
            ]
        );
        assert_eq!(r.info, vec![("phase".into(), "warmup".into())]);
        assert_eq!(rec(r#"  {"loss": 1}  "#).step, None);
    }

    #[test]
    fn python_nan_and_infinity_are_kept() {
        let r = rec(
            r#"{"step": 3, "loss": NaN, "g": Infinity, "h": -Infinity, "s": "NaN in a string"}"#,
        );
        let get = |k: &str| r.points.iter().find(|p| p.0 == k).unwrap().1;
        assert!(get("loss").is_nan());
        assert_eq!(get("g"), f64::INFINITY);
        assert_eq!(get("h"), f64::NEG_INFINITY);
        assert_eq!(r.info, vec![("s".into(), "NaN in a string".into())]);
        assert!(rec(r#"{"v": null}"#).points[0].1.is_nan());
    }

    #[test]
    fn python_dict_literals_are_records_too() {
        let r = rec("{'step': 3, 'loss': 0.5, 'ok': True, 'bad': None, 'g': nan, 'h': -inf, 'name': \"it's\", 'p': 'a \\'q\\''}");
        assert_eq!(r.step, Some(3));
        let get = |k: &str| r.points.iter().find(|p| p.0 == k).map(|p| p.1);
        assert_eq!(get("loss"), Some(0.5));
        assert_eq!(get("ok"), Some(1.0));
        assert!(get("bad").unwrap().is_nan());
        assert!(get("g").unwrap().is_nan());
        assert_eq!(get("h"), Some(f64::NEG_INFINITY));
        assert_eq!(
            r.info,
            vec![("name".into(), "it's".into()), ("p".into(), "a 'q'".into())]
        );
        assert!(matches!(parse_line("{'a': undefined_name}"), Line::Log(_)));
        assert!(matches!(parse_line("{'a': 1"), Line::Log(_)));
    }

    #[test]
    fn non_ascii_text_never_panics_and_survives() {
        for l in [
            "{'msg': 'NaN seen', 'unit': 'µs'}",
            "{\"unit\": \"µs\", \"v\": NaN}",
            "{µ NaN}",
            "{\"é\": Infinity}",
        ] {
            let _ = parse_line(l);
        }
        let r = rec("{\"unit\": \"µs\", \"v\": NaN}");
        assert_eq!(r.info, vec![("unit".into(), "µs".into())]);
        let r = rec("{'msg': 'NaN seen', 'unit': 'µs'}");
        assert_eq!(
            r.info,
            vec![
                ("msg".into(), "NaN seen".into()),
                ("unit".into(), "µs".into())
            ]
        );
    }

    #[test]
    fn everything_else_is_a_log_line() {
        for l in [
            "plain text",
            "{not json}",
            "[1, 2]",
            "{",
            "",
            "{\"a\": 1} trailing",
            "\"string\"",
        ] {
            assert!(matches!(parse_line(l), Line::Log(_)), "{l}");
        }
    }

    #[test]
    fn carriage_returns_fold_to_the_last_state() {
        assert_eq!(
            fold_cr(" 10%|#   \r 50%|#####  \r100%|##########"),
            "100%|##########"
        );
        assert_eq!(fold_cr("done\r"), "done");
        assert_eq!(fold_cr("a\r\r"), "a");
        assert_eq!(
            parse_line("  0%|\r{\"loss\": 1.5}"),
            Line::Record(Record {
                points: vec![("loss".into(), 1.5)],
                ..Default::default()
            })
        );
    }

    #[test]
    fn ansi_is_kept_for_display_and_stripped_for_parsing() {
        let coloured = "\x1b[32mINFO\x1b[0m ready \x1b]0;title\x07ok";
        assert_eq!(strip_ansi(coloured), "INFO ready ok");
        assert_eq!(parse_line(coloured), Line::Log(coloured.to_string()));
        assert!(matches!(
            parse_line("\x1b[1m{\"loss\": 2}\x1b[0m"),
            Line::Record(_)
        ));
    }
}
