//! `GenericTest` and `GenericTestSpeed`: the course's rounds of client loops under faults.

use super::checks;
use super::harness::{KvHarness, Step, ELECTION_TIMEOUT_MS};
use super::values::check_clnt_appends;
use protocol_core::rng::{range_inclusive, Ratio};
use protocol_core::{NodeId, Time};
use sim::FaultAction;
use sim_kit::{RunOptions, RunReport};

/// A client's pause between operations, in µs: none, as in the course, whose clients loop
/// back to back. (It was 5-50 ms while every persist rewrote Raft's whole state, which made an
/// uncompacted 3A run quadratic in its log; Raft now appends to its log file.)
pub const THINK_US: (u64, u64) = (0, 0);

/// Maximum raft state for the 3B tests, as in the course.
pub const MAX_RAFT_STATE: usize = 1_000;

/// One `GenericTest(part, nclients, nservers, unreliable, crash, partitions, maxraftstate,
/// randomkeys)`.
#[derive(Clone, Copy, Debug)]
pub struct Generic {
    pub clients: usize,
    pub servers: usize,
    pub unreliable: bool,
    pub crash: bool,
    pub partitions: bool,
    pub max_raft_state: Option<usize>,
    pub random_keys: bool,
}

const BASE: Generic = Generic {
    clients: 1,
    servers: 5,
    unreliable: false,
    crash: false,
    partitions: false,
    max_raft_state: None,
    random_keys: false,
};

const SNAP: Option<usize> = Some(MAX_RAFT_STATE);

pub fn generic(options: &RunOptions, g: Generic) -> RunReport {
    let mut h = KvHarness::new(options, g.servers, g.unreliable, g.max_raft_state);
    let ck = h.add_clerk();
    let clerks: Vec<NodeId> = (0..g.clients).map(|_| h.add_clerk()).collect();
    let verdict = (|| -> Step {
        for _ in 0..3 {
            generic_round(&mut h, ck, &clerks, &g)?;
        }
        Ok(())
    })();
    h.report(verdict)
}

fn generic_round(h: &mut KvHarness, ck: NodeId, clerks: &[NodeId], g: &Generic) -> Step {
    let start = h.now();
    h.clients()
        .start_round(clerks, g.random_keys, g.clients, THINK_US, start);
    if g.partitions {
        schedule_partitioner(h, start.plus_ms(1_000), start.plus_ms(5_000));
    }
    h.sleep_ms(5_000)?;
    h.clients().stop();
    if g.partitions {
        // A minority request may be stuck until a new term starts.
        h.connect_all();
        h.sleep_ms(ELECTION_TIMEOUT_MS)?;
    }
    if g.crash {
        h.shutdown_all();
        h.sleep_ms(ELECTION_TIMEOUT_MS)?;
        h.restart_all();
    }
    let deadline = h.now().plus_ms(30_000);
    let idle = h.run_until_done(deadline, |h| h.hooks.clients.all_idle())?;
    if !idle {
        let message = "client operations did not complete within 30 s";
        return Err(h.fail(checks::LIVENESS, message));
    }
    for (cli, (_, count)) in h.clients().counts().into_iter().enumerate() {
        let value = h.get(ck, &cli.to_string())?;
        if !g.random_keys {
            check_clnt_appends(h, cli, &value, count)?;
        }
    }
    h.check_sizes()
}

/// The course's partitioner: every 1 s plus 0–199 ms, split the servers at random in two.
fn schedule_partitioner(h: &mut KvHarness, from: Time, until: Time) {
    let mut at = from;
    while at < until {
        let mut sides = [Vec::new(), Vec::new()];
        for id in h.server_ids() {
            let side = usize::from(Ratio::new(1, 2).chance(h.rng()));
            sides[side].push(id);
        }
        h.sim.schedule(at, FaultAction::Partition(sides.to_vec()));
        at = at.plus_ms(ELECTION_TIMEOUT_MS + range_inclusive(h.rng(), 0, 199));
    }
}

