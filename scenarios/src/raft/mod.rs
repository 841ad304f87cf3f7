//! The course's Raft tests (Labs 2A–2D) as seeded scenarios, and random-fault Raft runs.

pub mod election;
pub mod harness;
pub mod watch;

use crate::registry::Scenario;

/// Names of the broken Raft variants a scenario can run with `--mutant`.
pub const MUTANTS: &[&str] = &[
    "vote-twice-in-term",
    "commit-old-term-by-counting",
    "forget-vote-on-restart",
    "skip-consistency-check",
    "skip-truncation",
    "drop-snapshot-on-restart",
];

pub fn scenarios() -> &'static [Scenario] {
    election::SCENARIOS
}
