//! The simulated network: who can reach whom, and what happens to a message on the way.

use protocol_core::rng::Choose;
use protocol_core::rng::{range_inclusive, Ratio};
use protocol_core::NodeId;

/// Per-message one-way latency: uniform in `min_us..=max_us`, except that a `tail` fraction
/// of messages takes up to `tail_max_us` (a long tail; it also reorders them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatencyModel {
    pub min_us: u64,
    pub max_us: u64,
    pub tail: Ratio,
    pub tail_max_us: u64,
}

impl LatencyModel {
    pub const fn uniform(min_us: u64, max_us: u64) -> LatencyModel {
        LatencyModel {
            min_us,
            max_us,
            tail: Ratio::NEVER,
            tail_max_us: max_us,
        }
    }

    pub fn sample(&self, rng: &mut impl Choose) -> u64 {
        assert!(
            self.min_us <= self.max_us,
            "latency min {} > max {}",
            self.min_us,
            self.max_us
        );
        if self.tail.chance(rng) {
            assert!(
                self.max_us <= self.tail_max_us,
                "tail shorter than the body"
            );
            return range_inclusive(rng, self.max_us, self.tail_max_us);
        }
        range_inclusive(rng, self.min_us, self.max_us)
    }
}

/// What the network does to messages, as integer probabilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetworkConfig {
    pub latency: LatencyModel,
    /// A message vanishes.
    pub loss: Ratio,
    /// A message arrives twice, each copy with its own latency.
    pub duplicate: Ratio,
    /// A message is held back `long_reorder_min_us..=long_reorder_max_us` (the course's
    /// LongReordering), so it overtakes nothing and is overtaken by much.
    pub long_reorder: Ratio,
    pub long_reorder_min_us: u64,
    pub long_reorder_max_us: u64,
    /// A byte of the frame is flipped in flight; the receiver's checksum catches it.
    pub corrupt: Ratio,
}

impl NetworkConfig {
    /// A LAN-like network that loses nothing: 0.1–1 ms per message.
    pub const fn reliable() -> NetworkConfig {
        NetworkConfig {
            latency: LatencyModel::uniform(100, 1_000),
            loss: Ratio::NEVER,
            duplicate: Ratio::NEVER,
            long_reorder: Ratio::NEVER,
            long_reorder_min_us: 200_000,
            long_reorder_max_us: 2_200_000,
            corrupt: Ratio::NEVER,
        }
    }

    pub fn is_reliable(&self) -> bool {
        self.loss.is_never() && self.corrupt.is_never()
    }
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig::reliable()
    }
}

/// Directed links between nodes. A message from `a` to `b` needs the link `a -> b` up both
/// when it is sent and when it arrives.
#[derive(Clone, Debug, Default)]
pub struct Links {
    size: usize,
    up: Vec<bool>,
    /// The course's "connected" flag: `connect(i)` raises links only to connected peers.
    connected: Vec<bool>,
}

impl Links {
    pub fn grow_to(&mut self, size: usize) {
        if size <= self.size {
            return;
        }
        let mut up = vec![true; size * size];
        for from in 0..self.size {
            for to in 0..self.size {
                up[from * size + to] = self.up[from * self.size + to];
            }
        }
        self.up = up;
        self.connected.resize(size, true);
        self.size = size;
    }

    pub fn is_up(&self, from: NodeId, to: NodeId) -> bool {
        self.up[from.index() * self.size + to.index()]
    }

    pub fn set(&mut self, from: NodeId, to: NodeId, up: bool) {
        assert!(
            from.index() < self.size && to.index() < self.size,
            "link {from}->{to} unknown"
        );
        self.up[from.index() * self.size + to.index()] = up;
    }

    /// Splits `groups` from each other: links inside a group up, across groups down. Nodes
    /// not named (clerks, say) keep their links.
    pub fn partition(&mut self, groups: &[Vec<NodeId>]) {
        for (gi, group) in groups.iter().enumerate() {
            for (hi, other) in groups.iter().enumerate() {
                for &a in group {
                    for &b in other {
                        self.set(a, b, gi == hi);
                    }
                }
            }
        }
    }

