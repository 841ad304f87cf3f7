//! Durability across crashes: a rebooted server holds what its last incarnation promised.

use protocol_core::NodeId;
use raft::{LogIndex, RaftNode, Term};
use sim::Violation;

/// What a server must remember across a crash (Figure 2's persistent state), in brief.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DurableView {
    term: Term,
    voted_for: Option<NodeId>,
    last_index: LogIndex,
    last_term: Term,
    snapshot_index: LogIndex,
}

impl DurableView {
    fn of(node: &RaftNode) -> DurableView {
        let log = node.log();
        DurableView {
            term: node.term(),
            voted_for: node.voted_for(),
            last_index: log.last_index(),
            last_term: log.last_term(),
            snapshot_index: log.snapshot_index(),
        }
    }
}

/// Compares each rebooted server's durable state with its last incarnation's.
pub struct DurableAcrossRestarts {
    /// Per node, its durable state as of its incarnation's last step (a node flushes at
    /// the end of every step, so this is what its disk holds).
    seen: Vec<Option<DurableView>>,
    /// Nodes booted again whose durable state is still to be compared.
    rebooted: Vec<bool>,
}

impl DurableAcrossRestarts {
    pub fn new(servers: usize) -> DurableAcrossRestarts {
        DurableAcrossRestarts {
            seen: vec![None; servers],
            rebooted: vec![false; servers],
        }
    }

    /// Server `node` is about to boot again from its disk.
    pub fn restarted(&mut self, node: NodeId) {
        self.rebooted[node.index()] = true;
    }

    /// A rebooted server holds the term, vote and log its last incarnation had after its
    /// last step: what it promised durably (a vote, an acknowledged entry) survived.
    pub fn after_step(&mut self, nodes: &[Option<&RaftNode>]) -> Result<(), Violation> {
        self.after_step_of(nodes, None)
    }

    /// [`DurableAcrossRestarts::after_step`] looking at `stepped` only, when given: no other
    /// node changed since the last call (see `NodesView::stepped`).
    pub fn after_step_of(
        &mut self,
        nodes: &[Option<&RaftNode>],
        stepped: Option<NodeId>,
    ) -> Result<(), Violation> {
        // Fewer while the run is still adding its servers.
        assert!(nodes.len() <= self.seen.len(), "more views than servers");
        for (i, node) in nodes.iter().enumerate() {
            if stepped.is_some_and(|s| s.index() != i) {
                continue;
            }
            let Some(node) = node else { continue };
            let now = DurableView::of(node);
            if std::mem::take(&mut self.rebooted[i]) {
                if let Some(before) = self.seen[i].filter(|b| *b != now) {
                    return Err(Violation::new(
                        super::checks::DURABLE_ACROSS_RESTART,
                        format!(
                            "n{i} rebooted with {now:?}, but its last incarnation held {before:?}"
                        ),
                    )
                    .involving([NodeId(i as u32)]));
                }
            }
            self.seen[i] = Some(now);
        }
        Ok(())
    }
}
