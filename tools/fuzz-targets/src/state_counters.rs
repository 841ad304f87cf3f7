//! Protocol-state coverage as libFuzzer's extra counters: each situation a family's watch
//! reports (see `sim_kit::state_coverage` and the families' `coverage.rs`) bumps one of
//! [`COUNTERS`] counters, picked by hashing the situation. libFuzzer finds the array by its
//! section, clears it before each input and turns each nonzero counter (bucketed by value,
//! as for code edges) into a feature, so an input that reaches a new situation, or reaches
//! one more often, is kept in the corpus even when it runs no new code. At startup it
//! prints `INFO: 4096 Extra Counters`.
//!
//! `DST_STATE_COV=0` leaves the sink uninstalled: the same binary then runs on code
//! coverage alone, and the counters stay zero. `DST_STATE_COV=dry` installs a sink that
//! counts nothing: the watches compute their tuples as with coverage on, so comparing `dry`
//! with on shows what the counters alone add to libFuzzer's features, and `dry` with `0`
//! what computing the tuples costs.
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

/// A sink that drops every situation (`DST_STATE_COV=dry`).
fn drop_situation(_: Situation) {}

/// The sink `DST_STATE_COV` asks for, read once per process: the counters unless it is `0`
/// (none) or `dry` (one that counts nothing).
pub fn sink_from_env() -> Option<state_coverage::Sink> {
    static SINK: OnceLock<Option<state_coverage::Sink>> = OnceLock::new();
    *SINK.get_or_init(|| match std::env::var("DST_STATE_COV").as_deref() {
        Ok("0") => None,
        Ok("dry") => Some(drop_situation),
        _ => Some(count),
    })
}

/// Installs this thread's sink of situations as `DST_STATE_COV` asks.
pub fn install_from_env() {
    state_coverage::install(sink_from_env());
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
