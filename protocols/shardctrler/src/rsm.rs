//! The plumbing every service on Raft shares (the controller's servers and shardkv's): a
//! server owns a [`RaftNode`], feeds it messages and timers, carries out its outbox in the
//! host node's types, hands the owner what Raft applied, snapshots when Raft's state grows
//! past `max_raft_state`, and keeps the requests waiting for a log index.
//!
//! The owner's step is always: feed Raft an input (or `start` a command), then `pump`, apply
//! the returned events in order (and emit them for the cluster checker), then snapshot if
//! [`Rsm::snapshot_due`], then answer what [`Waiters::take_lost`] returns.

use protocol_core::{
    BootError, Disk, Input, Node, NodeId, Outbox, Output, SyncError, SyncToken, Time,
};
use raft::{LogIndex, NotLeader, RaftEvent, RaftMsg, RaftNode, RaftTimer, Term};
use std::collections::BTreeMap;

/// A node type that can carry a Raft node's sends and timers.
pub trait RaftHost: Node {
    fn wrap_raft(msg: RaftMsg) -> Self::Msg;
    fn wrap_raft_timer(timer: RaftTimer) -> Self::Timer;
}

pub struct Rsm {
    id: NodeId,
    raft: RaftNode,
    max_raft_state: Option<usize>,
    /// The last index the owner applied (equal to Raft's after every pump).
    applied: LogIndex,
    /// The index of the latest snapshot taken or installed.
    snapshot_index: LogIndex,
    raft_out: Outbox<RaftNode>,
}

impl Rsm {
    /// Boots Raft from `disk`. Raft's boot output (the snapshot it restores, its election
    /// timer) waits for the first [`Rsm::pump`].
    pub fn boot(
        config: &raft::Config,
        max_raft_state: Option<usize>,
        id: NodeId,
        disk: &Disk,
        seed: u64,
        now: Time,
    ) -> Result<Rsm, BootError> {
        let mut raft_out = Outbox::new();
        let raft = RaftNode::boot(config, id, disk, seed, now, &mut raft_out)?;
        Ok(Rsm {
            id,
            raft,
            max_raft_state,
            applied: LogIndex::ZERO,
            snapshot_index: LogIndex::ZERO,
            raft_out,
        })
    }

    pub fn on_raft_message(&mut self, now: Time, from: NodeId, msg: RaftMsg) {
        // Raft asserts its messages come from peers; anyone else posing as one is dropped.
        if from == self.id || !self.raft.config().peers.contains(&from) {
            return;
        }
        let input = Input::Message { from, msg };
        self.raft.handle(now, input, &mut self.raft_out);
    }

    pub fn on_raft_timer(&mut self, now: Time, timer: RaftTimer) {
        self.raft
            .handle(now, Input::Timer(timer), &mut self.raft_out);
    }

    /// One of Raft's syncs completed (only Raft writes to the disk); `pump` afterwards.
    pub fn on_synced(&mut self, now: Time, token: SyncToken, result: Result<(), SyncError>) {
        let input = Input::Synced { token, result };
        self.raft.handle(now, input, &mut self.raft_out);
    }

    /// Appends `command` if this server leads; `pump` afterwards.
    pub fn start(&mut self, now: Time, command: Vec<u8>) -> Result<(LogIndex, Term), NotLeader> {
        let started = self.raft.start(now, command, &mut self.raft_out);
        if let Ok((index, _)) = started {
            assert!(
                index > self.applied,
                "{}: started at {index}, applied {}",
                self.id,
                self.applied
            );
        }
        started
    }

    /// Carries out Raft's pending outputs into `out` and returns, in order, the entries and
    /// snapshots it applied; the owner applies them and emits them.
    pub fn pump<H: RaftHost>(&mut self, out: &mut Outbox<H>) -> Vec<RaftEvent> {
        let mut events = Vec::new();
        let mut raft_out = std::mem::take(&mut self.raft_out);
        for output in raft_out.drain() {
            match output {
                Output::Send { to, msg } => out.send(to, H::wrap_raft(msg)),
                Output::SetTimer { timer, at } => out.set_timer(H::wrap_raft_timer(timer), at),
                Output::CancelTimer(timer) => out.cancel_timer(H::wrap_raft_timer(timer)),
                Output::Persist(write) => out.persist(write),
                Output::File(op) => out.file(op),
                Output::Sync { target, token } => out.sync(target, token),
                Output::Halt(reason) => out.halt(reason),
                Output::Emit(event) => {
                    self.track(&event);
                    events.push(event);
                }
            }
        }
        self.raft_out = raft_out; // keeps its buffer for the next step
        events
    }

