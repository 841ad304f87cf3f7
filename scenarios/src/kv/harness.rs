//! The course's kvraft tester (`config.go`) on the simulator: servers and clerks as nodes of
//! one run, `ShutdownServer`/`StartServer`, partitions, `LogSize`/`SnapshotSize`, and a run loop
//! that drives the clients' operation loops, all in virtual time.

use super::watch::KvWatch;
use super::workload::Clients;
use crate::outcome::{RunOptions, RunReport};
use crate::raft::harness::{reliable_network, unreliable_network};
use kvraft::{ClerkConfig, KvConfig, KvNode, KvRequest, Op, ServerConfig};
use protocol_core::rng::{shuffle, Rng};
use protocol_core::{ClientId, NodeId, Time};
use sim::{Failure, FaultAction, Sim, Violation};

/// The course's election timeout, used by tests as a sleep length.
pub const ELECTION_TIMEOUT_MS: u64 = 1_000;
/// A course test fails if it runs longer than this.
pub const TIME_LIMIT: Time = Time::from_secs(120);

pub type Step<T = ()> = Result<T, Failure>;

pub struct KvHarness {
    pub sim: Sim<KvNode, KvWatch>,
    pub scenario: &'static str,
    pub servers: usize,
    pub max_raft_state: Option<usize>,
    pub rng: Rng,
    pub clients: Clients,
    /// Why an Unknown linearizability verdict is acceptable here, if it is.
    pub unknown_ok: Option<&'static str>,
    clerks: Vec<NodeId>,
    options: RunOptions,
}

impl KvHarness {
    /// `make_config(n, unreliable, maxraftstate)`: n servers, all connected.
    pub fn new(
        scenario: &'static str,
        options: &RunOptions,
        servers: usize,
        unreliable: bool,
        max_raft_state: Option<usize>,
    ) -> KvHarness {
        let (raft_mutant, kv_mutant) = super::parse_mutant(options.mutant.as_deref());
        let mut sim = Sim::new(
            options.seed,
            reliable_network(),
            KvWatch::new(servers),
            options.full_trace,
        );
        let mut rng = sim.derive_rng("workload");
        if unreliable {
            let network = unreliable_network(&mut rng);
            sim.set_network(network);
        }
        sim.capture_emits(true);
        let raft = raft::Config::with_size(servers as u32).with_mutant(raft_mutant);
        let mut config = ServerConfig::new(raft, max_raft_state);
        config.mutant = kv_mutant;
        for _ in 0..servers {
            sim.add_node(KvConfig::Server(config.clone()));
        }
        KvHarness {
            sim,
            scenario,
            servers,
            max_raft_state,
            rng,
            clients: Clients::default(),
            unknown_ok: None,
            clerks: Vec::new(),
            options: options.clone(),
        }
    }

    pub fn server_ids(&self) -> Vec<NodeId> {
        (0..self.servers as u32).map(NodeId).collect()
    }

    pub fn fail(&mut self, check: &str, message: impl Into<String>) -> Failure {
        self.sim.fail(Violation::new(check, message))
    }

    /// `makeClient`: a clerk that tries the servers in its own shuffled order.
    pub fn add_clerk(&mut self) -> NodeId {
        let mut servers = self.server_ids();
        shuffle(&mut self.rng, &mut servers);
        let client = ClientId(u64::from(self.sim.node_count() as u32));
        let id = self
            .sim
            .add_node(KvConfig::Clerk(ClerkConfig::new(client, servers)));
        assert_eq!(
            ClientId(u64::from(id.0)),
            client,
            "a clerk's client id is its node id"
        );
        self.clerks.push(id);
        id
    }

    /// Clerk `clerk` reaches only the servers in `to` (the course's `ConnectClient`).
    pub fn restrict_clerk(&mut self, clerk: NodeId, to: &[usize]) {
        for server in self.server_ids() {
            if !to.contains(&server.index()) {
                self.sim.apply(FaultAction::CutLink {
                    from: clerk,
                    to: server,
                });
                self.sim.apply(FaultAction::CutLink {
                    from: server,
                    to: clerk,
                });
            }
        }
    }

    // ---- time ------------------------------------------------------------------------

    /// Runs to `deadline`, driving the clients' loops.
    pub fn run_until(&mut self, deadline: Time) -> Step {
        self.run_while(deadline, |_| false).map(|_| ())
    }

    pub fn sleep_ms(&mut self, ms: u64) -> Step {
        self.run_until(self.sim.now().plus_ms(ms))
    }

