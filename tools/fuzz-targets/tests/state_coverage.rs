//! Protocol-state coverage reaches the fuzzer's counters, and changes no run.

use fuzz_targets::state_counters::{clear, counters_hit, hits, COUNTERS};
use protocol_core::choices::Choices;
use protocol_core::{Disk, Node, NodeId, Outbox, Time};
use raft::{Config, RaftNode};
use scenarios::raft::coverage::situation;
use sim_kit::runner::run_one;
use sim_kit::state_coverage::install;
use sim_kit::RunOptions;
use std::sync::Mutex;

/// The counters are one array per process: one test at a time uses them.
static COUNTERS_IN_USE: Mutex<()> = Mutex::new(());

/// A fixed choice buffer: a run like any the fuzzer would try.
fn buffer() -> Vec<u8> {
    (0..600u32).map(|i| (i * 37 % 251) as u8).collect()
}

/// The trace hash of `scenario` on `buffer`, and how many counters it hit, with the
/// counters installed as the sink or not.
fn run(scenario: &str, with_sink: bool) -> (u64, usize) {
    let registry = scenarios::registry();
    let found = registry.find(scenario).expect("a registered scenario");
    let options = RunOptions {
        choices: Choices::buffer(buffer()),
        ..found.options(0)
    };
    clear();
    if with_sink {
        fuzz_targets::state_counters::install_from_env();
    }
    let report = run_one(found, &options);
    install(None);
    assert!(report.failure.is_none(), "{scenario} failed on the buffer");
    (report.trace_hash, counters_hit())
}

#[test]
fn each_family_reports_situations_and_the_run_does_not_change() {
    let _guard = COUNTERS_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
    for scenario in ["raft-election-random", "kv-random", "mr-random"] {
        let (hash_off, hit_off) = run(scenario, false);
        let (hash_on, hit_on) = run(scenario, true);
        assert_eq!(hit_off, 0, "{scenario}: no sink, no counts");
        assert!(hit_on >= 3, "{scenario}: {hit_on} situations of {COUNTERS}");
        assert_eq!(hash_on, hash_off, "{scenario}: coverage changed the run");
    }
}

#[test]
fn a_fresh_cluster_without_a_leader_lands_on_its_counter() {
    let _guard = COUNTERS_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Outbox::new();
    let node = RaftNode::boot(
        &Config::with_size(3),
        NodeId(0),
        &Disk::new(),
        1,
        Time::ZERO,
        &mut out,
    )
    .expect("a fresh disk boots");
    let fresh = situation(&node, 0, None).key();
    clear();
    assert_eq!(hits(fresh), 0);
    run("raft-election-random", true);
    assert!(
        hits(fresh) > 0,
        "every server starts as a leaderless follower"
    );
}
