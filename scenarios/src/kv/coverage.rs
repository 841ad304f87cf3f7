//! The KV service's protocol-state coverage (see `sim_kit::state_coverage`), beside the
//! Raft situations of its servers (`crate::raft::coverage`, reported by `RaftGoals`).
//!
//! - The cluster, after each server step, reported when it changes: how many servers up
//!   believe they lead (0, 1, 2+), whether the leader of the highest term changed since the
//!   last report, and the clerk operations pending (0, 1, 2, ..., 7+). A leader change with
//!   operations pending is the case clerks' retries and the duplicate table exist for.
//! - A server applied a client command: whether it was a retry of one it had applied
//!   (the duplicate table's work), and the operations pending.
//! - A server installed a snapshot, with the operations pending.

use protocol_core::NodeId;
use raft::{RaftNode, Term};
use sim_kit::state_coverage::{bucket, enabled, observe, Tuple};

const CLUSTER: u8 = 16;
const APPLIED: u8 = 17;
const SNAPSHOT: u8 = 18;

/// The KV situations' memory: operations pending, the last leader and the last report.
#[derive(Default)]
pub struct KvCoverage {
    pending: u64,
    leader: Option<(Term, NodeId)>,
    last: Option<u64>,
}

impl KvCoverage {
    pub fn new() -> KvCoverage {
        KvCoverage::default()
    }

    pub fn invoked(&mut self) {
        self.pending += 1;
    }

    pub fn returned(&mut self) {
        self.pending = self.pending.saturating_sub(1);
    }

    /// After a server's step: the cluster's tuple, if it changed.
    pub fn after_step(&mut self, rafts: &[Option<&RaftNode>]) {
        if !enabled() {
            return;
        }
        let leaders = rafts.iter().flatten().filter(|n| n.is_leader());
        let count = leaders.clone().count() as u64;
        let leader = leaders.map(|n| (n.term(), n.id())).max();
        let changed = leader.is_some() && self.leader.is_some() && leader != self.leader;
        if leader.is_some() {
            self.leader = leader;
        }
        let key = cluster(count, changed, self.pending).key();
        if self.last != Some(key) {
            self.last = Some(key);
            observe(key);
        }
    }

    /// A server applied a client command; `retry` if it had applied it before.
    pub fn applied(&self, retry: bool) {
        if enabled() {
            observe(applied(retry, self.pending).key());
        }
    }

    /// A server installed a snapshot.
    pub fn snapshot(&self) {
        if enabled() {
            observe(Tuple::new(SNAPSHOT).field(bucket(self.pending, 7), 3).key());
        }
    }
}

/// The cluster's tuple: `leaders` up, whether the leader `changed`, operations `pending`.
pub fn cluster(leaders: u64, changed: bool, pending: u64) -> Tuple {
    Tuple::new(CLUSTER)
        .field(bucket(leaders, 2), 2)
        .field(u64::from(changed), 1)
        .field(bucket(pending, 7), 3)
}

/// An applied command's tuple.
pub fn applied(retry: bool, pending: u64) -> Tuple {
    Tuple::new(APPLIED)
        .field(u64::from(retry), 1)
        .field(bucket(pending, 7), 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leader_change_with_operations_pending_is_its_own_situation() {
        let expected = Tuple::new(CLUSTER).field(1, 2).field(1, 1).field(3, 3);
        assert_eq!(cluster(1, true, 3), expected);
        assert_ne!(cluster(1, true, 3), cluster(1, false, 3));
        assert_ne!(cluster(1, true, 3), cluster(1, true, 0));
        assert_eq!(
            cluster(5, true, 30),
            cluster(2, true, 7),
            "2+ leaders, 7+ pending"
        );
    }

    #[test]
    fn a_retry_of_an_applied_command_differs_from_a_first_apply() {
        assert_ne!(applied(true, 1), applied(false, 1));
        assert_ne!(applied(true, 1).key(), cluster(1, true, 1).key());
    }
}
