//! The checker against a brute-force oracle on thousands of small random histories.
//!
//! Each history is generated from a seed: clients run operations whose effects happen at a
//! random point inside their intervals, so the history is linearizable by construction; then
//! half of them get one answer corrupted. Some operations end unknown (open, with or without
//! effect) or fail (no effect). The oracle tries every order (and, for open operations, leaving
//! them out) against its own sequential specification, with whole-history state, so it shares
//! neither the search nor the models' partitioning with the checker.

use linearizability::models::cas_register::CasRegisterModel;
use linearizability::models::kv::{KvInput, KvModel, KvOp, KvOutput};
use linearizability::models::register::{RegisterInput, RegisterOp, RegisterOutput};
use linearizability::{check, CheckOptions, History, Model, Operation, Verdict};
use protocol_core::rng::{range_inclusive, rng_from_seed, Rng};
use std::collections::BTreeMap;

/// A whole-history sequential specification, written apart from the models under test.
trait Spec: Model {
    /// Applies `input` to `state`; the answer it gives.
    fn apply(state: &mut BTreeMap<String, String>, input: &Self::Input) -> Self::Output;
    /// Whether `output` is the answer `expected` (the one the spec gave).
    fn same(output: &Self::Output, expected: &Self::Output) -> bool;
    fn random_input(rng: &mut Rng) -> Self::Input;
    /// Whether answers to `input` say anything (a write's answer does not).
    fn informative(input: &Self::Input) -> bool;
    /// A different, wrong answer.
    fn corrupt(rng: &mut Rng, output: &Self::Output) -> Self::Output;
}

impl Spec for CasRegisterModel {
    fn apply(state: &mut BTreeMap<String, String>, input: &RegisterInput) -> RegisterOutput {
        let current = state
            .get(&input.key)
            .map(|v| v.parse::<i64>().expect("integers only"));
        match input.op {
            RegisterOp::Read => RegisterOutput::Read(current),
            RegisterOp::Write(value) => {
                state.insert(input.key.clone(), value.to_string());
                RegisterOutput::Write
            }
            RegisterOp::Cas { from, to } => {
                let ok = current == Some(from);
                if ok {
                    state.insert(input.key.clone(), to.to_string());
                }
                RegisterOutput::Cas { ok }
            }
        }
    }
    fn same(output: &RegisterOutput, expected: &RegisterOutput) -> bool {
        output == expected
    }
    fn random_input(rng: &mut Rng) -> RegisterInput {
        let key = ["x", "y"][range_inclusive(rng, 0, 1) as usize].to_string();
        let value = |rng: &mut Rng| range_inclusive(rng, 0, 2) as i64;
        let op = match range_inclusive(rng, 0, 2) {
            0 => RegisterOp::Read,
            1 => RegisterOp::Write(value(rng)),
            _ => RegisterOp::Cas {
                from: value(rng),
                to: value(rng),
            },
        };
        RegisterInput { key, op }
    }
    fn corrupt(rng: &mut Rng, output: &RegisterOutput) -> RegisterOutput {
        match output {
            RegisterOutput::Read(None) => {
                RegisterOutput::Read(Some(range_inclusive(rng, 0, 2) as i64))
            }
            RegisterOutput::Read(Some(v)) => RegisterOutput::Read(Some(v + 1)),
            RegisterOutput::Cas { ok } => RegisterOutput::Cas { ok: !ok },
            RegisterOutput::Write => unreachable!("writes are not informative"),
        }
    }
    fn informative(input: &RegisterInput) -> bool {
        !matches!(input.op, RegisterOp::Write(_))
    }
}

impl Spec for KvModel {
    fn apply(state: &mut BTreeMap<String, String>, input: &KvInput) -> KvOutput {
        let current = state.entry(input.key.clone()).or_default();
        match input.op {
            KvOp::Get => KvOutput {
                value: current.clone(),
            },
            KvOp::Put => {
                *current = input.value.clone();
                KvOutput {
                    value: String::new(),
                }
            }
            KvOp::Append => {
                current.push_str(&input.value);
                KvOutput {
                    value: String::new(),
                }
            }
        }
    }
    fn same(output: &KvOutput, expected: &KvOutput) -> bool {
        output == expected
    }
    fn random_input(rng: &mut Rng) -> KvInput {
        let key = ["a", "b"][range_inclusive(rng, 0, 1) as usize].to_string();
        let value = ["1", "2", "3"][range_inclusive(rng, 0, 2) as usize].to_string();
        match range_inclusive(rng, 0, 2) {
            0 => KvInput {
                op: KvOp::Get,
                key,
                value: String::new(),
            },
            1 => KvInput {
                op: KvOp::Put,
                key,
                value,
            },
            _ => KvInput {
                op: KvOp::Append,
                key,
                value,
            },
        }
    }
    fn informative(input: &KvInput) -> bool {
        input.op == KvOp::Get
    }
    fn corrupt(rng: &mut Rng, output: &KvOutput) -> KvOutput {
        let extra = ["1", "2", "3"][range_inclusive(rng, 0, 2) as usize];
        KvOutput {
            value: format!("{}{extra}", output.value),
        }
    }
}

