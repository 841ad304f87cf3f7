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

/// A shard watch and the configurations it checks against.
struct Feed {
    watch: ShardWatch,
    configs: ConfigWatch,
}

impl Feed {
    fn new() -> Feed {
        Feed {
            watch: ShardWatch::new(),
            configs: configs().0,
        }
    }

    /// Server `node` of `gid` reports `status` in configuration `num`, holding nothing.
    fn report(
        &mut self,
        node: u32,
        gid: GroupId,
        num: u64,
        status: [ShardStatus; NSHARDS],
    ) -> Result<(), Violation> {
        let (node, num) = (NodeId(node), ConfigNum(num));
        self.watch
            .on_shards(node, gid, num, &status, &NOTHING, &self.configs)
    }

    /// `node` of g1 reports cfg0, cfg1 and cfg2 (sending s5..s9).
    fn g1_steps_to_cfg2(&mut self, node: u32) {
        self.report(node, G1, 0, [A; NSHARDS]).unwrap();
        self.report(node, G1, 1, [S; NSHARDS]).unwrap();
        self.report(node, G1, 2, [S, S, S, S, S, N, N, N, N, N])
            .unwrap();
    }
}

#[test]
fn a_group_steps_through_configurations_in_order() {
    let mut f = Feed::new();
    f.report(5, G1, 0, [A; NSHARDS]).unwrap();
    let v = f.report(5, G1, 2, [S; NSHARDS]).unwrap_err();
    assert_eq!(v.check, GROUP_CONFIG_ORDER, "{v}");
    assert!(
        v.message.starts_with("n5 g1 cfg2: after cfg0"),
        "{}",
        v.message
    );
    f.report(5, G1, 1, [S; NSHARDS]).unwrap();
    f.report(6, G1, 0, [A; NSHARDS])
        .expect("a lagging replica may report an older one");
    assert_eq!(
        f.report(7, G2, 9, [A; NSHARDS]).unwrap_err().check,
        GROUP_CONFIG_ORDER
    );
}

#[test]
fn reports_must_agree_with_the_configurations() {
    let mut f = Feed::new();
    f.g1_steps_to_cfg2(5);
    let v = f.report(6, G1, 2, [S; NSHARDS]).unwrap_err();
    assert_eq!(v.check, SHARD_OWNERSHIP);
    assert!(
        v.message.starts_with("n6 g1 cfg2: s5 Serving"),
        "{}",
        v.message
    );
    let pulling_from_nobody = [A, A, A, A, A, P, P, P, P, P];
    let v = f.report(7, G2, 1, pulling_from_nobody).unwrap_err();
    assert_eq!(v.check, SHARD_OWNERSHIP, "{v}");
}

#[test]
fn deletion_must_follow_installation() {
    let mut f = Feed::new();
    f.g1_steps_to_cfg2(5);
    let early = f
        .report(5, G1, 2, [S, S, S, S, S, A, N, N, N, N])
        .unwrap_err();
    assert_eq!(early.check, DELETED_BEFORE_INSTALLED, "{early}");
    assert!(
        early.message.contains("s5 deleted before g2 installed it"),
        "{}",
        early.message
    );
    let mut f = Feed::new();
    f.g1_steps_to_cfg2(5);
    f.report(8, G2, 0, [A; NSHARDS]).unwrap();
    f.report(8, G2, 1, [A; NSHARDS]).unwrap();
    f.report(8, G2, 2, [A, A, A, A, A, C, C, C, C, C]).unwrap();
    f.report(5, G1, 2, [S, S, S, S, S, A, A, A, A, A])
        .expect("deleted after g2 installed");
    assert!(f.watch.reports() >= 7);
}

#[test]
fn a_handed_over_shard_must_not_be_held() {
    let mut f = Feed::new();
    f.g1_steps_to_cfg2(5);
    let mut kept = NOTHING;
    kept[5] = true;
    let status = [S, S, S, S, S, A, A, A, A, A];
    let v = f
        .watch
        .on_shards(NodeId(6), G1, ConfigNum(2), &status, &kept, &f.configs)
        .unwrap_err();
    assert_eq!(v.check, SHARD_DELETED, "{v}");
    assert!(
        v.message.contains("n6 g1 cfg2: s5 handed over"),
        "{}",
        v.message
    );
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
