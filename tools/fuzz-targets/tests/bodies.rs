//! Every fuzz target's body on a few thousand generated inputs, on the stable toolchain:
//! random bytes, and valid inputs (encoded messages, booted disks, history and corpus files)
//! with bytes flipped, cut, repeated and inserted. A panic fails the test and names the
//! input that caused it, as the fuzzer would.

use protocol_core::instant::InstantDisk;
use protocol_core::rng::{index, range_inclusive, rng_from_seed, Rng};
use protocol_core::{Disk, Input, Node, NodeId, Outbox, Time};
use raft::msg::{AppendEntries, InstallSnapshot, RequestVote};
use raft::{Config, Entry, LogIndex, RaftMsg, RaftNode, RaftTimer, Term};
use std::panic::{catch_unwind, AssertUnwindSafe};

const INPUTS: usize = 3_000;

/// A fuzz target's body.
type Body = fn(&[u8]);

/// Runs `target` on random inputs and on mutations of `samples`; panics naming the input.
fn exercise(name: &str, seed: u64, samples: &[Vec<u8>], target: Body) {
    let mut rng = rng_from_seed(seed);
    for i in 0..INPUTS {
        let input = if samples.is_empty() || i % 3 == 0 {
            random_bytes(&mut rng)
        } else {
            let pick = index(&mut rng, samples.len());
            mutate(&mut rng, &samples[pick])
        };
        if catch_unwind(AssertUnwindSafe(|| target(&input))).is_err() {
            panic!("{name} panicked on input {i}: {input:?}");
        }
    }
}

fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    let len = range_inclusive(rng, 0, 300) as usize;
    (0..len)
        .map(|_| range_inclusive(rng, 0, 255) as u8)
        .collect()
}

/// A few edits of `sample`: flipped bits, a cut, a repeated run, inserted bytes.
fn mutate(rng: &mut Rng, sample: &[u8]) -> Vec<u8> {
    let mut bytes = sample.to_vec();
    for _ in 0..range_inclusive(rng, 1, 4) {
        if bytes.is_empty() {
            bytes.push(range_inclusive(rng, 0, 255) as u8);
            continue;
        }
        let at = index(rng, bytes.len());
        match range_inclusive(rng, 0, 3) {
            0 => bytes[at] ^= 1 << range_inclusive(rng, 0, 7),
            1 => bytes.truncate(at),
            2 => {
                let run: Vec<u8> = bytes[at..].iter().take(8).copied().collect();
                bytes.splice(at..at, run);
            }
            _ => bytes.insert(at, range_inclusive(rng, 0, 255) as u8),
        }
    }
    bytes
}

fn raft_messages() -> Vec<RaftMsg> {
    let entry = |term, byte| Entry {
        term: Term(term),
        command: vec![byte; 9],
    };
    vec![
        RaftMsg::RequestVote(RequestVote {
            term: Term(3),
            candidate: NodeId(1),
            last_log_index: LogIndex(2),
            last_log_term: Term(2),
        }),
        RaftMsg::AppendEntries(AppendEntries {
            term: Term(3),
            leader: NodeId(2),
            prev_log_index: LogIndex(0),
            prev_log_term: Term(0),
            entries: vec![entry(1, 7), entry(3, 8)],
            leader_commit: LogIndex(1),
        }),
        RaftMsg::InstallSnapshot(InstallSnapshot {
            term: Term(4),
            leader: NodeId(1),
            last_included_index: LogIndex(5),
            last_included_term: Term(4),
            data: vec![1, 2, 3],
        }),
    ]
}

#[test]
fn wire_messages_decode_or_are_refused() {
    let samples: Vec<Vec<u8>> = raft_messages()
        .iter()
        .map(|msg| [vec![0], postcard::to_allocvec(msg).unwrap()].concat())
        .collect();
    exercise("wire_messages", 1, &samples, fuzz_targets::wire_messages);
}

#[test]
fn a_raft_follower_survives_any_peer() {
    // Sequences of tagged, encoded messages from peers 1 and 2, and timers.
    let messages = raft_messages();
    let mut samples = Vec::new();
    for round in 0..20u8 {
        let mut input = Vec::new();
        for (i, msg) in messages.iter().enumerate() {
            let peer = 2 + ((round as usize + i) % 2) as u8;
            input.push((round << 4) | peer);
            input.extend(postcard::to_allocvec(msg).unwrap());
            input.push(round % 2);
        }
        samples.push(input);
    }
    exercise("raft_follower", 2, &samples, fuzz_targets::raft_follower);
}

