//! The trained VAD and the end-of-turn detector: gradients of every parameter, the
//! streaming twins against the Candle models, the eot-bench arithmetic by hand, and
//! tiny training runs end to end.

use candle_core::{Device, Tensor};
use labbook::turn::eval::{
    balanced_accuracy, curve, cutoff_at_latency, events, latency_at_cutoff, operating_point,
    Segment, Trace,
};
use labbook::turn::features::{feature_mask, FEATURE_NAMES, N_FEATURES, VAD_FEATURE};
use labbook::turn::model::{EotConfig, EotModel, EotNet};
use labbook::turn::EotDetector;
use labbook::vad::trained::{
    bce_with_logits, FrontEnd, NetShape, TrainedVad, TrainedVadConfig, VadNet, HOP,
};
use labbook::vad::Vad;
use serde_json::Value;

// The commands here keep nothing in their data directory: each gets a throwaway one.
use crate::common::{json_lines, lb_scratch as lb};

fn grad_norms(loss: &Tensor, vars: &[(String, candle_core::Var)]) -> Vec<(String, f32)> {
    let g = loss.backward().unwrap();
    vars.iter()
        .map(|(n, v)| {
            let t = g
                .get(v.as_tensor())
                .unwrap_or_else(|| panic!("{n} has no gradient"));
            (
                n.clone(),
                t.sqr()
                    .unwrap()
                    .sum_all()
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap(),
            )
        })
        .collect()
}

/// A deterministic test signal: 0.4 s tone bursts (pitch falling or rising) between
/// pauses of 0.15–0.6 s, with a little noise.
fn signal(seconds: f32) -> Vec<f32> {
    let n = (seconds * 16_000.0) as usize;
    let mut x = vec![0f32; n];
    let mut s = 12345u64;
    let mut t = 0usize;
    let mut k = 0;
    while t < n {
        let len = 6400.min(n - t);
        let rise = k % 2 == 0;
        let mut phase = 0f32;
        for i in 0..len {
            let f = if rise {
                120.0 + 80.0 * i as f32 / len as f32
            } else {
                200.0 - 80.0 * i as f32 / len as f32
            };
            phase += 2.0 * std::f32::consts::PI * f / 16_000.0;
            x[t + i] = 0.3 * phase.sin() + 0.1 * (2.0 * phase).sin();
        }
        t += len + 2400 + 1600 * (k % 4);
        k += 1;
    }
    for v in x.iter_mut() {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *v += ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.002;
    }
    x
}

#[test]
fn every_parameter_of_the_trained_vad_gets_a_gradient() {
    let dev = Device::Cpu;
    let net = VadNet::new(NetShape::default_vad(), 5, &dev).unwrap();
    let feats = FrontEnd::features(&signal(1.0)).unwrap();
    let t = feats.len() / 80;
    let x = Tensor::from_vec(
        feats.iter().map(|v| v / 5.0).collect::<Vec<_>>(),
        (1, t, 80),
        &dev,
    )
    .unwrap();
    let y: Vec<f32> = (0..t).map(|i| ((i / 20) % 2) as f32).collect();
    let y = Tensor::from_vec(y, (1, t), &dev).unwrap();
    let loss = bce_with_logits(&net.forward(&x).unwrap(), &y).unwrap();
    let norms = grad_norms(&loss, &net.vars);
    assert_eq!(norms.len(), 2 * 4 + 2);
    for (n, g) in norms {
        assert!(g > 0.0 && g.is_finite(), "{n}: gradient norm² {g}");
    }
}

