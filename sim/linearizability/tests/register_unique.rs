//! The register models' decision for keys whose writes and compare-and-sets write unique values
//! (`models::register_unique`) against a brute-force oracle (small histories) and against the
//! generic search (medium ones): seeded histories, linearizable by construction, with unknown
//! outcomes (with and without effect), failed operations, refused compare-and-sets, reads of
//! nil, then corrupted; and the decision's witnesses replayed.

use linearizability::models::cas_register::CasRegisterModel;
use linearizability::models::register::{RegisterInput, RegisterOp, RegisterOutput};
use linearizability::{check, CheckOptions, CheckResult, History, Model, Operation, Verdict};
use protocol_core::rng::{range_inclusive, rng_from_seed, Rng};
use std::collections::BTreeMap;

type RegisterHistory = History<RegisterInput, RegisterOutput>;
type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

/// Sizes of a generated history.
#[derive(Clone, Copy)]
struct Shape {
    clients: u64,
    ops: usize,
    keys: u64,
    /// Whether some refused compare-and-sets are answered refused rather than failed.
    answered_refusals: bool,
}

/// How an operation ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ending {
    Returned,
    OpenWithEffect,
    OpenWithoutEffect,
    /// Ended without effect: Jepsen's `:fail`.
    Failed,
}

fn ending(rng: &mut Rng) -> Ending {
    match range_inclusive(rng, 0, 19) {
        0..=2 => Ending::OpenWithEffect,
        3..=4 => Ending::OpenWithoutEffect,
        5 => Ending::Failed,
        _ => Ending::Returned,
    }
}

/// A linearizable history: each operation has an effect point inside its interval (unless it
/// ends without effect); inputs are chosen in effect order, so that a compare-and-set usually
/// compares against the value it finds. Every write and compare-and-set writes a fresh value.
fn generate(rng: &mut Rng, shape: Shape) -> RegisterHistory {
    let mut next_free = vec![0u64; shape.clients as usize];
    let mut planned: Vec<(u64, RegisterOperation, Ending)> = Vec::new();
    for n in 0..shape.ops {
        let client = range_inclusive(rng, 0, shape.clients - 1);
        let call = next_free[client as usize] + range_inclusive(rng, 0, 3);
        let point = call + range_inclusive(rng, 0, 4);
        let ret = point + range_inclusive(rng, 0, 4);
        next_free[client as usize] = ret + 1;
        let key = format!("k{}", range_inclusive(rng, 0, shape.keys - 1));
        let op = Operation {
            client,
            call,
            ret: Some(ret),
            input: RegisterInput {
                key,
                op: RegisterOp::Read,
            },
            output: None,
        };
        planned.push((point * 1_000 + n as u64, op, ending(rng)));
    }
    planned.sort_by_key(|planned| planned.0);
    let mut state: BTreeMap<String, i64> = BTreeMap::new();
    let mut written: Vec<i64> = Vec::new();
    for (n, (_, op, ending)) in planned.iter_mut().enumerate() {
        let fresh = 100 + n as i64;
        let current = state.get(&op.input.key).copied();
        op.input.op = match range_inclusive(rng, 0, 2) {
            0 => RegisterOp::Read,
            1 => RegisterOp::Write(fresh),
            _ => {
                let from = match (range_inclusive(rng, 0, 3), current) {
                    (0..=1, Some(value)) => value,
                    (2, _) if !written.is_empty() => {
                        written[range_inclusive(rng, 0, written.len() as u64 - 1) as usize]
                    }
                    _ => range_inclusive(rng, 1, 3) as i64,
                };
                RegisterOp::Cas { from, to: fresh }
            }
        };
        if op.input.op != RegisterOp::Read {
            written.push(fresh);
        }
        let takes_effect = matches!(*ending, Ending::Returned | Ending::OpenWithEffect);
        let output = apply(&mut state, &op.input, takes_effect);
        settle(op, *ending, output, shape.answered_refusals, rng);
    }
    History::new(planned.into_iter().map(|(_, op, _)| op).collect())
}

/// The sequential specification, written apart from the models: the answer `input` gets (and
/// its effect, if it takes effect).
fn apply(state: &mut BTreeMap<String, i64>, input: &RegisterInput, effect: bool) -> RegisterOutput {
    let current = state.get(&input.key).copied();
    let (output, next) = match input.op {
        RegisterOp::Read => (RegisterOutput::Read(current), current),
        RegisterOp::Write(value) => (RegisterOutput::Write, Some(value)),
        RegisterOp::Cas { from, to } => {
            let ok = current == Some(from);
            (
                RegisterOutput::Cas { ok },
                if ok { Some(to) } else { current },
            )
        }
    };
    if let (true, Some(next)) = (effect, next) {
        state.insert(input.key.clone(), next);
    }
    output
}

