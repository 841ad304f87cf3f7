//! Static configuration shared by the coordinator and the workers of one job.

use crate::apps::AppKind;
use protocol_core::NodeId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MrConfig {
    pub coordinator: NodeId,
    /// Input files, one map task each, named exactly as given (the apps see these names).
    pub inputs: Vec<String>,
    pub n_reduce: u32,
    pub app: AppKind,
    /// A task not reported done this long after assignment is handed to another worker.
    pub task_timeout_ms: u64,
    /// How long a worker told to wait (every task handed out) waits before asking again.
    pub poll_ms: u64,
    /// How long a worker waits for any answer before asking again.
    pub request_timeout_ms: u64,
    /// Unanswered requests in a row after which a worker decides the coordinator is gone and
    /// exits (the course's workers exit when the coordinator is unreachable). 0: never.
    pub give_up_after_unanswered: u32,
    pub mutant: Option<Mutant>,
}

impl MrConfig {
    /// The course's settings: 10 reduce tasks and a 10 s task timeout.
    pub fn course(coordinator: NodeId, inputs: Vec<String>, app: AppKind) -> MrConfig {
        MrConfig {
            coordinator,
            inputs,
            n_reduce: 10,
            app,
            task_timeout_ms: 10_000,
            poll_ms: 500,
            request_timeout_ms: 1_000,
            give_up_after_unanswered: 3,
            mutant: None,
        }
    }

    /// Why this configuration cannot run a coordinator, if it cannot.
    pub fn invalid_reason(&self) -> Option<String> {
        if let Some(reason) = self.worker_invalid_reason() {
            return Some(reason);
        }
        if self.inputs.is_empty() {
            return Some("no input files".to_string());
        }
        if u32::try_from(self.inputs.len()).is_err() {
            return Some(format!("{} input files is too many", self.inputs.len()));
        }
        if self.n_reduce == 0 {
            return Some("n_reduce must be at least 1".to_string());
        }
        None
    }

    /// Why this configuration cannot run a worker. A worker learns the inputs and the
    /// number of reduce tasks from its assignments, so it needs neither.
    pub fn worker_invalid_reason(&self) -> Option<String> {
        if self.task_timeout_ms == 0 || self.poll_ms == 0 || self.request_timeout_ms == 0 {
            return Some("timeouts must be positive".to_string());
        }
        None
    }

    pub fn n_map(&self) -> u32 {
        // Checked by invalid_reason, which boot calls first.
        u32::try_from(self.inputs.len()).expect("input count fits u32")
    }
}

protocol_core::mutants! {
    family = "mapreduce";
    /// Deliberate bugs, off by default, to show that tests and checks catch them.
    pub enum Mutant {
        /// The coordinator never reassigns a timed-out task.
        NoReassign = "no-reassign",
        /// The coordinator starts handing out reduce tasks while maps are still running.
        ReduceBeforeMapsDone = "reduce-before-maps-done",
        /// The coordinator counts every completion, duplicates included.
        CountDuplicateCompletions = "count-duplicate-completions",
        /// The worker writes outputs straight to their final names, with no rename.
        WriteInPlace = "write-in-place",
        /// The coordinator hands out one task at a time: nothing runs in parallel.
        SerialTasks = "serial-tasks",
        /// The worker takes "wait" for "exit": it leaves while the job is still running.
        ExitOnWait = "exit-on-wait",
        /// The worker renames its outputs into place without syncing them: a crash of the worker, even after its task is done, takes what it wrote.
        SkipSync = "skip-sync",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol_core::mutant::Mutant as _;

    #[test]
    fn mutant_names_round_trip() {
        for &m in Mutant::ALL {
            assert_eq!(m.name().parse::<Mutant>(), Ok(m));
        }
        assert!("none".parse::<Mutant>().is_err());
        assert!("x"
            .parse::<Mutant>()
            .unwrap_err()
            .contains("write-in-place"));
    }
}