/// How an operation ends in a generated history.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ending {
    Returned,
    OpenWithEffect,
    OpenWithoutEffect,
    Failed,
}

/// (when it takes effect, if it does; the operation; how it ends)
type Planned<M> = (
    Option<u64>,
    Operation<<M as Model>::Input, <M as Model>::Output>,
    Ending,
);

/// A linearizable history from `seed` (each op takes effect at a point inside its interval),
/// then with one answer corrupted if `corrupt`. With `long_ops`, a third of the operations
/// last long, so that short ones nest inside them (identical ones too).
fn generate<M: Spec>(seed: u64, corrupt: bool, long_ops: bool) -> History<M::Input, M::Output> {
    let mut rng = rng_from_seed(seed);
    let clients = range_inclusive(&mut rng, 1, 4);
    let op_count = range_inclusive(&mut rng, 1, 7) as usize;
    let mut next_free = vec![0u64; clients as usize];
    let mut planned: Vec<Planned<M>> = Vec::new();
    for _ in 0..op_count {
        let client = range_inclusive(&mut rng, 0, clients - 1);
        let call = next_free[client as usize] + range_inclusive(&mut rng, 0, 3);
        let spread = if long_ops && range_inclusive(&mut rng, 0, 2) == 0 {
            12
        } else {
            4
        };
        let point = call + range_inclusive(&mut rng, 0, spread);
        let ret = point + range_inclusive(&mut rng, 0, spread);
        next_free[client as usize] = ret + 1;
        let ending = match range_inclusive(&mut rng, 0, 9) {
            0 => Ending::OpenWithEffect,
            1 => Ending::OpenWithoutEffect,
            2 => Ending::Failed,
            _ => Ending::Returned,
        };
        let effect = match ending {
            Ending::Returned | Ending::OpenWithEffect => Some(point * 16 + planned.len() as u64),
            Ending::OpenWithoutEffect | Ending::Failed => None,
        };
        let op = Operation {
            client,
            call,
            ret: Some(ret),
            input: M::random_input(&mut rng),
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
        let output = M::apply(&mut state, &planned[i].1.input);
        planned[i].1.output = Some(output);
    }
    let mut ops: Vec<_> = planned
        .into_iter()
        .map(|(_, mut op, ending)| {
            match ending {
                Ending::Returned => {}
                Ending::OpenWithEffect | Ending::OpenWithoutEffect => {
                    (op.ret, op.output) = (None, None)
                }
                Ending::Failed => op.output = None,
            }
            op
        })
        .collect();
    if corrupt {
        let returned: Vec<usize> = (0..ops.len())
            .filter(|&i| ops[i].output.is_some() && M::informative(&ops[i].input))
            .collect();
        if !returned.is_empty() {
            let victim = returned[range_inclusive(&mut rng, 0, returned.len() as u64 - 1) as usize];
            let wrong = M::corrupt(&mut rng, ops[victim].output.as_ref().expect("returned"));
            ops[victim].output = Some(wrong);
        }
    }
    History::new(ops)
}

/// Must `earlier` precede `later` in any linearization? Only if it returned strictly before.
fn precedes<I, O>(earlier: &Operation<I, O>, later: &Operation<I, O>) -> bool {
    earlier.ret.is_some_and(|ret| ret < later.call)
}

/// Tries every order of the returned operations, each open one placed anywhere or left out.
fn oracle<M: Spec>(history: &History<M::Input, M::Output>) -> bool {
    let ops: Vec<&Operation<M::Input, M::Output>> = history
        .operations
        .iter()
        .filter(|op| !op.is_failed())
        .collect();
    let mut placed = vec![false; ops.len()];
    try_orders::<M>(&ops, &mut placed, &BTreeMap::new())
}

fn try_orders<M: Spec>(
    ops: &[&Operation<M::Input, M::Output>],
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
        let answer = M::apply(&mut next, &ops[i].input);
        if ops[i]
            .output
            .as_ref()
            .is_some_and(|output| !M::same(output, &answer))
        {
            continue;
        }
        placed[i] = true;
        let found = try_orders::<M>(ops, placed, &next);
        placed[i] = false;
        if found {
            return true;
        }
    }
    false
}

