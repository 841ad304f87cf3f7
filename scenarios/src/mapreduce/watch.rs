//! Watches a MapReduce run: the shared file system (so a crash takes a worker's unrenamed
//! files with it), the coordinator's phases, and what each worker started and when it left.

use super::coverage::{self, JobState};
use super::fs::SharedFs;
use super::goals::TASK_REISSUED;
use mapreduce::{CoordEvent, ExitReason, MrEvent, MrNode, TaskId, TaskKind, WorkerEvent};
use protocol_core::rng::Rng;
use protocol_core::{NodeId, Time};
use sim::{Observer, Violation};
use sim_kit::goals::Reached;
use std::collections::{BTreeMap, BTreeSet};

pub struct MrWatch {
    pub fs: SharedFs,
    /// What a crash keeps of a worker's unsynced writes.
    crash_rng: Rng,
    coordinator: NodeId,
    n_map: u32,
    /// Distinct map tasks completed by the current coordinator incarnation.
    maps_completed: BTreeSet<u32>,
    map_phase_done: bool,
    /// When the coordinator first reported the job done.
    pub job_done_at: Option<Time>,
    /// How often each task was started by some worker, over the whole run.
    pub started: BTreeMap<TaskId, u32>,
    /// Each worker's latest exit.
    pub exited: BTreeMap<NodeId, (Time, ExitReason)>,
    pub first_exit: Option<Time>,
    pub crashes: u32,
    /// Tasks that timed out and are not yet handed out again.
    timed_out: BTreeSet<TaskId>,
    pub goals: Reached,
}

impl MrWatch {
    pub fn new(fs: SharedFs, crash_rng: Rng, coordinator: NodeId, n_map: u32) -> MrWatch {
        MrWatch {
            fs,
            crash_rng,
            coordinator,
            n_map,
            maps_completed: BTreeSet::new(),
            map_phase_done: false,
            job_done_at: None,
            started: BTreeMap::new(),
            exited: BTreeMap::new(),
            first_exit: None,
            crashes: 0,
            timed_out: BTreeSet::new(),
            goals: Reached::new(),
        }
    }

    /// Where the job stands, for the coverage of its situations.
    fn job_state(&self) -> JobState {
        JobState {
            map_phase_done: self.map_phase_done,
            job_done: self.job_done_at.is_some(),
            crashes: self.crashes,
        }
    }

    /// Whether the current coordinator incarnation counted map `index` complete.
    pub fn map_completed(&self, index: u32) -> bool {
        self.maps_completed.contains(&index)
    }

    pub fn map_starts(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.started
            .iter()
            .filter(|(task, _)| task.kind == TaskKind::Map)
            .map(|(task, count)| (task.index, *count))
    }

    fn on_coordinator(&mut self, now: Time, event: &CoordEvent) -> Result<(), Violation> {
        coverage::coordinator(event, self.job_state());
        match event {
            CoordEvent::Assigned { task, worker, .. } => {
                if self.timed_out.remove(task) {
                    self.goals.mark(TASK_REISSUED);
                }
                if task.kind == TaskKind::Reduce && !self.map_phase_done {
                    return Err(Violation::new(
                        super::checks::REDUCE_AFTER_MAPS,
                        format!(
                            "{task} assigned to {worker} with {} of {} maps done",
                            self.maps_completed.len(),
                            self.n_map
                        ),
                    ));
                }
            }
            CoordEvent::Completed { task, .. } => {
                if task.kind == TaskKind::Map {
                    self.maps_completed.insert(task.index);
                }
            }
            CoordEvent::MapPhaseDone => {
                if self.maps_completed.len() != self.n_map as usize {
                    return Err(Violation::new(
                        super::checks::REDUCE_AFTER_MAPS,
                        format!(
                            "map phase ended with {} of {} maps completed",
                            self.maps_completed.len(),
                            self.n_map
                        ),
                    ));
                }
                self.map_phase_done = true;
            }
            CoordEvent::JobDone => {
                self.job_done_at.get_or_insert(now);
            }
            CoordEvent::TimedOut { task, .. } => {
                self.timed_out.insert(*task);
            }
            CoordEvent::IgnoredCompletion { .. } => {}
        }
        Ok(())
    }
}

impl Observer<MrNode> for MrWatch {
    fn on_emit(&mut self, now: Time, node: NodeId, event: &MrEvent) -> Result<(), Violation> {
        match event {
            MrEvent::Coordinator(event) => self.on_coordinator(now, event),
            MrEvent::Worker(WorkerEvent::Started { task, .. }) => {
                *self.started.entry(*task).or_default() += 1;
                Ok(())
            }
            MrEvent::Worker(WorkerEvent::Exited(reason)) => {
                self.exited.insert(node, (now, *reason));
                self.first_exit.get_or_insert(now);
                Ok(())
            }
            MrEvent::Worker(
                WorkerEvent::Fs { .. }
                | WorkerEvent::Finished { .. }
                | WorkerEvent::Abandoned { .. },
            ) => Ok(()),
        }
    }

    fn on_crash(&mut self, _now: Time, node: NodeId) {
        coverage::crash(node == self.coordinator, self.job_state());
        self.crashes += 1;
        if node == self.coordinator {
            return;
        }
        self.fs.on_crash(node, &mut self.crash_rng);
        self.exited.remove(&node);
    }

    fn on_restart(&mut self, _now: Time, node: NodeId) {
        if node == self.coordinator {
            // The coordinator keeps nothing on disk: its new incarnation starts the job over.
            self.maps_completed.clear();
            self.map_phase_done = false;
        }
    }
}
