//! An ABD client: every read and write is two rounds of messages to all servers, each done
//! when a quorum answers. A write queries for the highest tag, then stores its value with a
//! higher one; a read queries for the highest tagged value, then stores it back (so no later
//! read can see an older one), then returns it.

use crate::msg::{AbdMsg, Mutant, Tag, Versioned};
use protocol_core::{BootError, Disk, Input, Node, NodeId, Outbox, Time};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Read,
    Write(i64),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    pub servers: Vec<NodeId>,
    /// A phase without a quorum of answers this long is sent again to every server.
    pub retry_ms: u64,
    pub mutant: Option<Mutant>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClientTimer {
    Retry,
}

/// Both ends of each operation, for the history. `value` is what a read returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ClientEvent {
    Invoked {
        seq: u64,
        op: Op,
    },
    Returned {
        seq: u64,
        op: Op,
        value: Option<i64>,
    },
}

enum Phase {
    Query(BTreeMap<NodeId, Versioned>),
    Store {
        held: Versioned,
        acks: BTreeSet<NodeId>,
    },
}

struct Current {
    seq: u64,
    op: Op,
    round: u64,
    phase: Phase,
}

pub struct Client {
    id: NodeId,
    config: ClientConfig,
    next_seq: u64,
    next_round: u64,
    current: Option<Current>,
}

impl Node for Client {
    type Msg = AbdMsg;
    type Timer = ClientTimer;
    type Request = Op;
    type Event = ClientEvent;
    type Config = ClientConfig;

    fn boot(
        config: &ClientConfig,
        id: NodeId,
        _: &Disk,
        _: u64,
        _: Time,
        _: &mut Outbox<Self>,
    ) -> Result<Self, BootError> {
        if config.servers.is_empty() || config.retry_ms == 0 {
            let reason = "a client needs servers and a positive retry".to_string();
            return Err(BootError::InvalidConfig { node: id, reason });
        }
        let (next_seq, next_round, current) = (0, 0, None);
        let config = config.clone();
        Ok(Client {
            id,
            config,
            next_seq,
            next_round,
            current,
        })
    }

    fn handle(&mut self, now: Time, input: Input<Self>, out: &mut Outbox<Self>) {
        match input {
            Input::Request(op) => self.invoke(now, op, out),
            // It writes no files, so no sync of its can complete.
            Input::Synced { .. } => {}
            Input::Timer(ClientTimer::Retry) => self.send_phase(now, out),
            Input::Message { from, msg } => match msg {
                AbdMsg::QueryReply { round, held } => {
                    self.on_query_reply(now, from, round, held, out)
                }
                AbdMsg::StoreAck { round } => self.on_store_ack(from, round, out),
                // Requests go to servers; one reaching a client was misaddressed: drop it.
                AbdMsg::Query { .. } | AbdMsg::Store { .. } => {}
            },
        }
    }
}

impl Client {
    /// What the client is doing, for timelines: `idle`, or the operation and its round's
    /// phase (`read query`, `write store`).
    pub fn activity(&self) -> &'static str {
        let Some(current) = &self.current else {
            return "idle";
        };
        match (current.op, &current.phase) {
            (Op::Read, Phase::Query(_)) => "read query",
            (Op::Read, Phase::Store { .. }) => "read store",
            (Op::Write(_), Phase::Query(_)) => "write query",
            (Op::Write(_), Phase::Store { .. }) => "write store",
        }
    }

    fn quorum(&self) -> usize {
        let n = self.config.servers.len();
        match self.config.mutant {
            Some(Mutant::MinorityQuorum) => (n / 2).max(1),
            _ => n / 2 + 1,
        }
    }

    fn invoke(&mut self, now: Time, op: Op, out: &mut Outbox<Self>) {
        assert!(self.current.is_none(), "{}: {op:?} while busy", self.id);
        let seq = self.next_seq;
        self.next_seq += 1;
        out.emit(ClientEvent::Invoked { seq, op });
        let phase = Phase::Query(BTreeMap::new());
        self.current = Some(Current {
            seq,
            op,
            round: 0,
            phase,
        });
        self.next_phase(now, out);
    }

    /// Starts the current phase as a new round.
    fn next_phase(&mut self, now: Time, out: &mut Outbox<Self>) {
        let current = self.current.as_mut().expect("a phase of an operation");
        current.round = self.next_round;
        self.next_round += 1;
        self.send_phase(now, out);
    }

    /// (Re)sends the current phase's message to every server.
    fn send_phase(&mut self, now: Time, out: &mut Outbox<Self>) {
        let Some(current) = &self.current else { return };
        let round = current.round;
        let msg = match &current.phase {
            Phase::Query(_) => AbdMsg::Query { round },
            Phase::Store { held, .. } => AbdMsg::Store { round, held: *held },
        };
        for &server in &self.config.servers {
            out.send(server, msg.clone());
        }
        out.set_timer(ClientTimer::Retry, now.plus_ms(self.config.retry_ms));
    }

    fn on_query_reply(
        &mut self,
        now: Time,
        from: NodeId,
        round: u64,
        held: Versioned,
        out: &mut Outbox<Self>,
    ) {
        let quorum = self.quorum();
        let Some(current) = self.current.as_mut().filter(|c| c.round == round) else {
            return;
        };
        let Phase::Query(replies) = &mut current.phase else {
            return;
        };
        replies.insert(from, held);
        if replies.len() < quorum {
            return;
        }
        let highest = *replies
            .values()
            .max_by_key(|(tag, _)| *tag)
            .expect("a quorum replied");
        let held = match current.op {
            Op::Read => highest,
            Op::Write(value) => {
                let tag = Tag {
                    counter: highest.0.counter + 1,
                    writer: self.id.0,
                };
                (tag, Some(value))
            }
        };
        if current.op == Op::Read && self.config.mutant == Some(Mutant::SkipWriteBack) {
            return self.finish(held.1, out);
        }
        current.phase = Phase::Store {
            held,
            acks: BTreeSet::new(),
        };
        self.next_phase(now, out);
    }

    fn on_store_ack(&mut self, from: NodeId, round: u64, out: &mut Outbox<Self>) {
        let quorum = self.quorum();
        let Some(current) = self.current.as_mut().filter(|c| c.round == round) else {
            return;
        };
        let Phase::Store { held, acks } = &mut current.phase else {
            return;
        };
        acks.insert(from);
        if acks.len() >= quorum {
            let value = held.1;
            self.finish(value, out);
        }
    }

    fn finish(&mut self, read: Option<i64>, out: &mut Outbox<Self>) {
        let current = self.current.take().expect("an operation to finish");
        let value = match current.op {
            Op::Read => read,
            Op::Write(_) => None,
        };
        out.cancel_timer(ClientTimer::Retry);
        out.emit(ClientEvent::Returned {
            seq: current.seq,
            op: current.op,
            value,
        });
    }
}