    fn track(&mut self, event: &RaftEvent) {
        match event {
            RaftEvent::Applied { index, .. } => {
                let next = self.applied.next();
                assert_eq!(
                    *index, next,
                    "{}: applied {index} after {}",
                    self.id, self.applied
                );
                self.applied = *index;
            }
            RaftEvent::Snapshot { index, .. } => {
                assert!(
                    *index > self.applied,
                    "{}: snapshot at {index} not past applied {}",
                    self.id,
                    self.applied
                );
                self.applied = *index;
                self.snapshot_index = *index;
            }
            RaftEvent::Started(_) => {
                panic!("{}: Raft answered a Start request never sent", self.id)
            }
        }
    }

    /// Raft's state reached `max_raft_state` and something was applied since the last
    /// snapshot.
    pub fn snapshot_due(&self) -> bool {
        self.max_raft_state
            .is_some_and(|max| self.raft.state_bytes() >= max && self.applied > self.snapshot_index)
    }

    /// Hands Raft the owner's snapshot of everything applied; `pump` afterwards.
    pub fn snapshot(&mut self, now: Time, data: Vec<u8>) {
        self.raft
            .snapshot(now, self.applied, data, &mut self.raft_out);
        self.snapshot_index = self.applied;
    }

    pub fn raft(&self) -> &RaftNode {
        &self.raft
    }

    pub fn is_leader(&self) -> bool {
        self.raft.is_leader()
    }

    pub fn applied(&self) -> LogIndex {
        self.applied
    }

    /// The size of Raft's durable state (the course's `RaftStateSize`).
    pub fn raft_state_bytes(&self) -> usize {
        self.raft.state_bytes()
    }

    /// Asserts Raft's invariants and the owner's view of them.
    pub fn check_invariants(&self) {
        let id = self.id;
        self.raft.check_invariants();
        assert_eq!(
            self.applied,
            self.raft.last_applied(),
            "{id}: owner applied {} but raft applied {}",
            self.applied,
            self.raft.last_applied()
        );
        assert!(
            self.snapshot_index <= self.applied,
            "{id}: snapshot {} past applied {}",
            self.snapshot_index,
            self.applied
        );
    }
}

/// Requests started in the log and not yet answered, by index.
#[derive(Debug)]
pub struct Waiters<W> {
    by_index: BTreeMap<LogIndex, (Term, W)>,
}

impl<W> Default for Waiters<W> {
    fn default() -> Waiters<W> {
        Waiters {
            by_index: BTreeMap::new(),
        }
    }
}

impl<W> Waiters<W> {
    /// Waits for `index`; returns whoever waited there before (an older term's request that
    /// lost the slot).
    pub fn add(&mut self, index: LogIndex, term: Term, waiter: W) -> Option<W> {
        self.by_index.insert(index, (term, waiter)).map(|(_, w)| w)
    }

    /// Whoever waits for `index`, now applied.
    pub fn take(&mut self, index: LogIndex) -> Option<W> {
        self.by_index.remove(&index).map(|(_, w)| w)
    }

    /// Everyone waiting at or below `index` (a snapshot covered their entries, so their
    /// outcome is unknown here).
    pub fn take_through(&mut self, index: LogIndex) -> Vec<W> {
        let rest = self.by_index.split_off(&index.next());
        std::mem::replace(&mut self.by_index, rest)
            .into_values()
            .map(|(_, w)| w)
            .collect()
    }

    /// Everyone whose entry can no longer be known to commit here: all of them if this server
    /// stopped leading, else those started in an older term.
    pub fn take_lost(&mut self, leader: bool, term: Term) -> Vec<W> {
        if self.by_index.is_empty() || (leader && self.by_index.values().all(|(t, _)| *t == term)) {
            return Vec::new();
        }
        let lost: Vec<LogIndex> = self
            .by_index
            .iter()
            .filter(|(_, (t, _))| !leader || *t != term)
            .map(|(&index, _)| index)
            .collect();
        lost.into_iter()
            .filter_map(|index| self.take(index))
            .collect()
    }

    pub fn first_index(&self) -> Option<LogIndex> {
        self.by_index.keys().next().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.by_index.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_index.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiters_are_taken_by_index_by_snapshot_and_by_lost_leadership() {
        let mut w: Waiters<&str> = Waiters::default();
        assert_eq!(w.add(LogIndex(3), Term(1), "a"), None);
        assert_eq!(
            w.add(LogIndex(3), Term(2), "b"),
            Some("a"),
            "a newer term took the slot"
        );
        w.add(LogIndex(4), Term(2), "c");
        w.add(LogIndex(6), Term(2), "d");
        assert_eq!(w.take(LogIndex(4)), Some("c"));
        assert!(
            w.take_lost(true, Term(2)).is_empty(),
            "same term, still leading"
        );
        assert_eq!(w.take_through(LogIndex(5)), vec!["b"]);
        assert_eq!(w.first_index(), Some(LogIndex(6)));
        assert_eq!(w.take_lost(true, Term(3)), vec!["d"], "the term moved on");
        w.add(LogIndex(7), Term(3), "e");
        assert_eq!(w.take_lost(false, Term(3)), vec!["e"], "no longer leading");
        assert!(w.is_empty());
    }
}
