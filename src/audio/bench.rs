//! `labbook bench mel`: Whisper's log-mel timed on 30 s of audio, for the comparison
//! with whisper and librosa in `tests/fixtures/audio/bench_compare.py`.

use std::time::Instant;

/// `labbook bench mel`: Whisper's log-mel (one thread) on 30 s of synthetic audio or a
/// WAV file; one JSON line with the median, min and max of `runs` calls after a warm-up.
/// `tests/fixtures/audio/bench_compare.py` runs it beside whisper and librosa.
pub fn mel(
    wav: Option<&std::path::Path>,
    runs: usize,
    n_mels: usize,
    out: Option<&std::path::Path>,
) -> anyhow::Result<serde_json::Value> {
    use crate::audio;
    let samples = match wav {
        Some(p) => {
            let a = audio::read_wav(p)?;
            audio::resample::resample(&a.to_mono()?, a.sample_rate, 16_000)?
        }
        // An FM tone with a little noise, 30 s at 16 kHz.
        None => {
            let mut rng = crate::util::rng::Rng::new(7);
            (0..480_000)
                .map(|i| {
                    let t = i as f64 / 16_000.0;
                    let f = 220.0 + 80.0 * (2.0 * std::f64::consts::PI * 0.5 * t).sin();
                    ((2.0 * std::f64::consts::PI * f * t).sin() * 0.3 + rng.normal() * 0.01) as f32
                })
                .collect()
        }
    };
    let ex = audio::MelExtractor::new(audio::MelConfig {
        n_mels,
        ..Default::default()
    })?;
    let warm = ex.compute(&samples)?;
    if let Some(o) = out {
        audio::write_npy_f32(o, &warm.data, &[warm.n_mels, warm.n_frames])?;
    }
    let mut times = Vec::with_capacity(runs.max(1));
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let m = ex.compute(&samples)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(&m);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    Ok(
        serde_json::json!({"impl": "labbook", "samples": samples.len(), "n_mels": n_mels,
            "frames": warm.n_frames, "runs": times.len(), "median_ms": times[times.len() / 2],
            "min_ms": times[0], "max_ms": times[times.len() - 1]}),
    )
}
