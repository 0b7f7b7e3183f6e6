//! `labbook eval vad` on the committed speech sample, and its errors.

use serde_json::Value;

// The commands here keep nothing in their data directory: each gets a throwaway one.
use crate::common::lb_scratch as lb;

#[test]
fn the_energy_baseline_is_evaluated_per_snr_on_the_sample() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/speech-sample/wav");
    let out = lb()
        .args(["eval", "vad", "--json"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let groups: Vec<&str> = rows.iter().map(|r| r["group"].as_str().unwrap()).collect();
    for g in ["clean", "0 dB", "5 dB", "10 dB", "20 dB", "all"] {
        assert!(groups.contains(&g), "{groups:?}");
    }
    let clean = rows.iter().find(|r| r["group"] == "clean").unwrap();
    assert_eq!(clean["vad"], "energy");
    assert!(clean["f1"].as_f64().unwrap() > 0.8, "{clean}");
    assert!(clean["roc_auc"].as_f64().unwrap() > 0.9, "{clean}");
    assert_eq!(clean["missed_segments"], 0);
    // Noise hurts the baseline: its AUC falls with the SNR.
    let auc = |g: &str| {
        rows.iter().find(|r| r["group"] == g).unwrap()["roc_auc"]
            .as_f64()
            .unwrap()
    };
    assert!(auc("20 dB") > auc("0 dB"));
    // A directory without labelled WAVs is named, with the expected format.
    let d = tempfile::tempdir().unwrap();
    let out = lb().args(["eval", "vad"]).arg(d.path()).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Audacity labels"));
}
