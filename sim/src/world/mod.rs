//! The simulated world: nodes, their disks and clocks, the network, and the event loop.

mod disk;
mod faults;
mod io;
mod storage;
mod timeline;

use self::disk::SimDisk;
use self::storage::{PendingSync, PersistChain};
use crate::budget::{Budget, WALL_CHECK_EVERY};
use crate::checks;
use crate::clock::Clock;
use crate::fault::FaultAction;
use crate::network::{Links, NetworkConfig};
use crate::observer::Observer;
use crate::queue::EventQueue;
use crate::stats::Stats;
use crate::storage::StorageConfig;
use crate::strategy::{Scheduler, Strategy};
use crate::timeline::NodeState;
use crate::trace::{TailView, Trace, TraceMode, TraceRecord};
use protocol_core::choices::Choices;
use protocol_core::rng::Rng;
use protocol_core::{CheckId, Disk, Input, Node, NodeId, Outbox, Time, Violation};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

/// A failed check, with what is needed to act on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub check: CheckId,
    pub message: String,
    /// The nodes the violation's evidence involves, if it named them.
    pub nodes: Vec<NodeId>,
    pub seed: u64,
    pub time: Time,
    /// Events taken off the queue when it failed: where a replay stops.
    pub events: u64,
    /// The latest events (and, from a diagnosing replay, the nodes' events and activity).
    pub tail: Box<TailView>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "check {} failed at t={} (seed {}): {}",
            self.check, self.time, self.seed, self.message
        )
    }
}

struct Slot<N: Node> {
    config: N::Config,
    disk: SimDisk,
    /// Bumped at each crash: messages, timers and syncs of an older incarnation are void.
    incarnation: u32,
    /// The node's armed timers.
    timers: BTreeMap<N::Timer, TimerState>,
    clock: Clock,
    paused_until: Time,
    /// Syncs in flight, by the id their completion event carries.
    syncs: BTreeMap<u64, PendingSync>,
    /// `Persist`s being made durable; the node's sends wait in `held` until they are.
    chain: PersistChain,
    held: VecDeque<Frame>,
    /// A crash is due within the node's next step (`CrashMidStep`).
    crash_armed: bool,
    /// Why the node is down for good: it found its disk corrupt at boot.
    failed: Option<String>,
}

/// One armed timer. A node that re-arms a timer on every message (an election timeout)
/// would flood the queue with stale events; instead one queued event per timer is kept and
/// moved forward lazily when it comes up early.
#[derive(Clone, Copy)]
struct TimerState {
    /// The deadline on the node's own clock; mapped to global time when it comes up, so a
    /// drift change in between never fires a timer early.
    local_at: Time,
    /// The time of the one queued event that stands for this timer, if any.
    queued: Option<Time>,
}

struct Frame {
    from: NodeId,
    from_incarnation: u32,
    to: NodeId,
    to_incarnation: u32,
    kind: &'static str,
    checksum: u64,
    bytes: Vec<u8>,
    /// When it left, for timelines.
    sent: Time,
}

enum Event<N: Node> {
    Deliver(Frame),
    Timer {
        node: NodeId,
        incarnation: u32,
        timer: N::Timer,
        at: Time,
    },
    Fault(FaultAction),
    /// A sync of the node's completes.
    Synced {
        node: NodeId,
        incarnation: u32,
        sync: u64,
    },
}

