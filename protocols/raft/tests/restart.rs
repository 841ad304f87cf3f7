//! Restarts rebuild nodes from their disks alone; crashes of leaders keep the log safe.

// Node indexes address several parallel arrays (up, connected, disks), so loops use them.
#![allow(clippy::needless_range_loop)]

mod common;

use common::Cluster;
use protocol_core::rng;
use raft::Config;

/// `one` needing a majority, with course-style retries.
fn one(cluster: &mut Cluster, command: u8) -> u64 {
    let majority = cluster.config.majority();
    cluster.one(vec![command], majority)
}

#[test]
fn full_restart_keeps_the_log() {
    let mut cluster = Cluster::new(Config::with_size(3));
    cluster.run_ms(1_000);
    one(&mut cluster, 11);
    for i in 0..3 {
        cluster.restart(i);
    }
    cluster.run_ms(1_000);
    assert_eq!(one(&mut cluster, 12), 2);
    for i in 0..3 {
        assert_eq!(cluster.node(i).log().last_index().0, 2, "node {i}");
    }
}

#[test]
fn a_restarted_follower_catches_up() {
    let mut cluster = Cluster::new(Config::with_size(3));
    cluster.run_ms(1_000);
    one(&mut cluster, 1);
    let follower = (cluster.leader().unwrap() + 1) % 3;
    cluster.crash(follower);
    for c in 2..10u8 {
        one(&mut cluster, c);
    }
    cluster.restart(follower);
    cluster.run_ms(1_000);
    assert_eq!(cluster.applied_commands(follower).len(), 9);
    assert!(
        cluster.applied[follower].len() >= 10,
        "re-applies from index 1 after a restart"
    );
}

#[test]
fn figure_8_style_leader_crashes_stay_safe() {
    // TestFigure82C's shape, with the cluster checker run after every step.
    let mut cluster = Cluster::new(Config::with_size(5));
    let mut rng = rng::rng_from_seed(8);
    let mut up = [true; 5];
    cluster.run_ms(1_000);
    for iter in 0..200u32 {
        let mut leader = None;
        for i in 0..5 {
            if up[i] && cluster.start(i, iter.to_le_bytes().to_vec()).is_some() {
                leader = Some(i);
            }
        }
        let ms = if rng::range_inclusive(&mut rng, 0, 9) == 0 {
            rng::range_inclusive(&mut rng, 0, 499)
        } else {
            rng::range_inclusive(&mut rng, 0, 12)
        };
        cluster.run_ms(ms);
        if let Some(l) = leader {
            cluster.crash(l);
            up[l] = false;
        }
        if up.iter().filter(|&&u| u).count() < 3 {
            let pick = rng::index(&mut rng, 5);
            if !up[pick] {
                cluster.restart(pick);
                up[pick] = true;
            }
        }
    }
    for i in 0..5 {
        if !up[i] {
            cluster.restart(i);
        }
    }
    cluster.run_ms(2_000);
    let index = one(&mut cluster, 250);
    for i in 0..5 {
        assert!(cluster.node(i).commit_index().0 >= index, "node {i}");
    }
}
