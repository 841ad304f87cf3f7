//! The course's kvraft tests that are not `GenericTest`: one key, one partition, the
//! InstallSnapshot path, and snapshot sizes.

use super::checks;
use super::generic::MAX_RAFT_STATE;
use super::harness::KvKit;
use super::harness::{KvHarness, Step, ELECTION_TIMEOUT_MS};
use super::values::check_concurrent_appends;
use kvraft::Op;
use protocol_core::NodeId;
use sim_kit::{RunOptions, RunReport};

/// Our snapshot of the size test's store (one key, one client's sequence number) is about 15
/// bytes in postcard, framed by Raft with its index and term; gob spends some 150 bytes on the
/// same, type descriptors included, against the course's 500-byte bound. The bound keeps that
/// ratio of slack over our honest size: a snapshot holding the log or the history breaks it.
pub const SNAPSHOT_SIZE_BOUND: usize = 100;

/// Drives each clerk through its own list of operations, one at a time, all clerks at once.
fn run_concurrently(h: &mut KvHarness, plans: Vec<(NodeId, Vec<Op>)>, within_ms: u64) -> Step {
    let deadline = h.now().plus_ms(within_ms);
    let mut next: Vec<usize> = vec![0; plans.len()];
    let mut current: Vec<Option<usize>> = vec![None; plans.len()];
    loop {
        for (i, (clerk, ops)) in plans.iter().enumerate() {
            let finished = current[i].is_none_or(|op| h.sim.observer().operation(op).ret.is_some());
            if finished && next[i] < ops.len() {
                current[i] = Some(h.invoke(*clerk, ops[next[i]].clone())?);
                next[i] += 1;
            }
        }
        let all_done = |h: &KvHarness| {
            current
                .iter()
                .all(|op| op.is_some_and(|op| h.sim.observer().operation(op).ret.is_some()))
        };
        if all_done(h) && next.iter().zip(&plans).all(|(n, (_, ops))| *n == ops.len()) {
            return Ok(());
        }
        let pending: Vec<usize> = current
            .iter()
            .flatten()
            .copied()
            .filter(|&op| h.sim.observer().operation(op).ret.is_none())
            .collect();
        let any_done = |h: &KvKit| {
            pending
                .iter()
                .any(|&op| h.sim.observer().operation(op).ret.is_some())
        };
        if !h.run_until_done(deadline, any_done)? {
            return Err(h.fail(
                checks::LIVENESS,
                format!("clients did not finish within {within_ms} ms"),
            ));
        }
    }
}

/// TestUnreliableOneKey3A: 5 clients append "x me n y" (n < 10) to one key on a lossy network.
pub fn unreliable_one_key_3a(options: &RunOptions) -> RunReport {
    const CLIENTS: usize = 5;
    const UPTO: u64 = 10;
    let mut h = KvHarness::new(options, 3, true, None);
    // 50 concurrent appends to one key would swamp the generic search, but every appended
    // value is unique, so the checker's polynomial procedure decides it: no Unknown allowed.
    let ck = h.add_clerk();
    let clerks: Vec<NodeId> = (0..CLIENTS).map(|_| h.add_clerk()).collect();
    let verdict = (|| -> Step {
        h.put(ck, "k", "")?;
        let plans = clerks
            .iter()
            .enumerate()
            .map(|(me, &clerk)| {
                let ops = (0..UPTO)
                    .map(|n| Op::Append {
                        key: "k".into(),
                        value: format!("x {me} {n} y"),
                    })
                    .collect();
                (clerk, ops)
            })
            .collect();
        run_concurrently(&mut h, plans, 60_000)?;
        let value = h.get(ck, "k")?;
        check_concurrent_appends(&mut h, &value, &[UPTO; CLIENTS])
    })();
    h.report(verdict)
}

