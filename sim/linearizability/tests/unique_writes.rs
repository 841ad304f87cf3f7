//! The kv model's decision for keys whose writes are unique (`models::kv_unique`) against a
//! brute-force oracle (small histories) and against the generic search (medium ones), on seeded
//! histories linearizable by construction and corrupted; and on large many-client histories
//! that the generic search cannot decide within a gigabyte.

use linearizability::models::kv::{KvInput, KvModel, KvOp, KvOutput};
use linearizability::{check, CheckOptions, CheckResult, History, Model, Operation, Verdict};
use protocol_core::rng::{range_inclusive, rng_from_seed, Rng};
use std::collections::BTreeMap;

type KvHistory = History<KvInput, KvOutput>;

/// Sizes of a generated history.
#[derive(Clone, Copy)]
struct Shape {
    clients: u64,
    ops: usize,
    keys: u64,
}

/// A linearizable history: each operation takes effect at a point inside its interval (or, if
/// it ends unknown or failed, maybe not at all); puts and appends write `x<n> y`, unique.
fn generate(rng: &mut Rng, shape: Shape) -> KvHistory {
    let mut next_free = vec![0u64; shape.clients as usize];
    // (effect point, operation, ending: 0 unknown with effect, 1 unknown without, 2 failed,
    // else returned)
    let mut planned: Vec<(Option<u64>, Operation<KvInput, KvOutput>, u64)> = Vec::new();
    for n in 0..shape.ops {
        let client = range_inclusive(rng, 0, shape.clients - 1);
        let call = next_free[client as usize] + range_inclusive(rng, 0, 3);
        let point = call + range_inclusive(rng, 0, 4);
        let ret = point + range_inclusive(rng, 0, 4);
        next_free[client as usize] = ret + 1;
        let ending = range_inclusive(rng, 0, 19);
        let effect = (ending != 1 && ending != 2).then_some(point * 1_000_000 + n as u64);
        let key = format!("k{}", range_inclusive(rng, 0, shape.keys - 1));
        let (op, value) = match range_inclusive(rng, 0, 2) {
            0 => (KvOp::Get, String::new()),
            1 => (KvOp::Put, format!("x{n} y")),
            _ => (KvOp::Append, format!("x{n} y")),
        };
        let op = Operation {
            client,
            call,
            ret: Some(ret),
            input: KvInput { op, key, value },
            output: None,
        };
        planned.push((effect, op, ending));
    }
    let mut by_point: Vec<usize> = (0..planned.len())
        .filter(|&i| planned[i].0.is_some())
        .collect();
    by_point.sort_by_key(|&i| planned[i].0);
    let mut state = BTreeMap::new();
    for i in by_point {
        let answer = apply(&mut state, &planned[i].1.input);
        planned[i].1.output = Some(answer);
    }
    let ops = planned
        .into_iter()
        .map(|(_, mut op, ending)| {
            if ending <= 2 {
                op.output = None;
            }
            if ending <= 1 {
                op.ret = None;
            }
            op
        })
        .collect();
    History::new(ops)
}

/// The sequential specification, written apart from the model: the answer `input` gets.
fn apply(state: &mut BTreeMap<String, String>, input: &KvInput) -> KvOutput {
    let current = state.entry(input.key.clone()).or_default();
    match input.op {
        KvOp::Get => KvOutput {
            value: current.clone(),
        },
        KvOp::Put | KvOp::Append => {
            if input.op == KvOp::Put {
                current.clear();
            }
            current.push_str(&input.value);
            KvOutput {
                value: String::new(),
            }
        }
    }
}

/// Rewrites one completed get's answer: a stale read, swapped values, an extra value, or
/// another get's answer.
fn corrupt(rng: &mut Rng, history: &mut KvHistory) {
    let ops = &history.operations;
    let gets: Vec<usize> = (0..ops.len())
        .filter(|&i| ops[i].input.op == KvOp::Get && ops[i].output.is_some())
        .collect();
    let writes: Vec<usize> = (0..ops.len())
        .filter(|&i| ops[i].input.op != KvOp::Get)
        .collect();
    if gets.is_empty() {
        return;
    }
    let pick = |rng: &mut Rng, from: &[usize]| {
        from[range_inclusive(rng, 0, from.len() as u64 - 1) as usize]
    };
    let victim = pick(rng, &gets);
    let read = ops[victim]
        .output
        .as_ref()
        .expect("completed")
        .value
        .clone();
    let mut parts: Vec<&str> = read.split_inclusive(" y").collect();
    let wrong = match range_inclusive(rng, 0, 3) {
        0 if !parts.is_empty() => {
            parts.pop();
            parts.concat()
        }
        1 if parts.len() >= 2 => {
            let at = range_inclusive(rng, 0, parts.len() as u64 - 2) as usize;
            parts.swap(at, at + 1);
            parts.concat()
        }
        2 if !gets.is_empty() => {
            let other = pick(rng, &gets);
            ops[other].output.as_ref().expect("completed").value.clone()
        }
        _ if !writes.is_empty() => format!("{read}{}", ops[pick(rng, &writes)].input.value),
        _ => format!("{read}x? y"),
    };
    history.operations[victim].output = Some(KvOutput { value: wrong });
}

