//! What the proxy does to each frame: the fault rules, shared between the proxies and the
//! nemesis that changes them.

use protocol_core::rng::{Ratio, Rng};
use protocol_core::NodeId;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

/// The network's faults right now. Empty rules deliver every frame at once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rules {
    /// Directed links that lose every frame, `(from, to)`: a partition cuts both directions,
    /// a one-way fault one.
    pub cut: BTreeSet<(NodeId, NodeId)>,
    /// Extra delay, in ms, on every frame to or from the node.
    pub delay_ms: BTreeMap<NodeId, u64>,
    /// Frames to or from the node lost, per mille.
    pub loss_per_mille: BTreeMap<NodeId, u32>,
}

/// What becomes of one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Drop,
    Deliver { delay: Duration },
}

impl Rules {
    /// Cuts every link between `side` and `others`, both ways.
    pub fn partition(&mut self, side: &[NodeId], others: &[NodeId]) {
        for &a in side {
            for &b in others {
                self.cut.insert((a, b));
                self.cut.insert((b, a));
            }
        }
    }

    /// Cuts every link from `senders` to `receivers`, one way.
    pub fn cut_one_way(&mut self, senders: &[NodeId], receivers: &[NodeId]) {
        for &a in senders {
            for &b in receivers {
                self.cut.insert((a, b));
            }
        }
    }

    pub fn is_clear(&self) -> bool {
        self.cut.is_empty() && self.delay_ms.is_empty() && self.loss_per_mille.is_empty()
    }

    /// The fate of a frame from `from` to `to`; `rng` draws the loss (only when a loss rule
    /// applies, so clear rules draw nothing).
    pub fn fate(&self, from: NodeId, to: NodeId, rng: &mut Rng) -> Fate {
        if self.cut.contains(&(from, to)) {
            return Fate::Drop;
        }
        if let Some(per_mille) = worse_of(&self.loss_per_mille, from, to) {
            if Ratio::new(per_mille.min(1000), 1000).chance(rng) {
                return Fate::Drop;
            }
        }
        let delay = worse_of(&self.delay_ms, from, to).unwrap_or(0);
        Fate::Deliver {
            delay: Duration::from_millis(delay),
        }
    }
}

/// The larger of the two endpoints' settings, if either has one.
fn worse_of<T: Copy + Ord>(map: &BTreeMap<NodeId, T>, from: NodeId, to: NodeId) -> Option<T> {
    map.get(&from).copied().max(map.get(&to).copied())
}

/// Rules shared by every proxy of a run; the nemesis replaces or edits them.
#[derive(Clone, Debug, Default)]
pub struct SharedRules(Arc<RwLock<Rules>>);

impl SharedRules {
    pub fn get(&self) -> Rules {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn update(&self, edit: impl FnOnce(&mut Rules)) {
        edit(&mut self.0.write().unwrap_or_else(PoisonError::into_inner));
    }

    pub(crate) fn fate(&self, from: NodeId, to: NodeId, rng: &mut Rng) -> Fate {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .fate(from, to, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol_core::rng::rng_from_seed;

    const A: NodeId = NodeId(0);
    const B: NodeId = NodeId(1);
    const C: NodeId = NodeId(2);

    #[test]
    fn partitions_cut_both_ways_and_one_way_cuts_one() {
        let mut rng = rng_from_seed(1);
        let mut rules = Rules::default();
        rules.partition(&[A], &[B, C]);
        assert_eq!(rules.fate(A, B, &mut rng), Fate::Drop);
        assert_eq!(rules.fate(C, A, &mut rng), Fate::Drop);
        assert!(matches!(rules.fate(B, C, &mut rng), Fate::Deliver { .. }));
        let mut one_way = Rules::default();
        one_way.cut_one_way(&[A], &[B]);
        assert_eq!(one_way.fate(A, B, &mut rng), Fate::Drop);
        assert!(matches!(one_way.fate(B, A, &mut rng), Fate::Deliver { .. }));
        assert!(!one_way.is_clear());
        assert!(Rules::default().is_clear());
    }

    #[test]
    fn delay_and_loss_apply_to_links_touching_the_node() {
        let mut rng = rng_from_seed(2);
        let mut rules = Rules::default();
        rules.delay_ms.insert(B, 30);
        let slow = Fate::Deliver {
            delay: Duration::from_millis(30),
        };
        assert_eq!(rules.fate(A, B, &mut rng), slow);
        assert_eq!(rules.fate(B, C, &mut rng), slow);
        assert_eq!(
            rules.fate(A, C, &mut rng),
            Fate::Deliver {
                delay: Duration::ZERO
            }
        );
        rules.loss_per_mille.insert(C, 1000);
        assert_eq!(rules.fate(A, C, &mut rng), Fate::Drop);
        rules.loss_per_mille.insert(C, 500);
        let lost = (0..1000)
            .filter(|_| rules.fate(A, C, &mut rng) == Fate::Drop)
            .count();
        assert!((400..600).contains(&lost), "{lost} of 1000 lost at 50%");
    }
}
