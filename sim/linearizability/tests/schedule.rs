//! Which partitions are searched and how far: the verdict stops at the first failure, the
//! witness search keeps to its budget, and neither depends on the number of threads.

use linearizability::models::cas_register::CasRegisterModel;
use linearizability::models::kv::{KvInput, KvModel, KvOp, KvOutput};
use linearizability::models::register::{RegisterInput, RegisterOp, RegisterOutput};
use linearizability::{
    check, CheckOptions, History, Operation, PartitionVerdict, PrefixSearch, Verdict, WitnessBudget,
};
use protocol_core::rng::{range_inclusive, rng_from_seed};
use std::collections::BTreeMap;
use std::time::Duration;

type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

fn register(
    client: u64,
    call: u64,
    ret: u64,
    key: &str,
    op: RegisterOp,
    out: RegisterOutput,
) -> RegisterOperation {
    Operation {
        client,
        call,
        ret: Some(ret),
        input: RegisterInput {
            key: key.into(),
            op,
        },
        output: Some(out),
    }
}

/// Key `key`: `writes` writes of 0 and 1 nesting in time, then a read of 5. Not linearizable,
/// but only a search of about 2^`writes` steps finds out (values repeat: no decision applies).
fn slow_failure(key: &str, writes: u64) -> Vec<RegisterOperation> {
    let mut ops: Vec<_> = (0..writes)
        .map(|c| {
            register(
                c,
                c,
                200 - c,
                key,
                RegisterOp::Write(c as i64 % 2),
                RegisterOutput::Write,
            )
        })
        .collect();
    ops.push(register(
        99,
        300,
        301,
        key,
        RegisterOp::Read,
        RegisterOutput::Read(Some(5)),
    ));
    ops
}

/// Key `key`: a stale read the search finds at once (values repeat: no decision applies).
fn quick_failure(key: &str) -> Vec<RegisterOperation> {
    vec![
        register(20, 0, 1, key, RegisterOp::Write(1), RegisterOutput::Write),
        register(20, 2, 3, key, RegisterOp::Write(1), RegisterOutput::Write),
        register(20, 4, 5, key, RegisterOp::Write(2), RegisterOutput::Write),
        register(
            21,
            6,
            7,
            key,
            RegisterOp::Read,
            RegisterOutput::Read(Some(1)),
        ),
    ]
}

#[test]
fn the_race_stops_at_the_first_failing_search() {
    let mut ops = slow_failure("a", 12);
    ops.extend(quick_failure("b"));
    let history = History::new(ops);
    let result = check(&CasRegisterModel, &history, &CheckOptions::default());
    assert_eq!(result.verdict, Verdict::NotLinearizable);
    assert_eq!(
        result.partitions[1].verdict,
        PartitionVerdict::NotLinearizable
    );
    let PartitionVerdict::Unknown { reason } = &result.partitions[0].verdict else {
        panic!("key a is left: {:?}", result.partitions[0].verdict);
    };
    assert_eq!(
        reason,
        "not searched to the end: key \"b\" is not linearizable"
    );
    // Alone, key a's search does find the failure.
    let alone = check(
        &CasRegisterModel,
        &History::new(slow_failure("a", 12)),
        &CheckOptions::default(),
    );
    assert_eq!(alone.verdict, Verdict::NotLinearizable);
}

#[test]
fn after_the_race_results_do_not_depend_on_threads() {
    // Two keys whose searches outlast the race: with one thread, key "a" fails first and key
    // "b" is never searched; with two, "b" (four times quicker) runs and ends beside "a", and
    // must be reported alike.
    let mut ops = slow_failure("a", 18);
    ops.extend(slow_failure("b", 16));
    let history = History::new(ops);
    let options = |threads| CheckOptions {
        threads,
        ..CheckOptions::default()
    };
    let one = check(&CasRegisterModel, &history, &options(1));
    assert_eq!(one.partitions[0].verdict, PartitionVerdict::NotLinearizable);
    assert!(matches!(
        one.partitions[1].verdict,
        PartitionVerdict::Unknown { .. }
    ));
    assert_eq!(check(&CasRegisterModel, &history, &options(2)), one);
}

fn kv(
    client: u64,
    call: u64,
    ret: u64,
    key: &str,
    op: KvOp,
    value: &str,
) -> Operation<KvInput, KvOutput> {
    let (input, output) = match op {
        KvOp::Get => ("", value),
        KvOp::Put | KvOp::Append => (value, ""),
    };
    Operation {
        client,
        call,
        ret: Some(ret),
        input: KvInput {
            op,
            key: key.into(),
            value: input.into(),
        },
        output: Some(KvOutput {
            value: output.into(),
        }),
    }
}

#[test]
fn no_search_runs_once_a_decision_found_a_failure() {
    // Key "a": unique appends and a stale get, decided. Key "b": a value appended twice, so only
    // the search could decide it, and it is linearizable.
    let history = History::new(vec![
        kv(1, 0, 1, "a", KvOp::Append, "x"),
        kv(1, 2, 3, "a", KvOp::Append, "y"),
        kv(2, 4, 5, "a", KvOp::Get, "x"),
        kv(3, 0, 1, "b", KvOp::Append, "z"),
        kv(3, 2, 3, "b", KvOp::Append, "z"),
        kv(4, 4, 5, "b", KvOp::Get, "zz"),
    ]);
    let result = check(&KvModel, &history, &CheckOptions::default());
    assert_eq!(result.verdict, Verdict::NotLinearizable);
    assert!(result.partitions[0].why.is_some(), "key a was decided");
    assert_eq!(
        result.partitions[1].verdict,
        PartitionVerdict::Unknown {
            reason: String::from("not searched to the end: key \"a\" is not linearizable")
        }
    );
    let fixed = History::new(history.operations[3..].to_vec());
    let alone = check(&KvModel, &fixed, &CheckOptions::default());
    assert_eq!(alone.verdict, Verdict::Linearizable, "key b alone");
}

