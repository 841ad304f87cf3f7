//! The course's kvraft tester (`config.go`) on the kit's harness: servers and clerks as nodes
//! of one run, `ShutdownServer`/`StartServer`, partitions, `LogSize`/`SnapshotSize`, and the
//! clients' operation loops as the harness's hooks, all in virtual time.

use super::checks;
use super::watch::KvWatch;
use super::workload::Clients;
use crate::raft::harness::{describe_raft, reliable_network, unreliable_network};
use kvraft::{ClerkConfig, KvConfig, KvEvent, KvNode, KvRequest, Op, ServerConfig};
use linearizability::models::kv::KvModel;
use protocol_core::rng::{shuffle, Rng};
use protocol_core::{ClientId, NodeId};
use sim::{FaultAction, NodeState, Sim};
use sim_kit::history::{write_history, write_history_files, HistoryCheck};
use sim_kit::{Harness, Hooks, RunOptions, RunReport};
use std::ops::{Deref, DerefMut};

pub use sim_kit::Step;

/// The course's election timeout, used by tests as a sleep length.
pub const ELECTION_TIMEOUT_MS: u64 = 1_000;

/// The clients' loops, driven by what their clerks report and by their think times. The
/// stream `rng` is the tester's own: loops, partitions and clerk orders all draw from it.
pub struct ClientLoops {
    pub clients: Clients,
    pub rng: Rng,
}

impl Hooks<KvNode, KvWatch> for ClientLoops {
    fn on_emit(&mut self, sim: &mut Sim<KvNode, KvWatch>, node: NodeId, event: KvEvent) -> Step {
        let now = sim.now();
        match self.clients.on_event(&mut self.rng, now, node, &event) {
            Ok(()) => Ok(()),
            Err(violation) => Err(sim.fail(violation)),
        }
    }

    fn next_wake(&self) -> Option<protocol_core::Time> {
        self.clients.next_wake()
    }

    fn on_wake(&mut self, sim: &mut Sim<KvNode, KvWatch>) -> Step {
        for (clerk, op) in self.clients.take_due(&mut self.rng, sim.now()) {
            sim.request(clerk, KvRequest::Clerk(op));
        }
        Ok(())
    }
}

/// A node on the failure page's timeline: a server by its Raft role and term, a clerk by
/// whether it has an operation under way.
fn describe(node: &KvNode) -> NodeState {
    match node {
        KvNode::Server(server) => describe_raft(server.raft()),
        KvNode::Clerk(clerk) if clerk.is_busy() => NodeState::new("clerk calling"),
        KvNode::Clerk(_) => NodeState::new("clerk idle"),
    }
}

/// The kit's harness of a KV run.
pub type KvKit = Harness<KvNode, KvWatch, ClientLoops>;

/// The kit's harness with the course tester's state; it derefs to the harness beneath.
pub struct KvHarness {
    kit: KvKit,
    pub servers: usize,
    pub max_raft_state: Option<usize>,
    /// How the final history is checked (and why an Unknown is acceptable, if it is).
    pub history_check: HistoryCheck,
    clerks: Vec<NodeId>,
}

impl Deref for KvHarness {
    type Target = KvKit;

    fn deref(&self) -> &Self::Target {
        &self.kit
    }
}

impl DerefMut for KvHarness {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.kit
    }
}

impl KvHarness {
    /// `make_config(n, unreliable, maxraftstate)`: n servers, all connected.
    pub fn new(
        options: &RunOptions,
        servers: usize,
        unreliable: bool,
        max_raft_state: Option<usize>,
    ) -> KvHarness {
        let mut rng = options.rng("workload");
        let lossy = unreliable.then(|| unreliable_network(&mut rng));
        let loops = ClientLoops {
            clients: Clients::default(),
            rng,
        };
        let watch = KvWatch::new(servers);
        let mut kit = Harness::new(options, reliable_network(), watch, loops);
        kit.describe_nodes(describe);
        if let Some(network) = lossy {
            kit.sim.set_network(network);
        }
        let raft = raft::Config::with_size(servers as u32).with_mutant(options.mutant());
        let mut config = ServerConfig::new(raft, max_raft_state);
        config.mutant = options.mutant();
        for _ in 0..servers {
            kit.sim.add_node(KvConfig::Server(config.clone()));
        }
        KvHarness {
            kit,
            servers,
            max_raft_state,
            history_check: HistoryCheck::default(),
            clerks: Vec::new(),
        }
    }
}

impl KvHarness {
    pub fn server_ids(&self) -> Vec<NodeId> {
        (0..self.servers as u32).map(NodeId).collect()
    }

