//! Cluster-wide safety checks, independent of any simulator.
//!
//! Feed a [`ClusterCheck`] every event a node emits ([`ClusterCheck::applied`]), tell it of
//! restarts ([`ClusterCheck::restarted`]: a rebooted node's log is a new value), and show it
//! the nodes after every step ([`ClusterCheck::after_step`]). It remembers what it needs
//! across the run and looks only at what changed (new leaders, newly committed indexes, log
//! entries written since the last step), so calling it after every step stays cheap, and
//! log matching still holds over whole logs after every step (`log_matching.rs` proves it).
//! [`ClusterCheck::check_log_matching_full`] recomputes log matching from scratch, O(nodes² ×
//! log), for the end of a run.

use crate::checks::{APPLY_ORDER, ELECTION_SAFETY, LEADER_COMPLETENESS, STATE_MACHINE_SAFETY};
use crate::log_matching::{self, LogMatching};
use crate::node::{RaftEvent, RaftNode};
use crate::types::{LogIndex, Term};
use protocol_core::{NodeId, Violation};
use std::collections::{BTreeMap, VecDeque};

/// What the cluster committed at one index, as first seen.
struct Committed {
    term: Term,
    /// `None` when first learned from a snapshot point, whose command is not visible.
    command: Option<Vec<u8>>,
    /// An upper bound on the term in which it was committed: leaders of later terms must hold it.
    commit_term: Term,
}

pub struct ClusterCheck {
    /// The leader seen for each term, over the whole run (election safety).
    leaders: BTreeMap<Term, NodeId>,
    /// Per node: the last index its current incarnation applied (stream order).
    stream: Vec<Option<LogIndex>>,
    /// Per node: commit index already compared with `committed`.
    checked_commit: Vec<LogIndex>,
    /// What was committed at indexes `first_kept..`: `committed[0]` is index `first_kept`.
    committed: VecDeque<Option<Committed>>,
    first_kept: u64,
    /// Per node: the highest snapshot index seen. Snapshots are durable, so every index below
    /// the lowest of these is inside every node's snapshot and can never be compared again:
    /// it is forgotten, which keeps a long run's memory flat.
    snapshot_floor: Vec<LogIndex>,
    log_matching: LogMatching,
}

impl ClusterCheck {
    pub fn new(nodes: usize) -> ClusterCheck {
        ClusterCheck {
            leaders: BTreeMap::new(),
            stream: vec![None; nodes],
            checked_commit: vec![LogIndex::ZERO; nodes],
            committed: VecDeque::new(),
            first_kept: 0,
            snapshot_floor: vec![LogIndex::ZERO; nodes],
            log_matching: LogMatching::new(nodes),
        }
    }

    /// Node `node` booted again: its stream and commit index start afresh.
    pub fn restarted(&mut self, node: NodeId) {
        self.stream[node.index()] = None;
        self.checked_commit[node.index()] = LogIndex::ZERO;
        self.log_matching.restarted(node);
    }

    /// One event `node` emitted, in emission order: stream order and state machine safety.
    pub fn applied(&mut self, node: NodeId, event: &RaftEvent) -> Result<(), Violation> {
        let last = self.stream[node.index()];
        match event {
            RaftEvent::Applied {
                index,
                term,
                command,
            } => {
                let expected = last.unwrap_or(LogIndex::ZERO).next();
                if *index != expected {
                    let message = format!(
                        "{node} applied index {index} (term {term}) but expected {expected}"
                    );
                    return Err(Violation::new(APPLY_ORDER, message).involving([node]));
                }
                self.stream[node.index()] = Some(*index);
                self.record(node, *index, *term, Some(command), Term(u64::MAX))
            }
            RaftEvent::Snapshot { index, term, .. } => {
                if let Some(l) = last.filter(|l| index <= l) {
                    let message = format!(
                        "{node} installed snapshot at {index} (term {term}) after applying {l}"
                    );
                    return Err(Violation::new(APPLY_ORDER, message).involving([node]));
                }
                self.stream[node.index()] = Some(*index);
                self.record(node, *index, *term, None, Term(u64::MAX))
            }
            RaftEvent::Started(_) => Ok(()),
        }
    }

