//! Chart preparation: TensorBoard-style debiased EMA smoothing and downsampling to a
//! couple of points per terminal column (so a million points draw in a frame).

/// Debiased exponential moving average (TensorBoard's smoothing): `weight` in [0, 1).
/// Non-finite values pass through unsmoothed and do not disturb the average.
pub fn ema(points: &[(f64, f64)], weight: f64) -> Vec<(f64, f64)> {
    let w = weight.clamp(0.0, 0.999);
    let mut last = 0.0;
    let mut n = 0i32;
    points
        .iter()
        .map(|&(x, y)| {
            if !y.is_finite() {
                return (x, y);
            }
            last = last * w + (1.0 - w) * y;
            n += 1;
            let debias = 1.0 - w.powi(n);
            (x, if debias > 0.0 { last / debias } else { y })
        })
        .collect()
}

/// Keep the first, min, max and last point of each of `buckets` x-intervals, in x
/// order, dropping non-finite values. Enough to draw the exact envelope.
pub fn downsample(points: &[(f64, f64)], buckets: usize) -> Vec<(f64, f64)> {
    let finite: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    if finite.len() <= buckets.max(1) * 4 {
        return finite;
    }
    let (lo, hi) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.0), b.max(p.0))
        });
    let width = (hi - lo).max(f64::MIN_POSITIVE);
    let mut out = Vec::with_capacity(buckets * 4);
    let mut i = 0;
    while i < finite.len() {
        let b = (((finite[i].0 - lo) / width) * buckets as f64)
            .floor()
            .min(buckets as f64 - 1.0);
        let start = i;
        let (mut mn, mut mx) = (i, i);
        while i < finite.len()
            && (((finite[i].0 - lo) / width) * buckets as f64)
                .floor()
                .min(buckets as f64 - 1.0)
                == b
        {
            if finite[i].1 < finite[mn].1 {
                mn = i;
            }
            if finite[i].1 > finite[mx].1 {
                mx = i;
            }
            i += 1;
        }
        let mut idx = vec![start, mn, mx, i - 1];
        idx.sort_unstable();
        idx.dedup();
        out.extend(idx.into_iter().map(|k| finite[k]));
    }
    out
}

/// y-axis bounds with a little headroom; log scale uses log10 of positive values.
pub fn bounds(series: &[&[(f64, f64)]]) -> ([f64; 2], [f64; 2]) {
    let mut x = [f64::INFINITY, f64::NEG_INFINITY];
    let mut y = [f64::INFINITY, f64::NEG_INFINITY];
    for s in series {
        for &(a, b) in s.iter() {
            if a.is_finite() && b.is_finite() {
                x = [x[0].min(a), x[1].max(a)];
                y = [y[0].min(b), y[1].max(b)];
            }
        }
    }
    if !x[0].is_finite() {
        return ([0.0, 1.0], [0.0, 1.0]);
    }
    if x[0] == x[1] {
        x[1] = x[0] + 1.0;
    }
    let span = y[1] - y[0];
    // A flat series still gets a visible band around its value.
    let pad = if span > 1e-9 * y[1].abs().max(y[0].abs()) {
        span * 0.05
    } else {
        (y[0].abs() * 0.05).max(1e-9)
    };
    ([x[0], x[1]], [y[0] - pad, y[1] + pad])
}