/// The durable writes of a server that voted and took a leader's entries and snapshot.
fn persisted_states() -> Vec<Vec<u8>> {
    let mut out = Outbox::new();
    let config = Config::with_size(3);
    let mut node = RaftNode::boot(&config, NodeId(0), &Disk::new(), 1, Time::ZERO, &mut out)
        .expect("a fresh disk boots");
    let mut states = Vec::new();
    let inputs = raft_messages()
        .into_iter()
        .map(|msg| Input::Message {
            from: NodeId(1),
            msg,
        })
        .chain([Input::Timer(RaftTimer::Election)]);
    // A disk durable at once; its files after each step are a sample.
    let mut disk = InstantDisk::new();
    for input in inputs {
        node.handle(Time::from_ms(10), input, &mut out);
        disk.settle(&mut node, Time::from_ms(10), &mut out);
        let bytes = fuzz_targets::raft_disk_bytes(&disk.disk);
        assert_eq!(
            fuzz_targets::raft_disk(&bytes),
            disk.disk,
            "the encoding round-trips"
        );
        states.push(bytes);
    }
    assert!(
        states.iter().any(|s| !s.is_empty()),
        "the server wrote something"
    );
    states
}

#[test]
fn a_raft_server_boots_from_any_disk_or_reports_it_corrupt() {
    exercise("raft_boot", 3, &persisted_states(), fuzz_targets::raft_boot);
}

fn files_under(dir: &str, take: usize) -> Vec<Vec<u8>> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let mut paths: Vec<_> = std::fs::read_dir(format!("{root}/{dir}"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    let files: Vec<Vec<u8>> = paths
        .iter()
        .take(take)
        .map(|path| std::fs::read(path).unwrap())
        .collect();
    assert!(!files.is_empty(), "no files under {dir}");
    files
}

#[test]
fn history_files_parse_or_name_the_bad_line() {
    let mut samples = files_under("sim/linearizability/tests/histories/jepsen", 3);
    samples.extend(files_under("sim/linearizability/tests/histories/kv", 2));
    // Whole files are long: a random window of a few lines keeps each input small.
    let mut rng = rng_from_seed(4);
    let windows: Vec<Vec<u8>> = samples
        .iter()
        .flat_map(|file| {
            (0..20)
                .map(|_| {
                    let start = index(&mut rng, file.len());
                    file[start..(start + 400).min(file.len())].to_vec()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    exercise("history_file", 5, &windows, fuzz_targets::history_file);
}

#[test]
fn corpus_files_and_seed_ranges_parse_or_are_refused() {
    exercise(
        "corpus_file",
        6,
        &files_under("seeds", 8),
        fuzz_targets::corpus_file,
    );
    let ranges: Vec<Vec<u8>> = ["1..5", "0x10..=0x20", "7", "18446744073709551615"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    exercise("seed_range", 7, &ranges, fuzz_targets::seed_range);
}

/// The harness itself: a target that panics on some input is reported, with the input.
#[test]
#[should_panic(expected = "panicked on input")]
fn a_target_that_panics_is_caught() {
    fn fragile(data: &[u8]) {
        assert!(!data.contains(&0x42), "a byte it cannot take");
    }
    exercise("fragile", 8, &[], fragile);
}

/// Inputs the fuzzer once crashed a target with, kept and replayed like `seeds/`:
/// `regressions/<target>/<file>`.
#[test]
fn inputs_that_once_crashed_a_target_no_longer_do() {
    let targets: [(&str, Body); 2] = [
        ("raft_follower", fuzz_targets::raft_follower),
        ("raft_boot", fuzz_targets::raft_boot),
    ];
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/regressions");
    let mut replayed = 0;
    for (target, body) in targets {
        let Ok(files) = std::fs::read_dir(format!("{root}/{target}")) else {
            continue;
        };
        for file in files {
            let path = file.unwrap().path();
            body(&std::fs::read(&path).unwrap());
            replayed += 1;
        }
    }
    assert!(replayed >= 2, "the kept crashes are replayed");
}
