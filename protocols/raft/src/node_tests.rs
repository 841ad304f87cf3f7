//! Unit tests of a node as a whole: boot from disk, restarts, invariants, accessors.

use crate::config::Config;
use crate::disk_format::LOG_FILE as RAFT_STATE_FILE;
use crate::msg::{RaftMsg, RequestVote};
use crate::mutant::Mutant;
use crate::node::RaftNode;
use crate::test_support::*;
use crate::types::{LogIndex, Term};
use protocol_core::{BootError, Disk, DurableWrite, Node, NodeId, Outbox, Time};

#[test]
fn corrupt_disk_is_an_error() {
    let mut disk = Disk::new();
    disk.apply(DurableWrite::file(
        RAFT_STATE_FILE,
        vec![0xde, 0xad, 0xbe, 0xef, 0xff],
    ));
    let result = RaftNode::boot(
        &Config::with_size(3),
        NodeId(1),
        &disk,
        1,
        Time::ZERO,
        &mut Outbox::new(),
    );
    assert!(
        matches!(
            result,
            Err(BootError::CorruptDisk {
                node: NodeId(1),
                ..
            })
        ),
        "{:?}",
        result.err()
    );
    let bad = RaftNode::boot(
        &Config::with_size(3),
        NodeId(5),
        &Disk::new(),
        1,
        Time::ZERO,
        &mut Outbox::new(),
    );
    assert!(matches!(bad, Err(BootError::InvalidConfig { .. })));
}

#[test]
fn restart_keeps_term_vote_and_log_but_not_commit() {
    let mut disk = Disk::new();
    let (mut node, _) = boot_with(&Config::with_size(3), 1, &disk);
    apply_persists(
        &mut disk,
        &deliver(
            &mut node,
            Time::from_ms(1),
            0,
            append(2, 0, 0, 0, &[1, 2], 2),
        ),
    );
    assert_eq!(node.commit_index(), LogIndex(2));
    let (rebooted, outs) = boot_with(&Config::with_size(3), 1, &disk);
    assert_eq!(
        (rebooted.term(), log_terms(&rebooted)),
        (Term(2), vec![1, 2])
    );
    assert_eq!(
        rebooted.commit_index(),
        LogIndex(0),
        "commit is volatile; it is relearned"
    );
    assert!(events(&outs).is_empty(), "no snapshot, nothing to restore");
}

#[test]
fn restarted_node_does_not_vote_twice_unless_vote_is_forgotten() {
    for (mutant, second) in [(None, false), (Some(Mutant::ForgetVoteOnRestart), true)] {
        let config = Config::with_size(3).with_mutant(mutant);
        let mut disk = Disk::new();
        let (mut node, _) = boot_with(&config, 1, &disk);
        let vote = |c: u32| {
            RaftMsg::RequestVote(RequestVote {
                term: Term(1),
                candidate: NodeId(c),
                last_log_index: LogIndex(0),
                last_log_term: Term(0),
            })
        };
        apply_persists(&mut disk, &deliver(&mut node, Time::from_ms(1), 0, vote(0)));
        let (mut rebooted, _) = boot_with(&config, 1, &disk);
        let reply = sends(&deliver(&mut rebooted, Time::from_ms(2), 2, vote(2)));
        let [(_, RaftMsg::RequestVoteReply(r))] = reply.as_slice() else {
            panic!("{reply:?}")
        };
        assert_eq!(r.vote_granted, second, "mutant {mutant:?}");
    }
}

#[test]
#[should_panic(expected = "commit 2 > last index 0")]
fn check_invariants_stops_a_node_committed_past_its_log() {
    let mut node = boot(3, 1);
    node.check_invariants();
    node.v.commit_index = LogIndex(2);
    node.check_invariants();
}

#[test]
#[should_panic(expected = "durable state invalid: log term 3 above current term 0")]
fn check_invariants_checks_the_durable_state() {
    let mut node = boot(3, 1);
    node.durable.log = crate::log::Log::new(LogIndex(0), Term(0), entries(&[3]));
    node.check_invariants();
}

#[test]
fn commands_started_at_one_instant_leave_on_one_timer() {
    let (mut leader, now) = leader(3, 0);
    let timers = |outs: &Outs| {
        outs.iter()
            .filter(|o| matches!(o, protocol_core::Output::SetTimer { .. }))
            .count()
    };
    let mut out = Outbox::new();
    leader.start(now, vec![1], &mut out).unwrap();
    assert_eq!(timers(&out.drain().collect()), 1, "pulled in for the first");
    leader.start(now, vec![2], &mut out).unwrap();
    assert_eq!(timers(&out.drain().collect()), 0, "already due then");
}

#[test]
fn snapshot_data_is_what_the_service_handed_over() {
    let mut node = boot(3, 1);
    assert!(node.snapshot_data().is_empty());
    deliver(
        &mut node,
        Time::from_ms(1),
        0,
        append(1, 0, 0, 0, &[1, 1], 2),
    );
    node.snapshot(
        Time::from_ms(2),
        LogIndex(2),
        vec![4, 2],
        &mut Outbox::new(),
    );
    assert_eq!(node.snapshot_data(), [4, 2]);
}
