//! Snapshots: the service compacts the log; InstallSnapshot brings a lagging follower up.

use crate::msg::{InstallSnapshot, InstallSnapshotReply, RaftMsg};
use crate::node::{RaftEvent, RaftNode, Role};
use crate::types::LogIndex;
use protocol_core::{NodeId, Outbox, Time};

impl RaftNode {
    /// The service's snapshot of everything up to `index` (which it has applied): the log up to
    /// there is discarded and both files are written in one atomic write. A snapshot at or
    /// below the current one (an InstallSnapshot got there first) is ignored.
    pub fn snapshot(
        &mut self,
        _now: Time,
        index: LogIndex,
        data: Vec<u8>,
        out: &mut Outbox<RaftNode>,
    ) {
        let applied = self.v.last_applied;
        assert!(
            index <= applied,
            "{}: snapshot at {index} beyond last applied {applied}",
            self.id
        );
        if index <= self.durable.log.snapshot_index() {
            return;
        }
        let term = self
            .durable
            .log
            .term_at(index)
            .expect("applied entries past the snapshot are held");
        self.durable.log.compact_to(index, term);
        self.durable.snapshot = data;
        self.v.snapshot_dirty = true;
        self.flush(out);
    }

    pub(crate) fn send_install_snapshot(&mut self, pos: usize, out: &mut Outbox<RaftNode>) {
        let log = &self.durable.log;
        let msg = InstallSnapshot {
            term: self.durable.term,
            leader: self.id,
            last_included_index: log.snapshot_index(),
            last_included_term: log.snapshot_term(),
            data: self.durable.snapshot.clone(),
        };
        self.send(self.config.peers[pos], RaftMsg::InstallSnapshot(msg), out);
    }

    pub(crate) fn on_install_snapshot(
        &mut self,
        now: Time,
        from: NodeId,
        req: InstallSnapshot,
        out: &mut Outbox<RaftNode>,
    ) {
        let term = self.durable.term;
        if req.term < term {
            let reply = InstallSnapshotReply {
                term,
                last_included_index: LogIndex::ZERO,
            };
            return self.send(from, RaftMsg::InstallSnapshotReply(reply), out);
        }
        if !self.accept_leader(now, from, out) {
            return;
        }
        let index = req.last_included_index;
        // Up to our commit index we already agree with the leader; only a newer snapshot helps.
        if index > self.v.commit_index {
            self.durable.log.compact_to(index, req.last_included_term);
            self.durable.snapshot = req.data;
            self.v.snapshot_dirty = true;
            self.v.commit_index = index;
            self.v.last_applied = index;
            self.flush(out);
            let data = self.durable.snapshot.clone();
            out.emit(RaftEvent::Snapshot {
                index,
                term: req.last_included_term,
                data,
            });
        }
        let reply = InstallSnapshotReply {
            term,
            last_included_index: index,
        };
        self.send(from, RaftMsg::InstallSnapshotReply(reply), out);
    }

    pub(crate) fn on_install_snapshot_reply(
        &mut self,
        from: NodeId,
        reply: InstallSnapshotReply,
        out: &mut Outbox<RaftNode>,
    ) {
        if self.v.role != Role::Leader || reply.term != self.durable.term {
            return;
        }
        let pos = self.peer_position(from);
        let last = self.durable.log.last_index();
        let progress = &mut self.v.progress[pos];
        progress.match_index = progress
            .match_index
            .max(reply.last_included_index.min(last));
        progress.next_index = progress.next_index.max(progress.match_index.next());
        progress.probing = false;
        let behind = progress.next_index <= last;
        self.advance_commit(out);
        if behind {
            self.send_append_entries(pos, out);
        }
    }
}