#[test]
fn the_dilated_causal_conv_gradient_matches_finite_differences() {
    // The conv is cat + matmul; check a weight of the most dilated layer numerically.
    let dev = Device::Cpu;
    let shape = NetShape {
        input: 80,
        channels: 4,
        kernel: 3,
        dilations: vec![1, 4],
    };
    let net = VadNet::new(shape.clone(), 9, &dev).unwrap();
    let feats = FrontEnd::features(&signal(0.3)).unwrap();
    let t = feats.len() / 80;
    let x = Tensor::from_vec(
        feats.iter().map(|v| v / 5.0).collect::<Vec<_>>(),
        (1, t, 80),
        &dev,
    )
    .unwrap();
    let y = Tensor::from_vec(
        (0..t)
            .map(|i| (i % 3 == 0) as u8 as f32)
            .collect::<Vec<_>>(),
        (1, t),
        &dev,
    )
    .unwrap();
    let loss = |n: &VadNet| bce_with_logits(&n.forward(&x).unwrap(), &y).unwrap();
    let g = loss(&net).backward().unwrap();
    let (name, var) = &net.vars[2]; // layers.1.w (3·4, 4)
    assert_eq!(name, "layers.1.w");
    let analytic = g
        .get(var.as_tensor())
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let w0 = var
        .as_tensor()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    for idx in [0usize, 5, 11, 17, 40] {
        let eps = 1e-2f32;
        let mut wp = w0.clone();
        wp[idx] += eps;
        var.set(&Tensor::from_vec(wp, var.as_tensor().shape(), &dev).unwrap())
            .unwrap();
        let lp = loss(&net).to_scalar::<f32>().unwrap();
        let mut wm = w0.clone();
        wm[idx] -= eps;
        var.set(&Tensor::from_vec(wm, var.as_tensor().shape(), &dev).unwrap())
            .unwrap();
        let lm = loss(&net).to_scalar::<f32>().unwrap();
        var.set(&Tensor::from_vec(w0.clone(), var.as_tensor().shape(), &dev).unwrap())
            .unwrap();
        let numeric = (lp - lm) / (2.0 * eps);
        assert!(
            (numeric - analytic[idx]).abs() < 2e-3 + 0.05 * analytic[idx].abs(),
            "w[{idx}]: numeric {numeric} vs analytic {}",
            analytic[idx]
        );
    }
}

#[test]
fn the_streaming_vad_matches_the_candle_model() {
    let dev = Device::Cpu;
    let net = VadNet::new(NetShape::default_vad(), 11, &dev).unwrap();
    let x = signal(2.0);
    let feats = FrontEnd::features(&x).unwrap();
    let t = feats.len() / 80;
    let mean = vec![-3.0f32; 80];
    let std = vec![2.0f32; 80];
    let std_feats: Vec<f32> = feats
        .chunks(80)
        .flat_map(|r| {
            r.iter()
                .zip(&mean)
                .zip(&std)
                .map(|((v, m), s)| (v - m) / s)
                .collect::<Vec<_>>()
        })
        .collect();
    let logits = net
        .forward(&Tensor::from_vec(std_feats, (1, t, 80), &dev).unwrap())
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let cfg = TrainedVadConfig {
        shape: net.shape.clone(),
        mean,
        std,
        threshold: 0.5,
        hangover: 3,
        trained: Value::Null,
    };
    let mut vad = TrainedVad::new(cfg, &net.tensors()).unwrap();
    let probs = vad.probs(&x).unwrap();
    assert_eq!(probs.len(), t);
    for (i, (p, z)) in probs.iter().zip(&logits).enumerate() {
        let q = 1.0 / (1.0 + (-z).exp());
        assert!(
            (p - q).abs() < 1e-4,
            "frame {i}: streaming {p} vs batch {q}"
        );
    }
    // Save, load, and run it through the Vad trait: the same scores.
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("m/vad.safetensors");
    labbook::vad::trained::save(&path, &net.tensors(), &vad.config).unwrap();
    let mut back = TrainedVad::load(&path).unwrap();
    back.reset();
    for (i, h) in x.chunks_exact(HOP).enumerate() {
        let (s, _) = back.push(h).unwrap();
        assert!((s - probs[i]).abs() < 1e-6);
    }
    let e = match TrainedVad::load(&d.path().join("nope.safetensors")) {
        Ok(_) => panic!("loaded a missing file"),
        Err(e) => format!("{e:#}"),
    };
    assert!(e.contains("nope.json"), "{e}");
}

