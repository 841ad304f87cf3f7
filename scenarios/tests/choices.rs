//! One source of choices: a seeded run records the buffer that replays it, a buffer run is a
//! function of its bytes, an empty buffer is a quiet run, and shrinking a failing buffer
//! keeps its check while the run gets smaller.

use protocol_core::choices::Choices;
use protocol_core::rng::rng_from_seed;
use rand_core::RngCore;
use sim_kit::choice_file::ChoiceFile;
use sim_kit::runner::run_one;
use sim_kit::shrink::{run_buffer, shrink, ShrinkBudget};
use sim_kit::RunOptions;
use std::process::Command;
use std::time::Duration;

/// Runs of several families, honest and broken, whose recordings must replay exactly.
const RECORDED: &[(&str, u64, Option<&str>)] = &[
    ("raft-election-random", 3, None),
    ("raft-election-random", 14, Some("vote-twice-in-term")),
    ("raft-random", 2, None),
    ("raft-2c-figure8-unreliable", 1, None),
    ("kv-random", 2, None),
    ("kv-random", 1, Some("reply-before-apply")),
    ("mr-random", 1, None),
    ("ctrler-random", 1, None),
];

fn options(name: &str, seed: u64, mutant: Option<&str>) -> RunOptions {
    let registry = scenarios::registry();
    let scenario = registry.find(name).unwrap();
    RunOptions {
        mutant: mutant.map(str::to_string),
        ..scenario.options(seed)
    }
}

#[test]
fn a_recorded_seed_replays_from_its_buffer_to_the_same_trace() {
    let registry = scenarios::registry();
    for &(name, seed, mutant) in RECORDED {
        let scenario = registry.find(name).unwrap();
        let seeded = run_one(scenario, &options(name, seed, mutant));
        let recording = RunOptions {
            choices: Choices::record(),
            ..options(name, seed, mutant)
        };
        let recorded = run_one(scenario, &recording);
        assert_eq!(recorded.trace_hash, seeded.trace_hash, "{name} {seed}");
        let bytes = recorded.recorded.expect("a recording run records");
        assert!(!bytes.is_empty(), "{name} {seed}");
        let replayed = run_buffer(scenario, &options(name, 0, mutant), &bytes);
        assert_eq!(replayed.trace_hash, seeded.trace_hash, "{name} {seed}");
        let check = |r: &sim_kit::RunReport| r.failure.as_ref().map(|f| f.check);
        assert_eq!(check(&replayed), check(&seeded), "{name} {seed}");
        assert_eq!(mutant.is_some(), check(&seeded).is_some(), "{name} {seed}");
    }
}

#[test]
fn the_same_buffer_gives_the_same_run_and_other_bytes_another() {
    let registry = scenarios::registry();
    let mut bytes = vec![0u8; 3_000];
    rng_from_seed(5).fill_bytes(&mut bytes);
    for name in [
        "raft-random",
        "raft-2c-figure8-unreliable",
        "raft-election-random",
    ] {
        let scenario = registry.find(name).unwrap();
        let base = options(name, 0, None);
        let a = run_buffer(scenario, &base, &bytes);
        let b = run_buffer(scenario, &base, &bytes);
        assert_eq!(a.trace_hash, b.trace_hash, "{name}");
        let mut other = bytes.clone();
        other
            .iter_mut()
            .take(64)
            .for_each(|b| *b = b.wrapping_add(97));
        let c = run_buffer(scenario, &base, &other);
        assert_ne!(a.trace_hash, c.trace_hash, "{name}");
    }
}

#[test]
fn an_empty_buffer_is_a_quiet_fault_free_run_that_passes() {
    let registry = scenarios::registry();
    for name in [
        "raft-random",
        "raft-election-random",
        "kv-random",
        "mr-random",
    ] {
        let scenario = registry.find(name).unwrap();
        let report = run_buffer(scenario, &options(name, 0, None), &[]);
        assert!(report.passed(), "{name}: {:?}", report.failure);
        assert_eq!(report.stats.faults, 0, "{name}");
        assert_eq!(report.stats.dropped_total(), 0, "{name}");
    }
}

