//! `ctrler-random`: 3 or 5 controller servers, a few clerks joining, leaving and moving
//! groups and querying, under the seed's swarm of faults; then a heal, after which every
//! pending operation completes within a bound. Every configuration is checked valid,
//! balanced, minimal and the same on every replica as it is created, every Query answer
//! fresh and matching the log, and at the end every replica holds the same configurations.

use super::checks;
use super::harness::CtrlerHarness;
use super::workload::CtrlerOps;
use crate::raft::harness::reliable_network;
use protocol_core::rng::{range_inclusive, Ratio};
use protocol_core::{NodeId, Time};
use sim::fault::{SwarmLimits, SwarmMix};
use sim_kit::clients::ClosedLoop;
use sim_kit::{RunOptions, RunReport, Step};

/// Faults last this long from the start.
const HEAL_AT: Time = Time::from_secs(10);
/// After the heal every pending operation completes within this.
const COMPLETION_BOUND_MS: u64 = 10_000;

#[derive(Clone, Debug)]
struct Shape {
    servers: u32,
    clerks: usize,
    max_gid: u64,
    max_raft_state: Option<usize>,
    think_max_us: u64,
}

fn draw_shape(options: &RunOptions) -> Shape {
    let mut rng = options.rng("ctrler-shape");
    Shape {
        servers: [3, 5][range_inclusive(&mut rng, 0, 1) as usize],
        clerks: range_inclusive(&mut rng, 2, 5) as usize,
        max_gid: range_inclusive(&mut rng, 3, 12),
        max_raft_state: Ratio::new(1, 2)
            .chance(&mut rng)
            .then(|| range_inclusive(&mut rng, 500, 4_000) as usize),
        think_max_us: range_inclusive(&mut rng, 0, 30_000),
    }
}

pub fn random(options: &RunOptions) -> RunReport {
    let shape = draw_shape(options);
    let mut h = CtrlerHarness::new(
        options,
        shape.servers,
        shape.max_raft_state,
        reliable_network(),
    );
    let clerks: Vec<NodeId> = (0..shape.clerks).map(|_| h.add_clerk()).collect();
    let mut faults = h.rng("faults");
    let mix = SwarmMix::draw(&mut faults, &SwarmLimits::everything(h.servers.len()));
    // A seed runs the whole phase; a buffer may shorten it (a shrinker's shorter run).
    let heal_at = Time::from_ms(options.choices.run_length(0, HEAL_AT.as_ms()));
    let plan = mix.plan(&mut faults, &h.servers, Time::ZERO, heal_at);
    h.sim.schedule_plan(&plan);
    // Storage faults too: corruption falls on a minority of the servers.
    let servers = h.servers.clone();
    h.storage_mix(&[servers], Time::ZERO, heal_at);
    h.fact("shape", format!("{shape:?}"));
    h.fact("mix", mix.describe());
    let ops = CtrlerOps::Random {
        max_gid: shape.max_gid,
    };
    let rng = h.rng("ops");
    h.hooks = ClosedLoop::new(ops, clerks, (0, shape.think_max_us), rng);
    let verdict = (|| -> Step {
        let now = h.now();
        h.hooks.start(now);
        h.run_until(heal_at)?;
        h.hooks.stop();
        let deadline = h.now().plus_ms(COMPLETION_BOUND_MS);
        if !h.run_until_done(deadline, |h| h.hooks.all_idle())? {
            let message = format!("operations pending {COMPLETION_BOUND_MS} ms after the heal");
            return Err(h.fail(checks::LIVENESS, message));
        }
        Ok(())
    })();
    h.report(verdict)
}
