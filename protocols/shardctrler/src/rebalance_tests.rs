//! The rebalancer against the independent checks: the course's sequences by hand, then many
//! seeded random Join/Leave/Move sequences, balanced, minimal counted against the groups in
//! play, and independent of the order a set was given in.

use super::*;
use crate::checks::{check_change, min_moves, moved_shards};
use crate::msg::CtrlerOp;
use crate::types::ConfigNum;
use protocol_core::rng::{self, Rng};
use protocol_core::NodeId;

fn groups(gids: &[u64]) -> Groups {
    gids.iter()
        .map(|&g| (GroupId(g), vec![NodeId(g as u32), NodeId(g as u32 + 100)]))
        .collect()
}

fn set(gids: &[u64]) -> BTreeSet<GroupId> {
    gids.iter().map(|&g| GroupId(g)).collect()
}

/// Applies `op` as the controller does, and checks the result with the independent checks.
fn apply(prev: &Config, op: &CtrlerOp) -> Config {
    let next = match op {
        CtrlerOp::Join { groups } => join(prev, groups),
        CtrlerOp::Leave { gids } => leave(prev, gids),
        CtrlerOp::Move { shard, gid } => move_shard(prev, *shard, *gid),
        CtrlerOp::Query { .. } => unreachable!("the tests apply no queries"),
    };
    if let Err(v) = check_change(NodeId(0), prev, op, &next) {
        panic!("{v}");
    }
    next
}

fn join_op(gids: &[u64]) -> CtrlerOp {
    CtrlerOp::Join {
        groups: groups(gids),
    }
}

fn leave_op(gids: &[u64]) -> CtrlerOp {
    CtrlerOp::Leave { gids: set(gids) }
}

#[test]
fn the_course_sequence_moves_only_to_joiners_and_from_leavers() {
    let c1 = apply(&Config::initial(), &join_op(&[1]));
    assert_eq!(
        c1.shards,
        [GroupId(1); NSHARDS],
        "cfg1: the first group takes everything"
    );
    let c2 = apply(&c1, &join_op(&[2]));
    assert_eq!(
        c2.shard_counts().values().copied().collect::<Vec<_>>(),
        vec![5, 5],
        "cfg2"
    );
    let c3 = apply(&c2, &join_op(&[3]));
    let moved = moved_shards(&c2, &c3);
    assert_eq!(
        moved.len(),
        3,
        "cfg3: 4/3/3 from 5/5 moves three (TestMinimalAgain allows four)"
    );
    assert!(
        moved.iter().all(|&s| c3.owner(s) == GroupId(3)),
        "cfg3: only shards going to g3 move: {c3:?}"
    );
    let c4 = apply(&c3, &leave_op(&[1]));
    let moved = moved_shards(&c3, &c4);
    assert!(
        moved.iter().all(|&s| c3.owner(s) == GroupId(1)),
        "cfg4: only g1's shards move: {c4:?}"
    );
    assert_eq!(moved.len(), c3.shards_of(GroupId(1)).len(), "cfg4");
    let c5 = apply(&c4, &leave_op(&[2, 3]));
    assert_eq!(
        c5.shards,
        [GroupId::NONE; NSHARDS],
        "cfg5: no groups, nothing assigned"
    );
    let c6 = apply(&c5, &join_op(&[1]));
    assert_eq!(c6.shards, [GroupId(1); NSHARDS], "cfg6: g1 joins again");
}

#[test]
fn more_groups_than_shards_leaves_some_empty_and_a_leave_fills_from_them() {
    let eleven: Vec<u64> = (1..=11).collect();
    let c1 = apply(&Config::initial(), &join_op(&eleven));
    let counts = c1.shard_counts();
    assert_eq!(
        counts.values().filter(|&&n| n == 1).count(),
        10,
        "cfg1: {c1:?}"
    );
    let idle = *counts
        .iter()
        .find(|(_, &n)| n == 0)
        .expect("one group idles")
        .0;
    let busy = c1.owner(ShardId(4));
    let c2 = apply(
        &c1,
        &CtrlerOp::Leave {
            gids: BTreeSet::from([busy]),
        },
    );
    assert_eq!(
        moved_shards(&c1, &c2),
        vec![ShardId(4)],
        "cfg2: only the leaver's shard moves"
    );
    assert_eq!(
        c2.owner(ShardId(4)),
        idle,
        "cfg2: s4 goes to the idle group"
    );
}

#[test]
fn a_move_unbalances_and_the_next_join_rebalances_minimally() {
    let c1 = apply(&Config::initial(), &join_op(&[1, 2]));
    let mut c = c1.clone();
    for s in 0..4 {
        c = apply(
            &c,
            &CtrlerOp::Move {
                shard: ShardId(s),
                gid: GroupId(2),
            },
        );
    }
    assert!(!c.is_balanced(), "{}: moves made it lopsided: {c:?}", c.num);
    let next = apply(&c, &join_op(&[3]));
    assert!(next.is_balanced(), "{}", next.num);
}

