//! One KV server: it owns a Raft node and runs the store on what Raft applies.

use crate::config::ServerConfig;
use crate::debug::ServerEvent;
use crate::msg::{Command, KvMsg, Op, Outcome, Reply};
use crate::mutant::Mutant;
use crate::store::Store;
use protocol_core::{BootError, ClientId, Disk, Input, Node, NodeId, Outbox, Output, Time};
use raft::{LogIndex, RaftEvent, RaftMsg, RaftNode, RaftTimer, Term};
use std::collections::BTreeMap;
use std::convert::Infallible;

/// A request started in the Raft log and not yet answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Waiting {
    from: NodeId,
    client: ClientId,
    seq: u64,
    term: Term,
}

pub struct KvServer {
    id: NodeId,
    config: ServerConfig,
    raft: RaftNode,
    store: Store,
    /// The last log index the store has applied (equal to Raft's after every step).
    applied: LogIndex,
    /// The index of the latest snapshot taken or installed.
    snapshot_index: LogIndex,
    /// Requests waiting for their log index to apply, by index.
    waiting: BTreeMap<LogIndex, Waiting>,
    /// Raft's outputs of the current step, translated after each call into Raft.
    raft_out: Outbox<RaftNode>,
    /// The size of the last snapshot this server encoded: the next one's buffer size.
    last_snapshot_len: usize,
}

impl Node for KvServer {
    type Msg = KvMsg;
    type Timer = RaftTimer;
    /// A server takes no requests from the layer above: clerks reach it by message.
    type Request = Infallible;
    type Event = ServerEvent;
    type Config = ServerConfig;

    fn boot(
        config: &ServerConfig,
        id: NodeId,
        disk: &Disk,
        seed: u64,
        now: Time,
        out: &mut Outbox<KvServer>,
    ) -> Result<KvServer, BootError> {
        let mut raft_out = Outbox::new();
        let raft = RaftNode::boot(&config.raft, id, disk, seed, now, &mut raft_out)?;
        let mut server = KvServer {
            id,
            config: config.clone(),
            raft,
            store: Store::default(),
            applied: LogIndex::ZERO,
            snapshot_index: LogIndex::ZERO,
            waiting: BTreeMap::new(),
            raft_out: Outbox::new(),
            last_snapshot_len: 0,
        };
        // Raft's boot hands back the snapshot it holds; restoring it must not fail silently.
        for output in raft_out.drain() {
            if let Output::Emit(RaftEvent::Snapshot { index, data, .. }) = &output {
                Store::decode(data)
                    .map_err(|reason| BootError::CorruptDisk { node: id, reason })?;
                assert!(*index > LogIndex::ZERO, "{id}: snapshot at index 0");
            }
            server.translate(now, output, out);
        }
        server.after_step(now, out);
        Ok(server)
    }

    fn handle(&mut self, now: Time, input: Input<KvServer>, out: &mut Outbox<KvServer>) {
        match input {
            Input::Message { from, msg } => match msg {
                KvMsg::Raft(msg) => self.on_raft_message(now, from, msg),
                KvMsg::Request(command) => self.on_request(now, from, command, out),
                // Replies go to clerks; one reaching a server was misaddressed: drop it.
                KvMsg::Reply(_) => {}
            },
            Input::Timer(timer) => self.on_raft_timer(now, timer),
            Input::Request(never) => match never {},
            // Only Raft writes to the disk: its syncs are its own.
            Input::Synced { token, result } => {
                let input = Input::Synced { token, result };
                self.raft.handle(now, input, &mut self.raft_out);
            }
        }
        self.after_step(now, out);
    }

    fn check_invariants(&self) {
        let id = self.id;
        self.raft.check_invariants();
        assert_eq!(
            self.applied,
            self.raft.last_applied(),
            "{id}: store applied {} but raft applied {}",
            self.applied,
            self.raft.last_applied()
        );
        assert!(
            self.snapshot_index <= self.applied,
            "{id}: snapshot {} past applied {}",
            self.snapshot_index,
            self.applied
        );
        if let Some((&index, _)) = self.waiting.iter().next() {
            assert!(
                index > self.applied,
                "{id}: request at {index} still waits, applied {}",
                self.applied
            );
            assert!(self.raft.is_leader(), "{id}: requests wait on a non-leader");
        }
    }
}

