//! What the unique-values decisions say when a key is not linearizable: one history per rule
//! that can fail, the sentence (operations named `opN`) and the operation that leads the
//! unplaced ones.

use linearizability::models::cas_register::CasRegisterModel;
use linearizability::models::kv::{KvInput, KvModel, KvOp, KvOutput};
use linearizability::models::register::{RegisterInput, RegisterOp, RegisterOutput};
use linearizability::{check, CheckOptions, History, Model, Operation, Verdict};

/// (client, call, return or `None` if unknown, input, answer or `None` if failed or unknown)
type Spec<I, O> = (u64, u64, Option<u64>, I, Option<O>);

fn history<I, O>(specs: Vec<Spec<I, O>>) -> History<I, O> {
    let ops = specs
        .into_iter()
        .map(|(client, call, ret, input, output)| Operation {
            client,
            call,
            ret,
            input,
            output,
        })
        .collect();
    History::new(ops)
}

/// The sentence and the first unplaced operation of the one failing partition, which the
/// model's decision (not the search) must have found.
fn explained<M: Model>(model: &M, history: &History<M::Input, M::Output>) -> (String, usize) {
    let decided = model
        .partition(history)
        .iter()
        .all(|partition| model.decide(&history.operations, &partition.ops).is_some());
    assert!(decided, "the decision procedure applies");
    let result = check(model, history, &CheckOptions::default());
    assert_eq!(result.verdict, Verdict::NotLinearizable);
    let failed = result.failures().next().expect("a failing partition");
    let why = failed.why.as_ref().expect("the decision says why");
    (why.render(|i| format!("op{i}")), failed.unplaced[0])
}

fn read(value: Option<i64>) -> (RegisterInput, Option<RegisterOutput>) {
    let input = RegisterInput {
        key: String::new(),
        op: RegisterOp::Read,
    };
    (input, Some(RegisterOutput::Read(value)))
}

fn write(value: i64) -> (RegisterInput, Option<RegisterOutput>) {
    let input = RegisterInput {
        key: String::new(),
        op: RegisterOp::Write(value),
    };
    (input, Some(RegisterOutput::Write))
}

fn cas(from: i64, to: i64) -> (RegisterInput, Option<RegisterOutput>) {
    let input = RegisterInput {
        key: String::new(),
        op: RegisterOp::Cas { from, to },
    };
    (input, Some(RegisterOutput::Cas { ok: true }))
}

type RegisterSpec = Spec<RegisterInput, RegisterOutput>;

/// An operation returned at `ret`, or failed (`output` dropped) or unknown (both dropped).
fn at(
    client: u64,
    call: u64,
    ret: Option<u64>,
    (input, output): (RegisterInput, Option<RegisterOutput>),
) -> RegisterSpec {
    let output = ret.and(output);
    (client, call, ret, input, output)
}

fn failed(
    client: u64,
    call: u64,
    ret: u64,
    op: (RegisterInput, Option<RegisterOutput>),
) -> RegisterSpec {
    (client, call, Some(ret), op.0, None)
}

#[test]
fn a_read_of_a_value_nothing_wrote() {
    let h = history(vec![at(1, 0, Some(1), read(Some(7)))]);
    let (why, first) = explained(&CasRegisterModel, &h);
    assert_eq!(
        why,
        "op0 read 7, which no write or compare-and-set that took effect wrote"
    );
    assert_eq!(first, 0);
    let h = history(vec![
        failed(1, 0, 1, write(7)),
        at(2, 2, Some(3), read(Some(7))),
    ]);
    let (why, _) = explained(&CasRegisterModel, &h);
    assert_eq!(
        why,
        "op1 read 7, which no write or compare-and-set that took effect wrote"
    );
}

#[test]
fn an_unknown_cas_that_was_seen_needs_its_compared_value() {
    let h = history(vec![
        at(1, 0, None, cas(2, 101)),
        at(2, 3, Some(4), read(Some(101))),
    ]);
    let (why, first) = explained(&CasRegisterModel, &h);
    assert_eq!(
        why,
        "op1 read 101, which needs op0 (outcome unknown) to have taken effect; op0 took effect, \
         so the value was 2 before it; but no write or compare-and-set that took effect wrote 2"
    );
    assert_eq!(first, 1, "the read, not the cas that may have done nothing");
}

#[test]
fn two_cas_from_one_value() {
    let h = history(vec![
        at(1, 0, Some(1), write(1)),
        at(1, 2, Some(3), cas(1, 2)),
        at(2, 2, Some(3), cas(1, 3)),
    ]);
    let (why, first) = explained(&CasRegisterModel, &h);
    assert_eq!(
        why,
        "op1 and op2 both took effect when the value was 1, but 1 was written once, so only one \
         of them can have found it"
    );
    assert_eq!(first, 2);
}

#[test]
fn cas_in_a_circle() {
    let h = history(vec![
        at(1, 0, Some(1), cas(5, 6)),
        at(2, 0, Some(1), cas(6, 5)),
    ]);
    let (why, _) = explained(&CasRegisterModel, &h);
    assert_eq!(
        why,
        "the compare-and-sets op0, op1 each compared against the value the next one wrote, in a \
         circle, so none of them can have gone first"
    );
}

