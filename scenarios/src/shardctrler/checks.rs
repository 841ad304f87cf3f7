//! The checks of the controller scenarios, each declared once. What every configuration must
//! pass (valid, balanced, minimal, the same on every replica, in order) and what every Query
//! must answer are the controller crate's own (`shardctrler::checks`, `shardctrler::watch`),
//! run on every report as the run goes; these are the course tests' own checks on top.

use sim::CheckId;

/// The course's `check(groups)`: the latest configuration has exactly these groups, every
/// shard on one of them, and is balanced.
pub const CHECK_GROUPS: CheckId = CheckId::new("ctrler-groups");
/// A group's server list is not the one it joined with.
pub const SERVER_LIST: CheckId = CheckId::new("ctrler-server-list");
/// A Query of an old configuration number did not return the configuration recorded then.
pub const HISTORICAL_QUERY: CheckId = CheckId::new("ctrler-historical-query");
/// A Move did not create a new configuration, or left the shards elsewhere.
pub const MOVE: CheckId = CheckId::new("ctrler-move");
/// The course's minimal-transfer checks, made real: after joins only shards now on a joiner
/// moved, after leaves only shards that were on a leaver, and TestMinimalAgain's bound of
/// NShards/3 + 1 moves per change.
pub const MINIMAL_TRANSFERS: CheckId = CheckId::new("ctrler-minimal-transfers");
/// The configuration after the leader's shutdown differs from the one before.
pub const SAME_AFTER_FAILOVER: CheckId = CheckId::new("ctrler-same-after-failover");
/// An operation did not complete within its bound once it could.
pub const LIVENESS: CheckId = CheckId::new("liveness");
