//! The checks every configuration must pass, written apart from the rebalancer so that they
//! judge it rather than repeat it.
//!
//! The minimal-move bound: with `k` groups in play, `NSHARDS % k` groups get one shard more
//! than the others. A group that held `h` shards and gets `t` must receive at least
//! `max(0, t - h)`, and every shard that moves is received by one group, so the moves are at
//! least the sum of those. Giving the larger targets to the groups that hold the most makes
//! that sum smallest (a larger target costs one more move exactly when the group holds no
//! more than the smaller target), so [`min_moves`] is the least any balanced configuration
//! over those groups can move. Counting against the groups in play is what makes the check
//! real: the course's own checks look at group ids that are not in play and pass vacuously.

use crate::config::Config;
use crate::msg::CtrlerOp;
use crate::types::{GroupId, ShardId, NSHARDS};
use protocol_core::{CheckId, NodeId, Violation};
use std::collections::BTreeSet;

/// Every shard on a group in play (or all unassigned when none is); no group 0 in play.
pub const CONFIG_VALID: CheckId = CheckId::new("config-valid");
/// Shard counts of the groups in play differ by at most one.
pub const CONFIG_BALANCED: CheckId = CheckId::new("config-balanced");
/// A Join or Leave moves no more shards than a balanced configuration needs to.
pub const CONFIG_MINIMAL: CheckId = CheckId::new("config-minimal-moves");
/// Configuration n+1 is configuration n with the operation done: the number, the groups,
/// and for a Move exactly one shard.
pub const CONFIG_FOLLOWS_OP: CheckId = CheckId::new("config-follows-op");
/// Every replica computes the same configuration n.
pub const CONFIG_SAME_ON_REPLICAS: CheckId = CheckId::new("config-same-on-replicas");
/// A replica applied configuration n before any replica reported n-1.
pub const CONFIG_GAP: CheckId = CheckId::new("config-gap");

/// Shards whose group differs between `prev` and `next`.
pub fn moved_shards(prev: &Config, next: &Config) -> Vec<ShardId> {
    ShardId::all()
        .filter(|&s| prev.owner(s) != next.owner(s))
        .collect()
}

/// The fewest shards any balanced assignment over `groups` must move from `shards`.
pub fn min_moves(shards: &[GroupId; NSHARDS], groups: &BTreeSet<GroupId>) -> usize {
    if groups.is_empty() {
        // Everything becomes unassigned: every shard on a group moves.
        return shards.iter().filter(|g| !g.is_none()).count();
    }
    let mut held: Vec<usize> = groups
        .iter()
        .map(|&g| shards.iter().filter(|&&s| s == g).count())
        .collect();
    held.sort_unstable_by_key(|&h| std::cmp::Reverse(h));
    let (floor, extra) = (NSHARDS / groups.len(), NSHARDS % groups.len());
    held.iter()
        .enumerate()
        .map(|(rank, &h)| (floor + usize::from(rank < extra)).saturating_sub(h))
        .sum()
}

