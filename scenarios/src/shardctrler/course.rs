//! The course's controller tests: TestBasic and TestMulti (their sub-tests as steps, in the
//! course's order) and the later course's TestMinimalAgain. Reliable network, 3 servers, no
//! snapshots, as in the course. The course's minimal-transfer steps look at gids 1..10, none
//! of which is in play, so they pass whatever moves; here they look at the groups in play,
//! and the watch checks every configuration against the least moves any balanced one needs.

use super::checks;
use super::course_checks::{groups_problem, minimal_problem, servers_problem, Change};
use super::harness::{groups, join, leave, CtrlerHarness};
use crate::raft::harness::reliable_network;
use protocol_core::NodeId;
use shardctrler::{Answer, Config, GroupId, ShardId, NSHARDS};
use sim_kit::{RunOptions, RunReport, Step};

/// The course's `npara`: concurrent clerks.
const NPARA: u64 = 10;

fn tester(options: &RunOptions) -> (CtrlerHarness, NodeId) {
    let mut h = CtrlerHarness::new(options, 3, None, reliable_network());
    let ck = h.add_clerk();
    (h, ck)
}

/// The course's `check(groups)` on the latest configuration, which it returns for the
/// test's next steps.
pub fn check(h: &mut CtrlerHarness, ck: NodeId, gids: &[u64]) -> Step<Config> {
    let c = h.query(ck, None)?;
    match groups_problem(&c, gids) {
        Some(what) => Err(h.fail(checks::CHECK_GROUPS, what)),
        None => Ok(c),
    }
}

fn check_servers(h: &mut CtrlerHarness, c: &Config, gids: &[u64], count: u32) -> Step {
    match servers_problem(c, &groups(gids, count)) {
        Some(what) => Err(h.fail(checks::SERVER_LIST, what)),
        None => Ok(()),
    }
}

fn check_minimal(
    h: &mut CtrlerHarness,
    change: Change,
    configs: (&Config, &Config),
    bound: Option<usize>,
) -> Step {
    match minimal_problem(change, configs, bound) {
        Some(what) => Err(h.fail(checks::MINIMAL_TRANSFERS, what)),
        None => Ok(()),
    }
}

/// "Basic leave/join": the configurations recorded along the way; the fourth is left as
/// configuration 0, as in the course, so Query(0) is asked for too.
fn basic_leave_join(h: &mut CtrlerHarness, ck: NodeId) -> Step<Vec<Config>> {
    let mut cfa = vec![check(h, ck, &[])?];
    h.call(ck, join(&[1], 3))?;
    cfa.push(check(h, ck, &[1])?);
    h.call(ck, join(&[2], 3))?;
    let c = check(h, ck, &[1, 2])?;
    check_servers(h, &c, &[1, 2], 3)?;
    cfa.push(c);
    cfa.push(Config::initial());
    h.call(ck, leave(&[1]))?;
    cfa.push(check(h, ck, &[2])?);
    h.call(ck, leave(&[2]))?;
    cfa.push(h.query(ck, None)?);
    Ok(cfa)
}

/// "Historical queries": with each server shut down in turn, every recorded configuration
/// is what Query of its number returns.
fn historical_queries(h: &mut CtrlerHarness, ck: NodeId, cfa: &[Config]) -> Step {
    for server in h.servers.clone() {
        h.shutdown(server);
        for recorded in cfa {
            let got = h.query(ck, Some(recorded.num.0))?;
            if &got != recorded {
                let message = format!(
                    "{server} down: Query({}) = {got:?}, recorded {recorded:?}",
                    recorded.num
                );
                return Err(h.fail(checks::HISTORICAL_QUERY, message));
            }
        }
        h.start(server);
    }
    Ok(())
}

/// "Move": shards 0-4 to 503 and 5-9 to 504, each Move that changes an owner creating a
/// new configuration.
fn moves(h: &mut CtrlerHarness, ck: NodeId) -> Step {
    h.call(ck, join(&[503], 3))?;
    h.call(ck, join(&[504], 3))?;
    let target = |s: u32| if (s as usize) < NSHARDS / 2 { 503 } else { 504 };
    for s in 0..NSHARDS as u32 {
        let before = h.query(ck, None)?;
        let answer = h.move_shard(ck, s, target(s))?;
        let after = h.query(ck, None)?;
        let changed = before.owner(ShardId(s)) != GroupId(target(s));
        let problem = match answer {
            Answer::Rejected(why) => Some(format!("Move(s{s}, {}) rejected: {why}", target(s))),
            _ if changed && after.num <= before.num => {
                Some("Move should increase Config.Num".into())
            }
            _ => None,
        };
        if let Some(what) = problem {
            return Err(h.fail(checks::MOVE, format!("{}: {what}", after.num)));
        }
    }
    let last = h.query(ck, None)?;
    if let Some(s) = ShardId::all().find(|&s| last.owner(s) != GroupId(target(s.0))) {
        let message = format!(
            "{}: {s} on {}, moved to {}",
            last.num,
            last.owner(s),
            target(s.0)
        );
        return Err(h.fail(checks::MOVE, message));
    }
    h.call(ck, leave(&[503]))?;
    h.call(ck, leave(&[504])).map(drop)
}