    /// The tester's random stream.
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.kit.hooks.rng
    }

    /// The clients' loops.
    pub fn clients(&mut self) -> &mut Clients {
        &mut self.kit.hooks.clients
    }

    /// `makeClient`: a clerk that tries the servers in its own shuffled order.
    pub fn add_clerk(&mut self) -> NodeId {
        let mut servers = self.server_ids();
        shuffle(self.rng(), &mut servers);
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

    // ---- one clerk's operations ------------------------------------------------------

    /// Starts `op` on `clerk`; returns the operation's index in the history. A run that
    /// already failed (say a server's boot panicked) takes no request: its failure is the verdict.
    pub fn invoke(&mut self, clerk: NodeId, op: Op) -> Step<usize> {
        if !self.sim.request(clerk, KvRequest::Clerk(op)) {
            let failure = self.sim.failure().cloned();
            return Err(failure.unwrap_or_else(|| panic!("{clerk} is down: clerks never crash")));
        }
        let index = self.sim.observer().latest(ClientId(u64::from(clerk.0)));
        Ok(index.expect("the clerk reported its invocation"))
    }

    /// Waits up to `within_ms` for operation `index` to return; its value if it did.
    pub fn wait_op(&mut self, index: usize, within_ms: u64) -> Step<Option<String>> {
        let deadline = self.now().plus_ms(within_ms);
        let done = self.run_until_done(deadline, |h| {
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
                checks::LIVENESS,
                format!("{clerk}: {what} did not complete in 30 s"),
            )),
        }
    }

    pub fn get(&mut self, clerk: NodeId, key: &str) -> Step<String> {
        self.op(clerk, Op::Get { key: key.into() })
    }

    pub fn put(&mut self, clerk: NodeId, key: &str, value: &str) -> Step {
        let (key, value) = (key.into(), value.into());
        self.op(clerk, Op::Put { key, value }).map(drop)
    }

    pub fn append(&mut self, clerk: NodeId, key: &str, value: &str) -> Step {
        let (key, value) = (key.into(), value.into());
        self.op(clerk, Op::Append { key, value }).map(drop)
    }

    /// The course's `check(cfg, ck, key, value)`.
    pub fn check_get(&mut self, clerk: NodeId, key: &str, expected: &str) -> Step {
        let value = self.get(clerk, key)?;
        if value != expected {
            let message = format!("Get({key:?}): expected:\n{expected:?}\nreceived:\n{value:?}");
            return Err(self.fail(checks::GET_VALUE, message));
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
            self.sim.crash_scripted(id);
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
        self.largest_file(raft::RAFT_STATE_FILE)
    }

    /// `SnapshotSize`: the largest snapshot on any server's disk.
    pub fn snapshot_size(&self) -> usize {
        self.largest_file(raft::SNAPSHOT_FILE)
    }

    /// The largest `name` on a server's disk, servers down for good (a corrupt disk) aside.
    fn largest_file(&self, name: &str) -> usize {
        let ids = self.server_ids();
        let alive = ids.iter().filter(|&&id| !self.sim.is_failed(id));
        let sizes = alive.map(|&id| self.sim.disk(id).size_of(name));
        sizes.max().unwrap_or(0)
    }

    /// The course's size rules after a round: logs trimmed to 8 × maxraftstate, or no
    /// snapshot at all when snapshots are off.
    pub fn check_sizes(&mut self) -> Step {
        let (log, snapshot) = (self.log_size(), self.snapshot_size());
        match self.max_raft_state {
            Some(max) if log > 8 * max => Err(self.fail(
                checks::LOG_SIZE,
                format!("logs were not trimmed ({log} > 8*{max})"),
            )),
            None if snapshot > 0 => Err(self.fail(
                checks::SNAPSHOT_SIZE,
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

    /// The verdict, then log matching over whole logs and the linearizability check of the
    /// whole history; a failing run writes its history and view where the caller asked.
    pub fn report(&mut self, verdict: Step) -> RunReport {
        let verdict = verdict
            .and_then(|()| self.check_log_matching_full())
            .and_then(|()| self.check_history());
        if verdict.is_err() {
            self.write_failure_files();
        }
        if let Some(path) = self.options().history_out.clone() {
            let written = write_history(self.sim.observer().history(), &path);
            if let Err(e) = written {
                let what = format!("could not write the history to {}: {e}", path.display());
                self.fact("history", what);
            }
        }
        let goals = self.sim.observer().goals.reached.clone();
        self.reached(&goals);
        let watch = self.sim.observer();
        let figures = [
            ("servers", self.servers as u64),
            ("clerks", self.clerks.len() as u64),
            ("operations", watch.operations().len() as u64),
            ("completed", watch.completed() as u64),
            ("leaders-seen", watch.leaders_seen() as u64),
        ];
        for (name, value) in figures {
            self.metric(name, value);
        }
        self.kit.report(verdict)
    }

    /// The whole history against the key/value model, partitioned by key.
    fn check_history(&mut self) -> Step {
        let history = self.sim.observer().history();
        let (result, violation) = self.history_check.run(&KvModel, history);
        if self.options().timeline {
            let operations = sim_kit::recording::operations(&KvModel, history, &result);
            self.record_operations(operations);
        }
        match violation {
            None => Ok(()),
            Some(violation) => Err(self.sim.fail(violation)),
        }
    }

    fn write_failure_files(&mut self) {
        let Some(dir) = self.artifact_dir() else {
            return;
        };
        // A failure's path: the copy frees `self` for the calls below.
        let history = self.sim.observer().history().clone();
        let (result, _) = self.history_check.run(&KvModel, &history);
        // Also for failures before the history check: the page shows the operations.
        let operations = sim_kit::recording::operations(&KvModel, &history, &result);
        self.record_operations(operations);
        let title = format!("{} seed {}", self.options().scenario, self.options().seed);
        match write_history_files(&KvModel, &history, &result, &dir, &title) {
            Ok(files) => files
                .into_iter()
                .for_each(|(what, path)| self.artifact(what, path)),
            Err(e) => {
                let what = format!("could not write the history under {}: {e}", dir.display());
                self.fact("files", what);
            }
        }
    }

    /// Log matching over the whole logs of the servers up at the end.
    fn check_log_matching_full(&mut self) -> Step {
        let sim = &self.kit.sim;
        let rafts = super::watch::rafts(self.servers, |id| sim.node(id));
        match sim.observer().check_log_matching_full(&rafts) {
            Ok(()) => Ok(()),
            Err(violation) => Err(self.sim.fail(violation)),
        }
    }
}
