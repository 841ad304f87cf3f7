//! A generic test harness around one simulation: a time limit, failing with a typed check,
//! running until a deadline or a condition while the scenario's hooks play their part, and
//! the run's report with the figures the scenario measured.
//!
//! What is protocol-specific (the course tester's `one`, a client workload, a simulated
//! file system) lives in the scenario's [`Hooks`] and in its own wrapper around the harness;
//! everything else is here once.

use crate::checks;
use crate::goals::Reached;
use crate::options::RunOptions;
use crate::recording::{ClientOp, Recording};
use crate::report::RunReport;
use protocol_core::rng::Rng;
use protocol_core::{CheckId, Node, NodeId, Time};
use sim::{Failure, NetworkConfig, NodeState, Observer, Sim, StorageConfig, StorageMix};
use std::path::PathBuf;

/// A step of a scenario: it goes on, or the run failed and this is why.
pub type Step<T = ()> = Result<T, Failure>;

/// What a scenario does beside the simulated nodes while time passes: answering what nodes
/// emit (take a snapshot, run a client's next operation, carry out a file operation) and
/// acting at times of its own (a client's next call).
pub trait Hooks<N: Node, O: Observer<N>> {
    /// A node emitted `event`; the observer has seen it already.
    fn on_emit(&mut self, sim: &mut Sim<N, O>, node: NodeId, event: N::Event) -> Step {
        let _ = (sim, node, event);
        Ok(())
    }

    /// When the hooks next want to act by themselves, if ever.
    fn next_wake(&self) -> Option<Time> {
        None
    }

    /// Virtual time reached [`Hooks::next_wake`]: act on whatever is due.
    fn on_wake(&mut self, sim: &mut Sim<N, O>) -> Step {
        let _ = sim;
        Ok(())
    }
}

/// No hooks: the nodes run on their own.
impl<N: Node, O: Observer<N>> Hooks<N, O> for () {}

