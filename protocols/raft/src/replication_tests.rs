//! Unit tests of replication: the follower's consistency check and append, the leader's backup, pipelining and commit.

use crate::config::Config;
use crate::msg::{AppendEntriesReply, RaftMsg};
use crate::mutant::Mutant;
use crate::node::{NotLeader, RaftEvent};
use crate::test_support::*;
use crate::types::{LogIndex, Term};
use protocol_core::{Disk, Input, NodeId, Outbox, Time};

const T: Time = Time::from_ms(1);

fn follower(mutant: Option<Mutant>) -> crate::node::RaftNode {
    boot_with(&Config::with_size(3).with_mutant(mutant), 1, &Disk::new()).0
}

fn reply(
    term: u64,
    success: bool,
    match_index: u64,
    conflict: Option<u64>,
    conflict_index: u64,
) -> RaftMsg {
    RaftMsg::AppendEntriesReply(AppendEntriesReply {
        term: Term(term),
        success,
        match_index: LogIndex(match_index),
        conflict_term: conflict.map(Term),
        conflict_index: LogIndex(conflict_index),
    })
}

fn sent_prev(outs: &Outs) -> Vec<(NodeId, u64)> {
    sends(outs)
        .into_iter()
        .filter_map(|(to, m)| match m {
            RaftMsg::AppendEntries(a) => Some((to, a.prev_log_index.0)),
            _ => None,
        })
        .collect()
}

#[test]
fn follower_rejects_append_entries_from_stale_term() {
    let mut node = follower(None);
    deliver(&mut node, T, 0, append(2, 0, 0, 0, &[], 0));
    let outs = deliver(&mut node, T, 2, append(1, 2, 0, 0, &[1], 0));
    let r = reply_of(&outs);
    assert!(!r.success);
    assert_eq!(r.term, Term(2));
    assert!(node.log().entries().is_empty());
    assert_eq!(node.leader_hint(), Some(NodeId(0)));
}

