//! `shardkv-random`: a controller and two to four replica groups, clerks on random keys, and
//! groups joining and leaving at random (a shard moved now and then, one group always
//! joined), under the seed's swarm of faults on every server; then a heal, after which every
//! pending operation, the last membership change and a fresh clerk's read of every key
//! complete within a bound, every group settles at the latest configuration holding only
//! the shards it serves, and the whole history is linearizable.

use super::checks;
use super::clients::{keys, KvOps, Membership};
use super::harness::ShardKvHarness;
use kvraft::Op;
use protocol_core::rng::{range_inclusive, Ratio};
use protocol_core::NodeId;
use shardctrler::GroupId;
use sim::fault::{SwarmLimits, SwarmMix};
use sim_kit::{RunOptions, RunReport, Step};
use std::collections::BTreeSet;

/// How long faults last, from the start of the workload.
const FAULT_PHASE_MS: u64 = 15_000;
/// After the heal, every pending operation and the final reads complete within this.
const COMPLETION_BOUND_MS: u64 = 15_000;

/// What one seed draws: groups and their sizes, clerks, keys, snapshots, pacing.
#[derive(Clone, Debug)]
struct Shape {
    group_sizes: Vec<u32>,
    clerks: usize,
    keys: usize,
    max_raft_state: Option<usize>,
    think_max_us: u64,
    membership_gap_ms: (u64, u64),
}

fn draw_shape(options: &RunOptions) -> Shape {
    let mut rng = options.rng("shardkv-shape");
    let groups = range_inclusive(&mut rng, 2, 4) as usize;
    let gap_min = range_inclusive(&mut rng, 100, 1_500);
    Shape {
        group_sizes: (0..groups)
            .map(|_| [3, 3, 5][range_inclusive(&mut rng, 0, 2) as usize])
            .collect(),
        clerks: range_inclusive(&mut rng, 2, 6) as usize,
        keys: range_inclusive(&mut rng, 3, 20) as usize,
        max_raft_state: Ratio::new(2, 3)
            .chance(&mut rng)
            .then(|| range_inclusive(&mut rng, 200, 3_000) as usize),
        think_max_us: range_inclusive(&mut rng, 1_000, 40_000),
        membership_gap_ms: (gap_min, 2 * gap_min),
    }
}

pub fn random(options: &RunOptions) -> RunReport {
    let shape = draw_shape(options);
    let mut h =
        ShardKvHarness::with_groups(options, &shape.group_sizes, false, shape.max_raft_state);
    let clerks: Vec<NodeId> = (0..shape.clerks).map(|_| h.add_clerk()).collect();
    h.fact("shape", format!("{shape:?}"));
    let verdict = (|| -> Step {
        h.join(0)?;
        let servers: Vec<NodeId> = h.ctrlers.iter().copied().chain(h.group_servers()).collect();
        let mut faults = h.rng("faults");
        let mix = SwarmMix::draw(&mut faults, &SwarmLimits::everything(servers.len()));
        // A seed runs the whole phase; a buffer may shorten it (a shrinker's shorter run).
        let heal_at = h
            .now()
            .plus_ms(options.choices.run_length(0, FAULT_PHASE_MS));
        let plan = mix.plan(&mut faults, &servers, h.now(), heal_at);
        h.sim.schedule_plan(&plan);
        // Storage faults too: corruption falls on a minority of each Raft group.
        let mut groups: Vec<Vec<NodeId>> = vec![h.ctrlers.clone()];
        groups.extend(h.groups.iter().map(|(_, servers)| servers.clone()));
        let start = h.now();
        h.storage_mix(&groups, start, heal_at);
        h.fact("mix", mix.describe());
        h.metric("fault-actions", plan.actions.len() as u64);
        start_workload(&mut h, clerks, &shape);
        h.run_until(heal_at)?;
        // The plan's last action healed everything: links up, network reliable, all up.
        finish(&mut h, shape.keys)
    })();
    if let Some(m) = &h.hooks.membership {
        let changes = m.changes;
        h.metric("membership-changes", changes);
    }
    h.report(verdict)
}

/// Clerks on random keys, and groups joining and leaving from now on.
fn start_workload(h: &mut ShardKvHarness, clerks: Vec<NodeId>, shape: &Shape) {
    let n = clerks.len();
    h.start_clients(
        clerks,
        KvOps::random(keys(shape.keys), n),
        (0, shape.think_max_us),
    );
    let groups = h
        .groups
        .iter()
        .map(|(gid, servers)| (*gid, servers.clone()))
        .collect();
    let joined: BTreeSet<GroupId> = [h.gid(0)].into_iter().collect();
    let rng = h.rng("membership");
    let mut membership = Membership::new(h.mck, groups, joined, shape.membership_gap_ms, rng);
    membership.start(h.now());
    h.hooks.membership = Some(membership);
}

/// After the heal: the clients and the membership stop; what is under way completes, then
/// a fresh clerk reads every key, all within the bound.
fn finish(h: &mut ShardKvHarness, keys: usize) -> Step {
    h.hooks.clients.stop();
    if let Some(m) = h.hooks.membership.as_mut() {
        m.stop();
    }
    let deadline = h.now().plus_ms(COMPLETION_BOUND_MS);
    let idle = |h: &super::harness::ShardKvKit| {
        h.hooks.clients.all_idle() && h.hooks.membership.as_ref().is_none_or(Membership::is_idle)
    };
    if !h.run_until_done(deadline, idle)? {
        let pending = h
            .sim
            .observer()
            .operations()
            .iter()
            .filter(|op| op.ret.is_none())
            .count();
        let message =
            format!("{pending} operations still pending {COMPLETION_BOUND_MS} ms after the heal");
        return Err(h.fail(checks::LIVENESS, message));
    }
    let reader = h.add_clerk();
    for key in 0..keys {
        let index = h.invoke(
            reader,
            Op::Get {
                key: key.to_string(),
            },
        )?;
        let left_ms = deadline.micros_since(h.now().min(deadline)) / 1_000;
        if h.wait_op(index, left_ms)?.is_none() {
            let message = format!(
                "the final Get({key:?}) did not complete {COMPLETION_BOUND_MS} ms after the heal"
            );
            return Err(h.fail(checks::LIVENESS, message));
        }
    }
    h.metric("final-reads", keys as u64);
    Ok(())
}
