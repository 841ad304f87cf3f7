//! The coordinator: hands out map tasks, then reduce tasks, reassigns silent workers' tasks
//! and ends the job exactly once. It never touches a file.

use crate::config::{MrConfig, Mutant};
use crate::msg::{MrMsg, Reply};
use crate::task::{Task, TaskId, TaskKind};
use protocol_core::{BootError, Disk, Input, Node, NodeId, Outbox, Time};
use std::convert::Infallible;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Map,
    Reduce,
    Done,
}

/// One deadline per task: a task not done by it goes back to the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CoordTimer {
    TaskTimeout(TaskId),
}

/// What the coordinator reports to its driver and to checks.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CoordEvent {
    Assigned {
        task: TaskId,
        attempt: u32,
        worker: NodeId,
    },
    TimedOut {
        task: TaskId,
        attempt: u32,
        worker: NodeId,
    },
    Completed {
        task: TaskId,
        attempt: u32,
        worker: NodeId,
    },
    /// A late or duplicate completion, or one for a task of another phase.
    IgnoredCompletion {
        task: TaskId,
        attempt: u32,
        worker: NodeId,
    },
    MapPhaseDone,
    /// Every reduce output is in place. Emitted exactly once per job.
    JobDone,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TaskState {
    Idle,
    InProgress {
        worker: NodeId,
        attempt: u32,
        deadline: Time,
    },
    Done,
}

#[derive(Clone, Debug)]
struct Slot {
    id: TaskId,
    /// Assignments so far; the next one is attempt `assigned + 1`.
    assigned: u32,
    state: TaskState,
}

pub struct Coordinator {
    id: NodeId,
    config: MrConfig,
    phase: Phase,
    /// The tasks of the current phase (the reduce tasks once the job is done).
    slots: Vec<Slot>,
    /// Completions counted in this phase; equals the Done slots unless a mutant miscounts.
    done_count: usize,
    job_done_emitted: bool,
}

impl Node for Coordinator {
    type Msg = MrMsg;
    type Timer = CoordTimer;
    type Request = Infallible;
    type Event = CoordEvent;
    type Config = MrConfig;

    fn boot(
        config: &MrConfig,
        id: NodeId,
        _disk: &Disk,
        _seed: u64,
        _now: Time,
        _out: &mut Outbox<Self>,
    ) -> Result<Self, BootError> {
        if let Some(reason) = config.invalid_reason() {
            return Err(BootError::InvalidConfig { node: id, reason });
        }
        assert_eq!(id, config.coordinator, "{id}: booted as coordinator");
        // Like the course's, the coordinator keeps nothing on disk: a restart starts over.
        let slots = (0..config.n_map())
            .map(|i| Slot::new(TaskId::map(i)))
            .collect();
        Ok(Coordinator {
            id,
            config: config.clone(),
            phase: Phase::Map,
            slots,
            done_count: 0,
            job_done_emitted: false,
        })
    }

    fn handle(&mut self, now: Time, input: Input<Self>, out: &mut Outbox<Self>) {
        match input {
            Input::Message { from, msg } => match msg {
                MrMsg::RequestTask { seq, finished } => {
                    if let Some((task, attempt)) = finished {
                        self.on_finished_before_asking(from, task, attempt, out);
                    }
                    self.on_request_task(now, from, seq, out)
                }
                MrMsg::TaskDone { task, attempt } => self.on_task_done(from, task, attempt, out),
                // Only workers get replies; a peer sending one is ignored.
                MrMsg::Reply { .. } => {}
            },
            Input::Timer(CoordTimer::TaskTimeout(task)) => self.on_task_timeout(now, task, out),
            Input::Request(never) => match never {},
            // It writes no files, so no sync of its can complete.
            Input::Synced { .. } => {}
        }
    }

