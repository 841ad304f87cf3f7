//! One Raft server: its state, the door inputs come through, and the queries tests use.

use crate::config::Config;
use crate::durable::Durable;
use crate::log::Log;
use crate::msg::RaftMsg;
use crate::mutant::Mutant;
use crate::recover::{recover, ReadMode};
use crate::store::{Promised, Store, SyncStep, WriteMode};
use crate::types::{LogIndex, Term};
use protocol_core::rng::{self, Rng};
use protocol_core::{BootError, Disk, Input, Node, NodeId, Outbox, SyncError, SyncToken, Time};
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

/// One deadline each; a fire whose deadline has moved on is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RaftTimer {
    /// Follower or candidate: no leader heard from in time, start an election.
    Election,
    /// Leader: send AppendEntries (a heartbeat, or new entries after `start`).
    Heartbeat,
}

/// What a driver that only knows the `Node` trait can ask; the inherent methods
/// [`RaftNode::start`] and [`RaftNode::snapshot`] do the same and return results directly.
/// (`Debug` shows the bytes in hex: `debug.rs`.)
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum RaftRequest {
    Start(Vec<u8>),
    Snapshot { index: LogIndex, data: Vec<u8> },
}

/// The ordered stream for the layer above: `Applied` and `Snapshot` arrive without gaps and
/// in index order (a snapshot replaces everything up to its index). `Started` answers a
/// `RaftRequest::Start` given through the trait. (`Debug` shows the bytes in hex: `debug.rs`.)
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum RaftEvent {
    Applied {
        index: LogIndex,
        term: Term,
        command: Vec<u8>,
    },
    Snapshot {
        index: LogIndex,
        term: Term,
        data: Vec<u8>,
    },
    Started(Result<(LogIndex, Term), NotLeader>),
}

/// `start` on a server that is not the leader; names the leader it last heard from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NotLeader {
    pub term: Term,
    pub leader_hint: Option<NodeId>,
}

/// The leader's view of one follower.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Progress {
    pub next_index: LogIndex,
    pub match_index: LogIndex,
    /// True until the follower confirms a match: entries are then re-sent from `next_index`
    /// rather than pipelined (`next_index` advanced as soon as they are sent).
    pub probing: bool,
    /// A probe carrying entries went out and the follower has not answered anything since.
    /// Further probes carry none until it does: sent into a partition, each heartbeat would
    /// otherwise carry up to `max_entries_per_append` entries for nothing.
    pub entries_unanswered: bool,
}

/// State lost on a crash (Figure 2's volatile state plus timers and bookkeeping).
pub(crate) struct Volatile {
    pub role: Role,
    pub leader_hint: Option<NodeId>,
    pub commit_index: LogIndex,
    pub last_applied: LogIndex,
    pub votes: BTreeSet<NodeId>,
    /// Aligned with `config.peers`; meaningful only on a leader.
    pub progress: Vec<Progress>,
    pub election_deadline: Option<Time>,
    pub heartbeat_deadline: Option<Time>,
    pub rng: Rng,
    /// Writes durable state to the disk and holds back replies until it is there.
    pub store: Store,
}

pub struct RaftNode {
    pub(crate) id: NodeId,
    pub(crate) config: Config,
    pub(crate) durable: Durable,
    pub(crate) v: Volatile,
}

impl Node for RaftNode {
    type Msg = RaftMsg;
    type Timer = RaftTimer;
    type Request = RaftRequest;
    type Event = RaftEvent;
    type Config = Config;

