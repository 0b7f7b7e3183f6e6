//! The transformer LM: every parameter gets a gradient in every position variant,
//! autograd agrees with finite differences, a tiny model overfits a tiny batch, the
//! same seed gives the same losses, and the batch sampler is the reference's.

use candle_core::{Device, Tensor};
use candle_nn::Optimizer;
use labbook::exp::lm::model::{Config, Gpt, Position};
use labbook::exp::lm::{batch, lr_at, Corpus, Hparams, Lcg};
use labbook::exp::Parameters;
use labbook::nn::clip_grads;

use crate::common::{lb, lb_scratch};

const VARIANTS: [Position; 4] = [
    Position::Learned,
    Position::Sinusoidal,
    Position::Rope,
    Position::Alibi,
];

fn tiny(position: Position) -> Config {
    Config {
        vocab: 11,
        block: 8,
        n_layer: 2,
        n_head: 2,
        n_embd: 16,
        position,
        dropout: 0.0,
    }
}

fn data(b: usize, t: usize, seed: u32) -> (Tensor, Tensor) {
    let x: Vec<u32> = (0..b * t).map(|i| (i as u32 * 7 + seed) % 11).collect();
    let y: Vec<u32> = (0..b * t).map(|i| (i as u32 * 7 + seed + 1) % 11).collect();
    (
        Tensor::from_vec(x, (b, t), &Device::Cpu).unwrap(),
        Tensor::from_vec(y, (b, t), &Device::Cpu).unwrap(),
    )
}

#[test]
fn every_variable_receives_a_nonzero_gradient_in_every_variant() {
    for pos in VARIANTS {
        let (model, params) = Gpt::new(tiny(pos), 7, &Device::Cpu).unwrap();
        let (x, y) = data(3, 8, 1);
        let grads = model.loss(&x, &y).unwrap().backward().unwrap();
        for (name, v) in &params.vars {
            let g = grads
                .get(v.as_tensor())
                .unwrap_or_else(|| panic!("{pos:?}: no gradient for {name}"));
            let norm = g
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(
                norm > 0.0 && norm.is_finite(),
                "{pos:?}: gradient of {name} is {norm}"
            );
        }
        // The position scheme's own parameters exist only where they should.
        assert_eq!(
            params.vars.iter().any(|(n, _)| n == "wpe"),
            pos == Position::Learned
        );
    }
}

#[test]
fn gradients_agree_with_finite_differences() {
    // Central differences in f64 on the loss, against autograd, for a few entries of
    // every parameter, in every variant (softmax, LayerNorm, RoPE and ALiBi included).
    for pos in VARIANTS {
        let (model, params) = Gpt::new(tiny(pos), 11, &Device::Cpu).unwrap();
        let (x, y) = data(2, 8, 3);
        let grads = model.loss(&x, &y).unwrap().backward().unwrap();
        for (name, v) in &params.vars {
            let g = grads
                .get(v.as_tensor())
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            let orig = v
                .as_tensor()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            // The entry with the largest gradient, where f32 differences are reliable.
            let i = (0..g.len())
                .max_by(|&a, &b| g[a].abs().total_cmp(&g[b].abs()))
                .unwrap();
            let eps = 1e-2f32;
            let at = |delta: f32| {
                let mut w = orig.clone();
                w[i] += delta;
                v.set(&Tensor::from_vec(w, v.shape(), &Device::Cpu).unwrap())
                    .unwrap();
                model.loss(&x, &y).unwrap().to_scalar::<f32>().unwrap() as f64
            };
            let numeric = (at(eps) - at(-eps)) / (2.0 * eps as f64);
            v.set(&Tensor::from_vec(orig.clone(), v.shape(), &Device::Cpu).unwrap())
                .unwrap();
            let analytic = g[i] as f64;
            let err = (numeric - analytic).abs() / analytic.abs().max(1e-3);
            assert!(
                err < 0.05,
                "{pos:?} {name}[{i}]: autograd {analytic}, finite differences {numeric}"
            );
        }
    }
}

