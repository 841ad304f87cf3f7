//! Snapshots bound the raft state; lagging and restarted nodes catch up through them.

// Node indexes address several parallel arrays (up, connected, disks), so loops use them.
#![allow(clippy::needless_range_loop)]

mod common;

use common::Cluster;
use raft::{Config, RaftEvent, RAFT_STATE_FILE};

/// `one` needing a majority, with course-style retries.
fn one(cluster: &mut Cluster, command: u8) -> u64 {
    let majority = cluster.config.majority();
    cluster.one(vec![command], majority)
}

fn snapshotting_cluster() -> Cluster {
    let mut cluster = Cluster::new(Config::with_size(3));
    cluster.snapshot_every = Some(10);
    cluster.run_ms(1_000);
    cluster
}

fn max_raft_state(cluster: &Cluster) -> usize {
    cluster
        .disks
        .iter()
        .map(|d| d.size_of(RAFT_STATE_FILE))
        .max()
        .unwrap_or(0)
}

/// snapcommon's shape: each round a victim misses 5-14 commands, then must catch up.
fn snapcommon(crash: bool) {
    let mut cluster = snapshotting_cluster();
    let mut expected: Vec<Vec<u8>> = Vec::new();
    let mut command = 0u8;
    let mut next = |expected: &mut Vec<Vec<u8>>| {
        command = command.wrapping_add(1);
        expected.push(vec![command]);
        command
    };
    let c = next(&mut expected);
    one(&mut cluster, c);
    for round in 0..12 {
        let leader = cluster.leader().expect("a leader");
        let victim = if round % 3 == 1 {
            leader
        } else {
            (leader + 1) % 3
        };
        if crash {
            cluster.crash(victim)
        } else {
            cluster.connected[victim] = false
        }
        for _ in 0..(5 + round) {
            let c = next(&mut expected);
            one(&mut cluster, c);
        }
        assert!(
            max_raft_state(&cluster) < 2_000,
            "raft state {} bytes",
            max_raft_state(&cluster)
        );
        if crash {
            cluster.restart(victim)
        } else {
            cluster.connected[victim] = true
        }
        let c = next(&mut expected);
        one(&mut cluster, c);
        cluster.run_ms(2_000);
        let leader = cluster.leader().expect("a leader");
        let view = cluster.applied_commands(leader);
        assert_eq!(
            cluster.applied_commands(victim),
            view,
            "round {round}: victim n{victim} caught up"
        );
        // `one` may retry, so a command can commit twice; none is lost or reordered.
        let mut seen = view.clone();
        seen.dedup();
        assert_eq!(seen, expected, "round {round}");
    }
    let installs = (0..3)
        .flat_map(|i| &cluster.applied[i])
        .filter(|e| matches!(e, RaftEvent::Snapshot { .. }))
        .count();
    assert!(installs > 0, "some node caught up through a snapshot");
}

#[test]
fn snapshot_install_after_disconnect() {
    snapcommon(false);
}

#[test]
fn snapshot_install_after_crash() {
    snapcommon(true);
}

#[test]
fn all_crash_resumes_from_snapshot_and_index_never_decreases() {
    let mut cluster = snapshotting_cluster();
    let mut last = 0;
    for round in 0..4u8 {
        for c in 0..12u8 {
            last = one(&mut cluster, round * 20 + c);
        }
        for i in 0..3 {
            cluster.restart(i);
        }
        for i in 0..3 {
            assert!(
                matches!(cluster.applied[i].last(), Some(RaftEvent::Snapshot { .. })),
                "node {i} restored first"
            );
        }
        cluster.run_ms(1_000);
        let index = one(&mut cluster, 200 + round);
        assert!(index > last, "index decreased: {index} after {last}");
        last = index;
    }
}
