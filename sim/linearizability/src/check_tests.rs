//! Tests of the search through `check`: verdicts, witnesses, the open-operation rule, budgets.

use super::*;
use crate::history::Operation;
use crate::models::cas_register::CasRegisterModel;
use crate::models::kv::{KvInput, KvModel, KvOp, KvOutput};
use crate::models::register::{RegisterInput, RegisterModel, RegisterOp, RegisterOutput};

type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

fn write(client: u64, call: u64, ret: Option<u64>, value: i64) -> RegisterOperation {
    Operation {
        client,
        call,
        ret,
        input: RegisterInput {
            key: String::new(),
            op: RegisterOp::Write(value),
        },
        output: ret.map(|_| RegisterOutput::Write),
    }
}

fn read(client: u64, call: u64, ret: u64, value: Option<i64>) -> RegisterOperation {
    Operation {
        client,
        call,
        ret: Some(ret),
        input: RegisterInput {
            key: String::new(),
            op: RegisterOp::Read,
        },
        output: Some(RegisterOutput::Read(value)),
    }
}

fn run(ops: Vec<RegisterOperation>) -> CheckResult {
    check(&RegisterModel, &History::new(ops), &CheckOptions::default())
}

#[test]
fn an_empty_history_is_linearizable() {
    let result = run(Vec::new());
    assert_eq!(result.verdict, Verdict::Linearizable);
    assert!(result.partitions.is_empty());
}

#[test]
fn overlapping_operations_may_take_either_order() {
    // write(1) [0, 10] overlaps read [2, 5] that sees 1: the write went first.
    let result = run(vec![write(1, 0, Some(10), 1), read(2, 2, 5, Some(1))]);
    assert_eq!(result.verdict, Verdict::Linearizable);
    assert_eq!(
        result.partitions[0].order,
        vec![0, 1],
        "the witness puts the write first"
    );
}

#[test]
fn a_stale_read_after_a_write_returned_is_not_linearizable() {
    let result = run(vec![
        write(1, 0, Some(1), 1),
        write(1, 2, Some(3), 2),
        read(2, 4, 5, Some(1)),
    ]);
    assert_eq!(result.verdict, Verdict::NotLinearizable);
    let failed = result.failures().next().expect("one failing partition");
    assert_eq!(
        failed.order,
        vec![0, 1],
        "the longest prefix is both writes"
    );
    assert_eq!(
        failed.unplaced,
        vec![2],
        "the stale read could not be placed"
    );
}

#[test]
fn an_open_operation_may_take_effect_after_its_call() {
    // write(1) never returned; a read long after sees 1.
    let result = run(vec![write(1, 0, None, 1), read(2, 10, 11, Some(1))]);
    assert_eq!(result.verdict, Verdict::Linearizable);
}

#[test]
fn an_open_operation_may_never_take_effect() {
    let result = run(vec![write(1, 0, None, 1), read(2, 10, 11, None)]);
    assert_eq!(result.verdict, Verdict::Linearizable);
}

#[test]
fn an_open_operation_takes_no_effect_before_its_call() {
    let result = run(vec![read(2, 0, 1, Some(1)), write(1, 5, None, 1)]);
    assert_eq!(result.verdict, Verdict::NotLinearizable);
}

#[test]
fn an_open_operation_cannot_take_effect_twice() {
    // Reads see 1, then 2, then 1 again: one open write(1) cannot explain both 1s.
    let result = run(vec![
        write(1, 0, None, 1),
        write(2, 0, Some(1), 2),
        read(3, 2, 3, Some(1)),
        read(3, 4, 5, Some(2)),
        read(3, 6, 7, Some(1)),
    ]);
    assert_eq!(result.verdict, Verdict::NotLinearizable);
}

#[test]
fn a_failed_operation_has_no_effect() {
    let mut failed = write(1, 0, Some(1), 1);
    failed.output = None;
    let result = run(vec![failed.clone(), read(2, 5, 6, Some(1))]);
    assert_eq!(result.verdict, Verdict::NotLinearizable);
    let result = run(vec![failed, read(2, 5, 6, None)]);
    assert_eq!(result.verdict, Verdict::Linearizable);
    assert_eq!(
        result.partitions[0].order,
        vec![1],
        "a failed operation is not in the witness"
    );
}

