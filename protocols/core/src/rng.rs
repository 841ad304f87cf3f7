//! Seeded randomness with our own samplers.
//!
//! Every random choice in a run descends from one `u64` seed. Ranges and probabilities are
//! computed here rather than with `rand`'s samplers, so a recorded seed replays the same run
//! after a dependency upgrade. A stream may instead read its choices from a byte buffer (see
//! [`crate::choices`]): every draw is typed (a range, a chance, raw bits for a seed) so that
//! the buffer reads each one from its own few bytes.

use crate::choices::{chance_from_byte, width, Kind, Mark, Tape};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A stream of choices: ChaCha from a seed, optionally reading from or recording to the
/// run's shared buffer.
#[derive(Clone)]
pub struct Rng {
    chacha: ChaCha8Rng,
    tape: Option<Tape>,
    /// Which stream of the tape this is, for labelled runs.
    stream: u16,
}

impl fmt::Debug for Rng {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = if self.tape.is_some() {
            "tape"
        } else {
            "seeded"
        };
        write!(f, "Rng({mode})")
    }
}

impl Rng {
    pub(crate) fn with_tape(seed: u64, tape: Option<Tape>, stream: u16) -> Rng {
        Rng {
            chacha: ChaCha8Rng::seed_from_u64(seed),
            tape,
            stream,
        }
    }

    /// Whether to keep the fault or client operation `mark` guards: always from a seed,
    /// drawing nothing, so seeded runs are unchanged; from a buffer, unless its byte is zero
    /// (see [`crate::choices`]).
    pub fn keep(&mut self, mark: Mark) -> bool {
        match &self.tape {
            None => true,
            Some(tape) => tape.keep(self.stream, mark),
        }
    }

    /// Raw bits: from the buffer, or from ChaCha (recorded as they are).
    fn raw<const N: usize>(
        &mut self,
        from_seed: impl FnOnce(&mut ChaCha8Rng) -> [u8; N],
    ) -> [u8; N] {
        let mut out = [0u8; N];
        if let Some(tape) = &self.tape {
            if tape.read(&mut out, self.stream, Kind::Draw) {
                return out;
            }
        }
        out = from_seed(&mut self.chacha);
        if let Some(tape) = &self.tape {
            tape.write(&out, self.stream, Kind::Draw);
        }
        out
    }
}

impl RngCore for Rng {
    fn next_u32(&mut self) -> u32 {
        u32::from_be_bytes(self.raw(|c| c.next_u32().to_be_bytes()))
    }

