//! Durability across crashes: a rebooted server holds at least what its last incarnation
//! promised, the state its latest completed write made durable (`RaftNode::promised`), the
//! state its votes, acknowledgements and term answers were given from. What it wrote and had
//! not yet synced a crash may take back, so its log is the promised one or the one the write
//! under way captured (a later leader may have replaced promised entries that never
//! committed). A crash within a step may leave a write the watch never saw: then only term,
//! vote and snapshot, which only grow, are compared.

use protocol_core::NodeId;
use raft::{Promised, RaftNode};
use sim::Violation;

/// What a node left when it crashed: its promise, and the write under way if the watch saw
/// every step (`None` for the write when a crash within a step may have hidden one).
#[derive(Clone, Copy, Debug)]
struct LastSeen {
    promised: Promised,
    writing: Option<Option<Promised>>,
}

/// Whether `node`'s log holds the last entry of `state`'s.
fn holds_last(node: &RaftNode, state: &Promised) -> bool {
    let log = node.log();
    state.last_index <= log.snapshot_index()
        || log.term_at(state.last_index) == Some(state.last_term)
}

/// Why `node`, just booted, does not hold what it promised; `None` if it does.
fn broken_promise(node: &RaftNode, seen: &LastSeen) -> Option<String> {
    let promised = &seen.promised;
    let log = node.log();
    if node.term() < promised.term {
        return Some(format!("term {} < promised {}", node.term(), promised.term));
    }
    let vote_kept = node.term() > promised.term
        || promised.voted_for.is_none()
        || node.voted_for() == promised.voted_for;
    if !vote_kept {
        return Some(format!(
            "vote {:?} in term {}, promised {:?}",
            node.voted_for(),
            node.term(),
            promised.voted_for
        ));
    }
    if log.snapshot_index() < promised.snapshot_index {
        return Some(format!(
            "snapshot at {} < promised {}",
            log.snapshot_index(),
            promised.snapshot_index
        ));
    }
    let log_kept = match seen.writing {
        None => true,
        Some(writing) => {
            holds_last(node, promised) || writing.is_some_and(|w| holds_last(node, &w))
        }
    };
    if !log_kept {
        return Some(format!(
            "its log (to {} term {}) lacks the promised entry {} of term {}",
            log.last_index(),
            log.last_term(),
            promised.last_index,
            promised.last_term
        ));
    }
    None
}

/// Compares each rebooted server's state with what its last incarnation promised.
pub struct DurableAcrossRestarts {
    /// Per node, what it had promised (and was writing) as of its incarnation's last step.
    seen: Vec<Option<LastSeen>>,
    /// Nodes booted again whose state is still to be compared.
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

    /// Server `node` crashed within a step: a write it started then was never seen.
    pub fn crashed_within_step(&mut self, node: NodeId) {
        if let Some(seen) = self.seen[node.index()].as_mut() {
            seen.writing = None;
        }
    }

    /// A rebooted server holds the term, vote and log its last incarnation promised.
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
            if std::mem::take(&mut self.rebooted[i]) {
                let broken = self.seen[i].and_then(|s| broken_promise(node, &s).map(|b| (s, b)));
                if let Some((seen, broken)) = broken {
                    let promised = seen.promised;
                    return Err(Violation::new(
                        super::checks::DURABLE_ACROSS_RESTART,
                        format!("n{i} rebooted with {broken}; its last incarnation promised {promised:?}"),
                    )
                    .involving([NodeId(i as u32)]));
                }
            }
            self.seen[i] = Some(LastSeen {
                promised: node.promised(),
                writing: Some(node.writing()),
            });
        }
        Ok(())
    }
}