    fn check_invariants(&self) {
        let done = self
            .slots
            .iter()
            .filter(|s| s.state == TaskState::Done)
            .count();
        if self.config.mutant != Some(Mutant::CountDuplicateCompletions) {
            assert_eq!(done, self.done_count, "{}: done count drifted", self.id);
        }
        assert_eq!(
            self.phase == Phase::Done,
            self.job_done_emitted,
            "{}",
            self.id
        );
        let mut holders: Vec<NodeId> = Vec::new();
        for slot in &self.slots {
            if let TaskState::InProgress {
                worker, attempt, ..
            } = slot.state
            {
                assert!(
                    attempt >= 1 && attempt <= slot.assigned,
                    "{}: {}",
                    self.id,
                    slot.id
                );
                holders.push(worker);
            }
        }
        let held = holders.len();
        holders.sort();
        holders.dedup();
        assert_eq!(held, holders.len(), "{}: a worker holds two tasks", self.id);
    }
}

impl Coordinator {
    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    fn on_request_task(&mut self, now: Time, worker: NodeId, seq: u64, out: &mut Outbox<Self>) {
        if self.phase == Phase::Done {
            return out.send(
                worker,
                MrMsg::Reply {
                    seq,
                    reply: Reply::Exit,
                },
            );
        }
        // A worker asks only when idle: if it still holds a task, our answer was lost or it
        // restarted. Give it the same assignment again.
        if let Some(index) = self.held_by(worker) {
            let task = self.task(index);
            return out.send(
                worker,
                MrMsg::Reply {
                    seq,
                    reply: Reply::Assign(task),
                },
            );
        }
        let mut idle = self.slots.iter().position(|s| s.state == TaskState::Idle);
        if self.config.mutant == Some(Mutant::SerialTasks) && self.held_by_anyone() {
            idle = None;
        }
        if idle.is_none()
            && self.phase == Phase::Map
            && self.config.mutant == Some(Mutant::ReduceBeforeMapsDone)
        {
            self.begin_reduce_phase();
            return self.on_request_task(now, worker, seq, out);
        }
        match idle {
            Some(index) => self.assign(now, index, worker, seq, out),
            None => out.send(
                worker,
                MrMsg::Reply {
                    seq,
                    reply: Reply::Wait,
                },
            ),
        }
    }

    /// A request names the task its worker last finished, until one request is answered.
    /// That worker renamed the task's outputs into place before it sent its `TaskDone`, so
    /// the note is as good as one: count it as a completion whenever the `TaskDone` would
    /// count. The network may deliver this request first, or the task may have timed out
    /// while the worker ran late; either way, handing the task out again would run it for
    /// nothing (mr-random seed 1816 handed a timed-out reduce back to the very worker that
    /// had just finished it, and that redundant attempt ran on after the job was done).
    /// Usually the `TaskDone` came first and the note repeats it: nothing to do or trace.
    fn on_finished_before_asking(
        &mut self,
        worker: NodeId,
        task: TaskId,
        attempt: u32,
        out: &mut Outbox<Self>,
    ) {
        let counts = self.slot_index(task).is_some_and(|index| {
            let slot = &self.slots[index];
            slot.state != TaskState::Done && attempt >= 1 && attempt <= slot.assigned
        });
        if counts {
            self.on_task_done(worker, task, attempt, out);
        }
    }

    fn on_task_done(&mut self, worker: NodeId, task: TaskId, attempt: u32, out: &mut Outbox<Self>) {
        let ignored = CoordEvent::IgnoredCompletion {
            task,
            attempt,
            worker,
        };
        let Some(index) = self.slot_index(task) else {
            return out.emit(ignored); // another phase's task: late, or the job is done
        };
        let slot = &mut self.slots[index];
        if attempt == 0 || attempt > slot.assigned {
            return out.emit(ignored); // never assigned: a confused peer
        }
        let duplicate = slot.state == TaskState::Done;
        if duplicate && self.config.mutant != Some(Mutant::CountDuplicateCompletions) {
            return out.emit(ignored);
        }
        // The first completion wins, whichever attempt it came from: its outputs were renamed
        // into place before it was sent, and every attempt writes the same outputs.
        slot.state = TaskState::Done;
        self.done_count += 1;
        out.cancel_timer(CoordTimer::TaskTimeout(task));
        out.emit(CoordEvent::Completed {
            task,
            attempt,
            worker,
        });
        if self.done_count >= self.slots.len() {
            self.finish_phase(out);
        }
    }

