//! Commands commit on every node; lagging and partitioned nodes converge; restarts resume.

// Node indexes address several parallel arrays (up, connected, disks), so loops use them.
#![allow(clippy::needless_range_loop)]

mod common;

use common::Cluster;
use raft::Config;

/// `one` needing a majority, with course-style retries.
fn one(cluster: &mut Cluster, command: u8) -> u64 {
    let majority = cluster.config.majority();
    cluster.one(vec![command], majority)
}

fn elected(n: u32) -> (Cluster, usize) {
    let mut cluster = Cluster::new(Config::with_size(n));
    cluster.run_ms(1_000);
    let leader = cluster.leader().expect("a leader within 1 s");
    (cluster, leader)
}

/// Starts `command` on the leader and waits 200 ms; returns its index.

#[test]
fn commands_commit_on_all_nodes_in_order() {
    let (mut cluster, _) = elected(3);
    for c in 1..=5u8 {
        assert_eq!(one(&mut cluster, c), u64::from(c));
    }
    for i in 0..3 {
        assert_eq!(
            cluster.applied_commands(i),
            (1..=5u8).map(|c| vec![c]).collect::<Vec<_>>(),
            "node {i}"
        );
    }
}

#[test]
fn a_command_commits_on_the_leader_well_within_a_heartbeat() {
    let (mut cluster, leader) = elected(3);
    let before = cluster.applied[leader].len();
    cluster.start(leader, vec![42]).unwrap();
    cluster.run_ms(5);
    assert_eq!(
        cluster.applied[leader].len(),
        before + 1,
        "committed within 5 ms"
    );
}

#[test]
fn a_reconnected_follower_catches_up() {
    let (mut cluster, leader) = elected(3);
    one(&mut cluster, 1);
    let lagging = (leader + 1) % 3;
    cluster.connected[lagging] = false;
    for c in 2..=40u8 {
        one(&mut cluster, c);
    }
    cluster.connected[lagging] = true;
    cluster.run_ms(1_000);
    assert_eq!(cluster.applied_commands(lagging).len(), 40);
    assert_eq!(cluster.node(lagging).commit_index().0, 40);
}

#[test]
fn a_partitioned_leader_discards_its_uncommitted_entries() {
    let (mut cluster, old) = elected(3);
    one(&mut cluster, 1);
    cluster.connected[old] = false;
    for c in 100..103u8 {
        cluster.start(old, vec![c]).unwrap();
    }
    cluster.run_ms(1_000);
    one(&mut cluster, 2);
    let new = cluster.leader().unwrap();
    cluster.connected[new] = false;
    cluster.connected[old] = true;
    cluster.run_ms(1_500);
    one(&mut cluster, 3);
    cluster.connected[new] = true;
    cluster.run_ms(1_000);
    for i in 0..3 {
        assert_eq!(
            cluster.applied_commands(i),
            vec![vec![1], vec![2], vec![3]],
            "node {i}"
        );
    }
}

#[test]
fn backup_over_long_divergent_logs_is_fast() {
    // TestBackup2B's shape: 5 servers, 50 uncommitted entries on each side of a partition.
    let (mut cluster, leader) = elected(5);
    one(&mut cluster, 0);
    let side = [leader, (leader + 1) % 5];
    for i in 0..5 {
        cluster.connected[i] = side.contains(&i);
    }
    for c in 0..50u8 {
        cluster.start(leader, vec![c]).unwrap();
    }
    cluster.run_ms(500);
    for i in 0..5 {
        cluster.connected[i] = !side.contains(&i);
    }
    cluster.run_ms(1_000);
    for c in 0..50u8 {
        one(&mut cluster, c);
    }
    cluster.connected = vec![true; 5];
    let before = cluster.messages_delivered;
    cluster.run_ms(1_000);
    for i in 0..5 {
        assert_eq!(cluster.node(i).commit_index().0, 51, "node {i}");
    }
    assert!(
        cluster.messages_delivered - before < 200,
        "{} messages",
        cluster.messages_delivered - before
    );
}

/// A peer that contradicts a committed entry (which no correct leader can) is ignored: no
/// reply, nothing cut. The follower used to assert instead, and a fuzzer found the input.
#[test]
fn an_append_entries_contradicting_a_committed_entry_is_ignored() {
    use protocol_core::{Disk, Input, Node, NodeId, Outbox, Time};
    use raft::msg::AppendEntries;
    use raft::{Entry, LogIndex, RaftMsg, RaftNode, Term};
    let append = |term, leader, command: u8, commit| {
        let entries = vec![Entry {
            term: Term(term),
            command: vec![command],
        }];
        let req = AppendEntries {
            term: Term(term),
            leader: NodeId(leader),
            prev_log_index: LogIndex(0),
            prev_log_term: Term(0),
            entries,
            leader_commit: LogIndex(commit),
        };
        Input::Message {
            from: NodeId(leader),
            msg: RaftMsg::AppendEntries(req),
        }
    };
    let mut out = Outbox::new();
    let config = Config::with_size(3);
    let mut node = RaftNode::boot(&config, NodeId(0), &Disk::new(), 1, Time::ZERO, &mut out)
        .expect("a fresh disk boots");
    node.handle(Time::from_ms(1), append(1, 1, 7, 1), &mut out);
    assert_eq!(node.commit_index(), LogIndex(1));
    out.drain().for_each(drop);
    // A "leader" of term 2 without the committed entry: a broken peer.
    node.handle(Time::from_ms(2), append(2, 2, 9, 0), &mut out);
    assert_eq!(
        node.log().term_at(LogIndex(1)),
        Some(Term(1)),
        "nothing cut"
    );
    let replied = out.outputs().iter().any(|o| {
        matches!(
            o,
            protocol_core::Output::Send {
                msg: RaftMsg::AppendEntriesReply(_),
                ..
            }
        )
    });
    assert!(!replied, "no answer to a broken peer");
    node.check_invariants();
}
