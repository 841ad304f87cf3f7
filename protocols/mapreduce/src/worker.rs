//! The worker: asks for a task, runs it through file operations its driver carries out, and
//! reports it done once every output is renamed into place.

use crate::apps::{App, CallContext, KeyValue};
use crate::compute::{decode_intermediate, encode_intermediate, run_map, run_reduce};
use crate::config::{MrConfig, Mutant};
use crate::fs::{FsData, FsOp, FsReply, OpId};
use crate::msg::{MrMsg, Reply};
use crate::task::{intermediate_name, output_name, temp_name, Task, TaskId, TaskKind};
use protocol_core::{BootError, Disk, Input, Node, NodeId, Outbox, Time};
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkerTimer {
    /// Ask the coordinator (again): no answer came, or it said to wait.
    Ask,
    /// The app's declared duration for the computed task is over.
    Work,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum WorkerEvent {
    /// Carry out `request` and answer with `Input::Request(FsReply { op, .. })`.
    Fs {
        op: OpId,
        request: FsOp,
    },
    Started {
        task: TaskId,
        attempt: u32,
    },
    /// Outputs renamed into place and `TaskDone` sent.
    Finished {
        task: TaskId,
        attempt: u32,
    },
    /// A file operation failed; the coordinator's timeout will hand the task on.
    Abandoned {
        task: TaskId,
        attempt: u32,
        reason: String,
    },
    Exited(ExitReason),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitReason {
    JobDone,
    CoordinatorGone,
}

enum State {
    /// Request `seq` is out; `unanswered` earlier requests in a row got no answer.
    Asking {
        seq: u64,
        unanswered: u32,
    },
    /// Told to wait; the Ask timer will ask again.
    Waiting,
    Working(Job),
    Exited,
}

struct Job {
    task: Task,
    stage: Stage,
    /// The operation whose reply we wait for (none while holding).
    pending: Option<OpId>,
    /// Reduce: files matching the app's listing prefix.
    listed: usize,
    /// Reduce: pairs read so far from `mr-X-Y`.
    gathered: Vec<KeyValue>,
}

enum Stage {
    /// Operations before the input is read (jobcount's marker, a reduce's listing).
    Prepare(VecDeque<FsOp>),
    /// Reading the input file (map) or `mr-next-Y` (reduce).
    Reading { next: u32 },
    /// Computed; waiting out the app's declared duration before writing.
    Holding(VecDeque<FsOp>),
    /// Writing temps and renaming them into place, one operation at a time.
    Writing(VecDeque<FsOp>),
}

pub struct Worker {
    id: NodeId,
    config: MrConfig,
    app: &'static dyn App,
    state: State,
    next_seq: u64,
    next_op: u64,
    /// Map calls made by this incarnation (jobcount names its markers with it).
    invocations: u64,
    /// The task last reported done, repeated in requests until one is answered.
    last_finished: Option<(TaskId, u32)>,
}

impl Node for Worker {
    type Msg = MrMsg;
    type Timer = WorkerTimer;
    type Request = FsReply;
    type Event = WorkerEvent;
    type Config = MrConfig;

    fn boot(
        config: &MrConfig,
        id: NodeId,
        _disk: &Disk,
        _seed: u64,
        now: Time,
        out: &mut Outbox<Self>,
    ) -> Result<Self, BootError> {
        if let Some(reason) = config.worker_invalid_reason() {
            return Err(BootError::InvalidConfig { node: id, reason });
        }
        assert_ne!(id, config.coordinator, "{id}: booted as a worker");
        let mut worker = Worker {
            id,
            config: config.clone(),
            app: config.app.app(),
            state: State::Waiting,
            next_seq: 0,
            next_op: 0,
            invocations: 0,
            last_finished: None,
        };
        worker.ask(now, 0, out);
        Ok(worker)
    }

    fn handle(&mut self, now: Time, input: Input<Self>, out: &mut Outbox<Self>) {
        match input {
            Input::Message { from, msg } => match msg {
                MrMsg::Reply { seq, reply } if from == self.config.coordinator => {
                    self.on_reply(now, seq, reply, out)
                }
                // Not from the coordinator, or not for a worker: a confused peer.
                MrMsg::Reply { .. } | MrMsg::RequestTask { .. } | MrMsg::TaskDone { .. } => {}
            },
            Input::Timer(WorkerTimer::Ask) => self.on_ask_timer(now, out),
            Input::Timer(WorkerTimer::Work) => self.on_work_timer(now, out),
            Input::Request(reply) => self.on_fs_reply(now, reply, out),
            // Its files are the shared file system's, reached through requests: no syncs.
            Input::Synced { .. } => {}
        }
    }

    fn check_invariants(&self) {
        if let State::Working(job) = &self.state {
            let holding = matches!(job.stage, Stage::Holding(_));
            assert_eq!(
                job.pending.is_none(),
                holding,
                "{}: {}",
                self.id,
                job.task.id
            );
            assert!(job.task.is_well_formed(), "{}: {:?}", self.id, job.task);
        }
    }
}

impl Worker {
    pub fn has_exited(&self) -> bool {
        matches!(self.state, State::Exited)
    }

    /// The task under way, if any (for timelines and tests).
    pub fn current_task(&self) -> Option<TaskId> {
        match &self.state {
            State::Working(job) => Some(job.task.id),
            State::Asking { .. } | State::Waiting | State::Exited => None,
        }
    }

    fn on_reply(&mut self, now: Time, seq: u64, reply: Reply, out: &mut Outbox<Self>) {
        match self.state {
            State::Asking { seq: asked, .. } if asked == seq => {}
            // A late answer to an earlier request, or a duplicate: we moved on.
            State::Asking { .. } | State::Waiting | State::Working(_) | State::Exited => return,
        }
        // An answer to a request that named it: the coordinator has the completion.
        self.last_finished = None;
        match reply {
            Reply::Assign(task) if task.is_well_formed() => {
                out.cancel_timer(WorkerTimer::Ask);
                self.start_job(now, task, out);
            }
            Reply::Assign(_) => {} // malformed: keep asking (the Ask timer is armed)
            Reply::Wait if self.config.mutant == Some(Mutant::ExitOnWait) => {
                self.exit(ExitReason::JobDone, out)
            }
            Reply::Wait => {
                self.state = State::Waiting;
                out.set_timer(WorkerTimer::Ask, now.plus_ms(self.config.poll_ms));
            }
            Reply::Exit => self.exit(ExitReason::JobDone, out),
        }
    }

    fn on_ask_timer(&mut self, now: Time, out: &mut Outbox<Self>) {
        match self.state {
            State::Asking { unanswered, .. } => {
                let unanswered = unanswered + 1;
                let limit = self.config.give_up_after_unanswered;
                if limit > 0 && unanswered >= limit {
                    return self.exit(ExitReason::CoordinatorGone, out);
                }
                self.ask(now, unanswered, out);
            }
            State::Waiting => self.ask(now, 0, out),
            State::Working(_) | State::Exited => {} // stale
        }
    }

    fn on_work_timer(&mut self, now: Time, out: &mut Outbox<Self>) {
        let State::Working(job) = &mut self.state else {
            return; // stale
        };
        if let Stage::Holding(ops) = &mut job.stage {
            job.stage = Stage::Writing(std::mem::take(ops));
            self.next_step(now, out);
        }
    }

    fn on_fs_reply(&mut self, now: Time, reply: FsReply, out: &mut Outbox<Self>) {
        let id = self.id;
        let State::Working(job) = &mut self.state else {
            unreachable!("{id}: a file reply {reply:?} with no task running: driver bug");
        };
        assert_eq!(
            job.pending,
            Some(reply.op),
            "{id}: reply to an op not asked"
        );
        job.pending = None;
        match reply.result {
            Ok(data) => self.on_fs_data(now, data, out),
            Err(error) => self.abandon(now, error.to_string(), out),
        }
    }

    fn on_fs_data(&mut self, now: Time, data: FsData, out: &mut Outbox<Self>) {
        let id = self.id;
        let State::Working(job) = &mut self.state else {
            unreachable!("{id}: checked by on_fs_reply");
        };
        match (&mut job.stage, data) {
            (Stage::Prepare(_), FsData::Names(names)) => job.listed = names.len(),
            (Stage::Prepare(_), FsData::Done) | (Stage::Writing(_), FsData::Done) => {}
            (Stage::Reading { .. }, FsData::Bytes(bytes)) => return self.on_read(now, bytes, out),
            (_, data) => unreachable!("{id}: reply {data:?} does not fit the op: driver bug"),
        }
        self.next_step(now, out);
    }

    /// The input (map) or one intermediate file (reduce) arrived.
    fn on_read(&mut self, now: Time, bytes: Vec<u8>, out: &mut Outbox<Self>) {
        let State::Working(job) = &mut self.state else {
            unreachable!("{}: checked by on_fs_reply", self.id);
        };
        let Stage::Reading { next } = &mut job.stage else {
            unreachable!("{}: checked by on_fs_data", self.id);
        };
        match job.task.id.kind {
            TaskKind::Map => self.compute_map(now, bytes, out),
            TaskKind::Reduce => match decode_intermediate(&bytes) {
                Err(reason) => self.abandon(now, reason, out),
                Ok(pairs) => {
                    job.gathered.extend(pairs);
                    *next += 1;
                    if *next < job.task.n_map {
                        self.next_step(now, out);
                    } else {
                        self.compute_reduce(now, out);
                    }
                }
            },
        }
    }

    fn compute_map(&mut self, now: Time, contents: Vec<u8>, out: &mut Outbox<Self>) {
        let ctx = self.context(now);
        let State::Working(job) = &mut self.state else {
            unreachable!("{}: checked by on_fs_reply", self.id);
        };
        let task = &job.task;
        let input = task
            .input
            .as_deref()
            .expect("a well-formed map task has an input");
        let (buckets, duration_ms) = run_map(self.app, &ctx, input, &contents, task.n_reduce);
        self.invocations += 1;
        let files = buckets
            .iter()
            .enumerate()
            .map(|(y, pairs)| {
                (
                    intermediate_name(task.id.index, y as u32),
                    encode_intermediate(pairs),
                )
            })
            .collect();
        self.hold(now, files, duration_ms, out);
    }

    fn compute_reduce(&mut self, now: Time, out: &mut Outbox<Self>) {
        let mut ctx = self.context(now);
        let State::Working(job) = &mut self.state else {
            unreachable!("{}: checked by on_fs_reply", self.id);
        };
        ctx.listed = job.listed;
        let pairs = std::mem::take(&mut job.gathered);
        let output = output_name(job.task.id.index);
        match run_reduce(self.app, &ctx, pairs) {
            Ok((text, duration_ms)) => {
                self.hold(now, vec![(output, text.into_bytes())], duration_ms, out)
            }
            Err(reason) => self.abandon(now, reason, out),
        }
    }

    /// Plans the writes of `files` (temp, sync, then rename) and waits out `duration_ms` first.
    fn hold(
        &mut self,
        now: Time,
        files: Vec<(String, Vec<u8>)>,
        duration_ms: u64,
        out: &mut Outbox<Self>,
    ) {
        let State::Working(job) = &mut self.state else {
            unreachable!("{}: hold without a job", self.id);
        };
        let mut writes = VecDeque::new();
        let mut renames = VecDeque::new();
        for (name, bytes) in files {
            if self.config.mutant == Some(Mutant::WriteInPlace) {
                writes.push_back(FsOp::WriteTemp { name, bytes });
                continue;
            }
            let temp = temp_name(self.id.0, &job.task, &name);
            writes.push_back(FsOp::WriteTemp {
                name: temp.clone(),
                bytes,
            });
            // Durable before it takes the final name: a crash must not leave that name with
            // less than this attempt wrote.
            if self.config.mutant != Some(Mutant::SkipSync) {
                writes.push_back(FsOp::Sync { name: temp.clone() });
            }
            renames.push_back(FsOp::Rename {
                from: temp,
                to: name,
            });
        }
        writes.extend(renames);
        if duration_ms == 0 {
            job.stage = Stage::Writing(writes);
            return self.next_step(now, out);
        }
        job.stage = Stage::Holding(writes);
        out.set_timer(WorkerTimer::Work, now.plus_ms(duration_ms));
    }

    fn start_job(&mut self, now: Time, task: Task, out: &mut Outbox<Self>) {
        out.emit(WorkerEvent::Started {
            task: task.id,
            attempt: task.attempt,
        });
        let mut prepare = VecDeque::new();
        match task.id.kind {
            TaskKind::Map => {
                if let Some(marker) = self.app.map_marker(&self.context(now)) {
                    let temp = temp_name(self.id.0, &task, &marker);
                    prepare.push_back(FsOp::WriteTemp {
                        name: temp.clone(),
                        bytes: Vec::new(),
                    });
                    prepare.push_back(FsOp::Rename {
                        from: temp,
                        to: marker,
                    });
                }
            }
            TaskKind::Reduce => {
                if let Some(prefix) = self.app.reduce_listing_prefix() {
                    prepare.push_back(FsOp::List {
                        prefix: prefix.to_string(),
                    });
                }
            }
        }
        self.state = State::Working(Job {
            task,
            stage: Stage::Prepare(prepare),
            pending: None,
            listed: 0,
            gathered: Vec::new(),
        });
        self.next_step(now, out);
    }

    /// Issues the job's next file operation, or reports the job done when none is left.
    fn next_step(&mut self, now: Time, out: &mut Outbox<Self>) {
        let State::Working(job) = &mut self.state else {
            unreachable!("{}: next_step without a job", self.id);
        };
        assert!(job.pending.is_none(), "{}: two ops at once", self.id);
        if let Stage::Prepare(ops) = &mut job.stage {
            if ops.is_empty() {
                job.stage = Stage::Reading { next: 0 };
            }
        }
        let op = match &mut job.stage {
            Stage::Prepare(ops) | Stage::Writing(ops) => ops.pop_front(),
            Stage::Reading { next } => Some(FsOp::Read {
                name: match job.task.id.kind {
                    TaskKind::Map => job.task.input.clone().expect("a map task has an input"),
                    TaskKind::Reduce => intermediate_name(*next, job.task.id.index),
                },
            }),
            Stage::Holding(_) => unreachable!("{}: next_step while holding", self.id),
        };
        match op {
            Some(request) => {
                let op = OpId(self.next_op);
                self.next_op += 1;
                job.pending = Some(op);
                out.emit(WorkerEvent::Fs { op, request });
            }
            None => self.finish_job(now, out),
        }
    }

    fn finish_job(&mut self, now: Time, out: &mut Outbox<Self>) {
        let State::Working(job) = &self.state else {
            unreachable!("{}: finish without a job", self.id);
        };
        let (task, attempt) = (job.task.id, job.task.attempt);
        out.send(self.config.coordinator, MrMsg::TaskDone { task, attempt });
        out.emit(WorkerEvent::Finished { task, attempt });
        self.last_finished = Some((task, attempt));
        self.ask(now, 0, out);
    }

    fn abandon(&mut self, now: Time, reason: String, out: &mut Outbox<Self>) {
        let State::Working(job) = &self.state else {
            unreachable!("{}: abandon without a job", self.id);
        };
        let (task, attempt) = (job.task.id, job.task.attempt);
        out.emit(WorkerEvent::Abandoned {
            task,
            attempt,
            reason,
        });
        self.ask(now, 0, out);
    }

    fn ask(&mut self, now: Time, unanswered: u32, out: &mut Outbox<Self>) {
        self.next_seq += 1;
        let seq = self.next_seq;
        self.state = State::Asking { seq, unanswered };
        let finished = self.last_finished;
        out.send(
            self.config.coordinator,
            MrMsg::RequestTask { seq, finished },
        );
        out.set_timer(
            WorkerTimer::Ask,
            now.plus_ms(self.config.request_timeout_ms),
        );
    }

    fn exit(&mut self, reason: ExitReason, out: &mut Outbox<Self>) {
        self.state = State::Exited;
        out.cancel_timer(WorkerTimer::Ask);
        out.cancel_timer(WorkerTimer::Work);
        out.emit(WorkerEvent::Exited(reason));
    }

    fn context(&self, now: Time) -> CallContext {
        CallContext {
            worker: self.id,
            now,
            invocation: self.invocations,
            listed: 0,
        }
    }
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
