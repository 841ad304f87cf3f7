//! Raft's cluster checks over every Raft cluster of one run: a sharded run has the
//! controller's cluster and one per replica group (and TestRejection a second controller),
//! each with its own terms, logs and commits, so each gets its own [`ClusterCheck`] and its
//! own durability check, fed only by its members.
//!
//! Node ids are global; each cluster's checkers are sized to its highest member id and see
//! `None` for every node outside it, so a violation names the real nodes.

use crate::raft::durable::DurableAcrossRestarts;
use crate::raft::goals::RaftGoals;
use protocol_core::NodeId;
use raft::cluster_check::ClusterCheck;
use raft::{RaftEvent, RaftNode};
use sim::Violation;
use sim_kit::goals::Reached;

struct Cluster {
    members: Vec<NodeId>,
    /// One past the highest member id: the length of the views the checkers see.
    span: usize,
    check: ClusterCheck,
    durable: DurableAcrossRestarts,
    goals: RaftGoals,
}

impl Cluster {
    /// The members' Raft nodes at their ids, `None` elsewhere and where down.
    fn view<'a>(
        &self,
        raft_of: &impl Fn(NodeId) -> Option<&'a RaftNode>,
    ) -> Vec<Option<&'a RaftNode>> {
        let mut view = vec![None; self.span];
        for &id in &self.members {
            view[id.index()] = raft_of(id);
        }
        view
    }
}

/// Every Raft cluster of a run, by member.
#[derive(Default)]
pub struct RaftClusters {
    clusters: Vec<Cluster>,
    /// Per node id, the cluster it belongs to (none for clerks).
    cluster_of: Vec<Option<usize>>,
}

impl RaftClusters {
    pub fn new() -> RaftClusters {
        RaftClusters::default()
    }

    /// A cluster of `members` (ids not in any other cluster).
    pub fn add(&mut self, members: &[NodeId]) {
        assert!(!members.is_empty(), "a Raft cluster has members");
        let span = members.iter().map(|id| id.index() + 1).max().unwrap_or(0);
        if self.cluster_of.len() < span {
            self.cluster_of.resize(span, None);
        }
        for id in members {
            assert!(
                self.cluster_of[id.index()].is_none(),
                "{id} is in two Raft clusters"
            );
            self.cluster_of[id.index()] = Some(self.clusters.len());
        }
        self.clusters.push(Cluster {
            members: members.to_vec(),
            span,
            check: ClusterCheck::new(span),
            durable: DurableAcrossRestarts::new(span),
            goals: RaftGoals::new(span),
        });
    }

    fn cluster(&self, node: NodeId) -> Option<usize> {
        self.cluster_of.get(node.index()).copied().flatten()
    }

    /// `node`'s Raft applied `event` (in emission order): stream order, state machine safety.
    pub fn applied(&mut self, node: NodeId, event: &RaftEvent) -> Result<(), Violation> {
        match self.cluster(node) {
            Some(c) => {
                self.clusters[c].goals.on_event(node, event);
                self.clusters[c].check.applied(node, event)
            }
            None => Ok(()),
        }
    }

    /// `node` is about to boot again from its disk.
    pub fn restarted(&mut self, node: NodeId) {
        if let Some(c) = self.cluster(node) {
            self.clusters[c].check.restarted(node);
            self.clusters[c].durable.restarted(node);
            self.clusters[c].goals.restarted(node);
        }
    }

    /// After a step that ran `stepped` (any node if `None`): election safety, leader
    /// completeness, log matching, commits, and durability across restarts, in the
    /// stepped node's cluster only when one node stepped.
    pub fn after_step<'a>(
        &mut self,
        stepped: Option<NodeId>,
        raft_of: impl Fn(NodeId) -> Option<&'a RaftNode>,
    ) -> Result<(), Violation> {
        let only = match stepped {
            Some(id) => match self.cluster(id) {
                Some(c) => Some(c),
                None => return Ok(()), // a clerk's step changes no Raft node
            },
            None => None,
        };
        for (c, cluster) in self.clusters.iter_mut().enumerate() {
            if only.is_some_and(|o| o != c) {
                continue;
            }
            let view = cluster.view(&raft_of);
            cluster.goals.after_step(&view, stepped);
            cluster.durable.after_step_of(&view, stepped)?;
            cluster.check.after_step_of(&view, stepped)?;
        }
        Ok(())
    }

    /// The Raft goals (`crate::raft::goals`) any cluster reached.
    pub fn reached(&self) -> Reached {
        let mut reached = Reached::new();
        for cluster in &self.clusters {
            cluster.goals.reached.iter().for_each(|g| reached.mark(g));
        }
        reached
    }

    /// Log matching over whole logs, in every cluster (for the end of a run).
    pub fn check_log_matching_full<'a>(
        &self,
        raft_of: impl Fn(NodeId) -> Option<&'a RaftNode>,
    ) -> Result<(), Violation> {
        for cluster in &self.clusters {
            cluster
                .check
                .check_log_matching_full(&cluster.view(&raft_of))?;
        }
        Ok(())
    }

    /// Leaders seen over the run, all clusters together (a run asserts it had some).
    pub fn leaders_seen(&self) -> usize {
        self.clusters.iter().map(|c| c.check.leaders_seen()).sum()
    }
}
