//! Recording a timeline (for the failure page and Chrome traces) never changes a run, and
//! every family describes its nodes on it.

use sim_kit::recording::Recording;
use sim_kit::runner::run_one;
use sim_kit::RunOptions;
use std::collections::BTreeSet;

fn recorded(scenario: &str, seed: u64, mutant: Option<&str>) -> Recording {
    let registry = scenarios::registry();
    let scenario = registry.find(scenario).unwrap();
    let mut options = scenario.options(seed);
    options.mutant = mutant.map(str::to_string);
    let plain = run_one(scenario, &options);
    let with = run_one(
        scenario,
        &RunOptions {
            timeline: true,
            ..options
        },
    );
    assert_eq!(
        plain.trace_hash,
        with.trace_hash,
        "{} seed {seed}",
        scenario.name()
    );
    assert_eq!(
        plain.failure,
        with.failure,
        "{} seed {seed}",
        scenario.name()
    );
    assert!(plain.recording.is_none(), "only when asked");
    *with.recording.expect("a recording when asked")
}

fn labels(recording: &Recording) -> BTreeSet<String> {
    recording
        .timeline
        .states
        .iter()
        .map(|s| {
            s.state
                .map_or("down".to_string(), |state| state.label.to_string())
        })
        .collect()
}

#[test]
fn raft_servers_show_their_role_and_term() {
    let recording = recorded("raft-random", 1, None);
    let labels = labels(&recording);
    assert!(
        labels.contains("leader") && labels.contains("follower"),
        "{labels:?}"
    );
    let terms: BTreeSet<u64> = recording
        .timeline
        .states
        .iter()
        .filter_map(|s| s.state.and_then(|state| state.number))
        .collect();
    assert!(terms.contains(&1), "terms are numbers: {terms:?}");
    assert!(!recording.timeline.messages.is_empty());
}

#[test]
fn kv_clerks_and_servers_and_their_operations() {
    let recording = recorded("kv-3a-basic", 1, None);
    let labels = labels(&recording);
    for label in ["leader", "follower", "clerk calling", "clerk idle"] {
        assert!(labels.contains(label), "{label} missing from {labels:?}");
    }
    // A passing run's history is checked too, so a Chrome trace shows its operations.
    assert!(
        recording.operations.len() > 10,
        "{}",
        recording.operations.len()
    );
}

#[test]
fn mapreduce_shows_phases_and_tasks() {
    let recording = recorded("mr-crash", 1, None);
    let labels = labels(&recording);
    for label in ["map phase", "reduce phase", "map", "reduce", "down"] {
        assert!(labels.contains(label), "{label} missing from {labels:?}");
    }
}

#[test]
fn a_failing_run_records_up_to_its_failure() {
    let recording = recorded("raft-election-random", 14, Some("vote-twice-in-term"));
    let end = recording.timeline.end;
    assert!(recording.timeline.messages.iter().all(|m| m.sent <= end));
    let leaders: BTreeSet<u32> = recording
        .timeline
        .states
        .iter()
        .filter(|s| {
            s.state
                .is_some_and(|state| state.label == "leader" && state.number == Some(1))
        })
        .map(|s| s.node.0)
        .collect();
    assert_eq!(leaders, BTreeSet::from([1, 3]), "the two leaders of term 1");
}
