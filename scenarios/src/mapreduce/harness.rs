//! The course's `test-mr.sh` on the kit's harness: a coordinator, workers started when the
//! script starts them, the shared file system, and the checks, all in virtual time.
//!
//! The script and the file system are the harness's hooks ([`Shell`]): they carry out each
//! file operation a worker asks for after a seeded delay, start looped workers again, and
//! inject the crash app's deaths and stalls.

use super::chaos::Chaos;
use super::checks;
use super::fs::{CrashLoss, SharedFs};
use super::watch::MrWatch;
use mapreduce::WorkerEvent;
use mapreduce::{AppKind, ExitReason, FsError, FsOp, FsReply, MrConfig, MrEvent, MrNode};
use mapreduce::{MrNodeConfig, MrRequest, OpId, Phase, TaskKind};
use protocol_core::rng::{range_inclusive, Rng};
use protocol_core::{NodeId, Time};
use sim::{FaultAction, NetworkConfig, NodeState, Sim, StorageClass};
use sim_kit::{Harness, Hooks, RunOptions, RunReport};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::{Deref, DerefMut};

pub use sim_kit::Step;

pub const COORDINATOR: NodeId = NodeId(0);

/// A file operation on its way: carried out and answered at its due time.
struct PendingOp {
    node: NodeId,
    incarnation: u32,
    op: OpId,
    request: FsOp,
}

/// The shell script and the shared file system: the harness's part of a MapReduce run.
pub struct Shell {
    pub workers: Vec<NodeId>,
    /// Workers that are started again whenever they die or leave before the job is done.
    pub restart_on_exit: BTreeSet<NodeId>,
    pub chaos: Option<Chaos>,
    fs_rng: Rng,
    pending: BTreeMap<(Time, u64), PendingOp>,
    next_pending: u64,
    /// The output when the coordinator reported the job done; it must never change after.
    output_at_done: Option<Vec<String>>,
    fs_version_checked: u64,
}

type MrSim = Sim<MrNode, MrWatch>;

/// The shared file system loses a crashed writer's unsynced data as the run's disks would.
fn follow_storage(kit: &mut MrKit) {
    let storage = kit.sim.storage();
    let loss = CrashLoss {
        unsynced: storage.has(StorageClass::UnsyncedLoss),
        torn: storage.has(StorageClass::TornWrites),
    };
    kit.sim.observer_mut().fs.set_crash_loss(loss);
}

impl Hooks<MrNode, MrWatch> for Shell {
    fn on_emit(&mut self, sim: &mut MrSim, node: NodeId, event: MrEvent) -> Step {
        match event {
            MrEvent::Worker(WorkerEvent::Fs { op, request }) => {
                self.on_fs_op(sim, node, op, request)
            }
            MrEvent::Worker(WorkerEvent::Started { .. }) => {
                if let Some(chaos) = self.chaos.as_mut() {
                    chaos.on_started(node);
                }
                Ok(())
            }
            MrEvent::Worker(WorkerEvent::Exited(reason)) => {
                self.on_exited(sim, node, reason);
                Ok(())
            }
            MrEvent::Coordinator(mapreduce::CoordEvent::JobDone) => {
                if self.output_at_done.is_none() {
                    self.output_at_done = Some(sim.observer().fs.sorted_output());
                    self.fs_version_checked = sim.observer().fs.version();
                }
                Ok(())
            }
            MrEvent::Worker(_) | MrEvent::Coordinator(_) => Ok(()),
        }
    }

    fn next_wake(&self) -> Option<Time> {
        self.pending.keys().next().map(|(at, _)| *at)
    }

    /// Carries out every operation now due, and answers it.
    fn on_wake(&mut self, sim: &mut MrSim) -> Step {
        let now = sim.now();
        while let Some(entry) = self.pending.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let pending = entry.remove();
            let node = pending.node;
            if !sim.is_up(node) || sim.incarnation(node) != pending.incarnation {
                continue; // the worker died with the operation in flight: it never happened
            }
            let paused_until = sim.paused_until(node);
            if paused_until > now {
                self.pending
                    .insert((paused_until, self.next_pending), pending);
                self.next_pending += 1;
                continue;
            }
            let result = sim.observer_mut().fs.execute(node, pending.request);
            self.check_output_stable(sim)?;
            if let Err(FsError::NotFound { name }) = &result {
                check_not_lost(sim, node, name)?;
            }
            let reply = FsReply {
                op: pending.op,
                result,
            };
            sim.request(node, MrRequest::Worker(reply));
        }
        Ok(())
    }
}

