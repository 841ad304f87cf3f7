//! One controller server: it owns a Raft node (through [`Rsm`]) and runs the configurations'
//! state machine on what Raft applies. Every operation, Query included, goes through the log.

use crate::msg::{Answer, Command, CtrlerMsg, CtrlerOp, Outcome, Reply};
use crate::mutant::Mutant;
use crate::node::ServerEvent;
use crate::node_config::ServerConfig;
use crate::rsm::{RaftHost, Rsm, Waiters};
use crate::state::{CtrlerState, Rebalancer};
use protocol_core::rng::{self, Rng};
use protocol_core::{BootError, ClientId, Disk, Input, Node, NodeId, Outbox, Time};
use raft::{LogIndex, RaftEvent, RaftMsg, RaftTimer};
use std::convert::Infallible;

/// A request started in the log and not yet answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Waiting {
    from: NodeId,
    client: ClientId,
    seq: u64,
}

pub struct CtrlerServer {
    id: NodeId,
    config: ServerConfig,
    rsm: Rsm,
    state: CtrlerState,
    waiting: Waiters<Waiting>,
    /// Only the `rebalance-in-local-order` mutant draws from it.
    rng: Rng,
}

impl RaftHost for CtrlerServer {
    fn wrap_raft(msg: RaftMsg) -> CtrlerMsg {
        CtrlerMsg::Raft(msg)
    }

    fn wrap_raft_timer(timer: RaftTimer) -> RaftTimer {
        timer
    }
}

impl Node for CtrlerServer {
    type Msg = CtrlerMsg;
    type Timer = RaftTimer;
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
        out: &mut Outbox<CtrlerServer>,
    ) -> Result<CtrlerServer, BootError> {
        let rsm = Rsm::boot(&config.raft, config.max_raft_state, id, disk, seed, now)?;
        let mut server = CtrlerServer {
            id,
            config: config.clone(),
            rsm,
            state: CtrlerState::default(),
            waiting: Waiters::default(),
            rng: rng::rng_from_seed(rng::derive_seed(seed, "rebalance", 0)),
        };
        // Raft's boot hands back the snapshot it holds; bad bytes are a boot error, not a panic.
        for event in server.rsm.pump(out) {
            if let RaftEvent::Snapshot { data, .. } = &event {
                CtrlerState::decode(data)
                    .map_err(|reason| BootError::CorruptDisk { node: id, reason })?;
            }
            server.on_raft_event(event, out);
        }
        server.after_step(now, out);
        Ok(server)
    }

    fn handle(&mut self, now: Time, input: Input<CtrlerServer>, out: &mut Outbox<CtrlerServer>) {
        match input {
            Input::Message { from, msg } => match msg {
                CtrlerMsg::Raft(msg) => self.rsm.on_raft_message(now, from, msg),
                CtrlerMsg::Request(command) => self.on_request(now, from, command, out),
                // Replies go to clerks; one reaching a server was misaddressed: drop it.
                CtrlerMsg::Reply(_) => {}
            },
            Input::Timer(timer) => self.rsm.on_raft_timer(now, timer),
            Input::Request(never) => match never {},
            Input::Synced { token, result } => self.rsm.on_synced(now, token, result),
        }
        self.after_step(now, out);
    }

    fn check_invariants(&self) {
        let id = self.id;
        self.rsm.check_invariants();
        if let Some(index) = self.waiting.first_index() {
            assert!(
                index > self.rsm.applied(),
                "{id}: request at {index} still waits, applied {}",
                self.rsm.applied()
            );
            assert!(self.rsm.is_leader(), "{id}: requests wait on a non-leader");
        }
        let latest = self.state.latest();
        assert_eq!(
            latest.num.0 as usize + 1,
            self.state.configs().len(),
            "{id}: {} is not last",
            latest.num
        );
        if let Err(reason) = latest.validate() {
            panic!("{id}: applied an invalid configuration: {reason}");
        }
    }
}

impl CtrlerServer {
    pub fn raft(&self) -> &raft::RaftNode {
        self.rsm.raft()
    }

    pub fn state(&self) -> &CtrlerState {
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
        out: &mut Outbox<CtrlerServer>,
    ) {
        if self.config.is_mutant(Mutant::StaleQuery)
            && command.op == (CtrlerOp::Query { num: None })
        {
            let answer = Answer::Config(self.state.latest().clone());
            return reply(out, from, command.client, command.seq, Outcome::Ok(answer));
        }
        match self.rsm.start(now, command.encode()) {
            Err(not_leader) => {
                let outcome = Outcome::WrongLeader {
                    leader_hint: not_leader.leader_hint,
                };
                reply(out, from, command.client, command.seq, outcome)
            }
            Ok((index, term)) => {
                let waiting = Waiting {
                    from,
                    client: command.client,
                    seq: command.seq,
                };
                // The slot was someone else's in an older term: that one lost it.
                if let Some(old) = self.waiting.add(index, term, waiting) {
                    self.answer_lost(old, out);
                }
            }
        }
    }

