//! Closed-loop clients, the shape of most client workloads: each client node runs one
//! operation at a time; when its node reports that the operation returned, the client
//! thinks for a seed-drawn while, then issues its next.
//!
//! [`ClosedLoop`] is a harness's [`Hooks`]: the scenario says what each client does next and
//! what ends an operation (a [`Workload`]); the loop keeps the timing, in virtual time, with
//! ties broken by client order, so a run stays a function of its seed.

use crate::harness::{Hooks, Step};
use protocol_core::choices::Mark;
use protocol_core::rng::{range_inclusive, Rng};
use protocol_core::{Node, NodeId, Time, Violation};
use sim::{Observer, Sim};
use std::collections::BTreeSet;

/// What a scenario's clients do.
pub trait Workload<N: Node> {
    /// Client `client`'s next request to its node, or `None` when it is done.
    fn next(&mut self, client: usize, rng: &mut Rng) -> Option<N::Request>;

    /// Whether `event` (emitted by client `client`'s node) ends its operation; a wrong answer
    /// the client can tell by itself is a violation.
    fn returned(&mut self, client: usize, event: &N::Event) -> Result<bool, Violation>;
}

/// Clients that each run one operation at a time on their own node.
pub struct ClosedLoop<W> {
    pub workload: W,
    nodes: Vec<NodeId>,
    busy: Vec<bool>,
    running: bool,
    wakes: BTreeSet<(Time, usize)>,
    /// Pause between a return and the next call, in µs (min, max).
    think_us: (u64, u64),
    rng: Rng,
}

impl<W> ClosedLoop<W> {
    /// Clients on `nodes` (none started yet), drawing think times and workload choices
    /// from `rng`.
    pub fn new(workload: W, nodes: Vec<NodeId>, think_us: (u64, u64), rng: Rng) -> Self {
        assert!(
            think_us.0 <= think_us.1,
            "think time {think_us:?} is not a range"
        );
        let busy = vec![false; nodes.len()];
        ClosedLoop {
            workload,
            nodes,
            busy,
            running: false,
            wakes: BTreeSet::new(),
            think_us,
            rng,
        }
    }

    /// Every client calls at `now`.
    pub fn start(&mut self, now: Time) {
        self.running = true;
        for client in 0..self.nodes.len() {
            self.busy[client] = true;
            self.wakes.insert((now, client));
        }
    }

    /// Every client stops after its current operation.
    pub fn stop(&mut self) {
        self.running = false;
        for (_, client) in std::mem::take(&mut self.wakes) {
            self.busy[client] = false;
        }
    }

    /// No client has an operation under way or due.
    pub fn all_idle(&self) -> bool {
        self.busy.iter().all(|busy| !busy)
    }
}

impl<N: Node, O: Observer<N>, W: Workload<N>> Hooks<N, O> for ClosedLoop<W> {
    fn on_emit(&mut self, sim: &mut Sim<N, O>, node: NodeId, event: N::Event) -> Step {
        let Some(client) = self.nodes.iter().position(|&n| n == node) else {
            return Ok(());
        };
        match self.workload.returned(client, &event) {
            Ok(false) => Ok(()),
            Ok(true) if !self.running => {
                self.busy[client] = false;
                Ok(())
            }
            Ok(true) => {
                let think = range_inclusive(&mut self.rng, self.think_us.0, self.think_us.1);
                self.wakes.insert((sim.now().plus_micros(think), client));
                Ok(())
            }
            Err(violation) => Err(sim.fail(violation)),
        }
    }

    fn next_wake(&self) -> Option<Time> {
        self.wakes.first().map(|&(at, _)| at)
    }

    fn on_wake(&mut self, sim: &mut Sim<N, O>) -> Step {
        while let Some(&(at, client)) = self.wakes.first() {
            if at > sim.now() {
                break;
            }
            self.wakes.remove(&(at, client));
            // A buffer run may end this client here (a shrinker dropping operations).
            if !self.rng.keep(Mark::Op {
                client: client as u32,
            }) {
                self.busy[client] = false;
                continue;
            }
            match self.workload.next(client, &mut self.rng) {
                Some(request) => {
                    sim.request(self.nodes[client], request);
                }
                None => self.busy[client] = false,
            }
        }
        Ok(())
    }
}