/// A deterministic simulation of nodes of type `N`, watched by `O`.
pub struct Sim<N: Node, O: Observer<N>> {
    seed: u64,
    now: Time,
    queue: EventQueue<Event<N>>,
    nodes: Vec<Option<N>>,
    slots: Vec<Slot<N>>,
    links: Links,
    network: NetworkConfig,
    network_rng: Rng,
    /// Where every stream of the run draws from: the seed, or a buffer (see `set_choices`).
    choices: Choices,
    /// How latencies are chosen (see `crate::strategy`).
    scheduler: Scheduler,
    stats: Stats,
    trace: Trace<N::Timer>,
    observer: O,
    outbox: Outbox<N>,
    failure: Option<Failure>,
    capture_emits: bool,
    emitted: VecDeque<(Time, NodeId, N::Event)>,
    /// Events taken at the current instant; virtual time that stops advancing is a livelock.
    events_this_instant: u64,
    /// A node crashed since the observer's last `after_step`, so the next one must not name
    /// a single stepped node (a crash called directly has no step of its own).
    crash_unseen: bool,
    /// Where `send` encodes a message before copying it into its frame.
    encode_scratch: Vec<u8>,
    budget: Budget,
    /// When the wall-clock budget runs out, if it has one.
    wall_deadline: Option<std::time::Instant>,
    /// Events taken off the queue, stale timers included: what the event budget counts.
    events_taken: u64,
    storage: StorageConfig,
    /// Every storage choice: sync latencies, what a crash keeps, where faults land.
    storage_rng: Rng,
    next_sync: u64,
    /// How a family describes a node on a timeline (see `timeline.rs`).
    describe: Option<fn(&N) -> NodeState>,
}

/// More events than this at one virtual instant means nodes are bouncing messages with no
/// delay forever (a zero-latency network and a bug); the run fails instead of hanging.
pub const MAX_EVENTS_PER_INSTANT: u64 = 1_000_000;

impl<N: Node, O: Observer<N>> Sim<N, O> {
    /// A world with no nodes yet, at time zero, tracing as `mode` says, with the default
    /// [`Budget`].
    pub fn new(seed: u64, network: NetworkConfig, observer: O, mode: TraceMode) -> Self {
        Sim {
            seed,
            now: Time::ZERO,
            queue: EventQueue::new(),
            nodes: Vec::new(),
            slots: Vec::new(),
            links: Links::default(),
            network,
            network_rng: Choices::seeded().stream(seed, "network", 0),
            choices: Choices::seeded(),
            scheduler: Scheduler::Random,
            stats: Stats::default(),
            trace: Trace::new(mode),
            observer,
            outbox: Outbox::new(),
            failure: None,
            capture_emits: false,
            emitted: VecDeque::new(),
            events_this_instant: 0,
            crash_unseen: false,
            encode_scratch: Vec::new(),
            budget: Budget::DEFAULT,
            wall_deadline: None,
            events_taken: 0,
            storage: StorageConfig::default(),
            storage_rng: Choices::seeded().stream(seed, "storage", 0),
            next_sync: 0,
            describe: None,
        }
    }

    /// Draws every choice of the run from `choices` (before the first event): the network's
    /// and the disks' streams, the streams `derive_rng` gives, and each node's seed.
    pub fn set_choices(&mut self, choices: Choices) {
        self.network_rng = choices.stream(self.seed, "network", 0);
        self.storage_rng = choices.stream(self.seed, "storage", 0);
        self.choices = choices;
    }

    /// Chooses latencies with `strategy` (`rotate` picks one from the seed); its parameters
    /// are drawn from the run's choices, so call it after `set_choices`.
    pub fn set_strategy(&mut self, strategy: Strategy) {
        let strategy = strategy.for_seed(self.seed);
        let mut rng = self.choices.stream(self.seed, "strategy", 0);
        self.scheduler = Scheduler::draw(strategy, &mut rng);
    }

    pub fn choices(&self) -> &Choices {
        &self.choices
    }

    /// Sets how the disks behave and fail (default: [`StorageConfig::crashes_only`]).
    pub fn set_storage(&mut self, storage: StorageConfig) {
        self.storage = storage;
    }

    pub fn storage(&self) -> &StorageConfig {
        &self.storage
    }

