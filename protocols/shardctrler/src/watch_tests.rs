//! The watches fed by hand: agreement between replicas, gaps, and the clerk-history checks
//! (fresh Query(-1), queries that match what the replicas created).

use super::*;
use crate::checks::{CONFIG_BALANCED, CONFIG_GAP, CONFIG_SAME_ON_REPLICAS};
use crate::config::Groups;
use crate::rebalance;
use crate::types::{GroupId, ShardId};

fn groups(gids: &[u64]) -> Groups {
    gids.iter()
        .map(|&g| (GroupId(g), vec![NodeId(g as u32)]))
        .collect()
}

fn join(gids: &[u64]) -> CtrlerOp {
    CtrlerOp::Join {
        groups: groups(gids),
    }
}

/// cfg1 = Join{1}, cfg2 = Join{2}, as two replicas report them.
fn two_configs(watch: &mut ConfigWatch) -> (Config, Config) {
    let c1 = rebalance::join(&Config::initial(), &groups(&[1]));
    let c2 = rebalance::join(&c1, &groups(&[2]));
    for node in [NodeId(0), NodeId(1)] {
        watch
            .on_configured(node, (ClientId(1), 1), &join(&[1]), &c1)
            .expect("honest cfg1");
        watch
            .on_configured(node, (ClientId(1), 2), &join(&[2]), &c2)
            .expect("honest cfg2");
    }
    (c1, c2)
}

#[test]
fn replicas_must_agree_and_must_not_skip() {
    let mut watch = ConfigWatch::new();
    let (_, c2) = two_configs(&mut watch);
    assert_eq!(watch.len(), 3);
    assert_eq!(watch.reports(), 4);
    let mut other = c2.clone();
    other.shards.swap(0, 9);
    let v = watch
        .on_configured(NodeId(2), (ClientId(1), 2), &join(&[2]), &other)
        .unwrap_err();
    assert_eq!(v.check, CONFIG_SAME_ON_REPLICAS);
    assert!(v.message.starts_with("n2: cfg2 is"), "{}", v.message);
    let mut ahead = c2.clone();
    ahead.num = ConfigNum(4);
    assert_eq!(
        watch
            .on_configured(NodeId(2), (ClientId(1), 3), &join(&[3]), &ahead)
            .unwrap_err()
            .check,
        CONFIG_GAP
    );
    let mut lopsided = rebalance::join(&c2, &groups(&[3]));
    lopsided.shards = [1, 1, 1, 1, 1, 1, 1, 1, 2, 3].map(GroupId);
    assert_eq!(
        watch
            .on_configured(NodeId(0), (ClientId(1), 3), &join(&[3]), &lopsided)
            .unwrap_err()
            .check,
        CONFIG_BALANCED
    );
}

#[test]
fn a_retried_request_must_not_create_a_second_configuration() {
    let mut watch = ConfigWatch::new();
    let (_, c2) = two_configs(&mut watch);
    let again = rebalance::join(&c2, &groups(&[2]));
    let v = watch
        .on_configured(NodeId(1), (ClientId(1), 2), &join(&[2]), &again)
        .unwrap_err();
    assert_eq!(v.check, CONFIG_ONCE_PER_REQUEST);
    assert!(v.message.contains("c1#2"), "{}", v.message);
}

#[test]
fn a_query_invoked_after_a_change_returned_must_see_it() {
    let mut watch = ConfigWatch::new();
    let (c1, c2) = two_configs(&mut watch);
    let mut history = CtrlerHistory::new();
    let latest = CtrlerOp::Query { num: None };
    history.on_invoked(ClientId(1), 1, &join(&[2])).unwrap();
    history.on_invoked(ClientId(2), 1, &latest).unwrap();
    // Concurrent with the Join: either answer is linearizable.
    history
        .on_returned(ClientId(1), 1, &Answer::Configured(ConfigNum(2)), &watch)
        .unwrap();
    history
        .on_returned(ClientId(2), 1, &Answer::Config(c1.clone()), &watch)
        .unwrap();
    // Invoked after the Join returned: cfg1 is stale.
    history.on_invoked(ClientId(2), 2, &latest).unwrap();
    let v = history
        .on_returned(ClientId(2), 2, &Answer::Config(c1.clone()), &watch)
        .unwrap_err();
    assert_eq!(v.check, QUERY_FRESH);
    assert!(v.message.contains("c2#2"), "{}", v.message);
    history
        .on_invoked(
            ClientId(2),
            3,
            &CtrlerOp::Query {
                num: Some(ConfigNum(1)),
            },
        )
        .unwrap();
    history
        .on_returned(ClientId(2), 3, &Answer::Config(c1.clone()), &watch)
        .expect("a historical query");
    history
        .on_invoked(
            ClientId(2),
            4,
            &CtrlerOp::Query {
                num: Some(ConfigNum(1)),
            },
        )
        .unwrap();
    let v = history
        .on_returned(ClientId(2), 4, &Answer::Config(c2.clone()), &watch)
        .unwrap_err();
    assert_eq!(v.check, QUERY_MATCHES, "asked for 1, got 2");
    assert_eq!(history.queries_checked(), 4);
}

#[test]
fn a_query_must_return_what_the_replicas_created_once() {
    let mut watch = ConfigWatch::new();
    let (_, c2) = two_configs(&mut watch);
    let mut history = CtrlerHistory::new();
    let mut forged = c2.clone();
    forged.shards[ShardId(0).index()] = GroupId(2);
    history
        .on_invoked(ClientId(1), 1, &CtrlerOp::Query { num: None })
        .unwrap();
    let v = history
        .on_returned(ClientId(1), 1, &Answer::Config(forged), &watch)
        .unwrap_err();
    assert_eq!(v.check, QUERY_MATCHES);
    history
        .on_invoked(ClientId(1), 2, &CtrlerOp::Query { num: None })
        .unwrap();
    history
        .on_returned(ClientId(1), 2, &Answer::Config(c2.clone()), &watch)
        .unwrap();
    let twice = history
        .on_returned(ClientId(1), 2, &Answer::Config(c2), &watch)
        .unwrap_err();
    assert_eq!(twice.check, CLERK_HISTORY);
    assert_eq!(
        history
            .on_invoked(ClientId(1), 2, &join(&[3]))
            .unwrap_err()
            .check,
        CLERK_HISTORY
    );
}
