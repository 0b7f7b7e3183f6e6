//! A small SVG writer for report figures: line charts (one or several series with a
//! legend, linear or log y) and horizontal bar charts. Text is plain SVG `<text>` in a
//! generic font family, so nothing here needs system fonts, and the files stay
//! searchable and scale cleanly.

use std::fmt::Write as _;

/// Colours of the series, in order (Tableau 10: distinguishable and print-safe).
pub const PALETTE: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

const WIDTH: f64 = 760.0;
const PLOT_H: f64 = 320.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 40.0;

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    /// (x, y); non-finite values are left out of the line.
    pub points: Vec<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
}

/// One bar; `best` is drawn in the highlight colour.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub best: bool,
}

/// Escape text for SVG element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// A tick label: short, no trailing zeros, scientific for very small or large values.
pub fn tick_label(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.1e}");
        return s.replace(".0e", "e");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// "Nice" tick positions covering [lo, hi] (about `n` of them).
pub fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() * step;
    let mut out = Vec::new();
    let mut k = 0;
    loop {
        let t = first + k as f64 * step;
        if t > hi + step * 1e-9 {
            break;
        }
        // Snap away floating noise like 0.30000000000000004.
        let decimals = (-step.log10().floor()).max(0.0) as usize + 1;
        out.push(format!("{t:.decimals$}").parse().unwrap_or(t));
        k += 1;
        if k > 50 {
            break;
        }
    }
    out
}

/// Axis range with a little padding; a flat range is widened around its value.
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    if hi > lo {
        let pad = (hi - lo) * 0.05;
        (lo - pad, hi + pad)
    } else {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo - d, hi + d)
    }
}

fn header(out: &mut String, w: f64, h: f64, title: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{:.1}\" y=\"22\" font-size=\"15\" font-weight=\"bold\" text-anchor=\"middle\">{}</text>\n",
        w / 2.0,
        esc(title)
    );
}

/// A line chart. The y axis is logarithmic when every value is positive and they
/// span more than two decades (loss curves that fall by orders of magnitude).
pub fn line_chart(c: &LineChart) -> String {
    // (index, series, its points downsampled)
    type Drawn<'a> = (usize, &'a Series, Vec<(f64, f64)>);
    let series: Vec<Drawn> = c
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            // About two points per pixel column: the exact envelope, a small file.
            let pts = crate::runs::series::downsample(&s.points, (WIDTH - LEFT - RIGHT) as usize);
            (i, s, pts)
        })
        .collect();
    let all = series.iter().flat_map(|s| s.2.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in all {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let empty = !x0.is_finite();
    if empty {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    let log_y = !empty && y0 > 0.0 && y1 / y0 > 100.0;
    let ty = |v: f64| if log_y { v.log10() } else { v };
    let (ya, yb) = if log_y {
        (y0.log10().floor(), y1.log10().ceil())
    } else {
        padded(y0, y1)
    };
    let (xa, xb) = if x1 > x0 { (x0, x1) } else { padded(x0, x1) };
    let legend_rows = series.len();
    let legend_h = if legend_rows > 1 {
        12.0 + 18.0 * legend_rows as f64
    } else {
        0.0
    };
    let h = TOP + PLOT_H + 50.0 + legend_h;
    let pw = WIDTH - LEFT - RIGHT;
    let px = |x: f64| LEFT + (x - xa) / (xb - xa) * pw;
    let py = |y: f64| TOP + PLOT_H - (ty(y) - ya) / (yb - ya) * PLOT_H;
    let mut o = String::new();
    header(&mut o, WIDTH, h, &c.title);
    // Grid and ticks.
    let yticks: Vec<f64> = if log_y {
        (ya as i32..=yb as i32).map(|e| 10f64.powi(e)).collect()
    } else {
        nice_ticks(ya, yb, 6)
    };
    for t in &yticks {
        let y = py(*t);
        let _ = writeln!(
            o,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#e0e0e0\"/>\n<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT + pw,
            LEFT - 6.0,
            y + 4.0,
            esc(&tick_label(*t))
        );
    }
    for t in nice_ticks(xa, xb, 8) {
        let x = px(t);
        let _ = writeln!(
            o,
            "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#f0f0f0\"/>\n<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            TOP + PLOT_H,
            TOP + PLOT_H + 16.0,
            esc(&tick_label(t))
        );
    }
    let _ = writeln!(
        o,
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{pw:.1}\" height=\"{PLOT_H}\" fill=\"none\" stroke=\"#444\"/>\n\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n\
         <text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}{}</text>",
        LEFT + pw / 2.0,
        TOP + PLOT_H + 36.0,
        esc(&c.x_label),
        TOP + PLOT_H / 2.0,
        esc(&c.y_label),
        if log_y { " (log scale)" } else { "" }
    );
    if empty {
        let _ = writeln!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#888\">no finite values</text>",
            LEFT + pw / 2.0,
            TOP + PLOT_H / 2.0
        );
    }
    for (i, _, pts) in &series {
        let colour = PALETTE[i % PALETTE.len()];
        if pts.len() == 1 {
            let _ = writeln!(
                o,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"/>",
                px(pts[0].0),
                py(pts[0].1)
            );
            continue;
        }
        let mut d = String::new();
        for (k, &(x, y)) in pts.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1}",
                if k == 0 { "M" } else { " L" },
                px(x),
                py(y)
            );
        }
        if !d.is_empty() {
            let _ = writeln!(
                o,
                "<path d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.6\" stroke-linejoin=\"round\"/>"
            );
        }
    }
    if legend_rows > 1 {
        let top = TOP + PLOT_H + 52.0;
        for (i, s, _) in &series {
            let y = top + 18.0 * *i as f64;
            let colour = PALETTE[i % PALETTE.len()];
            let _ = writeln!(
                o,
                "<line x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-width=\"3\"/>\n<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                y - 4.0,
                LEFT + 24.0,
                y - 4.0,
                LEFT + 32.0,
                y,
                esc(&s.label)
            );
        }
    }
    o.push_str("</svg>\n");
    o
}