/// TestOnePartition3A: the leader in a minority; the majority progresses, the minority's Put
/// and Get do not complete, and after healing the minority Put applies exactly once.
pub fn one_partition_3a(options: &RunOptions) -> RunReport {
    let mut h = KvHarness::new(options, 5, false, None);
    let ck = h.add_clerk();
    let verdict = (|| -> Step {
        h.put(ck, "1", "13")?;
        let (p1, p2) = h.make_partition();
        h.partition(&p1, &p2);
        let ckp1 = h.add_clerk();
        h.restrict_clerk(ckp1, &p1);
        let (ckp2a, ckp2b) = (h.add_clerk(), h.add_clerk());
        h.restrict_clerk(ckp2a, &p2);
        h.restrict_clerk(ckp2b, &p2);
        // Progress in majority.
        h.put(ckp1, "1", "14")?;
        h.check_get(ckp1, "1", "14")?;
        // No progress in minority.
        let put15 = h.invoke(
            ckp2a,
            Op::Put {
                key: "1".into(),
                value: "15".into(),
            },
        )?;
        let get = h.invoke(ckp2b, Op::Get { key: "1".into() })?;
        h.check_get(ckp1, "1", "14")?;
        h.put(ckp1, "1", "16")?;
        h.check_get(ckp1, "1", "16")?;
        h.sleep_ms(1_000)?;
        for (op, what) in [(put15, "Put"), (get, "Get")] {
            if h.sim.observer().operation(op).ret.is_some() {
                return Err(h.fail(
                    checks::MINORITY_PROGRESS,
                    format!("{what} in minority completed"),
                ));
            }
        }
        // Completion after heal.
        h.connect_all();
        h.sleep_ms(ELECTION_TIMEOUT_MS)?;
        if h.wait_op(put15, 3_000)?.is_none() {
            return Err(h.fail(checks::LIVENESS, "Put did not complete"));
        }
        // The course does not insist on the Get; an open Get is checked as open.
        h.wait_op(get, 3_000)?;
        h.check_get(ck, "1", "15")
    })();
    h.report(verdict)
}

/// TestSnapshotRPC3B: the majority compacts while a server is cut off, then a partition that
/// needs that server makes it catch up by InstallSnapshot.
pub fn snapshot_rpc_3b(options: &RunOptions) -> RunReport {
    let mut h = KvHarness::new(options, 3, false, Some(MAX_RAFT_STATE));
    let ck = h.add_clerk();
    let verdict = (|| -> Step {
        h.put(ck, "a", "A")?;
        h.check_get(ck, "a", "A")?;
        // A bunch of puts into the majority partition.
        h.partition(&[0, 1], &[2]);
        let ck1 = h.add_clerk();
        h.restrict_clerk(ck1, &[0, 1]);
        for i in 0..50 {
            h.put(ck1, &i.to_string(), &i.to_string())?;
        }
        h.sleep_ms(ELECTION_TIMEOUT_MS)?;
        h.put(ck1, "b", "B")?;
        // The majority has thrown away most of its log.
        let size = h.log_size();
        if size > 8 * MAX_RAFT_STATE {
            return Err(h.fail(
                checks::LOG_SIZE,
                format!("logs were not trimmed ({size} > 8*{MAX_RAFT_STATE})"),
            ));
        }
        // A group that needs the lagging server, which must catch up.
        h.partition(&[0, 2], &[1]);
        let ck2 = h.add_clerk();
        h.restrict_clerk(ck2, &[0, 2]);
        h.put(ck2, "c", "C")?;
        h.put(ck2, "d", "D")?;
        for (key, value) in [("a", "A"), ("b", "B"), ("1", "1"), ("49", "49")] {
            h.check_get(ck2, key, value)?;
        }
        // Now everybody.
        h.partition(&[0, 1, 2], &[]);
        h.put(ck2, "e", "E")?;
        for (key, value) in [("c", "C"), ("e", "E"), ("1", "1")] {
            h.check_get(ck2, key, value)?;
        }
        h.check_sizes()
    })();
    h.report(verdict)
}

/// TestSnapshotSize3B: 800 operations; Raft state within 8 × maxraftstate and small snapshots.
pub fn snapshot_size_3b(options: &RunOptions) -> RunReport {
    let mut h = KvHarness::new(options, 3, false, Some(MAX_RAFT_STATE));
    let ck = h.add_clerk();
    let verdict = (|| -> Step {
        for _ in 0..200 {
            h.put(ck, "x", "0")?;
            h.check_get(ck, "x", "0")?;
            h.put(ck, "x", "1")?;
            h.check_get(ck, "x", "1")?;
        }
        h.check_sizes()?;
        let (log, snapshot) = (h.log_size(), h.snapshot_size());
        h.metric("raft-state-bytes", log as u64);
        h.metric("snapshot-bytes", snapshot as u64);
        if snapshot == 0 {
            return Err(h.fail(checks::SNAPSHOT_SIZE, "no snapshot was taken"));
        }
        if snapshot > SNAPSHOT_SIZE_BOUND {
            return Err(h.fail(
                checks::SNAPSHOT_SIZE,
                format!("snapshot too large ({snapshot} > {SNAPSHOT_SIZE_BOUND})"),
            ));
        }
        Ok(())
    })();
    h.report(verdict)
}
