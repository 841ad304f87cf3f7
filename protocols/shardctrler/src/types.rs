//! Identifier newtypes of the sharded system: shards, replica groups, configuration numbers.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The number of shards, as in the course.
pub const NSHARDS: usize = 10;

/// A configuration's number: configuration 0 is the empty one, and each Join, Leave or Move
/// creates the next.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct ConfigNum(pub u64);

/// A replica group. Group 0 is no group: a shard on it is unassigned.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct GroupId(pub u64);

/// A shard, `0..NSHARDS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ShardId(pub u32);

impl ConfigNum {
    pub const ZERO: ConfigNum = ConfigNum(0);

    pub const fn next(self) -> ConfigNum {
        ConfigNum(self.0 + 1)
    }
}

impl GroupId {
    /// The group of unassigned shards.
    pub const NONE: GroupId = GroupId(0);

    pub const fn is_none(self) -> bool {
        self.0 == 0
    }
}

impl ShardId {
    /// Every shard, in order.
    pub fn all() -> impl Iterator<Item = ShardId> {
        (0..NSHARDS as u32).map(ShardId)
    }

    /// The shard's position in a `[_; NSHARDS]` array. Shards come from our own code or from
    /// decoded messages checked with [`ShardId::is_valid`], so the index is in range.
    pub fn index(self) -> usize {
        let index = self.0 as usize;
        assert!(index < NSHARDS, "shard {index} out of range 0..{NSHARDS}");
        index
    }

    /// Whether a shard named by a peer or a clerk exists.
    pub fn is_valid(self) -> bool {
        (self.0 as usize) < NSHARDS
    }
}

impl fmt::Display for ConfigNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cfg{}", self.0)
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "g{}", self.0)
    }
}

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_short_and_shards_cover_the_range() {
        assert_eq!(ConfigNum(3).to_string(), "cfg3");
        assert_eq!(GroupId(101).to_string(), "g101");
        assert_eq!(ShardId(7).to_string(), "s7");
        assert_eq!(ShardId::all().count(), NSHARDS);
        assert!(ShardId(9).is_valid());
        assert!(!ShardId(10).is_valid());
        assert!(GroupId::NONE.is_none());
        assert_eq!(ConfigNum::ZERO.next(), ConfigNum(1));
    }

    #[test]
    #[should_panic(expected = "shard 10 out of range")]
    fn an_invalid_shard_has_no_index() {
        let _ = ShardId(10).index();
    }
}
