//! AdamW with decoupled weight decay (as PyTorch's `torch.optim.AdamW`), keeping its
//! moments where a checkpoint can save and restore them.

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};

pub struct AdamW {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    /// Steps taken (for the bias corrections).
    pub t: u64,
    pub vars: Vec<Var>,
    pub m: Vec<Tensor>,
    pub v: Vec<Tensor>,
}

impl AdamW {
    /// PyTorch's defaults (betas 0.9 and 0.999, eps 1e-8, weight decay 0.01) at `lr`:
    /// what the small models of labbook train with.
    pub fn with_defaults(vars: Vec<Var>, lr: f64) -> Result<AdamW> {
        AdamW::new(vars, lr, 0.9, 0.999, 1e-8, 0.01)
    }

    pub fn new(
        vars: Vec<Var>,
        lr: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
        weight_decay: f64,
    ) -> Result<AdamW> {
        let m = vars
            .iter()
            .map(|v| v.as_tensor().zeros_like())
            .collect::<Result<Vec<_>>>()?;
        let v2 = vars
            .iter()
            .map(|v| v.as_tensor().zeros_like())
            .collect::<Result<Vec<_>>>()?;
        Ok(AdamW {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
            t: 0,
            vars,
            m,
            v: v2,
        })
    }

    /// θ ← θ·(1 − lr·wd) − lr · m̂ / (√v̂ + ε)
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.t += 1;
        let (b1, b2) = (self.beta1, self.beta2);
        let c1 = 1.0 / (1.0 - b1.powi(self.t as i32));
        let c2 = 1.0 / (1.0 - b2.powi(self.t as i32));
        for (i, var) in self.vars.iter().enumerate() {
            let Some(g) = grads.get(var.as_tensor()) else {
                continue;
            };
            // Detached: a gradient that still records its op would make the moments
            // (and through them every earlier step's graph) live for the whole run —
            // seen as ~40 MB more resident memory per step in `exp vad`.
            let g = &g.detach();
            let m = ((&self.m[i] * b1)? + (g * (1.0 - b1))?)?;
            let v = ((&self.v[i] * b2)? + (g.sqr()? * (1.0 - b2))?)?;
            let update = ((&m * c1)? / ((&v * c2)?.sqrt()? + self.eps)?)?;
            let theta = ((var.as_tensor().detach() * (1.0 - self.lr * self.weight_decay))?
                - (update * self.lr)?)?;
            var.set(&theta)?;
            self.m[i] = m;
            self.v[i] = v;
        }
        Ok(())
    }
}
