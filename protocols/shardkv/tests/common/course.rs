//! The course's shardkv scenarios in small, on the rig, as functions of (seed, mutant) that
//! report the first violated check: the honest tests expect none, the mutant tests a named
//! one.

use super::history::token;
use super::{Tester, COMPLETES};
use kvraft::Op;
use protocol_core::{CheckId, Violation};
use shardctrler::{Answer, CtrlerOp, GroupId};
use shardkv::{key2shard, Mutant, ShardStatus};

/// TestStaticShards: with a group down, exactly the other group's keys answer.
pub const STATIC_SHARDS: CheckId = CheckId::new("static-shards-half-answer");
/// TestRejection: a clerk misled by a rogue controller gets only the owner's keys answered.
pub const REJECTION: CheckId = CheckId::new("rejection-half-answer");
/// Challenge 2: shards untouched by a stuck migration, and shards that arrived, are served.
pub const SERVED_DURING_MIGRATION: CheckId = CheckId::new("served-during-migration");
/// The course's `check(ck, key, value)`: a Get returns what the test wrote last.
pub const EXPECTED_VALUE: CheckId = CheckId::new("get-returns-expected");

pub fn put(key: &str, value: &str) -> Op {
    Op::Put {
        key: key.into(),
        value: value.into(),
    }
}

pub fn append(key: &str, value: &str) -> Op {
    Op::Append {
        key: key.into(),
        value: value.into(),
    }
}

pub fn get(key: &str) -> Op {
    Op::Get { key: key.into() }
}

pub fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

fn fail<T>(check: CheckId, message: String) -> Result<T, Violation> {
    Err(Violation::new(check, message))
}

/// A Get on `clerk` that must return `expected`.
fn check_get(
    t: &mut Tester,
    clerk: usize,
    key: &str,
    expected: &str,
    ms: u64,
) -> Result<(), Violation> {
    let value = t.call(clerk, get(key), ms)?;
    if value != expected {
        return fail(
            EXPECTED_VALUE,
            format!("Get({key:?}) = {value:?}, expected {expected:?}"),
        );
    }
    Ok(())
}

/// A call that must complete in time counts against `check`.
fn within(check: CheckId) -> impl Fn(Violation) -> Violation {
    move |v| {
        if v.check == COMPLETES {
            Violation::new(check, v.message)
        } else {
            v
        }
    }
}

/// The statuses group `gid`'s first up server reports.
fn statuses(t: &Tester, gid: u64) -> [ShardStatus; 10] {
    let server = t.groups[&GroupId(gid)]
        .iter()
        .find_map(|&id| t.rig.node(id).and_then(|n| n.as_server()));
    server
        .expect("a server of the group is up")
        .state()
        .statuses()
}

pub fn join_then_leave(seed: u64, mutant: Option<Mutant>) -> Result<Tester, Violation> {
    let mut t = Tester::new(seed, &[100, 101], 3, None, mutant);
    let c = t.add_clerk(None);
    t.join(&[100]);
    for key in keys(10) {
        t.call(c, put(&key, "x"), 5_000)?;
    }
    t.join(&[101]);
    for (n, key) in keys(10).iter().enumerate() {
        t.call(c, append(key, &token(c, n as u64)), 5_000)?;
        t.call(c, get(key), 5_000)?;
    }
    t.leave(&[100]);
    for (n, key) in keys(10).iter().enumerate() {
        t.call(c, append(key, &token(c, 10 + n as u64)), 5_000)?;
    }
    t.run_ms(1_000)?;
    t.check_quiescent()?; // g100 left: it holds nothing
    t.shutdown_group(100);
    for key in keys(10) {
        let value = t.call(c, get(&key), 5_000)?;
        t.history.check_final(&key, &value)?;
        if !value.starts_with('x') {
            return fail(
                EXPECTED_VALUE,
                format!("Get({key:?}) = {value:?} lost the Put"),
            );
        }
    }
    Ok(t)
}

