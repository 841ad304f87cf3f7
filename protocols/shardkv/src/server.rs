//! One server of a replica group: it owns a Raft node (through `shardctrler::rsm`), runs the
//! group's state machine on what Raft applies, answers clerks for the shards it serves, and
//! (as leader) drives the group through configurations and migrations (`migrate.rs`).

use crate::msg::{Command, Outcome, Reply, ShardKvMsg, ShardsInstalled};
use crate::mutant::Mutant;
use crate::node::{ServerEvent, ServerTimer};
use crate::node_config::ServerConfig;
use crate::shard::ShardStatus;
use crate::state::{Applied, GroupOp, GroupState, Quirks};
use protocol_core::{BootError, ClientId, Disk, Input, Node, NodeId, Outbox, Time};
use raft::{LogIndex, RaftEvent, RaftMsg, RaftNode, RaftTimer};
use shardctrler::rsm::{RaftHost, Rsm, Waiters};
use shardctrler::{ClerkConfig as CtrlerClerkConfig, ConfigNum, CtrlerClerk, GroupId, NSHARDS};
use std::collections::BTreeMap;
use std::convert::Infallible;

/// A client request started in the log and not yet answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Waiting {
    from: NodeId,
    client: ClientId,
    seq: u64,
}

pub struct ShardKvServer {
    pub(crate) id: NodeId,
    pub(crate) config: ServerConfig,
    pub(crate) quirks: Quirks,
    pub(crate) rsm: Rsm,
    pub(crate) state: GroupState,
    waiting: Waiters<Waiting>,
    /// The controller clerk the leader polls with (volatile: a restart starts afresh).
    pub(crate) ctrler: CtrlerClerk,
    /// Per old owner, which of its servers the pulls and notices go to.
    pub(crate) turn: BTreeMap<GroupId, crate::migrate::Turn>,
    /// New owners told about a Delete entry in flight: answered once it applies.
    pub(crate) deletion_waiters: Vec<(NodeId, ShardsInstalled)>,
    /// An applied entry changed the shards this step: the leader acts on it at the step's end.
    changed: bool,
    /// When the tick is due; a fire before it is stale.
    pub(crate) tick_at: Time,
    /// The last `Shards` event emitted, so an unchanged view is not emitted again.
    last_view: Option<(ConfigNum, [ShardStatus; NSHARDS], [bool; NSHARDS])>,
}

impl RaftHost for ShardKvServer {
    fn wrap_raft(msg: RaftMsg) -> ShardKvMsg {
        ShardKvMsg::Raft(msg)
    }

    fn wrap_raft_timer(timer: RaftTimer) -> ServerTimer {
        ServerTimer::Raft(timer)
    }
}

impl Node for ShardKvServer {
    type Msg = ShardKvMsg;
    type Timer = ServerTimer;
    /// A server takes no requests: clerks reach it by message.
    type Request = Infallible;
    type Event = ServerEvent;
    type Config = ServerConfig;

    fn boot(
        config: &ServerConfig,
        id: NodeId,
        disk: &Disk,
        seed: u64,
        now: Time,
        out: &mut Outbox<ShardKvServer>,
    ) -> Result<ShardKvServer, BootError> {
        config
            .validate()
            .map_err(|reason| BootError::InvalidConfig { node: id, reason })?;
        let rsm = Rsm::boot(&config.raft, config.max_raft_state, id, disk, seed, now)?;
        let ctrler_config =
            CtrlerClerkConfig::new(ClientId(u64::from(id.0)), config.ctrlers.clone());
        let ctrler = CtrlerClerk::new(&ctrler_config, id)
            .map_err(|reason| BootError::InvalidConfig { node: id, reason })?;
        let mut server = ShardKvServer {
            id,
            config: config.clone(),
            quirks: Mutant::quirks(config.mutant),
            rsm,
            state: GroupState::new(config.gid),
            waiting: Waiters::default(),
            ctrler,
            turn: BTreeMap::new(),
            deletion_waiters: Vec::new(),
            changed: false,
            tick_at: now.plus_ms(config.poll_ms),
            last_view: None,
        };
        // Raft's boot hands back the snapshot it holds; bad bytes are a boot error, not a panic.
        for event in server.rsm.pump(out) {
            if let RaftEvent::Snapshot { data, .. } = &event {
                GroupState::decode(data, config.gid)
                    .map_err(|reason| BootError::CorruptDisk { node: id, reason })?;
            }
            server.on_raft_event(event, out);
        }
        out.set_timer(ServerTimer::Tick, server.tick_at);
        server.emit_view(out);
        server.after_step(now, out);
        Ok(server)
    }

