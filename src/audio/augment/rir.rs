//! Room impulse responses: the image-source method for shoebox rooms, an
//! exponential-tail synthetic RIR, and RT60 measured by Schroeder integration.

use std::f64::consts::{LN_10, PI};

use anyhow::{bail, ensure, Result};

use crate::util::rng::Rng;

/// Speed of sound used throughout, m/s (dry air at about 20 °C).
pub const SPEED_OF_SOUND_M_S: f64 = 343.0;

/// Taps of the windowed-sinc fractional-delay filter that places each image
/// source between samples (Hann window, odd so it is centred).
pub const FRACTIONAL_DELAY_TAPS: usize = 81;
const HALF_TAPS: i64 = (FRACTIONAL_DELAY_TAPS as i64 - 1) / 2;

/// Sabine's constant `24·ln(10)/c` ≈ 0.1611 s/m, so that `RT60 = K·V / (S·α)`.
pub const SABINE_K: f64 = 24.0 * LN_10 / SPEED_OF_SOUND_M_S;

/// The uniform wall absorption `α` that Sabine's formula
/// `RT60 = 0.161·V / (S·α)` gives for a shoebox room, where `V` is the volume
/// and `S` the total wall area. Errors if `α` would exceed 1 (the requested
/// RT60 is shorter than even fully absorbing walls give by Sabine).
pub fn sabine_absorption(room_dims_m: [f64; 3], rt60_s: f64) -> Result<f64> {
    let [lx, ly, lz] = room_dims_m;
    let volume = lx * ly * lz;
    let surface = 2.0 * (lx * ly + lx * lz + ly * lz);
    let alpha = SABINE_K * volume / (surface * rt60_s);
    ensure!(
        alpha <= 1.0,
        "RT60 {rt60_s} s is too short for a {lx}×{ly}×{lz} m room: Sabine needs absorption \
         α = {alpha:.2} > 1 (the shortest possible is {:.3} s)",
        SABINE_K * volume / surface
    );
    Ok(alpha)
}

/// A max reflection order that includes every image source up to the end of
/// the RIR that [`rir_image_source`] returns (direct path + RT60), for rooms
/// of `room_dims_m`: an image at distance `d` has at most about
/// `d·sqrt(Σ 1/L²) + 3` reflections. Grows with RT60 and the inverse room
/// size; cost grows as its cube.
pub fn suggested_max_order(room_dims_m: [f64; 3], rt60_s: f64) -> usize {
    let diagonal = room_dims_m.iter().map(|l| l * l).sum::<f64>().sqrt();
    let reach = diagonal + SPEED_OF_SOUND_M_S * rt60_s.max(0.0);
    let per_metre = room_dims_m
        .iter()
        .map(|l| 1.0 / (l * l))
        .sum::<f64>()
        .sqrt();
    (reach * per_metre).ceil() as usize + 3
}

/// Adds an impulse of amplitude `amp` at fractional time `tau` (samples) to
/// `h`, spread over [`FRACTIONAL_DELAY_TAPS`] taps of a Hann-windowed sinc.
/// Taps that fall outside `h` are dropped.
fn add_fractional_impulse(h: &mut [f64], tau: f64, amp: f64) {
    let centre = tau.round() as i64;
    // sin(π(n − τ)) for n = centre + k is (−1)^k · sin(π(centre − τ)): one sin per impulse.
    let sin_centre = (PI * (centre as f64 - tau)).sin();
    for k in -HALF_TAPS..=HALF_TAPS {
        let n = centre + k;
        if n < 0 || n >= h.len() as i64 {
            continue;
        }
        let t = n as f64 - tau; // |t| ≤ HALF_TAPS + 0.5
        let sinc = if t.abs() < 1e-12 {
            1.0
        } else {
            let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
            sign * sin_centre / (PI * t)
        };
        let window = 0.5 * (1.0 + (PI * t / (HALF_TAPS + 1) as f64).cos());
        h[n as usize] += amp * sinc * window;
    }
}

/// Cut-off of the high-pass that [`rir_image_source`] applies, Hz.
pub const RIR_HIGH_PASS_HZ: f64 = 100.0;