#[test]
fn a_balanced_configuration_is_a_fixed_point() {
    let c = apply(
        &apply(&Config::initial(), &join_op(&[4, 9, 2])),
        &join_op(&[7]),
    );
    let in_play: BTreeSet<GroupId> = c.groups.keys().copied().collect();
    assert_eq!(rebalance(&c.shards, &in_play), c.shards, "{}", c.num);
    assert_eq!(min_moves(&c.shards, &in_play), 0, "{}", c.num);
}

/// One random Join, Leave or Move against `prev`, over group ids 1..=12.
fn random_op(rng: &mut Rng, prev: &Config) -> CtrlerOp {
    let in_play: Vec<GroupId> = prev.groups.keys().copied().collect();
    let some_gids = |rng: &mut Rng| -> Vec<u64> {
        let n = rng::range_inclusive(rng, 1, 3);
        (0..n).map(|_| rng::range_inclusive(rng, 1, 12)).collect()
    };
    match rng::range_inclusive(rng, 0, 9) {
        0..=4 => join_op(&some_gids(rng)),
        5..=7 if !in_play.is_empty() => {
            // Mostly groups in play, sometimes one that is not (ignored).
            let mut gids: Vec<u64> = some_gids(rng);
            gids[0] = in_play[rng::index(rng, in_play.len())].0;
            leave_op(&gids)
        }
        8 | 9 if !in_play.is_empty() => CtrlerOp::Move {
            shard: ShardId(rng::range_inclusive(rng, 0, NSHARDS as u64 - 1) as u32),
            gid: in_play[rng::index(rng, in_play.len())],
        },
        _ => join_op(&some_gids(rng)),
    }
}

/// After a Join or Leave from a balanced configuration: only shards that go to a joiner, or
/// that were on a leaver (or unassigned), move.
fn check_only_forced_moves(prev: &Config, op: &CtrlerOp, next: &Config, seed: u64) {
    for s in moved_shards(prev, next) {
        let (from, to) = (prev.owner(s), next.owner(s));
        let forced = match op {
            CtrlerOp::Join { groups } => groups.contains_key(&to) && !prev.groups.contains_key(&to),
            CtrlerOp::Leave { .. } => from.is_none() || !next.groups.contains_key(&from),
            CtrlerOp::Move { .. } | CtrlerOp::Query { .. } => true,
        };
        assert!(
            forced,
            "seed {seed}: {} after {op:?}: {s} moved {from}->{to}, was {prev:?}",
            next.num
        );
    }
}

#[test]
fn random_sequences_stay_valid_balanced_and_minimal() {
    let mut checked = 0;
    for seed in 0..400 {
        let mut rng = rng::rng_from_seed(seed);
        let mut config = Config::initial();
        for _ in 0..30 {
            let op = random_op(&mut rng, &config);
            let next = apply(&config, &op);
            let joined_new = matches!(&op, CtrlerOp::Join { groups } if groups.keys().any(|g| !config.groups.contains_key(g)));
            if config.is_balanced()
                && !config.groups.is_empty()
                && (joined_new || matches!(op, CtrlerOp::Leave { .. }))
            {
                check_only_forced_moves(&config, &op, &next, seed);
                checked += 1;
            }
            config = next;
        }
    }
    assert!(
        checked > 2_000,
        "only {checked} joins and leaves from balanced configurations"
    );
}

#[test]
fn the_result_depends_on_the_set_not_on_the_order_given_or_who_computes_it() {
    for seed in 0..200 {
        let mut rng = rng::rng_from_seed(seed);
        let mut config = Config::initial();
        for _ in 0..10 {
            config = apply(&config, &random_op(&mut rng, &config));
        }
        let mut gids: Vec<u64> = (1..=14).collect();
        rng::shuffle(&mut rng, &mut gids);
        let joiners = &gids[..rng::range_inclusive(&mut rng, 1, 5) as usize];
        // Insert in the shuffled order and in reverse: a map forgets the order.
        let forward: Groups = joiners
            .iter()
            .map(|&g| (GroupId(g), vec![NodeId(g as u32)]))
            .collect();
        let backward: Groups = joiners
            .iter()
            .rev()
            .map(|&g| (GroupId(g), vec![NodeId(g as u32)]))
            .collect();
        let a = join(&config, &forward);
        assert_eq!(
            a,
            join(&config, &backward),
            "seed {seed}: {} after joining {joiners:?}",
            a.num
        );
        // Only the assignment and the set of groups matter: not the number, not the servers.
        let mut other = config.clone();
        other.num = ConfigNum(999);
        for servers in other.groups.values_mut() {
            servers.push(NodeId(77));
        }
        assert_eq!(
            join(&other, &forward).shards,
            a.shards,
            "seed {seed}: {}",
            a.num
        );
    }
}