/// Ten clerks, each running `script(gid)` for its own gid, at once; then `check(gids)`.
fn concurrent(
    h: &mut CtrlerHarness,
    ck: NodeId,
    gids: &[u64],
    script: impl Fn(u64) -> Vec<shardctrler::CtrlerOp>,
) -> Step {
    let clerks: Vec<NodeId> = gids.iter().map(|_| h.add_clerk()).collect();
    h.run_scripts(clerks, gids.iter().map(|&g| script(g)).collect())?;
    check(h, ck, gids).map(drop)
}

/// "Minimal transfers after joins" then "after leaves": groups 11..15 join (each alone, or
/// all at once) and leave again.
fn minimal_transfers(h: &mut CtrlerHarness, ck: NodeId, together: bool, count: u32) -> Step {
    let gids: Vec<u64> = (NPARA + 1..=NPARA + 5).collect();
    let c1 = h.query(ck, None)?;
    if together {
        h.call(ck, join(&gids, count))?;
    } else {
        for &g in &gids {
            h.call(ck, join(&[g], count))?;
        }
    }
    let c2 = h.query(ck, None)?;
    check_minimal(h, Change::Joins, (&c1, &c2), None)?;
    if together {
        h.call(ck, leave(&gids))?;
    } else {
        for &g in &gids {
            h.call(ck, leave(&[g]))?;
        }
    }
    let c3 = h.query(ck, None)?;
    check_minimal(h, Change::Leaves, (&c2, &c3), None)
}

/// TestBasic: basic leave/join, historical queries, Move, concurrent leave/join, minimal
/// transfers after joins and after leaves.
pub fn basic(options: &RunOptions) -> RunReport {
    let (mut h, ck) = tester(options);
    let verdict = (|| -> Step {
        let cfa = basic_leave_join(&mut h, ck)?;
        historical_queries(&mut h, ck, &cfa)?;
        moves(&mut h, ck)?;
        let gids: Vec<u64> = (0..NPARA).map(|i| 100 + 10 * i).collect();
        concurrent(&mut h, ck, &gids, |g| {
            vec![join(&[g + 1_000], 1), join(&[g], 1), leave(&[g + 1_000])]
        })?;
        minimal_transfers(&mut h, ck, false, 3)
    })();
    h.report(verdict)
}

/// "Multi-group join/leave": several groups in one Join and one Leave.
fn multi_join_leave(h: &mut CtrlerHarness, ck: NodeId) -> Step {
    check(h, ck, &[])?;
    h.call(ck, join(&[1, 2], 3))?;
    check(h, ck, &[1, 2])?;
    h.call(ck, join(&[3], 3))?;
    let c = check(h, ck, &[1, 2, 3])?;
    check_servers(h, &c, &[1, 2, 3], 3)?;
    h.call(ck, leave(&[1, 3]))?;
    let c = check(h, ck, &[2])?;
    check_servers(h, &c, &[2], 3)?;
    h.call(ck, leave(&[2])).map(drop)
}

/// "Check Same config on servers": the leader shut down, the next leader answers the same
/// configuration. (The course's loop checks for a leader once, at the instant of the
/// shutdown; here: eventually a leader, and the configuration unchanged.)
fn same_after_failover(h: &mut CtrlerHarness, ck: NodeId) -> Step {
    let c = h.query(ck, None)?;
    let Some(leader) = h.leader() else {
        return Err(h.fail(
            checks::SAME_AFTER_FAILOVER,
            "no leader after a Query returned",
        ));
    };
    h.shutdown(leader);
    let c1 = h.query(ck, None)?;
    if c1 != c {
        let message = format!("{leader} shut down: {c1:?}, before {c:?}");
        return Err(h.fail(checks::SAME_AFTER_FAILOVER, message));
    }
    Ok(())
}

/// TestMulti: multi-group join/leave, concurrent multi leave/join, minimal transfers after
/// multijoins and multileaves, the same configuration after the leader's shutdown.
pub fn multi(options: &RunOptions) -> RunReport {
    let (mut h, ck) = tester(options);
    let verdict = (|| -> Step {
        multi_join_leave(&mut h, ck)?;
        let gids: Vec<u64> = (0..NPARA).map(|i| 1_000 + i).collect();
        let script = |g: u64| {
            let mut op = join(&[g], 3);
            if let shardctrler::CtrlerOp::Join { groups } = &mut op {
                groups.extend(super::harness::groups(&[g + 1_000, g + 2_000], 1));
            }
            vec![op, leave(&[g + 1_000, g + 2_000])]
        };
        concurrent(&mut h, ck, &gids, script)?;
        minimal_transfers(&mut h, ck, true, 2)?;
        same_after_failover(&mut h, ck)
    })();
    h.report(verdict)
}

/// TestMinimalAgain (6.5840 2024): a third group's Join and then a Leave each move only the
/// shards they must, at most NShards/3 + 1 of them.
pub fn minimal_again(options: &RunOptions) -> RunReport {
    let (mut h, ck) = tester(options);
    let bound = Some(NSHARDS / 3 + 1);
    let verdict = (|| -> Step {
        h.call(ck, join(&[1], 3))?;
        h.call(ck, join(&[2], 3))?;
        let c1 = h.query(ck, None)?;
        h.call(ck, join(&[3], 3))?;
        let c2 = h.query(ck, None)?;
        check_minimal(&mut h, Change::Joins, (&c1, &c2), bound)?;
        h.call(ck, leave(&[1]))?;
        let c3 = h.query(ck, None)?;
        check_minimal(&mut h, Change::Leaves, (&c2, &c3), bound)
    })();
    h.report(verdict)
}
