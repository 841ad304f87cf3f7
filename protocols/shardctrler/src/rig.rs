//! A tiny deterministic driver for multi-node tests of this crate and of shardkv, generic over
//! any [`Node`]: one queue of deliveries and timer fires ordered by (time, sequence), a
//! latency drawn from the seed, loss, cut links, crashes and restarts from the disk. The real
//! simulator (`sim/`, with framing, duplication, reordering storms, pauses, drift and the
//! observers) is where the scenarios run; this only shows the cores work end to end without it.

use protocol_core::instant::InstantDisk;
use protocol_core::rng::{self, Ratio, Rng};
use protocol_core::{Disk, Input, Node, NodeId, Outbox, Output, Time};
use std::collections::{BTreeMap, BTreeSet};

enum Pending<N: Node> {
    Deliver {
        from: NodeId,
        to: NodeId,
        msg: N::Msg,
        incarnations: (u64, u64),
    },
    Fire {
        node: NodeId,
        timer: N::Timer,
    },
}

pub struct Rig<N: Node> {
    pub now: Time,
    /// Every event any node emitted, in order, with when and who.
    pub events: Vec<(Time, NodeId, N::Event)>,
    /// Messages handed to a node.
    pub delivered: u64,
    /// Each message is lost with this probability.
    pub loss: Ratio,
    /// Each message that is not lost arrives twice with this probability.
    pub duplicate: Ratio,
    /// One-way latency, drawn uniformly per message (so messages may overtake each other).
    pub latency_us: (u64, u64),
    configs: Vec<N::Config>,
    nodes: Vec<Option<N>>,
    disks: Vec<Disk>,
    incarnations: Vec<u64>,
    queue: BTreeMap<(Time, u64), Pending<N>>,
    deadlines: BTreeMap<(NodeId, N::Timer), Time>,
    cut: BTreeSet<(NodeId, NodeId)>,
    seq: u64,
    seed: u64,
    rng: Rng,
}

impl<N: Node> Rig<N> {
    pub fn new(seed: u64) -> Rig<N> {
        Rig {
            now: Time::ZERO,
            events: Vec::new(),
            delivered: 0,
            loss: Ratio::NEVER,
            duplicate: Ratio::NEVER,
            latency_us: (200, 2_000),
            configs: Vec::new(),
            nodes: Vec::new(),
            disks: Vec::new(),
            incarnations: Vec::new(),
            queue: BTreeMap::new(),
            deadlines: BTreeMap::new(),
            cut: BTreeSet::new(),
            seq: 0,
            seed,
            rng: rng::rng_from_seed(rng::derive_seed(seed, "rig", 0)),
        }
    }