    fn boot(
        config: &Config,
        id: NodeId,
        disk: &Disk,
        seed: u64,
        now: Time,
        out: &mut Outbox<RaftNode>,
    ) -> Result<RaftNode, BootError> {
        let invalid = |reason| BootError::InvalidConfig { node: id, reason };
        config.validate(id).map_err(invalid)?;
        let corrupt = |reason| BootError::CorruptDisk { node: id, reason };
        let mode = ReadMode {
            cut_any_bad_record: config.is_mutant(Mutant::CutAnyBadRecord),
            meta_at_fixed_offsets: config.is_mutant(Mutant::MetaAtFixedOffsets),
        };
        let recovered = recover(disk, mode).map_err(corrupt)?;
        recovered.cleanup.into_iter().for_each(|op| out.file(op));
        let mut durable = recovered.durable;
        let store = Store::new(recovered.on_disk, &durable);
        let drop_snapshot = config.is_mutant(Mutant::DropSnapshotOnRestart);
        if drop_snapshot {
            durable.snapshot.clear();
        }
        let base = durable.log.snapshot_index();
        let start = Progress {
            next_index: LogIndex(1),
            match_index: LogIndex::ZERO,
            probing: true,
            entries_unanswered: false,
        };
        let mut node = RaftNode {
            id,
            config: config.clone(),
            v: Volatile {
                role: Role::Follower,
                leader_hint: None,
                commit_index: base,
                last_applied: base,
                votes: BTreeSet::new(),
                progress: vec![start; config.peers.len()],
                election_deadline: None,
                heartbeat_deadline: None,
                rng: rng::rng_from_seed(seed),
                store,
            },
            durable,
        };
        // Course semantics: the service restores its state from the snapshot before anything.
        if base > LogIndex::ZERO && !drop_snapshot {
            let (term, data) = (
                node.durable.log.snapshot_term(),
                node.durable.snapshot.clone(),
            );
            out.emit(RaftEvent::Snapshot {
                index: base,
                term,
                data,
            });
        }
        node.reset_election_timer(now, out);
        node.flush(out);
        node.check_invariants();
        Ok(node)
    }

    fn handle(&mut self, now: Time, input: Input<RaftNode>, out: &mut Outbox<RaftNode>) {
        match input {
            Input::Message { from, msg } => self.on_message(now, from, msg, out),
            Input::Timer(timer) => self.on_timer(now, timer, out),
            Input::Request(RaftRequest::Start(command)) => {
                let result = self.start(now, command, out);
                out.emit(RaftEvent::Started(result));
            }
            Input::Request(RaftRequest::Snapshot { index, data }) => {
                self.snapshot(now, index, data, out)
            }
            Input::Synced { token, result } => self.on_synced(token, result, out),
        }
        self.flush(out);
    }

    fn check_invariants(&self) {
        let (id, term) = (self.id, self.durable.term);
        let log = &self.durable.log;
        let (commit, applied) = (self.v.commit_index, self.v.last_applied);
        assert!(
            commit <= log.last_index(),
            "{id} term {term}: commit {commit} > last index {}",
            log.last_index()
        );
        assert!(
            applied <= commit,
            "{id} term {term}: last_applied {applied} > commit {commit}"
        );
        assert!(
            log.snapshot_index() <= applied,
            "{id} term {term}: snapshot {} > applied {applied}",
            log.snapshot_index()
        );
        // The O(1) part: every edit keeps the rest (boot checks all of it).
        if let Err(reason) = self.durable.check_recent() {
            panic!("{id} term {term}: durable state invalid: {reason}");
        }
        if let Err(reason) = self.v.store.check() {
            panic!("{id} term {term}: store: {reason}");
        }
        match self.v.role {
            Role::Leader => {
                assert_eq!(
                    self.durable.voted_for,
                    Some(id),
                    "{id} leads term {term} without its own vote"
                );
                assert!(
                    self.v.election_deadline.is_none(),
                    "{id} term {term}: leader with an election timer"
                );
                for (p, peer) in self.v.progress.iter().zip(&self.config.peers) {
                    assert!(
                        p.match_index <= log.last_index(),
                        "{id} term {term}: match {} of {peer} past last",
                        p.match_index
                    );
                    assert!(
                        p.next_index <= log.last_index().next(),
                        "{id} term {term}: next {} of {peer} past end",
                        p.next_index
                    );
                }
            }
            Role::Candidate => {
                assert_eq!(
                    self.durable.voted_for,
                    Some(id),
                    "{id} candidate in term {term} without its own vote"
                );
                assert!(
                    self.v.heartbeat_deadline.is_none(),
                    "{id} term {term}: candidate with a heartbeat timer"
                );
            }
            Role::Follower => {
                assert!(
                    self.v.heartbeat_deadline.is_none(),
                    "{id} term {term}: follower with a heartbeat timer"
                );
            }
        }
    }
}

