//! Raft's protocol-state coverage (see `sim_kit::state_coverage`): what a fuzzer counts as
//! a new situation of a Raft cluster, for the Raft and KV families alike.
//!
//! A server's situation, taken after each of its steps and reported when it changes, is
//! the tuple
//! - its role (follower, candidate, leader);
//! - its term gap: the highest term among the servers up, minus its own, as 0, 1, 2, 3+;
//! - its log's shape against the leader's (the leader of the highest term among the
//!   servers up): no leader, equal, a proper prefix, longer (the leader's log is a prefix
//!   of it), diverging (they differ at the follower's last entry), or behind the leader's
//!   snapshot (only an InstallSnapshot can catch it up). By log matching, comparing last
//!   entries' (index, term) decides it;
//! - its snapshot against its commit index: no snapshot, snapshot at the commit index,
//!   snapshot behind it;
//! - its uncommitted entries (last index minus commit index) as 0, 1, 2, 3+.
//!
//! Beside these, two events count each time they happen: a leader deposed while holding
//! uncommitted entries (the case the commitment rules exist for), and a snapshot installed
//! over a longer log (the entries past it must be cut or kept by the rules).

use protocol_core::NodeId;
use raft::{Log, RaftNode, Role};
use sim_kit::state_coverage::{bucket, enabled, observe, Tuple};

/// Tags of Raft's tuples (other families use other tags).
const SERVER: u8 = 1;
const DEPOSED_WITH_UNCOMMITTED: u8 = 2;
const SNAPSHOT_OVER_LONGER_LOG: u8 = 3;

/// How a server's log lies against the leader's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogShape {
    NoLeader,
    Equal,
    Prefix,
    Longer,
    Diverging,
    BehindSnapshot,
}

/// Each server's last reported situation; a server's situation is reported again only
/// after it changed (or the server restarted), so a counter counts entries into it.
pub struct RaftCoverage {
    last: Vec<Option<u64>>,
}

impl RaftCoverage {
    pub fn new(servers: usize) -> RaftCoverage {
        RaftCoverage {
            last: vec![None; servers],
        }
    }

    pub fn restarted(&mut self, node: NodeId) {
        self.last[node.index()] = None;
    }

    /// After a step: reports the situations of the servers that stepped (all, if `None`).
    pub fn after_step(&mut self, nodes: &[Option<&RaftNode>], stepped: Option<NodeId>) {
        if !enabled() {
            return;
        }
        let max_term = nodes.iter().flatten().map(|n| n.term()).max();
        let leader = nodes
            .iter()
            .flatten()
            .filter(|n| n.is_leader())
            .max_by_key(|n| n.term())
            .copied();
        for (i, node) in nodes.iter().enumerate() {
            if stepped.is_some_and(|s| s.index() != i) {
                continue;
            }
            let (Some(node), Some(max_term)) = (node, max_term) else {
                continue;
            };
            let gap = max_term.0 - node.term().0;
            let key = situation(node, gap, leader).key();
            if self.last[i] != Some(key) {
                self.last[i] = Some(key);
                observe(key);
            }
        }
    }

    /// A leader stepped down with entries past its commit index.
    pub fn deposed_with_uncommitted(uncommitted: u64) {
        observe(
            Tuple::new(DEPOSED_WITH_UNCOMMITTED)
                .field(bucket(uncommitted, 3), 2)
                .key(),
        );
    }

    /// A server installed a snapshot at `index` over a log reaching `last_index`.
    pub fn snapshot_over_longer_log(index: u64, last_index: u64) {
        let beyond = last_index.saturating_sub(index);
        observe(
            Tuple::new(SNAPSHOT_OVER_LONGER_LOG)
                .field(bucket(beyond, 3), 2)
                .key(),
        );
    }
}

/// The tuple of `node`, whose term is `gap` behind the highest, against `leader`'s log.
pub fn situation(node: &RaftNode, gap: u64, leader: Option<&RaftNode>) -> Tuple {
    let log = node.log();
    let snapshot = log.snapshot_index();
    let commit = node.commit_index();
    let snapshot_position = match snapshot.0 {
        0 => 0,
        _ if snapshot == commit => 1,
        _ => 2,
    };
    let uncommitted = log.last_index().0.saturating_sub(commit.0);
    Tuple::new(SERVER)
        .field(role_number(node.role()), 2)
        .field(bucket(gap, 3), 2)
        .field(log_shape(log, leader.map(RaftNode::log)) as u64, 3)
        .field(snapshot_position, 2)
        .field(bucket(uncommitted, 3), 2)
}

