//! Log replication: AppendEntries with the consistency check, conflict truncation, fast log
//! backup, the Figure 8 commit rule, and the ordered apply stream.

use crate::log::Entry;
use crate::msg::{AppendEntries, AppendEntriesReply, RaftMsg};
use crate::mutant::Mutant;
use crate::node::{RaftEvent, RaftNode, Role};
use crate::types::LogIndex;
use protocol_core::{NodeId, Outbox, Time};

impl RaftNode {
    pub(crate) fn broadcast_append_entries(&mut self, out: &mut Outbox<RaftNode>) {
        assert_eq!(
            self.v.role,
            Role::Leader,
            "{}: only a leader replicates",
            self.id
        );
        for pos in 0..self.config.peers.len() {
            if self.config.peers[pos] != self.id {
                self.send_append_entries(pos, out);
            }
        }
    }

    /// Sends the follower at `pos` what it lacks from `next_index` on (or the snapshot, if
    /// that part of the log is gone). Once the follower has matched, entries are pipelined.
    pub(crate) fn send_append_entries(&mut self, pos: usize, out: &mut Outbox<RaftNode>) {
        let peer = self.config.peers[pos];
        let progress = self.v.progress[pos];
        let log = &self.durable.log;
        if progress.next_index <= log.snapshot_index() {
            return self.send_install_snapshot(pos, out);
        }
        let prev_log_index = progress.next_index.prev();
        let prev_log_term = log
            .term_at(prev_log_index)
            .expect("prev is the snapshot point or held");
        // While a probe's entries are unanswered, another probe is the consistency check
        // alone; the follower's answer brings the entries again.
        let max_entries = if progress.probing && progress.entries_unanswered {
            0
        } else {
            self.config.max_entries_per_append
        };
        let entries = log.slice(progress.next_index, max_entries).to_vec();
        let progress = &mut self.v.progress[pos];
        if progress.probing && !entries.is_empty() {
            progress.entries_unanswered = true;
        }
        if !progress.probing {
            progress.next_index = progress.next_index.plus(entries.len() as u64);
        }
        let msg = AppendEntries {
            term: self.durable.term,
            leader: self.id,
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit: self.v.commit_index,
        };
        self.send(peer, RaftMsg::AppendEntries(msg), out);
    }

    pub(crate) fn on_append_entries(
        &mut self,
        now: Time,
        from: NodeId,
        req: AppendEntries,
        out: &mut Outbox<RaftNode>,
    ) {
        let term = self.durable.term;
        if req.term < term {
            let reply = AppendEntriesReply {
                term,
                success: false,
                match_index: LogIndex::ZERO,
                conflict_term: None,
                conflict_index: LogIndex::ZERO,
            };
            return self.send(from, RaftMsg::AppendEntriesReply(reply), out);
        }
        if !self.accept_leader(now, from, out) {
            return;
        }
        if let Some(reply) = self.on_append_entries_current(req, out) {
            self.send(from, RaftMsg::AppendEntriesReply(reply), out);
        }
    }

    /// `from` leads our current term: follow it. False if we lead this term ourselves, which
    /// only a broken peer (or a mutant voting twice) can bring about: the message is ignored,
    /// and the cluster checker reports the two leaders.
    pub(crate) fn accept_leader(
        &mut self,
        now: Time,
        from: NodeId,
        out: &mut Outbox<RaftNode>,
    ) -> bool {
        if self.v.role == Role::Leader {
            return false;
        }
        self.become_follower(now, out);
        self.v.leader_hint = Some(from);
        self.reset_election_timer(now, out);
        true
    }