/// A many-key register history of repeated values, linearizable by construction, maybe with
/// one read answered wrong.
fn random_history(seed: u64) -> History<RegisterInput, RegisterOutput> {
    let mut rng = rng_from_seed(11 << 40 | seed);
    let keys = range_inclusive(&mut rng, 2, 5);
    let clients = range_inclusive(&mut rng, 2, 6);
    let mut next_free = vec![0u64; clients as usize];
    let mut planned = Vec::new();
    for n in 0..range_inclusive(&mut rng, 10, 40) {
        let client = range_inclusive(&mut rng, 0, clients - 1);
        let call = next_free[client as usize] + range_inclusive(&mut rng, 0, 3);
        let point = call + range_inclusive(&mut rng, 0, 6);
        let ret = point + range_inclusive(&mut rng, 0, 6);
        next_free[client as usize] = ret + 1;
        let key = format!("k{}", range_inclusive(&mut rng, 0, keys - 1));
        let op = match range_inclusive(&mut rng, 0, 1) {
            0 => RegisterOp::Read,
            _ => RegisterOp::Write(range_inclusive(&mut rng, 0, 2) as i64),
        };
        planned.push((
            point * 100 + n,
            register(client, call, ret, &key, op, RegisterOutput::Write),
        ));
    }
    planned.sort_by_key(|(point, _)| *point);
    let mut state: BTreeMap<String, i64> = BTreeMap::new();
    for (_, op) in &mut planned {
        match op.input.op {
            RegisterOp::Read => {
                op.output = Some(RegisterOutput::Read(state.get(&op.input.key).copied()))
            }
            RegisterOp::Write(value) => {
                state.insert(op.input.key.clone(), value);
            }
            RegisterOp::Cas { .. } => unreachable!("no cas generated"),
        }
    }
    let mut ops: Vec<RegisterOperation> = planned.into_iter().map(|(_, op)| op).collect();
    if seed % 2 == 1 {
        if let Some(read) = ops.iter_mut().find(|op| op.input.op == RegisterOp::Read) {
            read.output = Some(RegisterOutput::Read(Some(9)));
        }
    }
    ops.sort_by_key(|op| op.call);
    History::new(ops)
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let mut failures = 0;
    for seed in 0..400u64 {
        let history = random_history(seed);
        let options = |threads: usize| CheckOptions {
            threads,
            fast_paths: seed % 4 < 2,
            ..CheckOptions::default()
        };
        let one = check(&CasRegisterModel, &history, &options(1));
        for threads in [2, 3] {
            let many = check(&CasRegisterModel, &history, &options(threads));
            assert_eq!(many, one, "seed {seed}, {threads} threads");
        }
        failures += usize::from(one.verdict == Verdict::NotLinearizable);
    }
    assert!(failures > 100, "failures are among them: {failures}");
}

/// Key "k": unique appends by 40 clients, and one get at the end that misses the last append:
/// decided at once; the longest prefix takes a long search.
fn long_failing_history() -> History<KvInput, KvOutput> {
    let mut ops = Vec::new();
    let mut read = String::new();
    for n in 0..40u64 {
        let value = format!("x{n} y");
        ops.push(kv(n, 0, 100, "k", KvOp::Append, &value));
        if n < 39 {
            read.push_str(&value);
        }
    }
    ops.push(kv(99, 200, 201, "k", KvOp::Get, &read));
    History::new(ops)
}

#[test]
fn the_witness_search_keeps_to_its_budget_and_says_so() {
    let history = long_failing_history();
    let options = |witness_budget| CheckOptions {
        witness_budget,
        ..CheckOptions::default()
    };
    for budget in [
        WitnessBudget::Steps(0),
        WitnessBudget::Steps(1_000),
        WitnessBudget::Time {
            factor: 4,
            max: Duration::ZERO,
        },
    ] {
        let result = check(&KvModel, &history, &options(budget));
        assert_eq!(result.verdict, Verdict::NotLinearizable, "{budget:?}");
        let failed = &result.partitions[0];
        assert!(
            matches!(failed.prefix, PrefixSearch::StoppedEarly { .. }),
            "{budget:?}: {:?}",
            failed.prefix
        );
        // Read off the decision's candidate: every append before the get, nothing after.
        assert_eq!(failed.order.len(), 40, "{budget:?}: {:?}", failed.order);
        assert_eq!(failed.unplaced[0], 40, "{budget:?}: the get leads");
        assert!(failed.why.is_some());
    }
    let steps = check(&KvModel, &history, &options(WitnessBudget::Steps(1_000)));
    assert_eq!(
        steps,
        check(&KvModel, &history, &options(WitnessBudget::Steps(1_000)))
    );
}

#[test]
fn a_witness_search_that_finishes_gives_the_longest_prefix() {
    let history = History::new(vec![
        kv(1, 0, 1, "k", KvOp::Append, "a"),
        kv(1, 2, 3, "k", KvOp::Append, "b"),
        kv(2, 4, 5, "k", KvOp::Get, "a"),
        kv(1, 6, 7, "k", KvOp::Append, "c"),
    ]);
    let result = check(&KvModel, &history, &CheckOptions::default());
    let failed = &result.partitions[0];
    assert_eq!(failed.prefix, PrefixSearch::Complete);
    assert_eq!((failed.order.clone(), failed.unplaced[0]), (vec![0, 1], 2));
}
