//! A configuration: which replica group serves each shard, and the servers of every group.

use crate::types::{ConfigNum, GroupId, ShardId, NSHARDS};
use protocol_core::NodeId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The servers of each group in play, by group id.
pub type Groups = BTreeMap<GroupId, Vec<NodeId>>;

/// One numbered configuration. Groups are a `BTreeMap`, so every walk over them is in group
/// order on every replica (the course's Go maps iterate in a random order).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub struct Config {
    pub num: ConfigNum,
    /// The group serving each shard; [`GroupId::NONE`] while no group is in play.
    pub shards: [GroupId; NSHARDS],
    pub groups: Groups,
}

impl Default for Config {
    fn default() -> Config {
        Config::initial()
    }
}

impl Config {
    /// Configuration 0: no groups, every shard unassigned.
    pub fn initial() -> Config {
        Config {
            num: ConfigNum::ZERO,
            shards: [GroupId::NONE; NSHARDS],
            groups: BTreeMap::new(),
        }
    }

    pub fn owner(&self, shard: ShardId) -> GroupId {
        self.shards[shard.index()]
    }

    /// The shards on `gid`, in order.
    pub fn shards_of(&self, gid: GroupId) -> Vec<ShardId> {
        ShardId::all().filter(|&s| self.owner(s) == gid).collect()
    }

    pub fn servers(&self, gid: GroupId) -> Option<&[NodeId]> {
        self.groups.get(&gid).map(Vec::as_slice)
    }

    /// Shards per group in play (groups without shards count 0), in group order.
    pub fn shard_counts(&self) -> BTreeMap<GroupId, usize> {
        let mut counts: BTreeMap<GroupId, usize> = self.groups.keys().map(|&g| (g, 0)).collect();
        for gid in self.shards {
            if let Some(count) = counts.get_mut(&gid) {
                *count += 1;
            }
        }
        counts
    }

    /// Why this configuration is malformed, if it is: group 0 or a group without servers in
    /// play, a shard on a group not in play, or a shard unassigned while groups are in play.
    pub fn validate(&self) -> Result<(), String> {
        if self.groups.contains_key(&GroupId::NONE) {
            return Err(format!("{}: group 0 is in play", self.num));
        }
        if let Some((gid, _)) = self.groups.iter().find(|(_, servers)| servers.is_empty()) {
            return Err(format!("{}: {gid} has no servers", self.num));
        }
        for shard in ShardId::all() {
            let gid = self.owner(shard);
            let fine = if self.groups.is_empty() {
                gid.is_none()
            } else {
                self.groups.contains_key(&gid)
            };
            if !fine {
                return Err(format!("{}: {shard} on {gid}, not in play", self.num));
            }
        }
        Ok(())
    }

    /// Shard counts of the groups in play differ by at most one.
    pub fn is_balanced(&self) -> bool {
        let counts = self.shard_counts();
        let max = counts.values().copied().max().unwrap_or(0);
        let min = counts.values().copied().min().unwrap_or(0);
        max - min <= 1
    }
}

impl fmt::Debug for Config {
    /// `cfg3 [g1 g1 g2 g2 ...] {g1: [n3, n4], g2: [n5]}`: one line a trace can hold.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [", self.num)?;
        for (i, gid) in self.shards.iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            write!(f, "{sep}{gid}")?;
        }
        write!(f, "] {{")?;
        for (i, (gid, servers)) in self.groups.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{gid}: {servers:?}")?;
        }
        write!(f, "}}")
    }
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_groups() -> Config {
        let mut config = Config::initial();
        config.num = ConfigNum(2);
        config.groups.insert(GroupId(1), vec![NodeId(3)]);
        config.groups.insert(GroupId(2), vec![NodeId(4), NodeId(5)]);
        config.shards = [GroupId(1); NSHARDS];
        for s in 6..NSHARDS {
            config.shards[s] = GroupId(2);
        }
        config
    }

    #[test]
    fn counts_owners_and_the_one_line_form() {
        let config = two_groups();
        assert_eq!(config.owner(ShardId(7)), GroupId(2));
        assert_eq!(config.shards_of(GroupId(2)).len(), 4);
        assert_eq!(
            config.shard_counts().into_iter().collect::<Vec<_>>(),
            vec![(GroupId(1), 6), (GroupId(2), 4)]
        );
        assert!(!config.is_balanced(), "6 against 4");
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(
            format!("{config:?}"),
            "cfg2 [g1 g1 g1 g1 g1 g1 g2 g2 g2 g2] {g1: [NodeId(3)], g2: [NodeId(4), NodeId(5)]}"
        );
    }

    #[test]
    fn the_initial_configuration_is_valid_and_malformed_ones_say_why() {
        assert_eq!(Config::initial().validate(), Ok(()));
        assert!(Config::initial().is_balanced());
        let mut stray = two_groups();
        stray.shards[0] = GroupId(9);
        assert_eq!(stray.validate(), Err("cfg2: s0 on g9, not in play".into()));
        let mut unassigned = two_groups();
        unassigned.shards[1] = GroupId::NONE;
        assert!(unassigned.validate().is_err());
        let mut empty = two_groups();
        empty.groups.insert(GroupId(3), Vec::new());
        assert_eq!(empty.validate(), Err("cfg2: g3 has no servers".into()));
        let mut zero = two_groups();
        zero.groups.insert(GroupId::NONE, vec![NodeId(1)]);
        assert!(zero.validate().is_err());
    }
}
