//! The model on a CUDA device gives the losses and gradients the CPU gives. Built only
//! with `--features cuda`; run it on a machine with a GPU (`cargo test --release
//! --features cuda --test cuda`). On the CPU the fused ops run; on CUDA the composed
//! forms do, so this checks both paths against each other on the same weights.
#![cfg(feature = "cuda")]

use candle_core::{Device, Tensor};
use labbook::exp::lm::model::{Config, Gpt, Position};

fn cfg(position: Position) -> Config {
    Config {
        vocab: 37,
        block: 32,
        n_layer: 2,
        n_head: 4,
        n_embd: 64,
        position,
        dropout: 0.0,
    }
}

fn data(dev: &Device) -> (Tensor, Tensor) {
    let (b, t) = (4, 32);
    let x: Vec<u32> = (0..b * t).map(|i| (i as u32 * 13 + 5) % 37).collect();
    let y: Vec<u32> = (0..b * t).map(|i| (i as u32 * 13 + 6) % 37).collect();
    (
        Tensor::from_vec(x, (b, t), dev).unwrap(),
        Tensor::from_vec(y, (b, t), dev).unwrap(),
    )
}

#[test]
fn cuda_matches_the_cpu_in_loss_and_gradients() {
    let gpu = labbook::nn::device("cuda:0").expect("a CUDA device");
    for pos in [
        Position::Learned,
        Position::Sinusoidal,
        Position::Rope,
        Position::Alibi,
    ] {
        let (mc, pc) = Gpt::new(cfg(pos), 3, &Device::Cpu).unwrap();
        let (mg, pg) = Gpt::new(cfg(pos), 3, &gpu).unwrap();
        let (xc, yc) = data(&Device::Cpu);
        let (xg, yg) = data(&gpu);
        let lc = mc.loss(&xc, &yc).unwrap();
        let lg = mg.loss(&xg, &yg).unwrap();
        let (a, b) = (
            lc.to_scalar::<f32>().unwrap(),
            lg.to_scalar::<f32>().unwrap(),
        );
        assert!(
            (a - b).abs() < 1e-4 * a.abs(),
            "{pos:?}: loss cpu {a} cuda {b}"
        );
        let gc = lc.backward().unwrap();
        let gg = lg.backward().unwrap();
        for ((name, vc), (_, vg)) in pc.vars.iter().zip(pg.vars.iter()) {
            let c = gc.get(vc.as_tensor()).unwrap().flatten_all().unwrap();
            let g = gg
                .get(vg.as_tensor())
                .unwrap_or_else(|| panic!("{pos:?}: no CUDA gradient for {name}"))
                .to_device(&Device::Cpu)
                .unwrap()
                .flatten_all()
                .unwrap();
            let c: Vec<f32> = c.to_vec1().unwrap();
            let g: Vec<f32> = g.to_vec1().unwrap();
            let scale = c.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
            let worst = c
                .iter()
                .zip(&g)
                .fold(0f32, |m, (p, q)| m.max((p - q).abs()));
            assert!(
                worst <= 2e-3 * scale,
                "{pos:?}: gradient of {name} differs by {worst} (scale {scale})"
            );
        }
        println!("{pos:?}: loss cpu {a:.6} cuda {b:.6}; gradients agree");
    }
}
