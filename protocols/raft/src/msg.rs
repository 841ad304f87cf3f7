//! What Raft servers send each other (Figure 2 and Figure 13 of the extended paper).

use crate::log::Entry;
use crate::types::{LogIndex, Term};
use protocol_core::{Message, NodeId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RaftMsg {
    RequestVote(RequestVote),
    RequestVoteReply(RequestVoteReply),
    AppendEntries(AppendEntries),
    AppendEntriesReply(AppendEntriesReply),
    InstallSnapshot(InstallSnapshot),
    InstallSnapshotReply(InstallSnapshotReply),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestVote {
    pub term: Term,
    pub candidate: NodeId,
    pub last_log_index: LogIndex,
    pub last_log_term: Term,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestVoteReply {
    pub term: Term,
    pub vote_granted: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendEntries {
    pub term: Term,
    pub leader: NodeId,
    pub prev_log_index: LogIndex,
    pub prev_log_term: Term,
    pub entries: Vec<Entry>,
    pub leader_commit: LogIndex,
}

/// On success `match_index` is the last index known to match the leader's log. On failure
/// the follower names where to back up to: the conflicting term and the first index it holds
/// of that term, or (no conflicting term) one past its last index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendEntriesReply {
    pub term: Term,
    pub success: bool,
    pub match_index: LogIndex,
    pub conflict_term: Option<Term>,
    pub conflict_index: LogIndex,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallSnapshot {
    pub term: Term,
    pub leader: NodeId,
    pub last_included_index: LogIndex,
    pub last_included_term: Term,
    /// The service's snapshot bytes, carried unchanged.
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallSnapshotReply {
    pub term: Term,
    /// The snapshot index the follower now holds (or already held).
    pub last_included_index: LogIndex,
}

impl RaftMsg {
    pub fn term(&self) -> Term {
        match self {
            RaftMsg::RequestVote(m) => m.term,
            RaftMsg::RequestVoteReply(m) => m.term,
            RaftMsg::AppendEntries(m) => m.term,
            RaftMsg::AppendEntriesReply(m) => m.term,
            RaftMsg::InstallSnapshot(m) => m.term,
            RaftMsg::InstallSnapshotReply(m) => m.term,
        }
    }
}

impl RaftMsg {
    /// Why no correct peer could have sent this, if so: a term or index beyond the limits
    /// (local arithmetic on it would overflow), or entries whose terms run backwards or past
    /// the sender's term (appending them would break the log's order). Such a message is a
    /// peer's bug, not ours: the receiver ignores it rather than asserting.
    /// The sender must also be who the message says it is from (candidate, leader).
    pub(crate) fn peer_error(&self, from: NodeId) -> Option<&'static str> {
        if self.term() > Term::LIMIT {
            return Some("term beyond the limit");
        }
        let claimed = match self {
            RaftMsg::RequestVote(m) => Some(m.candidate),
            RaftMsg::AppendEntries(m) => Some(m.leader),
            RaftMsg::InstallSnapshot(m) => Some(m.leader),
            RaftMsg::RequestVoteReply(_)
            | RaftMsg::AppendEntriesReply(_)
            | RaftMsg::InstallSnapshotReply(_) => None,
        };
        if claimed.is_some_and(|claimed| claimed != from) {
            return Some("sent on behalf of another node");
        }
        let index_ok = |index: LogIndex| index <= LogIndex::LIMIT;
        match self {
            RaftMsg::RequestVote(m) => (!index_ok(m.last_log_index)).then_some("last_log_index"),
            RaftMsg::RequestVoteReply(_) => None,
            RaftMsg::AppendEntries(m) => append_entries_error(m),
            RaftMsg::AppendEntriesReply(m) => {
                let ok = index_ok(m.match_index) && index_ok(m.conflict_index);
                (!ok).then_some("reply index beyond the limit")
            }
            RaftMsg::InstallSnapshot(m) => {
                if !index_ok(m.last_included_index) {
                    return Some("last_included_index beyond the limit");
                }
                (m.last_included_term > m.term).then_some("snapshot term past the sender's")
            }
            RaftMsg::InstallSnapshotReply(m) => {
                (!index_ok(m.last_included_index)).then_some("last_included_index")
            }
        }
    }
}

fn append_entries_error(m: &AppendEntries) -> Option<&'static str> {
    let count = m.entries.len() as u64;
    if m.prev_log_index > LogIndex::LIMIT || count > LogIndex::LIMIT.0 - m.prev_log_index.0 {
        return Some("entries reach beyond the index limit");
    }
    if m.leader_commit > LogIndex::LIMIT {
        return Some("leader_commit beyond the limit");
    }
    let mut prev = m.prev_log_term;
    for entry in &m.entries {
        if entry.term < prev || entry.term > m.term {
            return Some("entry terms out of order");
        }
        prev = entry.term;
    }
    None
}

impl Message for RaftMsg {
    fn kind(&self) -> &'static str {
        match self {
            RaftMsg::RequestVote(_) => "RequestVote",
            RaftMsg::RequestVoteReply(_) => "RequestVoteReply",
            RaftMsg::AppendEntries(_) => "AppendEntries",
            RaftMsg::AppendEntriesReply(_) => "AppendEntriesReply",
            RaftMsg::InstallSnapshot(_) => "InstallSnapshot",
            RaftMsg::InstallSnapshotReply(_) => "InstallSnapshotReply",
        }
    }
}

#[cfg(test)]
#[path = "msg_tests.rs"]
mod tests;
