//! The random streams of a set: every item (and its split, noise and cues) draws from
//! its own generator, seeded from the set's seed by tag and index, so items can be
//! built in any order or thread and the set stays byte-identical.

use super::config::SPM;
use crate::util::rng::Rng;

pub(super) const TAG_PLAN: u64 = 1;
pub(super) const TAG_UTT: u64 = 2;
pub(super) const TAG_DLG: u64 = 3;
pub(super) const TAG_SPLIT: u64 = 4;
pub(super) const TAG_NOISE: u64 = 5;
pub(super) const TAG_CUE: u64 = 6;

/// A uniform duration in samples for a millisecond range (inclusive).
pub(super) fn draw_ms(rng: &mut Rng, r: (u64, u64)) -> usize {
    rng.range_inclusive(r.0 * SPM, r.1 * SPM) as usize
}

/// The seed of sub-stream `(tag, index)` of the set's seed. This mixing (not
/// [`crate::util::rng::derive_seed`]) is what the committed sets were made with, so it
/// stays: changing it would change every generated set.
pub(super) fn item_seed(seed: u64, tag: u64, index: u64) -> u64 {
    let mut r = Rng::new(
        seed ^ tag.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ index.wrapping_mul(0x8CB9_2BA7_2F3D_8DD7),
    );
    r.next_u64();
    r.next_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_seeds_give_uniform_first_draws() {
        // First draw of per-item generators (as used for noise colour, split, …).
        for tag in [TAG_UTT, TAG_SPLIT, TAG_NOISE, TAG_NOISE + 16] {
            let n = 20_000;
            let below = (0..n)
                .filter(|&i| Rng::new(item_seed(1, tag, i)).unit() < 0.2)
                .count();
            let p = below as f64 / n as f64;
            assert!((p - 0.2).abs() < 0.015, "tag {tag}: {p}");
        }
    }
}
