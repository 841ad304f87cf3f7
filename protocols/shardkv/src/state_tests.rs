//! A group's state machine by hand: stepping through configurations one at a time, pulling,
//! installing with duplicate tables, deleting, confirming, rejecting keys it does not serve,
//! serving untouched and arrived shards during a change, and snapshots.

use super::*;
use crate::msg::Command;
use protocol_core::{ClientId, NodeId};

const G1: GroupId = GroupId(1);
const G2: GroupId = GroupId(2);
const HONEST: Quirks = Quirks {
    serve_unowned_gets: false,
    serve_pulling_gets: false,
    serve_only_when_settled: false,
    accept_any_newer_config: false,
    drop_dup_tables: false,
    keep_deleted_data: false,
    no_duplicate_detection: false,
};

/// Configuration `num` with `shards` as group ids (both groups in play).
fn config(num: u64, shards: [u64; NSHARDS]) -> Config {
    let mut groups = shardctrler::Groups::new();
    for gid in shards.iter().filter(|&&g| g != 0) {
        groups.insert(GroupId(*gid), vec![NodeId(*gid as u32 * 10)]);
    }
    Config {
        num: ConfigNum(num),
        shards: shards.map(GroupId),
        groups,
    }
}

/// A key of shard `s` ('2' is shard 0, '3' shard 1, ...).
fn key(s: u32) -> String {
    char::from(b'0' + ((s as u8 + 2) % 10)).to_string()
}

fn client(client: u64, seq: u64, op: Op) -> GroupOp {
    GroupOp::Client(Command {
        client: ClientId(client),
        seq,
        op,
    })
}

fn put(s: u32, value: &str) -> Op {
    Op::Put {
        key: key(s),
        value: value.into(),
    }
}

fn get(s: u32) -> Op {
    Op::Get { key: key(s) }
}

fn ok(value: &str) -> Applied {
    Applied::Client(Outcome::Ok {
        value: value.into(),
    })
}

fn apply(state: &mut GroupState, op: GroupOp) -> Applied {
    let applied = state.apply(op, HONEST);
    state.check_invariants(NodeId(0), HONEST);
    applied
}

/// Group 1 alone in cfg1, then sharing with group 2 in cfg2 (shards 5..9 move to g2).
fn g1_after_two_configs() -> GroupState {
    let mut g1 = GroupState::new(G1);
    assert_eq!(
        apply(&mut g1, GroupOp::Reconfigure(config(1, [1; NSHARDS]))),
        Applied::Changed(true)
    );
    assert!(g1.is_settled(), "n0 g1 cfg1: fresh shards need no pull");
    for s in 0..NSHARDS as u32 {
        assert_eq!(
            apply(&mut g1, client(7, u64::from(s) + 1, put(s, "v"))),
            ok(""),
            "n0 g1 cfg1 s{s}"
        );
    }
    assert_eq!(
        apply(
            &mut g1,
            GroupOp::Reconfigure(config(2, [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]))
        ),
        Applied::Changed(true)
    );
    g1
}

#[test]
fn a_group_sends_what_it_loses_and_rejects_its_keys_but_serves_the_rest() {
    let mut g1 = g1_after_two_configs();
    assert_eq!(
        g1.shard(ShardId(7)).status,
        ShardStatus::Sending,
        "n0 g1 cfg2 s7"
    );
    assert_eq!(
        apply(&mut g1, client(8, 1, get(7))),
        Applied::Client(Outcome::WrongGroup),
        "n0 g1 cfg2 s7: handed over"
    );
    assert_eq!(
        apply(&mut g1, client(8, 2, get(2))),
        ok("v"),
        "n0 g1 cfg2 s2: untouched, still served"
    );
    assert_eq!(
        g1.answer_pull(ConfigNum(3), &[ShardId(7)]),
        Some(PullAnswer::NotReady)
    );
    let Some(PullAnswer::Shards(sent)) = g1.answer_pull(ConfigNum(2), &[ShardId(7), ShardId(2)])
    else {
        panic!("n0 g1 cfg2: s7 is sent")
    };
    assert_eq!(sent.len(), 1, "n0 g1 cfg2: only s7 is Sending");
    assert_eq!(
        sent[0].1.last_seq.get(&ClientId(7)),
        Some(&8),
        "n0 g1 cfg2 s7: the duplicate table travels"
    );
    let next = GroupOp::Reconfigure(config(3, [1, 1, 1, 1, 1, 2, 2, 2, 2, 1]));
    assert_eq!(
        apply(&mut g1, next.clone()),
        Applied::Changed(false),
        "n0 g1 cfg2: not settled, cfg3 waits"
    );
    let five: Vec<ShardId> = (5..10).map(ShardId).collect();
    assert!(!g1.has_deleted(ConfigNum(2), &five));
    apply(
        &mut g1,
        GroupOp::Delete {
            num: ConfigNum(2),
            shards: five.clone(),
        },
    );
    assert!(g1.has_deleted(ConfigNum(2), &five), "n0 g1 cfg2: deleted");
    assert_eq!(g1.held().len(), 5, "n0 g1 cfg2: holds s0..s4 only");
    assert_eq!(
        g1.answer_pull(ConfigNum(2), &five),
        None,
        "n0 g1 cfg2: nothing left to send"
    );
    assert_eq!(
        apply(&mut g1, next),
        Applied::Changed(true),
        "n0 g1 cfg3: settled, steps on"
    );
    assert_eq!(
        g1.pulls_needed(),
        BTreeMap::from([(G2, vec![ShardId(9)])]),
        "n0 g1 cfg3: s9 comes back from g2"
    );
}

