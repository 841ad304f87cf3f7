//! The `sim` command end to end: exit codes and one-line errors for bad input.

mod common;

use common::{sim, stderr, stdout};

#[test]
fn one_seed_passes_with_a_summary() {
    let output = sim(&["--seed", "1"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    for label in [
        "scenario",
        "seed",
        "virtual",
        "messages",
        "faults",
        "verdict    PASS",
        "trace",
    ] {
        assert!(out.contains(label), "summary lacks {label}:\n{out}");
    }
}

#[test]
fn a_failed_check_exits_1_with_replay_command() {
    // A seed pinned to fail: a node that votes twice lets two leaders share a term.
    let output = sim(&[
        "--seed",
        "14",
        "--scenario",
        "raft-election-random",
        "--mutant",
        "vote-twice-in-term",
    ]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("FAILED check 'election-safety'"), "{out}");
    assert!(out.contains("cargo run --release --bin sim -- --seed 14 --scenario raft-election-random --mutant vote-twice-in-term"), "{out}");
    // The report comes from a replay that renders messages with their contents, and shows
    // the events of the two leaders apart.
    assert!(out.contains("RequestVote {"), "{out}");
    assert!(out.contains("events of n1 n3"), "{out}");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--seed", "abc"], "malformed seed 'abc'"),
        (&["--seed", "-3"], "unexpected argument"),
        (
            &["--seed", "1", "--scenario", "nope"],
            "unknown scenario 'nope'",
        ),
        (
            &["--seed", "1", "--mutant", "nope"],
            "unknown mutant 'nope'",
        ),
        (
            &[
                "sweep",
                "--scenario",
                "raft-2a-reelection",
                "--seeds",
                "5..2",
            ],
            "empty range",
        ),
        (
            &["sweep", "--scenario", "zzz*", "--seeds", "1..2"],
            "unknown scenario 'zzz*'",
        ),
        (&["replay", "/nonexistent/seeds.txt"], "cannot read"),
        (
            &[
                "sweep",
                "--scenario",
                "all",
                "--seeds",
                "0..18446744073709551615",
            ],
            "too many seeds",
        ),
        (&[], "give --seed N"),
    ];
    for (args, expected) in cases {
        let output = sim(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        let err = stderr(&output);
        assert!(
            err.contains(expected),
            "{args:?}: expected '{expected}' in:\n{err}"
        );
        assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
    }
}

#[test]
fn malformed_corpus_line_names_file_and_line() {
    let dir = std::env::temp_dir().join(format!("sim-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.txt");
    std::fs::write(
        &file,
        "# ok\nraft-2a-reelection 1\nraft-2a-reelection one two\n",
    )
    .unwrap();
    let output = sim(&["replay", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("bad.txt:3: expected 'SCENARIO SEED"),
        "{}",
        stderr(&output)
    );
    std::fs::write(&file, "raft-nope 1\n").unwrap();
    let output = sim(&["replay", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("bad.txt:1: unknown scenario 'raft-nope'"),
        "{}",
        stderr(&output)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn list_names_every_scenario() {
    let output = sim(&["list"]);
    assert_eq!(output.status.code(), Some(0));
    let out = stdout(&output);
    for scenario in scenarios::registry().scenarios() {
        assert!(
            out.contains(scenario.name()),
            "{} missing from list",
            scenario.name()
        );
    }
    assert!(out.contains("mutants of raft: vote-twice-in-term"), "{out}");
}

#[test]
fn sweep_and_replay_pass_and_report() {
    let output = sim(&[
        "sweep",
        "--scenario",
        "raft-2a-*",
        "--seeds",
        "1..4",
        "--jobs",
        "2",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("9 runs, 9 passed, 0 failed"),
        "{}",
        stdout(&output)
    );
    let output = sim(&["replay"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains(" 0 failed"), "{}", stdout(&output));
}

#[test]
fn check_determinism_flag_runs_twice() {
    let output = sim(&["--seed", "4", "--check-determinism"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("determinism: two runs gave the same trace hash"));
}

#[test]
fn trace_flag_prints_events() {
    let output = sim(&[
        "--seed",
        "1",
        "--scenario",
        "raft-2a-initial-election",
        "--trace",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let out = stdout(&output);
    assert!(out.contains("send to n"), "{}", &out[..out.len().min(2000)]);
    assert!(out.contains("RequestVote"), "no RequestVote in trace");
}