/// `order` (history indices) is a valid linearizable sequence: real-time order respected, every
/// answer the spec's, and, if `complete`, every returned operation placed.
fn replays<M: Spec>(
    history: &History<M::Input, M::Output>,
    order: &[usize],
    complete: bool,
) -> bool {
    let ops = &history.operations;
    let mut state = BTreeMap::new();
    for (position, &i) in order.iter().enumerate() {
        let later_required = order[position + 1..]
            .iter()
            .any(|&j| precedes(&ops[j], &ops[i]));
        let answer = M::apply(&mut state, &ops[i].input);
        let wrong = ops[i]
            .output
            .as_ref()
            .is_some_and(|output| !M::same(output, &answer));
        if later_required || wrong || ops[i].is_failed() {
            return false;
        }
    }
    let placed_all =
        (0..ops.len()).all(|i| order.contains(&i) || ops[i].is_failed() || ops[i].is_open());
    !complete || placed_all
}

/// (agreed linearizable, agreed not) over `count` seeds; the model's decision procedures on
/// for half of them, so that the search sees every kind of history too.
fn differential<M: Spec + Default>(base_seed: u64, count: u64, long_ops: bool) -> (usize, usize) {
    let model = M::default();
    let mut tally = (0, 0);
    for n in 0..count {
        let seed = base_seed + n;
        let corrupt = n % 2 == 1;
        let history = generate::<M>(seed, corrupt, long_ops);
        let expected = oracle::<M>(&history);
        if !corrupt {
            assert!(
                expected,
                "seed {seed}: linearizable by construction, the oracle disagrees"
            );
        }
        let threads = 1 + (n % 2) as usize;
        let options = CheckOptions {
            threads,
            fast_paths: (n / 2) % 2 == 0,
            ..CheckOptions::default()
        };
        let result = check(&model, &history, &options);
        let verdict = if expected {
            Verdict::Linearizable
        } else {
            Verdict::NotLinearizable
        };
        assert_eq!(result.verdict, verdict, "seed {seed}: {history:#?}");
        for partition in &result.partitions {
            let complete = expected;
            assert!(
                replays::<M>(&history, &partition.order, false),
                "seed {seed}: bad order {partition:?}"
            );
            if complete {
                let ops_here: Vec<_> = partition
                    .ops
                    .iter()
                    .filter(|&&i| history.operations[i].output.is_some())
                    .collect();
                let placed = ops_here
                    .iter()
                    .all(|&&i| history.operations[i].is_open() || partition.order.contains(&i));
                assert!(
                    placed,
                    "seed {seed}: the witness misses an operation: {partition:?}"
                );
            }
        }
        if expected {
            tally.0 += 1
        } else {
            tally.1 += 1
        }
    }
    tally
}

#[test]
fn cas_register_agrees_with_brute_force() {
    let (yes, no) = differential::<CasRegisterModel>(1_000, 5_000, false);
    assert!(
        yes > 2_000 && no > 1_000,
        "both verdicts are exercised: {yes} yes, {no} no"
    );
}

#[test]
fn kv_agrees_with_brute_force() {
    let (yes, no) = differential::<KvModel>(900_000, 5_000, false);
    assert!(
        yes > 2_000 && no > 1_000,
        "both verdicts are exercised: {yes} yes, {no} no"
    );
}

#[test]
fn cas_register_with_nested_operations_agrees_with_brute_force() {
    let (yes, no) = differential::<CasRegisterModel>(2_000_000, 10_000, true);
    assert!(
        yes > 4_000 && no > 2_000,
        "both verdicts are exercised: {yes} yes, {no} no"
    );
}

#[test]
fn kv_with_nested_operations_agrees_with_brute_force() {
    let (yes, no) = differential::<KvModel>(3_000_000, 10_000, true);
    assert!(
        yes > 4_000 && no > 2_000,
        "both verdicts are exercised: {yes} yes, {no} no"
    );
}
