//! Latency summaries: count, mean, min, max and the 50th/95th/99th percentiles.
//!
//! Percentiles use **NumPy's default method, `'linear'`** (`np.percentile(a, q)`,
//! Hyndman & Fan type 7): with the `n` samples sorted ascending, the virtual index is
//! `h = (n - 1) * q / 100`; with `i = floor(h)` and `g = h - i` the result is the
//! linear interpolation between `x[i]` and `x[i + 1]`, evaluated exactly like NumPy's
//! `_lerp` (`x[i] + (x[i+1] - x[i]) * g` for `g < 0.5`, otherwise
//! `x[i+1] - (x[i+1] - x[i]) * (1 - g)`); `h >= n - 1` gives the maximum. The mean
//! is `np.mean`'s pairwise summation divided by `n`. Results are bit-identical to
//! NumPy 2.x for finite inputs.
//!
//! Empty inputs, non-finite samples and percentiles outside `[0, 100]` are errors.

use std::time::Duration;

use anyhow::{bail, ensure, Result};

/// Summary statistics of a sample of latencies (all in the unit of the input; see
/// [`summarize_durations`] for `Duration` input, reported in milliseconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencySummary {
    /// Number of samples.
    pub count: usize,
    /// Arithmetic mean (`np.mean`).
    pub mean: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
    /// Median (`np.percentile(x, 50)`).
    pub p50: f64,
    /// `np.percentile(x, 95)`.
    pub p95: f64,
    /// `np.percentile(x, 99)`.
    pub p99: f64,
}

fn check_samples(samples: &[f64]) -> Result<()> {
    ensure!(!samples.is_empty(), "cannot summarise an empty sample");
    if let Some(i) = samples.iter().position(|v| !v.is_finite()) {
        bail!(
            "sample {i} is not finite ({}); latencies must be finite",
            samples[i]
        );
    }
    Ok(())
}

fn sorted_copy(samples: &[f64]) -> Vec<f64> {
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// NumPy `'linear'` percentile on an already sorted, non-empty, finite slice.
fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let quantile = q / 100.0;
    let virtual_index = (n - 1) as f64 * quantile;
    if virtual_index >= (n - 1) as f64 {
        return sorted[n - 1];
    }
    let prev = virtual_index.floor();
    // virtual_index >= 0 because 0 <= q
    let i = prev as usize;
    let a = sorted[i];
    let b = sorted[i + 1];
    let gamma = virtual_index - prev;
    let diff = b - a;
    if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    }
}

/// `np.percentile(samples, q)` with the default `'linear'` method (see module docs).
///
/// # Errors
/// Empty `samples`, a non-finite sample, or `q` outside `[0, 100]`.
pub fn percentile(samples: &[f64], q: f64) -> Result<f64> {
    check_samples(samples)?;
    ensure!(
        (0.0..=100.0).contains(&q),
        "percentile must be within [0, 100], got {q}"
    );
    Ok(percentile_sorted(&sorted_copy(samples), q))
}

/// NumPy's pairwise summation (`np.add.reduce` on a contiguous float64 array).
fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for v in a {
            res += v;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// `np.mean(samples)` (pairwise sum / n).
///
/// # Errors
/// Empty `samples` or a non-finite sample.
pub fn mean(samples: &[f64]) -> Result<f64> {
    check_samples(samples)?;
    Ok(pairwise_sum(samples) / samples.len() as f64)
}

/// Count, mean, min, max, p50, p95 and p99 of `samples` (any unit; NumPy `'linear'`
/// percentiles, see module docs).
///
/// # Errors
/// Empty `samples` or a non-finite sample.
pub fn summarize(samples: &[f64]) -> Result<LatencySummary> {
    check_samples(samples)?;
    let sorted = sorted_copy(samples);
    Ok(LatencySummary {
        count: samples.len(),
        mean: pairwise_sum(samples) / samples.len() as f64,
        min: sorted[0],
        max: sorted[sorted.len() - 1],
        p50: percentile_sorted(&sorted, 50.0),
        p95: percentile_sorted(&sorted, 95.0),
        p99: percentile_sorted(&sorted, 99.0),
    })
}

/// [`summarize`] for `Duration`s; every field is reported in **milliseconds**
/// (`Duration::as_secs_f64() * 1000`).
///
/// # Errors
/// Empty `samples`.
pub fn summarize_durations(samples: &[Duration]) -> Result<LatencySummary> {
    let ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    summarize(&ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_reference_values() {
        // np.percentile([1, 2, 3, 4], [50, 95, 99]) = [2.5, 3.85, 3.97]
        let x = [4.0, 1.0, 3.0, 2.0];
        let s = summarize(&x).unwrap();
        assert_eq!(s.p50, 2.5);
        assert_eq!(s.p95, 3.8499999999999996);
        assert_eq!(s.p99, 3.9699999999999998);
        assert_eq!((s.min, s.max, s.mean, s.count), (1.0, 4.0, 2.5, 4));
        assert_eq!(percentile(&[7.0], 99.0).unwrap(), 7.0);
        assert_eq!(percentile(&x, 0.0).unwrap(), 1.0);
        assert_eq!(percentile(&x, 100.0).unwrap(), 4.0);
    }

    #[test]
    fn errors() {
        assert!(summarize(&[]).is_err());
        assert!(summarize(&[1.0, f64::NAN]).is_err());
        assert!(percentile(&[1.0], 101.0).is_err());
        assert!(percentile(&[1.0], -1.0).is_err());
    }

    #[test]
    fn durations_in_ms() {
        let d = [Duration::from_millis(10), Duration::from_millis(30)];
        let s = summarize_durations(&d).unwrap();
        assert_eq!(s.mean, 20.0);
        assert_eq!(s.p50, 20.0);
    }
}