impl KvServer {
    pub fn raft(&self) -> &RaftNode {
        &self.raft
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn applied(&self) -> LogIndex {
        self.applied
    }

    /// The size of Raft's durable state (the course's `RaftStateSize`).
    pub fn raft_state_bytes(&self) -> usize {
        self.raft.state_bytes()
    }

    fn on_raft_message(&mut self, now: Time, from: NodeId, msg: RaftMsg) {
        // Raft asserts its messages come from peers; a clerk posing as one is dropped here.
        if from == self.id || !self.config.raft.peers.contains(&from) {
            return;
        }
        let input = Input::Message { from, msg };
        self.raft.handle(now, input, &mut self.raft_out);
    }

    fn on_raft_timer(&mut self, now: Time, timer: RaftTimer) {
        self.raft
            .handle(now, Input::Timer(timer), &mut self.raft_out);
    }

    fn on_request(
        &mut self,
        now: Time,
        from: NodeId,
        command: Command,
        out: &mut Outbox<KvServer>,
    ) {
        if self.config.is_mutant(Mutant::StaleLocalRead) && self.raft.is_leader() {
            if let Op::Get { key } = &command.op {
                let value = self.store.read(key);
                return reply(out, from, &command, Outcome::Ok { value });
            }
        }
        let started = self.raft.start(now, command.encode(), &mut self.raft_out);
        match started {
            Err(not_leader) => {
                let leader_hint = not_leader.leader_hint;
                reply(out, from, &command, Outcome::WrongLeader { leader_hint })
            }
            Ok(_) if self.config.is_mutant(Mutant::ReplyBeforeApply) => {
                let value = match &command.op {
                    Op::Get { key } => self.store.read(key),
                    Op::Put { .. } | Op::Append { .. } => String::new(),
                };
                reply(out, from, &command, Outcome::Ok { value })
            }
            Ok((index, term)) => {
                assert!(
                    index > self.applied,
                    "{}: started at applied {index}",
                    self.id
                );
                let waiting = Waiting {
                    from,
                    client: command.client,
                    seq: command.seq,
                    term,
                };
                // The slot was someone else's in an older term: that one lost it.
                if let Some(old) = self.waiting.insert(index, waiting) {
                    self.answer_lost(old, out);
                }
            }
        }
    }

    /// Translates Raft's outputs, snapshots if Raft's state grew too big, and answers the
    /// requests a lost leadership or a changed term leaves without an outcome.
    fn after_step(&mut self, now: Time, out: &mut Outbox<KvServer>) {
        self.pump(now, out);
        self.maybe_snapshot(now, out);
        let term = self.raft.term();
        let leader = self.raft.is_leader();
        if !self.waiting.is_empty() && (!leader || self.waiting.values().any(|w| w.term != term)) {
            let lost: Vec<LogIndex> = self
                .waiting
                .iter()
                .filter(|(_, w)| !leader || w.term != term)
                .map(|(&index, _)| index)
                .collect();
            for index in lost {
                let waiting = self.waiting.remove(&index).expect("index listed above");
                self.answer_lost(waiting, out);
            }
        }
    }

    fn pump(&mut self, now: Time, out: &mut Outbox<KvServer>) {
        let mut raft_out = std::mem::take(&mut self.raft_out);
        for output in raft_out.drain() {
            self.translate(now, output, out);
        }
        self.raft_out = raft_out;
    }

    fn translate(&mut self, _now: Time, output: Output<RaftNode>, out: &mut Outbox<KvServer>) {
        match output {
            Output::Send { to, msg } => out.send(to, KvMsg::Raft(msg)),
            Output::SetTimer { timer, at } => out.set_timer(timer, at),
            Output::CancelTimer(timer) => out.cancel_timer(timer),
            Output::Persist(write) => out.persist(write),
            Output::File(op) => out.file(op),
            Output::Sync { target, token } => out.sync(target, token),
            Output::Halt(reason) => out.halt(reason),
            Output::Emit(event) => self.on_raft_event(event, out),
        }
    }

    /// Runs what Raft applied on the store, then reports it: the applied stream the
    /// cluster checker compares across servers.
    fn on_raft_event(&mut self, event: RaftEvent, out: &mut Outbox<KvServer>) {
        match &event {
            RaftEvent::Applied { index, command, .. } => self.on_applied(*index, command, out),
            RaftEvent::Snapshot { index, data, .. } => self.on_snapshot(*index, data, out),
            RaftEvent::Started(_) => {
                panic!(
                    "{}: Raft answered a Start request the server never sent",
                    self.id
                )
            }
        }
        out.emit(ServerEvent(event));
    }

    fn on_applied(&mut self, index: LogIndex, command: &[u8], out: &mut Outbox<KvServer>) {
        assert_eq!(
            index,
            self.applied.next(),
            "{}: applied {index} after {}",
            self.id,
            self.applied
        );
        self.applied = index;
        let waiting = self.waiting.remove(&index);
        // Every replica holds the same bytes, so every replica skips the same entry.
        let Ok(command) = Command::decode(command) else {
            if let Some(waiting) = waiting {
                self.answer_lost(waiting, out);
            }
            return;
        };
        let detect = !self.config.is_mutant(Mutant::NoDuplicateDetection);
        let value = self.store.apply(&command, detect);
        if let Some(waiting) = waiting {
            if (waiting.client, waiting.seq) == (command.client, command.seq) {
                reply(out, waiting.from, &command, Outcome::Ok { value });
            } else {
                self.answer_lost(waiting, out);
            }
        }
    }

    fn on_snapshot(&mut self, index: LogIndex, data: &[u8], out: &mut Outbox<KvServer>) {
        assert!(
            index > self.applied,
            "{}: snapshot at {index} not past applied {}",
            self.id,
            self.applied
        );
        // Boot checked the disk's snapshot; an installed one was checksummed in transit and
        // encoded by a peer running this code, so bad bytes here are a bug.
        self.store = Store::decode(data)
            .unwrap_or_else(|reason| panic!("{}: snapshot at {index}: {reason}", self.id));
        self.applied = index;
        self.snapshot_index = index;
        let covered: Vec<LogIndex> = self.waiting.range(..=index).map(|(&i, _)| i).collect();
        for i in covered {
            let waiting = self.waiting.remove(&i).expect("index listed above");
            self.answer_lost(waiting, out);
        }
    }

    fn maybe_snapshot(&mut self, now: Time, out: &mut Outbox<KvServer>) {
        let Some(max) = self.config.max_raft_state else {
            return;
        };
        if self.raft.state_bytes() < max || self.applied <= self.snapshot_index {
            return;
        }
        let with_dups = !self.config.is_mutant(Mutant::DupTableNotInSnapshot);
        // A store only grows between snapshots, mostly: reserve a little past the last one.
        let reserve = self.last_snapshot_len + self.last_snapshot_len / 8;
        let data = self
            .store
            .encode_into(with_dups, Vec::with_capacity(reserve));
        self.last_snapshot_len = data.len();
        self.raft
            .snapshot(now, self.applied, data, &mut self.raft_out);
        self.snapshot_index = self.applied;
        self.pump(now, out);
    }

    /// The request's outcome is unknown here: the clerk must try again, maybe elsewhere.
    fn answer_lost(&self, waiting: Waiting, out: &mut Outbox<KvServer>) {
        let reply = Reply {
            client: waiting.client,
            seq: waiting.seq,
            outcome: Outcome::WrongLeader {
                leader_hint: self.raft.leader_hint().filter(|&l| l != self.id),
            },
        };
        out.send(waiting.from, KvMsg::Reply(reply));
    }
}

fn reply(out: &mut Outbox<KvServer>, to: NodeId, command: &Command, outcome: Outcome) {
    let reply = Reply {
        client: command.client,
        seq: command.seq,
        outcome,
    };
    out.send(to, KvMsg::Reply(reply));
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
