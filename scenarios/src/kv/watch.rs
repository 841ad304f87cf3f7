//! What the KV tester sees as the run goes: every clerk operation with its call and return
//! times (the history the linearizability checker reads), and the Raft family's cluster-wide
//! checks on the servers' Raft nodes: each server's applied stream (in order, and the same
//! command at an index on every server), election safety, leader completeness, log matching
//! and durability across restarts, after every step.

use super::checks;
use super::coverage::KvCoverage;
use super::goals::RETRY_OF_APPLIED;
use crate::raft::durable::DurableAcrossRestarts;
use crate::raft::goals::RaftGoals;
use kvraft::{ClerkEvent, Command, KvEvent, KvNode, Op, ServerEvent};
use linearizability::models::kv::{KvInput, KvOp, KvOutput};
use linearizability::{History, Operation};
use protocol_core::{ClientId, NodeId, Time};
use raft::cluster_check::ClusterCheck;
use raft::RaftEvent;
use raft::RaftNode;
use sim::observer::NodesView;
use sim::{Observer, Violation};
use sim_kit::history::HistoryRecorder;
use std::collections::BTreeMap;

pub type KvOperation = Operation<KvInput, KvOutput>;

/// The observer of every KV scenario.
pub struct KvWatch {
    check: ClusterCheck,
    pub(crate) goals: RaftGoals,
    /// Per server, per client, the highest request sequence number its store applied: an
    /// entry at or below it is a retry of an applied request (the duplicate table's work).
    applied_seq: Vec<BTreeMap<ClientId, u64>>,
    durable: DurableAcrossRestarts,
    servers: usize,
    history: HistoryRecorder<KvInput, KvOutput>,
    /// The service's situations for a fuzzer (does nothing unless one listens).
    coverage: KvCoverage,
}

impl KvWatch {
    pub fn new(servers: usize) -> KvWatch {
        KvWatch {
            check: ClusterCheck::new(servers),
            goals: RaftGoals::new(servers),
            applied_seq: vec![BTreeMap::new(); servers],
            durable: DurableAcrossRestarts::new(servers),
            servers,
            history: HistoryRecorder::new(),
            coverage: KvCoverage::new(),
        }
    }

    /// Every operation any clerk invoked, in invocation order.
    pub fn operations(&self) -> &[KvOperation] {
        self.history.operations()
    }

    pub fn operation(&self, index: usize) -> &KvOperation {
        self.history.operation(index)
    }

    /// The latest operation `client` invoked.
    pub fn latest(&self, client: ClientId) -> Option<usize> {
        self.history.latest(client)
    }

    pub fn completed(&self) -> usize {
        self.history.completed()
    }

    pub fn leaders_seen(&self) -> usize {
        self.check.leaders_seen()
    }

    /// The whole history; operations still pending stay open.
    pub fn history(&self) -> &History<KvInput, KvOutput> {
        self.history.history()
    }
}

pub fn kv_input(op: &Op) -> KvInput {
    let (op, key, value) = match op {
        Op::Get { key } => (KvOp::Get, key, ""),
        Op::Put { key, value } => (KvOp::Put, key, value.as_str()),
        Op::Append { key, value } => (KvOp::Append, key, value.as_str()),
    };
    KvInput {
        op,
        key: key.clone(),
        value: value.to_string(),
    }
}

/// The servers' Raft nodes (`None` where down); clerks are not among them.
pub fn rafts<'a>(
    servers: usize,
    node: impl Fn(NodeId) -> Option<&'a KvNode>,
) -> Vec<Option<&'a RaftNode>> {
    (0..servers as u32)
        .map(|i| {
            node(NodeId(i))
                .and_then(KvNode::as_server)
                .map(|s| s.raft())
        })
        .collect()
}

impl KvWatch {
    /// Log matching over the whole logs of the servers up now, recomputed from scratch (for
    /// the end of a run: a cross-check of the per-step check, which is complete too).
    pub fn check_log_matching_full(&self, rafts: &[Option<&RaftNode>]) -> Result<(), Violation> {
        self.check.check_log_matching_full(rafts)
    }
}

impl KvWatch {
    /// Marks [`RETRY_OF_APPLIED`] when a server applies a request it had applied before.
    fn note_retry(&mut self, node: NodeId, event: &RaftEvent) {
        let RaftEvent::Applied { command, .. } = event else {
            return;
        };
        let Ok(command) = Command::decode(command) else {
            return;
        };
        let highest = self.applied_seq[node.index()]
            .entry(command.client)
            .or_default();
        let retry = command.seq <= *highest;
        if retry {
            self.goals.reached.mark(RETRY_OF_APPLIED);
        }
        self.coverage.applied(retry);
        *highest = (*highest).max(command.seq);
    }
}

impl Observer<KvNode> for KvWatch {
    fn on_emit(&mut self, now: Time, node: NodeId, event: &KvEvent) -> Result<(), Violation> {
        match event {
            KvEvent::Clerk(ClerkEvent::Invoked { client, seq, op }) => {
                self.coverage.invoked();
                let index = self.history.invoked(now, *client, *seq, kv_input(op));
                index.map(drop)
            }
            KvEvent::Clerk(ClerkEvent::Returned {
                client, seq, value, ..
            }) => {
                self.coverage.returned();
                let output = KvOutput {
                    value: value.clone(),
                };
                let index = self.history.returned(now, *client, *seq, output);
                index.map(drop)
            }
            KvEvent::Server(ServerEvent(event)) => {
                if let RaftEvent::Snapshot { .. } = event {
                    self.coverage.snapshot();
                }
                self.goals.on_event(node, event);
                self.note_retry(node, event);
                self.check.applied(node, event)
            }
        }
    }

    fn on_restart(&mut self, _now: Time, node: NodeId) {
        if node.index() < self.servers {
            self.goals.restarted(node);
            self.check.restarted(node);
            self.durable.restarted(node);
        }
    }

    fn on_crash_within_step(&mut self, _now: Time, node: NodeId) {
        if node.index() < self.servers {
            self.durable.crashed_within_step(node);
        }
    }

    fn after_step(&mut self, _now: Time, nodes: &NodesView<'_, KvNode>) -> Result<(), Violation> {
        let stepped = nodes.stepped();
        // A clerk's step changes no server: every server check would give its last answer.
        if stepped.is_some_and(|id| id.index() >= self.servers) {
            return Ok(());
        }
        check_service_applied(nodes, self.servers, stepped)?;
        let rafts = rafts(self.servers, |id| nodes.get(id));
        self.goals.after_step(&rafts, stepped);
        self.coverage.after_step(&rafts);
        self.durable.after_step_of(&rafts, stepped)?;
        self.check.after_step_of(&rafts, stepped)
    }
}

/// Each server's store has applied exactly what its Raft has: a snapshot Raft kept but did
/// not hand the service (on a reboot, say) would leave the store behind its log.
fn check_service_applied(
    nodes: &NodesView<'_, KvNode>,
    servers: usize,
    stepped: Option<NodeId>,
) -> Result<(), Violation> {
    for (id, node) in nodes.iter().take(servers) {
        if stepped.is_some_and(|s| s != id) {
            continue;
        }
        let Some(server) = node.and_then(KvNode::as_server) else {
            continue;
        };
        let (store, raft) = (server.applied(), server.raft().last_applied());
        if store != raft {
            let message = format!("{id}: the store applied up to {store} but Raft up to {raft}");
            return Err(Violation::new(checks::SERVICE_APPLIED, message).involving([id]));
        }
    }
    Ok(())
}
