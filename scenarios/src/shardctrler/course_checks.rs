//! The course's controller checks as pure functions of configurations: `check(groups)`, the
//! server lists, and the minimal-transfer checks made real. Each says what is wrong, if
//! anything; the scenarios fail with the check named for it.

use shardctrler::checks::moved_shards;
use shardctrler::{Config, GroupId, Groups, ShardId};
use std::collections::BTreeSet;

/// The course's `check(groups)`: exactly the groups `gids`, every shard on one of them (when
/// there are any), at most one shard apart.
pub fn groups_problem(c: &Config, gids: &[u64]) -> Option<String> {
    let expected: BTreeSet<GroupId> = gids.iter().map(|&g| GroupId(g)).collect();
    let actual: BTreeSet<GroupId> = c.groups.keys().copied().collect();
    let what = if actual != expected {
        format!("wanted groups {expected:?}, got {actual:?}")
    } else if !gids.is_empty() && ShardId::all().any(|s| !actual.contains(&c.owner(s))) {
        "a shard on a group not in play".to_string()
    } else if !c.is_balanced() {
        format!("unbalanced: {:?}", c.shard_counts())
    } else {
        return None;
    };
    Some(format!("{}: {what}: {c:?}", c.num))
}

/// Each group of `joined` holds the servers it joined with, in order.
pub fn servers_problem(c: &Config, joined: &Groups) -> Option<String> {
    let (gid, servers) = joined
        .iter()
        .find(|(gid, servers)| c.servers(**gid) != Some(servers.as_slice()))?;
    let held = c.servers(*gid);
    Some(format!(
        "{}: {gid} holds {held:?}, joined with {servers:?}",
        c.num
    ))
}

/// What changed between two configurations a minimal-transfer check compares.
#[derive(Clone, Copy, Debug)]
pub enum Change {
    Joins,
    Leaves,
}

/// The course's minimal-transfer checks over the groups in play (the course's look at gids
/// 1..10, none of them in play): from `before` to `after`, no shard moved onto a group
/// already in play (after joins), or off a group still in play (after leaves). With
/// `bound`, TestMinimalAgain's limit on how many shards move.
pub fn minimal_problem(
    change: Change,
    (before, after): (&Config, &Config),
    bound: Option<usize>,
) -> Option<String> {
    let moved = moved_shards(before, after);
    let needless = |s: &&ShardId| match change {
        Change::Joins => before.groups.contains_key(&after.owner(**s)),
        Change::Leaves => after.groups.contains_key(&before.owner(**s)),
    };
    let what = match (moved.iter().find(needless), bound) {
        (Some(s), _) => format!(
            "{s} moved {} -> {} though it did not have to",
            before.owner(*s),
            after.owner(*s)
        ),
        (None, Some(bound)) if moved.len() > bound => {
            format!("{} shards moved, at most {bound}", moved.len())
        }
        (None, _) => return None,
    };
    Some(format!("{} -> {}: {what}", before.num, after.num))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shardctrler::harness::groups;
    use shardctrler::{ConfigNum, NSHARDS};

    fn config(num: u64, shards: [u64; NSHARDS], gids: &[u64]) -> Config {
        Config {
            num: ConfigNum(num),
            shards: shards.map(GroupId),
            groups: groups(gids, 1),
        }
    }

    #[test]
    fn check_groups_fails_on_other_groups_strays_and_imbalance() {
        let halves = config(2, [1, 1, 1, 1, 1, 2, 2, 2, 2, 2], &[1, 2]);
        assert_eq!(groups_problem(&halves, &[1, 2]), None);
        assert!(groups_problem(&halves, &[1])
            .unwrap()
            .contains("wanted groups"));
        let stray = config(2, [1, 1, 1, 1, 1, 2, 2, 2, 2, 9], &[1, 2]);
        assert!(groups_problem(&stray, &[1, 2])
            .unwrap()
            .contains("not in play"));
        let lopsided = config(2, [1, 1, 1, 1, 1, 1, 1, 2, 2, 2], &[1, 2]);
        assert!(groups_problem(&lopsided, &[1, 2])
            .unwrap()
            .contains("unbalanced"));
        assert_eq!(groups_problem(&Config::initial(), &[]), None);
    }

    #[test]
    fn server_lists_must_be_the_joined_ones_in_order() {
        let c = config(1, [1; NSHARDS], &[1]);
        assert_eq!(servers_problem(&c, &groups(&[1], 1)), None);
        assert!(
            servers_problem(&c, &groups(&[1], 2)).is_some(),
            "a server missing"
        );
        let mut reordered = groups(&[1], 2);
        reordered.values_mut().for_each(|s| s.reverse());
        let mut c2 = c.clone();
        c2.groups = groups(&[1], 2);
        assert!(servers_problem(&c2, &reordered).is_some(), "out of order");
    }

    #[test]
    fn minimal_transfers_fail_on_needless_moves_and_past_the_bound() {
        let before = config(2, [1, 1, 1, 1, 1, 2, 2, 2, 2, 2], &[1, 2]);
        let honest = config(3, [3, 3, 1, 1, 1, 3, 2, 2, 2, 2], &[1, 2, 3]);
        assert_eq!(
            minimal_problem(Change::Joins, (&before, &honest), Some(4)),
            None
        );
        // A shard swapped between two old groups: balanced, but a needless move.
        let swapped = config(3, [3, 3, 2, 1, 1, 3, 1, 2, 2, 2], &[1, 2, 3]);
        let what = minimal_problem(Change::Joins, (&before, &swapped), None).unwrap();
        assert!(what.contains("s2 moved g1 -> g2"), "{what}");
        assert!(minimal_problem(Change::Joins, (&before, &honest), Some(2)).is_some());
        let left = config(4, [3, 3, 3, 3, 3, 3, 2, 2, 2, 2], &[2, 3]);
        assert_eq!(
            minimal_problem(Change::Leaves, (&honest, &left), None),
            None
        );
        let shuffled = config(4, [3, 3, 3, 3, 3, 2, 3, 2, 2, 2], &[2, 3]);
        assert!(minimal_problem(Change::Leaves, (&honest, &shuffled), None).is_some());
    }
}
