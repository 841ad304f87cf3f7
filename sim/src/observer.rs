//! How a scenario watches a run: every emitted event, and the cluster after every step.

use protocol_core::{Node, NodeId, Time, Violation};

/// The nodes as an observer sees them after a step: `None` for a crashed node.
pub struct NodesView<'a, N> {
    pub(crate) nodes: &'a [Option<N>],
    pub(crate) stepped: Option<NodeId>,
}

impl<'a, N> NodesView<'a, N> {
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node this step ran, if it ran exactly one (a delivery, a timer, a call, a boot):
    /// every other node is as it was after the previous step, so an observer may check only
    /// what involves this one. `None` after a fault or anything else that may touch any node.
    pub fn stepped(&self) -> Option<NodeId> {
        self.stepped
    }

    pub fn get(&self, id: NodeId) -> Option<&'a N> {
        self.nodes.get(id.index()).and_then(Option::as_ref)
    }

    /// Every node in id order, `None` where crashed.
    pub fn iter(&self) -> impl Iterator<Item = (NodeId, Option<&'a N>)> + 'a {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, node)| (NodeId(i as u32), node.as_ref()))
    }
}

/// Safety checks that run as the simulation goes. Every method may report a violation;
/// the simulator stops at the first one and reports it with the seed and the trace.
pub trait Observer<N: Node> {
    /// A node emitted an event for the layer above (an applied entry, a reply).
    fn on_emit(&mut self, _now: Time, _node: NodeId, _event: &N::Event) -> Result<(), Violation> {
        Ok(())
    }

    /// A node crashed: whatever it had not persisted is gone.
    fn on_crash(&mut self, _now: Time, _node: NodeId) {}

    /// The crash `on_crash` reports next fell within one of the node's steps, after only
    /// some of its outputs were carried out: the observer never saw the state that step left.
    fn on_crash_within_step(&mut self, _now: Time, _node: NodeId) {}

    /// A node is about to boot again from its disk; what it emits while booting follows.
    fn on_restart(&mut self, _now: Time, _node: NodeId) {}

    /// A node found its disk corrupt at boot (after a storage fault) and is down for good:
    /// liveness must be judged without it.
    fn on_disk_failed(&mut self, _now: Time, _node: NodeId, _reason: &str) {}

    /// Called after every step with every node, for cluster-wide invariants.
    fn after_step(&mut self, _now: Time, _nodes: &NodesView<'_, N>) -> Result<(), Violation> {
        Ok(())
    }
}

/// Watches nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl<N: Node> Observer<N> for NoObserver {}