    fn next_u64(&mut self) -> u64 {
        u64::from_be_bytes(self.raw(|c| c.next_u64().to_be_bytes()))
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        if let Some(tape) = &self.tape {
            if tape.read(dest, self.stream, Kind::Draw) {
                return;
            }
        }
        self.chacha.fill_bytes(dest);
        if let Some(tape) = &self.tape {
            tape.write(dest, self.stream, Kind::Draw);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// A source of typed draws. Plain generators sample from their bits; [`Rng`] reads a
/// buffer's bytes the way [`crate::choices`] describes.
pub trait Choose: RngCore {
    /// An integer in `lo..=hi`.
    fn choose_range(&mut self, lo: u64, hi: u64) -> u64 {
        lemire(self, lo, hi)
    }

    /// An integer in `lo..=hi` that a buffer's zero reads as `hi` (a gap between faults: zero
    /// is the longest, the quietest); from a seed, the same as [`Choose::choose_range`].
    fn choose_range_high(&mut self, lo: u64, hi: u64) -> u64 {
        lemire(self, lo, hi)
    }

    /// True with probability `numerator / denominator` (0 < numerator < denominator).
    fn choose_chance(&mut self, numerator: u32, denominator: u32) -> bool {
        lemire(self, 0, u64::from(denominator) - 1) < u64::from(numerator)
    }
}

impl Choose for ChaCha8Rng {}

impl Choose for Rng {
    fn choose_range(&mut self, lo: u64, hi: u64) -> u64 {
        self.choose_offset(lo, hi, Anchor::Low)
    }

    fn choose_range_high(&mut self, lo: u64, hi: u64) -> u64 {
        self.choose_offset(lo, hi, Anchor::High)
    }

    fn choose_chance(&mut self, numerator: u32, denominator: u32) -> bool {
        let Some(tape) = &self.tape else {
            return lemire(&mut self.chacha, 0, u64::from(denominator) - 1) < u64::from(numerator);
        };
        let mut byte = [0u8];
        if tape.read(&mut byte, self.stream, Kind::Draw) {
            return chance_from_byte(byte[0], numerator, denominator);
        }
        let hit = lemire(&mut self.chacha, 0, u64::from(denominator) - 1) < u64::from(numerator);
        tape.write(&[if hit { 255 } else { 0 }], self.stream, Kind::Draw);
        hit
    }
}

/// Which end of a range a buffer's bytes count from: zero bytes are that end.
#[derive(Clone, Copy)]
enum Anchor {
    Low,
    High,
}

impl Rng {
    /// A draw in `lo..=hi`: from a buffer, its bytes are the distance from `anchor`'s end
    /// (so zero is that end); from a seed, uniform, and recorded as that distance.
    fn choose_offset(&mut self, lo: u64, hi: u64, anchor: Anchor) -> u64 {
        let Some(tape) = &self.tape else {
            return lemire(&mut self.chacha, lo, hi);
        };
        let span = hi - lo;
        let mut bytes = [0u8; 8];
        let k = width(span);
        if tape.read(&mut bytes[8 - k..], self.stream, Kind::Draw) {
            let x = u64::from_be_bytes(bytes);
            let offset = if span == u64::MAX { x } else { x % (span + 1) };
            return match anchor {
                Anchor::Low => lo + offset,
                Anchor::High => hi - offset,
            };
        }
        let value = lemire(&mut self.chacha, lo, hi);
        let offset = match anchor {
            Anchor::Low => value - lo,
            Anchor::High => hi - value,
        };
        tape.write(&offset.to_be_bytes()[8 - k..], self.stream, Kind::Draw);
        value
    }
}

/// A generator seeded from `seed`.
pub fn rng_from_seed(seed: u64) -> Rng {
    Rng::with_tape(seed, None, 0)
}

/// The seed of an independent stream named `label` (and `index`) under `seed`, so that one
/// component drawing more numbers never reshuffles another's.
pub fn derive_seed(seed: u64, label: &str, index: u64) -> u64 {
    let mut hash = splitmix64(seed ^ 0x6a09_e667_f3bc_c909);
    for byte in label.bytes() {
        hash = splitmix64(hash ^ u64::from(byte));
    }
    splitmix64(hash ^ splitmix64(index))
}

/// A uniformly random integer in `lo..=hi`, unbiased (Lemire's multiply-and-reject); from a
/// buffer, the low end when its bytes are zero.
pub fn range_inclusive(rng: &mut impl Choose, lo: u64, hi: u64) -> u64 {
    assert!(lo <= hi, "empty range {lo}..={hi}");
    rng.choose_range(lo, hi)
}

fn lemire(rng: &mut (impl RngCore + ?Sized), lo: u64, hi: u64) -> u64 {
    let span = hi - lo;
    if span == u64::MAX {
        return rng.next_u64();
    }
    let n = span + 1;
    let threshold = n.wrapping_neg() % n;
    loop {
        let product = u128::from(rng.next_u64()) * u128::from(n);
        if (product as u64) >= threshold {
            return lo + (product >> 64) as u64;
        }
    }
}

/// Like [`range_inclusive`] (the same value from a seed), but a buffer's zero gives `hi`: for
/// draws whose high end is the quiet one, such as the gap before the next fault.
pub fn range_toward_high(rng: &mut impl Choose, lo: u64, hi: u64) -> u64 {
    assert!(lo <= hi, "empty range {lo}..={hi}");
    rng.choose_range_high(lo, hi)
}

/// A uniformly random index into a collection of `len` items.
pub fn index(rng: &mut impl Choose, len: usize) -> usize {
    assert!(len > 0, "no index into an empty collection");
    range_inclusive(rng, 0, len as u64 - 1) as usize
}

/// Shuffles `items` in place (Fisher–Yates with our own sampler).
pub fn shuffle<T>(rng: &mut impl Choose, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = range_inclusive(rng, 0, i as u64) as usize;
        items.swap(i, j);
    }
}

/// A probability as integers, so no float decides behaviour.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratio {
    pub numerator: u32,
    pub denominator: u32,
}

impl Ratio {
    pub const NEVER: Ratio = Ratio {
        numerator: 0,
        denominator: 1,
    };
    pub const ALWAYS: Ratio = Ratio {
        numerator: 1,
        denominator: 1,
    };