/// A horizontal bar chart (labels on the left, so long run ids fit).
pub fn bar_chart(title: &str, x_label: &str, bars: &[Bar]) -> String {
    let label_w = 300.0;
    let row = 26.0;
    let h = TOP + row * bars.len().max(1) as f64 + 56.0;
    let left = label_w + 10.0;
    let pw = WIDTH - left - 90.0;
    let finite: Vec<f64> = bars
        .iter()
        .map(|b| b.value)
        .filter(|v| v.is_finite())
        .collect();
    let lo = finite.iter().copied().fold(0.0f64, f64::min);
    let hi = finite.iter().copied().fold(0.0f64, f64::max);
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo, lo + 1.0) };
    let px = |v: f64| left + (v - lo) / (hi - lo) * pw;
    let mut o = String::new();
    header(&mut o, WIDTH, h, title);
    let bottom = TOP + row * bars.len().max(1) as f64;
    for t in nice_ticks(lo, hi, 6) {
        let x = px(t);
        let _ = writeln!(
            o,
            "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\" stroke=\"#e0e0e0\"/>\n<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            bottom + 16.0,
            esc(&tick_label(t))
        );
    }
    for (i, b) in bars.iter().enumerate() {
        let y = TOP + row * i as f64;
        let label = crate::util::truncate(&b.label, 44);
        let _ = writeln!(
            o,
            "<text x=\"{label_w:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            y + row / 2.0 + 4.0,
            esc(&label)
        );
        if !b.value.is_finite() {
            let _ = writeln!(
                o,
                "<text x=\"{left:.1}\" y=\"{:.1}\" fill=\"#888\">{}</text>",
                y + row / 2.0 + 4.0,
                if b.value.is_nan() { "NaN" } else { "inf" }
            );
            continue;
        }
        let (a, z) = (px(b.value.min(0.0)), px(b.value.max(0.0)));
        let fill = if b.best { "#d62728" } else { "#1f77b4" };
        let _ = writeln!(
            o,
            "<rect x=\"{a:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\"/>\n<text x=\"{:.1}\" y=\"{:.1}\">{}{}</text>",
            y + 4.0,
            (z - a).max(1.0),
            row - 8.0,
            z + 6.0,
            y + row / 2.0 + 4.0,
            esc(&tick_label(b.value)),
            if b.best { " ★" } else { "" }
        );
    }
    let _ = writeln!(
        o,
        "<line x1=\"{:.1}\" y1=\"{TOP}\" x2=\"{:.1}\" y2=\"{bottom:.1}\" stroke=\"#444\"/>\n<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
        px(0.0),
        px(0.0),
        left + pw / 2.0,
        bottom + 36.0,
        esc(x_label)
    );
    o.push_str("</svg>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(nice_ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(nice_ticks(0.13, 0.92, 4), vec![0.2, 0.4, 0.6, 0.8]);
        assert_eq!(nice_ticks(0.0, 1.0, 4), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(
            nice_ticks(0.0, 2000.0, 8),
            vec![0.0, 250.0, 500.0, 750.0, 1000.0, 1250.0, 1500.0, 1750.0, 2000.0]
        );
        assert_eq!(tick_label(0.30000000000000004), "0.3");
        assert_eq!(tick_label(2e-5), "2e-5");
        assert_eq!(tick_label(1500.0), "1500");
    }

    #[test]
    fn charts_escape_text_and_draw_every_series() {
        let c = LineChart {
            title: "loss <train> & val".into(),
            x_label: "step".into(),
            y_label: "loss".into(),
            series: vec![
                Series {
                    label: "a".into(),
                    points: vec![(0.0, 3.0), (1.0, f64::NAN), (2.0, 1.0)],
                },
                Series {
                    label: "b".into(),
                    points: vec![(0.0, 2.0), (2.0, 0.5)],
                },
            ],
        };
        let s = line_chart(&c);
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        assert!(s.contains("loss &lt;train&gt; &amp; val"));
        assert_eq!(s.matches("<path").count(), 2);
        assert!(!s.contains("NaN"));
        let b = bar_chart(
            "final",
            "wer",
            &[
                Bar {
                    label: "x".into(),
                    value: 0.2,
                    best: true,
                },
                Bar {
                    label: "y".into(),
                    value: f64::NAN,
                    best: false,
                },
            ],
        );
        assert!(b.contains("★") && b.contains(">NaN<"));
    }

    #[test]
    fn a_wide_positive_range_gets_a_log_axis() {
        let c = LineChart {
            title: "t".into(),
            x_label: "step".into(),
            y_label: "loss".into(),
            series: vec![Series {
                label: "a".into(),
                points: (0..100)
                    .map(|i| (i as f64, 10f64.powf(-(i as f64) / 20.0)))
                    .collect(),
            }],
        };
        assert!(line_chart(&c).contains("(log scale)"));
    }
}