/// The smallest run of `vote-twice-in-term` by hand, on the disk model: two nodes time out
/// in one term (2 timers) and make their term and vote durable before asking (a node's first
/// write creates its log: 3 syncs each, 6); each RequestVote reaches the same two voters (4
/// deliveries), whose grants are durable first (3 syncs for a voter's first vote, 1 for its
/// second: 8); the grants come back (4): 24 events, and the second leader breaks election
/// safety.
const HAND_MINIMAL_VOTE_TWICE: u64 = 24;

#[test]
fn shrinking_a_raft_and_a_kv_mutant_keeps_the_check_and_replays_from_its_file() {
    let registry = scenarios::registry();
    let dir = std::env::temp_dir().join(format!("dst-shrink-{}", std::process::id()));
    let cases = [
        ("raft-election-random", 14, "vote-twice-in-term", 600),
        ("kv-random", 1, "reply-before-apply", 300),
    ];
    for (name, seed, mutant, max_runs) in cases {
        let scenario = registry.find(name).unwrap();
        let recording = RunOptions {
            choices: Choices::record(),
            ..options(name, seed, Some(mutant))
        };
        let first = run_one(scenario, &recording);
        let check = first.failure.as_ref().expect("the seed fails").check;
        let bytes = first.recorded.clone().unwrap();
        let budget = ShrinkBudget {
            max_runs,
            max_time: Duration::from_secs(120),
        };
        let base = options(name, 0, Some(mutant));
        let found = shrink(scenario, &base, bytes.clone(), first.clone(), budget).unwrap();
        // Smaller means fewer faults, or as many and fewer events.
        let size = |r: &sim_kit::RunReport| (r.stats.faults, r.events);
        assert!(size(&found.report) < size(&first), "{name} {mutant}");
        assert!(found.bytes.len() <= bytes.len(), "{name} {mutant}");
        if mutant == "vote-twice-in-term" {
            assert!(
                found.report.events <= 2 * HAND_MINIMAL_VOTE_TWICE,
                "{}",
                found.report.events
            );
        }
        let path = dir.join(format!("{name}.choices"));
        let file = ChoiceFile {
            scenario: Some(name.to_string()),
            mutant: Some(mutant.to_string()),
            bytes: found.bytes.clone(),
        };
        file.write(&path).unwrap();
        let read = ChoiceFile::read(&path).unwrap();
        let replayed = run_buffer(scenario, &base, &read.bytes);
        assert_eq!(
            replayed.failure.map(|f| f.check),
            Some(check),
            "{name} {mutant}"
        );
        assert_eq!(replayed.trace_hash, found.report.trace_hash);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_command_line_runs_shrinks_and_replays_a_buffer_naming_its_file() {
    let dir = std::env::temp_dir().join(format!("dst-shrink-cli-{}", std::process::id()));
    let out = dir.join("vote.choices");
    let sim = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_sim"))
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        (output.status.code(), text)
    };
    let out_arg = out.to_str().unwrap();
    let (code, text) = sim(&[
        "shrink",
        "--seed",
        "14",
        "--scenario",
        "raft-election-random",
        "--mutant",
        "vote-twice-in-term",
        "--max-runs",
        "300",
        "--out",
        out_arg,
    ]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("shrank check 'election-safety'"), "{text}");
    assert!(text.contains("minimal schedule:"), "{text}");
    let (code, text) = sim(&["replay", "--input", out_arg]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(&format!("--input {out_arg}")), "{text}");
    // `--trace FILE` writes the buffer run's every event to the file, as for a seed.
    let trace = dir.join("vote.trace");
    let trace_arg = trace.to_str().unwrap();
    let (code, text) = sim(&["--input", out_arg, "--trace", trace_arg]);
    assert_eq!(code, Some(1), "{text}");
    let events = std::fs::read_to_string(&trace).unwrap();
    assert!(events.contains("timer Election"), "{events}");
    // A raw buffer needs its scenario named; a missing file is bad input.
    let raw = dir.join("raw.bin");
    std::fs::write(&raw, []).unwrap();
    let raw_arg = raw.to_str().unwrap();
    assert_eq!(sim(&["--input", raw_arg]).0, Some(2));
    let (code, text) = sim(&["--input", raw_arg, "--scenario", "raft-election-random"]);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(sim(&["replay", "--input", "/nonexistent/file"]).0, Some(2));
    let _ = std::fs::remove_dir_all(dir);
}