impl Shell {
    fn on_fs_op(&mut self, sim: &mut MrSim, node: NodeId, op: OpId, request: FsOp) -> Step {
        let fate = self.chaos.as_mut().and_then(|chaos| chaos.on_op(node));
        match fate {
            Some(FaultAction::Crash(_)) => {
                self.crash_worker(sim, node);
                return Ok(());
            }
            Some(action) => sim.apply(action),
            None => {}
        }
        sim.observer_mut().fs.begin(node, &request);
        self.check_output_stable(sim)?;
        let delay_us = range_inclusive(&mut self.fs_rng, 20, 500);
        let at = sim.now().plus_micros(delay_us);
        let incarnation = sim.incarnation(node);
        let pending = PendingOp {
            node,
            incarnation,
            op,
            request,
        };
        self.pending.insert((at, self.next_pending), pending);
        self.next_pending += 1;
        Ok(())
    }

    fn on_exited(&mut self, sim: &mut MrSim, node: NodeId, reason: ExitReason) {
        sim.note(format!("{node} exited: {reason:?}"));
        if self.restart_on_exit.contains(&node) && !job_done(sim) {
            // The process is gone; the course's loop starts another one a second later.
            self.crash_worker(sim, node);
        }
    }

    /// Kills a worker process; a looped one is started again a second later.
    pub fn crash_worker(&mut self, sim: &mut MrSim, node: NodeId) {
        sim.crash(node);
        if self.restart_on_exit.contains(&node) && !job_done(sim) {
            let at = sim.now().plus_ms(1_000);
            sim.schedule(at, FaultAction::Restart(node));
        }
    }

    /// After the job is done, no output may change: not by a late duplicate, not by a
    /// write in progress.
    fn check_output_stable(&mut self, sim: &mut MrSim) -> Step {
        let version = sim.observer().fs.version();
        let Some(at_done) = &self.output_at_done else {
            return Ok(());
        };
        if version == self.fs_version_checked {
            return Ok(());
        }
        self.fs_version_checked = version;
        let now = sim.observer().fs.sorted_output();
        if &now != at_done {
            let message = format!(
                "output changed after the job was done: {}",
                diff(at_done, &now)
            );
            return Err(sim.fail_with(checks::OUTPUT_STABLE, message));
        }
        Ok(())
    }

    /// Every worker process is gone: exited, or dead and not coming back.
    pub fn all_workers_gone(&self, sim: &MrSim) -> bool {
        self.workers.iter().all(|&w| match sim.node(w) {
            Some(MrNode::Worker(worker)) => worker.has_exited(),
            Some(MrNode::Coordinator(_)) => unreachable!("{w} is a worker"),
            None => !self.restart_on_exit.contains(&w) || job_done(sim),
        })
    }
}

/// A read that found nothing must not be of an intermediate file of a map the coordinator
/// counts complete: that output is gone for good, and its reduce can never run.
fn check_not_lost(sim: &mut MrSim, reader: NodeId, name: &str) -> Step {
    let map = name
        .strip_prefix("mr-")
        .and_then(|rest| rest.split_once('-'))
        .and_then(|(map, reduce)| Some((map.parse::<u32>().ok()?, reduce.parse::<u32>().ok()?)))
        .filter(|&(map, reduce)| mapreduce::intermediate_name(map, reduce) == name)
        .map(|(map, _)| map);
    match map {
        Some(map) if sim.observer().map_completed(map) => {
            let message = format!("{reader} found {name} missing, but map {map} completed");
            // The reader and the coordinator that counted the map complete.
            let violation =
                sim::Violation::new(checks::LOST_OUTPUT, message).involving([reader, COORDINATOR]);
            Err(sim.fail(violation))
        }
        _ => Ok(()),
    }
}

fn job_done(sim: &MrSim) -> bool {
    sim.observer().job_done_at.is_some()
}

/// The kit's harness of a MapReduce run.
pub type MrKit = Harness<MrNode, MrWatch, Shell>;

/// The kit's harness with the course script's state; it derefs to the harness beneath.
/// A node on the failure page's timeline: the coordinator by its phase, a worker by the
/// task it runs (`map 3`), or idle, or exited.
fn describe(node: &MrNode) -> NodeState {
    match node {
        MrNode::Coordinator(coordinator) => NodeState::new(match coordinator.phase() {
            Phase::Map => "map phase",
            Phase::Reduce => "reduce phase",
            Phase::Done => "job done",
        }),
        MrNode::Worker(worker) => match worker.current_task() {
            Some(task) => {
                let kind = match task.kind {
                    TaskKind::Map => "map",
                    TaskKind::Reduce => "reduce",
                };
                NodeState::numbered(kind, u64::from(task.index))
            }
            None if worker.has_exited() => NodeState::new("exited"),
            None => NodeState::new("idle"),
        },
    }
}

pub struct MrHarness {
    kit: MrKit,
    pub config: MrConfig,
    pub rng: Rng,
    /// The sequential output, sorted non-empty lines.
    pub expected: Cow<'static, [String]>,
}

impl Deref for MrHarness {
    type Target = MrKit;

    fn deref(&self) -> &MrKit {
        &self.kit
    }
}

impl DerefMut for MrHarness {
    fn deref_mut(&mut self) -> &mut MrKit {
        &mut self.kit
    }
}

