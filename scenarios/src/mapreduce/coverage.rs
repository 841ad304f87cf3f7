//! MapReduce's protocol-state coverage (see `sim_kit::state_coverage`). Each counts every
//! time it happens:
//! - a coordinator event (assigned, timed out, completed, ignored completion, map phase
//!   done, job done) with the task's kind, its attempt (0, 1, 2, 3+), whether the map phase
//!   was done and the crashes so far (0, 1, 2, 3+): a task reissued after a timeout, a late
//!   completion of a reissued reduce;
//! - a crash: of the coordinator or a worker, before or after the map phase ended and
//!   before or after the job was done (a worker crash during reduce).

use mapreduce::{CoordEvent, TaskId, TaskKind};
use sim_kit::state_coverage::{bucket, enabled, observe, Tuple};

const COORDINATOR: u8 = 32;
const CRASH: u8 = 33;

/// Where the job stood when something happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobState {
    pub map_phase_done: bool,
    pub job_done: bool,
    pub crashes: u32,
}

/// Reports a coordinator event.
pub fn coordinator(event: &CoordEvent, job: JobState) {
    if enabled() {
        observe(coordinator_tuple(event, job).key());
    }
}

/// Reports a crash of the coordinator or of a worker.
pub fn crash(of_coordinator: bool, job: JobState) {
    if enabled() {
        observe(crash_tuple(of_coordinator, job).key());
    }
}

pub fn coordinator_tuple(event: &CoordEvent, job: JobState) -> Tuple {
    let (kind, task, attempt) = match event {
        CoordEvent::Assigned { task, attempt, .. } => (0, Some(task), *attempt),
        CoordEvent::TimedOut { task, attempt, .. } => (1, Some(task), *attempt),
        CoordEvent::Completed { task, attempt, .. } => (2, Some(task), *attempt),
        CoordEvent::IgnoredCompletion { task, attempt, .. } => (3, Some(task), *attempt),
        CoordEvent::MapPhaseDone => (4, None, 0),
        CoordEvent::JobDone => (5, None, 0),
    };
    Tuple::new(COORDINATOR)
        .field(kind, 3)
        .field(task.map_or(0, task_kind), 2)
        .field(bucket(u64::from(attempt), 3), 2)
        .field(u64::from(job.map_phase_done), 1)
        .field(bucket(u64::from(job.crashes), 3), 2)
}

pub fn crash_tuple(of_coordinator: bool, job: JobState) -> Tuple {
    Tuple::new(CRASH)
        .field(u64::from(of_coordinator), 1)
        .field(u64::from(job.map_phase_done), 1)
        .field(u64::from(job.job_done), 1)
}

fn task_kind(task: &TaskId) -> u64 {
    match task.kind {
        TaskKind::Map => 1,
        TaskKind::Reduce => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol_core::NodeId;

    const REDUCING: JobState = JobState {
        map_phase_done: true,
        job_done: false,
        crashes: 1,
    };

    #[test]
    fn a_reduce_reissued_after_a_crash_has_its_known_tuple() {
        let task = TaskId {
            kind: TaskKind::Reduce,
            index: 0,
        };
        let event = CoordEvent::Assigned {
            task,
            attempt: 1,
            worker: NodeId(2),
        };
        let expected = Tuple::new(COORDINATOR)
            .field(0, 3)
            .field(2, 2)
            .field(1, 2)
            .field(1, 1)
            .field(1, 2);
        assert_eq!(coordinator_tuple(&event, REDUCING), expected);
        let first = CoordEvent::Assigned {
            task,
            attempt: 0,
            worker: NodeId(2),
        };
        assert_ne!(coordinator_tuple(&first, REDUCING), expected);
    }

    #[test]
    fn a_worker_crash_during_reduce_differs_from_one_during_map() {
        let mapping = JobState {
            map_phase_done: false,
            ..REDUCING
        };
        assert_ne!(crash_tuple(false, REDUCING), crash_tuple(false, mapping));
        assert_ne!(crash_tuple(false, REDUCING), crash_tuple(true, REDUCING));
    }
}
