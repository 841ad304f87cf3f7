//! What the KV tester sees as the run goes: every clerk operation with its call and return
//! times (the history the linearizability checker reads), and the Raft family's cluster-wide
//! checks on the servers' Raft nodes: each server's applied stream (in order, and the same
//! command at an index on every server), election safety, leader completeness, log matching
//! and durability across restarts, after every step.

use crate::raft::durable::DurableAcrossRestarts;
use kvraft::{KvEvent, KvNode, Op};
use linearizability::models::kv::{KvInput, KvOp, KvOutput};
use linearizability::{History, Operation};
use protocol_core::{ClientId, NodeId, Time};
use raft::cluster_check::ClusterCheck;
use raft::RaftNode;
use sim::observer::NodesView;
use sim::{Observer, Violation};
use std::collections::BTreeMap;

pub type KvOperation = Operation<KvInput, KvOutput>;

/// The observer of every KV scenario.
pub struct KvWatch {
    check: ClusterCheck,
    durable: DurableAcrossRestarts,
    servers: usize,
    /// Every operation any clerk invoked, in invocation order.
    operations: Vec<KvOperation>,
    /// (client, seq) -> index into `operations`.
    by_request: BTreeMap<(ClientId, u64), usize>,
    /// Per client, its latest operation.
    latest: BTreeMap<ClientId, usize>,
    /// The last timestamp handed out (see [`KvWatch::stamp`]).
    last_stamp: u64,
}

/// History timestamps are virtual nanoseconds: microseconds × 1000, plus one per event that
/// happens at the same microsecond.
pub const STAMPS_PER_MICRO: u64 = 1_000;

impl KvWatch {
    pub fn new(servers: usize) -> KvWatch {
        KvWatch {
            check: ClusterCheck::new(servers),
            durable: DurableAcrossRestarts::new(servers),
            servers,
            operations: Vec::new(),
            by_request: BTreeMap::new(),
            latest: BTreeMap::new(),
            last_stamp: 0,
        }
    }

    /// A history timestamp for an event at `now`. The simulator is one thread, so the order
    /// in which it emits events at one instant is their real-time order: a clerk that calls
    /// right after another's return (the scenario saw the return, then issued the call) must
    /// not look concurrent with it, or the checker would allow orders that never happened and
    /// lose the fast path for the course's leading `Put(k, "")`.
    fn stamp(&mut self, now: Time) -> u64 {
        let stamp = (self.last_stamp + 1).max(now.as_micros() * STAMPS_PER_MICRO);
        self.last_stamp = stamp;
        stamp
    }

    pub fn operations(&self) -> &[KvOperation] {
        &self.operations
    }

    pub fn operation(&self, index: usize) -> &KvOperation {
        &self.operations[index]
    }

    /// The latest operation `client` invoked.
    pub fn latest(&self, client: ClientId) -> Option<usize> {
        self.latest.get(&client).copied()
    }

    pub fn completed(&self) -> usize {
        self.operations.iter().filter(|op| op.ret.is_some()).count()
    }

    pub fn leaders_seen(&self) -> usize {
        self.check.leaders_seen()
    }

    /// The whole history; operations still pending stay open.
    pub fn history(&self) -> History<KvInput, KvOutput> {
        History::new(self.operations.clone())
    }

    fn on_invoked(
        &mut self,
        now: Time,
        client: ClientId,
        seq: u64,
        op: &Op,
    ) -> Result<(), Violation> {
        let index = self.operations.len();
        if self.by_request.insert((client, seq), index).is_some() {
            return Err(Violation::new(
                "history",
                format!("{client} invoked seq {seq} twice"),
            ));
        }
        self.latest.insert(client, index);
        let call = self.stamp(now);
        self.operations.push(Operation {
            client: client.0,
            call,
            ret: None,
            input: kv_input(op),
            output: None,
        });
        Ok(())
    }

    fn on_returned(
        &mut self,
        now: Time,
        client: ClientId,
        seq: u64,
        value: &str,
    ) -> Result<(), Violation> {
        let Some(&index) = self.by_request.get(&(client, seq)) else {
            return Err(Violation::new(
                "history",
                format!("{client} returned seq {seq} never invoked"),
            ));
        };
        let stamp = self.stamp(now);
        let op = &mut self.operations[index];
        if op.ret.is_some() {
            return Err(Violation::new(
                "history",
                format!("{client} seq {seq} returned twice"),
            ));
        }
        op.ret = Some(stamp);
        op.output = Some(KvOutput {
            value: value.to_string(),
        });
        Ok(())
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

/// A cluster checker's typed violation as the simulator's.
fn raft_violation(v: protocol_core::Violation) -> Violation {
    Violation::new(v.check.name(), v.message)
}

impl KvWatch {
    /// Log matching over the whole logs of the servers up now, recomputed from scratch (for
    /// the end of a run: a cross-check of the per-step check, which is complete too).
    pub fn check_log_matching_full(&self, rafts: &[Option<&RaftNode>]) -> Result<(), Violation> {
        self.check
            .check_log_matching_full(rafts)
            .map_err(raft_violation)
    }
}

impl Observer<KvNode> for KvWatch {
    fn on_emit(&mut self, now: Time, node: NodeId, event: &KvEvent) -> Result<(), Violation> {
        match event {
            KvEvent::Invoked { client, seq, op } => self.on_invoked(now, *client, *seq, op),
            KvEvent::Returned {
                client, seq, value, ..
            } => self.on_returned(now, *client, *seq, value),
            KvEvent::Raft(event) => self.check.applied(node, event).map_err(raft_violation),
        }
    }

    fn on_restart(&mut self, _now: Time, node: NodeId) {
        if node.index() < self.servers {
            self.check.restarted(node);
            self.durable.restarted(node);
        }
    }

    fn after_step(&mut self, _now: Time, nodes: &NodesView<'_, KvNode>) -> Result<(), Violation> {
        let stepped = nodes.stepped();
        // A clerk's step changes no server: every server check would give its last answer.
        if stepped.is_some_and(|id| id.index() >= self.servers) {
            return Ok(());
        }
        let rafts = rafts(self.servers, |id| nodes.get(id));
        self.durable.after_step_of(&rafts, stepped)?;
        self.check
            .after_step_of(&rafts, stepped)
            .map_err(raft_violation)
    }
}
