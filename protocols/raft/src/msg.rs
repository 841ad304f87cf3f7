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
mod tests {
    use super::*;

    use crate::config::Config;
    use crate::test_support::*;
    use protocol_core::{Outbox, Time};

    const T: Time = Time::from_ms(1);

    fn vote(term: u64, candidate: u32) -> RaftMsg {
        RaftMsg::RequestVote(RequestVote {
            term: Term(term),
            candidate: NodeId(candidate),
            last_log_index: LogIndex(0),
            last_log_term: Term(0),
        })
    }

    #[test]
    fn messages_from_itself_non_peers_or_on_behalf_of_others_are_ignored() {
        let mut node = boot(3, 1);
        assert!(
            deliver(&mut node, T, 1, vote(5, 1)).is_empty(),
            "from itself"
        );
        assert!(
            deliver(&mut node, T, 7, vote(5, 7)).is_empty(),
            "from a non-peer"
        );
        assert!(
            deliver(&mut node, T, 0, vote(5, 2)).is_empty(),
            "votes for another"
        );
        let mut forged = append(5, 2, 0, 0, &[5], 0);
        assert!(
            deliver(&mut node, T, 0, forged.clone()).is_empty(),
            "appends as another"
        );
        assert_eq!((node.term(), node.voted_for()), (Term(0), None));
        let RaftMsg::AppendEntries(a) = &mut forged else {
            unreachable!()
        };
        a.leader = NodeId(0);
        assert!(
            reply_of(&deliver(&mut node, T, 0, forged)).success,
            "the same, honest"
        );
    }

    #[test]
    fn terms_and_indexes_that_would_overflow_are_ignored() {
        let mut node = boot(3, 1);
        assert!(deliver(&mut node, T, 0, vote(u64::MAX, 0)).is_empty());
        assert_eq!(node.term(), Term(0));
        let install = |index: u64, last_term: u64| {
            RaftMsg::InstallSnapshot(InstallSnapshot {
                term: Term(2),
                leader: NodeId(0),
                last_included_index: LogIndex(index),
                last_included_term: Term(last_term),
                data: vec![1],
            })
        };
        assert!(deliver(&mut node, T, 0, install(u64::MAX - 1, 1)).is_empty());
        assert!(
            deliver(&mut node, T, 0, install(5, 3)).is_empty(),
            "term past sender's"
        );
        let huge = append(2, 0, u64::MAX - 1, 1, &[2, 2], 0);
        assert!(deliver(&mut node, T, 0, huge).is_empty());
        let backwards = append(3, 0, 0, 0, &[2, 1], 0);
        assert!(deliver(&mut node, T, 0, backwards).is_empty());
        let ahead = append(3, 0, 0, 0, &[4], 0);
        assert!(
            deliver(&mut node, T, 0, ahead).is_empty(),
            "entry past the term"
        );
        assert_eq!(
            (node.term(), node.log().last_index()),
            (Term(0), LogIndex(0))
        );
        assert_eq!(sends(&deliver(&mut node, T, 0, install(5, 1))).len(), 1);
        assert_eq!(
            node.log().snapshot_index(),
            LogIndex(5),
            "a sane one is installed"
        );
    }

    #[test]
    fn a_reply_matching_past_the_leaders_log_is_ignored() {
        let config = Config::with_size(3);
        let mut leader = leader_with_log(&config, &[1, 1], 2);
        let reply = |match_index: u64| {
            RaftMsg::AppendEntriesReply(AppendEntriesReply {
                term: Term(2),
                success: true,
                match_index: LogIndex(match_index),
                conflict_term: None,
                conflict_index: LogIndex(0),
            })
        };
        assert!(deliver(&mut leader, T, 1, reply(9)).is_empty());
        assert!(deliver(&mut leader, T, 1, reply(u64::MAX)).is_empty());
        assert_eq!(leader.v.progress[1].match_index, LogIndex(0));
        let mut out = Outbox::new();
        leader.start(T, vec![1], &mut out).unwrap();
        crate::test_support::settle(&mut leader, T, &mut out);
        deliver(&mut leader, T, 1, reply(3));
        assert_eq!(
            leader.commit_index(),
            LogIndex(3),
            "an honest reply still counts"
        );
    }

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

    #[test]
    fn byte_fields_encode_as_a_plain_byte_sequence_would() {
        // Commands and snapshot data go through serde_bytes for speed; the wire (and so every
        // recorded trace hash) must stay what the derived Vec<u8> sequence gave.
        let command: Vec<u8> = (0..=255).chain(0..40).collect();
        let entry = Entry {
            term: Term(300),
            command: command.clone(),
        };
        let plain = postcard::to_allocvec(&(Term(300), &command)).expect("to a Vec");
        assert_eq!(postcard::to_allocvec(&entry).expect("to a Vec"), plain);
        assert_eq!(postcard::from_bytes::<Entry>(&plain), Ok(entry));
        let install = InstallSnapshot {
            term: Term(2),
            leader: NodeId(1),
            last_included_index: LogIndex(9),
            last_included_term: Term(1),
            data: command.clone(),
        };
        let plain = postcard::to_allocvec(&(Term(2), NodeId(1), LogIndex(9), Term(1), &command))
            .expect("to a Vec");
        assert_eq!(postcard::to_allocvec(&install).expect("to a Vec"), plain);
        assert_eq!(postcard::from_bytes::<InstallSnapshot>(&plain), Ok(install));
    }
}
