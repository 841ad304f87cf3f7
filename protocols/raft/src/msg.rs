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
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_through_postcard() {
        let msg = RaftMsg::AppendEntries(AppendEntries {
            term: Term(3),
            leader: NodeId(1),
            prev_log_index: LogIndex(4),
            prev_log_term: Term(2),
            entries: vec![Entry {
                term: Term(3),
                command: vec![7, 8],
            }],
            leader_commit: LogIndex(4),
        });
        let bytes = postcard::to_allocvec(&msg).expect("encoding to a Vec cannot fail");
        assert_eq!(postcard::from_bytes::<RaftMsg>(&bytes), Ok(msg.clone()));
        assert_eq!(msg.kind(), "AppendEntries");
        assert!(postcard::from_bytes::<RaftMsg>(&[9, 9, 9]).is_err());
    }
}
