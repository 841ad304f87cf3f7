//! A tiny in-test cluster: a perfect instant network (a queue of messages) and a manual clock
//! that jumps to the earliest timer when no message is in flight. The real simulator, with
//! delays, loss and partitions, lives elsewhere; this only shows the core works end to end.

#![allow(dead_code)] // each test file uses a different part

use protocol_core::instant::InstantDisk;
use protocol_core::{CheckId, Disk, Input, Node, NodeId, Outbox, Output, Time, Violation};
use raft::cluster_check::ClusterCheck;
use raft::{Config, RaftEvent, RaftMsg, RaftNode, RaftTimer};
use std::collections::{BTreeMap, VecDeque};

/// The test network's own check: a message storm that never lets time move. Not one of
/// Raft's safety checks, so a mutant that only livelocks is not counted as caught.
pub const LIVELOCK: CheckId = CheckId::new("livelock");

pub struct Cluster {
    pub config: Config,
    pub nodes: Vec<Option<RaftNode>>,
    pub disks: Vec<Disk>,
    pub connected: Vec<bool>,
    pub now: Time,
    pub applied: Vec<Vec<RaftEvent>>,
    pub check: ClusterCheck,
    pub messages_delivered: u64,
    /// Like the course's applierSnap: snapshot after every index that is a multiple of this.
    pub snapshot_every: Option<u64>,
    /// When set, the first checker violation is kept here (with its time) instead of
    /// failing the test.
    pub record_violations: bool,
    pub violation: Option<(Time, Violation)>,
    queue: VecDeque<(NodeId, NodeId, RaftMsg)>,
    timers: BTreeMap<(u32, RaftTimer), Time>,
    boots: u64,
}

impl Cluster {
    pub fn new(config: Config) -> Cluster {
        let n = config.peers.len();
        let mut cluster = Cluster {
            nodes: (0..n).map(|_| None).collect(),
            disks: vec![Disk::new(); n],
            connected: vec![true; n],
            now: Time::ZERO,
            applied: vec![Vec::new(); n],
            check: ClusterCheck::new(n),
            messages_delivered: 0,
            snapshot_every: None,
            record_violations: false,
            violation: None,
            queue: VecDeque::new(),
            timers: BTreeMap::new(),
            boots: 0,
            config,
        };
        for i in 0..n {
            cluster.restart(i);
        }
        cluster
    }

    /// Crashes node `i` (if up) and boots it again from its disk.
    pub fn restart(&mut self, i: usize) {
        self.crash(i);
        self.boots += 1;
        let mut out = Outbox::new();
        let node = RaftNode::boot(
            &self.config,
            NodeId(i as u32),
            &self.disks[i],
            self.boots,
            self.now,
            &mut out,
        )
        .expect("disks written by the core decode");
        self.nodes[i] = Some(node);
        self.check.restarted(NodeId(i as u32));
        self.carry_out(i, &mut out);
    }

    pub fn crash(&mut self, i: usize) {
        self.nodes[i] = None;
        self.timers.retain(|&(n, _), _| n != i as u32);
        self.queue
            .retain(|(from, to, _)| from.index() != i && to.index() != i);
    }

    pub fn node(&self, i: usize) -> &RaftNode {
        self.nodes[i].as_ref().expect("node is up")
    }

    pub fn leader(&self) -> Option<usize> {
        let leaders = (0..self.nodes.len()).filter(|&i| {
            self.connected[i] && self.nodes[i].as_ref().is_some_and(|n| n.is_leader())
        });
        leaders.max_by_key(|&i| self.node(i).term())
    }

    /// Calls `start` on node `i` directly, as a layered service would.
    pub fn start(&mut self, i: usize, command: Vec<u8>) -> Option<(u64, u64)> {
        let mut out = Outbox::new();
        let now = self.now;
        let result = self.nodes[i].as_mut()?.start(now, command, &mut out).ok();
        self.carry_out(i, &mut out);
        result.map(|(index, term)| (index.0, term.0))
    }

    pub fn snapshot(&mut self, i: usize, index: u64, data: Vec<u8>) {
        let mut out = Outbox::new();
        let now = self.now;
        let node = self.nodes[i].as_mut().expect("node is up");
        node.snapshot(now, raft::LogIndex(index), data, &mut out);
        self.carry_out(i, &mut out);
    }

    /// Runs until virtual time `until`.
    pub fn run_until(&mut self, until: Time) {
        let mut at_this_instant = 0u64;
        loop {
            if let Some((from, to, msg)) = self.queue.pop_front() {
                self.messages_delivered += 1;
                at_this_instant += 1;
                // The network is instant, so a message storm never lets time move: a livelock.
                if at_this_instant > 1_000_000 {
                    let message = format!("a million messages at one instant, last {msg:?}");
                    self.report(Violation::new(LIVELOCK, message));
                    self.queue.clear();
                    continue;
                }
                self.handle(to.index(), Input::Message { from, msg });
                continue;
            }
            let next = self
                .timers
                .iter()
                .min_by_key(|(_, &at)| at)
                .map(|(&k, &at)| (k, at));
            match next {
                Some(((n, timer), at)) if at <= until => {
                    self.timers.remove(&(n, timer));
                    at_this_instant = 0;
                    self.now = self.now.max(at);
                    self.handle(n as usize, Input::Timer(timer));
                }
                _ => break,
            }
        }
        self.now = until;
    }

