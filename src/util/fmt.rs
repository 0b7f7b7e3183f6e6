//! How numbers, durations and clock times are written for people: one formatter each,
//! shared by the CLI, the TUI and the Markdown exports so a value reads the same
//! everywhere.

/// A metric value: four decimals, scientific notation for very small or very large
/// magnitudes, `NaN` for a missing (NaN) value and `inf`/`-inf`.
pub fn value(v: Option<f64>) -> String {
    match v {
        None => "NaN".into(),
        Some(x) if x.is_nan() => "NaN".into(),
        Some(x) if x.is_infinite() => {
            if x > 0.0 {
                "inf".into()
            } else {
                "-inf".into()
            }
        }
        Some(x) if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e5) => format!("{x:.3e}"),
        Some(x) => format!("{x:.4}"),
    }
}

/// A duration: `4.2s`, `3m07s`, `2h05m`; `-` when unknown.
pub fn duration(secs: Option<f64>) -> String {
    match secs {
        None => "-".into(),
        Some(s) if s < 60.0 => format!("{s:.1}s"),
        Some(s) if s < 3600.0 => format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64),
        Some(s) => format!(
            "{}h{:02}m",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        ),
    }
}

/// A stopwatch time, `m:ss` (negative times read as zero).
pub fn clock(secs: f64) -> String {
    let s = secs.max(0.0).round() as i64;
    format!("{}:{:02}", s / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_durations_and_clocks() {
        assert_eq!(value(Some(1.23456)), "1.2346");
        assert_eq!(value(Some(0.0)), "0.0000");
        assert_eq!(value(Some(2.5e-5)), "2.500e-5");
        assert_eq!(value(Some(123456.0)), "1.235e5");
        assert_eq!(value(None), "NaN");
        assert_eq!(value(Some(f64::NAN)), "NaN");
        assert_eq!(value(Some(f64::NEG_INFINITY)), "-inf");
        assert_eq!(duration(None), "-");
        assert_eq!(duration(Some(4.25)), "4.2s");
        assert_eq!(duration(Some(187.0)), "3m07s");
        assert_eq!(duration(Some(7500.0)), "2h05m");
        assert_eq!(clock(65.4), "1:05");
        assert_eq!(clock(-3.0), "0:00");
    }
}
