//! `kv-random`: a random cluster and workload under the seed's swarm of faults, then a heal
//! phase in which every pending operation, then a fresh clerk's Get of every key, must
//! complete; the whole history, final reads included, must be linearizable.

use super::checks;
use super::harness::{KvHarness, Step};
use kvraft::Op;
use protocol_core::rng::{range_inclusive, Ratio};
use protocol_core::{NodeId, Time};
use sim::fault::{SwarmLimits, SwarmMix};
use sim_kit::{RunOptions, RunReport};

/// How long faults last, from the start of the workload.
const FAULT_PHASE_MS: u64 = 20_000;
/// After healing, every pending operation and the final reads must complete within this.
const COMPLETION_BOUND_MS: u64 = 10_000;

/// What one seed draws: the cluster, the workload and the snapshot threshold.
#[derive(Clone, Debug)]
struct Shape {
    servers: usize,
    clients: usize,
    key_spread: usize,
    max_raft_state: Option<usize>,
}

fn draw_shape(options: &RunOptions) -> Shape {
    let mut rng = options.rng("kv-shape");
    Shape {
        servers: range_inclusive(&mut rng, 3, 7) as usize,
        clients: range_inclusive(&mut rng, 1, 6) as usize,
        key_spread: range_inclusive(&mut rng, 2, 6) as usize,
        max_raft_state: Ratio::new(2, 3)
            .chance(&mut rng)
            .then(|| range_inclusive(&mut rng, 300, 5_000) as usize),
    }
}

/// A fresh clerk reads every key, one at a time, all by `deadline`. The reads join the
/// history, so the linearizability check judges what they return against everything before.
fn read_every_key(h: &mut KvHarness, keys: usize, deadline: Time) -> Step {
    let reader = h.add_clerk();
    for key in 0..keys {
        let index = h.invoke(
            reader,
            Op::Get {
                key: key.to_string(),
            },
        )?;
        let left_ms = deadline.micros_since(h.now()) / 1_000;
        if h.wait_op(index, left_ms)?.is_none() {
            let message = format!(
                "the final Get({key:?}) did not complete {COMPLETION_BOUND_MS} ms after healing"
            );
            return Err(h.fail(checks::LIVENESS, message));
        }
    }
    Ok(())
}

pub fn kv_random(options: &RunOptions) -> RunReport {
    let shape = draw_shape(options);
    let mut h = KvHarness::new(options, shape.servers, false, shape.max_raft_state);
    let clerks: Vec<NodeId> = (0..shape.clients).map(|_| h.add_clerk()).collect();
    let mut plan_rng = h.sim.derive_rng("faults");
    let limits = SwarmLimits::everything(shape.servers);
    let mix = SwarmMix::draw(&mut plan_rng, &limits);
    let start = Time::from_ms(range_inclusive(&mut plan_rng, 0, 2_000));
    // A seed runs the whole phase; a buffer may shorten it (a shrinker's shorter run), never
    // to before the plan starts.
    let heal_at = Time::from_ms(options.choices.run_length(2_000, FAULT_PHASE_MS));
    let plan = mix.plan(&mut plan_rng, &h.server_ids(), start, heal_at);
    h.sim.schedule_plan(&plan);
    let servers = h.server_ids();
    h.storage_mix(&[servers], start, heal_at);
    h.fact("shape", format!("{shape:?}"));
    h.fact("mix", mix.describe());
    h.metric("fault-actions", plan.actions.len() as u64);
    let verdict = (|| -> Step {
        let now = h.now();
        // Clients loop without a pause, as the course's do.
        let think = (0, 0);
        h.clients()
            .start_round(&clerks, true, shape.key_spread, think, now);
        h.run_until(heal_at)?;
        // Heal phase (the plan's last action): links up, network reliable, servers restarted.
        h.clients().stop();
        let deadline = h.now().plus_ms(COMPLETION_BOUND_MS);
        if !h.run_until_done(deadline, |h| h.hooks.clients.all_idle())? {
            let pending = h
                .sim
                .observer()
                .operations()
                .iter()
                .filter(|op| op.ret.is_none())
                .count();
            let message = format!(
                "{pending} operations still pending {COMPLETION_BOUND_MS} ms after healing"
            );
            return Err(h.fail(checks::LIVENESS, message));
        }
        read_every_key(&mut h, shape.key_spread, deadline)?;
        h.metric("final-reads", shape.key_spread as u64);
        h.check_sizes_after_heal()
    })();
    h.report(verdict)
}
