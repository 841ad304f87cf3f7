//! The course's sharded KV tests without concurrent clients: TestStaticShards, the later
//! course's TestRejection, TestJoinLeave, TestSnapshot and TestMissChange.

use super::checks;
use super::clients::{keys, Expected};
use super::harness::course_max_raft_state;
use super::harness::ShardKvHarness;
use kvraft::Op;
use protocol_core::rng::{range_inclusive, Rng};
use protocol_core::NodeId;
use shardctrler::{Answer, CtrlerOp, GroupId};
use shardkv::key2shard;
use sim_kit::{RunOptions, RunReport, Step};

/// The course's `randstring(n)`.
pub fn randstring(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'a' + range_inclusive(rng, 0, 25) as u8))
        .collect()
}

/// Puts a fresh `len`-char value to each of `keys`, then checks each: the course's `va`.
pub fn put_all(h: &mut ShardKvHarness, ck: NodeId, keys: &[String], len: usize) -> Step<Expected> {
    let mut va = Expected::new();
    for key in keys {
        let value = randstring(&mut h.rng, len);
        h.put(ck, key, &value)?;
        va.insert(key.clone(), value);
    }
    check_all(h, ck, &va)?;
    Ok(va)
}

/// Checks every key of `va`.
pub fn check_all(h: &mut ShardKvHarness, ck: NodeId, va: &Expected) -> Step {
    for (key, value) in va {
        h.check(ck, key, value)?;
    }
    Ok(())
}

/// Checks every key, then appends a fresh 5-char value to it.
pub fn check_and_append(h: &mut ShardKvHarness, ck: NodeId, va: &mut Expected) -> Step {
    let keys: Vec<String> = va.keys().cloned().collect();
    for key in keys {
        h.check(ck, &key, &va[&key])?;
        let x = randstring(&mut h.rng, 5);
        h.append(ck, &key, &x)?;
        va.get_mut(&key).expect("a key of va").push_str(&x);
    }
    Ok(())
}

/// One fresh clerk per key invokes a Get of it, all at once; the test then waits until 2 s
/// pass with no further completion. The Gets that completed, by key, with what they read.
fn gets_until_quiet(h: &mut ShardKvHarness, ctrlers: &[NodeId], keys: &[String]) -> Step<Expected> {
    let mut pending = Vec::new();
    for key in keys {
        let clerk = h.add_clerk_of(ctrlers.to_vec());
        pending.push((key.clone(), h.invoke(clerk, Op::Get { key: key.clone() })?));
    }
    let mut done = Expected::new();
    loop {
        let deadline = h.now().plus_ms(2_000);
        let before = done.len();
        let any = |h: &super::harness::ShardKvKit| {
            pending
                .iter()
                .any(|(_, i)| h.sim.observer().operation(*i).ret.is_some())
        };
        h.run_until_done(deadline, any)?;
        pending.retain(|(key, index)| match h.returned(*index) {
            Some(value) => {
                done.insert(key.clone(), value);
                false
            }
            None => true,
        });
        if done.len() == before {
            return Ok(done);
        }
    }
}

/// Whether exactly the keys `expected` completed, reading what `va` says; what is wrong
/// otherwise (the count or set first: a wrong value of a key that should not have answered
/// at all is a rejection failure, not a value failure).
pub fn half_answered(
    done: &Expected,
    expected: &[&String],
    va: &Expected,
) -> Result<(), (bool, String)> {
    let answered: Vec<&String> = done.keys().collect();
    if answered != expected {
        return Err((
            true,
            format!(
                "{} Gets completed, {answered:?}; expected {expected:?}",
                answered.len()
            ),
        ));
    }
    match done.iter().find(|(k, v)| va[k.as_str()] != **v) {
        Some((key, value)) => Err((
            false,
            format!(
                "Get({key:?}): expected:\n{:?}\nreceived:\n{value:?}",
                va[key]
            ),
        )),
        None => Ok(()),
    }
}

/// Fails with `check` (or the value check) unless exactly `expected` keys completed right.
fn check_half(
    h: &mut ShardKvHarness,
    check: sim::CheckId,
    done: &Expected,
    expected: &[&String],
    va: &Expected,
) -> Step {
    match half_answered(done, expected, va) {
        Ok(()) => Ok(()),
        Err((count, what)) => Err(h.fail(if count { check } else { checks::GET_VALUE }, what)),
    }
}

/// TestStaticShards: two groups of five shards each; with one group down, exactly its five
/// keys' Gets hang; back up, every key reads right. No snapshots.
pub fn static_shards(options: &RunOptions) -> RunReport {
    let mut h = ShardKvHarness::new(options, 3, false, None);
    let ck = h.add_clerk();
    let verdict = (|| -> Step {
        h.join(0)?;
        h.join(1)?;
        let va = put_all(&mut h, ck, &keys(10), 20)?;
        h.shutdown_group(1);
        h.check_logs()?;
        let (ctrlers, ks) = (h.ctrlers.clone(), keys(10));
        let done = gets_until_quiet(&mut h, &ctrlers, &ks)?;
        let config = h.query()?;
        let up: Vec<&String> = ks
            .iter()
            .filter(|k| owned_by(&config, k, h.gid(0)))
            .collect();
        check_half(&mut h, checks::STATIC_SHARDS, &done, &up, &va)?;
        h.start_group(1);
        check_all(&mut h, ck, &va)
    })();
    h.report(verdict)
}