/// Gives `op` its ending. A refused compare-and-set usually ends failed (Jepsen's `:fail`: the
/// checker leaves it out), sometimes answered refused (which the decision leaves to the search).
fn settle(
    op: &mut RegisterOperation,
    ending: Ending,
    output: RegisterOutput,
    answered_refusals: bool,
    rng: &mut Rng,
) {
    match ending {
        Ending::Returned if output == (RegisterOutput::Cas { ok: false }) => {
            let answered = answered_refusals && range_inclusive(rng, 0, 9) == 0;
            op.output = answered.then_some(output);
        }
        Ending::Returned => op.output = Some(output),
        Ending::OpenWithEffect | Ending::OpenWithoutEffect => (op.ret, op.output) = (None, None),
        Ending::Failed => op.output = None,
    }
}

/// Rewrites one completed read's answer or one completed compare-and-set's `from`.
fn corrupt(rng: &mut Rng, history: &mut RegisterHistory) {
    let ops = &history.operations;
    let informative: Vec<usize> = (0..ops.len())
        .filter(|&i| ops[i].output.is_some() && !matches!(ops[i].input.op, RegisterOp::Write(_)))
        .collect();
    let written: Vec<i64> = ops
        .iter()
        .filter_map(|op| match op.input.op {
            RegisterOp::Write(v) | RegisterOp::Cas { to: v, .. } => Some(v),
            RegisterOp::Read => None,
        })
        .collect();
    if informative.is_empty() {
        return;
    }
    let pick = |rng: &mut Rng, n: usize| range_inclusive(rng, 0, n as u64 - 1) as usize;
    let victim = informative[pick(rng, informative.len())];
    let other = match (range_inclusive(rng, 0, 3), written.is_empty()) {
        (0, _) | (_, true) => None,
        (1, _) => Some(range_inclusive(rng, 1, 3) as i64),
        _ => Some(written[pick(rng, written.len())]),
    };
    let op = &mut history.operations[victim];
    match (&mut op.input.op, &mut op.output) {
        (RegisterOp::Cas { from, .. }, _) => *from = other.unwrap_or(*from + 1),
        (_, Some(RegisterOutput::Read(value))) => *value = other,
        _ => unreachable!("reads and compare-and-sets only"),
    }
}

fn precedes(earlier: &RegisterOperation, later: &RegisterOperation) -> bool {
    earlier.ret.is_some_and(|ret| ret < later.call)
}

/// Tries every order of the non-failed operations, unknown ones placed anywhere or left out.
fn oracle(history: &RegisterHistory) -> bool {
    let ops: Vec<&RegisterOperation> = history
        .operations
        .iter()
        .filter(|op| !op.is_failed())
        .collect();
    try_orders(&ops, &mut vec![false; ops.len()], &BTreeMap::new())
}