#[test]
fn a_tiny_model_overfits_a_tiny_batch() {
    for pos in [Position::Learned, Position::Rope] {
        let (model, params) = Gpt::new(tiny(pos), 3, &Device::Cpu).unwrap();
        let (x, y) = data(4, 8, 5);
        let mut opt = candle_nn::AdamW::new(
            params.all(),
            candle_nn::ParamsAdamW {
                lr: 1e-2,
                weight_decay: 0.0,
                ..Default::default()
            },
        )
        .unwrap();
        let first = model.loss(&x, &y).unwrap().to_scalar::<f32>().unwrap();
        let mut last = first;
        for _ in 0..150 {
            let loss = model.loss(&x, &y).unwrap();
            last = loss.to_scalar::<f32>().unwrap();
            opt.backward_step(&loss).unwrap();
        }
        assert!(first > 2.0, "{first}");
        assert!(last < 0.1, "{pos:?}: loss {first} → {last}");
    }
}

fn losses(seed: u64, steps: usize) -> Vec<f32> {
    let corpus = Corpus::from_bytes(&b"the quick brown fox jumps over the lazy dog. ".repeat(40));
    let h = Hparams {
        steps,
        warmup: 2,
        block_size: 16,
        batch_size: 4,
        n_layer: 1,
        n_head: 2,
        n_embd: 16,
        ..Hparams::default()
    };
    let cfg = Config {
        vocab: corpus.vocab_size(),
        block: 16,
        n_layer: 1,
        n_head: 2,
        n_embd: 16,
        position: Position::Alibi,
        dropout: 0.0,
    };
    let (model, params) = Gpt::new(cfg, seed, &Device::Cpu).unwrap();
    let vars = params.all();
    let mut opt = candle_nn::AdamW::new(
        vars.clone(),
        candle_nn::ParamsAdamW {
            lr: 1e-3,
            beta2: 0.99,
            weight_decay: 0.1,
            ..Default::default()
        },
    )
    .unwrap();
    let mut rng = Lcg(seed);
    (0..steps)
        .map(|s| {
            opt.set_learning_rate(lr_at(s, &h));
            let (x, y) = batch(&corpus.data, 4, 16, &mut rng, &Device::Cpu).unwrap();
            let loss = model.loss(&x, &y).unwrap();
            let mut g = loss.backward().unwrap();
            clip_grads(&mut g, &vars, 1.0).unwrap();
            opt.step(&g).unwrap();
            loss.to_scalar::<f32>().unwrap()
        })
        .collect()
}

#[test]
fn the_same_seed_gives_identical_losses() {
    let a = losses(5, 8);
    assert_eq!(a, losses(5, 8));
    assert_ne!(a, losses(6, 8));
    assert!(a.iter().all(|l| l.is_finite()));
}

#[test]
fn the_batch_sampler_is_the_references_lcg() {
    // Values from the reference's LCG (seed 42) in shared/bench/train_torch.py.
    let mut r = Lcg(42);
    assert_eq!(
        [r.next_offset(), r.next_offset(), r.next_offset()],
        [1220265334, 484179026, 886563538]
    );
}

#[test]
fn schedule_and_parameters() {
    let h = Hparams {
        steps: 100,
        warmup: 10,
        lr: 1e-3,
        ..Hparams::default()
    };
    assert!((lr_at(0, &h) - 1e-4).abs() < 1e-12);
    assert!((lr_at(9, &h) - 1e-3).abs() < 1e-12);
    assert!((lr_at(100, &h) - 1e-4).abs() < 1e-9, "cosine ends at lr/10");
    assert!(lr_at(50, &h) < lr_at(20, &h));
    let p = |s: &[&str]| Hparams::from_pairs(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>());
    assert_eq!(
        p(&["position=rope", "steps=5"]).unwrap().position,
        Position::Rope
    );
    for (bad, msg) in [
        (vec!["position=nope"], "learned, sinusoidal"),
        (vec!["n_embd=30", "n_head=4"], "multiple of n_head"),
        (vec!["tokenizer=bytes"], "expected char or bpe"),
        (vec!["dropout=1.5"], "probability in [0, 1)"),
        (vec!["bogus=1"], "unknown parameter `bogus`"),
        (vec!["steps=x"], "whole number"),
    ] {
        let e = p(&bad).unwrap_err().to_string();
        assert!(e.contains(msg), "{bad:?}: {e}");
    }
}