/// TestStaticShards, and TestRejection: a clerk whose controller says g100 owns every shard
/// still gets only g100's own keys answered.
pub fn static_and_rejection(seed: u64, mutant: Option<Mutant>) -> Result<Tester, Violation> {
    let mut t = Tester::new(seed, &[100, 101], 3, None, mutant);
    let setup = t.add_clerk(None);
    t.join(&[100, 101]);
    for key in keys(10) {
        t.call(setup, put(&key, &format!("v{key}")), 5_000)?;
    }
    let (rogue, rogue_mck) = t.add_rogue_controller();
    let only_g100 = [(GroupId(100), t.groups[&GroupId(100)].clone())].into();
    assert!(matches!(
        t.ctrl(rogue_mck, CtrlerOp::Join { groups: only_g100 }),
        Answer::Configured(_)
    ));
    t.shutdown_group(101);
    let down: Vec<usize> = keys(10).iter().map(|_| t.add_clerk(None)).collect();
    for (c, key) in down.iter().zip(keys(10)) {
        t.invoke(*c, get(&key));
    }
    t.run_ms(3_000)?;
    let answered = down.iter().filter(|&&c| !t.busy(c)).count();
    if answered != 5 {
        return fail(
            STATIC_SHARDS,
            format!("g101 down: {answered} of 10 Gets answered, not 5"),
        );
    }
    t.start_group(101);
    t.run_ms(3_000)?;
    if down.iter().any(|&c| t.busy(c)) {
        return fail(COMPLETES, "g101 back: a Get still waits".into());
    }
    let misled: Vec<usize> = keys(10)
        .iter()
        .map(|_| t.add_clerk(Some(rogue.clone())))
        .collect();
    for (c, key) in misled.iter().zip(keys(10)) {
        t.invoke(*c, get(&key));
    }
    t.run_ms(3_000)?;
    let answered: Vec<String> = misled
        .iter()
        .zip(keys(10))
        .filter(|(&c, _)| !t.busy(c))
        .map(|(_, k)| k)
        .collect();
    let wrong = answered
        .iter()
        .find(|k| t.configs.latest().owner(key2shard(k)) != GroupId(100));
    if answered.len() != 5 || wrong.is_some() {
        return fail(
            REJECTION,
            format!("rogue controller: keys {answered:?} answered, not g100's five"),
        );
    }
    Ok(t)
}

/// TestChallenge2Partial: with g100 dead, g101 serves the shards arrived from g102 while
/// g100's never come.
pub fn challenge2_partial(seed: u64, mutant: Option<Mutant>) -> Result<Tester, Violation> {
    let mut t = Tester::new(seed, &[100, 101, 102], 3, None, mutant);
    let c = t.add_clerk(None);
    t.join(&[100, 101, 102]);
    t.run_ms(1_000)?;
    for key in keys(10) {
        t.call(c, put(&key, "100"), 5_000)?;
    }
    let Answer::Config(before) = t.ctrl(t.mck, CtrlerOp::Query { num: None }) else {
        panic!("a query")
    };
    t.shutdown_group(100);
    t.leave(&[100, 102]);
    t.run_ms(1_000)?;
    let pulling = statuses(&t, 101)
        .iter()
        .filter(|&&s| s == ShardStatus::Pulling)
        .count();
    assert!(
        pulling > 0,
        "g101 still waits for dead g100's shards: {:?}",
        statuses(&t, 101)
    );
    let from_102: Vec<String> = keys(10)
        .into_iter()
        .filter(|k| before.owner(key2shard(k)) == GroupId(102))
        .collect();
    assert!(!from_102.is_empty());
    for key in from_102 {
        let served = |t: &mut Tester| -> Result<(), Violation> {
            check_get(t, c, &key, "100", 2_000)?;
            t.call(c, put(&key, "100-2"), 2_000)?;
            check_get(t, c, &key, "100-2", 2_000)
        };
        served(&mut t).map_err(within(SERVED_DURING_MIGRATION))?;
    }
    Ok(t)
}

/// TestChallenge2Unaffected: g101 keeps serving the shards it owns while it can never pull
/// g100's.
pub fn challenge2_unaffected(seed: u64, mutant: Option<Mutant>) -> Result<Tester, Violation> {
    let mut t = Tester::new(seed, &[100, 101], 3, None, mutant);
    let c = t.add_clerk(None);
    t.join(&[100]);
    for key in keys(10) {
        t.call(c, put(&key, "100"), 5_000)?;
    }
    t.join(&[101]);
    t.run_ms(1_000)?;
    let owned: Vec<String> = keys(10)
        .into_iter()
        .filter(|k| t.configs.latest().owner(key2shard(k)) == GroupId(101))
        .collect();
    for key in &owned {
        t.call(c, put(key, "101"), 2_000)?;
    }
    t.shutdown_group(100);
    t.leave(&[100]);
    t.run_ms(1_000)?;
    for key in &owned {
        let served = |t: &mut Tester| -> Result<(), Violation> {
            check_get(t, c, key, "101", 2_000)?;
            t.call(c, put(key, "101-1"), 2_000)?;
            check_get(t, c, key, "101-1", 2_000)
        };
        served(&mut t).map_err(within(SERVED_DURING_MIGRATION))?;
    }
    Ok(t)
}
