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
        self.v.store.snapshot_dirty = true;
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
            self.v.store.snapshot_dirty = true;
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

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::disk_format::{LOG_FILE, LOG_TEMP, SNAPSHOT_FILE, SNAPSHOT_TEMP};
    use crate::msg::{InstallSnapshot, RaftMsg};
    use crate::mutant::Mutant;
    use crate::node::RaftEvent;
    use crate::test_support::*;
    use crate::types::{LogIndex, Term};
    use protocol_core::{Disk, NodeId, Outbox, Output, Time};

    const T: Time = Time::from_ms(1);

    fn install(term: u64, index: u64, last_term: u64, data: &[u8]) -> RaftMsg {
        RaftMsg::InstallSnapshot(InstallSnapshot {
            term: Term(term),
            leader: NodeId(0),
            last_included_index: LogIndex(index),
            last_included_term: Term(last_term),
            data: data.to_vec(),
        })
    }

    #[test]
    fn snapshot_discards_the_prefix_and_replaces_both_files_through_temp_files() {
        let (mut node, _) = boot_with(&Config::with_size(3), 1, &Disk::new());
        deliver(&mut node, T, 0, append(1, 0, 0, 0, &[1, 1, 1, 1], 3));
        let mut out = Outbox::new();
        node.snapshot(T, LogIndex(2), b"state@2".to_vec(), &mut out);
        assert_eq!(
            (node.log().first_index(), node.log().last_index()),
            (LogIndex(3), LogIndex(4))
        );
        let outs = settle(&mut node, T, &mut out);
        let ops: Vec<String> = outs
            .iter()
            .filter_map(|o| match o {
                Output::File(op) => Some(format!("{op:?}")),
                Output::Sync { target, .. } => Some(format!("sync {target:?}")),
                _ => None,
            })
            .map(|op| op.split(" @").next().unwrap_or_default().to_string())
            .collect();
        let expected = [
            format!("truncate {SNAPSHOT_TEMP} to 0B"),
            format!("write {SNAPSHOT_TEMP}"),
            format!("sync {SNAPSHOT_TEMP}"),
            format!("truncate {LOG_TEMP} to 0B"),
            format!("write {LOG_TEMP}"),
            format!("sync {LOG_TEMP}"),
            "write raft-meta".to_string(),
            "sync raft-meta".to_string(),
            format!("rename {SNAPSHOT_TEMP} -> {SNAPSHOT_FILE}"),
            format!("rename {LOG_TEMP} -> {LOG_FILE}"),
            "sync the directory".to_string(),
        ];
        assert_eq!(ops, expected);
        // An older snapshot (say, the service lagging an InstallSnapshot) changes nothing.
        let mut out = Outbox::new();
        node.snapshot(T, LogIndex(1), b"old".to_vec(), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn restart_resumes_from_snapshot() {
        for (mutant, restored) in [(None, true), (Some(Mutant::DropSnapshotOnRestart), false)] {
            let config = Config::with_size(3).with_mutant(mutant);
            let mut disk = Disk::new();
            let (mut node, _) = boot_with(&config, 1, &disk);
            apply_persists(
                &mut disk,
                &deliver(&mut node, T, 0, append(1, 0, 0, 0, &[1, 1, 1], 3)),
            );
            let mut out = Outbox::new();
            node.snapshot(T, LogIndex(2), b"state@2".to_vec(), &mut out);
            apply_persists(&mut disk, &settle(&mut node, T, &mut out));
            let (rebooted, outs) = boot_with(&config, 1, &disk);
            let expected = RaftEvent::Snapshot {
                index: LogIndex(2),
                term: Term(1),
                data: b"state@2".to_vec(),
            };
            assert_eq!(
                events(&outs) == vec![expected],
                restored,
                "mutant {mutant:?}"
            );
            assert_eq!(
                (rebooted.last_applied(), rebooted.log().last_index()),
                (LogIndex(2), LogIndex(3))
            );
        }
    }

    #[test]
    fn lagging_follower_gets_install_snapshot_and_emits_it_in_order() {
        let mut leader = leader_with_log(&Config::with_size(3), &[1, 1, 1, 2], 2);
        let reply = RaftMsg::AppendEntriesReply(crate::msg::AppendEntriesReply {
            term: Term(2),
            success: true,
            match_index: LogIndex(4),
            conflict_term: None,
            conflict_index: LogIndex(0),
        });
        deliver(&mut leader, T, 2, reply);
        assert_eq!(leader.commit_index(), LogIndex(4));
        let mut out = Outbox::new();
        leader.snapshot(T, LogIndex(3), b"s3".to_vec(), &mut out);
        settle(&mut leader, T, &mut out);
        let back = RaftMsg::AppendEntriesReply(crate::msg::AppendEntriesReply {
            term: Term(2),
            success: false,
            match_index: LogIndex(0),
            conflict_term: None,
            conflict_index: LogIndex(1),
        });
        let outs = deliver(&mut leader, T, 1, back);
        let sent = sends(&outs);
        let [(to, RaftMsg::InstallSnapshot(msg))] = sent.as_slice() else {
            panic!("{sent:?}")
        };
        let (to, msg) = (*to, msg.clone());
        assert_eq!(
            (to, msg.last_included_index, msg.data.as_slice()),
            (NodeId(1), LogIndex(3), &b"s3"[..])
        );
        // The follower, which had applied index 1, installs it: the stream jumps to 3, no gap.
        let (mut follower, _) = boot_with(&Config::with_size(3), 1, &Disk::new());
        deliver(&mut follower, T, 0, append(1, 0, 0, 0, &[1], 1));
        let outs = deliver(&mut follower, T, 0, RaftMsg::InstallSnapshot(msg.clone()));
        assert_eq!(
            events(&outs),
            vec![RaftEvent::Snapshot {
                index: LogIndex(3),
                term: Term(1),
                data: b"s3".to_vec()
            }]
        );
        assert_eq!(
            (follower.commit_index(), follower.log().last_index()),
            (LogIndex(3), LogIndex(3))
        );
        // A duplicate changes nothing but is acknowledged.
        let outs = deliver(&mut follower, T, 0, RaftMsg::InstallSnapshot(msg));
        assert!(events(&outs).is_empty());
        assert_eq!(sends(&outs).len(), 1);
        // One from a stale term is refused: the reply carries our term.
        let outs = deliver(&mut follower, T, 0, install(1, 9, 1, b"old"));
        assert!(events(&outs).is_empty());
        assert_eq!(follower.commit_index(), LogIndex(3));
    }

    /// The leader's `(prev_log_index, entries)` to node 1 in `outs`.
    fn appends_to_n1(outs: &Outs) -> Vec<(u64, usize)> {
        sends(outs)
            .into_iter()
            .filter_map(|(to, m)| match m {
                RaftMsg::AppendEntries(a) if to == NodeId(1) => {
                    Some((a.prev_log_index.0, a.entries.len()))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_follower_behind_after_its_snapshot_gets_the_rest_at_once() {
        let mut leader = leader_with_log(&Config::with_size(3), &[1, 1, 1, 1, 1, 1, 2], 2);
        let back = RaftMsg::AppendEntriesReply(crate::msg::AppendEntriesReply {
            term: Term(2),
            success: false,
            match_index: LogIndex(0),
            conflict_term: None,
            conflict_index: LogIndex(1),
        });
        deliver(&mut leader, T, 1, back);
        let installed = |index: u64| {
            RaftMsg::InstallSnapshotReply(crate::msg::InstallSnapshotReply {
                term: Term(2),
                last_included_index: LogIndex(index),
            })
        };
        let outs = deliver(&mut leader, T, 1, installed(5));
        assert_eq!(appends_to_n1(&outs), vec![(5, 2)], "entries 6 and 7 follow");
        let outs = deliver(&mut leader, T, 1, installed(7));
        assert_eq!(
            appends_to_n1(&outs),
            vec![],
            "up to date: the heartbeat will do"
        );
    }
}
