//! `raft-storage`: Raft on disks that fail as often as they can. Where `raft-random` draws
//! each storage fault class on or off per seed, here every class the run allows is on, at
//! high rates: a slow disk (so crashes catch writes in flight), a crash every few hundred
//! milliseconds, snapshots every ten entries, latent errors, misdirected writes and failed
//! syncs on one server of three. Then everything heals; a command must commit on every server
//! still alive, with every commit a client saw in the final log.
//!
//! It is where a storage bug shows within a few seeds, so the tests that show each storage
//! fault class matters (`scenarios/tests/storage.rs`) run it with one class on and off.

use super::churn::check_final_log;
use super::clients::ChurnClient;
use super::harness::{RaftHarness, Step, ELECTION_TIMEOUT_MS};
use protocol_core::rng::{index, range_inclusive, Ratio};
use protocol_core::{NodeId, Time};
use sim::fault::SwarmMix;
use sim::network::LatencyModel;
use sim::{NetworkConfig, StorageClass, StorageConfig};
use sim_kit::{RunOptions, RunReport, Scenario};

pub const SCENARIOS: &[Scenario] = &[Scenario::new("raft-storage", "3 servers, clients, snapshots, a slow disk, crashes every few hundred ms, every storage fault class the run allows at high rates on one server; then heal: a new command commits on every live server and no client-seen commit is lost", raft_storage)];

const SERVERS: usize = 3;
const FAULT_PHASE: Time = Time::from_secs(20);

/// Every allowed class on: a disk slow enough that crashes catch writes in flight.
fn storage(options: &RunOptions, victim: NodeId) -> StorageConfig {
    StorageConfig {
        sync_latency: LatencyModel {
            min_us: 500,
            max_us: 5_000,
            tail: Ratio::percent(5),
            tail_max_us: 30_000,
        },
        classes: options.storage_faults,
        mid_step: Ratio::new(1, 2),
        misdirect: Ratio::new(1, 10),
        sync_error: Ratio::new(1, 50),
        victims: vec![victim],
    }
}

/// Crashes every 100-400 ms, one server down at a time; a lossy, jittery network.
fn faults() -> SwarmMix {
    SwarmMix {
        network: NetworkConfig {
            latency: LatencyModel::uniform(100, 3_000),
            loss: Ratio::percent(5),
            ..NetworkConfig::reliable()
        },
        partition_gap_ms: None,
        one_way_links: false,
        crash_gap_ms: Some(200),
        max_crashed: 1,
        pause_gap_ms: None,
        drift_max_ppm: 0,
    }
}

fn raft_storage(options: &RunOptions) -> RunReport {
    let mut h = RaftHarness::new(options, SERVERS, false, true);
    let mut plan_rng = h.sim.derive_rng("faults");
    let victim = NodeId(index(&mut plan_rng, SERVERS) as u32);
    let config = storage(options, victim);
    h.fact("storage", format!("{} on {victim}", config.classes));
    h.sim.set_storage(config);
    let mut plan = faults().plan(&mut plan_rng, &h.ids(), Time::ZERO, FAULT_PHASE);
    if options.storage_faults.contains(StorageClass::LatentErrors) {
        let mut at = Time::from_ms(range_inclusive(&mut plan_rng, 0, 300));
        while at < FAULT_PHASE {
            plan.push(at, sim::FaultAction::LatentError(victim));
            at = at.plus_ms(range_inclusive(&mut plan_rng, 100, 500));
        }
        plan.sort();
    }
    h.sim.schedule_plan(&plan);
    h.metric("fault-actions", plan.actions.len() as u64);
    let verdict = (|| -> Step {
        let mut clients: Vec<ChurnClient> = (0..2).map(|id| ChurnClient::new(&h, id)).collect();
        h.run_actors(&mut clients, FAULT_PHASE)?;
        clients.iter_mut().for_each(ChurnClient::stop);
        let until = h.sim.now().plus_ms(ELECTION_TIMEOUT_MS);
        h.run_actors(&mut clients, until)?;
        let values: Vec<u64> = clients
            .iter()
            .flat_map(|c| c.values.iter().copied())
            .collect();
        h.metric("client-commits", values.len() as u64);
        let failures = h.sim.stats().disk_failures;
        h.metric("disk-failures", failures);
        check_final_log(&mut h, &values)
    })();
    h.report(verdict)
}
