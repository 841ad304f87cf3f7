//! Faults applied to the world: crashes and restarts, links, pauses, drift, the network.

use super::{Event, Sim};
use crate::fault::{FaultAction, FaultPlan};
use crate::network::NetworkConfig;
use crate::observer::Observer;
use crate::trace::TraceRecord;
use protocol_core::choices::Mark;
use protocol_core::rng::Ratio;
use protocol_core::{Node, NodeId, Time};

impl<N: Node, O: Observer<N>> Sim<N, O> {
    /// Applies `action` now, unless it is a fault a buffer run drops (its keep mark is zero:
    /// see `protocol_core::choices`; a seeded run draws nothing for the mark and keeps all).
    pub fn apply(&mut self, action: FaultAction) {
        if self.keep(&action, self.now) {
            self.apply_kept(action);
        }
    }

    /// Whether to go ahead with `action`, due at `at`: a fault has a keep mark, drawn when it
    /// is applied or, if scheduled, when it is scheduled (so that a plan's marks come right
    /// after its own draws, and a dropped fault is no event at all).
    fn keep(&mut self, action: &FaultAction, at: Time) -> bool {
        if !action.is_fault() || self.choices.keep(Mark::Fault) {
            return true;
        }
        let nodes = action.nodes();
        if at == self.now {
            self.trace
                .line(self.now, &nodes, format_args!("dropped fault {action}"));
        } else {
            let line = format_args!("dropped fault {action} (planned for t={at})");
            self.trace.line(self.now, &nodes, line);
        }
        false
    }

    /// Applies `action` now: a scheduled one, whose keep mark was drawn when it was scheduled.
    pub(super) fn apply_kept(&mut self, action: FaultAction) {
        if action.is_fault() {
            self.stats.faults += 1;
        }
        if self.trace.is_rendering() {
            let involves = action.nodes();
            self.trace
                .line(self.now, &involves, format_args!("fault {action}"));
        }
        self.trace
            .record(self.now, TraceRecord::Fault(action.clone()), 0);
        match action {
            FaultAction::Crash(node) => {
                if !self.arm_mid_step_crash(node) {
                    self.crash(node);
                }
            }
            FaultAction::Restart(node) => {
                // A crash put off to the node's next step is overdue: it happens now.
                if self.slots[node.index()].crash_armed {
                    self.crash(node);
                }
                self.restart(node)
            }
            FaultAction::Disconnect(node) => self.links.disconnect(node),
            FaultAction::Connect(node) => {
                let peers = self.node_ids();
                self.links.connect(node, &peers)
            }
            FaultAction::Partition(groups) => self.links.partition(&groups),
            FaultAction::CutLink { from, to } => self.links.set(from, to, false),
            FaultAction::HealLinks => self.links.heal(),
            FaultAction::Pause { node, micros } => {
                let slot = &mut self.slots[node.index()];
                slot.paused_until = slot.paused_until.max(self.now.plus_micros(micros));
            }
            FaultAction::SetDrift { node, ppm } => {
                let slot = &mut self.slots[node.index()];
                slot.clock = slot.clock.redrifted(self.now, ppm);
            }
            FaultAction::SetNetwork(config) => self.network = config,
            FaultAction::LatentError(node) => self.latent_error(node),
            FaultAction::HealAll => self.heal_all(),
        }
        self.sample_links();
    }

    /// Schedules every action of `plan` at its time (but the faults a buffer drops).
    pub fn schedule_plan(&mut self, plan: &FaultPlan) {
        for (at, action) in &plan.actions {
            assert!(
                *at >= self.now,
                "plan action at {at} is in the past (now {})",
                self.now
            );
            if self.keep(action, *at) {
                self.queue.push(*at, Event::Fault(action.clone()));
            }
        }
    }

    pub fn schedule(&mut self, at: Time, action: FaultAction) {
        assert!(
            at >= self.now,
            "fault at {at} is in the past (now {})",
            self.now
        );
        if self.keep(&action, at) {
            self.queue.push(at, Event::Fault(action));
        }
    }

    /// A scenario's own crash of `id` (a course test's `ShutdownServer`): as [`Sim::crash`],
    /// but a step a buffer run may drop through its keep mark, as it may a planned fault.
    pub fn crash_scripted(&mut self, id: NodeId) {
        if self.keep(&FaultAction::Crash(id), self.now) {
            self.crash(id);
        }
    }

    /// The node stops now; its unsynced writes meet their fates (see `SimDisk::crash`).
    pub fn crash(&mut self, id: NodeId) {
        if self.nodes[id.index()].take().is_none() {
            return;
        }
        let slot = &mut self.slots[id.index()];
        slot.incarnation += 1;
        slot.timers.clear();
        slot.paused_until = Time::ZERO;
        self.stats.crashes += 1;
        self.crash_unseen = true;
        let fates = self.crash_storage(id);
        self.trace.line(self.now, &[id], format_args!("{id} crash"));
        self.trace
            .record(self.now, TraceRecord::Crash { node: id }, fates);
        self.observer.on_crash(self.now, id);
    }

    /// Boots the node again from its disk; nothing if it is up or down for good.
    pub fn restart(&mut self, id: NodeId) {
        if self.is_up(id) || self.is_failed(id) {
            return;
        }
        self.stats.restarts += 1;
        self.trace
            .line(self.now, &[id], format_args!("{id} restart"));
        self.trace
            .record(self.now, TraceRecord::Restart { node: id }, 0);
        // Before the boot, so the observer sees what the new incarnation emits as it boots.
        self.observer.on_restart(self.now, id);
        self.guarded(|sim| sim.boot(id));
    }

    pub fn partition(&mut self, groups: &[&[NodeId]]) {
        self.apply(FaultAction::Partition(
            groups.iter().map(|g| g.to_vec()).collect(),
        ));
    }

    pub fn disconnect(&mut self, id: NodeId) {
        self.apply(FaultAction::Disconnect(id));
    }

    pub fn connect(&mut self, id: NodeId) {
        self.apply(FaultAction::Connect(id));
    }

    pub fn heal_links(&mut self) {
        self.apply(FaultAction::HealLinks);
    }

    pub fn set_network(&mut self, config: NetworkConfig) {
        self.apply(FaultAction::SetNetwork(config));
    }

    /// Links up, network reliable, crashed nodes restarted, and the disks stop failing (no
    /// more failed syncs or misdirected writes): nothing is left that stops progress.
    fn heal_all(&mut self) {
        self.links.heal();
        self.network = NetworkConfig::reliable();
        self.storage.sync_error = Ratio::NEVER;
        self.storage.misdirect = Ratio::NEVER;
        for id in self.node_ids() {
            if self.slots[id.index()].crash_armed {
                self.crash(id);
            }
        }
        for id in self.node_ids() {
            if !self.is_up(id) {
                self.restart(id);
            }
        }
    }
}