/// A stable colour index for a run id (the same run keeps its colour everywhere).
pub fn colour_index(id: &str, palette: usize) -> usize {
    (crate::util::fnv1a(id.as_bytes()) % palette.max(1) as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ema_is_debiased_and_skips_nan() {
        let pts: Vec<(f64, f64)> = (0..5).map(|i| (i as f64, 10.0)).collect();
        for (_, y) in ema(&pts, 0.9) {
            assert!((y - 10.0).abs() < 1e-9, "a constant stays constant: {y}");
        }
        let s = ema(&[(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0)], 0.5);
        assert_eq!(s[0].1, 1.0);
        assert!(s[1].1.is_nan());
        // (0.5*0.5*... ) debiased: ema = 0.5*1*0.5 + 0.5*3 = 1.75; debias 1-0.25 = 0.75
        assert!((s[2].1 - 1.75 / 0.75).abs() < 1e-9);
        assert_eq!(ema(&pts, 0.0), pts);
    }

    #[test]
    fn downsample_keeps_the_envelope() {
        let pts: Vec<(f64, f64)> = (0..100_000)
            .map(|i| (i as f64, ((i * 7919) % 1000) as f64))
            .collect();
        let d = downsample(&pts, 100);
        assert!(d.len() <= 400, "{}", d.len());
        let max = d.iter().map(|p| p.1).fold(f64::MIN, f64::max);
        let min = d.iter().map(|p| p.1).fold(f64::MAX, f64::min);
        assert_eq!((min, max), (0.0, 999.0));
        assert!(d.windows(2).all(|w| w[0].0 <= w[1].0), "x order kept");
        assert_eq!(d.first(), pts.first());
        assert_eq!(d.last(), pts.last());
        let few = [(0.0, 1.0), (1.0, f64::NAN), (2.0, f64::INFINITY)];
        assert_eq!(downsample(&few, 10), vec![(0.0, 1.0)]);
    }

    #[test]
    fn bounds_and_colours() {
        let a = [(0.0, 1.0), (10.0, 3.0)];
        let (x, y) = bounds(&[&a]);
        assert_eq!(x, [0.0, 10.0]);
        assert!(y[0] < 1.0 && y[1] > 3.0);
        assert_eq!(bounds(&[]), ([0.0, 1.0], [0.0, 1.0]));
        assert_eq!(colour_index("run-a", 8), colour_index("run-a", 8));
    }
}

/// Points of a chart line.
pub type Xy = Vec<(f64, f64)>;

/// Per-bucket first/min/max/last, flushed in x order.
struct Bucket {
    idx: i64,
    pts: [(f64, f64); 4], // first, min, max, last
}

impl Bucket {
    fn flush(&self, out: &mut Vec<(f64, f64)>) {
        let mut p = self.pts;
        p.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut last: Option<(f64, f64)> = None;
        for q in p {
            if last != Some(q) {
                out.push(q);
                last = Some(q);
            }
        }
    }

    fn add(&mut self, p: (f64, f64)) {
        if p.1 < self.pts[1].1 {
            self.pts[1] = p;
        }
        if p.1 > self.pts[2].1 {
            self.pts[2] = p;
        }
        self.pts[3] = p;
    }
}

/// One pass over a series: the raw envelope and the debiased-EMA envelope, each
/// downsampled to `buckets` x-intervals — what [`ema`] then [`downsample`] give,
/// without the intermediate copies (a million points in a few milliseconds).
pub fn smooth_and_downsample(
    points: impl Iterator<Item = (f64, f64)> + Clone,
    weight: f64,
    buckets: usize,
) -> (Xy, Xy) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (x, y) in points.clone() {
        if x.is_finite() && y.is_finite() {
            lo = lo.min(x);
            hi = hi.max(x);
        }
    }
    if !lo.is_finite() {
        return (Vec::new(), Vec::new());
    }
    let buckets = buckets.max(1);
    let scale = buckets as f64 / (hi - lo).max(f64::MIN_POSITIVE);
    let w = weight.clamp(0.0, 0.999);
    let (mut ema_v, mut n, mut wn) = (0.0f64, 0i32, 1.0f64);
    let (mut raw, mut smooth) = (
        Vec::with_capacity(buckets * 4),
        Vec::with_capacity(buckets * 4),
    );
    let (mut br, mut bs): (Option<Bucket>, Option<Bucket>) = (None, None);
    for (x, y) in points {
        if !(x.is_finite() && y.is_finite()) {
            continue;
        }
        ema_v = ema_v * w + (1.0 - w) * y;
        n += 1;
        wn *= w;
        let s = if n > 0 && wn < 1.0 {
            ema_v / (1.0 - wn)
        } else {
            y
        };
        let idx = (((x - lo) * scale) as i64).min(buckets as i64 - 1);
        for (b, out, p) in [(&mut br, &mut raw, (x, y)), (&mut bs, &mut smooth, (x, s))] {
            match b {
                Some(cur) if cur.idx == idx => cur.add(p),
                _ => {
                    if let Some(cur) = b.take() {
                        cur.flush(out);
                    }
                    *b = Some(Bucket { idx, pts: [p; 4] });
                }
            }
        }
    }
    if let Some(b) = br {
        b.flush(&mut raw);
    }
    if let Some(b) = bs {
        b.flush(&mut smooth);
    }
    (raw, smooth)
}

#[cfg(test)]
mod one_pass_tests {
    use super::*;

    #[test]
    fn one_pass_matches_the_two_step_result_in_envelope() {
        let pts: Vec<(f64, f64)> = (0..50_000)
            .map(|i| (i as f64, ((i * 7919) % 1000) as f64 + (i as f64 / 100.0)))
            .collect();
        let (raw, smooth) = smooth_and_downsample(pts.iter().copied(), 0.6, 100);
        let two_raw = downsample(&pts, 100);
        let two_smooth = downsample(&ema(&pts, 0.6), 100);
        let env = |v: &[(f64, f64)]| {
            (
                v.iter().map(|p| p.1).fold(f64::MAX, f64::min),
                v.iter().map(|p| p.1).fold(f64::MIN, f64::max),
            )
        };
        assert_eq!(env(&raw), env(&two_raw));
        let (a, b) = (env(&smooth), env(&two_smooth));
        assert!(
            (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9,
            "{a:?} {b:?}"
        );
        assert_eq!(raw.first(), pts.first());
        assert_eq!(raw.last(), pts.last());
        assert!(raw.len() <= 400 && smooth.len() <= 400);
        assert!(raw.windows(2).all(|w| w[0].0 <= w[1].0));
        let (r, s) = smooth_and_downsample([(0.0, f64::NAN), (1.0, 2.0)].into_iter(), 0.5, 10);
        assert_eq!((r, s), (vec![(1.0, 2.0)], vec![(1.0, 2.0)]));
    }
}
