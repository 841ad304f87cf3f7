//! The state machine by hand: every operation, duplicates, stale retries, invalid operations,
//! queries past the latest, the rebalancing mutants, and snapshots.

use super::*;
use crate::checks::{check_change, CONFIG_MINIMAL};
use crate::config::Groups;
use crate::types::{ShardId, NSHARDS};
use protocol_core::NodeId;

fn command(client: u64, seq: u64, op: CtrlerOp) -> Command {
    Command {
        client: ClientId(client),
        seq,
        op,
    }
}

fn join(gids: &[u64]) -> CtrlerOp {
    CtrlerOp::Join {
        groups: gids
            .iter()
            .map(|&g| (GroupId(g), vec![NodeId(g as u32)]))
            .collect(),
    }
}

fn query(num: Option<u64>) -> CtrlerOp {
    CtrlerOp::Query {
        num: num.map(ConfigNum),
    }
}

fn apply(state: &mut CtrlerState, client: u64, seq: u64, op: CtrlerOp) -> Answer {
    state.apply(&command(client, seq, op), Rebalancer::Minimal, true)
}

#[test]
fn operations_number_configurations_and_queries_read_them() {
    let mut s = CtrlerState::default();
    assert_eq!(
        apply(&mut s, 1, 1, query(None)),
        Answer::Config(Config::initial()),
        "cfg0 before anything"
    );
    assert_eq!(
        apply(&mut s, 1, 2, join(&[1, 2])),
        Answer::Configured(ConfigNum(1))
    );
    assert_eq!(
        apply(
            &mut s,
            1,
            3,
            CtrlerOp::Move {
                shard: ShardId(0),
                gid: GroupId(2)
            }
        ),
        Answer::Configured(ConfigNum(2))
    );
    let leave = CtrlerOp::Leave {
        gids: [GroupId(1)].into(),
    };
    assert_eq!(apply(&mut s, 1, 4, leave), Answer::Configured(ConfigNum(3)));
    let Answer::Config(c1) = apply(&mut s, 2, 1, query(Some(1))) else {
        panic!("a query reads a config")
    };
    assert_eq!(c1.num, ConfigNum(1));
    assert_eq!(c1.shard_counts().len(), 2, "cfg1 has both groups");
    for past in [Some(3), Some(4), Some(1_000), None] {
        let Answer::Config(latest) = apply(&mut s, 2, 2, query(past)) else {
            panic!("a query reads a config")
        };
        assert_eq!(latest.num, ConfigNum(3), "Query({past:?}) reads the latest");
        assert_eq!(latest.shards, [GroupId(2); NSHARDS], "cfg3: g2 alone");
    }
    assert_eq!(s.configs().len(), 4);
}

#[test]
fn a_retry_is_answered_as_the_first_time_and_applies_once() {
    let mut s = CtrlerState::default();
    assert_eq!(
        apply(&mut s, 1, 1, join(&[1])),
        Answer::Configured(ConfigNum(1))
    );
    assert_eq!(
        apply(&mut s, 1, 1, join(&[1])),
        Answer::Configured(ConfigNum(1)),
        "the retry's answer"
    );
    assert_eq!(s.latest().num, ConfigNum(1), "applied once");
    assert!(
        matches!(apply(&mut s, 1, 0, join(&[5])), Answer::Rejected(_)),
        "a straggler older than the last"
    );
    assert_eq!(s.latest().num, ConfigNum(1));
    let twice = s.apply(&command(1, 1, join(&[1])), Rebalancer::Minimal, false);
    assert_eq!(
        twice,
        Answer::Configured(ConfigNum(2)),
        "without detection, a retry applies again"
    );
}

#[test]
fn invalid_operations_are_rejected_and_change_nothing() {
    let mut s = CtrlerState::default();
    let bad = [
        join(&[0]),
        CtrlerOp::Join {
            groups: [(GroupId(3), Vec::new())].into(),
        },
        CtrlerOp::Join {
            groups: Groups::new(),
        },
        CtrlerOp::Leave {
            gids: BTreeSet::new(),
        },
        CtrlerOp::Move {
            shard: ShardId(0),
            gid: GroupId(9),
        },
        CtrlerOp::Move {
            shard: ShardId(10),
            gid: GroupId(9),
        },
    ];
    for (seq, op) in bad.into_iter().enumerate() {
        let answer = apply(&mut s, 1, seq as u64 + 1, op.clone());
        assert!(matches!(answer, Answer::Rejected(_)), "{op:?}: {answer:?}");
        assert_eq!(
            s.latest().num,
            ConfigNum(0),
            "{op:?} created a configuration"
        );
    }
}

#[test]
fn the_rebalancing_mutants_break_what_their_checks_look_at() {
    // From scratch: balanced, but a third group's join moves far more than it needs.
    let mut s = CtrlerState::default();
    apply(&mut s, 1, 1, join(&[1, 2]));
    let prev = s.latest().clone();
    s.apply(&command(1, 2, join(&[3])), Rebalancer::FromScratch, true);
    let v = check_change(NodeId(0), &prev, &join(&[3]), s.latest()).unwrap_err();
    assert_eq!(v.check, CONFIG_MINIMAL, "{v}");
    // Local order: each replica minimal, but two replicas of one log disagree for some seed.
    let differs = (0..20).any(|seed| {
        let mut configs = (0..2).map(|replica| {
            let mut rng = protocol_core::rng::rng_from_seed(seed * 2 + replica);
            let mut s = CtrlerState::default();
            for (seq, gids) in [[1u64, 2], [3, 4], [5, 6]].iter().enumerate() {
                s.apply(
                    &command(1, seq as u64 + 1, join(gids)),
                    Rebalancer::LocalOrder(&mut rng),
                    true,
                );
            }
            s.latest().clone()
        });
        configs.next() != configs.next()
    });
    assert!(
        differs,
        "local-order rebalancing never made two replicas differ"
    );
}

#[test]
fn snapshots_round_trip_and_bad_bytes_say_why() {
    let mut s = CtrlerState::default();
    apply(&mut s, 1, 1, join(&[1, 2]));
    apply(&mut s, 4, 7, join(&[3]));
    let decoded = CtrlerState::decode(&s.encode()).expect("our own encoding decodes");
    assert_eq!(decoded, s);
    assert_eq!(
        decoded.last_seq(ClientId(4)),
        Some(7),
        "the duplicate table travels too"
    );
    assert!(CtrlerState::decode(&[0xff; 6]).is_err());
    let mut long = s.encode();
    long.push(0);
    assert_eq!(
        CtrlerState::decode(&long),
        Err("1 trailing bytes after the state".into())
    );
    let mut misnumbered = s.clone();
    misnumbered.configs[2].num = ConfigNum(5);
    assert_eq!(
        CtrlerState::decode(&misnumbered.encode()),
        Err("configuration at 2 is numbered cfg5".into())
    );
}
