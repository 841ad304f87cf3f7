//! Situations a good MapReduce sweep reaches on some seeds (see `sim_kit::goals`).

use sim_kit::goals::GoalId;

/// A task timed out on a worker (dead, stalled or cut off) and was handed out again: the
/// reassignment the course's crash test exists for.
pub const TASK_REISSUED: GoalId = GoalId::new("task-reissued");