impl RaftNode {
    /// Appends `command` to the leader's log and schedules its replication (within
    /// `replicate_delay_us`, batched with other commands started meanwhile).
    pub fn start(
        &mut self,
        now: Time,
        command: Vec<u8>,
        out: &mut Outbox<RaftNode>,
    ) -> Result<(LogIndex, Term), NotLeader> {
        let term = self.durable.term;
        if self.v.role != Role::Leader {
            return Err(NotLeader {
                term,
                leader_hint: self.v.leader_hint,
            });
        }
        self.durable.log.append(crate::log::Entry { term, command });
        let index = self.durable.log.last_index();
        self.v.store.log_changed(index);
        self.advance_commit(out); // nothing yet: its own entry counts once it is durable
        let at = now.plus_micros(self.config.replicate_delay_us);
        if self.v.heartbeat_deadline.is_none_or(|d| d > at) {
            self.set_heartbeat_timer(at, out);
        }
        self.flush(out);
        Ok((index, term))
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn term(&self) -> Term {
        self.durable.term
    }

    pub fn voted_for(&self) -> Option<NodeId> {
        self.durable.voted_for
    }

    pub fn role(&self) -> Role {
        self.v.role
    }

    pub fn is_leader(&self) -> bool {
        self.v.role == Role::Leader
    }

    /// The leader this server last heard from in its current term (itself if leading).
    pub fn leader_hint(&self) -> Option<NodeId> {
        self.v.leader_hint
    }

    pub fn commit_index(&self) -> LogIndex {
        self.v.commit_index
    }

    pub fn last_applied(&self) -> LogIndex {
        self.v.last_applied
    }

    pub fn log(&self) -> &Log {
        &self.durable.log
    }

    /// The service snapshot this server holds (empty if none).
    pub fn snapshot_data(&self) -> &[u8] {
        &self.durable.snapshot
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What this server has made durable and may have told others (the state its latest
    /// completed write captured): what its next incarnation must boot with at least.
    pub fn promised(&self) -> Promised {
        self.v.store.promised()
    }

    /// The state the write under way captured, if one is under way: a crash may leave the
    /// disk holding it rather than [`RaftNode::promised`].
    pub fn writing(&self) -> Option<Promised> {
        self.v.store.writing()
    }

    /// The bytes of Raft's durable state (the course's `RaftStateSize`): the log file's, or
    /// what a rewrite due for a snapshot will leave.
    pub fn state_bytes(&self) -> usize {
        self.v.store.state_bytes(&self.durable)
    }

    fn on_message(&mut self, now: Time, from: NodeId, msg: RaftMsg, out: &mut Outbox<RaftNode>) {
        // What a buggy or foreign peer sends is its error, not ours: ignored, never asserted
        // (on a real network, peers can be anything).
        if from == self.id || !self.config.peers.contains(&from) || msg.peer_error(from).is_some() {
            return;
        }
        if msg.term() > self.durable.term {
            self.observe_higher_term(now, msg.term(), out);
        }
        match msg {
            RaftMsg::RequestVote(m) => self.on_request_vote(now, from, m, out),
            RaftMsg::RequestVoteReply(m) => self.on_request_vote_reply(now, from, m, out),
            RaftMsg::AppendEntries(m) => self.on_append_entries(now, from, m, out),
            RaftMsg::AppendEntriesReply(m) => self.on_append_entries_reply(from, m, out),
            RaftMsg::InstallSnapshot(m) => self.on_install_snapshot(now, from, m, out),
            RaftMsg::InstallSnapshotReply(m) => self.on_install_snapshot_reply(from, m, out),
        }
    }

    fn on_timer(&mut self, now: Time, timer: RaftTimer, out: &mut Outbox<RaftNode>) {
        match timer {
            RaftTimer::Election => {
                if self.v.election_deadline.is_some_and(|d| now >= d) {
                    self.on_election_timeout(now, out);
                }
            }
            RaftTimer::Heartbeat => {
                if self.v.heartbeat_deadline.is_some_and(|d| now >= d) {
                    assert_eq!(
                        self.v.role,
                        Role::Leader,
                        "{}: heartbeat timer off the leader",
                        self.id
                    );
                    self.broadcast_append_entries(out);
                    let at = now.plus_ms(self.config.heartbeat_interval_ms);
                    self.set_heartbeat_timer(at, out);
                }
            }
        }
    }

    /// Draws a fresh randomized election deadline from the node's own rng.
    pub(crate) fn reset_election_timer(&mut self, now: Time, out: &mut Outbox<RaftNode>) {
        let lo = self.config.election_timeout_ms_min * 1_000;
        let hi = self.config.election_timeout_ms_max * 1_000;
        let at = now.plus_micros(rng::range_inclusive(&mut self.v.rng, lo, hi));
        self.v.election_deadline = Some(at);
        out.set_timer(RaftTimer::Election, at);
    }

    pub(crate) fn set_heartbeat_timer(&mut self, at: Time, out: &mut Outbox<RaftNode>) {
        assert_eq!(
            self.v.role,
            Role::Leader,
            "{}: heartbeat timer off the leader",
            self.id
        );
        self.v.heartbeat_deadline = Some(at);
        out.set_timer(RaftTimer::Heartbeat, at);
    }

    /// Starts writing changed durable state, if no write is under way. Called before every
    /// send and at the end of every step.
    pub(crate) fn flush(&mut self, out: &mut Outbox<RaftNode>) {
        let mode = WriteMode {
            forget_vote: self.config.is_mutant(Mutant::ForgetVoteOnRestart),
            snapshot_in_place: self.config.is_mutant(Mutant::SnapshotInPlace),
            ack_early: self.config.is_mutant(Mutant::AckBeforeSync),
        };
        self.v.store.flush(&self.durable, mode, out);
    }

    /// Sends `msg` once the state it depends on is durable: a reply (a vote, an
    /// acknowledgement, a term) waits for the write under way. A leader's AppendEntries and
    /// InstallSnapshot go at once (their receiver checks them; the leader counts itself
    /// towards a commit only with its promised log).
    pub(crate) fn send(&mut self, to: NodeId, msg: RaftMsg, out: &mut Outbox<RaftNode>) {
        self.flush(out);
        let leader_request = matches!(msg, RaftMsg::AppendEntries(_) | RaftMsg::InstallSnapshot(_));
        let acks_early = self.config.is_mutant(Mutant::AckBeforeSync);
        match self.v.store.tag() {
            Some(tag) if !leader_request && !acks_early => self.v.store.hold(tag, to, msg),
            _ => out.send(to, msg),
        }
    }

    /// One of our syncs completed: the write goes on, or its state is now promised (held
    /// replies leave, a leader may commit), or the disk failed and the node halts.
    fn on_synced(
        &mut self,
        token: SyncToken,
        result: Result<(), SyncError>,
        out: &mut Outbox<RaftNode>,
    ) {
        if self.config.is_mutant(Mutant::AckBeforeSync) {
            return; // it took every sync for done when it asked for it
        }
        let ok = result.is_ok() || self.config.is_mutant(Mutant::IgnoreSyncError);
        match self.v.store.on_synced(token, ok, out) {
            SyncStep::Waiting => {}
            SyncStep::Completed => {
                for (to, msg) in self.v.store.release() {
                    out.send(to, msg);
                }
                self.advance_commit(out);
            }
            SyncStep::Failed => {
                out.halt("a sync of raft's files failed: what they hold is unknown")
            }
        }
    }

    /// The last index of this server's own log that counts towards a commit: its promised
    /// log's, where that is still the log it holds.
    pub(crate) fn durable_match(&self) -> LogIndex {
        let log = &self.durable.log;
        let promised = self.v.store.promised();
        if promised.last_index <= log.snapshot_index()
            || log.term_at(promised.last_index) == Some(promised.last_term)
        {
            return promised.last_index.min(log.last_index());
        }
        LogIndex::ZERO
    }

    pub(crate) fn peer_position(&self, peer: NodeId) -> usize {
        let pos = self.config.peers.iter().position(|&p| p == peer);
        pos.expect("on_message admits peers only")
    }
}

#[cfg(test)]
#[path = "node_tests.rs"]
mod tests;