/// Checks configuration `next`, which `node` created by applying `op` to `prev`.
pub fn check_change(
    node: NodeId,
    prev: &Config,
    op: &CtrlerOp,
    next: &Config,
) -> Result<(), Violation> {
    let fail = |check, what: String| {
        Err(
            Violation::new(check, format!("{node}: {} after {op:?}: {what}", next.num))
                .involving([node]),
        )
    };
    if next.num != prev.num.next() {
        return fail(CONFIG_FOLLOWS_OP, format!("follows {}", prev.num));
    }
    if let Err(reason) = next.validate() {
        return fail(CONFIG_VALID, reason);
    }
    let expected_groups = match op {
        CtrlerOp::Join { groups } => {
            let mut expected = prev.groups.clone();
            expected.extend(groups.iter().map(|(&g, servers)| (g, servers.clone())));
            expected
        }
        CtrlerOp::Leave { gids } => {
            let mut expected = prev.groups.clone();
            expected.retain(|g, _| !gids.contains(g));
            expected
        }
        CtrlerOp::Move { shard, gid } => {
            let mut expected = prev.shards;
            expected[shard.index()] = *gid;
            if next.groups != prev.groups || next.shards != expected {
                let what = format!("{shard} to {gid} changed more: was {prev:?}");
                return fail(CONFIG_FOLLOWS_OP, what);
            }
            return Ok(());
        }
        CtrlerOp::Query { .. } => {
            return fail(CONFIG_FOLLOWS_OP, "a Query created a configuration".into())
        }
    };
    if next.groups != expected_groups {
        let what = format!("groups {:?}, expected {expected_groups:?}", next.groups);
        return fail(CONFIG_FOLLOWS_OP, what);
    }
    if !next.is_balanced() {
        return fail(
            CONFIG_BALANCED,
            format!("shard counts {:?}", next.shard_counts()),
        );
    }
    let in_play: BTreeSet<GroupId> = next.groups.keys().copied().collect();
    let moved = moved_shards(prev, next);
    let least = min_moves(&prev.shards, &in_play);
    if moved.len() > least {
        let shown: Vec<String> = moved
            .iter()
            .map(|&s| format!("{s} {}->{}", prev.owner(s), next.owner(s)))
            .collect();
        let what = format!(
            "{} shards moved ({}), {least} would do; was {prev:?}",
            moved.len(),
            shown.join(", ")
        );
        return fail(CONFIG_MINIMAL, what);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Groups;
    use crate::types::ConfigNum;

    fn servers(gids: &[u64]) -> Groups {
        gids.iter()
            .map(|&g| (GroupId(g), vec![NodeId(g as u32)]))
            .collect()
    }

    fn join(gids: &[u64]) -> CtrlerOp {
        CtrlerOp::Join {
            groups: servers(gids),
        }
    }

    fn config(num: u64, shards: [u64; NSHARDS], gids: &[u64]) -> Config {
        Config {
            num: ConfigNum(num),
            shards: shards.map(GroupId),
            groups: servers(gids),
        }
    }

    #[test]
    fn the_bound_counts_what_the_groups_in_play_must_receive() {
        let in_play = |gids: &[u64]| gids.iter().map(|&g| GroupId(g)).collect::<BTreeSet<_>>();
        assert_eq!(min_moves(&[GroupId::NONE; NSHARDS], &in_play(&[1])), 10);
        // 5/5 and a third group: it needs 3 (4/3/3 keeps the extra on an old group).
        let halves = [1, 1, 1, 1, 1, 2, 2, 2, 2, 2].map(GroupId);
        assert_eq!(min_moves(&halves, &in_play(&[1, 2, 3])), 3);
        assert_eq!(
            min_moves(&halves, &in_play(&[2])),
            5,
            "a leave moves the leaver's shards"
        );
        assert_eq!(min_moves(&halves, &in_play(&[1, 2])), 0);
        assert_eq!(min_moves(&halves, &BTreeSet::new()), 10);
        let eleven: Vec<u64> = (1..=11).collect();
        assert_eq!(
            min_moves(&halves, &in_play(&eleven)),
            8,
            "eleven groups: one each for eight more"
        );
    }

    #[test]
    fn a_join_that_moves_an_extra_shard_fails_minimal_and_names_it() {
        let prev = config(1, [1; NSHARDS], &[1]);
        let honest = config(2, [1, 1, 1, 1, 1, 2, 2, 2, 2, 2], &[1, 2]);
        assert_eq!(check_change(NodeId(4), &prev, &join(&[2]), &honest), Ok(()));
        let prev3 = config(2, [1, 1, 1, 1, 1, 2, 2, 2, 2, 2], &[1, 2]);
        // 3/3/4 with the extra on the new group: balanced, but four moves where three do.
        let wasteful = config(3, [1, 1, 1, 3, 3, 2, 2, 2, 3, 3], &[1, 2, 3]);
        let v = check_change(NodeId(4), &prev3, &join(&[3]), &wasteful).unwrap_err();
        assert_eq!(v.check, CONFIG_MINIMAL);
        assert!(
            v.message.starts_with("n4: cfg3 after Join"),
            "{}",
            v.message
        );
        assert!(v.message.contains("s3 g1->g3"), "{}", v.message);
        assert_eq!(v.nodes, vec![NodeId(4)]);
    }

    #[test]
    fn unbalanced_invalid_and_misnumbered_configurations_fail_their_checks() {
        let prev = config(1, [1; NSHARDS], &[1]);
        let lopsided = config(2, [1, 1, 1, 1, 1, 1, 2, 2, 2, 2], &[1, 2]);
        assert_eq!(
            check_change(NodeId(0), &prev, &join(&[2]), &lopsided)
                .unwrap_err()
                .check,
            CONFIG_BALANCED
        );
        let stray = config(2, [1, 1, 1, 1, 1, 2, 2, 2, 2, 7], &[1, 2]);
        assert_eq!(
            check_change(NodeId(0), &prev, &join(&[2]), &stray)
                .unwrap_err()
                .check,
            CONFIG_VALID
        );
        let skipped = config(3, [1, 1, 1, 1, 1, 2, 2, 2, 2, 2], &[1, 2]);
        assert_eq!(
            check_change(NodeId(0), &prev, &join(&[2]), &skipped)
                .unwrap_err()
                .check,
            CONFIG_FOLLOWS_OP
        );
        let forgot = config(2, [1; NSHARDS], &[1]);
        assert_eq!(
            check_change(NodeId(0), &prev, &join(&[2]), &forgot)
                .unwrap_err()
                .check,
            CONFIG_FOLLOWS_OP
        );
    }

    #[test]
    fn a_move_changes_exactly_its_shard() {
        let prev = config(2, [1, 1, 1, 1, 1, 2, 2, 2, 2, 2], &[1, 2]);
        let op = CtrlerOp::Move {
            shard: ShardId(0),
            gid: GroupId(2),
        };
        let honest = config(3, [2, 1, 1, 1, 1, 2, 2, 2, 2, 2], &[1, 2]);
        assert_eq!(check_change(NodeId(0), &prev, &op, &honest), Ok(()));
        let more = config(3, [2, 2, 1, 1, 1, 2, 2, 2, 2, 1], &[1, 2]);
        assert_eq!(
            check_change(NodeId(0), &prev, &op, &more)
                .unwrap_err()
                .check,
            CONFIG_FOLLOWS_OP
        );
    }
}
