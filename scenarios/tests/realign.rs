//! Realigned runs: a structural edit (a shape draw lowered, a client ended) answered from
//! each stream's own old draws. With no edit it is the same run; what it reads replays as a
//! plain buffer to the same run; and the shrinker reaches smaller runs with it.

mod common;

use common::options;
use protocol_core::choices::{Choices, Draws, Kind, Labels, Mark};
use sim_kit::runner::run_one;
use sim_kit::shrink::{run_buffer, shrink_with, Edits, ShrinkBudget};
use sim_kit::{RunOptions, RunReport};
use std::time::Duration;

/// A seed's recorded run (with its buffer), and the labels of a replay of that buffer.
fn recorded(name: &str, seed: u64, mutant: Option<&str>) -> (RunReport, Vec<u8>, Labels) {
    let run = common::recorded(name, seed, mutant);
    (run.first, run.bytes, run.labelled.labels.expect("labelled"))
}

fn run_realigned(name: &str, mutant: Option<&str>, draws: Draws) -> RunReport {
    let registry = scenarios::registry();
    let scenario = registry.find(name).unwrap();
    let options = RunOptions {
        choices: Choices::realigned(draws),
        ..options(name, 0, mutant)
    };
    run_one(scenario, &options)
}

const RUNS: &[(&str, u64, Option<&str>)] = &[
    ("raft-random", 1, None),
    ("raft-storage", 1, Some("ack-before-sync")),
    ("kv-random", 2, None),
    ("ctrler-random", 1, None),
];

#[test]
fn a_realigned_run_with_no_edit_is_the_seeds_run_and_reads_its_buffer() {
    for &(name, seed, mutant) in RUNS {
        let (first, bytes, labels) = recorded(name, seed, mutant);
        let same = Draws::from_labels(&labels, &bytes, &bytes, |_| false);
        let again = run_realigned(name, mutant, same);
        assert_eq!(again.trace_hash, first.trace_hash, "{name} {seed}");
        let mut read = again.recorded.expect("a realigned run records");
        read.truncate(bytes.len());
        assert_eq!(read, bytes, "{name} {seed}");
    }
}

#[test]
fn an_edited_realigned_run_replays_from_what_it_read() {
    for &(name, seed, mutant) in RUNS {
        let registry = scenarios::registry();
        let scenario = registry.find(name).unwrap();
        let (first, bytes, labels) = recorded(name, seed, mutant);
        // End the workload's first client at its second operation, and drop the first
        // node seed: both remove draws.
        let mut edited = bytes.clone();
        let op = labels
            .spans
            .iter()
            .filter(|s| matches!(s.kind, Kind::Keep(Mark::Op { client: 0 })))
            .nth(1);
        if let Some(op) = op {
            edited[op.range()].fill(0);
        }
        let seed_span = labels
            .spans
            .iter()
            .find(|s| s.kind == Kind::NodeSeed)
            .copied();
        let draws = Draws::from_labels(&labels, &bytes, &edited, |s| Some(*s) == seed_span);
        let realigned = run_realigned(name, mutant, draws);
        assert_ne!(realigned.trace_hash, first.trace_hash, "{name} {seed}");
        let read = realigned.recorded.clone().expect("recorded");
        let replayed = run_buffer(scenario, &options(name, 0, mutant), &read);
        assert_eq!(replayed.trace_hash, realigned.trace_hash, "{name} {seed}");
        assert_eq!(replayed.events, realigned.events, "{name} {seed}");
    }
}

/// ack-before-sync on raft-storage 1, the README's worst Raft row against its hand-made run
/// (a shared buffer's shrink stopped at 21 events against 6): with the same budget in runs,
/// realigned edits reach a run with fewer events than raw ones.
#[test]
fn realigned_edits_shrink_ack_before_sync_further_than_raw_ones() {
    let name = "raft-storage";
    let mutant = Some("ack-before-sync");
    let registry = scenarios::registry();
    let scenario = registry.find(name).unwrap();
    let (first, bytes, _) = recorded(name, 1, mutant);
    let budget = ShrinkBudget {
        max_runs: 3_000,
        max_time: Duration::from_secs(600),
    };
    let base = options(name, 0, mutant);
    let shrunk = |edits| {
        shrink_with(scenario, &base, bytes.clone(), first.clone(), budget, edits)
            .expect("the seed fails")
    };
    let (raw, aligned) = (shrunk(Edits::Raw), shrunk(Edits::Aligned));
    assert!(
        aligned.report.events < raw.report.events,
        "aligned {} events, raw {}",
        aligned.report.events,
        raw.report.events
    );
    let kept_aligned: usize = aligned
        .kept
        .iter()
        .filter(|(pass, _)| pass.ends_with("/aligned"))
        .map(|(_, n)| n)
        .sum();
    assert!(kept_aligned > 0, "{:?}", aligned.kept);
    let replayed = run_buffer(scenario, &base, &aligned.bytes);
    assert_eq!(replayed.trace_hash, aligned.report.trace_hash);
}
