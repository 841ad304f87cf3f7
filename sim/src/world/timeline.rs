//! The world's side of a [`Timeline`]: what only the world knows (each node's state as its
//! family describes it, which links are down, what is still in flight), sampled after steps
//! and faults while a timeline is recorded. Reads only: the run is the same without it.

use super::{Event, Sim};
use crate::observer::Observer;
use crate::timeline::{MessageFlight, NodeState, Outcome, Timeline};
use protocol_core::{Node, NodeId};

impl<N: Node, O: Observer<N>> Sim<N, O> {
    /// Keeps a timeline of the run from now on (for the failure page and Chrome traces).
    /// Call it before adding nodes, so that their boots are on it.
    pub fn record_timeline(&mut self) {
        self.trace.record_timeline();
    }

    /// How this family's nodes are shown on a timeline: a label and a number, such as a
    /// role and a term. Called after each step of a node, only while a timeline is recorded.
    pub fn describe_nodes(&mut self, describe: fn(&N) -> NodeState) {
        self.describe = Some(describe);
    }

    /// The timeline recorded so far, ended now (messages in flight marked so), if one was
    /// asked for; later events are not recorded.
    pub fn take_timeline(&mut self) -> Option<Box<Timeline>> {
        let mut timeline = self.trace.take_timeline()?;
        let mut in_flight: Vec<MessageFlight> = self
            .queue
            .iter()
            .filter_map(|(at, event)| match event {
                Event::Deliver(frame) => Some(MessageFlight {
                    from: frame.from,
                    to: frame.to,
                    kind: frame.kind,
                    sent: frame.sent,
                    end: at,
                    outcome: Outcome::InFlight,
                }),
                Event::Timer { .. } | Event::Fault(_) | Event::Synced { .. } => None,
            })
            .collect();
        in_flight.sort_by_key(|m| (m.sent, m.end, m.from, m.to));
        timeline.finish(self.now, in_flight);
        Some(timeline)
    }

    /// After a step of `stepped` (or of the whole world): the states that may have changed.
    pub(super) fn sample_states(&mut self, stepped: Option<NodeId>) {
        let describe = self.describe;
        let now = self.now;
        let nodes = &self.nodes;
        let Some(timeline) = self.trace.timeline_mut() else {
            return;
        };
        let state_of = |id: NodeId| {
            nodes[id.index()]
                .as_ref()
                .map(|node| describe.map_or(NodeState::UP, |describe| describe(node)))
        };
        match stepped {
            Some(id) => timeline.set_state(now, id, state_of(id)),
            None => {
                for i in 0..nodes.len() {
                    let id = NodeId(i as u32);
                    timeline.set_state(now, id, state_of(id));
                }
            }
        }
    }

    /// After a fault: which links are down now.
    pub(super) fn sample_links(&mut self) {
        let now = self.now;
        if let Some(timeline) = self.trace.timeline_mut() {
            timeline.set_links(now, self.links.down_links());
        }
    }
}