impl MrHarness {
    /// A coordinator for `inputs` running `app`; no workers yet. Past `time_limit` (the
    /// course's `timeout`) the test fails.
    pub fn new(
        options: &RunOptions,
        app: AppKind,
        inputs: &[(String, Vec<u8>)],
        expected: Cow<'static, [String]>,
        time_limit: Time,
    ) -> MrHarness {
        let names = inputs.iter().map(|(name, _)| name.clone()).collect();
        let mut config = MrConfig::course(COORDINATOR, names, app);
        config.mutant = options.mutant();
        let crash_rng = options.rng("fs-crash");
        let watch = MrWatch::new(
            SharedFs::new(inputs),
            crash_rng,
            COORDINATOR,
            config.n_map(),
        );
        let shell = Shell {
            workers: Vec::new(),
            restart_on_exit: BTreeSet::new(),
            chaos: None,
            fs_rng: options.rng("fs"),
            pending: BTreeMap::new(),
            next_pending: 0,
            output_at_done: None,
            fs_version_checked: 0,
        };
        let mut kit = Harness::new(options, NetworkConfig::reliable(), watch, shell);
        kit.describe_nodes(describe);
        kit.time_limit = time_limit;
        follow_storage(&mut kit);
        let rng = kit.rng("workload");
        let id = kit.sim.add_node(MrNodeConfig::Coordinator(config.clone()));
        assert_eq!(id, COORDINATOR, "the coordinator is the first node");
        MrHarness {
            kit,
            config,
            rng,
            expected,
        }
    }

    pub fn workers(&self) -> &[NodeId] {
        &self.hooks.workers
    }

    /// Draws the seed's storage faults: the shared file system follows their crash
    /// semantics (workers and coordinator have no disks of their own to corrupt).
    pub fn storage_mix(&mut self, start: Time, heal_at: Time) {
        self.kit.storage_mix(&[], start, heal_at);
        follow_storage(&mut self.kit);
    }

    /// Starts a worker process now.
    pub fn add_worker(&mut self) -> NodeId {
        let id = self
            .kit
            .sim
            .add_node(MrNodeConfig::Worker(self.config.clone()));
        self.sim.note(format!("start worker {id}"));
        self.hooks.workers.push(id);
        id
    }

    /// Runs until the coordinator reports the job done, failing past the time limit.
    pub fn run_until_job_done(&mut self) -> Step {
        let limit = self.time_limit;
        if !self.run_until_done(limit, |h| job_done(&h.sim))? {
            let message = format!("the job was not done by {limit}");
            return Err(self.fail(checks::JOB_DONE, message));
        }
        Ok(())
    }

    /// `sort mr-out* | grep .` must equal the sequential output.
    pub fn check_output(&mut self, when: &str) -> Step {
        let output = self.watch().fs.sorted_output();
        if output.as_slice() != &*self.expected {
            let message = format!(
                "output {when} differs from the sequential run: {}",
                diff(&self.expected, &output)
            );
            return Err(self.fail(checks::OUTPUT, message));
        }
        Ok(())
    }

    pub fn report(&mut self, verdict: Step) -> RunReport {
        let goals = self.watch().goals.clone();
        self.reached(&goals);
        let watch = self.watch();
        let starts: u32 = watch.started.values().sum();
        let (crashes, done_at) = (watch.crashes, watch.job_done_at);
        let app = self.config.app.to_string();
        self.fact("app", app);
        let workers = self.workers().len() as u64;
        self.metric("workers", workers);
        self.metric("task-starts", u64::from(starts));
        self.metric("crashes", u64::from(crashes));
        if let Some(done) = done_at {
            self.metric("job-done-ms", done.as_ms());
        }
        self.kit.report(verdict)
    }
}

/// What scenarios ask of a MapReduce run, also inside `run_until_done` conditions.
pub trait MrQueries {
    fn watch(&self) -> &MrWatch;
    fn job_done(&self) -> bool;
    fn has_exited(&self, worker: NodeId) -> bool;
    /// Every worker process is gone: exited, or dead and not coming back.
    fn all_workers_gone(&self) -> bool;
}

impl MrQueries for MrKit {
    fn watch(&self) -> &MrWatch {
        self.sim.observer()
    }

    fn job_done(&self) -> bool {
        job_done(&self.sim)
    }

    fn has_exited(&self, worker: NodeId) -> bool {
        matches!(self.sim.node(worker), Some(MrNode::Worker(w)) if w.has_exited())
    }

    fn all_workers_gone(&self) -> bool {
        self.hooks.all_workers_gone(&self.sim)
    }
}

/// A short account of how two sorted outputs differ.
pub fn diff(expected: &[String], got: &[String]) -> String {
    let first = expected
        .iter()
        .zip(got)
        .find(|(a, b)| a != b)
        .map(|(a, b)| format!("; first difference: expected {a:?}, got {b:?}"))
        .unwrap_or_default();
    format!(
        "{} lines expected, {} found{first}",
        expected.len(),
        got.len()
    )
}
