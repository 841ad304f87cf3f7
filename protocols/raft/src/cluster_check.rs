//! Cluster-wide safety checks, independent of any simulator.
//!
//! Feed a [`ClusterCheck`] every event a node emits ([`ClusterCheck::applied`]), tell it of
//! restarts, and show it the nodes after every step ([`ClusterCheck::after_step`]). It
//! remembers what it needs across the run and checks only what changed, so calling it after
//! every step stays cheap.

use crate::node::{RaftEvent, RaftNode};
use crate::types::{LogIndex, Term};
use protocol_core::NodeId;
use std::collections::BTreeMap;

pub struct ClusterCheck {
    /// The leader seen for each term, over the whole run (election safety).
    leaders: BTreeMap<Term, NodeId>,
    /// Per node: the last index its current incarnation applied (stream order).
    stream: Vec<Option<LogIndex>>,
}

impl ClusterCheck {
    pub fn new(nodes: usize) -> ClusterCheck {
        ClusterCheck {
            leaders: BTreeMap::new(),
            stream: vec![None; nodes],
        }
    }

    /// Node `node` booted again: its stream starts afresh.
    pub fn restarted(&mut self, node: NodeId) {
        self.stream[node.index()] = None;
    }

    /// One event `node` emitted, in emission order.
    pub fn applied(&mut self, node: NodeId, event: &RaftEvent) -> Result<(), String> {
        let last = &mut self.stream[node.index()];
        match event {
            RaftEvent::Applied { index, term, .. } => {
                let expected = last.unwrap_or(LogIndex::ZERO).next();
                if *index != expected {
                    return Err(format!("{node} applied index {index} (term {term}) but expected {expected}: gap or reordering"));
                }
                *last = Some(*index);
            }
            RaftEvent::Snapshot { index, term, .. } => {
                if last.is_some_and(|l| *index <= l) {
                    return Err(format!(
                        "{node} installed snapshot at {index} (term {term}) after applying {}",
                        last.unwrap_or_default()
                    ));
                }
                *last = Some(*index);
            }
            RaftEvent::Started(_) => {}
        }
        Ok(())
    }

    /// The nodes after a step (`None` for a node that is down).
    pub fn after_step(&mut self, nodes: &[Option<&RaftNode>]) -> Result<(), String> {
        for node in nodes.iter().flatten() {
            if node.is_leader() {
                let leader = *self.leaders.entry(node.term()).or_insert(node.id());
                if leader != node.id() {
                    return Err(format!(
                        "election safety: {leader} and {} both lead term {}",
                        node.id(),
                        node.term()
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn leaders_seen(&self) -> usize {
        self.leaders.len()
    }
}
