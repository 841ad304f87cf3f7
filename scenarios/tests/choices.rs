//! One source of choices: a seeded run records the buffer that replays it, a buffer run is a
//! function of its bytes, an empty buffer is a quiet run, and shrinking a failing buffer
//! keeps its check while the run gets smaller.

use protocol_core::choices::{Choices, Kind, Mark, Span};
use protocol_core::rng::rng_from_seed;
use rand_core::RngCore;
mod common;

use common::{options, recorded, Recorded};
use sim_kit::choice_file::ChoiceFile;
use sim_kit::runner::run_one;
use sim_kit::shrink::{run_buffer, run_labelled, shrink, ShrinkBudget, Shrunk};
use sim_kit::RunOptions;
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
        let Recorded { first, bytes, .. } = recorded(name, seed, Some(mutant));
        let check = first.failure.as_ref().expect("the seed fails").check;
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
            assert_within_twice(&found, HAND_MINIMAL_VOTE_TWICE);
        }
        let path = dir.join(format!("{name}.choices"));
        let file = ChoiceFile {
            scenario: Some(name.to_string()),
            mutant: Some(mutant.to_string()),
            bytes: found.bytes.clone(),
            ..ChoiceFile::default()
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
        let output = common::sim(args);
        (output.status.code(), common::stdout(&output))
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
    // A buffer run takes the budget flags a seed's run takes (it used to ignore them), and
    // its replay command carries them.
    let tight = [
        "--input",
        raw_arg,
        "--scenario",
        "raft-election-random",
        "--max-events",
        "20",
    ];
    let (code, text) = sim(&tight);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("stuck"), "{text}");
    assert!(
        text.contains(&format!(
            "--input {raw_arg} --scenario raft-election-random --max-events 20"
        )),
        "{text}"
    );
    assert_eq!(sim(&["replay", "--input", "/nonexistent/file"]).0, Some(2));
    let _ = std::fs::remove_dir_all(dir);
}

/// A seed's recorded buffer and the labelled replay of it.
fn marks(report: &sim_kit::RunReport, wanted: impl Fn(Mark) -> bool) -> Vec<Span> {
    let labels = report.labels.as_ref().expect("a labelled run");
    labels
        .spans
        .iter()
        .copied()
        .filter(|s| matches!(s.kind, Kind::Keep(m) if wanted(m)))
        .collect()
}

/// A fault's keep mark set to zero drops exactly that fault, whether a random plan drew it
/// (kv-random) or a course test scripts it (raft-2b-rejoin's disconnect of the leader).
#[test]
fn zeroing_a_faults_keep_mark_drops_that_one_fault() {
    let registry = scenarios::registry();
    for (name, seed) in [("kv-random", 2), ("raft-2b-rejoin", 0), ("raft-random", 1)] {
        let scenario = registry.find(name).unwrap();
        let Recorded {
            bytes, labelled, ..
        } = recorded(name, seed, None);
        assert!(labelled.passed(), "{name} {seed}: {:?}", labelled.failure);
        let faults = marks(&labelled, |m| m == Mark::Fault);
        assert_eq!(faults.len() as u64, labelled.stats.faults, "{name} {seed}");
        // The last: a course test's later steps depend on its earlier faults.
        let last = faults.last().expect("the run has a fault");
        let mut edited = bytes.clone();
        edited[last.range()].fill(0);
        let traced = RunOptions {
            trace: sim::TraceMode::Full,
            ..options(name, 0, None)
        };
        let dropped = run_buffer(scenario, &traced, &edited);
        assert_eq!(
            dropped.stats.faults + 1,
            labelled.stats.faults,
            "{name} {seed}"
        );
        let lines = dropped.trace_lines.unwrap_or_default();
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.contains(" dropped fault "))
                .count(),
            1,
            "{name} {seed}"
        );
    }
}

/// Zeroing the keep mark of a client's operation ends that client there: it reads no more
/// marks and its operation never starts. (The run need not be smaller: the other clients
/// may do more in its place.)
#[test]
fn zeroing_an_operation_mark_ends_that_clients_workload() {
    let registry = scenarios::registry();
    for (name, seed) in [("kv-random", 2), ("raft-random", 1), ("ctrler-random", 1)] {
        let scenario = registry.find(name).unwrap();
        let Recorded {
            bytes, labelled, ..
        } = recorded(name, seed, None);
        let is_op = |m| matches!(m, Mark::Op { .. });
        let ops = marks(&labelled, is_op);
        assert!(ops.len() > 3, "{name} {seed}: {} operations", ops.len());
        let same = |a: &Span, b: &Span| a.stream == b.stream && a.kind == b.kind;
        // The first operation of a client that goes on to do more.
        let first = *ops
            .iter()
            .find(|a| ops.iter().filter(|b| same(a, b)).count() > 1)
            .expect("a client with two operations");
        let mine = |s: &Span| same(s, &first);
        let mut edited = bytes.clone();
        edited[first.range()].fill(0);
        let ended = run_labelled(scenario, &options(name, 0, None), &edited);
        let left: Vec<Span> = marks(&ended, is_op).into_iter().filter(mine).collect();
        assert_eq!(left, vec![first], "{name} {seed}: the client went on");
    }
}

/// The shrink goal: the shrunk run has at most twice the events of the smallest run
/// of that bug made by hand.
fn assert_within_twice(found: &Shrunk, hand_minimal: u64) {
    assert!(
        found.report.events <= 2 * hand_minimal,
        "{} events, against {hand_minimal} in the hand-made run",
        found.report.events
    );
}

