//! The course's `test-mr.sh` on the simulator: a coordinator, workers started when the
//! script starts them, the shared file system, and the checks, all in virtual time.

use super::chaos::Chaos;
use super::fs::SharedFs;
use super::watch::MrWatch;
use crate::outcome::{RunOptions, RunReport};
use mapreduce::WorkerEvent;
use mapreduce::{AppKind, ExitReason, FsOp, FsReply, MrConfig, MrEvent, MrNode, Mutant, OpId};
use protocol_core::rng::{range_inclusive, Rng};
use protocol_core::{NodeId, Time};
use sim::{Failure, FaultAction, NetworkConfig, Sim, Violation};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

pub type Step<T = ()> = Result<T, Failure>;

pub const COORDINATOR: NodeId = NodeId(0);

/// A file operation on its way: carried out and answered at its due time.
struct PendingOp {
    node: NodeId,
    incarnation: u32,
    op: OpId,
    request: FsOp,
}

pub struct MrHarness {
    pub sim: Sim<MrNode, MrWatch>,
    pub config: MrConfig,
    pub rng: Rng,
    /// The sequential output, sorted non-empty lines.
    pub expected: Cow<'static, [String]>,
    pub workers: Vec<NodeId>,
    /// Like the course's timeout(1): past it the test fails.
    pub time_limit: Time,
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

impl MrHarness {
    /// A coordinator for `inputs` running `app`; no workers yet.
    pub fn new(
        options: &RunOptions,
        app: AppKind,
        inputs: &[(String, Vec<u8>)],
        expected: Cow<'static, [String]>,
        time_limit: Time,
    ) -> MrHarness {
        let mutant = options.mutant.as_deref().map(|name| {
            // The registry validated the name against mapreduce's list before the run.
            name.parse::<Mutant>().expect("validated mutant name")
        });
        let names = inputs.iter().map(|(name, _)| name.clone()).collect();
        let mut config = MrConfig::course(COORDINATOR, names, app);
        config.mutant = mutant;
        let watch = MrWatch::new(SharedFs::new(inputs), COORDINATOR, config.n_map());
        let mut sim = Sim::new(
            options.seed,
            NetworkConfig::reliable(),
            watch,
            options.full_trace,
        );
        sim.capture_emits(true);
        let rng = sim.derive_rng("workload");
        let fs_rng = sim.derive_rng("fs");
        let id = sim.add_node(config.clone());
        assert_eq!(id, COORDINATOR, "the coordinator is the first node");
        MrHarness {
            sim,
            config,
            rng,
            expected,
            workers: Vec::new(),
            time_limit,
            restart_on_exit: BTreeSet::new(),
            chaos: None,
            fs_rng,
            pending: BTreeMap::new(),
            next_pending: 0,
            output_at_done: None,
            fs_version_checked: 0,
        }
    }

    pub fn fail(&mut self, check: &str, message: impl Into<String>) -> Failure {
        self.sim.fail(Violation::new(check, message))
    }

    pub fn watch(&self) -> &MrWatch {
        self.sim.observer()
    }

    /// Starts a worker process now.
    pub fn add_worker(&mut self) -> NodeId {
        let id = self.sim.add_node(self.config.clone());
        self.sim.note(format!("start worker {id}"));
        self.workers.push(id);
        id
    }

    pub fn job_done(&self) -> bool {
        self.watch().job_done_at.is_some()
    }

    pub fn has_exited(&self, worker: NodeId) -> bool {
        matches!(self.sim.node(worker), Some(MrNode::Worker(w)) if w.has_exited())
    }

    /// Every worker process is gone: exited, or dead and not coming back.
    pub fn all_workers_gone(&self) -> bool {
        self.workers.iter().all(|&w| match self.sim.node(w) {
            Some(MrNode::Worker(worker)) => worker.has_exited(),
            Some(MrNode::Coordinator(_)) => unreachable!("{w} is a worker"),
            None => !self.restart_on_exit.contains(&w) || self.job_done(),
        })
    }

    // ---- time ------------------------------------------------------------------------

    pub fn run_until(&mut self, deadline: Time) -> Step {
        self.run_while(deadline, |_| true).map(drop)
    }

    pub fn sleep_ms(&mut self, ms: u64) -> Step {
        self.run_until(self.sim.now().plus_ms(ms))
    }

    /// Runs until `keep_going` turns false (true) or `deadline` passes (false), carrying
    /// out the workers' file operations as they come due.
    pub fn run_while(
        &mut self,
        deadline: Time,
        keep_going: impl Fn(&MrHarness) -> bool,
    ) -> Step<bool> {
        let limit = self.time_limit;
        let stopped = self.run_loop(deadline.min(limit), &keep_going)?;
        if !stopped && deadline > limit {
            return Err(self.fail("time-limit", format!("the test ran past {limit}")));
        }
        Ok(stopped)
    }

    fn run_loop(&mut self, deadline: Time, keep_going: &impl Fn(&MrHarness) -> bool) -> Step<bool> {
        loop {
            if !keep_going(self) {
                return Ok(true);
            }
            let due = self.pending.keys().next().map(|(at, _)| *at);
            let stop = due.map_or(deadline, |at| at.min(deadline));
            if let Some((_, node, event)) = self.sim.run_until_emit(stop)? {
                self.on_event(node, event)?;
                continue;
            }
            if due.is_some_and(|at| at <= deadline) {
                self.deliver_due()?;
                continue;
            }
            return Ok(!keep_going(self));
        }
    }