    /// Sets the run's budgets; the wall-clock one starts now.
    pub fn set_budget(&mut self, budget: Budget) {
        self.budget = budget;
        self.wall_deadline = budget.wall.map(|wall| wall_clock_now() + wall);
    }

    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// Adds a node and boots it now with an empty disk.
    pub fn add_node(&mut self, config: N::Config) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(None);
        self.slots.push(Slot {
            config,
            disk: SimDisk::default(),
            incarnation: 0,
            timers: BTreeMap::new(),
            clock: Clock::default(),
            paused_until: Time::ZERO,
            syncs: BTreeMap::new(),
            chain: PersistChain::default(),
            held: VecDeque::new(),
            crash_armed: false,
            failed: None,
        });
        self.links.grow_to(self.nodes.len());
        self.guarded(|sim| sim.boot(id));
        id
    }

    /// Keeps every emitted event for [`Sim::run_until_emit`] and [`Sim::take_emitted`].
    pub fn capture_emits(&mut self, on: bool) {
        self.capture_emits = on;
    }

    // ---- queries -------------------------------------------------------------------

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn now(&self) -> Time {
        self.now
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn node_ids(&self) -> Vec<NodeId> {
        (0..self.nodes.len() as u32).map(NodeId).collect()
    }

    pub fn node(&self, id: NodeId) -> Option<&N> {
        self.nodes.get(id.index()).and_then(Option::as_ref)
    }

    pub fn is_up(&self, id: NodeId) -> bool {
        self.node(id).is_some()
    }

    /// The node's files as its operations left them (what it would read now).
    pub fn disk(&self, id: NodeId) -> &Disk {
        self.slots[id.index()].disk.view()
    }

    /// Edits the durable bytes of one of the node's files by hand (a test damaging a disk);
    /// a `CorruptDisk` at the node's next boot is then expected. False if it has none.
    pub fn damage_file(&mut self, id: NodeId, name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> bool {
        self.slots[id.index()].disk.damage(name, edit)
    }

    /// Whether the node is down for good: it found its disk corrupt at boot.
    pub fn is_failed(&self, id: NodeId) -> bool {
        self.slots[id.index()].failed.is_some()
    }

    /// The nodes down for good, in id order.
    pub fn failed_nodes(&self) -> Vec<NodeId> {
        self.node_ids()
            .into_iter()
            .filter(|&id| self.is_failed(id))
            .collect()
    }

    /// Until when the node is stalled by a `Pause` fault (zero or past: not paused). A
    /// harness that answers a node's requests itself holds them back until then.
    pub fn paused_until(&self, id: NodeId) -> Time {
        self.slots[id.index()].paused_until
    }

    /// How many times the node crashed: its incarnation number.
    pub fn incarnation(&self, id: NodeId) -> u32 {
        self.slots[id.index()].incarnation
    }

    pub fn config(&self, id: NodeId) -> &N::Config {
        &self.slots[id.index()].config
    }

    pub fn network(&self) -> &NetworkConfig {
        &self.network
    }

    pub fn links(&self) -> &Links {
        &self.links
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    pub fn trace(&self) -> &Trace<N::Timer> {
        &self.trace
    }

    pub fn trace_hash(&self) -> u64 {
        self.trace.hash()
    }

    pub fn observer(&self) -> &O {
        &self.observer
    }

    pub fn observer_mut(&mut self) -> &mut O {
        &mut self.observer
    }

    pub fn failure(&self) -> Option<&Failure> {
        self.failure.as_ref()
    }

    /// An independent random stream for the scenario (workload, plan), named by `label`.
    pub fn derive_rng(&self, label: &str) -> Rng {
        self.choices.stream(self.seed, label, 0)
    }

    /// Events captured so far, oldest first.
    pub fn take_emitted(&mut self) -> Vec<(Time, NodeId, N::Event)> {
        self.emitted.drain(..).collect()
    }

    // ---- running -------------------------------------------------------------------

    /// Runs every event up to and including `deadline`, then sets the clock to `deadline`.
    pub fn run_until(&mut self, deadline: Time) -> Result<(), Failure> {
        self.ok()?;
        while self.queue.peek_time().is_some_and(|t| t <= deadline) {
            self.guarded_step();
            self.ok()?;
        }
        self.now = self.now.max(deadline);
        Ok(())
    }

    pub fn run_for_ms(&mut self, ms: u64) -> Result<(), Failure> {
        self.run_until(self.now.plus_ms(ms))
    }

    /// Runs until a node emits an event (needs `capture_emits`) or `deadline` passes.
    pub fn run_until_emit(
        &mut self,
        deadline: Time,
    ) -> Result<Option<(Time, NodeId, N::Event)>, Failure> {
        assert!(self.capture_emits, "run_until_emit without capture_emits");
        self.ok()?;
        loop {
            if let Some(emitted) = self.emitted.pop_front() {
                return Ok(Some(emitted));
            }
            if self.queue.peek_time().is_none_or(|t| t > deadline) {
                self.now = self.now.max(deadline);
                return Ok(None);
            }
            self.guarded_step();
            self.ok()?;
        }
    }

    /// Runs, checking `done` after every step, until it holds (true) or `deadline` passes.
    pub fn run_until_true(
        &mut self,
        deadline: Time,
        mut done: impl FnMut(&Self) -> bool,
    ) -> Result<bool, Failure> {
        self.ok()?;
        loop {
            if done(self) {
                return Ok(true);
            }
            if self.queue.peek_time().is_none_or(|t| t > deadline) {
                self.now = self.now.max(deadline);
                return Ok(done(self));
            }
            self.guarded_step();
            self.ok()?;
        }
    }

    /// Calls into a live node directly, as a test harness or the layer above would
    /// (`start(command)`), and carries out what it asks. `None` if the node is down.
    pub fn call<R>(
        &mut self,
        id: NodeId,
        f: impl FnOnce(&mut N, Time, &mut Outbox<N>) -> R,
    ) -> Option<R> {
        self.invoke(id, TraceRecord::Call { node: id }, 0, f)
    }

    /// Hands a request from the layer above to a live node. False if it is down.
    pub fn request(&mut self, id: NodeId, request: N::Request) -> bool {
        if self.failure.is_some() {
            return false;
        }
        if !self.is_up(id) {
            if self.trace.is_rendering() {
                let text = format_args!("{id} is down: request not delivered: {request:?}");
                self.trace.line(self.now, &[id], text);
            }
            return false;
        }
        let content = crate::hash::hash_value(&request);
        if self.trace.is_rendering() {
            self.trace
                .line(self.now, &[id], format_args!("{id} request {request:?}"));
        }
        self.invoke(
            id,
            TraceRecord::Request { node: id },
            content,
            |node, now, out| node.handle(now, Input::Request(request), out),
        )
        .is_some()
    }

    fn invoke<R>(
        &mut self,
        id: NodeId,
        record: TraceRecord<N::Timer>,
        content: u64,
        f: impl FnOnce(&mut N, Time, &mut Outbox<N>) -> R,
    ) -> Option<R> {
        if self.failure.is_some() || !self.is_up(id) {
            return None;
        }
        if self.trace.is_rendering() {
            if let TraceRecord::Call { .. } = record {
                self.trace.line(self.now, &[id], format_args!("{id} call"));
            }
        }
        self.trace.record(self.now, record, content);
        let local_now = self.slots[id.index()].clock.local(self.now);
        let mut outbox = std::mem::take(&mut self.outbox);
        let result = self.guarded(|sim| {
            let node = sim.nodes[id.index()].as_mut().expect("checked up above");
            let result = f(node, local_now, &mut outbox);
            sim.finish_step(id, &mut outbox);
            result
        });
        outbox.drain().for_each(drop);
        self.outbox = outbox;
        result
    }

    /// Records a scenario's own event (a client call, a phase change) in the trace.
    pub fn note(&mut self, text: impl Into<String>) {
        let text = text.into();
        self.trace.line(self.now, &[], &text);
        self.trace.record(self.now, TraceRecord::Note { text }, 0);
    }

    /// Fails the run with a check of the scenario's own (a liveness bound, a final check).
    pub fn fail(&mut self, violation: Violation) -> Failure {
        self.record_failure(violation);
        self.failure.clone().expect("just recorded")
    }

    // ---- the event loop ------------------------------------------------------------

    /// One event, with a panic inside it (a node's or a check's assertion) turned into
    /// the run's failure, reported with the time and the last events. The run does not go
    /// on after it: every later call returns the failure.
    fn guarded_step(&mut self) {
        self.guarded(Self::step);
    }

    fn guarded<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> Option<R> {
        match panic::catch_unwind(AssertUnwindSafe(|| f(self))) {
            Ok(result) => Some(result),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic without a message".to_string());
                self.record_failure(Violation::new(checks::ASSERTION, message));
                None
            }
        }
    }

    fn step(&mut self) {
        let Some((time, event)) = self.queue.pop() else {
            return;
        };
        assert!(time >= self.now, "event at {time} before now {}", self.now);
        if let Some(violation) = self.over_budget(time) {
            return self.record_failure(violation);
        }
        self.events_taken += 1;
        if time == self.now {
            self.events_this_instant += 1;
            if self.events_this_instant > MAX_EVENTS_PER_INSTANT {
                let message = format!("{MAX_EVENTS_PER_INSTANT} events at one instant: virtual time stopped advancing");
                return self.record_failure(Violation::new(checks::LIVELOCK, message));
            }
        } else {
            self.events_this_instant = 0;
        }
        self.now = time;
        match event {
            Event::Deliver(frame) => self.deliver(frame),
            Event::Timer {
                node,
                incarnation,
                timer,
                at,
            } => self.fire(node, incarnation, timer, at),
            Event::Fault(action) => {
                self.stats.steps += 1;
                self.apply_kept(action);
                self.after_step(None);
            }
            Event::Synced {
                node,
                incarnation,
                sync,
            } => self.synced(node, incarnation, sync),
        }
    }

    /// Whether taking one more event, due at `time`, would break a budget.
    fn over_budget(&self, time: Time) -> Option<Violation> {
        let budget = &self.budget;
        if self.events_taken >= budget.max_events {
            let message = format!(
                "the run used its budget of {} events by t={} and was still busy (raise it with --max-events)",
                budget.max_events, self.now
            );
            return Some(Violation::new(checks::STUCK, message));
        }
        if self.queue.len() >= budget.max_pending {
            let message = format!(
                "{} events in flight at t={}: a message storm (raise the budget with --max-pending)",
                self.queue.len(),
                self.now
            );
            return Some(Violation::new(checks::STUCK, message));
        }
        if time > budget.max_virtual {
            let message = format!(
                "the run was still busy at its virtual-time budget of {} (raise it with --max-virtual-secs)",
                budget.max_virtual.display_secs()
            );
            return Some(Violation::new(checks::STUCK, message));
        }
        let check_wall = self.events_taken.is_multiple_of(WALL_CHECK_EVERY);
        if let Some(deadline) = self.wall_deadline.filter(|_| check_wall) {
            if wall_clock_now() >= deadline {
                let wall = budget.wall.unwrap_or_default();
                let message = format!(
                    "the run used its wall-clock budget of {:.1} s at t={} after {} events",
                    wall.as_secs_f64(),
                    self.now,
                    self.events_taken
                );
                return Some(Violation::new(checks::TIMEOUT, message));
            }
        }
        None
    }

    fn record_failure(&mut self, violation: Violation) {
        if self.failure.is_some() {
            return;
        }
        self.trace.line(
            self.now,
            &violation.nodes,
            format_args!("FAILED {violation}"),
        );
        self.failure = Some(Failure {
            check: violation.check,
            message: violation.message,
            nodes: violation.nodes,
            seed: self.seed,
            time: self.now,
            events: self.events_taken,
            tail: Box::new(self.trace.tail_view()),
        });
    }

    /// Whether the run has failed: nothing more is carried out once it has.
    pub fn has_failed(&self) -> bool {
        self.failure.is_some()
    }

    /// Fails the run with `check` unless it already failed; the failure either way.
    pub fn fail_with(&mut self, check: CheckId, message: impl Into<String>) -> Failure {
        self.fail(Violation::new(check, message))
    }

    fn ok(&self) -> Result<(), Failure> {
        match &self.failure {
            Some(failure) => Err(failure.clone()),
            None => Ok(()),
        }
    }
}

/// The one wall-clock read of the simulator, for the wall-clock budget only: it never
/// decides what a run does, only whether a sweep gives up on it (see `Budget`).
#[allow(clippy::disallowed_methods)]
fn wall_clock_now() -> std::time::Instant {
    std::time::Instant::now()
}
