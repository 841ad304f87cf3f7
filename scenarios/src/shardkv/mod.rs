//! The course's sharded KV tests (Lab 4B with both challenges, and the later course's
//! TestRejection) as seeded scenarios, and `shardkv-random`. Every scenario records the
//! whole client history and checks it for linearizability; every configuration the
//! controller creates is checked valid, balanced, minimal and the same on every replica;
//! every group's shard reports are checked against the configurations (ownership, order,
//! deletion only after the new owner installed, no data kept after deletion); Raft's
//! cluster checks run on every Raft cluster after every step.

pub mod bench;
pub mod challenges;
pub mod checks;
pub mod clients;
pub mod course_basic;
pub mod course_concurrent;
pub mod ending;
pub mod goals;
pub mod harness;
pub mod random;
pub mod watch;

use sim_kit::{Family, Scenario};

/// The sharded KV family, taking the service's mutants, the controller's and Raft's.
pub fn family() -> Family {
    Family::new("shardkv")
        .mutants::<shardkv::Mutant>()
        .mutants::<shardctrler::Mutant>()
        .mutants::<raft::Mutant>()
        .scenarios(SCENARIOS.iter().copied())
}

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new("shardkv-static-shards", "TestStaticShards: with one of two groups down, exactly its five keys hang", course_basic::static_shards),
    Scenario::new("shardkv-rejection", "TestRejection: clerks of a second controller that gives g100 everything get only g100's five keys answered", course_basic::rejection),
    Scenario::new("shardkv-join-leave", "TestJoinLeave: the data moves to the group that stays", course_basic::join_leave),
    Scenario::new("shardkv-snapshot", "TestSnapshot: joins and leaves with snapshots, raft state <= 8 x 1000, every group restarted", course_basic::snapshot),
    Scenario::new("shardkv-miss-change", "TestMissChange: one server per group misses configuration changes and replays them", course_basic::miss_change),
    Scenario::new("shardkv-concurrent1", "TestConcurrent1: appenders while groups join, leave, shut down and restart; maxraftstate 100", course_concurrent::concurrent1),
    Scenario::new("shardkv-concurrent2", "TestConcurrent2: appenders while groups leave and join 3 s apart, two groups restart", course_concurrent::concurrent2),
    Scenario::new("shardkv-concurrent3", "TestConcurrent3: appenders while for 12 s groups join, all restart, and leave", course_concurrent::concurrent3),
    Scenario::new("shardkv-unreliable1", "TestUnreliable1: sequential checks and appends across reconfigurations on a lossy network", course_concurrent::unreliable1),
    Scenario::new("shardkv-unreliable2", "TestUnreliable2: appenders across joins and leaves on a lossy network", course_concurrent::unreliable2),
    Scenario::new("shardkv-unreliable3", "TestUnreliable3: random-key workers across joins and leaves on a lossy network; linearizable", course_concurrent::unreliable3),
    Scenario::new("shardkv-challenge1-delete", "TestChallenge1Delete: snapshots every entry, 30 KB moved around; storage within the course's budget", challenges::challenge1_delete),
    Scenario::new("shardkv-challenge2-unaffected", "TestChallenge2Unaffected: a group serves its own shards while a dead group's never arrive", challenges::challenge2_unaffected),
    Scenario::new("shardkv-challenge2-partial", "TestChallenge2Partial: a group serves the shards that arrived while others never come", challenges::challenge2_partial),
    Scenario::new("shardkv-random", "2-4 groups, random joins/leaves/moves, clerks on random keys, swarm faults; heal: everything completes, groups settle holding only what they serve, history linearizable", random::random)
        .with_goals(goals::ALL),
];