/// The high-pass filter of Allen & Berkley (1979), as in Habets' `rir_generator`:
/// zeros at DC and at `r = exp(−2π·fc/fs)`, a pole pair at `r·e^{±j2π·fc/fs}`,
/// leading coefficient 1 (so an impulse keeps its first sample).
fn allen_berkley_high_pass(h: &mut [f64], fs: f64) {
    let w = 2.0 * PI * RIR_HIGH_PASS_HZ / fs;
    let r = (-w).exp();
    let (b1, b2) = (2.0 * r * w.cos(), -r * r);
    let a1 = -(1.0 + r);
    let (mut y1, mut y2) = (0.0, 0.0);
    for v in h.iter_mut() {
        let y0 = b1 * y1 + b2 * y2 + *v;
        *v = y0 + a1 * y1 + r * y2;
        y2 = y1;
        y1 = y0;
    }
}

fn validate_point(name: &str, p: [f64; 3], room: [f64; 3]) -> Result<()> {
    for (axis, (&v, &l)) in ["x", "y", "z"].iter().zip(p.iter().zip(&room)) {
        ensure!(
            v.is_finite() && v > 0.0 && v < l,
            "the {name} is outside the room: {axis} = {v} m, but the room spans 0 < {axis} < {l} m \
             ({name} at {p:?}, room {room:?})"
        );
    }
    Ok(())
}

/// Room impulse response of a shoebox room by the image-source method
/// (Allen & Berkley, 1979), at `sample_rate`.
///
/// * The room spans `[0, Lx]×[0, Ly]×[0, Lz]`; `src` and `mic` must be strictly inside.
/// * All six walls share one pressure reflection coefficient `β = sqrt(1 − α)`,
///   with `α` from Sabine's formula for `rt60_s` ([`sabine_absorption`]).
/// * Image sources: along each axis an image sits at `(1 − 2q)·s + 2nL`
///   (`q ∈ {0, 1}`, `n ∈ ℤ`) after `|n − q| + |n|` reflections. Images whose total
///   reflection count exceeds `max_order` are left out (0 → direct path only;
///   [`suggested_max_order`] gives one that covers the whole RIR).
/// * Each image contributes `β^reflections / distance` at delay
///   `distance / c · sample_rate` samples, through an 81-tap Hann-windowed sinc
///   (fractional delay). Index 0 is the moment of emission.
/// * Length: direct-path delay + `rt60_s` + half the filter, in samples.
/// * The result is scaled so the direct path's own largest sample is 1.0.
///
/// * The RIR is then high-passed at [`RIR_HIGH_PASS_HZ`] as Allen & Berkley do:
///   without it the pile-up of positive image pulses forms a DC drift that
///   makes the decay look far too slow (5×4×3 m at 0.6 s: T30 0.80 s instead
///   of 0.63 s, early decay time nearly doubled).
///
/// How close the decay is to the request: with one β on every reflection the
/// early decay follows Eyring (a little shorter than Sabine when `α` is large),
/// and a specular shoebox is not diffuse, so late energy travelling along the
/// longest axis (fewest reflections per metre) decays more slowly. In the tests
/// (5×4×3, 7×5.5×3.2, 4×4×4 m; 0.3 and 0.6 s) the Schroeder T30 is within 13 %;
/// elongated rooms come out longer (8×6×3 m: +28 % at 0.6 s; a 10×3×2.5 m
/// corridor: +70 to +85 %; README table). [`schroeder_rt60`] measures it.
pub fn rir_image_source(
    room_dims_m: [f64; 3],
    src: [f64; 3],
    mic: [f64; 3],
    rt60_s: f64,
    sample_rate: u32,
    max_order: usize,
) -> Result<Vec<f32>> {
    for (axis, &l) in ["x", "y", "z"].iter().zip(&room_dims_m) {
        ensure!(
            l.is_finite() && l > 0.0,
            "room dimension {axis} must be a positive length in metres, got {l}"
        );
    }
    validate_point("source", src, room_dims_m)?;
    validate_point("microphone", mic, room_dims_m)?;
    ensure!(
        rt60_s.is_finite() && rt60_s > 0.0,
        "RT60 must be a positive number of seconds, got {rt60_s}"
    );
    ensure!(sample_rate > 0, "sample rate must be positive");
    let distance = src
        .iter()
        .zip(&mic)
        .map(|(s, m)| (s - m).powi(2))
        .sum::<f64>()
        .sqrt();
    ensure!(
        distance > 1e-3,
        "source and microphone coincide ({distance} m apart): the direct path is infinite"
    );
    let alpha = sabine_absorption(room_dims_m, rt60_s)?;
    let beta = (1.0 - alpha).sqrt();

    let fs = sample_rate as f64;
    let samples_per_metre = fs / SPEED_OF_SOUND_M_S;
    let direct_delay = distance * samples_per_metre;
    let len = (direct_delay + rt60_s * fs).ceil() as usize + HALF_TAPS as usize + 1;
    let last_delay = len as f64; // images arriving later than this cannot touch h

    // Per axis, every (offset from the mic, reflection count) with at most
    // `max_order` reflections.
    let order = max_order as i64;
    let axis_images = |s: f64, m: f64, l: f64| -> Vec<(f64, usize)> {
        let mut v = Vec::new();
        for n in -order..=order {
            for q in 0..=1i64 {
                let reflections = ((n - q).abs() + n.abs()) as usize;
                if reflections <= max_order {
                    let image = (1 - 2 * q) as f64 * s + 2.0 * n as f64 * l;
                    v.push((image - m, reflections));
                }
            }
        }
        v
    };
    let xs = axis_images(src[0], mic[0], room_dims_m[0]);
    let ys = axis_images(src[1], mic[1], room_dims_m[1]);
    let zs = axis_images(src[2], mic[2], room_dims_m[2]);
    let beta_pow: Vec<f64> = (0..=max_order).map(|r| beta.powi(r as i32)).collect();

    let mut h = vec![0.0f64; len];
    for &(dx, rx) in &xs {
        if dx.abs() * samples_per_metre >= last_delay {
            continue;
        }
        for &(dy, ry) in &ys {
            if rx + ry > max_order || dx.hypot(dy) * samples_per_metre >= last_delay {
                continue;
            }
            for &(dz, rz) in &zs {
                let reflections = rx + ry + rz;
                if reflections > max_order {
                    continue;
                }
                let d = (dx * dx + dy * dy + dz * dz).sqrt();
                let tau = d * samples_per_metre;
                if tau >= last_delay {
                    continue;
                }
                // 1/(4πd) spherical spreading; the 4π cancels in the normalisation.
                add_fractional_impulse(&mut h, tau, beta_pow[reflections] / d);
            }
        }
    }

    // Allen & Berkley's high-pass: every image adds a *positive* pulse, and as
    // their number grows with t² their sum builds a large slowly varying (DC)
    // part that is not sound and that would make the decay look far too slow.
    allen_berkley_high_pass(&mut h, fs);

    // Normalise by the direct path alone (through the same high-pass), so
    // "direct peak = 1" does not depend on reflections that happen to overlap it.
    let mut direct = vec![0.0f64; len];
    add_fractional_impulse(&mut direct, direct_delay, 1.0 / distance);
    allen_berkley_high_pass(&mut direct, fs);
    let direct_peak = direct.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    ensure!(direct_peak > 0.0, "the direct path fell outside the RIR");
    Ok(h.iter().map(|v| (v / direct_peak) as f32).collect())
}

