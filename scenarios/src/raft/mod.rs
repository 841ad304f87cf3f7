//! The course's Raft tests (Labs 2A–2D) as seeded scenarios, and random-fault Raft runs.

mod applied;
pub mod checks;
mod churn;
pub mod clients;
pub mod coverage;
mod digests;
pub mod durable;
pub mod election;
mod figure8;
pub mod goals;
pub mod harness;
pub mod persistence;
mod random;
pub mod replication;
mod rpc_counts;
pub mod snapshots;
mod storage;
pub mod watch;

use sim_kit::Family;

/// The Raft family: the course's Labs 2A–2D and the random scenarios, taking every Raft
/// mutant.
pub fn family() -> Family {
    let parts: [&'static [sim_kit::Scenario]; 6] = [
        random::SCENARIOS,
        storage::SCENARIOS,
        election::SCENARIOS,
        replication::SCENARIOS,
        persistence::SCENARIOS,
        snapshots::SCENARIOS,
    ];
    Family::new("raft")
        .mutants::<raft::Mutant>()
        .scenarios(parts.iter().flat_map(|part| part.iter().copied()))
}