    /// The nodes after a step (`None` for a node that is down).
    pub fn after_step(&mut self, nodes: &[Option<&RaftNode>]) -> Result<(), Violation> {
        for node in nodes.iter().flatten() {
            self.check_node(node)?;
        }
        self.log_matching.after_step(nodes)
    }

    /// [`ClusterCheck::after_step`] when only node `changed` can differ from the nodes of
    /// the previous call (`None`: any can). Election safety, leader completeness and new
    /// commits of the other nodes would give the answers they gave then, so only `changed`
    /// is looked at; log matching finds what changed by itself, and costs what changed.
    pub fn after_step_of(
        &mut self,
        nodes: &[Option<&RaftNode>],
        changed: Option<NodeId>,
    ) -> Result<(), Violation> {
        let Some(changed) = changed else {
            return self.after_step(nodes);
        };
        if let Some(node) = nodes.get(changed.index()).copied().flatten() {
            self.check_node(node)?;
        }
        self.log_matching.after_step(nodes)
    }

    /// Election safety, leader completeness and new commits of one node.
    fn check_node(&mut self, node: &RaftNode) -> Result<(), Violation> {
        if node.is_leader() && !self.leaders.contains_key(&node.term()) {
            self.check_leader_completeness(node)?;
        }
        if node.is_leader() {
            let leader = *self.leaders.entry(node.term()).or_insert(node.id());
            if leader != node.id() {
                let message = format!("{leader} and {} both lead term {}", node.id(), node.term());
                return Err(Violation::new(ELECTION_SAFETY, message).involving([leader, node.id()]));
            }
        }
        self.check_new_commits(node)
    }

    /// Log matching over whole logs, recomputed from scratch: same index and term means the
    /// same prefix.
    pub fn check_log_matching_full(&self, nodes: &[Option<&RaftNode>]) -> Result<(), Violation> {
        log_matching::check_full(nodes)
    }

    pub fn leaders_seen(&self) -> usize {
        self.leaders.len()
    }

    /// Indexes whose committed entry is still kept for comparison (bounded by snapshots).
    pub fn kept_indexes(&self) -> usize {
        self.committed.len()
    }

    /// Highest index known committed.
    pub fn committed_len(&self) -> usize {
        (self.first_kept as usize + self.committed.len()).saturating_sub(1)
    }

    /// Leader completeness: a new leader of term T holds every entry committed before T.
    /// From its snapshot point on, whose term the log keeps: a snapshot that stands for a
    /// different entry there lacks the committed one as surely as a log would.
    fn check_leader_completeness(&self, leader: &RaftNode) -> Result<(), Violation> {
        let log = leader.log();
        let skip = log.snapshot_index().0.saturating_sub(self.first_kept) as usize;
        for (pos, slot) in self.committed.iter().enumerate().skip(skip) {
            let i = self.first_kept + pos as u64;
            let Some(c) = slot else { continue };
            if c.commit_term < leader.term() && log.term_at(LogIndex(i)) != Some(c.term) {
                let message = format!(
                    "{} leads term {} without index {i} (term {}) committed by term {}",
                    leader.id(),
                    leader.term(),
                    c.term,
                    c.commit_term
                );
                return Err(Violation::new(LEADER_COMPLETENESS, message).involving([leader.id()]));
            }
        }
        Ok(())
    }

    /// Entries a node newly counts as committed must be what the cluster committed there.
    fn check_new_commits(&mut self, node: &RaftNode) -> Result<(), Violation> {
        let log = node.log();
        let from = self.checked_commit[node.id().index()].max(log.snapshot_index());
        for i in (from.0 + 1..=node.commit_index().0).map(LogIndex) {
            let entry = log
                .entry(i)
                .expect("committed entries past the snapshot are held");
            self.record(node.id(), i, entry.term, Some(&entry.command), node.term())?;
        }
        self.checked_commit[node.id().index()] = node.commit_index();
        self.forget_below_snapshots(node);
        Ok(())
    }