    /// Carries out Raft's outputs, applies what it applied, snapshots if Raft's state grew
    /// too big, and answers the requests a lost leadership or a changed term leaves without
    /// an outcome.
    fn after_step(&mut self, now: Time, out: &mut Outbox<CtrlerServer>) {
        self.pump(out);
        if self.rsm.snapshot_due() {
            self.rsm.snapshot(now, self.state.encode());
            self.pump(out);
        }
        let raft = self.rsm.raft();
        if raft.is_leader() && raft.log().last_term() < raft.term() {
            // A leader commits its predecessors' entries only once one of its own term
            // commits (Raft's Figure 8 rule). Without a client request they would wait, and
            // replicas would lag behind a change they acknowledged: so a new leader starts
            // an empty entry, the no-op every replica skips.
            let _ = self.rsm.start(now, Vec::new());
            self.pump(out);
        }
        let raft = self.rsm.raft();
        for lost in self.waiting.take_lost(raft.is_leader(), raft.term()) {
            self.answer_lost(lost, out);
        }
    }

    /// Carries out Raft's outputs and acts on what it applied.
    fn pump(&mut self, out: &mut Outbox<CtrlerServer>) {
        for event in self.rsm.pump(out) {
            self.on_raft_event(event, out);
        }
    }

    fn on_raft_event(&mut self, event: RaftEvent, out: &mut Outbox<CtrlerServer>) {
        match &event {
            RaftEvent::Applied { index, command, .. } => self.on_applied(*index, command, out),
            RaftEvent::Snapshot { index, data, .. } => {
                // Boot checked the disk's snapshot; an installed one was checksummed in transit
                // and encoded by a peer running this code, so bad bytes here are a bug.
                self.state = CtrlerState::decode(data)
                    .unwrap_or_else(|reason| panic!("{}: snapshot at {index}: {reason}", self.id));
                for lost in self.waiting.take_through(*index) {
                    self.answer_lost(lost, out);
                }
            }
            RaftEvent::Started(_) => unreachable!("Rsm::pump never returns Started"),
        }
        out.emit(ServerEvent::Raft(event));
    }

    fn on_applied(&mut self, index: LogIndex, command: &[u8], out: &mut Outbox<CtrlerServer>) {
        let waiting = self.waiting.take(index);
        // A new leader's no-op is empty. Every replica holds the same bytes, so every
        // replica skips the same entries.
        let Some(Ok(command)) = (!command.is_empty()).then(|| Command::decode(command)) else {
            if let Some(waiting) = waiting {
                self.answer_lost(waiting, out);
            }
            return;
        };
        let rebalancer = if self.config.is_mutant(Mutant::RebalanceInLocalOrder) {
            Rebalancer::LocalOrder(&mut self.rng)
        } else if self.config.is_mutant(Mutant::RebalanceFromScratch) {
            Rebalancer::FromScratch
        } else {
            Rebalancer::Minimal
        };
        let detect = !self.config.is_mutant(Mutant::NoDuplicateDetection);
        let before = self.state.latest().num;
        let answer = self.state.apply(&command, rebalancer, detect);
        if self.state.latest().num != before {
            let config = self.state.latest().clone();
            out.emit(ServerEvent::Configured {
                client: command.client,
                seq: command.seq,
                op: command.op.clone(),
                config,
            });
        }
        if let Some(waiting) = waiting {
            if (waiting.client, waiting.seq) == (command.client, command.seq) {
                reply(
                    out,
                    waiting.from,
                    command.client,
                    command.seq,
                    Outcome::Ok(answer),
                );
            } else {
                self.answer_lost(waiting, out);
            }
        }
    }

    /// The request's outcome is unknown here: the clerk must try again, maybe elsewhere.
    fn answer_lost(&self, waiting: Waiting, out: &mut Outbox<CtrlerServer>) {
        let hint = self.rsm.raft().leader_hint().filter(|&l| l != self.id);
        let outcome = Outcome::WrongLeader { leader_hint: hint };
        reply(out, waiting.from, waiting.client, waiting.seq, outcome);
    }
}

fn reply(out: &mut Outbox<CtrlerServer>, to: NodeId, client: ClientId, seq: u64, outcome: Outcome) {
    out.send(
        to,
        CtrlerMsg::Reply(Reply {
            client,
            seq,
            outcome,
        }),
    );
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