    /// Cuts every link into and out of `node` (the course's `disconnect`).
    pub fn disconnect(&mut self, node: NodeId) {
        self.connected[node.index()] = false;
        for other in 0..self.size {
            let other = NodeId(other as u32);
            self.set(node, other, other == node);
            self.set(other, node, other == node);
        }
    }

    /// Raises links between `node` and every connected peer among `peers` (course `connect`).
    pub fn connect(&mut self, node: NodeId, peers: &[NodeId]) {
        self.connected[node.index()] = true;
        for &peer in peers {
            if self.connected[peer.index()] {
                self.set(node, peer, true);
                self.set(peer, node, true);
            }
        }
    }

    pub fn heal(&mut self) {
        self.up.iter_mut().for_each(|link| *link = true);
        self.connected.iter_mut().for_each(|c| *c = true);
    }

    /// Links that are down, as `(from, to)` pairs in order, for summaries.
    pub fn down_links(&self) -> Vec<(NodeId, NodeId)> {
        let mut down = Vec::new();
        for from in 0..self.size {
            for to in 0..self.size {
                if !self.up[from * self.size + to] {
                    down.push((NodeId(from as u32), NodeId(to as u32)));
                }
            }
        }
        down
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol_core::rng::rng_from_seed;

    fn ids(raw: &[u32]) -> Vec<NodeId> {
        raw.iter().map(|&i| NodeId(i)).collect()
    }

    #[test]
    fn partition_splits_groups_and_spares_others() {
        let mut links = Links::default();
        links.grow_to(5);
        links.partition(&[ids(&[0, 1]), ids(&[2, 3])]);
        assert!(links.is_up(NodeId(0), NodeId(1)));
        assert!(!links.is_up(NodeId(1), NodeId(2)));
        assert!(!links.is_up(NodeId(3), NodeId(0)));
        assert!(
            links.is_up(NodeId(4), NodeId(2)),
            "an unnamed node keeps its links"
        );
        links.heal();
        assert!(links.down_links().is_empty());
    }

    #[test]
    fn connect_only_reaches_connected_peers() {
        let mut links = Links::default();
        links.grow_to(3);
        let all = ids(&[0, 1, 2]);
        links.disconnect(NodeId(0));
        links.disconnect(NodeId(1));
        links.connect(NodeId(0), &all);
        assert!(links.is_up(NodeId(0), NodeId(2)));
        assert!(
            !links.is_up(NodeId(0), NodeId(1)),
            "1 is still disconnected"
        );
        links.connect(NodeId(1), &all);
        assert!(links.is_up(NodeId(1), NodeId(0)));
    }

    #[test]
    fn one_way_links() {
        let mut links = Links::default();
        links.grow_to(2);
        links.set(NodeId(0), NodeId(1), false);
        assert!(!links.is_up(NodeId(0), NodeId(1)));
        assert!(links.is_up(NodeId(1), NodeId(0)));
    }

    #[test]
    fn growing_keeps_existing_links() {
        let mut links = Links::default();
        links.grow_to(2);
        links.set(NodeId(1), NodeId(0), false);
        links.grow_to(4);
        assert!(!links.is_up(NodeId(1), NodeId(0)));
        assert!(links.is_up(NodeId(3), NodeId(1)));
    }

    #[test]
    fn latency_tail_is_long() {
        let model = LatencyModel {
            min_us: 10,
            max_us: 20,
            tail: Ratio::percent(50),
            tail_max_us: 10_000,
        };
        let mut rng = rng_from_seed(1);
        let samples: Vec<u64> = (0..200).map(|_| model.sample(&mut rng)).collect();
        assert!(samples.iter().all(|&s| (10..=10_000).contains(&s)));
        assert!(samples.iter().any(|&s| s > 20));
        assert!(samples.iter().any(|&s| s < 20));
    }
}
