//! The lossy churn run the fault tests and the mutant tests share.

use super::history::token;
use super::{Tester, COMPLETES};
use kvraft::Op;
use protocol_core::rng::{self, Ratio, Rng};
use protocol_core::{NodeId, Violation};

const GROUPS: [u64; 3] = [100, 101, 102];

fn keys() -> Vec<String> {
    (0..10).map(|i| i.to_string()).collect()
}

/// Five clerks appending to and reading ten keys while groups join and leave at random (one
/// always stays joined), servers and whole groups crash and restart, links are cut (a server
/// from everyone, two groups from each other during migration, a controller server), and 5%
/// of messages are lost and 3% duplicated; then everything heals and every operation must
/// complete, every final value hold each returned append once, and every group settle.
pub fn churn(seed: u64, mutant: Option<shardkv::Mutant>) -> Result<Tester, Violation> {
    let mut t = Tester::new(seed, &GROUPS, 3, Some(1_000), mutant);
    let clerks: Vec<usize> = (0..5).map(|_| t.add_clerk(None)).collect();
    t.join(&[100]);
    let mut rng = rng::rng_from_seed(seed);
    t.rig.loss = Ratio::percent(5);
    t.rig.duplicate = Ratio::percent(3);
    let mut joined = vec![100u64];
    let mut n = 0;
    let deadline = t.now().plus_ms(15_000);
    while t.now() < deadline {
        for &c in &clerks {
            if !t.busy(c) {
                let key = keys()[rng::index(&mut rng, 10)].clone();
                n += 1;
                let op = match rng::range_inclusive(&mut rng, 0, 3) {
                    0 => Op::Get { key },
                    _ => Op::Append {
                        key,
                        value: token(c, n),
                    },
                };
                t.invoke(c, op);
            }
        }
        fault(&mut t, &mut rng, &mut joined)?;
        t.run_ms(10)?;
    }
    t.rig.heal();
    t.rig.loss = Ratio::NEVER;
    t.rig.duplicate = Ratio::NEVER;
    t.run_ms(5_000)?;
    if let Some(c) = clerks.iter().find(|&&c| t.busy(c)) {
        let message = format!(
            "seed {seed}: clerk {} still busy 5 s after healing",
            t.clerks[*c]
        );
        return Err(Violation::new(COMPLETES, message));
    }
    t.check_quiescent()?;
    let reader = t.add_clerk(None);
    for key in keys() {
        let value = t.call(reader, Op::Get { key: key.clone() }, 5_000)?;
        t.history.check_final(&key, &value)?;
    }
    Ok(t)
}

/// One step of the fault plan: mostly nothing, sometimes one fault.
fn fault(t: &mut Tester, rng: &mut Rng, joined: &mut Vec<u64>) -> Result<(), Violation> {
    let gid = GROUPS[rng::index(rng, 3)];
    match rng::range_inclusive(rng, 0, 399) {
        0..=2 => {
            // The tester waits for the controller; cut links could leave it no majority.
            t.rig.heal();
            if joined.contains(&gid) && joined.len() > 1 {
                joined.retain(|&g| g != gid);
                t.leave(&[gid]);
            } else if !joined.contains(&gid) {
                joined.push(gid);
                t.join(&[gid]);
            }
        }
        3 => {
            let servers: Vec<NodeId> = t.groups.values().flatten().copied().collect();
            let id = servers[rng::index(rng, servers.len())];
            t.rig.restart(id);
            t.shards.restarted(id);
        }
        4 => {
            t.shutdown_group(gid);
            t.run_ms(rng::range_inclusive(rng, 0, 500))?;
            t.start_group(gid);
        }
        5 | 6 => {
            let servers = &t.groups[&shardctrler::GroupId(gid)];
            let id = servers[rng::index(rng, servers.len())];
            isolate(t, id);
        }
        7 => {
            let other = GROUPS[(GROUPS.iter().position(|&g| g == gid).unwrap_or(0) + 1) % 3];
            let a = t.groups[&shardctrler::GroupId(gid)].clone();
            let b = t.groups[&shardctrler::GroupId(other)].clone();
            t.rig.partition(&a, &b);
        }
        8 => {
            let id = t.ctrlers[rng::index(rng, t.ctrlers.len())];
            isolate(t, id);
        }
        9..=14 => t.rig.heal(),
        _ => {}
    }
    Ok(())
}

/// Cuts `id` off from every other node.
fn isolate(t: &mut Tester, id: NodeId) {
    let others: Vec<NodeId> = (0..t.rig.len() as u32)
        .map(NodeId)
        .filter(|&n| n != id)
        .collect();
    t.rig.partition(&[id], &others);
}