/// One simulated run of a scenario, its hooks, and what the scenario measured.
pub struct Harness<N: Node, O: Observer<N>, H: Hooks<N, O> = ()> {
    pub sim: Sim<N, O>,
    pub hooks: H,
    /// Running past this fails the run (the course's 120 s per test).
    pub time_limit: Time,
    options: RunOptions,
    metrics: Vec<(&'static str, u64)>,
    facts: Vec<(&'static str, String)>,
    artifacts: Vec<(&'static str, PathBuf)>,
    /// Client operations for the run's recording (`options.timeline` only).
    operations: Vec<ClientOp>,
    goals: Reached,
}

/// The course's limit on one test.
pub const COURSE_TIME_LIMIT: Time = Time::from_secs(120);

impl<N: Node, O: Observer<N>, H: Hooks<N, O>> Harness<N, O, H> {
    /// A world for `options` (seed, tracing, budget) on `network`, watched by `observer`,
    /// with every emitted event handed to `hooks`. No nodes yet.
    pub fn new(options: &RunOptions, network: NetworkConfig, observer: O, hooks: H) -> Self {
        let mut sim = Sim::new(options.seed, network, observer, options.trace.clone());
        sim.set_choices(options.choices.clone());
        sim.set_strategy(options.strategy);
        sim.set_budget(options.budget);
        sim.set_storage(StorageConfig::crashes_only().masked(options.storage_faults));
        sim.capture_emits(true);
        if options.timeline {
            sim.record_timeline();
        }
        Harness {
            sim,
            hooks,
            time_limit: COURSE_TIME_LIMIT,
            options: options.clone(),
            metrics: Vec::new(),
            facts: Vec::new(),
            artifacts: Vec::new(),
            operations: Vec::new(),
            goals: Reached::new(),
        }
    }

    /// How the family's nodes appear on the failure page and in Chrome traces: a short
    /// label and a number (`leader` 3). Asked only while a timeline is recorded; call it
    /// before adding nodes.
    pub fn describe_nodes(&mut self, describe: fn(&N) -> NodeState) {
        self.sim.describe_nodes(describe);
    }

    /// Keeps the clients' operations for the run's recording (the history check does).
    pub fn record_operations(&mut self, operations: Vec<ClientOp>) {
        if self.options.timeline {
            self.operations = operations;
        }
    }

    pub fn options(&self) -> &RunOptions {
        &self.options
    }

    pub fn now(&self) -> Time {
        self.sim.now()
    }

    /// An independent random stream of the scenario's, named by `label`.
    pub fn rng(&self, label: &str) -> Rng {
        self.sim.derive_rng(label)
    }

    /// Fails the run with a check of the scenario's own.
    pub fn fail(&mut self, check: CheckId, message: impl Into<String>) -> Failure {
        self.sim.fail_with(check, message)
    }

    /// Draws the seed's storage faults (within the run's allowed classes), sets them for the
    /// run and schedules their latent errors over `start..heal_at`. Victims come from each
    /// of `groups` (a replica group's servers), at most a minority of each.
    pub fn storage_mix(
        &mut self,
        groups: &[Vec<NodeId>],
        start: Time,
        heal_at: Time,
    ) -> StorageMix {
        let mut rng = self.rng("storage-mix");
        let mix = StorageMix::draw(&mut rng, self.options.storage_faults, groups);
        let plan = mix.plan(&mut rng, start, heal_at);
        self.sim.set_storage(mix.config.clone());
        self.sim.schedule_plan(&plan);
        self.fact("storage", mix.describe());
        mix
    }

    // ---- time ------------------------------------------------------------------------

    /// Runs to `deadline` with the hooks playing their part.
    pub fn run_until(&mut self, deadline: Time) -> Step {
        self.run_until_done(deadline, |_| false).map(drop)
    }

    pub fn sleep_ms(&mut self, ms: u64) -> Step {
        self.run_until(self.now().plus_ms(ms))
    }

    /// Runs until `done` holds (true) or `deadline` passes (false); past the time limit the
    /// run fails. `done` is asked before every step of the world or the hooks.
    pub fn run_until_done(
        &mut self,
        deadline: Time,
        done: impl FnMut(&Self) -> bool,
    ) -> Step<bool> {
        let limit = self.time_limit;
        let stopped = self.run_loop(deadline.min(limit), done)?;
        if !stopped && deadline > limit {
            let message = format!(
                "the test ran past its time limit of {}",
                limit.display_secs()
            );
            return Err(self.fail(checks::TIME_LIMIT, message));
        }
        Ok(stopped)
    }

    fn run_loop(&mut self, deadline: Time, mut done: impl FnMut(&Self) -> bool) -> Step<bool> {
        loop {
            if done(self) {
                return Ok(true);
            }
            let due = self.hooks.next_wake();
            let stop = due.map_or(deadline, |at| at.min(deadline));
            if let Some((_, node, event)) = self.sim.run_until_emit(stop)? {
                self.hooks.on_emit(&mut self.sim, node, event)?;
                continue;
            }
            if due.is_some_and(|at| at <= deadline) {
                self.hooks.on_wake(&mut self.sim)?;
                continue;
            }
            return Ok(done(self));
        }
    }

    // ---- the report ------------------------------------------------------------------

    /// Records a figure the scenario measured (`leaders`, `operations`), for tests and the
    /// summary. Recording a name again replaces its value.
    pub fn metric(&mut self, name: &'static str, value: u64) {
        match self.metrics.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = value,
            None => self.metrics.push((name, value)),
        }
    }

    /// Records a fact worth a line of the summary (`mix`: the seed's faults).
    pub fn fact(&mut self, name: &'static str, value: impl Into<String>) {
        self.facts.push((name, value.into()));
    }

    /// The run reached these goals (a watch's marks, usually), for the report.
    pub fn reached(&mut self, goals: &Reached) {
        goals.iter().for_each(|goal| self.goals.mark(goal));
    }

    /// Where this failing run may write its files, if the caller asked for files.
    pub fn artifact_dir(&self) -> Option<PathBuf> {
        self.options.artifacts.clone()
    }

    /// Names a file the run wrote, for the failure report.
    pub fn artifact(&mut self, what: &'static str, path: PathBuf) {
        self.artifacts.push((what, path));
    }

    /// The report of the run, with `verdict` as its outcome.
    pub fn report(&mut self, verdict: Step) -> RunReport {
        let recording = self.sim.take_timeline().map(|timeline| {
            Box::new(Recording {
                timeline: *timeline,
                operations: std::mem::take(&mut self.operations),
            })
        });
        let sim = &self.sim;
        RunReport {
            scenario: self.options.scenario,
            seed: self.options.seed,
            mutant: self.options.mutant.clone(),
            budget: self.options.budget,
            storage_faults: self.options.storage_faults,
            virtual_time: sim.now(),
            events: sim.stats().steps,
            stats: sim.stats().clone(),
            trace_hash: sim.trace_hash(),
            metrics: std::mem::take(&mut self.metrics),
            facts: std::mem::take(&mut self.facts),
            failure: verdict.err(),
            trace_lines: sim.trace().lines(),
            artifacts: std::mem::take(&mut self.artifacts),
            recording,
            goals: self.goals.iter().collect(),
            recorded: None,
            labels: None,
            input: None,
            strategy: self.options.strategy,
        }
    }
}

/// Something that runs a world forward: what [`crate::actors`] need of a harness.
pub trait Drive {
    fn now(&self) -> Time;
    fn run_until(&mut self, deadline: Time) -> Step;
}

impl<N: Node, O: Observer<N>, H: Hooks<N, O>> Drive for Harness<N, O, H> {
    fn now(&self) -> Time {
        Harness::now(self)
    }

    fn run_until(&mut self, deadline: Time) -> Step {
        Harness::run_until(self, deadline)
    }
}