fn random_eot(seed: u64) -> (EotNet, EotModel) {
    let net = EotNet::new(16, seed, &Device::Cpu).unwrap();
    let cfg = EotConfig {
        hidden: 16,
        mean: vec![0.0; N_FEATURES],
        std: vec![1.0; N_FEATURES],
        mask: vec![true; N_FEATURES],
        threshold: 0.5,
        max_silence_ms: 1500.0,
        trained: Value::Null,
    };
    let m = EotModel::new(cfg, &net.tensors()).unwrap();
    (net, m)
}

#[test]
fn every_parameter_of_the_end_of_turn_model_gets_a_gradient() {
    let dev = Device::Cpu;
    let (net, m) = random_eot(3);
    let x: Vec<f32> = (0..8 * N_FEATURES)
        .map(|i| ((i * 29 % 17) as f32 / 8.0) - 1.0)
        .collect();
    let xt = Tensor::from_vec(x.clone(), (8, N_FEATURES), &dev).unwrap();
    let y = Tensor::from_vec(vec![0f32, 1., 0., 1., 1., 0., 1., 0.], 8, &dev).unwrap();
    let z = net.forward(&xt).unwrap();
    let loss = bce_with_logits(&z, &y).unwrap();
    let norms = grad_norms(&loss, &net.vars);
    assert_eq!(norms.len(), 6);
    for (n, g) in norms {
        assert!(g > 0.0 && g.is_finite(), "{n}: gradient norm² {g}");
    }
    // The plain-Rust twin gives the same probabilities.
    let z = z.to_vec1::<f32>().unwrap();
    for (row, zi) in x.chunks(N_FEATURES).zip(z) {
        let r: [f32; N_FEATURES] = row.try_into().unwrap();
        let q = 1.0 / (1.0 + (-zi).exp());
        assert!((m.prob(&r) - q).abs() < 1e-5);
    }
}

#[test]
fn the_streaming_detector_gives_the_same_output_in_pieces_or_at_once() {
    let (_, m) = random_eot(7);
    let x = signal(6.0);
    let mut vad = labbook::vad::EnergyVad::default();
    let probs = labbook::turn::eval::vad_probs(&mut vad, &x).unwrap();
    // Piecewise constant over 3 hops, so 480-sample chunks carry one VAD value each.
    let probs3: Vec<f32> = (0..probs.len()).map(|i| probs[i - i % 3]).collect();
    let mut det = EotDetector::new(m);
    let once = det.run(&x, &probs3);
    assert!(once.iter().any(|p| p.is_none()) && once.iter().any(|p| p.is_some()));
    det.reset();
    let hops: Vec<Option<f32>> = x
        .chunks_exact(160)
        .zip(&probs3)
        .flat_map(|(h, v)| det.push(h, *v))
        .collect();
    assert_eq!(once, hops);
    det.reset();
    let chunks: Vec<Option<f32>> = x
        .chunks(480)
        .enumerate()
        .flat_map(|(i, c)| det.push(c, probs3[3 * i]))
        .collect();
    assert_eq!(once.len(), chunks.len());
    assert_eq!(once, chunks);
    // Odd piece sizes carry samples over between calls.
    det.reset();
    let mut odd = Vec::new();
    let mut pos = 0;
    let mut hop_done = 0;
    while pos < x.len() {
        let take = 70.min(x.len() - pos);
        // The VAD value of the hop this piece completes (if any).
        let v = probs3[((pos + take) / 160).saturating_sub(1).min(probs3.len() - 1)];
        let out = det.push(&x[pos..pos + take], v);
        hop_done += out.len();
        odd.extend(out);
        pos += take;
    }
    assert_eq!(hop_done, once.len());
    assert_eq!(once, odd);
    // The silence-only baseline says 1 once the VAD has heard 500 ms of silence.
    let mut base = EotDetector::silence_only(500.0);
    let out = base.run(&x, &probs);
    for (i, p) in out.iter().enumerate() {
        if let Some(p) = p {
            let mut k = 0;
            while k <= i && probs[i - k] < 0.5 {
                k += 1;
            }
            assert_eq!(*p == 1.0, k * 10 >= 500, "hop {i}");
        }
    }
}