    fn handle(&mut self, now: Time, input: Input<ShardKvServer>, out: &mut Outbox<ShardKvServer>) {
        match input {
            Input::Message { from, msg } => match msg {
                ShardKvMsg::Raft(msg) => self.rsm.on_raft_message(now, from, msg),
                ShardKvMsg::Ctrler(msg) => self.on_ctrler_message(now, from, msg, out),
                ShardKvMsg::Request(command) => self.on_request(now, from, command, out),
                ShardKvMsg::Pull(pull) => self.on_pull(now, from, pull, out),
                ShardKvMsg::PullReply(reply) => self.on_pull_reply(now, from, reply),
                ShardKvMsg::Installed(installed) => self.on_installed(now, from, installed, out),
                ShardKvMsg::Deleted(deleted) => self.on_deleted(now, from, deleted),
                // Replies go to clerks; one reaching a server was misaddressed: drop it.
                ShardKvMsg::Reply(_) => {}
            },
            Input::Timer(ServerTimer::Raft(timer)) => self.rsm.on_raft_timer(now, timer),
            Input::Timer(ServerTimer::Ctrler(timer)) => self.on_ctrler_timer(now, timer, out),
            Input::Timer(ServerTimer::Tick) => self.on_tick(now, out),
            Input::Request(never) => match never {},
            Input::Synced { token, result } => self.rsm.on_synced(now, token, result),
        }
        self.after_step(now, out);
    }

    fn check_invariants(&self) {
        let (id, gid, num) = (self.id, self.state.gid(), self.state.config().num);
        self.rsm.check_invariants();
        self.state.check_invariants(id, self.quirks);
        self.ctrler.check_invariants();
        if let Some(index) = self.waiting.first_index() {
            assert!(
                index > self.rsm.applied(),
                "{id} {gid} {num}: request at {index} still waits, applied {}",
                self.rsm.applied()
            );
            assert!(
                self.rsm.is_leader(),
                "{id} {gid} {num}: requests wait on a non-leader"
            );
        }
    }
}

impl ShardKvServer {
    pub fn gid(&self) -> GroupId {
        self.state.gid()
    }

    pub fn raft(&self) -> &RaftNode {
        self.rsm.raft()
    }

    /// The group's replicated state as this server has applied it.
    pub fn state(&self) -> &GroupState {
        &self.state
    }

    pub fn applied(&self) -> LogIndex {
        self.rsm.applied()
    }

    pub fn raft_state_bytes(&self) -> usize {
        self.rsm.raft_state_bytes()
    }

    fn on_request(
        &mut self,
        now: Time,
        from: NodeId,
        command: Command,
        out: &mut Outbox<ShardKvServer>,
    ) {
        if !self.rsm.is_leader() {
            let leader_hint = self.rsm.raft().leader_hint();
            return reply(out, from, &command, Outcome::WrongLeader { leader_hint });
        }
        // Checked again when the entry applies; refusing now spares the log.
        if !self.state.serves(&command.op, self.quirks) {
            return reply(out, from, &command, Outcome::WrongGroup);
        }
        let waiting = Waiting {
            from,
            client: command.client,
            seq: command.seq,
        };
        match self
            .rsm
            .start(now, GroupOp::Client(command.clone()).encode())
        {
            Err(not_leader) => reply(
                out,
                from,
                &command,
                Outcome::WrongLeader {
                    leader_hint: not_leader.leader_hint,
                },
            ),
            Ok((index, term)) => {
                // The slot was someone else's in an older term: that one lost it.
                if let Some(old) = self.waiting.add(index, term, waiting) {
                    self.answer_lost(old, out);
                }
            }
        }
    }

    /// Starts one of the group's own entries, if this server leads (else the next leader
    /// will find the same work to do).
    pub(crate) fn start_own(&mut self, now: Time, op: GroupOp) {
        let _ = self.rsm.start(now, op.encode());
    }