    /// Runs until the coordinator reports the job done, failing past `limit`.
    pub fn run_until_job_done(&mut self) -> Step {
        let limit = self.time_limit;
        if !self.run_while(limit, |h| !h.job_done())? {
            return Err(self.fail("job-done", format!("the job was not done by {limit}")));
        }
        Ok(())
    }

    fn on_event(&mut self, node: NodeId, event: MrEvent) -> Step {
        match event {
            MrEvent::Worker(WorkerEvent::Fs { op, request }) => self.on_fs_op(node, op, request),
            MrEvent::Worker(WorkerEvent::Started { .. }) => {
                if let Some(chaos) = self.chaos.as_mut() {
                    chaos.on_started(node);
                }
                Ok(())
            }
            MrEvent::Worker(WorkerEvent::Exited(reason)) => {
                self.on_exited(node, reason);
                Ok(())
            }
            MrEvent::Coordinator(mapreduce::CoordEvent::JobDone) => {
                if self.output_at_done.is_none() {
                    self.output_at_done = Some(self.watch().fs.sorted_output());
                    self.fs_version_checked = self.watch().fs.version();
                }
                Ok(())
            }
            MrEvent::Worker(_) | MrEvent::Coordinator(_) => Ok(()),
        }
    }

    fn on_fs_op(&mut self, node: NodeId, op: OpId, request: FsOp) -> Step {
        let fate = self.chaos.as_mut().and_then(|chaos| chaos.on_op(node));
        match fate {
            Some(FaultAction::Crash(_)) => {
                self.crash_worker(node);
                return Ok(());
            }
            Some(action) => self.sim.apply(action),
            None => {}
        }
        self.sim.observer_mut().fs.begin(node, &request);
        self.check_output_stable()?;
        let delay_us = range_inclusive(&mut self.fs_rng, 20, 500);
        let at = self.sim.now().plus_micros(delay_us);
        let incarnation = self.sim.incarnation(node);
        self.pending.insert(
            (at, self.next_pending),
            PendingOp {
                node,
                incarnation,
                op,
                request,
            },
        );
        self.next_pending += 1;
        Ok(())
    }

    /// Carries out every operation now due, and answers it.
    fn deliver_due(&mut self) -> Step {
        let now = self.sim.now();
        while let Some(entry) = self.pending.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let pending = entry.remove();
            let node = pending.node;
            if !self.sim.is_up(node) || self.sim.incarnation(node) != pending.incarnation {
                continue; // the worker died with the operation in flight: it never happened
            }
            let paused_until = self.sim.paused_until(node);
            if paused_until > now {
                self.pending
                    .insert((paused_until, self.next_pending), pending);
                self.next_pending += 1;
                continue;
            }
            let result = self.sim.observer_mut().fs.execute(node, pending.request);
            self.check_output_stable()?;
            self.sim.request(
                node,
                FsReply {
                    op: pending.op,
                    result,
                },
            );
        }
        Ok(())
    }

    fn on_exited(&mut self, node: NodeId, reason: ExitReason) {
        self.sim.note(format!("{node} exited: {reason:?}"));
        if self.restart_on_exit.contains(&node) && !self.job_done() {
            // The process is gone; the course's loop starts another one a second later.
            self.crash_worker(node);
        }
    }

    /// Kills a worker process; a looped one is started again a second later.
    pub fn crash_worker(&mut self, node: NodeId) {
        self.sim.crash(node);
        if self.restart_on_exit.contains(&node) && !self.job_done() {
            let at = self.sim.now().plus_ms(1_000);
            self.sim.schedule(at, FaultAction::Restart(node));
        }
    }

    // ---- checks ----------------------------------------------------------------------

    /// After the job is done, no output may change: not by a late duplicate, not by a
    /// write in progress.
    fn check_output_stable(&mut self) -> Step {
        let version = self.watch().fs.version();
        let Some(at_done) = &self.output_at_done else {
            return Ok(());
        };
        if version == self.fs_version_checked {
            return Ok(());
        }
        self.fs_version_checked = version;
        let now = self.watch().fs.sorted_output();
        if &now != at_done {
            let message = format!(
                "output changed after the job was done: {}",
                diff(at_done, &now)
            );
            return Err(self.fail("output-stable", message));
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
            return Err(self.fail("output", message));
        }
        Ok(())
    }

    pub fn report(
        &self,
        scenario: &'static str,
        options: &RunOptions,
        verdict: Step,
        mut notes: Vec<String>,
    ) -> RunReport {
        let watch = self.watch();
        let starts: u32 = watch.started.values().sum();
        notes.push(format!(
            "{} app, {} workers, {} task starts, {} crashes, job done at {}",
            self.config.app,
            self.workers.len(),
            starts,
            watch.crashes,
            watch
                .job_done_at
                .map_or("never".to_string(), |t| t.to_string())
        ));
        RunReport::from_sim(scenario, options, &self.sim, verdict, notes)
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
