//! Exact labels by construction: where a synthesised word starts and ends (the
//! trimmer), and the 10 ms speech/silence frame labels derived from word spans.

use super::config::{
    FRAME_SAMPLES, SPEECH_FRAME_MIN_SAMPLES, TRIM_FLOOR, TRIM_MARGIN_SAMPLES, TRIM_REL_DB,
    TRIM_WINDOW_SAMPLES,
};

/// The 5 ms centred RMS envelope used by the trimmer: `e[i] = sqrt(Σ x[i-40 .. i+40)² / 80)`,
/// samples outside `x` counting as zero.
pub fn trim_envelope(x: &[f32]) -> Vec<f64> {
    let n = x.len();
    let mut cum = vec![0.0f64; n + 1];
    for (i, v) in x.iter().enumerate() {
        cum[i + 1] = cum[i] + (*v as f64) * (*v as f64);
    }
    let h = TRIM_WINDOW_SAMPLES / 2;
    (0..n)
        .map(|i| {
            let a = i.saturating_sub(h);
            let b = (i + h).min(n);
            ((cum[b] - cum[a]) / TRIM_WINDOW_SAMPLES as f64).sqrt()
        })
        .collect()
}

/// The kept region `[start, end)` of a synthesised word (see the module docs), or
/// `None` if the word never rises above −60 dBFS.
pub fn trim_bounds(x: &[f32]) -> Option<(usize, usize)> {
    let e = trim_envelope(x);
    let peak = e.iter().cloned().fold(0.0f64, f64::max);
    let thr = (peak * 10f64.powf(TRIM_REL_DB / 20.0)).max(TRIM_FLOOR);
    if peak < thr {
        return None;
    }
    let first = e.iter().position(|&v| v >= thr)?;
    let last = e.iter().rposition(|&v| v >= thr)?;
    Some((
        first.saturating_sub(TRIM_MARGIN_SAMPLES),
        (last + 1 + TRIM_MARGIN_SAMPLES).min(x.len()),
    ))
}

/// Frame labels for `n_frames` 10 ms frames from sample spans (`[start, end)`, any
/// order, may overlap) by the ≥ 50 % rule, run-length encoded.
pub fn frame_labels(spans: &[(usize, usize)], n_frames: usize) -> Vec<[usize; 3]> {
    let n = n_frames * FRAME_SAMPLES;
    let mut inside = vec![false; n];
    for &(a, b) in spans {
        for v in inside.iter_mut().take(b.min(n)).skip(a.min(n)) {
            *v = true;
        }
    }
    let labels: Vec<usize> = (0..n_frames)
        .map(|f| {
            let c = inside[f * FRAME_SAMPLES..(f + 1) * FRAME_SAMPLES]
                .iter()
                .filter(|v| **v)
                .count();
            usize::from(c >= SPEECH_FRAME_MIN_SAMPLES)
        })
        .collect();
    run_length(&labels)
}

/// Run-length encode 0/1 labels as `[start, end, label]` (end exclusive).
pub fn run_length(labels: &[usize]) -> Vec<[usize; 3]> {
    let mut out: Vec<[usize; 3]> = Vec::new();
    for (i, &l) in labels.iter().enumerate() {
        match out.last_mut() {
            Some(r) if r[2] == l => r[1] = i + 1,
            _ => out.push([i, i + 1, l]),
        }
    }
    out
}

/// Expand a run-length list back to one label per frame.
pub fn expand_runs(runs: &[[usize; 3]]) -> Vec<usize> {
    let mut out = Vec::new();
    for r in runs {
        out.extend(std::iter::repeat_n(r[2], r[1].saturating_sub(r[0])));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_keeps_burst_plus_margin() {
        let mut x = vec![0.0f32; 1000];
        x.extend((0..2000).map(|i| 0.5 * ((i as f32) * 0.3).sin()));
        x.extend(vec![0.0f32; 1000]);
        let (a, b) = trim_bounds(&x).unwrap();
        // the envelope reaches the threshold within half a window of the edge
        assert!((1000 - 40 - 80..=1000 - 80).contains(&a), "start {a}");
        assert!((3000 + 80..=3000 + 40 + 80).contains(&b), "end {b}");
        assert_eq!(trim_bounds(&[0.0f32; 500]), None);
        assert_eq!(trim_bounds(&[0.0005f32; 500]), None);
    }

    #[test]
    fn frame_rule_is_half_a_frame() {
        // 80 samples of frame 1 → speech; 79 samples of frame 3 → not.
        let runs = frame_labels(&[(160, 240), (480 + 81, 640)], 5);
        assert_eq!(expand_runs(&runs), vec![0, 1, 0, 0, 0]);
        let runs = frame_labels(&[(480 + 80, 640 + 79)], 5);
        assert_eq!(expand_runs(&runs), vec![0, 0, 0, 1, 0]);
        assert_eq!(
            run_length(&[1, 1, 0, 1]),
            vec![[0, 2, 1], [2, 3, 0], [3, 4, 1]]
        );
    }
}