    /// The consistency check, then the append; returns the reply, or nothing for a message
    /// that contradicts what we know committed (see [`RaftNode::contradicts_committed`]).
    fn on_append_entries_current(
        &mut self,
        req: AppendEntries,
        out: &mut Outbox<RaftNode>,
    ) -> Option<AppendEntriesReply> {
        let term = self.durable.term;
        let (mut prev, mut prev_term, mut entries) =
            (req.prev_log_index, req.prev_log_term, req.entries);
        let snapshot_index = self.durable.log.snapshot_index();
        if prev < snapshot_index {
            // What lies inside our snapshot is committed, hence equal to the leader's: skip it.
            let skip = ((snapshot_index.0 - prev.0) as usize).min(entries.len());
            let at_snapshot = entries.get(skip.wrapping_sub(1)).map(|e| e.term);
            let snapshot_term = self.durable.log.snapshot_term();
            if skip == (snapshot_index.0 - prev.0) as usize && at_snapshot != Some(snapshot_term) {
                return None; // a different entry where our snapshot ends: a broken peer
            }
            entries.drain(..skip);
            prev = snapshot_index;
            prev_term = snapshot_term;
        }
        if let Some(reject) = self.check_consistency(prev, prev_term) {
            return Some(reject);
        }
        if self.contradicts_committed(prev, &entries) {
            return None;
        }
        let last_new = prev.plus(entries.len() as u64);
        self.append_from(prev, entries);
        if req.leader_commit > self.v.commit_index {
            self.v.commit_index = self.v.commit_index.max(req.leader_commit.min(last_new));
            self.apply_committed(out);
        }
        Some(AppendEntriesReply {
            term,
            success: true,
            match_index: last_new,
            conflict_term: None,
            conflict_index: LogIndex::ZERO,
        })
    }

    /// Whether `entries` after `prev` hold another term than our log at an index we know is
    /// committed. A leader holds every committed entry (leader completeness), so only a
    /// broken peer (a second leader of the term, a leader that lost entries) sends that: the
    /// message is ignored, like any peer error, rather than cut a committed entry. Found by
    /// fuzzing a follower with arbitrary peers (tools/fuzz, target raft_follower).
    fn contradicts_committed(&self, prev: LogIndex, entries: &[Entry]) -> bool {
        let commit = self.v.commit_index;
        let log = &self.durable.log;
        // `prev` matched (the consistency check passed, or it is our snapshot's end, which
        // is committed): an entry after it of an older term than ours there cannot be.
        let before_first = log.term_at(prev).unwrap_or_default();
        if entries.first().is_some_and(|e| e.term < before_first) {
            return true;
        }
        (1..=entries.len() as u64)
            .map(|k| (prev.plus(k), &entries[k as usize - 1]))
            .take_while(|(index, _)| *index <= commit)
            .any(|(index, entry)| log.term_at(index).is_some_and(|t| t != entry.term))
    }

    /// The rejection, if our log does not hold `prev` with `prev_term`. It carries the fast
    /// backup hint: the conflicting term and our first index of it, or our length.
    fn check_consistency(
        &self,
        prev: crate::types::LogIndex,
        prev_term: crate::types::Term,
    ) -> Option<AppendEntriesReply> {
        let log = &self.durable.log;
        let reject = |conflict_term, conflict_index| AppendEntriesReply {
            term: self.durable.term,
            success: false,
            match_index: LogIndex::ZERO,
            conflict_term,
            conflict_index,
        };
        match log.term_at(prev) {
            None => Some(reject(None, log.last_index().next())),
            Some(_) if prev == log.snapshot_index() => None, // committed: matches by definition
            Some(t) if t == prev_term => None,
            Some(_) if self.config.is_mutant(Mutant::SkipConsistencyCheck) => None,
            Some(t) => Some(reject(Some(t), log.first_index_of_term_at(prev))),
        }
    }

    /// Appends `entries` after `prev`, deleting a conflicting suffix first (never a matching
    /// one: a delayed, shorter AppendEntries must not undo a longer one).
    fn append_from(&mut self, prev: LogIndex, entries: Vec<Entry>) {
        let mut index = prev;
        for entry in entries {
            index = index.next();
            match self.durable.log.term_at(index) {
                Some(t) if t == entry.term => continue,
                Some(_) if self.config.is_mutant(Mutant::SkipTruncation) => continue,
                Some(_) => {
                    assert!(
                        index > self.v.commit_index,
                        "{}: truncating committed index {index}",
                        self.id
                    );
                    self.durable.log.truncate_after(index.prev());
                    self.durable.log.append(entry);
                }
                None => self.durable.log.append(entry),
            }
            self.v.store.log_changed(index);
        }
    }