fn role_number(role: Role) -> u64 {
    match role {
        Role::Follower => 0,
        Role::Candidate => 1,
        Role::Leader => 2,
    }
}

/// How log `mine` lies against the leader's, `theirs` (see the module comment).
pub fn log_shape(mine: &Log, theirs: Option<&Log>) -> LogShape {
    let Some(theirs) = theirs else {
        return LogShape::NoLeader;
    };
    let (my_last, their_last) = (mine.last_index(), theirs.last_index());
    if my_last < theirs.snapshot_index() {
        return LogShape::BehindSnapshot;
    }
    if my_last <= their_last {
        // At or past their snapshot point: the leader knows the term there.
        return match theirs.term_at(my_last) == Some(mine.last_term()) {
            true if my_last == their_last => LogShape::Equal,
            true => LogShape::Prefix,
            false => LogShape::Diverging,
        };
    }
    match mine.term_at(their_last) == Some(theirs.last_term()) {
        true => LogShape::Longer,
        // Compacted past the leader's last entry: it cannot be compared, and is ahead.
        false if mine.snapshot_index() > their_last => LogShape::Longer,
        false => LogShape::Diverging,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol_core::{Disk, Node, Outbox, Time};
    use raft::{Config, Entry, LogIndex, Term};

    fn fresh(id: u32) -> RaftNode {
        let mut out = Outbox::new();
        RaftNode::boot(
            &Config::with_size(3),
            NodeId(id),
            &Disk::new(),
            u64::from(id),
            Time::ZERO,
            &mut out,
        )
        .expect("a fresh disk boots")
    }

    #[test]
    fn a_fresh_follower_without_a_leader_has_its_known_tuple() {
        let node = fresh(0);
        assert_eq!(log_shape(node.log(), None), LogShape::NoLeader);
        let expected = Tuple::new(SERVER)
            .field(0, 2) // follower
            .field(0, 2) // no term gap
            .field(LogShape::NoLeader as u64, 3)
            .field(0, 2) // no snapshot
            .field(0, 2); // nothing uncommitted
        assert_eq!(situation(&node, 0, None), expected);
    }

    #[test]
    fn different_situations_are_different_tuples() {
        let (node, other) = (fresh(0), fresh(1));
        // Two empty logs are equal; a term gap or a missing leader is another situation.
        assert_eq!(log_shape(node.log(), Some(other.log())), LogShape::Equal);
        let with_leader = situation(&node, 0, Some(&other));
        assert_ne!(with_leader, situation(&node, 0, None));
        assert_ne!(with_leader, situation(&node, 1, Some(&other)));
        assert_ne!(situation(&node, 3, None), situation(&node, 2, None));
        assert_eq!(situation(&node, 3, None), situation(&node, 9, None), "3+");
    }

    fn log(snapshot: (u64, u64), terms: &[u64]) -> Log {
        let entries = terms
            .iter()
            .map(|&t| Entry {
                term: Term(t),
                command: vec![],
            })
            .collect();
        Log::new(LogIndex(snapshot.0), Term(snapshot.1), entries)
    }

    #[test]
    fn log_shapes_against_the_leader() {
        let leader = log((0, 0), &[1, 1, 2]);
        let shape = |mine: &Log| log_shape(mine, Some(&leader));
        assert_eq!(shape(&log((0, 0), &[1, 1, 2])), LogShape::Equal);
        assert_eq!(shape(&log((0, 0), &[1])), LogShape::Prefix);
        assert_eq!(shape(&log((0, 0), &[1, 1, 2, 2])), LogShape::Longer);
        assert_eq!(shape(&log((0, 0), &[1, 1, 3])), LogShape::Diverging);
        assert_eq!(shape(&log((0, 0), &[1, 1, 3, 3])), LogShape::Diverging);
        assert_eq!(shape(&log((5, 2), &[])), LogShape::Longer);
        let compacted = log((2, 1), &[2, 2]);
        assert_eq!(
            log_shape(&log((0, 0), &[1]), Some(&compacted)),
            LogShape::BehindSnapshot
        );
        assert_eq!(
            log_shape(&log((0, 0), &[1, 1]), Some(&compacted)),
            LogShape::Prefix
        );
    }
}