/// Energy of the [`rir_exponential`] tail relative to the unit direct spike,
/// per second of RT60: a 0.5 s RIR has tail energy 5 (direct-to-reverberant
/// ratio −7 dB), whatever the sample rate.
pub const EXP_TAIL_ENERGY_PER_S: f64 = 10.0;

/// A synthetic RIR: a direct-path spike of 1.0 at index 0, then Gaussian noise
/// (from `seed`) whose amplitude decays as `exp(−3·ln10 · t / rt60)` (energy
/// −60 dB after `rt60_s`), scaled so the tail energy is
/// [`EXP_TAIL_ENERGY_PER_S`]` · rt60_s`. Length `ceil(rt60 · sample_rate) + 1`.
pub fn rir_exponential(rt60_s: f64, sample_rate: u32, seed: u64) -> Result<Vec<f32>> {
    ensure!(
        rt60_s.is_finite() && rt60_s > 0.0,
        "RT60 must be a positive number of seconds, got {rt60_s}"
    );
    ensure!(sample_rate > 0, "sample rate must be positive");
    let fs = sample_rate as f64;
    let len = (rt60_s * fs).ceil() as usize + 1;
    let decay_per_sample = 3.0 * LN_10 / (rt60_s * fs);
    let mut rng = Rng::new(seed);
    let tail: Vec<f64> = (1..len)
        .map(|n| rng.normal() * (-decay_per_sample * n as f64).exp())
        .collect();
    let energy = tail.iter().map(|v| v * v).sum::<f64>();
    let scale = if energy > 0.0 {
        (EXP_TAIL_ENERGY_PER_S * rt60_s / energy).sqrt()
    } else {
        0.0
    };
    let mut h = Vec::with_capacity(len);
    h.push(1.0f32);
    h.extend(tail.iter().map(|v| (v * scale) as f32));
    Ok(h)
}