    pub(crate) fn on_append_entries_reply(
        &mut self,
        from: NodeId,
        reply: AppendEntriesReply,
        out: &mut Outbox<RaftNode>,
    ) {
        if self.v.role != Role::Leader || reply.term != self.durable.term {
            return; // stale: from an earlier term, or we no longer lead
        }
        let pos = self.peer_position(from);
        self.v.progress[pos].entries_unanswered = false;
        if self.config.is_mutant(Mutant::BroadcastOnEveryReply) {
            // Every reply brings a message to every follower, whose replies bring more.
            self.broadcast_append_entries(out);
        }
        if reply.success {
            let last = self.durable.log.last_index();
            if reply.match_index > last {
                return; // a peer claiming entries we never sent: its bug, ignored
            }
            let progress = &mut self.v.progress[pos];
            progress.match_index = progress.match_index.max(reply.match_index);
            progress.next_index = progress.next_index.max(progress.match_index.next());
            progress.probing = false;
            let behind = progress.next_index <= last;
            self.advance_commit(out);
            if behind {
                self.send_append_entries(pos, out);
            }
        } else {
            self.on_append_entries_reply_conflict(pos, reply, out);
        }
    }

    /// Fast log backup (extended paper, section 5.3): skip a whole conflicting term at once.
    fn on_append_entries_reply_conflict(
        &mut self,
        pos: usize,
        reply: AppendEntriesReply,
        out: &mut Outbox<RaftNode>,
    ) {
        let log = &self.durable.log;
        let hinted = match reply.conflict_term {
            Some(term) => log
                .last_index_of_term(term)
                .map_or(reply.conflict_index, LogIndex::next),
            None => reply.conflict_index,
        };
        let progress = &mut self.v.progress[pos];
        let next = hinted
            .max(progress.match_index.next())
            .min(log.last_index().next());
        progress.next_index = next;
        progress.probing = true;
        self.send_append_entries(pos, out);
    }

    /// Commits the highest index stored on a majority, if it is of the current term
    /// (Figure 8: an older term's entry commits only beneath one of the current term).
    pub(crate) fn advance_commit(&mut self, out: &mut Outbox<RaftNode>) {
        if self.v.role != Role::Leader {
            return;
        }
        let log = &self.durable.log;
        let mut matched: Vec<LogIndex> = (self.config.peers.iter().zip(&self.v.progress))
            .map(|(&peer, p)| {
                if peer == self.id {
                    self.durable_match()
                } else {
                    p.match_index
                }
            })
            .collect();
        matched.sort_unstable();
        let majority_match = matched[matched.len() - self.config.majority()];
        if majority_match <= self.v.commit_index {
            return;
        }
        let current = log.term_at(majority_match) == Some(self.durable.term);
        if !current && !self.config.is_mutant(Mutant::CommitOldTermByCounting) {
            return;
        }
        self.v.commit_index = majority_match;
        self.apply_committed(out);
    }

    /// Emits every committed, not yet applied entry, in order. The log reaches the disk first,
    /// so the service never sees an entry a crash could take back from this node.
    pub(crate) fn apply_committed(&mut self, out: &mut Outbox<RaftNode>) {
        if self.v.last_applied >= self.v.commit_index {
            return;
        }
        self.flush(out);
        while self.v.last_applied < self.v.commit_index {
            let index = self.v.last_applied.next();
            let entry = self
                .durable
                .log
                .entry(index)
                .expect("committed entries past the snapshot are held");
            out.emit(RaftEvent::Applied {
                index,
                term: entry.term,
                command: entry.command.clone(),
            });
            self.v.last_applied = index;
        }
    }
}

#[cfg(test)]
#[path = "replication_tests.rs"]
mod tests;