    /// Runs until `done` holds (true) or `deadline` passes (false).
    pub fn run_while(
        &mut self,
        deadline: Time,
        mut done: impl FnMut(&KvHarness) -> bool,
    ) -> Step<bool> {
        if deadline > TIME_LIMIT {
            return Err(self.fail("time-limit", format!("test ran longer than {TIME_LIMIT}")));
        }
        loop {
            if done(self) {
                return Ok(true);
            }
            let wake = self
                .clients
                .next_wake()
                .filter(|&t| t < deadline)
                .unwrap_or(deadline);
            match self.sim.run_until_emit(wake)? {
                Some((_, node, event)) => {
                    if let Err(violation) =
                        self.clients
                            .on_event(&mut self.rng, self.sim.now(), node, &event)
                    {
                        return Err(self.sim.fail(violation));
                    }
                }
                None => {
                    let due = self.clients.take_due(&mut self.rng, self.sim.now());
                    for (clerk, op) in due {
                        self.sim.request(clerk, KvRequest::Invoke(op));
                    }
                    if self.sim.now() >= deadline {
                        return Ok(done(self));
                    }
                }
            }
        }
    }

    // ---- one clerk's operations ------------------------------------------------------

    /// Starts `op` on `clerk`; returns the operation's index in the history. A run that
    /// already failed (say a server's boot panicked) takes no request: its failure is the verdict.
    pub fn invoke(&mut self, clerk: NodeId, op: Op) -> Step<usize> {
        if !self.sim.request(clerk, KvRequest::Invoke(op)) {
            let failure = self.sim.failure().cloned();
            return Err(failure.unwrap_or_else(|| panic!("{clerk} is down: clerks never crash")));
        }
        let index = self.sim.observer().latest(ClientId(u64::from(clerk.0)));
        Ok(index.expect("the clerk reported its invocation"))
    }

    /// Waits up to `within_ms` for operation `index` to return; its value if it did.
    pub fn wait_op(&mut self, index: usize, within_ms: u64) -> Step<Option<String>> {
        let deadline = self.sim.now().plus_ms(within_ms);
        let done = self.run_while(deadline, |h| {
            h.sim.observer().operation(index).ret.is_some()
        })?;
        let value = done.then(|| {
            let op = self.sim.observer().operation(index);
            op.output
                .as_ref()
                .expect("returned with an output")
                .value
                .clone()
        });
        Ok(value)
    }

    /// The course's `Get`/`Put`/`Append` helpers: the operation must complete (the course
    /// would hang; here it fails after a generous bound).
    pub fn op(&mut self, clerk: NodeId, op: Op) -> Step<String> {
        let what = format!("{op:?}");
        let index = self.invoke(clerk, op)?;
        match self.wait_op(index, 30_000)? {
            Some(value) => Ok(value),
            None => Err(self.fail(
                "liveness",
                format!("{clerk}: {what} did not complete in 30 s"),
            )),
        }
    }

    pub fn get(&mut self, clerk: NodeId, key: &str) -> Step<String> {
        self.op(clerk, Op::Get { key: key.into() })
    }

    pub fn put(&mut self, clerk: NodeId, key: &str, value: &str) -> Step {
        self.op(
            clerk,
            Op::Put {
                key: key.into(),
                value: value.into(),
            },
        )
        .map(|_| ())
    }

    pub fn append(&mut self, clerk: NodeId, key: &str, value: &str) -> Step {
        self.op(
            clerk,
            Op::Append {
                key: key.into(),
                value: value.into(),
            },
        )
        .map(|_| ())
    }

    /// The course's `check(cfg, ck, key, value)`.
    pub fn check_get(&mut self, clerk: NodeId, key: &str, expected: &str) -> Step {
        let value = self.get(clerk, key)?;
        if value != expected {
            let message = format!("Get({key:?}): expected:\n{expected:?}\nreceived:\n{value:?}");
            return Err(self.fail("get-value", message));
        }
        Ok(())
    }

    // ---- faults ----------------------------------------------------------------------

    /// `partition(p1, p2)`: cuts server-to-server links across the two sides.
    pub fn partition(&mut self, p1: &[usize], p2: &[usize]) {
        let side = |p: &[usize]| p.iter().map(|&i| NodeId(i as u32)).collect::<Vec<_>>();
        self.sim
            .apply(FaultAction::Partition(vec![side(p1), side(p2)]));
    }

    /// `ConnectAll`: every link up again.
    pub fn connect_all(&mut self) {
        self.sim.heal_links();
    }

