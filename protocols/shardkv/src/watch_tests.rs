//! The shard watch fed by hand: ownership against the controller's configurations, order,
//! deletion after installation, no data kept after deletion, and the quiet-run check.

use super::*;
use crate::state::{GroupOp, Quirks};
use shardctrler::{rebalance, Config, CtrlerOp, Groups};
use ShardStatus::{Absent as A, Confirming as C, Pulling as P, Sending as N, Serving as S};

const G1: GroupId = GroupId(1);
const G2: GroupId = GroupId(2);

fn groups(gids: &[u64]) -> Groups {
    gids.iter()
        .map(|&g| (GroupId(g), vec![NodeId(g as u32)]))
        .collect()
}

/// cfg1: g1 alone; cfg2: g1 and g2 (s0..s4 on g1, s5..s9 on g2).
fn configs() -> (ConfigWatch, Config, Config) {
    let mut watch = ConfigWatch::new();
    let c1 = rebalance::join(&Config::initial(), &groups(&[1]));
    let c2 = rebalance::join(&c1, &groups(&[2]));
    let by = protocol_core::ClientId(1);
    watch
        .on_configured(
            NodeId(0),
            (by, 1),
            &CtrlerOp::Join {
                groups: groups(&[1]),
            },
            &c1,
        )
        .unwrap();
    watch
        .on_configured(
            NodeId(0),
            (by, 2),
            &CtrlerOp::Join {
                groups: groups(&[2]),
            },
            &c2,
        )
        .unwrap();
    (watch, c1, c2)
}

const NOTHING: [bool; NSHARDS] = [false; NSHARDS];

#[test]
fn reports_must_agree_with_the_configurations_and_come_in_order() {
    let (configs, _, _) = configs();
    let mut w = ShardWatch::new();
    w.on_shards(
        NodeId(5),
        G1,
        ConfigNum(0),
        &[A; NSHARDS],
        &NOTHING,
        &configs,
    )
    .unwrap();
    let v = w
        .on_shards(
            NodeId(5),
            G1,
            ConfigNum(2),
            &[S; NSHARDS],
            &NOTHING,
            &configs,
        )
        .unwrap_err();
    assert_eq!(v.check, GROUP_CONFIG_ORDER, "{v}");
    w.on_shards(
        NodeId(5),
        G1,
        ConfigNum(1),
        &[S; NSHARDS],
        &NOTHING,
        &configs,
    )
    .unwrap();
    let sending = [S, S, S, S, S, N, N, N, N, N];
    w.on_shards(NodeId(5), G1, ConfigNum(2), &sending, &NOTHING, &configs)
        .unwrap();
    let v = w
        .on_shards(
            NodeId(6),
            G1,
            ConfigNum(2),
            &[S; NSHARDS],
            &NOTHING,
            &configs,
        )
        .unwrap_err();
    assert_eq!(v.check, SHARD_OWNERSHIP);
    assert!(
        v.message.starts_with("n6 g1 cfg2: s5 Serving"),
        "{}",
        v.message
    );
    let pulling_from_nobody = [A, A, A, A, A, P, P, P, P, P];
    let v = w
        .on_shards(
            NodeId(7),
            G2,
            ConfigNum(1),
            &pulling_from_nobody,
            &NOTHING,
            &configs,
        )
        .unwrap_err();
    assert_eq!(v.check, SHARD_OWNERSHIP, "{v}");
    assert_eq!(
        w.on_shards(
            NodeId(7),
            G2,
            ConfigNum(9),
            &[A; NSHARDS],
            &NOTHING,
            &configs
        )
        .unwrap_err()
        .check,
        GROUP_CONFIG_ORDER
    );
}

#[test]
fn deletion_must_follow_installation_and_leave_nothing_behind() {
    let (configs, _, _) = configs();
    let mut w = ShardWatch::new();
    let sending = [S, S, S, S, S, N, N, N, N, N];
    w.on_shards(
        NodeId(5),
        G1,
        ConfigNum(0),
        &[A; NSHARDS],
        &NOTHING,
        &configs,
    )
    .unwrap();
    w.on_shards(
        NodeId(5),
        G1,
        ConfigNum(1),
        &[S; NSHARDS],
        &NOTHING,
        &configs,
    )
    .unwrap();
    w.on_shards(NodeId(5), G1, ConfigNum(2), &sending, &NOTHING, &configs)
        .unwrap();
    let early = [S, S, S, S, S, A, N, N, N, N];
    let v = w
        .on_shards(NodeId(5), G1, ConfigNum(2), &early, &NOTHING, &configs)
        .unwrap_err();
    assert_eq!(v.check, DELETED_BEFORE_INSTALLED, "{v}");
    w.on_shards(
        NodeId(8),
        G2,
        ConfigNum(0),
        &[A; NSHARDS],
        &NOTHING,
        &configs,
    )
    .unwrap();
    w.on_shards(
        NodeId(8),
        G2,
        ConfigNum(1),
        &[A; NSHARDS],
        &NOTHING,
        &configs,
    )
    .unwrap();
    w.on_shards(
        NodeId(8),
        G2,
        ConfigNum(2),
        &[A, A, A, A, A, C, C, C, C, C],
        &NOTHING,
        &configs,
    )
    .unwrap();
    w.on_shards(
        NodeId(5),
        G1,
        ConfigNum(2),
        &[S, S, S, S, S, A, A, A, A, A],
        &NOTHING,
        &configs,
    )
    .unwrap();
    let mut kept = NOTHING;
    kept[5] = true;
    let v = w
        .on_shards(
            NodeId(6),
            G1,
            ConfigNum(2),
            &[S, S, S, S, S, A, A, A, A, A],
            &kept,
            &configs,
        )
        .unwrap_err();
    assert_eq!(v.check, SHARD_DELETED, "{v}");
    assert!(w.reports() >= 8);
}

#[test]
fn a_quiet_group_is_settled_and_holds_only_what_it_serves() {
    let (_, c1, c2) = configs();
    let mut g1 = GroupState::new(G1);
    let honest = Quirks::default();
    g1.apply(GroupOp::Reconfigure(c1), honest);
    let key = |s: u32| char::from(b'0' + ((s as u8 + 2) % 10)).to_string();
    for s in 0..NSHARDS as u32 {
        let op = kvraft::Op::Put {
            key: key(s),
            value: "v".into(),
        };
        g1.apply(
            GroupOp::Client(crate::msg::Command {
                client: protocol_core::ClientId(3),
                seq: u64::from(s) + 1,
                op,
            }),
            honest,
        );
    }
    assert_eq!(check_quiescent(NodeId(5), &g1), Ok(()));
    g1.apply(GroupOp::Reconfigure(c2), honest);
    let v = check_quiescent(NodeId(5), &g1).unwrap_err();
    assert_eq!(v.check, SHARD_DELETED);
    assert!(
        v.message.contains("n5 g1 cfg2: holds s5 (Sending)"),
        "{}",
        v.message
    );
    g1.apply(
        GroupOp::Delete {
            num: ConfigNum(2),
            shards: (5..10).map(ShardId).collect(),
        },
        honest,
    );
    assert_eq!(check_quiescent(NodeId(5), &g1), Ok(()));
}
