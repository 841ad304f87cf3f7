//! What a sharded-KV run's tester sees as the run goes, fed every event in emission order:
//! the controller's configurations (valid, balanced, minimal, the same on every replica),
//! the tester's controller calls (each Query fresh and matching the log), the groups' shard
//! reports (ownership, one configuration at a time, deletion only after the new owner
//! installed, no data kept after deletion), every clerk operation for the linearizability
//! check, and Raft's cluster checks on every Raft cluster after every step.
//!
//! TestRejection's second controller is a controller of its own: its configurations and its
//! clerk's calls are checked apart, against each other.

use super::super::shardctrler::clusters::RaftClusters;
use super::goals::ShardGoals;
use crate::kv::watch::kv_input;
use linearizability::models::kv::{KvInput, KvOutput};
use linearizability::{History, Operation};
use protocol_core::{ClientId, NodeId, Time};
use shardctrler::{Answer, ConfigWatch, CtrlerHistory};
use shardctrler::{ClerkEvent as CtrlerClerkEvent, ServerEvent as CtrlerServerEvent};
use shardkv::watch::ShardWatch;
use shardkv::{ClerkEvent, ServerEvent, ShardKvEvent, ShardKvNode};
use sim::observer::NodesView;
use sim::{Observer, Violation};
use sim_kit::history::HistoryRecorder;
use std::collections::{BTreeMap, BTreeSet};

pub type KvOperation = Operation<KvInput, KvOutput>;

/// One controller service: its configurations and its clerks' calls.
#[derive(Default)]
pub struct Controller {
    pub configs: ConfigWatch,
    pub calls: CtrlerHistory,
}

pub struct ShardKvWatch {
    /// The controller the groups follow.
    pub ctrler: Controller,
    /// TestRejection's second controller, if any.
    pub rogue: Controller,
    /// Servers and clerk of the second controller.
    rogue_nodes: BTreeSet<NodeId>,
    pub shards: ShardWatch,
    pub goals: ShardGoals,
    pub rafts: RaftClusters,
    history: HistoryRecorder<KvInput, KvOutput>,
    /// Per controller clerk, the last answer it returned.
    answers: BTreeMap<NodeId, Answer>,
}

impl Default for ShardKvWatch {
    fn default() -> Self {
        ShardKvWatch::new()
    }
}

impl ShardKvWatch {
    pub fn new() -> ShardKvWatch {
        ShardKvWatch {
            ctrler: Controller::default(),
            rogue: Controller::default(),
            rogue_nodes: BTreeSet::new(),
            shards: ShardWatch::new(),
            goals: ShardGoals::default(),
            rafts: RaftClusters::new(),
            history: HistoryRecorder::new(),
            answers: BTreeMap::new(),
        }
    }

    /// `nodes` belong to the second controller (declare them before they boot).
    pub fn add_rogue(&mut self, nodes: &[NodeId]) {
        self.rogue_nodes.extend(nodes.iter().copied());
    }

    fn controller(&mut self, node: NodeId) -> &mut Controller {
        if self.rogue_nodes.contains(&node) {
            &mut self.rogue
        } else {
            &mut self.ctrler
        }
    }

    /// What controller clerk `mck` returned last.
    pub fn answer(&self, mck: NodeId) -> Option<&Answer> {
        self.answers.get(&mck)
    }

    pub fn operations(&self) -> &[KvOperation] {
        self.history.operations()
    }

    pub fn operation(&self, index: usize) -> &KvOperation {
        self.history.operation(index)
    }

    pub fn latest(&self, client: ClientId) -> Option<usize> {
        self.history.latest(client)
    }

    pub fn completed(&self) -> usize {
        self.history.completed()
    }

    /// The whole history; operations still pending stay open.
    pub fn history(&self) -> &History<KvInput, KvOutput> {
        self.history.history()
    }

    fn on_clerk(&mut self, now: Time, event: &ClerkEvent) -> Result<(), Violation> {
        let index = match event {
            ClerkEvent::Invoked { client, seq, op } => {
                self.history.invoked(now, *client, *seq, kv_input(op))
            }
            ClerkEvent::Returned {
                client, seq, value, ..
            } => {
                let output = KvOutput {
                    value: value.clone(),
                };
                self.history.returned(now, *client, *seq, output)
            }
        };
        index.map(drop)
    }

    fn on_ctrler_clerk(&mut self, node: NodeId, event: &CtrlerClerkEvent) -> Result<(), Violation> {
        let controller = self.controller(node);
        match event {
            CtrlerClerkEvent::Invoked { client, seq, op } => {
                controller.calls.on_invoked(*client, *seq, op)
            }
            CtrlerClerkEvent::Returned {
                client,
                seq,
                answer,
                ..
            } => {
                let Controller { configs, calls } = controller;
                calls.on_returned(*client, *seq, answer, configs)?;
                self.answers.insert(node, answer.clone());
                Ok(())
            }
        }
    }
}

impl Observer<ShardKvNode> for ShardKvWatch {
    fn on_emit(&mut self, now: Time, node: NodeId, event: &ShardKvEvent) -> Result<(), Violation> {
        match event {
            ShardKvEvent::CtrlerServer(CtrlerServerEvent::Configured {
                client,
                seq,
                op,
                config,
            }) => self
                .controller(node)
                .configs
                .on_configured(node, (*client, *seq), op, config),
            ShardKvEvent::CtrlerServer(CtrlerServerEvent::Raft(event))
            | ShardKvEvent::Server(ServerEvent::Raft(event)) => self.rafts.applied(node, event),
            ShardKvEvent::CtrlerClerk(event) => self.on_ctrler_clerk(node, event),
            ShardKvEvent::Server(ServerEvent::Shards {
                gid,
                num,
                status,
                held,
            }) => {
                let latest = self.ctrler.configs.latest().num;
                self.goals.on_shards(*gid, *num, status, latest);
                self.shards
                    .on_shards(node, *gid, *num, status, held, &self.ctrler.configs)
            }
            ShardKvEvent::Clerk(event) => self.on_clerk(now, event),
        }
    }

    fn on_restart(&mut self, _now: Time, node: NodeId) {
        self.rafts.restarted(node);
        self.goals.restarted(self.shards.last_statuses(node));
        self.shards.restarted(node);
    }

    fn after_step(
        &mut self,
        _now: Time,
        nodes: &NodesView<'_, ShardKvNode>,
    ) -> Result<(), Violation> {
        self.rafts.after_step(nodes.stepped(), |id| {
            nodes.get(id).and_then(ShardKvNode::raft)
        })
    }
}
