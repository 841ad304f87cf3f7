//! Each mutant breaks Raft in its own way, and the checks catch it on some seed of a churn
//! scenario (crashes, restarts, partitions, snapshots); the honest core passes every seed.

// Node indexes address several parallel arrays (up, connected, disks), so loops use them.
#![allow(clippy::needless_range_loop)]

mod common;

use common::{encode_commands, Cluster};
use protocol_core::mutant::Mutant as _;
use protocol_core::{rng, CheckId, Time, Violation};
use raft::{Config, Mutant};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// How a churn run failed.
#[derive(Debug, PartialEq)]
enum Failure {
    /// One of the cluster checker's checks, at a virtual time.
    Check(Time, Violation),
    /// A panic: a node's own assertion, or the run's liveness assertion.
    Panic(String),
}

/// The core's assertion that it would truncate a committed entry: a safety property the
/// node checks itself, so it arrives as a panic message rather than a typed check.
const TRUNCATING_COMMITTED: &str = "truncating committed";

/// What a failure must be to count as catching a mutant: one of the cluster checker's safety
/// checks, or the core's own assertion that it would truncate a committed entry. A liveness
/// failure (the run committed too little, `one` found no agreement) is not a catch: a mutant
/// that merely stalls the cluster has not been shown unsafe.
fn is_safety_failure(failure: &Failure) -> bool {
    match failure {
        Failure::Check(_, violation) => raft::checks::ALL.contains(&violation.check),
        Failure::Panic(message) => message.contains(TRUNCATING_COMMITTED),
    }
}

/// Figure 8 / churn: start commands everywhere, crash or cut off the leader, restart others.
/// Returns the first violation, or a panic's message (a node assertion, or the run's own
/// liveness assertion).
fn churn(seed: u64, mutant: Option<Mutant>) -> Option<Failure> {
    let run = catch_unwind(AssertUnwindSafe(|| {
        let mut cluster = Cluster::new(Config::with_size(5).with_mutant(mutant));
        cluster.record_violations = true;
        cluster.snapshot_every = Some(10);
        let mut rng = rng::rng_from_seed(seed);
        let mut up = [true; 5];
        cluster.run_ms(1_000);
        for iter in 0..300u32 {
            for i in 0..5 {
                if up[i] {
                    cluster.start(i, iter.to_le_bytes().to_vec());
                }
            }
            let ms = if rng::range_inclusive(&mut rng, 0, 9) == 0 {
                rng::range_inclusive(&mut rng, 0, 499)
            } else {
                rng::range_inclusive(&mut rng, 0, 30)
            };
            cluster.run_ms(ms);
            if cluster.violation.is_some() {
                break;
            }
            let victim = rng::index(&mut rng, 5);
            match rng::range_inclusive(&mut rng, 0, 11) {
                0 => {
                    cluster.crash(victim);
                    up[victim] = false;
                }
                1 => {
                    cluster.connected = vec![true; 5];
                    cluster.connected[victim] = false;
                }
                3..=10 => {}
                _ => {
                    if let Some(l) = cluster.leader() {
                        cluster.crash(l);
                        up[l] = false;
                    }
                }
            }
            // Keep a majority up and connected, as the course's Figure 8 test keeps three up.
            while (0..5).filter(|&i| up[i] && cluster.connected[i]).count() < 3 {
                let pick = rng::index(&mut rng, 5);
                if !up[pick] {
                    cluster.restart(pick);
                    up[pick] = true;
                }
                cluster.connected[pick] = true;
            }
        }
        for i in 0..5 {
            if !up[i] {
                cluster.restart(i);
            }
            cluster.connected[i] = true;
        }
        cluster.run_ms(2_000);
        let majority = cluster.config.majority();
        if cluster.violation.is_none() {
            cluster.one(b"final".to_vec(), majority);
        }
        if cluster.violation.is_none() {
            let views: Vec<_> = cluster.nodes.iter().map(Option::as_ref).collect();
            if let Err(v) = cluster.check.check_log_matching_full(&views) {
                return Some(Failure::Check(cluster.now, v));
            }
            let len = cluster.check.committed_len();
            assert!(
                len > 10,
                "the run committed only {len}: {:?}",
                (0..5)
                    .map(|i| cluster.node(i).commit_index().0)
                    .collect::<Vec<_>>()
            );
        }
        let _ = encode_commands(&[]);
        cluster.violation.map(|(at, v)| Failure::Check(at, v))
    }));
    match run {
        Ok(failure) => failure,
        Err(panic) => Some(Failure::Panic(
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default(),
        )),
    }
}

const SEEDS: u64 = 40;

#[test]
fn honest_raft_passes_every_seed() {
    for seed in 0..SEEDS {
        assert_eq!(churn(seed, None), None, "seed {seed}");
    }
}

#[test]
fn every_mutant_is_caught() {
    let mut missed = Vec::new();
    // CommitOldTermByCounting needs Figure 8's exact interleaving (an old-term entry on a
    // majority, then a leader of another branch); an instant network did not produce it in 40
    // seeds. Its unit test (leader_does_not_commit_old_term_entries_by_counting) shows the
    // commit; catching it end to end is left to the simulator's delayed, reordering network.
    // BroadcastOnEveryReply breaks no safety property: it is a message storm, which this
    // rig has no budget against; the simulator's budgets catch it (scenarios/tests/budgets.rs).
    // Mutants that need a failing disk cannot show here (this rig's disk is durable at once);
    // the simulator's scenarios catch them (scenarios/tests/storage.rs).
    let elsewhere = [
        Mutant::CommitOldTermByCounting,
        Mutant::BroadcastOnEveryReply,
    ];
    for mutant in Mutant::ALL
        .iter()
        .copied()
        .filter(|m| !elsewhere.contains(m) && !m.needs_storage_faults())
    {
        let caught = (0..SEEDS).find_map(|seed| {
            let failure = churn(seed, Some(mutant)).filter(is_safety_failure);
            failure.map(|f| (seed, f))
        });
        match caught {
            Some((seed, failure)) => eprintln!("{mutant}: caught on seed {seed}: {failure:?}"),
            None => missed.push(mutant),
        }
    }
    assert!(
        missed.is_empty(),
        "mutants not caught in {SEEDS} seeds: {missed:?}"
    );
}

#[test]
fn only_safety_failures_count_as_catches() {
    let at = Time::from_ms(1_982);
    let two_leaders = Violation::new(raft::checks::ELECTION_SAFETY, "n0 and n4 both lead term 2");
    assert!(is_safety_failure(&Failure::Check(at, two_leaders)));
    let foreign = Violation::new(CheckId::new("liveness"), "no leader in 10 s");
    assert!(!is_safety_failure(&Failure::Check(at, foreign)));
    let truncation = Failure::Panic("n1: truncating committed index 4".to_string());
    assert!(is_safety_failure(&truncation));
    let stalled = Failure::Panic("the run committed only 3: [3, 3, 0, 0, 0]".to_string());
    assert!(!is_safety_failure(&stalled));
    let no_agreement = Failure::Panic("one([102]) failed to reach agreement".to_string());
    assert!(!is_safety_failure(&no_agreement));
}
