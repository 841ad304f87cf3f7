//! The course's Raft tests (Labs 2A–2D) as seeded scenarios, and random-fault Raft runs.

mod applied;
mod churn;
pub mod clients;
mod digests;
pub mod durable;
pub mod election;
mod figure8;
pub mod harness;
pub mod persistence;
mod random;
pub mod replication;
mod rpc_counts;
pub mod snapshots;
pub mod watch;

use crate::registry::Scenario;

/// Names of the broken Raft variants a scenario can run with `--mutant`.
/// A Raft scenario that accepts every Raft mutant.
pub(crate) const fn scenario(
    name: &'static str,
    about: &'static str,
    run: fn(&crate::outcome::RunOptions) -> crate::outcome::RunReport,
) -> Scenario {
    Scenario {
        name,
        about,
        mutants: MUTANTS,
        run,
    }
}

pub const MUTANTS: &[&str] = &[
    "vote-twice-in-term",
    "commit-old-term-by-counting",
    "forget-vote-on-restart",
    "skip-consistency-check",
    "skip-truncation",
    "drop-snapshot-on-restart",
];

/// Every Raft scenario, in lab order.
pub fn scenarios() -> Vec<&'static Scenario> {
    let parts: [&'static [Scenario]; 5] = [
        random::SCENARIOS,
        election::SCENARIOS,
        replication::SCENARIOS,
        persistence::SCENARIOS,
        snapshots::SCENARIOS,
    ];
    parts.iter().flat_map(|part| part.iter()).collect()
}