#[test]
fn follower_appends_persists_before_replying_and_applies_in_order() {
    let mut node = follower(None);
    let outs = deliver(&mut node, T, 0, append(1, 0, 0, 0, &[1, 1, 1], 2));
    let (persist, send) = first_persist_and_send(&outs);
    assert!(persist.unwrap() < send.unwrap());
    assert_eq!(reply_of(&outs).match_index, LogIndex(3));
    let applied: Vec<u64> = events(&outs)
        .iter()
        .map(|e| match e {
            RaftEvent::Applied { index, .. } => index.0,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(applied, vec![1, 2]);
    // A heartbeat changes no durable state, so nothing is persisted.
    let outs = deliver(&mut node, T, 0, append(1, 0, 3, 1, &[], 2));
    assert_eq!(first_persist_and_send(&outs).0, None);
}

#[test]
fn truncates_conflicting_suffix() {
    for (mutant, expected) in [
        (None, vec![1, 2]),
        (Some(Mutant::SkipTruncation), vec![1, 1, 1]),
    ] {
        let mut node = follower(mutant);
        deliver(&mut node, T, 0, append(1, 0, 0, 0, &[1, 1, 1], 0));
        let r = reply_of(&deliver(&mut node, T, 2, append(2, 2, 1, 1, &[2], 0)));
        assert!(r.success);
        assert_eq!(log_terms(&node), expected, "mutant {mutant:?}");
    }
}

#[test]
fn delayed_shorter_append_does_not_truncate_matching_entries() {
    let mut node = follower(None);
    deliver(&mut node, T, 0, append(1, 0, 0, 0, &[1, 1, 1], 0));
    deliver(&mut node, T, 0, append(1, 0, 0, 0, &[1], 0));
    assert_eq!(log_terms(&node), vec![1, 1, 1]);
}

#[test]
fn consistency_check_rejects_mismatched_prev_unless_mutant() {
    for (mutant, success) in [(None, false), (Some(Mutant::SkipConsistencyCheck), true)] {
        let mut node = follower(mutant);
        deliver(&mut node, T, 0, append(1, 0, 0, 0, &[1, 1], 0));
        let r = reply_of(&deliver(&mut node, T, 2, append(3, 2, 2, 2, &[3], 0)));
        assert_eq!(r.success, success, "mutant {mutant:?}");
    }
    let mut node = follower(None);
    let r = reply_of(&deliver(&mut node, T, 0, append(1, 0, 5, 1, &[1], 0)));
    assert_eq!(
        (r.success, r.conflict_term, r.conflict_index),
        (false, None, LogIndex(1))
    );
}

#[test]
fn fast_backup_skips_conflicting_term() {
    // Follower side: the hint names the conflicting term and its first index.
    let mut node = follower(None);
    deliver(&mut node, T, 0, append(2, 0, 0, 0, &[1, 2, 2, 2], 0));
    let r = reply_of(&deliver(&mut node, T, 2, append(3, 2, 4, 3, &[], 0)));
    assert_eq!(
        (r.success, r.conflict_term, r.conflict_index),
        (false, Some(Term(2)), LogIndex(2))
    );
    // Leader side: skip the follower's whole term, or back up to our last entry of it.
    let config = Config::with_size(3);
    let mut leader = leader_with_log(&config, &[1, 1, 3, 3, 3], 4);
    let outs = deliver(&mut leader, T, 1, reply(4, false, 0, Some(2), 3));
    assert_eq!(
        sent_prev(&outs),
        vec![(NodeId(1), 2)],
        "no term 2 here: back up to index 3"
    );
    let outs = deliver(&mut leader, T, 2, reply(4, false, 0, Some(1), 1));
    assert_eq!(
        sent_prev(&outs),
        vec![(NodeId(2), 2)],
        "after our last term-1 entry"
    );
    let outs = deliver(&mut leader, T, 2, reply(4, false, 0, None, 2));
    assert_eq!(
        sent_prev(&outs),
        vec![(NodeId(2), 1)],
        "a short log: to its end"
    );
}

#[test]
fn leader_does_not_commit_old_term_entries_by_counting() {
    for (mutant, commit) in [(None, 0), (Some(Mutant::CommitOldTermByCounting), 2)] {
        let config = Config::with_size(3).with_mutant(mutant);
        let mut leader = leader_with_log(&config, &[1, 2], 3);
        let outs = deliver(&mut leader, T, 1, reply(3, true, 2, None, 0));
        assert_eq!(leader.commit_index(), LogIndex(commit), "mutant {mutant:?}");
        assert_eq!(events(&outs).len(), commit as usize);
    }
    // An entry of the current term on a majority commits it and everything before it.
    let mut leader = leader_with_log(&Config::with_size(3), &[1, 2], 3);
    let mut out = Outbox::new();
    leader.start(T, vec![9], &mut out).unwrap();
    settle(&mut leader, T, &mut out);
    let outs = deliver(&mut leader, T, 1, reply(3, true, 3, None, 0));
    assert_eq!(leader.commit_index(), LogIndex(3));
    assert_eq!(events(&outs).len(), 3);
}

#[test]
fn a_silent_follower_gets_entries_once_then_bare_probes() {
    let mut leader = leader_with_log(&Config::with_size(3), &[1, 1, 1, 1], 2);
    let conflict = RaftMsg::AppendEntriesReply(AppendEntriesReply {
        term: Term(2),
        success: false,
        match_index: LogIndex(0),
        conflict_term: None,
        conflict_index: LogIndex(1),
    });
    let entries_to_n1 = |outs: &Outs| -> Vec<usize> {
        sends(outs)
            .into_iter()
            .filter_map(|(to, m)| match m {
                RaftMsg::AppendEntries(a) if to == NodeId(1) => Some(a.entries.len()),
                _ => None,
            })
            .collect()
    };
    let now = Time::from_secs(1);
    // n1 holds nothing: the leader backs up and sends all four entries.
    let outs = deliver(&mut leader, now, 1, conflict.clone());
    assert_eq!(entries_to_n1(&outs), vec![4]);
    // n1 goes silent: heartbeats probe without entries.
    for _ in 0..3 {
        let at = leader
            .v
            .heartbeat_deadline
            .expect("a leader's heartbeat is armed");
        let outs = step(&mut leader, at, Input::Timer(crate::RaftTimer::Heartbeat));
        assert_eq!(entries_to_n1(&outs), vec![0]);
    }
    // n1 answers again: the entries go with the next message.
    let outs = deliver(&mut leader, now, 1, conflict);
    assert_eq!(entries_to_n1(&outs), vec![4]);
}

#[test]
fn start_replicates_promptly_and_follower_says_not_leader() {
    let (mut leader, now) = leader(3, 0);
    let mut out = Outbox::new();
    assert_eq!(
        leader.start(now, vec![7], &mut out),
        Ok((LogIndex(1), Term(1)))
    );
    assert_eq!(
        leader.start(now, vec![8], &mut out),
        Ok((LogIndex(2), Term(1)))
    );
    let at = leader.v.heartbeat_deadline.unwrap();
    assert!(at <= now.plus_micros(leader.config().replicate_delay_us));
    // Both commands leave together when the (pulled-in) heartbeat fires, after a persist.
    let outs = step(
        &mut leader,
        at,
        protocol_core::Input::Timer(crate::RaftTimer::Heartbeat),
    );
    let (persist, send) = first_persist_and_send(&outs);
    assert!(persist.is_none() || persist < send);
    for (_, m) in sends(&outs) {
        let RaftMsg::AppendEntries(a) = m else {
            panic!("{m:?}")
        };
        assert_eq!(a.entries.len(), 2);
    }
    let mut node = follower(None);
    deliver(&mut node, T, 0, append(1, 0, 0, 0, &[], 0));
    let err = node.start(T, vec![1], &mut Outbox::new());
    assert_eq!(
        err,
        Err(NotLeader {
            term: Term(1),
            leader_hint: Some(NodeId(0))
        })
    );
}

fn install_snapshot(term: u64, index: u64, last_term: u64) -> RaftMsg {
    RaftMsg::InstallSnapshot(crate::msg::InstallSnapshot {
        term: Term(term),
        leader: NodeId(0),
        last_included_index: LogIndex(index),
        last_included_term: Term(last_term),
        data: vec![7],
    })
}

#[test]
fn entries_overlapping_the_snapshot_are_taken_from_its_end_on() {
    let mut node = follower(None);
    deliver(&mut node, T, 0, install_snapshot(1, 5, 1));
    // Entries 4..=7 after prev 3: 4 and 5 are inside the snapshot, 6 and 7 are new.
    let r = reply_of(&deliver(
        &mut node,
        T,
        0,
        append(1, 0, 3, 1, &[1, 1, 1, 1], 0),
    ));
    assert_eq!((r.success, r.match_index), (true, LogIndex(7)));
    assert_eq!(node.log().last_index(), LogIndex(7));
    let sixth = node.log().entry(LogIndex(6)).expect("held");
    assert_eq!(
        sixth.command,
        entries(&[1, 1, 1, 1])[2].command,
        "the third one sent"
    );
    // All inside the snapshot: nothing to add, and the match is the snapshot point.
    let r = reply_of(&deliver(&mut node, T, 0, append(1, 0, 1, 1, &[1], 0)));
    assert_eq!((r.success, r.match_index), (true, LogIndex(5)));
    assert_eq!(node.log().last_index(), LogIndex(7));
}

#[test]
fn the_snapshot_point_matches_whatever_term_a_leader_names_there() {
    // What the snapshot holds is committed; a leader naming another term at its point is a
    // peer's confusion, not a conflict to back up from (there is no entry to back up to).
    let mut node = follower(None);
    deliver(&mut node, T, 0, install_snapshot(1, 5, 1));
    let r = reply_of(&deliver(&mut node, T, 0, append(2, 0, 5, 2, &[2], 0)));
    assert_eq!((r.success, r.match_index), (true, LogIndex(6)));
}

#[test]
fn another_entry_where_the_snapshot_ends_is_a_broken_peers_and_ignored() {
    // The snapshot ends at 5 in term 1, so entry 5 is committed with term 1: a leader that
    // sends term 2 there contradicts it. Nothing is appended and nothing is answered (found
    // by the fuzz target raft_follower). Sent after prev 3, entry 5 is the second one.
    let mut node = follower(None);
    deliver(&mut node, T, 0, install_snapshot(1, 5, 1));
    let outs = deliver(&mut node, T, 0, append(2, 0, 3, 1, &[1, 2, 2], 0));
    assert!(sends(&outs).is_empty(), "{outs:?}");
    assert_eq!(node.log().last_index(), LogIndex(5));
    // The same entries with term 1 at the snapshot's end are taken from 6 on.
    let r = reply_of(&deliver(&mut node, T, 0, append(2, 0, 3, 1, &[1, 1, 2], 0)));
    assert_eq!((r.success, r.match_index), (true, LogIndex(6)));
}

#[test]
fn entries_that_contradict_committed_ones_are_ignored() {
    // Entries 1..=3 of term 1, all committed. A message that puts term 2 at index 2 (after a
    // matching prev 1) would rewrite a committed entry: a broken peer's, ignored.
    let mut node = follower(None);
    deliver(&mut node, T, 0, append(1, 0, 0, 0, &[1, 1, 1], 3));
    assert_eq!(node.v.commit_index, LogIndex(3));
    let outs = deliver(&mut node, T, 0, append(2, 0, 1, 1, &[2, 2], 3));
    assert!(sends(&outs).is_empty(), "{outs:?}");
    assert_eq!(node.log().term_at(LogIndex(2)), Some(Term(1)));
    // An entry of an older term right after a matched prev cannot be a leader's either.
    let outs = deliver(&mut node, T, 0, append(2, 0, 3, 1, &[0], 3));
    assert!(sends(&outs).is_empty(), "{outs:?}");
    assert_eq!(node.log().last_index(), LogIndex(3));
}

#[test]
fn a_leader_ignores_replies_of_an_earlier_term() {
    // Leader of term 3; a follower's answers from term 2 (delayed in the network) neither
    // count toward commit nor move its progress.
    let mut leader = leader_with_log(&Config::with_size(3), &[1, 1, 3], 3);
    let outs = deliver(&mut leader, T, 1, reply(2, true, 3, None, 0));
    assert!(sends(&outs).is_empty(), "{outs:?}");
    assert_eq!(leader.v.progress[0].match_index, LogIndex::ZERO);
    assert_eq!(leader.v.commit_index, LogIndex::ZERO);
    // The same answer in its own term counts: 3 of 3 entries on two of three servers.
    deliver(&mut leader, T, 1, reply(3, true, 3, None, 0));
    assert_eq!(leader.v.commit_index, LogIndex(3));
}

#[test]
fn a_matched_follower_gets_new_entries_pipelined() {
    let mut leader = leader_with_log(&Config::with_size(3), &[1, 1], 2);
    deliver(&mut leader, T, 1, reply(2, true, 2, None, 0));
    let mut sent = Vec::new();
    for command in [7, 8] {
        leader.start(T, vec![command], &mut Outbox::new()).unwrap();
        let at = leader.v.heartbeat_deadline.expect("armed by start");
        let outs = step(&mut leader, at, Input::Timer(crate::RaftTimer::Heartbeat));
        for (to, m) in sends(&outs) {
            if let (NodeId(1), RaftMsg::AppendEntries(a)) = (to, m) {
                sent.push((a.prev_log_index.0, a.entries.len()));
            }
        }
    }
    // The second goes out before any answer, after the first: nothing is sent twice.
    assert_eq!(sent, vec![(2, 1), (3, 1)]);
}
