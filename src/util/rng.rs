//! The one random-number generator of labbook: SplitMix64 (Steele, Lea & Flood 2014,
//! the seeder of `xoshiro`). The state advances by the golden-ratio constant and each
//! output is that state through a fixed 64-bit mixing function: tiny, fast, passes
//! BigCrush, and any `u64` (zero included) is a good seed. Not cryptographic.
//!
//! Everything random in labbook (weight initialisation, dropout masks, the synthetic
//! speech set, augmentation, the scripted real-time sources, sweep subsets, mock
//! interviews) draws from it, so one seed fixes a run and the whole state is one `u64`
//! ([`Rng::state`]), which is what checkpoints save. Candle's own CPU generator cannot
//! be seeded, which is why weights are drawn here and copied into tensors.

/// The golden-ratio increment of SplitMix64.
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// A SplitMix64 generator. `Rng::new(rng.state())` continues the same sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rng(u64);

impl Rng {
    /// A generator whose whole future is fixed by `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator seeded from the clock (for choices that need not repeat, such as
    /// which question a mock interview asks first).
    pub fn from_time() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(7);
        Rng::new(nanos ^ u64::from(std::process::id()).rotate_left(32))
    }

    /// The generator's state: `Rng::new(state)` continues the same sequence.
    pub fn state(&self) -> u64 {
        self.0
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN_GAMMA);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`, with 53 random bits (every value a multiple of 2⁻⁵³).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform_in(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in `0..n` (the remainder of the next draw; its bias, below
    /// `n / 2⁶⁴`, is far too small to matter here). Returns 0 for `n == 0`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Uniform integer in `lo..=hi` (`lo` when `hi < lo`).
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi.saturating_sub(lo).saturating_add(1)).max(1)
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Two independent standard normals N(0, 1) by the Box–Muller transform: with `u1`
    /// in `(0, 1]` and `u2` in `[0, 1)`, `r = sqrt(-2 ln u1)` and `θ = 2π u2` give
    /// `r cos θ` and `r sin θ`.
    pub fn normal_pair(&mut self) -> (f64, f64) {
        let u1 = 1.0 - self.unit(); // (0, 1]: ln(u1) is finite
        let u2 = self.unit();
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u2;
        (r * theta.cos(), r * theta.sin())
    }

    /// One standard normal N(0, 1) (the first of a [`Rng::normal_pair`]; the state
    /// stays one `u64`, so a saved generator resumes exactly).
    pub fn normal(&mut self) -> f64 {
        self.normal_pair().0
    }

    /// Shuffle `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// A seed for sub-task `index` of seed `seed`: independent-looking streams for
/// (seed, 0), (seed, 1), … so one user seed can drive several random steps.
pub fn derive_seed(seed: u64, index: u64) -> u64 {
    Rng::new(seed ^ index.wrapping_add(1).wrapping_mul(GOLDEN_GAMMA)).next_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_reference_values_and_reproducibility() {
        // SplitMix64's first outputs for seed 0 (Vigna's reference implementation).
        let mut r = Rng::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        let a: Vec<u64> = (0..5)
            .scan(Rng::new(42), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..5)
            .scan(Rng::new(42), |r, _| Some(r.next_u64()))
            .collect();
        let c: Vec<u64> = (0..5)
            .scan(Rng::new(43), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        // The state alone resumes the sequence.
        let mut r = Rng::new(9);
        r.next_u64();
        let mut resumed = Rng::new(r.state());
        assert_eq!(r.next_u64(), resumed.next_u64());
    }

    #[test]
    fn draws_have_the_right_ranges_and_moments() {
        let mut r = Rng::new(1);
        let n = 200_000;
        let z: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let mean = z.iter().sum::<f64>() / n as f64;
        let var = z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.01 && (var - 1.0).abs() < 0.01,
            "{mean} {var}"
        );
        let u: Vec<f64> = (0..n).map(|_| r.unit()).collect();
        assert!(u.iter().all(|&v| (0.0..1.0).contains(&v)));
        assert!((u.iter().sum::<f64>() / n as f64 - 0.5).abs() < 0.005);
        assert!((0..1000).all(|_| r.below(7) < 7));
        assert_eq!(r.below(0), 0);
        assert!((0..1000).all(|_| (3..=5).contains(&r.range_inclusive(3, 5))));
        assert_eq!(r.range_inclusive(4, 4), 4);
        assert!((0..1000).all(|_| {
            let x = r.uniform_in(-2.0, 3.0);
            (-2.0..3.0).contains(&x)
        }));
        let mut v: Vec<usize> = (0..50).collect();
        r.shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_ne!(v, sorted);
        assert_ne!(derive_seed(5, 0), derive_seed(5, 1));
    }
}
