//! The audio-encodings experiment: the learned encoder's gradients, the metrics
//! against hand-computed values, and a run end to end on a generated speech set.

use candle_core::{Device, Tensor};
use labbook::exp::encodings::{
    accuracy, macro_f1, nn_accuracy, silhouette, Encoding, Model, FRAMES,
};

use crate::common::lb_scratch;

#[test]
fn every_parameter_of_the_learned_encoder_gets_a_gradient() {
    let dev = Device::Cpu;
    let m = Model::new(Encoding::Learned, 0, 5, 3, &dev).unwrap();
    let x: Vec<f32> = (0..4 * 80 * FRAMES)
        .map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0)
        .collect();
    let x = Tensor::from_vec(x, (4, 80, FRAMES), &dev).unwrap();
    let y = Tensor::from_vec(vec![0u32, 1, 2, 3], 4, &dev).unwrap();
    let loss = candle_nn::loss::cross_entropy(&m.forward(&x).unwrap(), &y).unwrap();
    let g = loss.backward().unwrap();
    assert_eq!(m.vars.len(), 8);
    for (i, v) in m.vars.iter().enumerate() {
        let n = g
            .get(v.as_tensor())
            .unwrap_or_else(|| panic!("parameter {i} has no gradient"))
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(
            n > 0.0,
            "parameter {i} ({:?}) has a zero gradient",
            v.dims()
        );
    }
}

#[test]
fn metrics_match_hand_computed_values() {
    let truth = [0, 0, 1, 1, 2];
    let pred = [0, 1, 1, 1, 0];
    assert!((accuracy(&pred, &truth) - 0.6).abs() < 1e-12);
    // F1: class 0: tp 1 fp 1 fn 1 → 0.5; class 1: tp 2 fp 1 fn 0 → 0.8; class 2: 0.
    assert!((macro_f1(&pred, &truth) - (0.5 + 0.8 + 0.0) / 3.0).abs() < 1e-12);
    // Two tight, well separated groups: silhouette near 1, nearest neighbours right.
    let pts = vec![
        vec![1.0, 0.0],
        vec![0.99, 0.05],
        vec![0.0, 1.0],
        vec![0.05, 0.99],
    ];
    let lab = [0, 0, 1, 1];
    let s = silhouette(&pts, &lab);
    assert!(s > 0.9, "{s}");
    // Swapped labels: negative.
    assert!(silhouette(&pts, &[0, 1, 0, 1]) < 0.0);
    assert_eq!(nn_accuracy(&pts[..2], &[0, 0], &pts[2..], &[1, 1]), 0.0);
    assert_eq!(nn_accuracy(&[vec![0.9, 0.1]], &[0], &pts, &lab), 1.0);
}

#[test]
fn the_experiment_runs_on_a_generated_set_and_reports_every_metric() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("speech");
    let out = lb_scratch()
        .args([
            "data",
            "speech",
            "--utterances",
            "40",
            "--dialogues",
            "0",
            "--seed",
            "3",
        ])
        .arg("--out")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for enc in ["logmel", "mfcc", "learned"] {
        let out = lb_scratch()
            .args(["exp", "audio-embed", "--param"])
            .arg(format!("encoding={enc}"))
            .args(["--param", "steps=40", "--param", "eval_every=20", "--param"])
            .arg(format!("data={}", data.display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{enc}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let last: serde_json::Value = text
            .lines()
            .rev()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| v.get("f1").is_some())
            .unwrap_or_else(|| panic!("{enc}: no final record in {text}"));
        for k in [
            "accuracy",
            "f1",
            "accuracy_noise",
            "accuracy_reverb",
            "accuracy_speed",
            "nn_accuracy",
            "silhouette",
        ] {
            assert!(last[k].is_number(), "{enc}: {k} missing in {last}");
        }
        assert!(last["accuracy"].as_f64().unwrap() <= 1.0);
    }
    // A directory without a speech set says how to make one.
    let out = lb_scratch()
        .args(["exp", "encodings", "--param"])
        .arg(format!("data={}", d.path().join("none").display()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("labbook data speech"));
}