fn kv(
    client: u64,
    call: u64,
    ret: u64,
    op: KvOp,
    key: &str,
    value: &str,
) -> Operation<KvInput, KvOutput> {
    let (input_value, output_value) = match op {
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
            value: input_value.into(),
        },
        output: Some(KvOutput {
            value: output_value.into(),
        }),
    }
}

fn kv_history() -> History<KvInput, KvOutput> {
    History::new(vec![
        kv(1, 0, 1, KvOp::Put, "a", "x"),
        kv(2, 0, 1, KvOp::Append, "b", "y"),
        kv(1, 2, 3, KvOp::Get, "a", "x"),
        kv(2, 2, 3, KvOp::Get, "b", "yy"), // wrong: b holds "y"
        kv(3, 4, 5, KvOp::Get, "c", ""),
    ])
}

#[test]
fn kv_partitions_fail_independently_in_key_order() {
    let result = check(&KvModel, &kv_history(), &CheckOptions::default());
    assert_eq!(result.verdict, Verdict::NotLinearizable);
    let verdicts: Vec<_> = result
        .partitions
        .iter()
        .map(|p| (p.label.as_str(), &p.verdict))
        .collect();
    assert_eq!(
        verdicts,
        vec![
            ("key \"a\"", &PartitionVerdict::Linearizable),
            ("key \"b\"", &PartitionVerdict::NotLinearizable),
            ("key \"c\"", &PartitionVerdict::Linearizable),
        ]
    );
    assert_eq!(result.partitions[1].unplaced, vec![3]);
}

#[test]
fn thread_count_does_not_change_the_result() {
    let one = check(&KvModel, &kv_history(), &CheckOptions::default());
    let options = CheckOptions {
        threads: 3,
        ..CheckOptions::default()
    };
    assert_eq!(check(&KvModel, &kv_history(), &options), one);
}

/// Many concurrent writes and a read no order explains: the search must explore many sets.
/// Values repeat (no polynomial decision) and intervals nest (no two writes interchangeable).
fn hard_history() -> History<RegisterInput, RegisterOutput> {
    let mut ops: Vec<_> = (0..12)
        .map(|c| write(c, c, Some(200 - c), c as i64 % 2))
        .collect();
    ops.push(read(99, 300, 301, Some(-1)));
    History::new(ops)
}

#[test]
fn a_memory_budget_gives_unknown() {
    let options = CheckOptions {
        max_memory_bytes: Some(10_000),
        ..CheckOptions::default()
    };
    let result = check(&CasRegisterModel, &hard_history(), &options);
    let Verdict::Unknown { reason } = result.verdict else {
        panic!("expected unknown, got {:?}", result.verdict);
    };
    assert!(reason.contains("memory budget"), "{reason}");
}

#[test]
fn a_zero_timeout_gives_unknown() {
    let options = CheckOptions {
        timeout: Some(Duration::ZERO),
        ..CheckOptions::default()
    };
    let result = check(&CasRegisterModel, &hard_history(), &options);
    assert!(
        matches!(result.verdict, Verdict::Unknown { .. }),
        "{:?}",
        result.verdict
    );
}

#[test]
fn without_budgets_the_hard_history_is_decided() {
    let options = CheckOptions {
        max_memory_bytes: None,
        ..CheckOptions::default()
    };
    let result = check(&CasRegisterModel, &hard_history(), &options);
    assert_eq!(result.verdict, Verdict::NotLinearizable);
}

#[test]
fn identical_writes_nested_in_time_keep_both_orders() {
    // write(1) [0, 10] holds an identical write(1) [1, 2]; write(2) [5, 6] must follow the
    // inner one and the read at [7, 8] must see 1: only "inner, write(2), outer, read" works,
    // so the outer write may not be held before the inner one.
    let result = run(vec![
        write(1, 0, Some(10), 1),
        write(2, 1, Some(2), 1),
        write(3, 5, Some(6), 2),
        read(3, 7, 8, Some(1)),
    ]);
    assert_eq!(result.verdict, Verdict::Linearizable);
    assert_eq!(result.partitions[0].order, vec![1, 2, 0, 3]);
}
