//! Three nodes on a perfect network elect one leader and keep it; a lost leader is replaced.

mod common;

use common::Cluster;
use protocol_core::Time;
use raft::Config;

#[test]
fn three_nodes_elect_one_stable_leader() {
    let mut cluster = Cluster::new(Config::with_size(3));
    cluster.run_until(Time::from_secs(1));
    let leader = cluster.leader().expect("a leader within 1 s");
    let term = cluster.node(leader).term();
    assert!(term.0 >= 1);
    for i in 0..3 {
        assert_eq!(cluster.node(i).term(), term, "servers agree on the term");
    }
    cluster.run_until(Time::from_secs(3));
    assert_eq!(
        cluster.leader(),
        Some(leader),
        "no failures, so no new election"
    );
    assert_eq!(cluster.node(leader).term(), term);
}

#[test]
fn a_disconnected_leader_is_replaced_and_steps_down_on_return() {
    let mut cluster = Cluster::new(Config::with_size(3));
    cluster.run_ms(1_000);
    let old = cluster.leader().expect("a leader");
    cluster.connected[old] = false;
    cluster.run_ms(1_000);
    let new = cluster.leader().expect("a new leader");
    assert_ne!(new, old);
    cluster.connected[old] = true;
    cluster.run_ms(1_000);
    assert!(
        !cluster.node(old).is_leader(),
        "the old leader stepped down"
    );
    assert_eq!(cluster.leader(), Some(new));
    assert!(cluster.check.leaders_seen() >= 2);
}

#[test]
fn no_leader_without_a_majority() {
    let mut cluster = Cluster::new(Config::with_size(3));
    cluster.run_ms(1_000);
    let leader = cluster.leader().expect("a leader");
    cluster.connected[leader] = false;
    cluster.connected[(leader + 1) % 3] = false;
    cluster.run_ms(2_000);
    let lone = (leader + 2) % 3;
    assert!(!cluster.node(lone).is_leader());
    cluster.connected[(leader + 1) % 3] = true;
    cluster.run_ms(1_000);
    assert!(cluster.leader().is_some());
}
