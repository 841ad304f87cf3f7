//! Situations a good Raft sweep reaches on some seeds (see `sim_kit::goals`), watched on the
//! servers' Raft nodes by the Raft and KV families alike.

use super::coverage::RaftCoverage;
use protocol_core::NodeId;
use raft::{RaftEvent, RaftNode};
use sim_kit::goals::{GoalId, Reached};

/// A leader stopped leading while its log held entries not yet committed: the entries a
/// new leader may overwrite, the case Raft's commitment rules exist for.
pub const LEADER_DEPOSED_WITH_UNCOMMITTED: GoalId = GoalId::new("leader-deposed-with-uncommitted");
/// A follower installed a leader's snapshot while its own log reached past the snapshot:
/// the entries beyond it must be kept or cut by the rules, not lost by accident.
pub const SNAPSHOT_OVER_LONGER_LOG: GoalId = GoalId::new("snapshot-over-longer-log");

/// Marks the goals above as the run reaches them.
pub struct RaftGoals {
    was_leader: Vec<bool>,
    last_index: Vec<u64>,
    /// Rebooting: a boot hands the service the snapshot it held, which installs nothing.
    booting: Vec<bool>,
    pub reached: Reached,
    /// The same servers' situations for a fuzzer (does nothing unless one listens).
    coverage: RaftCoverage,
}

impl RaftGoals {
    pub fn new(servers: usize) -> RaftGoals {
        RaftGoals {
            was_leader: vec![false; servers],
            last_index: vec![0; servers],
            booting: vec![false; servers],
            reached: Reached::new(),
            coverage: RaftCoverage::new(servers),
        }
    }

    /// Server `node` is about to boot again: it leads nothing and installs nothing yet.
    pub fn restarted(&mut self, node: NodeId) {
        self.was_leader[node.index()] = false;
        self.booting[node.index()] = true;
        self.coverage.restarted(node);
    }

    pub fn on_event(&mut self, node: NodeId, event: &RaftEvent) {
        let i = node.index();
        if let RaftEvent::Snapshot { index, .. } = event {
            if !self.booting[i] && self.last_index[i] > index.0 {
                self.reached.mark(SNAPSHOT_OVER_LONGER_LOG);
                RaftCoverage::snapshot_over_longer_log(index.0, self.last_index[i]);
            }
        }
    }

    /// After a step: only `stepped` changed, when given.
    pub fn after_step(&mut self, nodes: &[Option<&RaftNode>], stepped: Option<NodeId>) {
        self.coverage.after_step(nodes, stepped);
        for (i, node) in nodes.iter().enumerate() {
            if stepped.is_some_and(|s| s.index() != i) {
                continue;
            }
            let Some(node) = node else { continue };
            let leader = node.is_leader();
            let last = node.log().last_index();
            if self.was_leader[i] && !leader && last > node.commit_index() {
                self.reached.mark(LEADER_DEPOSED_WITH_UNCOMMITTED);
                RaftCoverage::deposed_with_uncommitted(last.0 - node.commit_index().0);
            }
            self.was_leader[i] = leader;
            self.last_index[i] = last.0;
            self.booting[i] = false;
        }
    }
}