fn seg(a: f64, b: f64, s: &str) -> Segment {
    Segment {
        start: a,
        end: b,
        speaker: s.into(),
    }
}

#[test]
fn pauses_are_found_and_labelled_by_who_speaks_next() {
    let segs = [
        seg(0.0, 1.0, "A"),
        seg(1.3, 2.0, "A"),  // 300 ms hold
        seg(2.5, 3.0, "B"),  // 500 ms end of turn
        seg(3.05, 3.5, "B"), // 50 ms: not a pause
        seg(3.6, 4.0, "A"),  // exactly 100 ms: an end of turn
        seg(4.05, 4.3, "B"), // overlapping pair: the union is one speech run
        seg(4.2, 4.4, "A"),
    ];
    let ev = events(&segs, 460, 10);
    let got: Vec<(usize, usize, bool)> = ev.iter().map(|e| (e.start, e.end, e.hold)).collect();
    assert_eq!(
        got,
        vec![(100, 130, true), (200, 250, false), (350, 360, false)]
    );
    // Leading and trailing silence are not pauses; a shorter minimum finds the 50 ms gap.
    assert_eq!(events(&segs, 460, 5).len(), 5);
}

fn silence_trace(hold: bool, frames: usize, horizon: usize) -> Trace {
    Trace {
        hold,
        frames,
        scores: (1..=horizon).map(|k| k as f32 * 10.0).collect(),
    }
}