    pub const fn new(numerator: u32, denominator: u32) -> Ratio {
        assert!(denominator > 0);
        assert!(numerator <= denominator);
        Ratio {
            numerator,
            denominator,
        }
    }

    pub const fn percent(p: u32) -> Ratio {
        Ratio::new(p, 100)
    }

    pub const fn is_never(self) -> bool {
        self.numerator == 0
    }

    /// True with this probability. Draws nothing when the answer is certain, so turning a
    /// fault off does not shift the other draws of its stream.
    pub fn chance(self, rng: &mut impl Choose) -> bool {
        if self.numerator == 0 {
            return false;
        }
        if self.numerator >= self.denominator {
            return true;
        }
        rng.choose_chance(self.numerator, self.denominator)
    }
}

impl fmt::Debug for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_stays_inside_and_covers_the_range() {
        let mut rng = rng_from_seed(7);
        let mut seen = [false; 5];
        for _ in 0..1_000 {
            let x = range_inclusive(&mut rng, 10, 14);
            assert!((10..=14).contains(&x));
            seen[(x - 10) as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(range_inclusive(&mut rng, 3, 3), 3);
    }

    #[test]
    fn same_seed_same_numbers_and_streams_differ() {
        let a: Vec<u64> = (0..4)
            .map(|_| range_inclusive(&mut rng_from_seed(1), 0, 1 << 40))
            .collect();
        let b: Vec<u64> = (0..4)
            .map(|_| range_inclusive(&mut rng_from_seed(1), 0, 1 << 40))
            .collect();
        assert_eq!(a, b);
        assert_ne!(derive_seed(1, "network", 0), derive_seed(1, "faults", 0));
        assert_ne!(derive_seed(1, "node", 0), derive_seed(1, "node", 1));
        assert_ne!(derive_seed(1, "node", 0), derive_seed(2, "node", 0));
    }

    #[test]
    fn pinned_values_survive_upgrades() {
        // If this changes, every recorded seed in seeds/ replays a different run.
        let mut rng = rng_from_seed(42);
        let drawn: Vec<u64> = (0..4).map(|_| range_inclusive(&mut rng, 0, 999)).collect();
        assert_eq!(drawn, vec![681, 950, 427, 627]);
        assert_eq!(derive_seed(42, "network", 0), 10_510_492_368_566_320_716);
    }

    #[test]
    fn ratio_extremes_draw_nothing() {
        let mut a = rng_from_seed(3);
        let mut b = rng_from_seed(3);
        assert!(!Ratio::NEVER.chance(&mut a));
        assert!(Ratio::ALWAYS.chance(&mut a));
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn ratio_frequency_is_roughly_right() {
        let mut rng = rng_from_seed(9);
        let hits = (0..10_000)
            .filter(|_| Ratio::percent(30).chance(&mut rng))
            .count();
        assert!((2_700..3_300).contains(&hits), "{hits}");
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut items: Vec<u32> = (0..20).collect();
        shuffle(&mut rng_from_seed(5), &mut items);
        let mut sorted = items.clone();
        sorted.sort();
        assert_eq!(sorted, (0..20).collect::<Vec<_>>());
        assert_ne!(items, sorted);
    }
}