/// Launched through the runs machinery: it trains, reports metrics and a sample.
#[test]
fn the_lm_project_runs_and_reports_metrics() {
    let d = tempfile::tempdir().unwrap();
    let out = lb(d.path())
        .args(["run", "start", "lm"])
        .args([
            "--param",
            "steps=3",
            "--param",
            "n_layer=1",
            "--param",
            "n_embd=16",
            "--param",
            "n_head=2",
        ])
        .args([
            "--param",
            "block_size=16",
            "--param",
            "batch_size=2",
            "--param",
            "eval_every=2",
            "--param",
            "warmup=1",
            "--param",
            "position=rope",
        ])
        .args(["-f"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(": completed"), "{text}");
    let id = text.split_whitespace().nth(1).unwrap().to_string();
    let show = lb(d.path())
        .args(["run", "show", &id, "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    let metric = |k: &str| {
        v["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == k)
            .cloned()
            .unwrap_or_else(|| panic!("no {k}: {v:#}"))
    };
    assert_eq!(metric("loss")["count"], 3);
    assert_eq!(
        metric("val_loss")["count"],
        2,
        "evaluated at step 2 and at the end"
    );
    for k in ["lr", "grad_norm", "tokens_per_s", "val_ppl"] {
        metric(k);
    }
    assert!(v["info"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i[0] == "sample"));
    assert_eq!(v["run"]["params"]["position"], "rope");
}

#[test]
fn bad_parameters_fail_with_a_clear_message() {
    let out = lb_scratch()
        .args(["exp", "lm", "--param", "corpus=/nonexistent/text.txt"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("reading the corpus /nonexistent/text.txt")
    );
    let err = |p: &[&str]| {
        Hparams::from_pairs(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(err(&["device=gpu"]).contains("expected cpu, cuda or cuda:N"));
    assert!(err(&["device=cuda:x"]).contains("expected cpu, cuda or cuda:N"));
    assert!(err(&["tokenizer=wordpiece"]).contains("expected char or bpe"));
    assert!(err(&["tokenizer=bpe", "vocab_size=many"]).contains("vocab_size=many"));
    let h = Hparams::from_pairs(&["tokenizer=bpe".into(), "device=cuda:1".into()]).unwrap();
    assert_eq!(
        h.tokenizer_kind(),
        labbook::exp::lm::tokenizer::Kind::Bpe { vocab_size: 512 }
    );
    if !candle_core::utils::cuda_is_available() {
        let e = labbook::nn::device("cuda:0").unwrap_err().to_string();
        assert!(e.contains("--features cuda"), "{e}");
    }
}

#[test]
fn dropout_only_acts_in_training_and_is_seeded() {
    use labbook::util::rng::Rng;
    let mut cfg = tiny(Position::Learned);
    cfg.dropout = 0.3;
    let (model, _) = Gpt::new(cfg, 5, &Device::Cpu).unwrap();
    let (x, y) = data(2, 8, 1);
    let eval = |m: &Gpt| m.loss(&x, &y).unwrap().to_scalar::<f32>().unwrap();
    let train = |m: &Gpt, seed: u64| {
        m.loss_t(&x, &y, Some(&mut Rng::new(seed)))
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    };
    let (no_drop, _) = Gpt::new(tiny(Position::Learned), 5, &Device::Cpu).unwrap();
    assert_eq!(eval(&model), eval(&no_drop), "evaluation ignores dropout");
    assert_ne!(train(&model, 1), eval(&model), "training applies it");
    assert_eq!(
        train(&model, 1),
        train(&model, 1),
        "the same masks for the same seed"
    );
    assert_ne!(train(&model, 1), train(&model, 2));
}

#[test]
fn the_bpe_tokenizer_trains_on_the_corpus_and_round_trips() {
    use labbook::exp::lm::Corpus;
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("c.txt");
    let text = "It was the best of times, it was the worst of times; ".repeat(50) + "ZQX";
    std::fs::write(&path, &text).unwrap();
    let kind = labbook::exp::lm::tokenizer::Kind::Bpe { vocab_size: 60 };
    let c = Corpus::load_with(path.to_str().unwrap(), kind).unwrap();
    assert!(
        c.vocab_size() <= 60 && c.vocab_size() > 30,
        "{}",
        c.vocab_size()
    );
    // Fewer tokens than bytes, and decoding gives the text back (the bytes seen only in
    // the held-out tail, "ZQX", still encode).
    assert!(c.data.len() < text.len() / 2, "{} tokens", c.data.len());
    assert_eq!(c.decode(&c.data), text);
}

fn tiny_hparams(corpus: &std::path::Path) -> Hparams {
    Hparams {
        steps: 6,
        warmup: 2,
        block_size: 16,
        batch_size: 4,
        n_layer: 1,
        n_head: 2,
        n_embd: 16,
        position: Position::Rope,
        corpus: corpus.display().to_string(),
        eval_batches: 2,
        out: None,
        ..Hparams::default()
    }
}

#[test]
fn resuming_from_a_checkpoint_continues_the_same_loss_curve() {
    let d = tempfile::tempdir().unwrap();
    let corpus = d.path().join("c.txt");
    std::fs::write(
        &corpus,
        "a small corpus of words, repeated until it is long enough. ".repeat(60),
    )
    .unwrap();
    for tokenizer in ["char", "bpe"] {
        let mut h = tiny_hparams(&corpus);
        if tokenizer == "bpe" {
            // With dropout too: its generator is part of the checkpoint.
            h.tokenizer = labbook::exp::lm::Vocabulary::Bpe;
            h.vocab_size = 40;
            h.dropout = 0.2;
        }
        resume_case(&h, &d.path().join(tokenizer));
    }
}

fn resume_case(h: &Hparams, dir: &std::path::Path) {
    use labbook::exp::lm::Trainer;
    let h = h.clone();
    let mut straight = Trainer::new(h.clone()).unwrap();
    let reference: Vec<f64> = (0..6).map(|_| straight.train_step().unwrap().0).collect();
    let ref_val = straight.validate().unwrap();
    let mut first = Trainer::new(h.clone()).unwrap();
    let head: Vec<f64> = (0..3).map(|_| first.train_step().unwrap().0).collect();
    let ck = dir.join("ck");
    first.save(ck.to_str().unwrap()).unwrap();
    drop(first);
    let mut resumed = Trainer::resume(ck.to_str().unwrap(), &h).unwrap();
    assert_eq!(resumed.step, 3);
    let tail: Vec<f64> = (0..3).map(|_| resumed.train_step().unwrap().0).collect();
    assert_eq!(
        [head, tail].concat(),
        reference,
        "the resumed run follows the same curve exactly"
    );
    assert_eq!(resumed.validate().unwrap(), ref_val);
    // A damaged checkpoint is an error that names the file.
    std::fs::write(ck.join("state.json"), b"{not json").unwrap();
    let e = Trainer::resume(ck.to_str().unwrap(), &h)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("state.json"), "{e}");
}

#[test]
fn checkpoints_are_written_and_resumed_from_the_command_line() {
    let d = tempfile::tempdir().unwrap();
    let corpus = d.path().join("c.txt");
    std::fs::write(
        &corpus,
        "the cat sat on the mat and the dog sat on the log. ".repeat(60),
    )
    .unwrap();
    let ck = d.path().join("ck");
    let common = [
        "--param",
        "n_layer=1",
        "--param",
        "n_embd=16",
        "--param",
        "n_head=2",
        "--param",
        "block_size=16",
        "--param",
        "batch_size=2",
        "--param",
        "sample_chars=0",
    ];
    let out = lb_scratch()
        .args(["exp", "lm", "--param", "steps=2"])
        .args(common)
        .arg("--param")
        .arg(format!("corpus={}", corpus.display()))
        .arg("--param")
        .arg(format!("out={}", ck.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in ["model.safetensors", "optimizer.safetensors", "state.json"] {
        assert!(ck.join(f).exists(), "{f}");
    }
    let out = lb_scratch()
        .args(["exp", "lm", "--param", "steps=4"])
        .arg("--param")
        .arg(format!("resume={}", ck.display()))
        .args(["--param", "sample_chars=0"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("resumed at step 2"), "{text}");
    let steps: Vec<i64> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["step"].as_i64())
        .collect();
    assert_eq!(steps, [2, 3]);
}

#[test]
fn fused_softmax_matches_the_composed_one_and_finite_differences() {
    use labbook::nn::ops::{softmax, softmax_composed};
    let dev = Device::Cpu;
    let vals: Vec<f32> = (0..2 * 3 * 7)
        .map(|i| ((i * 37 % 17) as f32 - 8.0) * 0.3)
        .collect();
    let x = candle_core::Var::from_vec(vals.clone(), (2, 3, 7), &dev).unwrap();
    // A loss that weights every output differently, so every input gets a distinct gradient.
    let w = Tensor::from_vec(
        (0..42).map(|i| (i as f32 * 0.13).sin()).collect::<Vec<_>>(),
        (2, 3, 7),
        &dev,
    )
    .unwrap();
    let loss_of = |f: fn(&Tensor) -> candle_core::Result<Tensor>, t: &Tensor| {
        f(t).unwrap().mul(&w).unwrap().sum_all().unwrap()
    };
    let fused = softmax(x.as_tensor())
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let composed = softmax_composed(x.as_tensor())
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    for (a, b) in fused.iter().zip(&composed) {
        assert!((a - b).abs() < 1e-6);
    }
    let g_fused = loss_of(softmax, x.as_tensor())
        .backward()
        .unwrap()
        .get(x.as_tensor())
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let g_composed = loss_of(softmax_composed, x.as_tensor())
        .backward()
        .unwrap()
        .get(x.as_tensor())
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    for (i, (a, b)) in g_fused.iter().zip(&g_composed).enumerate() {
        assert!(
            (a - b).abs() < 1e-5,
            "gradient {i}: fused {a}, composed {b}"
        );
    }
    // Central differences on every input.
    let eps = 1e-2f32;
    for i in 0..vals.len() {
        let at = |d: f32| {
            let mut v = vals.clone();
            v[i] += d;
            loss_of(softmax, &Tensor::from_vec(v, (2, 3, 7), &dev).unwrap())
                .to_scalar::<f32>()
                .unwrap() as f64
        };
        let numeric = (at(eps) - at(-eps)) / (2.0 * eps as f64);
        let analytic = g_fused[i] as f64;
        assert!(
            (numeric - analytic).abs() < 2e-3 + 0.02 * analytic.abs(),
            "input {i}: autograd {analytic}, finite differences {numeric}"
        );
    }
}

#[test]
fn fused_layer_norm_matches_the_composed_one_and_finite_differences() {
    use labbook::nn::ops::{layer_norm, layer_norm_composed};
    let dev = Device::Cpu;
    let xv: Vec<f32> = (0..2 * 3 * 8)
        .map(|i| ((i * 29 % 13) as f32 - 6.0) * 0.4)
        .collect();
    let wv: Vec<f32> = (0..8).map(|i| 0.5 + i as f32 * 0.1).collect();
    let x = candle_core::Var::from_vec(xv.clone(), (2, 3, 8), &dev).unwrap();
    let w = candle_core::Var::from_vec(wv.clone(), 8, &dev).unwrap();
    let weights = Tensor::from_vec(
        (0..48).map(|i| (i as f32 * 0.21).cos()).collect::<Vec<_>>(),
        (2, 3, 8),
        &dev,
    )
    .unwrap();
    type Ln = fn(&Tensor, &Tensor) -> candle_core::Result<Tensor>;
    let loss =
        |f: Ln, x: &Tensor, w: &Tensor| f(x, w).unwrap().mul(&weights).unwrap().sum_all().unwrap();
    let vec = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    for (a, b) in vec(&layer_norm(x.as_tensor(), w.as_tensor()).unwrap())
        .iter()
        .zip(vec(
            &layer_norm_composed(x.as_tensor(), w.as_tensor()).unwrap()
        ))
    {
        assert!((a - b).abs() < 1e-5);
    }
    let gf = loss(layer_norm, x.as_tensor(), w.as_tensor())
        .backward()
        .unwrap();
    let gc = loss(layer_norm_composed, x.as_tensor(), w.as_tensor())
        .backward()
        .unwrap();
    for v in [&x, &w] {
        let (a, b) = (
            vec(gf.get(v.as_tensor()).unwrap()),
            vec(gc.get(v.as_tensor()).unwrap()),
        );
        for (i, (p, q)) in a.iter().zip(&b).enumerate() {
            assert!(
                (p - q).abs() < 1e-4,
                "gradient {i}: fused {p}, composed {q}"
            );
        }
    }
    // Central differences on every input and weight.
    let eps = 1e-2f32;
    let gx = vec(gf.get(x.as_tensor()).unwrap());
    let gw = vec(gf.get(w.as_tensor()).unwrap());
    let at = |xs: Vec<f32>, ws: Vec<f32>| {
        loss(
            layer_norm,
            &Tensor::from_vec(xs, (2, 3, 8), &dev).unwrap(),
            &Tensor::from_vec(ws, 8, &dev).unwrap(),
        )
        .to_scalar::<f32>()
        .unwrap() as f64
    };
    for i in 0..xv.len() {
        let (mut p, mut m) = (xv.clone(), xv.clone());
        p[i] += eps;
        m[i] -= eps;
        let numeric = (at(p, wv.clone()) - at(m, wv.clone())) / (2.0 * eps as f64);
        assert!(
            (numeric - gx[i] as f64).abs() < 3e-3 + 0.03 * numeric.abs(),
            "x[{i}]: autograd {}, finite differences {numeric}",
            gx[i]
        );
    }
    for i in 0..wv.len() {
        let (mut p, mut m) = (wv.clone(), wv.clone());
        p[i] += eps;
        m[i] -= eps;
        let numeric = (at(xv.clone(), p) - at(xv.clone(), m)) / (2.0 * eps as f64);
        assert!(
            (numeric - gw[i] as f64).abs() < 3e-3 + 0.03 * numeric.abs(),
            "w[{i}]: autograd {}, finite differences {numeric}",
            gw[i]
        );
    }
}

/// Autograd of `f` at `vals` against the composed reference `g` and against central
/// differences of `f`, for every input.
fn check_fused_op(
    name: &str,
    vals: &[f32],
    shape: &[usize],
    f: &dyn Fn(&Tensor) -> candle_core::Result<Tensor>,
    g: &dyn Fn(&Tensor) -> candle_core::Result<Tensor>,
) {
    let dev = Device::Cpu;
    let n = vals.len();
    let x = candle_core::Var::from_vec(vals.to_vec(), shape, &dev).unwrap();
    // A loss weighting every output differently (the output may differ in shape).
    let out_shape = f(x.as_tensor()).unwrap().shape().clone();
    let weights = Tensor::from_vec(
        (0..out_shape.elem_count())
            .map(|i| (i as f32 * 0.37).sin())
            .collect::<Vec<_>>(),
        out_shape,
        &dev,
    )
    .unwrap();
    let vec = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let (yf, yc) = (
        vec(&f(x.as_tensor()).unwrap()),
        vec(&g(x.as_tensor()).unwrap()),
    );
    for (i, (a, b)) in yf.iter().zip(&yc).enumerate() {
        assert!(
            (a - b).abs() < 1e-6,
            "{name} output {i}: fused {a}, composed {b}"
        );
    }
    let loss = |h: &dyn Fn(&Tensor) -> candle_core::Result<Tensor>, t: &Tensor| {
        h(t).unwrap().mul(&weights).unwrap().sum_all().unwrap()
    };
    let gf = vec(loss(f, x.as_tensor())
        .backward()
        .unwrap()
        .get(x.as_tensor())
        .unwrap());
    let gc = vec(loss(g, x.as_tensor())
        .backward()
        .unwrap()
        .get(x.as_tensor())
        .unwrap());
    for (i, (a, b)) in gf.iter().zip(&gc).enumerate() {
        assert!(
            (a - b).abs() < 1e-5,
            "{name} gradient {i}: fused {a}, composed {b}"
        );
    }
    assert!(
        gf.iter().any(|v| v.abs() > 1e-3),
        "{name}: all gradients vanish"
    );
    let eps = 1e-2f32;
    for i in 0..n {
        let at = |d: f32| {
            let mut v = vals.to_vec();
            v[i] += d;
            loss(f, &Tensor::from_vec(v, shape, &dev).unwrap())
                .to_scalar::<f32>()
                .unwrap() as f64
        };
        let numeric = (at(eps) - at(-eps)) / (2.0 * eps as f64);
        let analytic = gf[i] as f64;
        assert!(
            (numeric - analytic).abs() < 2e-3 + 0.02 * analytic.abs(),
            "{name} input {i}: autograd {analytic}, finite differences {numeric}"
        );
    }
}

#[test]
fn fused_gelu_matches_erf_gelu_and_finite_differences() {
    use labbook::nn::ops::gelu;
    // From deep in the negative tail to the linear regime, plus a vector long enough to
    // take the parallel path (many chunks).
    let vals: Vec<f32> = (0..97).map(|i| (i as f32 - 48.0) * 0.17).collect();
    check_fused_op("gelu", &vals, &[97], &gelu, &|t| t.gelu_erf());
    let big: Vec<f32> = (0..200_000)
        .map(|i| ((i % 2001) as f32 - 1000.0) * 0.01)
        .collect();
    let x = Tensor::from_vec(big, 200_000, &Device::Cpu).unwrap();
    let a = gelu(&x).unwrap().to_vec1::<f32>().unwrap();
    let b = x.gelu_erf().unwrap().to_vec1::<f32>().unwrap();
    let worst = a
        .iter()
        .zip(&b)
        .map(|(p, q)| (p - q).abs())
        .fold(0f32, f32::max);
    assert!(worst < 2e-6, "largest difference from erf GELU: {worst}");
}

#[test]
fn fused_causal_softmax_matches_the_masked_softmax_and_finite_differences() {
    use labbook::exp::lm::model::alibi_slopes;
    use labbook::nn::ops::{causal_softmax, softmax_composed};
    let (b, h, t) = (2usize, 4usize, 5usize);
    let n = b * h * t * t;
    let vals: Vec<f32> = (0..n)
        .map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.2)
        .collect();
    let scale = 0.7f64;
    for alibi in [false, true] {
        let slopes = alibi.then(|| alibi_slopes(h));
        let bias: Vec<f32> = (0..h * t * t)
            .map(|k| {
                let (head, i, j) = (k / (t * t), k / t % t, k % t);
                if j > i {
                    f32::NEG_INFINITY
                } else {
                    -slopes.as_ref().map_or(0.0, |s| s[head]) * (i - j) as f32
                }
            })
            .collect();
        let bias = Tensor::from_vec(bias, (h, t, t), &Device::Cpu).unwrap();
        let s2 = slopes.clone();
        check_fused_op(
            if alibi {
                "causal softmax + alibi"
            } else {
                "causal softmax"
            },
            &vals,
            &[b, h, t, t],
            &move |x| causal_softmax(x, scale, s2.clone()),
            &|x| softmax_composed(&(x * scale)?.broadcast_add(&bias)?),
        );
    }
}

#[test]
fn variants_that_extrapolate_are_evaluated_beyond_the_training_context() {
    use labbook::exp::lm::Trainer;
    let d = tempfile::tempdir().unwrap();
    let corpus = d.path().join("c.txt");
    std::fs::write(&corpus, "one two three four five six seven. ".repeat(80)).unwrap();
    for pos in VARIANTS {
        let mut h = tiny_hparams(&corpus);
        h.position = pos;
        let mut tr = Trainer::new(h.clone()).unwrap();
        let mut plain = Trainer::new(h).unwrap();
        tr.validate().unwrap();
        plain.validate().unwrap();
        let long = tr.validate_long().unwrap();
        // The long evaluation leaves the ordinary validation batches alone.
        assert_eq!(tr.validate().unwrap(), plain.validate().unwrap());
        match pos {
            Position::Learned => assert!(long.is_none()),
            _ => {
                let l = long.unwrap();
                assert!(l.is_finite() && l > 0.0, "{pos:?}: {l}");
            }
        }
    }
    // A learned table has no rows past block_size: a longer input is a clear error.
    let (model, _) = Gpt::new(tiny(Position::Learned), 1, &Device::Cpu).unwrap();
    let x = Tensor::zeros((1, 9), candle_core::DType::U32, &Device::Cpu).unwrap();
    let e = model.forward(&x).unwrap_err().to_string();
    assert!(e.contains("longer than this model's 8 positions"), "{e}");
}

#[test]
fn fused_linear_matches_the_matmul_and_finite_differences() {
    use labbook::nn::ops::{linear, linear_composed};
    let dev = Device::Cpu;
    let xv: Vec<f32> = (0..2 * 3 * 5)
        .map(|i| ((i * 13 % 11) as f32 - 5.0) * 0.3)
        .collect();
    let wv: Vec<f32> = (0..4 * 5)
        .map(|i| ((i * 7 % 9) as f32 - 4.0) * 0.25)
        .collect();
    // As a function of x (w fixed) and of w (x fixed).
    let w_t = Tensor::from_vec(wv.clone(), (4, 5), &dev).unwrap();
    let x_t = Tensor::from_vec(xv.clone(), (2, 3, 5), &dev).unwrap();
    let (w1, w2) = (w_t.clone(), w_t.clone());
    check_fused_op(
        "linear (x)",
        &xv,
        &[2, 3, 5],
        &move |x| linear(x, &w1),
        &move |x| linear_composed(x, &w2),
    );
    let (x1, x2) = (x_t.clone(), x_t.clone());
    check_fused_op(
        "linear (w)",
        &wv,
        &[4, 5],
        &move |w| linear(&x1, w),
        &move |w| linear_composed(&x2, w),
    );
    assert_eq!(linear(&x_t, &w_t).unwrap().dims(), [2, 3, 4]);
}

/// Causal attention on packed qkv (B, T, 3C) from differentiable ops (the reference).
fn attention_composed(
    qkv: &Tensor,
    nh: usize,
    scale: f64,
    slopes: Option<&[f32]>,
    rope: Option<(&Tensor, &Tensor)>,
) -> candle_core::Result<Tensor> {
    use labbook::exp::lm::model::apply_rope;
    use labbook::nn::ops::softmax_composed;
    let (b, t, c3) = qkv.dims3()?;
    let c = c3 / 3;
    let hs = c / nh;
    let heads = |i: usize| {
        qkv.narrow(2, i * c, c)?
            .reshape((b, t, nh, hs))?
            .transpose(1, 2)?
            .contiguous()
    };
    let (mut q, mut k, v) = (heads(0)?, heads(1)?, heads(2)?);
    if let Some((cos, sin)) = rope {
        q = apply_rope(&q, cos, sin)?;
        k = apply_rope(&k, cos, sin)?;
    }
    let bias: Vec<f32> = (0..nh * t * t)
        .map(|x| {
            let (h, i, j) = (x / (t * t), x / t % t, x % t);
            if j > i {
                f32::NEG_INFINITY
            } else {
                -slopes.map_or(0.0, |s| s[h]) * (i - j) as f32
            }
        })
        .collect();
    let bias = Tensor::from_vec(bias, (nh, t, t), qkv.device())?;
    let att = softmax_composed(&(q.matmul(&k.t()?)? * scale)?.broadcast_add(&bias)?)?;
    att.matmul(&v)?.transpose(1, 2)?.reshape((b, t, c))
}

#[test]
fn fused_attention_matches_the_composed_one_and_finite_differences() {
    use labbook::exp::lm::model::alibi_slopes;
    use labbook::nn::ops::{attention, Attention};
    let (b, t, nh, hs) = (2usize, 5usize, 2usize, 4usize);
    let c = nh * hs;
    let vals: Vec<f32> = (0..b * t * 3 * c)
        .map(|i| ((i * 31 % 19) as f32 - 9.0) * 0.15)
        .collect();
    let scale = 1.0 / (hs as f64).sqrt();
    // RoPE tables as the model builds them.
    let half = hs / 2;
    let (mut cos, mut sin) = (vec![0f32; t * half], vec![0f32; t * half]);
    for pos in 0..t {
        for i in 0..half {
            let th = pos as f64 / 10000f64.powf(2.0 * i as f64 / hs as f64);
            cos[pos * half + i] = th.cos() as f32;
            sin[pos * half + i] = th.sin() as f32;
        }
    }
    let cos_t = Tensor::from_vec(cos.clone(), (t, half), &Device::Cpu).unwrap();
    let sin_t = Tensor::from_vec(sin.clone(), (t, half), &Device::Cpu).unwrap();
    for (name, alibi, rope) in [
        ("attention", false, false),
        ("attention + alibi", true, false),
        ("attention + rope", false, true),
    ] {
        let slopes = alibi.then(|| alibi_slopes(nh));
        let tables = rope.then(|| (cos.clone(), sin.clone()));
        let (s1, s2) = (slopes.clone(), slopes.clone());
        let (ct, st) = (cos_t.clone(), sin_t.clone());
        check_fused_op(
            name,
            &vals,
            &[b, t, 3 * c],
            &move |x| {
                attention(
                    x,
                    Attention::new(nh, scale as f32, s1.clone(), tables.clone()),
                )
            },
            &move |x| attention_composed(x, nh, scale, s2.as_deref(), rope.then_some((&ct, &st))),
        );
    }
}