#[test]
fn eot_bench_figures_by_hand() {
    // Three holds of 200, 400 and 600 ms and two ends of turn; the silence baseline's
    // score is the silence so far (ms), horizon 1 s.
    let h = 100;
    let traces = vec![
        silence_trace(true, 20, 20),
        silence_trace(true, 40, 40),
        silence_trace(true, 60, 60),
        silence_trace(false, 30, h),
        silence_trace(false, 80, h),
    ];
    // At 300 ms: fires at the end of hop 30 — inside the 400 and 600 ms holds.
    let op = operating_point(&traces, 300.0, h);
    assert!((op.cutoff_rate - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(op.latency_p50_ms, 300.0);
    assert_eq!(op.missed, 0);
    // A hold of exactly 200 ms is cut at 200 ms (the decision comes as it ends).
    assert!((operating_point(&traces, 200.0, h).cutoff_rate - 1.0).abs() < 1e-12);
    let c = curve(&traces, h);
    let a = cutoff_at_latency(&c, 300.0).unwrap();
    assert!((a.cutoff_rate - 2.0 / 3.0).abs() < 1e-12, "{a:?}");
    let a5 = cutoff_at_latency(&c, 500.0).unwrap();
    assert!((a5.cutoff_rate - 1.0 / 3.0).abs() < 1e-12, "{a5:?}");
    // ≤ 5 % cut-offs: past the longest hold, 610 ms.
    let b = latency_at_cutoff(&c, 0.05).unwrap();
    assert_eq!(b.latency_p50_ms, 610.0);
    assert_eq!(b.cutoff_rate, 0.0);
    // Never firing: every end of turn counts the horizon and is missed.
    let never = operating_point(&traces, 1e9, h);
    assert_eq!((never.latency_p50_ms, never.missed), (1000.0, 2));
    // A model that fires at once on ends of turn and never on holds: 0 % at 300 ms.
    let model: Vec<Trace> = traces
        .iter()
        .map(|t| Trace {
            scores: vec![if t.hold { 0.1 } else { 0.9 }; t.scores.len()],
            ..t.clone()
        })
        .collect();
    let mc = curve(&model, h);
    let ma = cutoff_at_latency(&mc, 300.0).unwrap();
    assert_eq!((ma.cutoff_rate, ma.latency_p50_ms), (0.0, 10.0));
    // Balanced accuracy at hop 9 (100 ms): holds 0.2/0.7/0.1, ends 0.9/0.4.
    let at9 = |v: f32, t: &Trace| {
        let mut s = vec![0.0; 10];
        s[9] = v;
        Trace {
            scores: s,
            ..t.clone()
        }
    };
    let ba: Vec<Trace> = [0.2, 0.7, 0.1, 0.9, 0.4]
        .iter()
        .zip(&traces)
        .map(|(v, t)| at9(*v, t))
        .collect();
    assert!((balanced_accuracy(&ba, 9, 0.5) - (2.0 / 3.0 + 0.5) / 2.0).abs() < 1e-12);
}

#[test]
fn feature_groups_parse() {
    assert_eq!(feature_mask("all").unwrap(), vec![true; N_FEATURES]);
    let m = feature_mask("pitch").unwrap();
    for (k, (name, group)) in FEATURE_NAMES.iter().enumerate() {
        assert_eq!(m[k], *group == "pause" || *group == "pitch", "{name}");
    }
    assert!(m[0] && m[1] && m[2] && !m[VAD_FEATURE]);
    assert!(feature_mask("pause+loudness").is_err());
}

fn mean_loss(recs: &[Value]) -> f64 {
    let v: Vec<f64> = recs.iter().filter_map(|r| r["loss"].as_f64()).collect();
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn a_tiny_vad_training_run_learns_and_is_evaluated_beside_the_baseline() {
    let d = tempfile::tempdir().unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/speech-sample");
    let out = lb()
        .args([
            "exp",
            "vad",
            "--param",
            "steps=60",
            "--param",
            "batch_size=6",
        ])
        .args([
            "--param",
            "crop_ms=2000",
            "--param",
            "val_items=3",
            "--param",
            "eval_every=0",
        ])
        .arg("--param")
        .arg(format!("data={}", sample.display()))
        .arg("--param")
        .arg(format!("out={}", d.path().display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = json_lines(&out.stdout);
    let steps: Vec<&Value> = recs.iter().filter(|r| r["loss"].is_number()).collect();
    assert_eq!(steps.len(), 60);
    let first = mean_loss(&steps[..10].iter().map(|v| (*v).clone()).collect::<Vec<_>>());
    let last = mean_loss(&steps[50..].iter().map(|v| (*v).clone()).collect::<Vec<_>>());
    assert!(last < 0.8 * first, "loss {first} → {last}");
    let fin = recs.last().unwrap();
    // Held-out voice: far above chance (AUC 0.5).
    assert!(fin["val_auc"].as_f64().unwrap() > 0.8, "{fin}");
    assert!(fin["val_f1_clean"].as_f64().unwrap() > 0.8, "{fin}");
    let model = d.path().join("vad.safetensors");
    assert!(model.exists() && d.path().join("vad.json").exists());
    // Side by side with the energy baseline in `eval vad`.
    let out = lb()
        .args(["eval", "vad", "--json", "--trained"])
        .arg(&model)
        .arg(sample.join("wav"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rows
        .iter()
        .any(|r| r["vad"] == "trained" && r["group"] == "all"));
    assert!(rows.iter().any(|r| r["vad"] == "energy"));
}

#[test]
fn a_tiny_turn_training_run_separates_holds_from_ends_above_chance() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("dlg");
    let out = lb()
        .args(["data", "speech", "--utterances", "0", "--dialogues", "30"])
        .args(["--seed", "5", "--turn-prosody", "--long-holds", "--out"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The manifest records each pause's cue.
    let manifest = std::fs::read_to_string(data.join("manifest.jsonl")).unwrap();
    let pauses: Vec<Value> = manifest
        .lines()
        .flat_map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["pauses"]
                .as_array()
                .unwrap()
                .clone()
        })
        .collect();
    assert!(pauses.iter().all(|p| p["cue"].is_string()), "{pauses:?}");
    // Long holds: log-uniform over 150–1500 ms, so some are longer than the 600 ms
    // the default draws allow.
    let holds: Vec<f64> = pauses
        .iter()
        .filter(|p| p["kind"] == "hold")
        .map(|p| p["end"].as_f64().unwrap() - p["start"].as_f64().unwrap())
        .collect();
    assert!(!holds.is_empty());
    assert!(
        holds.iter().all(|h| (0.149..=1.501).contains(h)),
        "{holds:?}"
    );
    assert!(holds.iter().any(|h| *h > 0.6), "{holds:?}");
    let model_dir = d.path().join("model");
    let out = lb()
        .args([
            "exp",
            "turn",
            "--param",
            "steps=300",
            "--param",
            "eval_every=0",
        ])
        .arg("--param")
        .arg(format!("data={}", data.display()))
        .arg("--param")
        .arg(format!("out={}", model_dir.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = json_lines(&out.stdout);
    let steps: Vec<Value> = recs
        .iter()
        .filter(|r| r["loss"].is_number())
        .cloned()
        .collect();
    assert!(mean_loss(&steps[250..]) < 0.9 * mean_loss(&steps[..20]));
    let fin = recs.last().unwrap();
    assert_eq!(fin["baseline_val_balanced_acc"], 0.5);
    // Above chance (0.5, what a constant answer gets) on the held-out voice.
    assert!(fin["val_balanced_acc"].as_f64().unwrap() > 0.53, "{fin}");
    // `eval turn` reads the model and prints both detectors.
    let out = lb()
        .args(["eval", "turn", "--json", "--split", "test", "--model"])
        .arg(model_dir.join("turn.safetensors"))
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    // Clean audio (the energy VAD hears no silence at all in heavy noise).
    let get = |det: &str| {
        rows.iter()
            .find(|r| r["detector"] == det && r["group"] == "clean")
            .unwrap()
            .clone()
    };
    let (m, s) = (get("model"), get("silence"));
    assert!(s["holds"].as_u64().unwrap() > 0 && s["shifts"].as_u64().unwrap() > 0);
    assert_eq!(m["holds"], s["holds"]);
    assert!(
        m["balanced_accuracy"].as_f64().unwrap() > s["balanced_accuracy"].as_f64().unwrap(),
        "{m} vs {s}"
    );
    // A directory with nothing to read is named.
    let empty = tempfile::tempdir().unwrap();
    let out = lb()
        .args(["eval", "turn"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("speaker labels"));
}

/// A voiced phrase: `level_hz` for 0.9 s, then the last 0.3 s gliding by `glide_st`
/// semitones, then 0.3 s of silence; the features at each hop (VAD: speech while loud).
fn phrase_features(level_hz: f32, glide_st: f32) -> Vec<[f32; N_FEATURES]> {
    use labbook::turn::features::FeatureTracker;
    let (steady, glide, quiet) = (14_400usize, 4_800usize, 4_800usize);
    let mut x = Vec::with_capacity(steady + glide + quiet);
    let mut phase = 0f32;
    for i in 0..steady + glide {
        let st = if i < steady {
            0.0
        } else {
            glide_st * (i - steady) as f32 / glide as f32
        };
        let f = level_hz * 2f32.powf(st / 12.0);
        phase += 2.0 * std::f32::consts::PI * f / 16_000.0;
        // A few harmonics, like a voice.
        x.push(0.3 * phase.sin() + 0.15 * (2.0 * phase).sin() + 0.08 * (3.0 * phase).sin());
    }
    x.extend(std::iter::repeat_n(0.0, quiet));
    let mut tr = FeatureTracker::new();
    let mut out = [0f32; N_FEATURES];
    x.chunks_exact(160)
        .enumerate()
        .map(|(i, hop)| {
            let vad = if i * 160 < steady + glide { 1.0 } else { 0.0 };
            tr.push(hop, vad, &mut out);
            out
        })
        .collect()
}

#[test]
fn pitch_features_describe_the_contour_not_the_voice() {
    let idx = |name: &str| FEATURE_NAMES.iter().position(|(n, _)| *n == name).unwrap();
    let (fin, fall) = (idx("final_pitch_st"), idx("pitch_fall_st"));
    // 100 ms into the pause.
    let at = |v: Vec<[f32; N_FEATURES]>| v[(14_400 + 4_800) / 160 + 9];
    let low_fall = at(phrase_features(110.0, -4.0));
    let high_fall = at(phrase_features(220.0, -4.0));
    let low_rise = at(phrase_features(110.0, 2.0));
    // A fall ends well below the speaker's own level, a rise above it.
    assert!(low_fall[fin] < -2.0, "{low_fall:?}");
    assert!(low_fall[fall] < -1.0, "{low_fall:?}");
    assert!(low_rise[fin] > 0.8 && low_rise[fall] > 0.5, "{low_rise:?}");
    // The same contour an octave higher gives the same pitch features.
    for k in [
        fin,
        fall,
        idx("pitch_from_peak_st"),
        idx("pitch_slope_300ms"),
    ] {
        assert!(
            (low_fall[k] - high_fall[k]).abs() < 0.5,
            "{}: {} vs {}",
            FEATURE_NAMES[k].0,
            low_fall[k],
            high_fall[k]
        );
    }
    // In the pause the silence grows and the VAD feature is 0.
    assert!((low_fall[0] - 0.1).abs() < 1e-6 && low_fall[VAD_FEATURE] == 0.0);
}

#[test]
fn the_model_answers_at_the_latest_after_its_longest_trained_pause() {
    let (_, m) = random_eot(3);
    let mut det = EotDetector::new(m);
    det.threshold = 2.0; // the model alone would never fire
    let x = signal(1.0);
    let mut out = det.run(&x, &vec![1.0; x.len() / 160]);
    assert!(out.iter().all(|p| p.is_none()));
    // 2 s of silence: a score below 1 until 1.5 s of it, exactly 1 from then on.
    out = det.run(&vec![0.0; 32_000], &vec![0.0; 200]);
    for (k, p) in out.iter().enumerate() {
        let p = p.unwrap();
        if k + 1 < 150 {
            assert!(p < 1.0, "hop {k}: {p}");
        } else {
            assert_eq!(p, 1.0, "hop {k}");
        }
    }
}

#[test]
fn the_loop_takes_the_saved_model_at_its_own_or_a_given_threshold() {
    use labbook::exp::latency::{open_detector, Params};
    use labbook::exp::Parameters;
    let (net, m) = random_eot(5);
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("turn.safetensors");
    let mut cfg = m.config.clone();
    cfg.threshold = 0.8;
    EotModel::save(&path, &net.tensors(), &cfg).unwrap();
    let params = |extra: &[&str]| {
        let mut kv = vec![
            "detector=turn".to_string(),
            format!("model={}", path.display()),
        ];
        kv.extend(extra.iter().map(|s| s.to_string()));
        Params::from_pairs(&kv).unwrap()
    };
    assert_eq!(open_detector(&params(&[])).unwrap().threshold(), 0.8);
    let det = open_detector(&params(&["eot_threshold=0.3"])).unwrap();
    assert_eq!(det.threshold(), 0.3);
    assert!(det.name().contains("0.30"), "{}", det.name());
    // Empty (a project's default) keeps the saved one.
    assert_eq!(
        open_detector(&params(&["eot_threshold="]))
            .unwrap()
            .threshold(),
        0.8
    );
}