    /// Adds and boots a node; ids are handed out in order from 0.
    pub fn add(&mut self, config: N::Config) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.configs.push(config);
        self.nodes.push(None);
        self.disks.push(Disk::new());
        self.incarnations.push(0);
        self.restart(id);
        id
    }

    pub fn node(&self, id: NodeId) -> Option<&N> {
        self.nodes[id.index()].as_ref()
    }

    pub fn disk(&self, id: NodeId) -> &Disk {
        &self.disks[id.index()]
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Drops the node with its timers and whatever is in flight to it; its disk stays.
    pub fn crash(&mut self, id: NodeId) {
        self.nodes[id.index()] = None;
        self.incarnations[id.index()] += 1;
        self.deadlines.retain(|(node, _), _| *node != id);
    }

    /// Crashes the node if up, and boots it again from its disk.
    pub fn restart(&mut self, id: NodeId) {
        self.crash(id);
        let i = id.index();
        let seed = rng::derive_seed(self.seed, "node", (i as u64) << 32 | self.incarnations[i]);
        let mut out = Outbox::new();
        let node = N::boot(
            &self.configs[i],
            id,
            &self.disks[i],
            seed,
            self.now,
            &mut out,
        )
        .unwrap_or_else(|e| panic!("t={} {id}: boot failed: {e}", self.now));
        self.nodes[i] = Some(node);
        self.carry_out(id, out);
    }

    /// Cuts every link between a node of `a` and a node of `b`, both ways.
    pub fn partition(&mut self, a: &[NodeId], b: &[NodeId]) {
        for &x in a {
            for &y in b {
                self.cut.insert((x, y));
                self.cut.insert((y, x));
            }
        }
    }

    pub fn heal(&mut self) {
        self.cut.clear();
    }

    /// Links currently cut, one way each.
    pub fn cut_links(&self) -> usize {
        self.cut.len()
    }

    /// Hands `request` to node `id` now (a tester's call into a clerk).
    pub fn request(&mut self, id: NodeId, request: N::Request) {
        self.step(id, Input::Request(request));
    }

    pub fn run_ms(&mut self, ms: u64) {
        self.run_until(self.now.plus_ms(ms));
    }

    /// Runs until virtual time `until`, or until `stop` says so after a step; true if it did.
    pub fn run_until_or(&mut self, until: Time, mut stop: impl FnMut(&Rig<N>) -> bool) -> bool {
        while let Some(entry) = self.queue.first_entry() {
            if entry.key().0 > until {
                break;
            }
            let ((at, _), pending) = entry.remove_entry();
            self.now = at;
            match pending {
                Pending::Deliver {
                    from,
                    to,
                    msg,
                    incarnations,
                } => {
                    let current = (
                        self.incarnations[from.index()],
                        self.incarnations[to.index()],
                    );
                    if current == incarnations && self.nodes[to.index()].is_some() {
                        self.delivered += 1;
                        self.step(to, Input::Message { from, msg });
                    }
                }
                Pending::Fire { node, timer } => {
                    if self.deadlines.get(&(node, timer)) == Some(&at) {
                        self.deadlines.remove(&(node, timer));
                        self.step(node, Input::Timer(timer));
                    }
                }
            }
            if stop(self) {
                return true;
            }
        }
        self.now = self.now.max(until);
        false
    }

    pub fn run_until(&mut self, until: Time) {
        self.run_until_or(until, |_| false);
    }

    fn step(&mut self, id: NodeId, input: Input<N>) {
        let mut out = Outbox::new();
        let Some(node) = self.nodes[id.index()].as_mut() else {
            return;
        };
        node.handle(self.now, input, &mut out);
        node.check_invariants();
        self.carry_out(id, out);
    }

    /// Carries out the node's outputs; its disk is durable at once (every sync answered).
    fn carry_out(&mut self, id: NodeId, mut out: Outbox<N>) {
        let i = id.index();
        let outputs = match self.nodes[i].as_mut() {
            Some(node) => {
                let mut disk = InstantDisk {
                    disk: std::mem::take(&mut self.disks[i]),
                };
                let outputs = disk.settle(node, self.now, &mut out);
                self.disks[i] = disk.disk;
                outputs
            }
            None => out.drain().collect(),
        };
        for output in outputs {
            match output {
                Output::Send { to, msg } => self.send(id, to, msg),
                Output::SetTimer { timer, at } => {
                    self.deadlines.insert((id, timer), at);
                    self.push(at, Pending::Fire { node: id, timer });
                }
                Output::CancelTimer(timer) => {
                    self.deadlines.remove(&(id, timer));
                }
                Output::Persist(_) | Output::File(_) | Output::Sync { .. } => {}
                Output::Halt(reason) => panic!("{id} halted on a disk that never fails: {reason}"),
                Output::Emit(event) => self.events.push((self.now, id, event)),
            }
        }
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: N::Msg) {
        assert!(
            to.index() < self.nodes.len(),
            "t={} {from}: send to unknown {to}",
            self.now
        );
        if self.cut.contains(&(from, to)) || self.loss.chance(&mut self.rng) {
            return;
        }
        let (lo, hi) = self.latency_us;
        let at = self
            .now
            .plus_micros(rng::range_inclusive(&mut self.rng, lo, hi));
        let incarnations = (
            self.incarnations[from.index()],
            self.incarnations[to.index()],
        );
        self.push(
            at,
            Pending::Deliver {
                from,
                to,
                msg,
                incarnations,
            },
        );
    }

    fn push(&mut self, at: Time, pending: Pending<N>) {
        self.seq += 1;
        self.queue.insert((at.max(self.now), self.seq), pending);
    }
}