fn try_orders(
    ops: &[&RegisterOperation],
    placed: &mut Vec<bool>,
    state: &BTreeMap<String, i64>,
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
        let answer = apply(&mut next, &ops[i].input, true);
        if ops[i]
            .output
            .as_ref()
            .is_some_and(|output| *output != answer)
        {
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

/// Each partition's `order` replays through the specification within real time; a
/// linearization places every completed operation; a failure names an unplaced operation that
/// the decision explains.
fn assert_witnesses(history: &RegisterHistory, result: &CheckResult, context: &str) {
    let ops = &history.operations;
    for partition in &result.partitions {
        let mut state = BTreeMap::new();
        for (position, &i) in partition.order.iter().enumerate() {
            let later = &partition.order[position + 1..];
            assert!(
                !later.iter().any(|&j| precedes(&ops[j], &ops[i])),
                "{context}: order breaks real time at {i}"
            );
            let answer = apply(&mut state, &ops[i].input, true);
            let wrong = ops[i].output.as_ref().is_some_and(|o| *o != answer);
            assert!(!wrong && !ops[i].is_failed(), "{context}: op {i} misplaced");
        }
        if result.verdict == Verdict::Linearizable {
            let missing = partition.ops.iter().any(|&i| {
                !ops[i].is_failed() && !ops[i].is_open() && !partition.order.contains(&i)
            });
            assert!(!missing, "{context}: the witness misses an operation");
        } else if result.failures().any(|f| f.label == partition.label) {
            let blocking = partition.unplaced.first().expect("a blocking operation");
            assert!(
                !partition.order.contains(blocking),
                "{context}: blocking op placed"
            );
            // The operation the decision blames leads, unless a longer prefix placed it.
            if let Some(why) = &partition.why {
                let named = why
                    .ops()
                    .any(|i| i == *blocking || partition.order.contains(&i));
                assert!(
                    named,
                    "{context}: why names the blocking operation or a placed one"
                );
            }
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

/// Whether every partition is one the model decides without the search.
fn decided_fast(history: &RegisterHistory) -> bool {
    let model = CasRegisterModel;
    model
        .partition(history)
        .iter()
        .all(|partition| model.decide(&history.operations, &partition.ops).is_some())
}

#[test]
fn small_histories_agree_with_brute_force_and_the_search() {
    let (mut tally, mut fast) = ([0usize; 2], 0);
    for seed in 0..20_000u64 {
        let mut rng = rng_from_seed(5 << 40 | seed);
        let shape = Shape {
            clients: range_inclusive(&mut rng, 1, 4),
            ops: range_inclusive(&mut rng, 1, 7) as usize,
            keys: range_inclusive(&mut rng, 1, 2),
            answered_refusals: true,
        };
        let mut history = generate(&mut rng, shape);
        if seed % 2 == 1 {
            corrupt(&mut rng, &mut history);
        }
        let expected = oracle(&history);
        assert!(
            expected || seed % 2 == 1,
            "seed {seed}: linearizable by construction"
        );
        let want = if expected {
            Verdict::Linearizable
        } else {
            Verdict::NotLinearizable
        };
        let result = check(&CasRegisterModel, &history, &options(true, None));
        assert_eq!(result.verdict, want, "seed {seed}: {history:#?}");
        let slow = check(&CasRegisterModel, &history, &options(false, None));
        assert_eq!(slow.verdict, want, "seed {seed}: the search");
        assert_witnesses(&history, &result, &format!("seed {seed}"));
        tally[usize::from(expected)] += 1;
        fast += usize::from(decided_fast(&history));
    }
    assert!(
        tally[0] > 4_000 && tally[1] > 10_000,
        "both verdicts: {tally:?}"
    );
    assert!(fast > 17_000, "most take the decision: {fast}");
}

#[test]
fn medium_histories_agree_with_the_search() {
    let (mut agreed, mut not) = (0, 0);
    for seed in 0..1_500u64 {
        let mut rng = rng_from_seed(6 << 40 | seed);
        let shape = Shape {
            clients: range_inclusive(&mut rng, 2, 8),
            ops: range_inclusive(&mut rng, 8, 50) as usize,
            keys: 1,
            answered_refusals: true,
        };
        let mut history = generate(&mut rng, shape);
        if seed % 2 == 1 {
            corrupt(&mut rng, &mut history);
        }
        let fast = check(&CasRegisterModel, &history, &options(true, None));
        assert!(
            seed % 2 == 1 || fast.verdict == Verdict::Linearizable,
            "seed {seed}"
        );
        assert!(
            !matches!(fast.verdict, Verdict::Unknown { .. }),
            "seed {seed}"
        );
        assert_witnesses(&history, &fast, &format!("seed {seed}"));
        let slow = check(&CasRegisterModel, &history, &options(false, Some(32 << 20)));
        if matches!(slow.verdict, Verdict::Unknown { .. }) {
            continue;
        }
        assert_eq!(fast.verdict, slow.verdict, "seed {seed}: {history:#?}");
        agreed += 1;
        not += usize::from(fast.verdict == Verdict::NotLinearizable);
    }
    assert!(
        agreed > 1_200 && not > 400,
        "{agreed} decided by both, {not} not"
    );
}

/// Jepsen's shape, larger than any search would finish: 1 500 operations, 100 process ids on
/// 3 keys, a fifth of them of unknown outcome.
#[test]
fn large_histories_with_many_unknown_outcomes_are_decided() {
    for seed in 0..6u64 {
        let mut rng = rng_from_seed(7 << 40 | seed);
        let shape = Shape {
            clients: 100,
            ops: 1_500,
            keys: 3,
            answered_refusals: false,
        };
        let mut history = generate(&mut rng, shape);
        let corrupted = seed % 2 == 1;
        if corrupted {
            corrupt(&mut rng, &mut history);
        }
        let result = check(&CasRegisterModel, &history, &options(true, Some(64 << 20)));
        assert!(
            corrupted || result.verdict == Verdict::Linearizable,
            "seed {seed}"
        );
        assert!(
            !matches!(result.verdict, Verdict::Unknown { .. }),
            "seed {seed}: decided"
        );
        assert_witnesses(&history, &result, &format!("seed {seed}"));
    }
}
