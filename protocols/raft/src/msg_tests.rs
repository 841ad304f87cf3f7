//! Unit tests of the messages: what a correct peer cannot send, and the wire encoding.

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

const LIMIT: u64 = u64::MAX / 2;

fn append_with(prev: u64, prev_term: u64, terms: &[u64], term: u64) -> AppendEntries {
    match append(term, 0, prev, prev_term, terms, 0) {
        RaftMsg::AppendEntries(m) => m,
        _ => unreachable!("append builds an AppendEntries"),
    }
}

/// `peer_error` of `msg` from node 0, the sender every message below claims to be.
fn error_of(msg: RaftMsg) -> Option<&'static str> {
    msg.peer_error(NodeId(0))
}

#[test]
fn terms_and_indexes_up_to_the_limit_are_accepted_and_past_it_rejected() {
    assert_eq!(error_of(vote(LIMIT, 0)), None);
    assert_eq!(error_of(vote(LIMIT + 1, 0)), Some("term beyond the limit"));
    let mut far = vote(1, 0);
    let RaftMsg::RequestVote(v) = &mut far else {
        unreachable!()
    };
    v.last_log_index = LogIndex(LIMIT);
    assert_eq!(error_of(far.clone()), None);
    let RaftMsg::RequestVote(v) = &mut far else {
        unreachable!()
    };
    v.last_log_index = LogIndex(LIMIT + 1);
    assert_eq!(error_of(far), Some("last_log_index"));
    let granted = RequestVoteReply {
        term: Term(LIMIT),
        vote_granted: true,
    };
    assert_eq!(error_of(RaftMsg::RequestVoteReply(granted)), None);
}

#[test]
fn a_message_on_behalf_of_another_node_is_rejected() {
    assert_eq!(vote(1, 2).peer_error(NodeId(2)), None);
    assert_eq!(
        vote(1, 2).peer_error(NodeId(0)),
        Some("sent on behalf of another node")
    );
    let install = RaftMsg::InstallSnapshot(InstallSnapshot {
        term: Term(1),
        leader: NodeId(2),
        last_included_index: LogIndex(1),
        last_included_term: Term(1),
        data: vec![],
    });
    assert_eq!(install.peer_error(NodeId(2)), None);
    assert!(install.peer_error(NodeId(0)).is_some());
}

#[test]
fn append_entries_reaching_past_the_index_limit_are_rejected() {
    let at_limit = append_with(LIMIT, 1, &[], 1);
    assert_eq!(
        append_entries_error(&at_limit),
        None,
        "no entries at the limit"
    );
    let one_past = append_with(LIMIT, 1, &[1], 1);
    let err = append_entries_error(&one_past);
    assert_eq!(err, Some("entries reach beyond the index limit"));
    let last_fits = append_with(LIMIT - 2, 1, &[1, 1], 1);
    assert_eq!(append_entries_error(&last_fits), None);
    let prev_past = append_with(LIMIT + 1, 1, &[], 1);
    assert_eq!(append_entries_error(&prev_past), err);
    let mut commit = append_with(0, 0, &[1], 1);
    commit.leader_commit = LogIndex(LIMIT);
    assert_eq!(append_entries_error(&commit), None);
    commit.leader_commit = LogIndex(LIMIT + 1);
    let err = append_entries_error(&commit);
    assert_eq!(err, Some("leader_commit beyond the limit"));
    let msg = RaftMsg::AppendEntries(commit);
    assert_eq!(error_of(msg), err, "peer_error passes it on");
}

#[test]
fn entry_terms_must_run_from_prev_log_term_up_to_the_sender_term() {
    let ok = |prev_term: u64, terms: &[u64], term: u64| {
        append_entries_error(&append_with(4, prev_term, terms, term)).is_none()
    };
    assert!(ok(2, &[2, 2], 2), "equal to prev_log_term and to the term");
    assert!(ok(1, &[2, 3], 3), "rising");
    assert!(ok(1, &[1], 3), "below the sender's term");
    assert!(!ok(2, &[1], 3), "below prev_log_term");
    assert!(!ok(1, &[3, 2], 3), "running backwards");
    assert!(!ok(1, &[4], 3), "past the sender's term");
    assert!(!ok(1, &[2, 4], 3), "the last past the sender's term");
}

#[test]
fn replies_and_snapshots_naming_indexes_past_the_limit_are_rejected() {
    let reply = |match_index: u64, conflict_index: u64| {
        error_of(RaftMsg::AppendEntriesReply(AppendEntriesReply {
            term: Term(1),
            success: false,
            match_index: LogIndex(match_index),
            conflict_term: None,
            conflict_index: LogIndex(conflict_index),
        }))
    };
    assert_eq!(reply(LIMIT, LIMIT), None);
    assert_eq!(reply(LIMIT + 1, 0), Some("reply index beyond the limit"));
    assert_eq!(reply(0, LIMIT + 1), Some("reply index beyond the limit"));
    let install = |index: u64, last_term: u64| {
        error_of(RaftMsg::InstallSnapshot(InstallSnapshot {
            term: Term(3),
            leader: NodeId(0),
            last_included_index: LogIndex(index),
            last_included_term: Term(last_term),
            data: vec![],
        }))
    };
    assert_eq!(
        install(LIMIT, 3),
        None,
        "at the limit, in the sender's term"
    );
    assert_eq!(install(1, 2), None);
    let err = install(LIMIT + 1, 1);
    assert_eq!(err, Some("last_included_index beyond the limit"));
    assert_eq!(install(1, 4), Some("snapshot term past the sender's"));
    let installed = |index: u64| {
        error_of(RaftMsg::InstallSnapshotReply(InstallSnapshotReply {
            term: Term(3),
            last_included_index: LogIndex(index),
        }))
    };
    assert_eq!(installed(LIMIT), None);
    assert_eq!(installed(LIMIT + 1), Some("last_included_index"));
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
