//! Test signals shared by the augmentation tests.

use std::f64::consts::PI;

pub const SR: u32 = 16_000;

pub fn tone(hz: f64, sr: u32, secs: f64, amp: f64) -> Vec<f32> {
    (0..(sr as f64 * secs).round() as usize)
        .map(|i| (amp * (2.0 * PI * hz * i as f64 / sr as f64).sin()) as f32)
        .collect()
}

/// A speech-like test signal: a 120 Hz harmonic complex with a 4 Hz
/// syllabic envelope, peak below 0.5.
pub fn speechy(secs: f64) -> Vec<f32> {
    let n = (SR as f64 * secs) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / SR as f64;
            let env = 0.5 * (1.0 - (2.0 * PI * 4.0 * t).cos());
            let voice: f64 = (1..=10)
                .map(|k| (2.0 * PI * 120.0 * k as f64 * t).sin() / k as f64)
                .sum();
            (0.15 * env * voice) as f32
        })
        .collect()
}

pub fn energy(x: &[f32]) -> f64 {
    x.iter().map(|&v| (v as f64).powi(2)).sum()
}

/// Frequency from zero crossings, linearly interpolated: (crossings − 1)/2
/// periods between the first and the last upward/downward crossing.
pub fn zero_crossing_hz(x: &[f32], sr: u32) -> f64 {
    let mut times = Vec::new();
    for i in 1..x.len() {
        let (a, b) = (x[i - 1] as f64, x[i] as f64);
        if (a < 0.0 && b >= 0.0) || (a >= 0.0 && b < 0.0) {
            times.push((i - 1) as f64 + a / (a - b));
        }
    }
    let (Some(first), Some(last)) = (times.first(), times.last()) else {
        return 0.0;
    };
    (times.len() - 1) as f64 / 2.0 / ((last - first) / sr as f64)
}
