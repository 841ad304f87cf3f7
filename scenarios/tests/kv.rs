//! The KV service's scenarios: every course test and kv-random pass on fixed seeds with every
//! history checked; each of the service's four mutants, and the Raft mutants that corrupt
//! logs or lose a snapshot, is caught within a bounded number of seeds; and a failing run
//! leaves its history and HTML view where its message says.

use scenarios::outcome::RunOptions;
use scenarios::registry;
use scenarios::runner::{first_catch, run_one, sweep, Catch};

#[test]
fn every_kv_scenario_passes_fixed_seeds() {
    let scenarios = registry::select("kv-*").unwrap();
    assert_eq!(scenarios.len(), 24, "23 course tests and kv-random");
    let failures: Vec<String> = sweep(&scenarios, 1..3, None, 2, &|_| {})
        .into_iter()
        .filter_map(|r| {
            r.failure
                .map(|f| format!("{} seed {}: {f}", r.scenario, r.seed))
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_run_records_and_checks_a_history() {
    let scenario = registry::find("kv-3a-concurrent").unwrap();
    let report = run_one(
        scenario,
        &RunOptions {
            seed: 5,
            ..RunOptions::default()
        },
    );
    assert!(report.passed(), "{:?}", report.failure);
    let note = report
        .notes
        .iter()
        .find(|n| n.contains("operations"))
        .unwrap();
    let completed: usize = note
        .split(" operations (")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(completed > 100, "a real workload ran: {note}");
}

#[test]
fn kv_random_ends_with_a_fresh_clerks_read_of_every_key() {
    let scenario = registry::find("kv-random").unwrap();
    for seed in 1..4 {
        let options = RunOptions {
            seed,
            ..RunOptions::default()
        };
        let report = run_one(scenario, &options);
        assert!(report.passed(), "seed {seed}: {:?}", report.failure);
        let spread: usize = report
            .notes
            .iter()
            .find_map(|n| n.split("key_spread: ").nth(1))
            .and_then(|rest| rest.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        let wanted = format!("final reads: {spread} keys by a fresh clerk");
        assert!(report.notes.contains(&wanted), "{:#?}", report.notes);
    }
}

#[test]
fn duplicate_detection_off_is_caught() {
    let caught = first_catch(
        "kv-3a-persist-concurrent-unreliable",
        "no-duplicate-detection",
        1..6,
    );
    assert!(
        caught.is_some(),
        "retried appends applied twice went unnoticed"
    );
    assert!(first_catch("kv-random", "no-duplicate-detection", 1..10).is_some());
}

#[test]
fn dup_table_missing_from_snapshots_is_caught() {
    let caught = first_catch(
        "kv-3b-snapshot-unreliable-recover",
        "dup-table-not-in-snapshot",
        1..6,
    );
    assert!(
        caught.is_some(),
        "a restarted server re-applying a retry went unnoticed"
    );
    assert!(first_catch("kv-random", "dup-table-not-in-snapshot", 1..40).is_some());
}

#[test]
fn stale_local_reads_are_caught() {
    let caught = first_catch("kv-3a-one-partition", "stale-local-read", 1..6)
        .expect("a minority leader's local read went unnoticed");
    assert_eq!(caught.check, "minority-progress");
    let caught = first_catch("kv-3a-persist-concurrent", "stale-local-read", 1..6);
    // A restarted leader reads its store before replaying its log: the read is stale.
    let value_checks = ["linearizable", "get-wrong-value", "client-appends"];
    assert!(caught.is_some_and(|c| value_checks.contains(&c.check.as_str())));
    assert!(first_catch("kv-random", "stale-local-read", 1..40).is_some());
}

#[test]
fn replying_before_apply_is_caught() {
    assert!(first_catch(
        "kv-3a-many-partitions-one-client",
        "reply-before-apply",
        1..6
    )
    .is_some());
    assert!(first_catch("kv-random", "reply-before-apply", 1..10).is_some());
}

/// Raft mutants that corrupt logs: the cluster checks on the servers' Raft nodes name the
/// broken property (the honest runs of these scenarios and seeds pass in
/// `every_kv_scenario_passes_fixed_seeds` and the sweeps).
#[test]
fn raft_log_corruption_is_caught_as_state_machine_safety() {
    let catches = [
        ("kv-3a-many-partitions-one-client", "skip-consistency-check"),
        ("kv-3a-one-partition", "skip-truncation"),
    ];
    for (scenario, mutant) in catches {
        let caught = first_catch(scenario, mutant, 1..3);
        let caught = caught.unwrap_or_else(|| panic!("{scenario} missed {mutant}"));
        assert_eq!(
            caught.check, "state-machine-safety",
            "{scenario} with {mutant}"
        );
    }
    for mutant in ["skip-consistency-check", "skip-truncation"] {
        let caught = first_catch("kv-random", mutant, 1..20);
        assert!(caught.is_some(), "kv-random missed {mutant}");
    }
}

/// A Raft that forgets its snapshot on restart yet claims it applied up to it leaves the
/// store empty; the server's own invariant (store applied = Raft applied) stops the run at
/// the boot, before any client could read the lost state.
#[test]
fn a_dropped_snapshot_is_caught_at_the_reboot() {
    for pattern in ["kv-3b-snapshot-recover", "kv-random"] {
        let seeds = if pattern == "kv-random" { 1..10 } else { 1..2 };
        let caught = first_catch(pattern, "drop-snapshot-on-restart", seeds);
        let Catch {
            seed,
            check,
            message,
            ..
        } = caught.unwrap_or_else(|| panic!("{pattern} missed drop-snapshot-on-restart"));
        assert_eq!(check, "assertion", "{pattern} seed {seed}: {message}");
        assert!(
            message.contains("store applied 0 but raft applied"),
            "{pattern} seed {seed}: {message}"
        );
    }
}

#[test]
fn a_failing_run_writes_its_history_and_view() {
    let scenario = registry::find("kv-random").unwrap();
    let options = RunOptions {
        seed: 1,
        mutant: Some("reply-before-apply".into()),
        ..RunOptions::default()
    };
    let report = run_one(scenario, &options);
    let failure = report.failure.expect("the mutant fails seed 1");
    let path_after = |label: &str| {
        let line = failure
            .message
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap();
        std::path::PathBuf::from(line.trim_start().trim_start_matches(label).trim())
    };
    let jsonl = std::fs::read_to_string(path_after("history:")).unwrap();
    assert!(jsonl.lines().count() > 10 && jsonl.contains("\"type\":\"invoke\""));
    let html = std::fs::read_to_string(path_after("view:")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
}