/// Tries every order of the non-failed operations, unknown ones placed anywhere or left out.
fn oracle(history: &KvHistory) -> bool {
    let ops: Vec<&Operation<KvInput, KvOutput>> = history
        .operations
        .iter()
        .filter(|op| !op.is_failed())
        .collect();
    try_orders(&ops, &mut vec![false; ops.len()], &BTreeMap::new())
}

fn precedes(earlier: &Operation<KvInput, KvOutput>, later: &Operation<KvInput, KvOutput>) -> bool {
    earlier.ret.is_some_and(|ret| ret < later.call)
}

fn try_orders(
    ops: &[&Operation<KvInput, KvOutput>],
    placed: &mut Vec<bool>,
    state: &BTreeMap<String, String>,
) -> bool {
    if (0..ops.len()).all(|i| placed[i] || ops[i].is_open()) {
        return true;
    }
    for i in 0..ops.len() {
        let ready = (0..ops.len()).all(|p| placed[p] || !precedes(ops[p], ops[i]));
        if placed[i] || !ready {
            continue;
        }
        let mut next = state.clone();
        let answer = apply(&mut next, &ops[i].input);
        let get_differs = ops[i].input.op == KvOp::Get
            && ops[i]
                .output
                .as_ref()
                .is_some_and(|output| *output != answer);
        if get_differs {
            continue;
        }
        placed[i] = true;
        let found = try_orders(ops, placed, &next);
        placed[i] = false;
        if found {
            return true;
        }
    }
    false
}

/// Each partition's `order` replays: real time respected, every get answered as recorded; if
/// linearizable, every completed operation placed; if not, an operation is named unplaced.
fn assert_witnesses(history: &KvHistory, result: &CheckResult, context: &str) {
    let ops = &history.operations;
    for partition in &result.partitions {
        let mut state = BTreeMap::new();
        for (position, &i) in partition.order.iter().enumerate() {
            let later = &partition.order[position + 1..];
            assert!(
                !later.iter().any(|&j| precedes(&ops[j], &ops[i])),
                "{context}: order breaks real time at {i}"
            );
            let answer = apply(&mut state, &ops[i].input);
            let wrong = ops[i].input.op == KvOp::Get
                && ops[i].output.as_ref().is_some_and(|o| *o != answer);
            assert!(!wrong && !ops[i].is_failed(), "{context}: op {i} misplaced");
        }
        if result.verdict == Verdict::Linearizable {
            let missing = partition.ops.iter().any(|&i| {
                !ops[i].is_failed() && !ops[i].is_open() && !partition.order.contains(&i)
            });
            assert!(!missing, "{context}: the witness misses an operation");
        } else if result
            .failures()
            .any(|failed| failed.label == partition.label)
        {
            let blocking = partition.unplaced.first().expect("a blocking operation");
            assert!(
                !partition.order.contains(blocking),
                "{context}: blocking op placed"
            );
        }
    }
}

fn options(fast_paths: bool, max_memory_bytes: Option<usize>) -> CheckOptions {
    CheckOptions {
        fast_paths,
        max_memory_bytes,
        ..CheckOptions::default()
    }
}

/// Every partition of `history` is one the model decides without the search.
fn assert_decided_fast(history: &KvHistory) {
    for partition in KvModel.partition(history) {
        assert!(
            KvModel
                .decide(&history.operations, &partition.ops)
                .is_some(),
            "unique writes take the fast path"
        );
    }
}

#[test]
fn small_histories_agree_with_brute_force_and_the_search() {
    let mut tally = [0usize; 2];
    for seed in 0..20_000u64 {
        let mut rng = rng_from_seed(seed);
        let shape = Shape {
            clients: range_inclusive(&mut rng, 1, 4),
            ops: range_inclusive(&mut rng, 1, 7) as usize,
            keys: range_inclusive(&mut rng, 1, 2),
        };
        let mut history = generate(&mut rng, shape);
        if seed % 2 == 1 {
            corrupt(&mut rng, &mut history);
        }
        assert_decided_fast(&history);
        let expected = oracle(&history);
        assert!(
            expected || seed % 2 == 1,
            "seed {seed}: linearizable by construction"
        );
        let fast = check(&KvModel, &history, &options(true, None));
        let want = if expected {
            Verdict::Linearizable
        } else {
            Verdict::NotLinearizable
        };
        assert_eq!(fast.verdict, want, "seed {seed}: {history:#?}");
        let slow = check(&KvModel, &history, &options(false, None));
        assert_eq!(slow.verdict, want, "seed {seed}: the search");
        assert_witnesses(&history, &fast, &format!("seed {seed}"));
        tally[usize::from(expected)] += 1;
    }
    assert!(
        tally[0] > 3_000 && tally[1] > 10_000,
        "both verdicts: {tally:?}"
    );
}