/// `GenericTestSpeed`: 1000 sequential appends by one clerk, each within a third of a
/// heartbeat interval on average (the leader must not wait for a heartbeat to replicate).
pub fn speed(options: &RunOptions, max_raft_state: Option<usize>) -> RunReport {
    const OPS: u64 = 1_000;
    let mut h = KvHarness::new(options, 3, false, max_raft_state);
    let ck = h.add_clerk();
    let verdict = (|| -> Step {
        h.get(ck, "x")?; // wait until there is a leader
        let start = h.now();
        for i in 0..OPS {
            h.append(ck, "x", &format!("x 0 {i} y"))?;
        }
        let elapsed_us = h.now().micros_since(start);
        let value = h.get(ck, "x")?;
        check_clnt_appends(&mut h, 0, &value, OPS)?;
        let heartbeat_us = raft::Config::with_size(3).heartbeat_interval_ms * 1_000;
        let bound_us = OPS * heartbeat_us / 3;
        h.metric("appends-virtual-ms", elapsed_us / 1_000);
        h.metric("appends-bound-ms", bound_us / 1_000);
        if elapsed_us > bound_us {
            let message = format!(
                "operations completed too slowly {} ms/op > {} ms/op",
                elapsed_us / OPS / 1_000,
                bound_us / OPS / 1_000
            );
            return Err(h.fail(checks::SPEED, message));
        }
        h.check_sizes()
    })();
    h.report(verdict)
}

macro_rules! generic_tests {
    ($($fn_name:ident, $g:expr;)*) => {
        $(pub fn $fn_name(options: &RunOptions) -> RunReport {
            generic(options, $g)
        })*
    };
}

generic_tests! {
    basic_3a, BASE;
    concurrent_3a, Generic { clients: 5, ..BASE };
    unreliable_3a, Generic { clients: 5, unreliable: true, ..BASE };
    many_partitions_one_client_3a, Generic { partitions: true, ..BASE };
    many_partitions_many_clients_3a, Generic { clients: 5, partitions: true, ..BASE };
    persist_one_client_3a, Generic { crash: true, ..BASE };
    persist_concurrent_3a, Generic { clients: 5, crash: true, ..BASE };
    persist_concurrent_unreliable_3a, Generic { clients: 5, unreliable: true, crash: true, ..BASE };
    persist_partition_3a, Generic { clients: 5, crash: true, partitions: true, ..BASE };
    persist_partition_unreliable_3a, Generic { clients: 5, unreliable: true, crash: true, partitions: true, ..BASE };
    persist_partition_unreliable_linearizable_3a, Generic { clients: 15, servers: 7, unreliable: true, crash: true, partitions: true, random_keys: true, ..BASE };
    snapshot_recover_3b, Generic { crash: true, max_raft_state: SNAP, ..BASE };
    snapshot_recover_many_clients_3b, Generic { clients: 20, crash: true, max_raft_state: SNAP, ..BASE };
    snapshot_unreliable_3b, Generic { clients: 5, unreliable: true, max_raft_state: SNAP, ..BASE };
    snapshot_unreliable_recover_3b, Generic { clients: 5, unreliable: true, crash: true, max_raft_state: SNAP, ..BASE };
    snapshot_unreliable_recover_concurrent_partition_3b, Generic { clients: 5, unreliable: true, crash: true, partitions: true, max_raft_state: SNAP, ..BASE };
    snapshot_unreliable_recover_concurrent_partition_linearizable_3b, Generic { clients: 15, servers: 7, unreliable: true, crash: true, partitions: true, max_raft_state: SNAP, random_keys: true };
}

pub fn speed_3a(options: &RunOptions) -> RunReport {
    speed(options, None)
}

pub fn speed_3b(options: &RunOptions) -> RunReport {
    speed(options, SNAP)
}