    /// `ShutdownServer` of every server: disconnect and kill; disks keep what was persisted.
    pub fn shutdown_all(&mut self) {
        for id in self.server_ids() {
            self.sim.disconnect(id);
            self.sim.crash(id);
        }
    }

    /// `StartServer` of every server, then `ConnectAll`.
    pub fn restart_all(&mut self) {
        for id in self.server_ids() {
            self.sim.restart(id);
        }
        self.connect_all();
    }

    /// `make_partition`: a majority and a minority, with the current leader in the minority.
    pub fn make_partition(&mut self) -> (Vec<usize>, Vec<usize>) {
        let n = self.servers;
        let leader = self.leader().unwrap_or(0);
        let mut p1 = Vec::new();
        let mut p2 = vec![leader];
        for i in (0..n).filter(|&i| i != leader) {
            if p1.len() < n / 2 + 1 {
                p1.push(i);
            } else {
                p2.push(i);
            }
        }
        (p1, p2)
    }

    /// The first server claiming leadership.
    pub fn leader(&self) -> Option<usize> {
        (0..self.servers).find(|&i| {
            let node = self.sim.node(NodeId(i as u32)).and_then(KvNode::as_server);
            node.is_some_and(|s| s.raft().is_leader())
        })
    }

    // ---- sizes -----------------------------------------------------------------------

    /// `LogSize`: the largest Raft state on any server's disk.
    pub fn log_size(&self) -> usize {
        self.server_ids()
            .iter()
            .map(|&id| self.sim.disk(id).size_of(raft::RAFT_STATE_FILE))
            .max()
            .unwrap_or(0)
    }

    /// `SnapshotSize`: the largest snapshot on any server's disk.
    pub fn snapshot_size(&self) -> usize {
        self.server_ids()
            .iter()
            .map(|&id| self.sim.disk(id).size_of(raft::SNAPSHOT_FILE))
            .max()
            .unwrap_or(0)
    }

    /// The course's size rules after a round: logs trimmed to 8 × maxraftstate, or no
    /// snapshot at all when snapshots are off.
    pub fn check_sizes(&mut self) -> Step {
        let (log, snapshot) = (self.log_size(), self.snapshot_size());
        match self.max_raft_state {
            Some(max) if log > 8 * max => Err(self.fail(
                "log-size",
                format!("logs were not trimmed ({log} > 8*{max})"),
            )),
            None if snapshot > 0 => Err(self.fail(
                "snapshot-size",
                format!(
                    "snapshot too large ({snapshot}), should not be used when maxraftstate = -1"
                ),
            )),
            Some(_) | None => Ok(()),
        }
    }

    /// After a heal, the log bound holds once a snapshot could be taken: Raft state within 8 ×
    /// maxraftstate. (Without snapshots nothing is to be checked: no snapshot may exist.)
    pub fn check_sizes_after_heal(&mut self) -> Step {
        // Let every server apply what the leader committed, and compact.
        self.sleep_ms(2 * ELECTION_TIMEOUT_MS)?;
        self.check_sizes()
    }

    // ---- the end ---------------------------------------------------------------------

    /// The verdict plus the final linearizability check of the whole history, and the report.
    pub fn finish(&mut self, verdict: Step, mut notes: Vec<String>) -> RunReport {
        let unknown_ok = self.unknown_ok;
        let checked = verdict
            .and_then(|()| self.check_log_matching_full())
            .and_then(|()| super::checks::linearizable(self, unknown_ok))
            .map_err(|failure| super::checks::with_history_files(self, failure));
        let watch = self.sim.observer();
        notes.push(format!(
            "{} servers, {} clerks, {} operations ({} completed), {} leaders seen",
            self.servers,
            self.clerks.len(),
            watch.operations().len(),
            watch.completed(),
            watch.leaders_seen()
        ));
        if let Some(path) = &self.options.history_out {
            if let Err(e) = super::checks::write_history(self.sim.observer(), path) {
                notes.push(format!(
                    "could not write the history to {}: {e}",
                    path.display()
                ));
            }
        }
        RunReport::from_sim(self.scenario, &self.options, &self.sim, checked, notes)
    }

    /// Log matching over the whole logs of the servers up at the end.
    fn check_log_matching_full(&mut self) -> Step {
        let sim = &self.sim;
        let rafts = super::watch::rafts(self.servers, |id| sim.node(id));
        match sim.observer().check_log_matching_full(&rafts) {
            Ok(()) => Ok(()),
            Err(violation) => Err(self.sim.fail(violation)),
        }
    }

    pub fn options(&self) -> &RunOptions {
        &self.options
    }
}
