//! Reachability goals: a sweep counts the seeds that reached each goal a scenario declares,
//! and with `--require-goals` a goal no seed reached fails the sweep.

use scenarios::raft::goals::{LEADER_DEPOSED_WITH_UNCOMMITTED, SNAPSHOT_OVER_LONGER_LOG};
use sim_kit::runner::{goal_counts, sweep, SweepOptions};

mod common;

use common::{sim, stdout};

#[test]
fn a_raft_sweep_reaches_its_goals_and_counts_them_per_seed() {
    let registry = scenarios::registry();
    let scenarios = registry.select("raft-random").unwrap();
    let options = SweepOptions {
        jobs: 2,
        ..SweepOptions::new(1..6)
    };
    let results = sweep(&scenarios, &options, &|_| {});
    let counts = goal_counts(&scenarios, &results);
    let count = |goal| counts.iter().find(|c| c.goal == goal).unwrap().reached;
    assert_eq!(counts.len(), 2, "{counts:#?}");
    // Seed 1 has snapshots on and installs one over a longer log; seeds 3-5 run without.
    assert_eq!(count(SNAPSHOT_OVER_LONGER_LOG), 1, "{counts:#?}");
    assert_eq!(count(LEADER_DEPOSED_WITH_UNCOMMITTED), 5, "{counts:#?}");
}

#[test]
fn a_goal_no_seed_reached_fails_a_sweep_that_requires_goals() {
    let sweep = ["sweep", "--scenario", "raft-random", "--seeds", "3..4"];
    let output = sim(&[&sweep[..], &["--require-goals"]].concat());
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("goal snapshot-over-longer-log of raft-random: reached in 0 of 1 runs"));
    assert!(
        out.contains("1 declared goal(s) reached by no run"),
        "{out}"
    );
    // The same sweep without the flag only reports it.
    assert_eq!(sim(&sweep).status.code(), Some(0));
}

#[test]
fn a_shardkv_sweep_reaches_the_migration_goals() {
    use scenarios::shardkv::goals::{
        GROUP_TWO_CONFIGS_BEHIND, RESTART_MID_MIGRATION, SHARD_BACK_TO_OLD_OWNER,
    };
    let registry = scenarios::registry();
    let scenarios = registry.select("shardkv-random").unwrap();
    let options = SweepOptions {
        jobs: 2,
        ..SweepOptions::new(1..11)
    };
    let results = sweep(&scenarios, &options, &|_| {});
    let counts = goal_counts(&scenarios, &results);
    let count = |goal| counts.iter().find(|c| c.goal == goal).unwrap().reached;
    assert_eq!(
        counts.len(),
        5,
        "three of its own and two of Raft's: {counts:#?}"
    );
    // Each is reached by some seeds and missed by others: a goal every seed reached would
    // say nothing about the fault mix.
    for goal in [RESTART_MID_MIGRATION, GROUP_TWO_CONFIGS_BEHIND] {
        let n = count(goal);
        assert!(n > 0 && n < 10, "{goal}: {counts:#?}");
    }
    assert!(count(SHARD_BACK_TO_OLD_OWNER) > 0, "{counts:#?}");
}