#[test]
fn medium_histories_agree_with_the_search() {
    let (mut agreed, mut not) = (0, 0);
    for seed in 0..1_500u64 {
        let mut rng = rng_from_seed(1 << 32 | seed);
        let shape = Shape {
            clients: range_inclusive(&mut rng, 2, 8),
            ops: range_inclusive(&mut rng, 8, 60) as usize,
            keys: 1,
        };
        let mut history = generate(&mut rng, shape);
        if seed % 2 == 1 {
            corrupt(&mut rng, &mut history);
        }
        assert_decided_fast(&history);
        let fast = check(&KvModel, &history, &options(true, None));
        assert!(
            seed % 2 == 1 || fast.verdict == Verdict::Linearizable,
            "seed {seed}"
        );
        assert_witnesses(&history, &fast, &format!("seed {seed}"));
        let slow = check(&KvModel, &history, &options(false, Some(32 << 20)));
        if matches!(slow.verdict, Verdict::Unknown { .. }) {
            continue;
        }
        assert_eq!(fast.verdict, slow.verdict, "seed {seed}: {history:#?}");
        agreed += 1;
        not += usize::from(fast.verdict == Verdict::NotLinearizable);
    }
    assert!(
        agreed > 1_200 && not > 300,
        "{agreed} decided by both, {not} not"
    );
}

/// 3 000 operations of 50 clients on 5 keys: the generic search runs out of a gigabyte.
#[test]
fn large_many_client_histories_are_decided() {
    for seed in 0..6u64 {
        let mut rng = rng_from_seed(7 << 40 | seed);
        let shape = Shape {
            clients: 50,
            ops: 3_000,
            keys: 5,
        };
        let mut history = generate(&mut rng, shape);
        let corrupted = seed % 2 == 1;
        if corrupted {
            corrupt(&mut rng, &mut history);
        }
        assert_decided_fast(&history);
        let result = check(&KvModel, &history, &options(true, Some(1 << 30)));
        if !corrupted {
            assert_eq!(result.verdict, Verdict::Linearizable, "seed {seed}");
        }
        assert!(
            !matches!(result.verdict, Verdict::Unknown { .. }),
            "seed {seed}: decided"
        );
        assert_witnesses(&history, &result, &format!("seed {seed}"));
    }
}

/// Puts `key = ""` first, as the course's clerks do, and shifts everything else after them
/// (or, with `overlap`, lets the puts run into the other operations).
fn with_leading_resets(history: &KvHistory, overlap: bool) -> KvHistory {
    let keys: std::collections::BTreeSet<String> = history
        .operations
        .iter()
        .map(|op| op.input.key.clone())
        .collect();
    let client = history
        .operations
        .iter()
        .map(|op| op.client)
        .max()
        .unwrap_or(0)
        + 1;
    let mut ops: Vec<Operation<KvInput, KvOutput>> = keys
        .into_iter()
        .enumerate()
        .map(|(n, key)| Operation {
            client: client + n as u64,
            call: 0,
            ret: Some(if overlap { 12 } else { 5 }),
            input: KvInput {
                op: KvOp::Put,
                key,
                value: String::new(),
            },
            output: Some(KvOutput {
                value: String::new(),
            }),
        })
        .collect();
    for op in &history.operations {
        let mut op = op.clone();
        op.call += 10;
        op.ret = op.ret.map(|r| r + 10);
        ops.push(op);
    }
    History::new(ops)
}

#[test]
fn leading_resets_are_peeled_soundly() {
    let mut fast = 0;
    for seed in 0..6_000u64 {
        let mut rng = rng_from_seed(seed);
        let shape = Shape {
            clients: range_inclusive(&mut rng, 1, 3),
            ops: range_inclusive(&mut rng, 1, 6) as usize,
            keys: range_inclusive(&mut rng, 1, 2),
        };
        let mut base = generate(&mut rng, shape);
        if seed % 2 == 1 {
            corrupt(&mut rng, &mut base);
        }
        let overlap = seed % 3 == 0;
        let history = with_leading_resets(&base, overlap);
        let expected = oracle(&history);
        let want = if expected {
            Verdict::Linearizable
        } else {
            Verdict::NotLinearizable
        };
        let result = check(&KvModel, &history, &options(true, None));
        assert_eq!(
            result.verdict, want,
            "seed {seed} overlap {overlap}: {history:#?}"
        );
        let slow = check(&KvModel, &history, &options(false, None));
        assert_eq!(slow.verdict, want, "seed {seed}: the search");
        assert_witnesses(&history, &result, &format!("seed {seed}"));
        if !overlap {
            assert_decided_fast(&history);
            fast += 1;
        }
    }
    assert!(fast > 3_000, "{fast}");
}