#[test]
fn a_stale_read_after_a_cas_returned() {
    let h = history(vec![
        at(1, 0, Some(1), write(1)),
        at(1, 2, Some(3), cas(1, 2)),
        at(2, 4, Some(5), read(Some(1))),
    ]);
    let (why, first) = explained(&CasRegisterModel, &h);
    assert_eq!(
        why,
        "op2 read 1, but op1, which replaced it, returned before it was called"
    );
    assert_eq!(first, 2);
}

#[test]
fn a_read_before_its_write() {
    let h = history(vec![
        at(1, 0, Some(1), read(Some(5))),
        at(2, 2, Some(3), write(5)),
    ]);
    let (why, _) = explained(&CasRegisterModel, &h);
    assert_eq!(
        why,
        "op0 read 5, but op1, which wrote 5, was called after op0 returned"
    );
}

#[test]
fn a_read_of_nil_after_a_write() {
    let h = history(vec![
        at(1, 0, Some(1), write(1)),
        at(2, 2, Some(3), read(None)),
    ]);
    let (why, first) = explained(&CasRegisterModel, &h);
    assert_eq!(
        why,
        "op1 belongs to the run from the initial value (nil), which comes before every other \
         write; but op0, of the run 1, returned before it was called"
    );
    assert_eq!(first, 1);
}

#[test]
fn two_runs_that_must_each_go_first() {
    let h = history(vec![
        at(0, 0, Some(1), write(1)),
        at(1, 0, Some(1), write(2)),
        at(0, 2, Some(3), read(Some(1))),
        at(1, 4, Some(5), read(Some(2))),
        at(0, 6, Some(7), read(Some(1))),
    ]);
    let (why, first) = explained(&CasRegisterModel, &h);
    assert_eq!(
        why,
        "the values 1 take effect as one run with the operations that saw them, no other write \
         in between, and so do the values 2; but neither run can go first: op0 returned before \
         op3 was called, and op1 returned before op4 was called"
    );
    assert_eq!(first, 4);
}

type KvSpec = Spec<KvInput, KvOutput>;

fn kv(client: u64, call: u64, ret: u64, op: KvOp, value: &str) -> KvSpec {
    let (input, output) = match op {
        KvOp::Get => ("", value),
        KvOp::Put | KvOp::Append => (value, ""),
    };
    let input = KvInput {
        op,
        key: String::from("k"),
        value: input.into(),
    };
    let output = KvOutput {
        value: output.into(),
    };
    (client, call, Some(ret), input, Some(output))
}

#[test]
fn a_get_no_writes_spell() {
    let h = history(vec![
        kv(1, 0, 1, KvOp::Append, "a"),
        kv(2, 2, 3, KvOp::Get, "zz"),
    ]);
    let (why, first) = explained(&KvModel, &h);
    assert_eq!(
        why,
        "op1 read \"zz\", which no sequence of this key's puts and appends spells"
    );
    assert_eq!(first, 1);
}

#[test]
fn a_put_after_the_first_place() {
    let h = history(vec![
        kv(1, 0, 1, KvOp::Append, "a"),
        kv(1, 2, 3, KvOp::Put, "b"),
        kv(2, 4, 5, KvOp::Get, "ab"),
    ]);
    let (why, _) = explained(&KvModel, &h);
    assert_eq!(
        why,
        "op2 read \"ab\", in which the value of op1 is not first, but a put replaces the whole value"
    );
}

#[test]
fn two_values_right_after_one() {
    let h = history(vec![
        kv(1, 0, 1, KvOp::Append, "a"),
        kv(2, 0, 1, KvOp::Append, "b"),
        kv(3, 0, 1, KvOp::Append, "c"),
        kv(1, 2, 3, KvOp::Get, "ab"),
        kv(2, 2, 3, KvOp::Get, "ac"),
    ]);
    let (why, _) = explained(&KvModel, &h);
    assert_eq!(
        why,
        "op3 saw \"b\" right after \"a\", but op4 saw \"c\" right after \"a\""
    );
    let h = history(vec![
        kv(1, 0, 1, KvOp::Append, "a"),
        kv(2, 2, 3, KvOp::Get, "aa"),
    ]);
    let (why, _) = explained(&KvModel, &h);
    assert_eq!(why, "op1 read \"a\" twice, but it was written once");
}

#[test]
fn a_stale_get() {
    let h = history(vec![
        kv(1, 0, 1, KvOp::Append, "a"),
        kv(1, 2, 3, KvOp::Append, "b"),
        kv(2, 4, 5, KvOp::Get, "ab"),
        kv(2, 6, 7, KvOp::Get, "a"),
    ]);
    let (why, first) = explained(&KvModel, &h);
    assert_eq!(
        why,
        "op3 saw \"a\" last, without \"b\", but op1 had returned before it was called"
    );
    assert_eq!(first, 3);
}

#[test]
fn a_get_that_saw_an_append_called_after_it_returned() {
    let h = history(vec![
        kv(1, 0, 1, KvOp::Get, "ab"),
        kv(2, 2, 3, KvOp::Append, "a"),
        kv(3, 0, 5, KvOp::Append, "b"),
    ]);
    let (why, first) = explained(&KvModel, &h);
    assert_eq!(
        why,
        "op0 saw \"b\" right after \"a\", but op1 was called after it returned"
    );
    assert_eq!(first, 1);
}
