//! Situations a good KV sweep reaches on some seeds (see `sim_kit::goals`), beside Raft's.

use sim_kit::goals::GoalId;

/// A request a server had already applied reached its log again (a clerk's retry after a
/// lost answer): the duplicate table must make it a no-op.
pub const RETRY_OF_APPLIED: GoalId = GoalId::new("retry-of-applied");