    fn on_task_timeout(&mut self, now: Time, task: TaskId, out: &mut Outbox<Self>) {
        let Some(index) = self.slot_index(task) else {
            return; // a stale timer from the previous phase
        };
        let slot = &mut self.slots[index];
        let TaskState::InProgress {
            worker,
            attempt,
            deadline,
        } = slot.state
        else {
            return; // done or already back in the pool
        };
        if deadline > now || self.config.mutant == Some(Mutant::NoReassign) {
            return;
        }
        // Back to the pool: the next worker to ask gets it.
        slot.state = TaskState::Idle;
        out.emit(CoordEvent::TimedOut {
            task,
            attempt,
            worker,
        });
    }

    fn assign(
        &mut self,
        now: Time,
        index: usize,
        worker: NodeId,
        seq: u64,
        out: &mut Outbox<Self>,
    ) {
        let deadline = now.plus_ms(self.config.task_timeout_ms);
        let slot = &mut self.slots[index];
        assert_eq!(
            slot.state,
            TaskState::Idle,
            "{}: {} assigned twice",
            self.id,
            slot.id
        );
        slot.assigned += 1;
        let attempt = slot.assigned;
        slot.state = TaskState::InProgress {
            worker,
            attempt,
            deadline,
        };
        let task = self.task(index);
        assert!(task.is_well_formed(), "{}: {task:?}", self.id);
        out.set_timer(CoordTimer::TaskTimeout(task.id), deadline);
        out.emit(CoordEvent::Assigned {
            task: task.id,
            attempt,
            worker,
        });
        out.send(
            worker,
            MrMsg::Reply {
                seq,
                reply: Reply::Assign(task),
            },
        );
    }

    fn finish_phase(&mut self, out: &mut Outbox<Self>) {
        match self.phase {
            Phase::Map => {
                out.emit(CoordEvent::MapPhaseDone);
                self.begin_reduce_phase();
            }
            Phase::Reduce => {
                assert!(!self.job_done_emitted, "{}: the job ended twice", self.id);
                self.phase = Phase::Done;
                self.job_done_emitted = true;
                out.emit(CoordEvent::JobDone);
            }
            Phase::Done => unreachable!("{}: a phase finished after the job", self.id),
        }
    }

    fn begin_reduce_phase(&mut self) {
        assert_eq!(self.phase, Phase::Map, "{}", self.id);
        self.phase = Phase::Reduce;
        self.slots = (0..self.config.n_reduce)
            .map(|i| Slot::new(TaskId::reduce(i)))
            .collect();
        self.done_count = 0;
    }

    fn slot_index(&self, task: TaskId) -> Option<usize> {
        let kind = match self.phase {
            Phase::Map => TaskKind::Map,
            Phase::Reduce => TaskKind::Reduce,
            Phase::Done => return None,
        };
        let index = task.index as usize;
        (task.kind == kind && index < self.slots.len()).then_some(index)
    }

    fn held_by_anyone(&self) -> bool {
        self.slots
            .iter()
            .any(|slot| matches!(slot.state, TaskState::InProgress { .. }))
    }

    fn held_by(&self, worker: NodeId) -> Option<usize> {
        self.slots.iter().position(
            |slot| matches!(slot.state, TaskState::InProgress { worker: w, .. } if w == worker),
        )
    }

    fn task(&self, index: usize) -> Task {
        let slot = &self.slots[index];
        let attempt = match slot.state {
            TaskState::InProgress { attempt, .. } => attempt,
            TaskState::Idle | TaskState::Done => unreachable!("{}: task() of a free slot", self.id),
        };
        let input = match slot.id.kind {
            TaskKind::Map => Some(self.config.inputs[index].clone()),
            TaskKind::Reduce => None,
        };
        Task {
            id: slot.id,
            attempt,
            input,
            n_map: self.config.n_map(),
            n_reduce: self.config.n_reduce,
        }
    }
}

impl Slot {
    fn new(id: TaskId) -> Slot {
        Slot {
            id,
            assigned: 0,
            state: TaskState::Idle,
        }
    }
}

#[cfg(test)]
#[path = "coordinator_tests.rs"]
mod tests;
