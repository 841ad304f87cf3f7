//! `raft-random`: everything at once, shaped by the seed. A cluster of 3, 5 or 7, snapshots
//! on or off, churn clients submitting throughout, and a fault plan from the seed's swarm mix
//! (loss, duplication, long reordering, partitions including one-way links, crashes and
//! restarts, pauses, clock drift) and of storage faults (unsynced writes lost and torn,
//! crashes within a step, latent errors, misdirected writes, failed syncs). Then everything
//! heals, and a command submitted after healing must commit on every server still alive (a
//! minority may have found its disk corrupt and stayed down) within 10 s, with every commit
//! a client saw in the final log.

use super::churn::check_final_log;
use super::clients::ChurnClient;
use super::goals::{LEADER_DEPOSED_WITH_UNCOMMITTED, SNAPSHOT_OVER_LONGER_LOG};
use super::harness::{RaftHarness, Step, ELECTION_TIMEOUT_MS};
use protocol_core::rng::{index, range_inclusive, Ratio};
use protocol_core::Time;
use sim::fault::{SwarmLimits, SwarmMix};
use sim_kit::Scenario;
use sim_kit::{RunOptions, RunReport};

pub const SCENARIOS: &[Scenario] = &[Scenario::new(
    "raft-random",
    "3/5/7 servers, clients, snapshots for some seeds, the seed's swarm of faults; then heal: a new command commits everywhere and no client-seen commit is lost",
    raft_random,
)
.with_goals(&[LEADER_DEPOSED_WITH_UNCOMMITTED, SNAPSHOT_OVER_LONGER_LOG])];

/// How long the faults last before everything heals.
const FAULT_PHASE: Time = Time::from_secs(30);

fn raft_random(options: &RunOptions) -> RunReport {
    let mut shape = options.rng("shape");
    let servers = [3, 5, 7][index(&mut shape, 3)];
    let snapshots = Ratio::new(1, 2).chance(&mut shape);
    let clients = range_inclusive(&mut shape, 1, 3);
    let mut h = RaftHarness::new(options, servers, false, snapshots);
    let mut plan_rng = h.sim.derive_rng("faults");
    let mix = SwarmMix::draw(&mut plan_rng, &SwarmLimits::everything(servers));
    let start = Time::from_ms(range_inclusive(&mut plan_rng, 0, 2_000));
    // A seed runs the whole phase; a buffer may shorten it (a shrinker's shorter run), never
    // to before the plan starts.
    let phase = Time::from_ms(options.choices.run_length(2_000, FAULT_PHASE.as_ms()));
    let plan = mix.plan(&mut plan_rng, &h.ids(), start, phase);
    h.sim.schedule_plan(&plan);
    let ids = h.ids();
    h.storage_mix(&[ids], start, phase);
    let shape = format!(
        "{servers} servers, {clients} clients, snapshots {}",
        if snapshots { "on" } else { "off" }
    );
    h.fact("shape", shape);
    h.fact("mix", mix.describe());
    h.metric("fault-actions", plan.actions.len() as u64);
    let verdict = (|| -> Step {
        let mut actors: Vec<ChurnClient> =
            (0..clients).map(|id| ChurnClient::new(&h, id)).collect();
        // The plan's last action heals everything at the phase's end.
        h.run_actors(&mut actors, phase)?;
        actors.iter_mut().for_each(ChurnClient::stop);
        let until = h.sim.now().plus_ms(ELECTION_TIMEOUT_MS);
        h.run_actors(&mut actors, until)?;
        let values: Vec<u64> = actors
            .iter()
            .flat_map(|c| c.values.iter().copied())
            .collect();
        h.metric("client-commits", values.len() as u64);
        check_final_log(&mut h, &values)
    })();
    h.report(verdict)
}
