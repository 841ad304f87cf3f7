//! The ported course Raft suite (2A–2D) and `raft-random` on a fixed handful of seeds, and the
//! summaries of a few short runs pinned, so a behaviour change shows up as a snapshot diff.

use sim_kit::runner::{honest_failures, run_one};

#[test]
fn every_raft_scenario_passes_a_handful_of_seeds() {
    let registry = scenarios::registry();
    let scenarios = registry.select("raft-*").unwrap();
    assert!(
        scenarios.len() >= 30,
        "only {} raft scenarios",
        scenarios.len()
    );
    let failures = honest_failures(&registry, "raft-*", 1..4);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn course_test_names_are_all_there() {
    let registry = scenarios::registry();
    let names: Vec<&str> = registry.scenarios().map(|s| s.name()).collect();
    for part in [
        "2b-basic-agree",
        "2b-rpc-bytes",
        "2b-follower-failure",
        "2b-leader-failure",
        "2b-fail-agree",
        "2b-fail-no-agree",
        "2b-concurrent-starts",
        "2b-rejoin",
        "2b-backup",
        "2b-count",
        "2c-persist1",
        "2c-persist2",
        "2c-persist3",
        "2c-figure8",
        "2c-unreliable-agree",
        "2c-figure8-unreliable",
        "2c-unreliable-churn",
        "2c-reliable-churn",
        "2d-snapshot-basic",
        "2d-snapshot-install",
        "2d-snapshot-install-unreliable",
        "2d-snapshot-install-crash",
        "2d-snapshot-install-unreliable-crash",
        "2d-snapshot-all-crash",
        "2d-snapshot-init",
    ] {
        let name = format!("raft-{part}");
        assert!(names.contains(&name.as_str()), "{name} missing");
    }
    assert_eq!(registry.default_run().unwrap().name(), "shardkv-random");
}

/// The summary of a run: what it did and its trace hash.
fn summary(name: &str, seed: u64) -> String {
    let registry = scenarios::registry();
    let scenario = registry.find(name).unwrap();
    let r = run_one(scenario, &scenario.options(seed));
    assert!(r.passed(), "{name} seed {seed}: {:?}", r.failure);
    let metrics: Vec<String> = r.metrics.iter().map(|(n, v)| format!("{n} {v}")).collect();
    format!(
        "{name} seed {seed}\n{}\nvirtual {}\nsteps {}\nsent {} delivered {} bytes {}\ntrace {:016x}",
        metrics.join(", "),
        r.virtual_time,
        r.events,
        r.stats.sent,
        r.stats.delivered,
        r.stats.bytes_sent,
        r.trace_hash
    )
}

#[test]
fn short_runs_are_pinned() {
    insta::assert_snapshot!("basic_agree_seed_1", summary("raft-2b-basic-agree", 1));
    insta::assert_snapshot!("persist3_seed_2", summary("raft-2c-persist3", 2));
    insta::assert_snapshot!("snapshot_init_seed_3", summary("raft-2d-snapshot-init", 3));
}

#[test]
fn a_soak_in_digest_mode_remembers_a_bounded_window() {
    let options = scenarios::soak::SoakOptions {
        servers: 3,
        virtual_minutes: 2,
        course_tester: false,
    };
    let report = scenarios::soak::run(&options).unwrap();
    // Minute 1 and minute 2: thousands of commands, a handful remembered.
    assert_eq!(report.minutes.len(), 2, "{report:#?}");
    assert!(report.commands > 1_000, "{report:#?}");
    assert!(
        report.minutes.iter().all(|m| m.remembered < 100),
        "{report:#?}"
    );
}