    pub fn run_ms(&mut self, ms: u64) {
        self.run_until(self.now.plus_ms(ms));
    }

    fn handle(&mut self, i: usize, input: Input<RaftNode>) {
        let mut out = Outbox::new();
        let Some(node) = self.nodes[i].as_mut() else {
            return;
        };
        node.handle(self.now, input, &mut out);
        node.check_invariants();
        self.carry_out(i, &mut out);
    }

    /// Carries out node `i`'s outputs on an instant disk: every sync answered at once.
    fn carry_out(&mut self, i: usize, out: &mut Outbox<RaftNode>) {
        let id = NodeId(i as u32);
        let mut snapshot_at = None;
        let node = self.nodes[i]
            .as_mut()
            .expect("a node that just stepped is up");
        let mut disk = InstantDisk {
            disk: std::mem::take(&mut self.disks[i]),
        };
        let outputs = disk.settle(node, self.now, out);
        self.disks[i] = disk.disk;
        for output in outputs {
            match output {
                Output::Send { to, msg } => {
                    if self.connected[i]
                        && self.connected[to.index()]
                        && self.nodes[to.index()].is_some()
                    {
                        self.queue.push_back((id, to, msg));
                    }
                }
                Output::SetTimer { timer, at } => {
                    self.timers.insert((i as u32, timer), at);
                }
                Output::CancelTimer(timer) => {
                    self.timers.remove(&(i as u32, timer));
                }
                // Carried out on the disk already.
                Output::Persist(_) | Output::File(_) | Output::Sync { .. } => {}
                Output::Halt(reason) => panic!("{id} halted on a disk that never fails: {reason}"),
                Output::Emit(event) => {
                    if let Err(violation) = self.check.applied(id, &event) {
                        self.report(violation);
                    }
                    if let (RaftEvent::Applied { index, .. }, Some(every)) =
                        (&event, self.snapshot_every)
                    {
                        if index.0 % every == 0 {
                            snapshot_at = Some(index.0);
                        }
                    }
                    self.applied[i].push(event);
                }
            }
        }
        if let Some(index) = snapshot_at {
            let data = encode_commands(&self.applied_commands(i)[..index as usize]);
            self.snapshot(i, index, data);
        }
        let views: Vec<Option<&RaftNode>> = self.nodes.iter().map(Option::as_ref).collect();
        if let Err(violation) = self.check.after_step(&views) {
            self.report(violation);
        }
    }

    fn report(&mut self, violation: Violation) {
        assert!(self.record_violations, "t={} {violation}", self.now);
        self.violation.get_or_insert((self.now, violation));
    }

    /// Node `i`'s view of the committed log by index, across restarts (the course's
    /// `cfg.logs[i]`); a snapshot replaces the view, like applierSnap.
    pub fn applied_commands(&self, i: usize) -> Vec<Vec<u8>> {
        let mut by_index: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
        for event in &self.applied[i] {
            match event {
                RaftEvent::Applied { index, command, .. } => {
                    by_index.insert(index.0, command.clone());
                }
                RaftEvent::Snapshot { data, .. } => {
                    by_index = (1..).zip(decode_commands(data)).collect();
                }
                RaftEvent::Started(_) => {}
            }
        }
        let commands: Vec<Vec<u8>> = by_index.values().cloned().collect();
        assert_eq!(
            by_index.keys().last().copied().unwrap_or(0),
            commands.len() as u64,
            "node {i}: gap"
        );
        commands
    }
}

/// The tests' snapshot format: the commands so far, one length-prefixed blob each.
pub fn encode_commands(commands: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for c in commands {
        bytes.push(c.len() as u8);
        bytes.extend_from_slice(c);
    }
    bytes
}

pub fn decode_commands(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut commands = Vec::new();
    while let Some((&len, rest)) = bytes.split_first() {
        commands.push(rest[..len as usize].to_vec());
        bytes = &rest[len as usize..];
    }
    commands
}

impl Cluster {
    /// How many nodes hold `index` in their committed view, and the command there if they agree
    /// (the course's `nCommitted`).
    pub fn n_committed(&self, index: u64) -> (usize, Option<Vec<u8>>) {
        let mut count = 0;
        let mut value: Option<Vec<u8>> = None;
        for i in 0..self.nodes.len() {
            if let Some(command) = self.applied_commands(i).get(index as usize - 1) {
                if let Some(v) = &value {
                    assert_eq!(
                        v, command,
                        "node {i} committed a different command at {index}"
                    );
                }
                value = Some(command.clone());
                count += 1;
            }
        }
        (count, value)
    }

    /// The course's `one(cmd, expected, retry=true)`: submit to a leader until `expected`
    /// nodes committed `command`, within 10 s of virtual time. Returns the index.
    pub fn one(&mut self, command: Vec<u8>, expected: usize) -> u64 {
        let deadline = self.now.plus_ms(10_000);
        while self.now < deadline {
            let up: Vec<usize> = (0..self.nodes.len())
                .filter(|&i| self.connected[i] && self.nodes[i].is_some())
                .collect();
            let started = up.into_iter().find_map(|i| self.start(i, command.clone()));
            if let Some((index, _)) = started {
                for _ in 0..100 {
                    self.run_ms(20);
                    let (count, value) = self.n_committed(index);
                    if count >= expected && value.as_ref() == Some(&command) {
                        return index;
                    }
                }
            } else {
                self.run_ms(50);
            }
        }
        panic!("one({command:?}) failed to reach agreement");
    }
}