    fn forget_below_snapshots(&mut self, node: &RaftNode) {
        let floor = &mut self.snapshot_floor[node.id().index()];
        *floor = (*floor).max(node.log().snapshot_index());
        let lowest = self
            .snapshot_floor
            .iter()
            .min()
            .copied()
            .unwrap_or_default();
        while self.first_kept < lowest.0 {
            if self.committed.pop_front().is_none() {
                self.first_kept = lowest.0;
                break;
            }
            self.first_kept += 1;
        }
    }

    fn record(
        &mut self,
        node: NodeId,
        index: LogIndex,
        term: Term,
        command: Option<&Vec<u8>>,
        commit_term: Term,
    ) -> Result<(), Violation> {
        let Some(slot) = index.0.checked_sub(self.first_kept) else {
            return Ok(()); // inside every node's snapshot: nothing left to compare with
        };
        let slot = slot as usize;
        if self.committed.len() <= slot {
            self.committed.resize_with(slot + 1, || None);
        }
        match &mut self.committed[slot] {
            None => {
                self.committed[slot] = Some(Committed {
                    term,
                    command: command.cloned(),
                    commit_term,
                });
            }
            Some(c) => {
                let differs =
                    c.term != term || matches!((&c.command, command), (Some(a), Some(b)) if a != b);
                if differs {
                    let message = format!(
                        "{node} has index {index} committed with term {term}, but term {} was committed there",
                        c.term
                    );
                    return Err(Violation::new(STATE_MACHINE_SAFETY, message).involving([node]));
                }
                if c.command.is_none() {
                    c.command = command.cloned();
                }
                c.commit_term = c.commit_term.min(commit_term);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(index: u64, term: u64, command: u8) -> RaftEvent {
        RaftEvent::Applied {
            index: LogIndex(index),
            term: Term(term),
            command: vec![command],
        }
    }

    #[test]
    fn applied_stream_gaps_and_reorderings_are_violations() {
        let mut check = ClusterCheck::new(2);
        assert!(check.applied(NodeId(0), &applied(1, 1, 5)).is_ok());
        let err = check.applied(NodeId(0), &applied(3, 1, 6)).unwrap_err();
        assert_eq!(err.check, APPLY_ORDER, "{err}");
        assert_eq!(err.nodes, [NodeId(0)]);
        assert!(err.message.contains("index 3"), "{err}");
        let snap = RaftEvent::Snapshot {
            index: LogIndex(1),
            term: Term(1),
            data: vec![],
        };
        let err = check.applied(NodeId(0), &snap).unwrap_err();
        assert_eq!(err.check, APPLY_ORDER, "a snapshot below what was applied");
        check.restarted(NodeId(0));
        assert!(
            check.applied(NodeId(0), &applied(1, 1, 5)).is_ok(),
            "a restart re-applies from 1"
        );
    }

    #[test]
    fn different_commands_at_one_index_are_violations() {
        let mut check = ClusterCheck::new(2);
        check.applied(NodeId(0), &applied(1, 1, 5)).unwrap();
        assert!(check.applied(NodeId(1), &applied(1, 1, 5)).is_ok());
        check.restarted(NodeId(1));
        let err = check.applied(NodeId(1), &applied(1, 2, 6)).unwrap_err();
        assert_eq!(err.check, STATE_MACHINE_SAFETY, "{err}");
        assert_eq!(err.nodes, [NodeId(1)]);
    }

    #[test]
    fn the_incremental_check_sees_what_the_changed_node_brings() {
        use crate::test_support::leader;
        let (a, _) = leader(3, 0);
        let (b, _) = leader(3, 1);
        let mut check = ClusterCheck::new(3);
        assert!(check.after_step_of(&[Some(&a), None, None], None).is_ok());
        let err = check
            .after_step_of(&[Some(&a), Some(&b), None], Some(NodeId(1)))
            .unwrap_err();
        assert_eq!(err.check, ELECTION_SAFETY, "{err}");
        assert_eq!(err.nodes, [NodeId(0), NodeId(1)]);
        let mut check = ClusterCheck::new(3);
        assert!(check.after_step_of(&[Some(&a), None, None], None).is_ok());
        assert!(
            check
                .after_step_of(&[None, Some(&b), None], Some(NodeId(0)))
                .is_ok(),
            "a changed node that is down has nothing to check, and b did not step"
        );
    }

    #[test]
    fn two_leaders_in_a_term_are_a_violation() {
        use crate::test_support::leader;
        let (a, _) = leader(3, 0);
        let (b, _) = leader(3, 1);
        let mut check = ClusterCheck::new(3);
        assert!(check.after_step(&[Some(&a), None, None]).is_ok());
        let err = check.after_step(&[Some(&a), Some(&b), None]).unwrap_err();
        assert_eq!(err.check, ELECTION_SAFETY, "{err}");
        assert!(err.message.contains("term 1"), "{err}");
    }

    #[test]
    fn a_different_term_or_command_at_a_committed_index_is_a_violation() {
        let mut check = ClusterCheck::new(3);
        check.applied(NodeId(0), &applied(1, 1, 5)).unwrap();
        let err = check.applied(NodeId(1), &applied(1, 2, 5)).unwrap_err();
        assert_eq!(err.check, STATE_MACHINE_SAFETY, "another term: {err}");
        let err = check.applied(NodeId(2), &applied(1, 1, 6)).unwrap_err();
        assert_eq!(err.check, STATE_MACHINE_SAFETY, "another command: {err}");
    }

    /// Three followers that committed indexes 1..=5 (term 1) and then snapshotted at 3.
    fn followers_with_snapshots_at_3() -> Vec<RaftNode> {
        use crate::test_support::{append, boot, deliver};
        use protocol_core::{Outbox, Time};
        (0..3)
            .map(|id| {
                let mut node = boot(3, id);
                let (t, leader) = (Time::from_ms(1), (id + 1) % 3);
                let entries = append(1, leader, 0, 0, &[1, 1, 1, 1, 1], 5);
                deliver(&mut node, t, leader, entries);
                node.snapshot(t, LogIndex(3), vec![3], &mut Outbox::new());
                node
            })
            .collect()
    }

    #[test]
    fn what_every_snapshot_covers_is_forgotten() {
        let nodes = followers_with_snapshots_at_3();
        let mut check = ClusterCheck::new(3);
        check.after_step(&[Some(&nodes[0]), None, None]).unwrap();
        assert_eq!((check.committed_len(), check.kept_indexes()), (5, 6));
        check
            .after_step(&[Some(&nodes[0]), Some(&nodes[1]), None])
            .unwrap();
        assert_eq!(
            check.kept_indexes(),
            6,
            "n2 is not seen yet: nothing is forgotten"
        );
        let views = [Some(&nodes[0]), Some(&nodes[1]), Some(&nodes[2])];
        check.after_step(&views).unwrap();
        assert_eq!((check.committed_len(), check.kept_indexes()), (5, 3));
        // Below 3 nothing is left to compare with; what was committed above still is.
        for index in 1..=3 {
            assert_eq!(check.applied(NodeId(0), &applied(index, 9, 9)), Ok(()));
        }
        let err = check.applied(NodeId(0), &applied(4, 9, 9)).unwrap_err();
        assert_eq!(err.check, STATE_MACHINE_SAFETY);
    }

    #[test]
    fn a_leader_whose_snapshot_stands_for_another_entry_is_a_violation() {
        use crate::config::Config;
        use crate::log::Log;
        use crate::test_support::leader_with_log;
        use crate::test_support::{append, boot, deliver};
        use protocol_core::Time;
        // n1 commits indexes 1..=3 in term 1.
        let mut follower = boot(3, 1);
        deliver(
            &mut follower,
            Time::from_ms(1),
            0,
            append(1, 0, 0, 0, &[1, 1, 1], 3),
        );
        let mut check = ClusterCheck::new(3);
        check.after_step(&[None, Some(&follower), None]).unwrap();
        // A term-2 leader whose snapshot claims index 3 in term 2.
        let mut leader = leader_with_log(&Config::with_size(3), &[], 2);
        leader.durable.log = Log::new(LogIndex(3), Term(2), Vec::new());
        let err = check.after_step(&[Some(&leader), None, None]).unwrap_err();
        assert_eq!(err.check, LEADER_COMPLETENESS, "{err}");
        assert!(err.message.contains("index 3"), "{err}");
    }

    #[test]
    fn a_leader_need_not_hold_what_may_have_been_committed_in_its_own_term() {
        use crate::config::Config;
        use crate::test_support::{append, boot, deliver, leader_with_log};
        use protocol_core::Time;
        // n1 counts indexes 1 and 2 committed while in term 2: committed by term 2 at latest.
        let mut follower = boot(3, 1);
        deliver(
            &mut follower,
            Time::from_ms(1),
            0,
            append(2, 0, 0, 0, &[1, 2], 2),
        );
        let mut check = ClusterCheck::new(3);
        check.after_step(&[None, Some(&follower), None]).unwrap();
        let short = leader_with_log(&Config::with_size(3), &[1], 2);
        assert_eq!(check.after_step(&[Some(&short), None, None]), Ok(()));
    }

    #[test]
    fn the_full_log_matching_check_reports_a_divergence() {
        use crate::log::{Entry, Log};
        use crate::test_support::boot;
        let log = |command: u8| {
            let entries = [1, 2].map(|c| Entry {
                term: Term(1),
                command: vec![c, command],
            });
            Log::new(LogIndex(0), Term(0), entries.to_vec())
        };
        let (mut a, mut b) = (boot(3, 0), boot(3, 2));
        a.durable.log = log(1);
        b.durable.log = log(1);
        let check = ClusterCheck::new(3);
        assert_eq!(
            check.check_log_matching_full(&[Some(&a), None, Some(&b)]),
            Ok(())
        );
        b.durable.log = log(2);
        let err = check
            .check_log_matching_full(&[Some(&a), None, Some(&b)])
            .unwrap_err();
        assert_eq!(err.check, crate::checks::LOG_MATCHING);
        assert_eq!(err.nodes, [NodeId(0), NodeId(2)]);
    }

    #[test]
    fn a_leader_missing_a_committed_entry_is_a_violation() {
        use crate::config::Config;
        use crate::test_support::{append, boot, deliver, leader_with_log};
        use protocol_core::Time;
        // n1 commits indexes 1 and 2 in term 1.
        let mut follower = boot(3, 1);
        deliver(
            &mut follower,
            Time::from_ms(1),
            0,
            append(1, 0, 0, 0, &[1, 1], 2),
        );
        let mut check = ClusterCheck::new(3);
        check.after_step(&[None, Some(&follower), None]).unwrap();
        assert_eq!(check.committed_len(), 2);
        // A term-2 leader holding only index 1 lacks a committed entry.
        let short = leader_with_log(&Config::with_size(3), &[1], 2);
        let err = check.after_step(&[Some(&short), None, None]).unwrap_err();
        assert_eq!(err.check, LEADER_COMPLETENESS, "{err}");
        assert_eq!(err.nodes, [NodeId(0)]);
        assert!(err.message.contains("index 2"), "{err}");
        let complete = leader_with_log(&Config::with_size(3), &[1, 1], 3);
        assert!(check.after_step(&[Some(&complete), None, None]).is_ok());
    }
}
