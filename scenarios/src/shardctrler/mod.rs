//! The course's shard controller tests (Lab 4A, and the later course's TestMinimalAgain) as
//! seeded scenarios, and `ctrler-random`. Every configuration any replica creates is checked
//! valid, balanced, minimal after its predecessor and the same on every replica; every Query
//! answer is checked against the configurations created; Raft's cluster checks run on the
//! servers after every step.

pub mod checks;
pub mod clusters;
pub mod course;
pub mod course_checks;
pub mod harness;
pub mod random;
pub mod watch;
pub mod workload;

use sim_kit::{Family, Scenario};

/// The controller family, taking the controller's mutants and the Raft beneath's.
pub fn family() -> Family {
    Family::new("shardctrler")
        .mutants::<shardctrler::Mutant>()
        .mutants::<raft::Mutant>()
        .scenarios(SCENARIOS.iter().copied())
}

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new("ctrler-basic", "TestBasic: leave/join, historical queries with each server down, Move, 10 concurrent clerks, minimal transfers after joins and leaves", course::basic),
    Scenario::new("ctrler-multi", "TestMulti: multi-group join/leave, 10 concurrent clerks, minimal transfers after multijoins and multileaves, the same config after the leader's shutdown", course::multi),
    Scenario::new("ctrler-minimal-again", "TestMinimalAgain: a Join and a Leave move only the shards they must, at most NShards/3+1", course::minimal_again),
    Scenario::new("ctrler-random", "3 or 5 servers, clerks joining, leaving, moving and querying under swarm faults; heal: every operation completes, replicas agree", random::random)
        .with_goals(&[crate::raft::goals::LEADER_DEPOSED_WITH_UNCOMMITTED]),
];