    /// Carries out Raft's outputs, applies what it applied, snapshots if Raft's state grew
    /// too big, answers the requests left without an outcome, and (as leader) acts on
    /// changed shards.
    fn after_step(&mut self, now: Time, out: &mut Outbox<ShardKvServer>) {
        loop {
            for event in self.rsm.pump(out) {
                self.on_raft_event(event, out);
            }
            if self.rsm.snapshot_due() && !self.config.is_mutant(Mutant::NeverSnapshot) {
                self.rsm.snapshot(now, self.state.encode());
                continue;
            }
            let raft = self.rsm.raft();
            if raft.is_leader() && raft.log().last_term() < raft.term() {
                self.start_own(now, GroupOp::Noop);
                continue;
            }
            let raft = self.rsm.raft();
            for lost in self.waiting.take_lost(raft.is_leader(), raft.term()) {
                self.answer_lost(lost, out);
            }
            if !std::mem::take(&mut self.changed) {
                return;
            }
            self.answer_deletion_waiters(out);
            if self.rsm.is_leader() {
                self.migrate(now, false, out); // may start entries: pump again
            }
        }
    }

    fn on_raft_event(&mut self, event: RaftEvent, out: &mut Outbox<ShardKvServer>) {
        match &event {
            RaftEvent::Applied { index, command, .. } => self.on_applied(*index, command, out),
            RaftEvent::Snapshot { index, data, .. } => {
                // Boot checked the disk's snapshot; an installed one was checksummed in transit
                // and encoded by a peer running this code, so bad bytes here are a bug.
                self.state = GroupState::decode(data, self.config.gid).unwrap_or_else(|reason| {
                    panic!(
                        "{} {}: snapshot at {index}: {reason}",
                        self.id, self.config.gid
                    )
                });
                for lost in self.waiting.take_through(*index) {
                    self.answer_lost(lost, out);
                }
                self.changed = true;
                self.emit_view(out);
            }
            RaftEvent::Started(_) => unreachable!("Rsm::pump never returns Started"),
        }
        out.emit(ServerEvent::Raft(event));
    }

    fn on_applied(&mut self, index: LogIndex, command: &[u8], out: &mut Outbox<ShardKvServer>) {
        let waiting = self.waiting.take(index);
        // Every replica holds the same bytes, so every replica skips the same entry.
        let op = GroupOp::decode(command).ok();
        let client = match &op {
            Some(GroupOp::Client(command)) => Some((command.client, command.seq)),
            Some(_) | None => None,
        };
        let applied = op.map(|op| self.state.apply(op, self.quirks));
        self.emit_view(out); // a reconfiguration, or a first write into a shard
        match applied {
            Some(Applied::Changed(changed)) => self.changed |= changed,
            Some(Applied::Client(outcome)) => {
                if let (Some(w), Some((client, seq))) = (waiting, client) {
                    if (w.client, w.seq) == (client, seq) {
                        let reply = Reply {
                            client,
                            seq,
                            outcome,
                        };
                        return out.send(w.from, ShardKvMsg::Reply(reply));
                    }
                }
            }
            None => {}
        }
        if let Some(waiting) = waiting {
            self.answer_lost(waiting, out);
        }
    }

    /// Reports the shards' statuses and holdings when they differ from the last report.
    fn emit_view(&mut self, out: &mut Outbox<ShardKvServer>) {
        let status = self.state.statuses();
        let held = std::array::from_fn(|s| {
            !self
                .state
                .shard(shardctrler::ShardId(s as u32))
                .data
                .is_empty()
        });
        let view = (self.state.config().num, status, held);
        if self.last_view == Some(view) {
            return;
        }
        self.last_view = Some(view);
        out.emit(ServerEvent::Shards {
            gid: self.state.gid(),
            num: view.0,
            status,
            held,
        });
    }

    /// The request's outcome is unknown here: the clerk must try again, maybe elsewhere.
    fn answer_lost(&self, waiting: Waiting, out: &mut Outbox<ShardKvServer>) {
        let leader_hint = self.rsm.raft().leader_hint().filter(|&l| l != self.id);
        let reply = Reply {
            client: waiting.client,
            seq: waiting.seq,
            outcome: Outcome::WrongLeader { leader_hint },
        };
        out.send(waiting.from, ShardKvMsg::Reply(reply));
    }
}

fn reply(out: &mut Outbox<ShardKvServer>, to: NodeId, command: &Command, outcome: Outcome) {
    let reply = Reply {
        client: command.client,
        seq: command.seq,
        outcome,
    };
    out.send(to, ShardKvMsg::Reply(reply));
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