/// TestRejection (6.5840 2024): a second controller says group 100 owns every shard; clerks
/// that follow it get exactly group 100's own five keys answered (right), and the others
/// refused: a group serves no shard the real configuration does not give it.
pub fn rejection(options: &RunOptions) -> RunReport {
    let mut h = ShardKvHarness::new(options, 3, false, None);
    let ck = h.add_clerk();
    let verdict = (|| -> Step {
        h.join(0)?;
        h.join(1)?;
        let va = put_all(&mut h, ck, &keys(10), 20)?;
        let (rogue, rogue_mck) = h.add_rogue_controller();
        let only_first = [(h.gid(0), h.group(0).to_vec())].into_iter().collect();
        if !matches!(
            h.ctrl(rogue_mck, CtrlerOp::Join { groups: only_first })?,
            Answer::Configured(_)
        ) {
            return Err(h.fail(checks::REJECTION, "the second controller refused the Join"));
        }
        let ks = keys(10);
        let done = gets_until_quiet(&mut h, &rogue, &ks)?;
        let config = h.query()?;
        let owned: Vec<&String> = ks
            .iter()
            .filter(|k| owned_by(&config, k, h.gid(0)))
            .collect();
        check_half(&mut h, checks::REJECTION, &done, &owned, &va)
    })();
    h.report(verdict)
}

/// TestJoinLeave: the data moves to the group that stays, which serves it after the first
/// group is shut down.
pub fn join_leave(options: &RunOptions) -> RunReport {
    let mut h = ShardKvHarness::new(options, 3, false, None);
    let ck = h.add_clerk();
    let verdict = (|| -> Step {
        h.join(0)?;
        let mut va = put_all(&mut h, ck, &keys(10), 5)?;
        h.join(1)?;
        check_and_append(&mut h, ck, &mut va)?;
        h.leave(0)?;
        check_and_append(&mut h, ck, &mut va)?;
        h.sleep_ms(1_000)?;
        h.check_logs()?;
        h.shutdown_group(0);
        check_all(&mut h, ck, &va)
    })();
    h.report(verdict)
}

/// TestSnapshot: joins and leaves with snapshots at 1000 bytes; Raft state within the
/// course's bound; every group restarted at once, every value still there.
pub fn snapshot(options: &RunOptions) -> RunReport {
    let mut h = ShardKvHarness::new(options, 3, false, Some(course_max_raft_state(1_000)));
    let ck = h.add_clerk();
    let verdict = (|| -> Step {
        h.join(0)?;
        let mut va = put_all(&mut h, ck, &keys(30), 20)?;
        h.join(1)?;
        h.join(2)?;
        h.leave(0)?;
        check_and_append(&mut h, ck, &mut va)?;
        h.leave(1)?;
        h.join(0)?;
        check_and_append(&mut h, ck, &mut va)?;
        h.sleep_ms(1_000)?;
        check_all(&mut h, ck, &va)?;
        h.sleep_ms(1_000)?;
        h.check_logs()?;
        (0..3).for_each(|g| h.shutdown_group(g));
        (0..3).for_each(|g| h.start_group(g));
        check_all(&mut h, ck, &va)
    })();
    h.report(verdict)
}

/// TestMissChange: one server of every group misses configuration changes while down and
/// replays them in order when it comes back.
pub fn miss_change(options: &RunOptions) -> RunReport {
    let mut h = ShardKvHarness::new(options, 3, false, Some(course_max_raft_state(1_000)));
    let ck = h.add_clerk();
    let verdict = (|| -> Step {
        h.join(0)?;
        let mut va = put_all(&mut h, ck, &keys(10), 20)?;
        h.join(1)?;
        (0..3).for_each(|g| h.shutdown_server(g, 0));
        h.join(2)?;
        h.leave(1)?;
        h.leave(0)?;
        check_and_append(&mut h, ck, &mut va)?;
        h.join(1)?;
        check_and_append(&mut h, ck, &mut va)?;
        (0..3).for_each(|g| h.start_server(g, 0));
        check_and_append(&mut h, ck, &mut va)?;
        h.sleep_ms(2_000)?;
        (0..3).for_each(|g| h.shutdown_server(g, 1));
        h.join(0)?;
        h.leave(2)?;
        check_and_append(&mut h, ck, &mut va)?;
        (0..3).for_each(|g| h.start_server(g, 1));
        check_all(&mut h, ck, &va)
    })();
    h.report(verdict)
}

/// Group `gid` serves `key` in `config`.
pub fn owned_by(config: &shardctrler::Config, key: &str, gid: GroupId) -> bool {
    config.owner(key2shard(key)) == gid
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(pairs: &[(&str, &str)]) -> Expected {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn half_answered_fails_on_other_keys_before_wrong_values() {
        let va = expected(&[("0", "a"), ("1", "b"), ("2", "c")]);
        let (k0, k1) = ("0".to_string(), "1".to_string());
        let owned = [&k0, &k1];
        assert_eq!(
            half_answered(&expected(&[("0", "a"), ("1", "b")]), &owned, &va),
            Ok(())
        );
        let (count, what) = half_answered(&expected(&[("0", "a")]), &owned, &va).unwrap_err();
        assert!(count, "one key short: {what}");
        let extra = expected(&[("0", "a"), ("1", "b"), ("2", "")]);
        assert!(
            half_answered(&extra, &owned, &va).unwrap_err().0,
            "a key not owned answered"
        );
        let wrong = expected(&[("0", "a"), ("1", "x")]);
        assert!(
            !half_answered(&wrong, &owned, &va).unwrap_err().0,
            "a wrong value"
        );
    }
}