/// Group 2 in cfg2, pulling s5..s9 from group 1, with s5 and s6 installed.
fn g2_with_two_arrived() -> GroupState {
    let g1 = g1_after_two_configs();
    let Some(PullAnswer::Shards(sent)) = g1.answer_pull(ConfigNum(2), &[ShardId(5), ShardId(6)])
    else {
        panic!("n0 g1 cfg2: s5 and s6 are sent")
    };
    let mut g2 = GroupState::new(G2);
    apply(&mut g2, GroupOp::Reconfigure(config(1, [1; NSHARDS])));
    let c2 = config(2, [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    apply(&mut g2, GroupOp::Reconfigure(c2));
    let pulls = BTreeMap::from([(G1, (5..10).map(ShardId).collect())]);
    assert_eq!(g2.pulls_needed(), pulls, "n0 g2 cfg2");
    let not_yet = apply(&mut g2, client(8, 1, get(5)));
    assert_eq!(
        not_yet,
        Applied::Client(Outcome::WrongGroup),
        "n0 g2 cfg2 s5: not arrived"
    );
    let install = GroupOp::Install {
        num: ConfigNum(2),
        from: G1,
        shards: sent,
    };
    assert_eq!(
        apply(&mut g2, install.clone()),
        Applied::Changed(true),
        "n0 g2 cfg2"
    );
    let again = apply(&mut g2, install);
    assert_eq!(
        again,
        Applied::Changed(false),
        "n0 g2 cfg2: a second install is ignored"
    );
    g2
}

#[test]
fn a_group_serves_arrived_shards_with_their_duplicate_tables() {
    let mut g2 = g2_with_two_arrived();
    let arrived = apply(&mut g2, client(8, 2, get(5)));
    assert_eq!(
        arrived,
        ok("v"),
        "n0 g2 cfg2 s5: served on arrival (challenge 2)"
    );
    let retry = apply(&mut g2, client(7, 6, put(5, "again")));
    assert_eq!(retry, ok(""), "n0 g2 cfg2 s5: c7#6 was applied at g1");
    let read = apply(&mut g2, client(9, 3, get(5)));
    assert_eq!(
        read,
        ok("v"),
        "n0 g2 cfg2 s5: the retry did not apply twice"
    );
    let pulling = apply(&mut g2, client(8, 4, get(7)));
    assert_eq!(
        pulling,
        Applied::Client(Outcome::WrongGroup),
        "n0 g2 cfg2 s7: still pulling"
    );
}

#[test]
fn a_group_installs_only_from_the_old_owner_and_confirms_deletions() {
    let mut g2 = g2_with_two_arrived();
    let confirms = BTreeMap::from([(G1, vec![ShardId(5), ShardId(6)])]);
    assert_eq!(g2.confirms_needed(), confirms, "n0 g2 cfg2");
    let shards = vec![(ShardId(7), ShardData::default())];
    let wrong = GroupOp::Install {
        num: ConfigNum(2),
        from: GroupId(3),
        shards,
    };
    assert_eq!(
        apply(&mut g2, wrong),
        Applied::Changed(false),
        "n0 g2 cfg2 s7: only from g1"
    );
    let confirmed = GroupOp::Confirmed {
        num: ConfigNum(2),
        shards: vec![ShardId(5), ShardId(6)],
    };
    apply(&mut g2, confirmed);
    assert_eq!(
        g2.shard(ShardId(5)).status,
        ShardStatus::Serving,
        "n0 g2 cfg2 s5"
    );
    assert!(!g2.is_settled(), "n0 g2 cfg2: s7..s9 still to come");
}

#[test]
fn configurations_apply_once_and_in_order_unless_a_mutant_skips() {
    let mut g = GroupState::new(G1);
    let c2 = config(2, [1; NSHARDS]);
    assert_eq!(
        apply(&mut g, GroupOp::Reconfigure(c2.clone())),
        Applied::Changed(false),
        "n0 g1 cfg0: cfg2 is not next"
    );
    apply(&mut g, GroupOp::Reconfigure(config(1, [1; NSHARDS])));
    assert_eq!(
        apply(&mut g, GroupOp::Reconfigure(config(1, [1; NSHARDS]))),
        Applied::Changed(false),
        "n0 g1 cfg1: again"
    );
    let skipping = Quirks {
        accept_any_newer_config: true,
        ..HONEST
    };
    let mut m = GroupState::new(G1);
    assert_eq!(
        m.apply(GroupOp::Reconfigure(c2), skipping),
        Applied::Changed(true),
        "n0 g1: the mutant jumps to cfg2"
    );
}

#[test]
fn the_state_mutants_do_what_they_say() {
    let mut g1 = g1_after_two_configs();
    let unowned = Quirks {
        serve_unowned_gets: true,
        ..HONEST
    };
    assert_eq!(
        g1.apply(client(8, 1, get(7)), unowned),
        ok("v"),
        "n0 g1 cfg2 s7: a stale read"
    );
    let keep = Quirks {
        keep_deleted_data: true,
        ..HONEST
    };
    g1.apply(
        GroupOp::Delete {
            num: ConfigNum(2),
            shards: vec![ShardId(7)],
        },
        keep,
    );
    assert!(
        g1.held().contains(&(ShardId(7), ShardStatus::Absent)),
        "n0 g1 cfg2 s7: kept after deletion"
    );
    let Some(PullAnswer::Shards(sent)) = g1.answer_pull(ConfigNum(2), &[ShardId(5)]) else {
        panic!("sent")
    };
    let mut g2 = GroupState::new(G2);
    let drop = Quirks {
        drop_dup_tables: true,
        ..HONEST
    };
    g2.apply(GroupOp::Reconfigure(config(1, [1; NSHARDS])), drop);
    g2.apply(
        GroupOp::Reconfigure(config(2, [1, 1, 1, 1, 1, 2, 2, 2, 2, 2])),
        drop,
    );
    g2.apply(
        GroupOp::Install {
            num: ConfigNum(2),
            from: G1,
            shards: sent,
        },
        drop,
    );
    assert!(
        g2.shard(ShardId(5)).data.last_seq.is_empty(),
        "n0 g2 cfg2 s5: arrived without its duplicate table"
    );
    let pulling = Quirks {
        serve_pulling_gets: true,
        ..HONEST
    };
    assert_eq!(
        g2.apply(client(8, 2, get(6)), pulling),
        ok(""),
        "n0 g2 cfg2 s6: read before it arrived"
    );
    let settled_only = Quirks {
        serve_only_when_settled: true,
        ..HONEST
    };
    assert_eq!(
        g2.apply(client(8, 3, get(5)), settled_only),
        Applied::Client(Outcome::WrongGroup),
        "n0 g2 cfg2 s5: held back"
    );
}

#[test]
fn snapshots_round_trip_and_bad_bytes_say_why() {
    let g1 = g1_after_two_configs();
    assert_eq!(GroupState::decode(&g1.encode(), G1), Ok(g1.clone()));
    assert_eq!(
        GroupState::decode(&g1.encode(), G2),
        Err("a snapshot of g1 on a server of g2".into())
    );
    let mut long = g1.encode();
    long.push(0);
    assert!(GroupState::decode(&long, G1).is_err());
    assert!(GroupState::decode(&[0xff; 5], G1).is_err());
}
