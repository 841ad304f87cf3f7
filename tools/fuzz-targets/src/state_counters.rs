//! Protocol-state coverage as libFuzzer's extra counters: each situation a family's watch
//! reports (see `sim_kit::state_coverage` and the families' `coverage.rs`) bumps one of
//! [`COUNTERS`] counters, picked by hashing the situation. libFuzzer finds the array by its
//! section, clears it before each input and turns each nonzero counter (bucketed by value,
//! as for code edges) into a feature, so an input that reaches a new situation, or reaches
//! one more often, is kept in the corpus even when it runs no new code. At startup it
//! prints `INFO: 4096 Extra Counters`.
//!
//! `DST_STATE_COV=0` leaves the sink uninstalled: the same binary then runs on code
//! coverage alone, and the counters stay zero.
//!
//! Outside libFuzzer the section is ordinary data that nothing reads.

use sim_kit::state_coverage::{self, counter_index, Situation};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

/// How many counters: room for a few hundred situations with few collisions.
pub const COUNTERS: usize = 4096;

/// The counters, in the section libFuzzer (as libfuzzer-sys 0.4 builds it) reads through
/// `__start___libfuzzer_extra_counters`. Aligned to a word and a whole number of words
/// long, since libFuzzer clears it a word at a time.
#[repr(C, align(64))]
pub struct Counters([AtomicU8; COUNTERS]);

#[used]
#[link_section = "__libfuzzer_extra_counters"]
static EXTRA_COUNTERS: Counters = Counters([const { AtomicU8::new(0) }; COUNTERS]);

/// The sink: one more hit of the situation's counter (saturating: a wrap to zero would
/// read as never reached).
fn count(situation: Situation) {
    let counter = &EXTRA_COUNTERS.0[counter_index(situation, COUNTERS)];
    let hits = counter.load(Ordering::Relaxed);
    counter.store(hits.saturating_add(1), Ordering::Relaxed);
}

/// Whether state coverage is on: unless `DST_STATE_COV` is `0`, read once per process.
pub fn state_coverage_on() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var("DST_STATE_COV").map_or(true, |v| v != "0"))
}

/// Installs the counters as this thread's sink of situations, if state coverage is on.
pub fn install_from_env() {
    if state_coverage_on() {
        state_coverage::install(Some(count));
    }
}

/// The hits a situation's counter holds now (for tests; libFuzzer reads the array itself).
pub fn hits(situation: Situation) -> u8 {
    EXTRA_COUNTERS.0[counter_index(situation, COUNTERS)].load(Ordering::Relaxed)
}

/// How many counters are nonzero now.
pub fn counters_hit() -> usize {
    EXTRA_COUNTERS
        .0
        .iter()
        .filter(|c| c.load(Ordering::Relaxed) > 0)
        .count()
}

/// Sets every counter to zero, as libFuzzer does before each input.
pub fn clear() {
    EXTRA_COUNTERS
        .0
        .iter()
        .for_each(|c| c.store(0, Ordering::Relaxed));
}