/// Which part of the Schroeder decay curve an RT60 was extrapolated from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecayRange {
    /// −5 to −35 dB, ×2.
    T30,
    /// −5 to −25 dB, ×3 (used when the curve never reaches −35 dB).
    T20,
}

/// An RT60 measured from an impulse response.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rt60Estimate {
    /// Reverberation time in seconds (time for a 60 dB decay).
    pub rt60_s: f64,
    /// The range the straight line was fitted over.
    pub range: DecayRange,
}

/// Measures RT60 by Schroeder backward integration: the energy decay curve
/// `EDC(t) = Σ_{n ≥ t} h[n]²` (in dB re its start) is fitted by least squares
/// between −5 and −35 dB (T30; −25 dB, T20, if −35 is never reached), and the
/// fitted slope extrapolated to −60 dB.
pub fn schroeder_rt60(rir: &[f32], sample_rate: u32) -> Result<Rt60Estimate> {
    ensure!(sample_rate > 0, "sample rate must be positive");
    let mut edc = vec![0.0f64; rir.len()];
    let mut acc = 0.0;
    for (e, &v) in edc.iter_mut().zip(rir).rev() {
        acc += (v as f64) * (v as f64);
        *e = acc;
    }
    ensure!(acc > 0.0, "the impulse response is silent");
    let db: Vec<f64> = edc.iter().map(|&e| 10.0 * (e / acc).log10()).collect();
    let (range, stop) = if db.iter().any(|&d| d <= -35.0) {
        (DecayRange::T30, -35.0)
    } else if db.iter().any(|&d| d <= -25.0) {
        (DecayRange::T20, -25.0)
    } else {
        bail!("the decay curve never falls 25 dB: the impulse response is too short to measure");
    };
    // Fit dB = a + b·t over −5 ≥ dB ≥ stop.
    let points: Vec<(f64, f64)> = db
        .iter()
        .enumerate()
        .filter(|(_, &d)| d <= -5.0 && d >= stop)
        .map(|(i, &d)| (i as f64 / sample_rate as f64, d))
        .collect();
    ensure!(
        points.len() >= 2,
        "too few points on the decay curve to fit"
    );
    let n = points.len() as f64;
    let mean_t = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_d = points.iter().map(|p| p.1).sum::<f64>() / n;
    let cov = points
        .iter()
        .map(|p| (p.0 - mean_t) * (p.1 - mean_d))
        .sum::<f64>();
    let var = points.iter().map(|p| (p.0 - mean_t).powi(2)).sum::<f64>();
    let slope_db_per_s = cov / var;
    ensure!(slope_db_per_s < 0.0, "the decay curve does not decay");
    Ok(Rt60Estimate {
        rt60_s: -60.0 / slope_db_per_s,
        range,
    })
}

#[cfg(test)]
mod tests {
    //! Measured numbers are printed with `eprintln!`; see them with
    //! `cargo test -- --nocapture` (the README quotes them).
    use super::*;
    use crate::audio::augment::direct_path_index;
    use crate::audio::augment::test_signals::*;

    fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
        a.iter()
            .zip(&b)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            .sqrt()
    }

    #[test]
    fn image_source_direct_path_arrives_after_distance_over_c() {
        let cases = [
            ([5.0, 4.0, 3.0], [1.0, 1.5, 1.6], [3.5, 2.5, 1.4]),
            ([6.0, 5.0, 2.7], [0.5, 0.5, 0.5], [5.2, 4.1, 2.0]),
            ([3.0, 3.0, 2.5], [1.2, 1.7, 1.5], [1.9, 1.1, 1.2]),
        ];
        for (room, src, mic) in cases {
            let h = rir_image_source(room, src, mic, 0.3, SR, 2).unwrap();
            let expected = distance(src, mic) / SPEED_OF_SOUND_M_S * SR as f64;
            let first = h.iter().position(|v| v.abs() > 0.5).unwrap();
            // The direct-path peak: the largest sample within 2 of the first big one.
            let peak = (first..first + 3)
                .max_by(|&a, &b| h[a].abs().total_cmp(&h[b].abs()))
                .unwrap();
            let largest = h.iter().fold(0f32, |m, v| m.max(v.abs()));
            eprintln!(
                "direct path: expected {expected:.2} samples, peak at {peak} (value {:.4}; \
                 largest sample in the RIR {largest:.3})",
                h[peak]
            );
            assert!(
                (peak as f64 - expected).abs() <= 1.0,
                "{peak} vs {expected}"
            );
            // The direct path alone peaks at exactly 1; a reflection arriving
            // within the 40-sample filter half-width can add a sinc tail of ~1 %.
            assert!((h[peak] - 1.0).abs() < 0.03, "direct peak {}", h[peak]);
            assert_eq!(direct_path_index(&h), peak);
        }
    }

    #[test]
    fn image_source_rt60_is_within_twenty_percent() {
        let rooms = [
            ([5.0, 4.0, 3.0], [1.0, 1.5, 1.6], [3.5, 2.5, 1.4]),
            ([7.0, 5.5, 3.2], [2.0, 1.0, 1.5], [4.5, 3.8, 1.2]),
            ([4.0, 4.0, 4.0], [1.0, 1.3, 1.6], [2.9, 2.5, 2.2]),
        ];
        for (room, src, mic) in rooms {
            for rt60 in [0.3, 0.6] {
                let order = suggested_max_order(room, rt60);
                let h = rir_image_source(room, src, mic, rt60, SR, order).unwrap();
                let est = schroeder_rt60(&h, SR).unwrap();
                let alpha = sabine_absorption(room, rt60).unwrap();
                let eyring = rt60 * alpha / -(1.0 - alpha).ln();
                let err = est.rt60_s / rt60 - 1.0;
                eprintln!(
                    "ISM room {room:?} rt60 {rt60}: order {order}, α {alpha:.3}, measured {:.3} s \
                     ({:?}), error {:+.1}% (Eyring predicts {eyring:.3} s)",
                    est.rt60_s,
                    est.range,
                    100.0 * err
                );
                assert!(err.abs() <= 0.2, "measured {} for {rt60}", est.rt60_s);
            }
        }
    }

    #[test]
    fn exponential_rir_has_the_requested_decay() {
        for rt60 in [0.3, 0.6] {
            let h = rir_exponential(rt60, SR, 5).unwrap();
            assert_eq!(h[0], 1.0);
            assert_eq!(h.len(), (rt60 * SR as f64).ceil() as usize + 1);
            let tail = energy(&h[1..]);
            assert!((tail - EXP_TAIL_ENERGY_PER_S * rt60).abs() < 1e-3);
            let est = schroeder_rt60(&h, SR).unwrap();
            let err = est.rt60_s / rt60 - 1.0;
            eprintln!(
                "exponential rt60 {rt60}: measured {:.3} s, error {:+.1}%",
                est.rt60_s,
                100.0 * err
            );
            assert!(err.abs() <= 0.1);
        }
        assert_eq!(
            rir_exponential(0.3, SR, 1).unwrap(),
            rir_exponential(0.3, SR, 1).unwrap()
        );
        assert_ne!(
            rir_exponential(0.3, SR, 1).unwrap(),
            rir_exponential(0.3, SR, 2).unwrap()
        );
    }

    #[test]
    fn bad_rooms_are_named_errors() {
        let room = [5.0, 4.0, 3.0];
        let err = rir_image_source(room, [5.5, 1.0, 1.0], [2.0, 2.0, 1.5], 0.4, SR, 5)
            .unwrap_err()
            .to_string();
        assert!(err.contains("source is outside the room"), "{err}");
        let err = rir_image_source(room, [1.0, 1.0, 1.0], [2.0, -0.1, 1.5], 0.4, SR, 5)
            .unwrap_err()
            .to_string();
        assert!(err.contains("microphone is outside the room"), "{err}");
        assert!(rir_image_source(room, [1.0; 3], [2.0; 3], 0.0, SR, 5).is_err());
        assert!(rir_image_source(room, [1.0; 3], [2.0; 3], -0.3, SR, 5).is_err());
        assert!(rir_image_source(room, [1.0; 3], [1.0; 3], 0.3, SR, 5).is_err());
        assert!(rir_image_source([0.0, 4.0, 3.0], [1.0; 3], [2.0; 3], 0.3, SR, 5).is_err());
        let err = rir_image_source(room, [1.0; 3], [2.0; 3], 0.05, SR, 5)
            .unwrap_err()
            .to_string();
        assert!(err.contains("too short"), "{err}");
        assert!(rir_exponential(0.0, SR, 1).is_err());
    }
}
