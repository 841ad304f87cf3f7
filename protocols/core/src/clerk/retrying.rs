//! The clerk of a replicated service whose servers answer "not the leader": it sends the
//! operation under way to the server it believes leads, follows a leader hint or tries the
//! next server on a refusal or a timeout, and after a full round of refusals pauses for an
//! election. A service supplies its own message, timer, operation and event types through
//! [`Service`]; the logic is the same for all.

use super::Calls;
use crate::ids::{ClientId, NodeId};
use crate::node::{BootError, Input, Message, Node, Outbox};
use crate::service::ClerkConfig;
use crate::time::Time;
use std::fmt;
use std::hash::Hash;

/// A server's answer to the request (client, seq), in the clerk's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply<A> {
    pub client: ClientId,
    pub seq: u64,
    pub outcome: Outcome<A>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome<A> {
    /// Committed and applied, with what the operation answered.
    Ok(A),
    /// This server cannot commit the request now; the outcome is unknown: retry.
    WrongLeader { leader_hint: Option<NodeId> },
}

/// One service's types, and how its clerk's messages and events are made of them.
pub trait Service {
    type Msg: Message;
    /// The clerk's only timer type; its one value is [`Service::RETRY`].
    type Timer: Copy + Ord + Hash + fmt::Debug;
    type Op: Clone + Hash + fmt::Debug;
    type Answer;
    type Event: Hash + fmt::Debug;

    /// Resend the outstanding request, or end a pause.
    const RETRY: Self::Timer;
    /// What a configuration error calls the clerk: "a {ROLE} needs servers".
    const ROLE: &'static str;

    /// The request for (client, seq), `op`.
    fn request(client: ClientId, seq: u64, op: Self::Op) -> Self::Msg;
    /// The reply `msg` carries; `None` for a message servers never send clerks (dropped).
    fn reply(msg: Self::Msg) -> Option<Reply<Self::Answer>>;
    fn invoked(client: ClientId, seq: u64, op: Self::Op) -> Self::Event;
    fn returned(client: ClientId, seq: u64, op: Self::Op, answer: Self::Answer) -> Self::Event;
}

/// Where the operation under way stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Retry {
    /// When the retry timer is due; a fire before it is stale.
    retry_at: Time,
    /// The timer is a pause after a round of wrong leaders, not a lost request.
    backing_off: bool,
}

pub struct RetryingClerk<S: Service> {
    id: NodeId,
    config: ClerkConfig,
    /// Position in `config.servers` of the server believed to lead.
    leader: usize,
    calls: Calls<S::Op, Retry>,
    /// Wrong-leader answers since the last pause, to pause after a full round.
    wrong_in_a_row: usize,
}

impl<S: Service> Node for RetryingClerk<S> {
    type Msg = S::Msg;
    type Timer = S::Timer;
    /// The next operation to run (a clerk runs one at a time).
    type Request = S::Op;
    type Event = S::Event;
    type Config = ClerkConfig;

    fn boot(
        config: &ClerkConfig,
        id: NodeId,
        _disk: &crate::Disk,
        _seed: u64,
        _now: Time,
        _out: &mut Outbox<Self>,
    ) -> Result<Self, BootError> {
        Self::new(config, id).map_err(|reason| BootError::InvalidConfig { node: id, reason })
    }

    fn handle(&mut self, now: Time, input: Input<Self>, out: &mut Outbox<Self>) {
        match input {
            Input::Request(op) => self.invoke(now, op, out),
            Input::Message { msg, .. } => {
                if let Some(reply) = S::reply(msg) {
                    self.on_reply(now, reply, out);
                }
            }
            // The clerk's one timer.
            Input::Timer(_) => self.on_retry_timer(now, out),
            // It writes no files, so no sync of its can complete.
            Input::Synced { .. } => {}
        }
    }

    fn check_invariants(&self) {
        self.calls.check_invariants(self.id);
        assert!(
            self.leader < self.config.servers.len(),
            "{}: leader out of range",
            self.id
        );
    }
}

impl<S: Service> RetryingClerk<S> {
    /// A clerk for `config`; `Err` says why the config cannot run one.
    pub fn new(config: &ClerkConfig, id: NodeId) -> Result<Self, String> {
        config.validate(S::ROLE)?;
        Ok(RetryingClerk {
            id,
            config: config.clone(),
            leader: 0,
            calls: Calls::new(config.client),
            wrong_in_a_row: 0,
        })
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn client(&self) -> ClientId {
        self.config.client
    }

    /// Whether an operation is under way.
    pub fn is_busy(&self) -> bool {
        self.calls.is_busy()
    }

    fn invoke(&mut self, now: Time, op: S::Op, out: &mut Outbox<Self>) {
        let progress = Retry {
            retry_at: now,
            backing_off: false,
        };
        let seq = self.calls.start(self.id, op.clone(), progress).seq;
        out.emit(S::invoked(self.config.client, seq, op));
        self.wrong_in_a_row = 0;
        self.send_current(now, out);
    }

    fn on_reply(&mut self, now: Time, reply: Reply<S::Answer>, out: &mut Outbox<Self>) {
        let Some(current) = self.calls.answered_by(reply.client, reply.seq) else {
            return; // A late duplicate of an answer already taken, or not this clerk's.
        };
        if current.progress.backing_off {
            return;
        }
        match reply.outcome {
            Outcome::Ok(answer) => {
                let done = self.calls.finish(self.id);
                out.cancel_timer(S::RETRY);
                out.emit(S::returned(self.config.client, done.seq, done.op, answer));
            }
            Outcome::WrongLeader { leader_hint } => self.on_wrong_leader(now, leader_hint, out),
        }
    }

    fn on_wrong_leader(&mut self, now: Time, hint: Option<NodeId>, out: &mut Outbox<Self>) {
        let servers = &self.config.servers;
        let hinted = hint.and_then(|h| servers.iter().position(|&s| s == h));
        self.leader = match hinted {
            Some(pos) if pos != self.leader => pos,
            Some(_) | None => (self.leader + 1) % servers.len(),
        };
        self.wrong_in_a_row += 1;
        if self.wrong_in_a_row < servers.len() {
            return self.send_current(now, out);
        }
        // Nobody leads right now: wait for an election rather than spin through servers.
        self.wrong_in_a_row = 0;
        let at = now.plus_ms(self.config.backoff_ms);
        let current = self
            .calls
            .current_mut()
            .expect("called with an operation outstanding");
        current.progress = Retry {
            retry_at: at,
            backing_off: true,
        };
        out.set_timer(S::RETRY, at);
    }

    fn on_retry_timer(&mut self, now: Time, out: &mut Outbox<Self>) {
        let Some(current) = self.calls.current_mut() else {
            return;
        };
        if now < current.progress.retry_at {
            return; // Stale: the deadline moved.
        }
        if !current.progress.backing_off {
            // No answer in time: the server is down, cut off, or the message was lost.
            self.leader = (self.leader + 1) % self.config.servers.len();
        }
        current.progress.backing_off = false;
        self.send_current(now, out);
    }

    fn send_current(&mut self, now: Time, out: &mut Outbox<Self>) {
        let current = self
            .calls
            .current_mut()
            .expect("send_current without an operation");
        let request = S::request(self.config.client, current.seq, current.op.clone());
        out.send(self.config.servers[self.leader], request);
        let at = now.plus_ms(self.config.retry_timeout_ms);
        current.progress.retry_at = at;
        out.set_timer(S::RETRY, at);
    }
}

#[cfg(test)]
#[path = "retrying_tests.rs"]
mod tests;
