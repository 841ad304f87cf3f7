//! The checks of the MapReduce scenarios, each declared once.

use sim::CheckId;

/// The course inputs could not be read: the scenario could not run at all.
pub const INPUTS: CheckId = CheckId::new("inputs");
/// `sort mr-out* | grep .` differs from the sequential run's output.
pub const OUTPUT: CheckId = CheckId::new("output");
/// The output changed after the coordinator reported the job done.
pub const OUTPUT_STABLE: CheckId = CheckId::new("output-stable");
/// A worker did not exit (soon enough) after the job was done.
pub const WORKERS_EXIT: CheckId = CheckId::new("workers-exit");
/// The job was not done by the time limit.
pub const JOB_DONE: CheckId = CheckId::new("job-done");
/// The job was not done within its bound after the faults healed.
pub const LIVENESS: CheckId = CheckId::new("liveness");
/// A reduce task was handed out before every map had completed.
pub const REDUCE_AFTER_MAPS: CheckId = CheckId::new("reduce-after-maps");
/// The map parallelism test: two workers did not both run maps at the same time.
pub const MAP_PARALLELISM: CheckId = CheckId::new("map-parallelism");
/// The reduce parallelism test: reduce calls of two workers did not overlap.
pub const REDUCE_PARALLELISM: CheckId = CheckId::new("reduce-parallelism");
/// The job count test: a map task ran other than exactly once.
pub const JOB_COUNT: CheckId = CheckId::new("job-count");
/// A reduce found an intermediate file of a completed map missing: the map's output was
/// lost (written in place and gone with its crashed writer, say).
pub const LOST_OUTPUT: CheckId = CheckId::new("lost-output");
/// The early exit test: the output changed after the first process exited.
pub const EARLY_EXIT: CheckId = CheckId::new("early-exit");
