//! What a controller run's tester sees as the run goes: every configuration any replica
//! creates (valid, balanced, minimal after its predecessor, the same on every replica, no
//! gaps: `shardctrler::ConfigWatch`), every clerk operation (each Query's answer fresh and
//! matching the log: `shardctrler::CtrlerHistory`), and Raft's cluster checks on the servers
//! after every step.

use super::clusters::RaftClusters;
use protocol_core::{NodeId, Time};
use shardctrler::{
    Answer, ClerkEvent, ConfigWatch, CtrlerEvent, CtrlerHistory, CtrlerNode, ServerEvent,
};
use sim::observer::NodesView;
use sim::{Observer, Violation};
use std::collections::BTreeMap;

pub struct CtrlerWatch {
    pub configs: ConfigWatch,
    pub history: CtrlerHistory,
    pub rafts: RaftClusters,
    /// Per clerk, the last answer it returned.
    answers: BTreeMap<NodeId, Answer>,
    operations: u64,
}

impl CtrlerWatch {
    /// Watches a controller whose servers are `servers`.
    pub fn new(servers: &[NodeId]) -> CtrlerWatch {
        let mut rafts = RaftClusters::new();
        rafts.add(servers);
        CtrlerWatch {
            configs: ConfigWatch::new(),
            history: CtrlerHistory::new(),
            rafts,
            answers: BTreeMap::new(),
            operations: 0,
        }
    }

    /// What `clerk` returned last.
    pub fn answer(&self, clerk: NodeId) -> Option<&Answer> {
        self.answers.get(&clerk)
    }

    /// Clerk operations invoked.
    pub fn operations(&self) -> u64 {
        self.operations
    }
}

impl Observer<CtrlerNode> for CtrlerWatch {
    fn on_emit(&mut self, _now: Time, node: NodeId, event: &CtrlerEvent) -> Result<(), Violation> {
        match event {
            CtrlerEvent::Server(ServerEvent::Configured {
                client,
                seq,
                op,
                config,
            }) => self
                .configs
                .on_configured(node, (*client, *seq), op, config),
            CtrlerEvent::Server(ServerEvent::Raft(event)) => self.rafts.applied(node, event),
            CtrlerEvent::Clerk(ClerkEvent::Invoked { client, seq, op }) => {
                self.operations += 1;
                self.history.on_invoked(*client, *seq, op)
            }
            CtrlerEvent::Clerk(ClerkEvent::Returned {
                client,
                seq,
                answer,
                ..
            }) => {
                self.answers.insert(node, answer.clone());
                self.history
                    .on_returned(*client, *seq, answer, &self.configs)
            }
        }
    }

    fn on_restart(&mut self, _now: Time, node: NodeId) {
        self.rafts.restarted(node);
    }

    fn after_step(
        &mut self,
        _now: Time,
        nodes: &NodesView<'_, CtrlerNode>,
    ) -> Result<(), Violation> {
        let raft_of = |id| {
            nodes
                .get(id)
                .and_then(CtrlerNode::as_server)
                .map(|s| s.raft())
        };
        self.rafts.after_step(nodes.stepped(), raft_of)
    }
}