/// Shrinks a seed's failing run with a budget in runs (not time, so the result is the same
/// on every machine), checking that it keeps the seed's check and replays from its file.
fn shrink_seed(
    name: &str,
    seed: u64,
    mutant: &str,
    max_runs: usize,
) -> (sim_kit::RunReport, Shrunk) {
    let registry = scenarios::registry();
    let scenario = registry.find(name).unwrap();
    let Recorded { first, bytes, .. } = recorded(name, seed, Some(mutant));
    let check = first.failure.as_ref().expect("the seed fails").check;
    let budget = ShrinkBudget {
        max_runs,
        max_time: Duration::from_secs(600),
    };
    let base = options(name, 0, Some(mutant));
    let found = shrink(scenario, &base, bytes, first.clone(), budget).unwrap();
    let replayed = run_buffer(scenario, &base, &found.bytes);
    assert_eq!(
        replayed.failure.map(|f| f.check),
        Some(check),
        "{name} {mutant}"
    );
    assert_eq!(
        replayed.trace_hash, found.report.trace_hash,
        "{name} {mutant}"
    );
    (first, found)
}

/// The smallest run of `forget-vote-on-restart` by hand: a candidate times out (1 timer) and
/// makes its term and vote durable (a first write: 3 syncs); its RequestVote reaches both
/// other servers (2 deliveries), each making its vote durable (3 syncs each, 6); one voter
/// crashes and restarts (2 events) and boots without the vote it promised: 14 events and one
/// fault (the crash). raft-random has at least 3 servers, so both voters hear the request.
const HAND_MINIMAL_FORGET_VOTE: u64 = 14;

#[test]
fn forget_vote_on_restart_shrinks_to_within_twice_the_hand_made_run() {
    let (first, found) = shrink_seed("raft-random", 1, "forget-vote-on-restart", 20_000);
    assert!(
        first.events > 10 * HAND_MINIMAL_FORGET_VOTE,
        "{}",
        first.events
    );
    assert_within_twice(&found, HAND_MINIMAL_FORGET_VOTE);
    assert_eq!(found.report.stats.faults, 1);
}

/// The smallest run of `skip-truncation` on raft-2b-rejoin, counted from the course test's
/// script (every step forced by it; events are timers, deliveries and completed syncs):
/// the first election (1 timer, 3 + 6 syncs, 2 + 2 deliveries: 14) and the new leader's
/// heartbeat (4); command 101 made durable and replicated (2 syncs, 1 timer, 2 deliveries,
/// 4 syncs, 2 replies: 11) and its commit told (1 timer, 4 deliveries: 5); the course's
/// `checkOneLeader` sleeps through 4 more heartbeats (20); the leader, cut off, appends
/// three commands (4 syncs) and its heartbeats time out into the void until it rejoins
/// (9 timers); the other two elect a leader (1 timer, 2 syncs, 2 deliveries: 5; heartbeat
/// 2), commit 103 (2 syncs, 1 timer, 1 delivery, 2 syncs, 1 reply: 7; told: 3) and sleep
/// through `checkOneLeader` (4 heartbeats: 12); the old leader rejoins and hears of the new
/// term (1 timer, 4 deliveries, 1 sync: 6) and the new leader's next append makes it apply
/// its stale entry (1 timer, 1 delivery at least: 2): 104 events, a lower bound (so the 2x
/// below is if anything strict). The script, not the bug, makes almost all of them, so the
/// seed's own run (123) is already near; the shrink's part is to drop the second scripted
/// disconnect, which the bug does not need.
const HAND_MINIMAL_SKIP_TRUNCATION: u64 = 104;

#[test]
fn skip_truncation_drops_a_scripted_fault_and_stays_within_twice_the_hand_made_run() {
    let (first, found) = shrink_seed("raft-2b-rejoin", 0, "skip-truncation", 3_000);
    assert_eq!(first.stats.faults, 2);
    assert_eq!(
        found.report.stats.faults, 1,
        "the second disconnect is dropped"
    );
    assert!(found.report.events <= first.events);
    assert_within_twice(&found, HAND_MINIMAL_SKIP_TRUNCATION);
}

/// The smallest run of `no-duplicate-detection` on kv-random by hand, counted as a lower
/// bound: the scenario's shape at its least (3 servers, 1 client, 2 keys) and its fault phase
/// at its shortest (2 s; the run ends about 2 s after the heal); a slow network (the plan's
/// opening SetNetwork) and the heal (2 events); an election (1 timer, 3 + 6 syncs, 2 votes
/// asked, 2 granted: 14) and the new leader's first heartbeat (4); heartbeats from its
/// election (no earlier than 300 ms) to the end at 4 s (37 rounds of 1 timer, 2 appends, 2
/// replies: 185); the client's Append reaches the leader, its reply is slow, the client's
/// retry timer fires and the Append goes again, both made durable on all three servers and
/// both answered (2 requests, 1 timer, 6 syncs, 2 replies: 11); the final reads of both keys
/// (1 request, 3 syncs, 1 reply each: 10): 226 events. The clerk's WrongLeader round trips
/// before the first election are left out, so the bound is if anything low.
const HAND_MINIMAL_NO_DUPLICATE_DETECTION: u64 = 226;

#[test]
fn no_duplicate_detection_shrinks_to_within_twice_the_hand_made_run() {
    let (first, found) = shrink_seed("kv-random", 1, "no-duplicate-detection", 15_000);
    assert!(
        first.events > 5 * HAND_MINIMAL_NO_DUPLICATE_DETECTION,
        "{}",
        first.events
    );
    assert_within_twice(&found, HAND_MINIMAL_NO_DUPLICATE_DETECTION);
    assert_eq!(found.report.stats.faults, 0, "no fault is needed");
}
