//! The rebalancer: a pure function from (previous assignment, groups in play) to the next.
//!
//! With `k` groups in play every group gets `NSHARDS / k` shards and `NSHARDS % k` of them
//! one more (balanced: counts differ by at most one). Which groups get one more decides how
//! many shards must move: a group that gets `t` shards and held `h` must receive
//! `max(0, t - h)`, so the extra shards go to the groups that hold the most (ties to the lower
//! group id). Each group then keeps `min(h, t)` of its shards (its lowest-numbered ones),
//! and only the rest move: the shards of groups that left, unassigned shards, and the excess
//! of groups above their target. Those go, lowest shard first, to the groups below target,
//! in rank order. Every shard that moves therefore lands in a group that needed it, which is
//! the least any balanced assignment can move (`checks::min_moves` computes that bound
//! independently, and the tests compare).
//!
//! Nothing here depends on iteration order the hasher or the arrival order decides: groups
//! come as a `BTreeSet`, so every replica computes the same assignment from the same log.

use crate::config::{Config, Groups};
use crate::types::{GroupId, ShardId, NSHARDS};
use std::collections::BTreeSet;

/// The configuration after the groups of `joining` join `prev` (a group already in play
/// takes the new server list). The caller validated the groups (no group 0, servers given).
pub fn join(prev: &Config, joining: &Groups) -> Config {
    let mut groups = prev.groups.clone();
    for (&gid, servers) in joining {
        assert!(!gid.is_none(), "{}: group 0 cannot join", prev.num);
        groups.insert(gid, servers.clone());
    }
    let in_play: BTreeSet<GroupId> = groups.keys().copied().collect();
    Config {
        num: prev.num.next(),
        shards: rebalance(&prev.shards, &in_play),
        groups,
    }
}

/// The configuration after the groups in `leaving` leave `prev` (groups not in play are
/// ignored).
pub fn leave(prev: &Config, leaving: &BTreeSet<GroupId>) -> Config {
    let mut groups = prev.groups.clone();
    groups.retain(|gid, _| !leaving.contains(gid));
    let in_play: BTreeSet<GroupId> = groups.keys().copied().collect();
    Config {
        num: prev.num.next(),
        shards: rebalance(&prev.shards, &in_play),
        groups,
    }
}

/// The configuration with `shard` moved to `gid` and nothing else changed (Move may leave the
/// configuration unbalanced; the next Join or Leave rebalances). `gid` must be in play.
pub fn move_shard(prev: &Config, shard: ShardId, gid: GroupId) -> Config {
    assert!(
        prev.groups.contains_key(&gid),
        "{}: move of {shard} to {gid}, not in play",
        prev.num
    );
    let mut next = prev.clone();
    next.num = prev.num.next();
    next.shards[shard.index()] = gid;
    next
}

/// The balanced assignment over `groups` that moves the fewest shards from `shards`.
pub fn rebalance(shards: &[GroupId; NSHARDS], groups: &BTreeSet<GroupId>) -> [GroupId; NSHARDS] {
    let order: Vec<GroupId> = groups.iter().copied().collect();
    rebalance_in_order(shards, &order)
}

/// [`rebalance`] with ties between groups holding equally many shards broken by their
/// position in `order` instead of by group id. Only the `rebalance-in-local-order` mutant
/// passes an order of its own.
pub(crate) fn rebalance_in_order(
    shards: &[GroupId; NSHARDS],
    order: &[GroupId],
) -> [GroupId; NSHARDS] {
    if order.is_empty() {
        return [GroupId::NONE; NSHARDS];
    }
    let held = |gid: GroupId| shards.iter().filter(|&&g| g == gid).count();
    // Most shards first; a stable sort keeps `order` among equals.
    let mut ranked: Vec<(GroupId, usize)> = order.iter().map(|&g| (g, held(g))).collect();
    ranked.sort_by_key(|&(_, held)| std::cmp::Reverse(held));
    let (floor, extra) = (NSHARDS / order.len(), NSHARDS % order.len());
    let targets: Vec<(GroupId, usize)> = ranked
        .iter()
        .enumerate()
        .map(|(rank, &(gid, _))| (gid, floor + usize::from(rank < extra)))
        .collect();
    let mut free: Vec<usize> = (0..NSHARDS)
        .filter(|&s| !order.contains(&shards[s]))
        .collect();
    for &(gid, target) in &targets {
        let mine: Vec<usize> = (0..NSHARDS).filter(|&s| shards[s] == gid).collect();
        free.extend(mine.iter().skip(target));
    }
    free.sort_unstable();
    let mut next = *shards;
    let mut free = free.into_iter();
    for &(gid, target) in &targets {
        for _ in held(gid).min(target)..target {
            let shard = free
                .next()
                .expect("the freed shards fill exactly the deficits");
            next[shard] = gid;
        }
    }
    assert!(free.next().is_none(), "a freed shard was left unassigned");
    next
}

/// Shard `s` to the `s mod k`-th group: balanced, but blind to where shards were. Only the
/// `rebalance-from-scratch` mutant uses it.
pub(crate) fn deal_from_scratch(groups: &BTreeSet<GroupId>) -> [GroupId; NSHARDS] {
    let order: Vec<GroupId> = groups.iter().copied().collect();
    if order.is_empty() {
        return [GroupId::NONE; NSHARDS];
    }
    std::array::from_fn(|s| order[s % order.len()])
}

#[cfg(test)]
#[path = "rebalance_tests.rs"]
mod tests;
