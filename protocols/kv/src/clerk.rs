//! A clerk: one client of the service, one operation at a time, retried until it is answered.

use crate::config::ClerkConfig;
use crate::msg::{Command, KvMsg, Op, Outcome, Reply};
use protocol_core::{BootError, ClientId, Disk, Input, Node, NodeId, Outbox, Time};

/// A clerk's one timer: resend the outstanding request (or end a pause).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClerkTimer {
    Retry,
}

/// The two ends of each operation, for the history. (`Debug` is in `debug.rs`.)
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum ClerkEvent {
    Invoked {
        client: ClientId,
        seq: u64,
        op: Op,
    },
    /// `value` is what a Get read; empty for Put and Append.
    Returned {
        client: ClientId,
        seq: u64,
        op: Op,
        value: String,
    },
}

/// The operation under way.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Outstanding {
    seq: u64,
    op: Op,
    /// When the retry timer is due; a fire before it is stale.
    retry_at: Time,
    /// The timer is a pause after a round of wrong leaders, not a lost request.
    backing_off: bool,
}

pub struct Clerk {
    id: NodeId,
    config: ClerkConfig,
    /// Position in `config.servers` of the server believed to lead.
    leader: usize,
    next_seq: u64,
    current: Option<Outstanding>,
    /// Wrong-leader answers since the last pause, to pause after a full round.
    wrong_in_a_row: usize,
}

impl Node for Clerk {
    type Msg = KvMsg;
    type Timer = ClerkTimer;
    /// The next operation to run (a clerk runs one at a time).
    type Request = Op;
    type Event = ClerkEvent;
    type Config = ClerkConfig;

    fn boot(
        config: &ClerkConfig,
        id: NodeId,
        _disk: &Disk,
        _seed: u64,
        _now: Time,
        _out: &mut Outbox<Clerk>,
    ) -> Result<Clerk, BootError> {
        let invalid = |reason: &str| BootError::InvalidConfig {
            node: id,
            reason: reason.to_string(),
        };
        if config.servers.is_empty() {
            return Err(invalid("a clerk needs servers"));
        }
        if config.retry_timeout_ms == 0 {
            return Err(invalid("retry_timeout_ms must be positive"));
        }
        Ok(Clerk {
            id,
            config: config.clone(),
            leader: 0,
            next_seq: 1,
            current: None,
            wrong_in_a_row: 0,
        })
    }

    fn handle(&mut self, now: Time, input: Input<Clerk>, out: &mut Outbox<Clerk>) {
        match input {
            Input::Request(op) => self.invoke(now, op, out),
            // It writes no files, so no sync of its can complete.
            Input::Synced { .. } => {}
            Input::Message { msg, .. } => match msg {
                KvMsg::Reply(reply) => self.on_reply(now, reply, out),
                // Servers never send these to clerks; a stray one is dropped.
                KvMsg::Raft(_) | KvMsg::Request(_) => {}
            },
            Input::Timer(ClerkTimer::Retry) => self.on_retry_timer(now, out),
        }
    }

    fn check_invariants(&self) {
        if let Some(current) = &self.current {
            assert!(
                current.seq < self.next_seq,
                "{}: outstanding seq {} not below next {}",
                self.id,
                current.seq,
                self.next_seq
            );
        }
        assert!(
            self.leader < self.config.servers.len(),
            "{}: leader out of range",
            self.id
        );
    }
}

impl Clerk {
    pub fn client(&self) -> ClientId {
        self.config.client
    }

    /// Whether an operation is under way.
    pub fn is_busy(&self) -> bool {
        self.current.is_some()
    }

    fn invoke(&mut self, now: Time, op: Op, out: &mut Outbox<Clerk>) {
        assert!(
            self.current.is_none(),
            "{}: invoked {op:?} while seq {} is outstanding",
            self.id,
            self.next_seq - 1
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        out.emit(ClerkEvent::Invoked {
            client: self.config.client,
            seq,
            op: op.clone(),
        });
        self.current = Some(Outstanding {
            seq,
            op,
            retry_at: now,
            backing_off: false,
        });
        self.wrong_in_a_row = 0;
        self.send_current(now, out);
    }

    fn on_reply(&mut self, now: Time, reply: Reply, out: &mut Outbox<Clerk>) {
        let Some(current) = &self.current else {
            return; // A late duplicate of an answer already taken.
        };
        if reply.client != self.config.client || reply.seq != current.seq || current.backing_off {
            return;
        }
        match reply.outcome {
            Outcome::Ok { value } => {
                let current = self.current.take().expect("checked above");
                out.cancel_timer(ClerkTimer::Retry);
                out.emit(ClerkEvent::Returned {
                    client: self.config.client,
                    seq: current.seq,
                    op: current.op,
                    value,
                });
            }
            Outcome::WrongLeader { leader_hint } => self.on_wrong_leader(now, leader_hint, out),
        }
    }

    fn on_wrong_leader(&mut self, now: Time, hint: Option<NodeId>, out: &mut Outbox<Clerk>) {
        let servers = &self.config.servers;
        let hinted = hint.and_then(|h| servers.iter().position(|&s| s == h));
        self.leader = match hinted {
            Some(pos) if pos != self.leader => pos,
            _ => (self.leader + 1) % servers.len(),
        };
        self.wrong_in_a_row += 1;
        if self.wrong_in_a_row < servers.len() {
            return self.send_current(now, out);
        }
        // Nobody leads right now: wait for an election rather than spin through servers.
        self.wrong_in_a_row = 0;
        let at = now.plus_ms(self.config.backoff_ms);
        let current = self
            .current
            .as_mut()
            .expect("called with an operation outstanding");
        current.retry_at = at;
        current.backing_off = true;
        out.set_timer(ClerkTimer::Retry, at);
    }

    fn on_retry_timer(&mut self, now: Time, out: &mut Outbox<Clerk>) {
        let Some(current) = &mut self.current else {
            return;
        };
        if now < current.retry_at {
            return; // Stale: the deadline moved.
        }
        if !current.backing_off {
            // No answer in time: the server is down, cut off, or the message was lost.
            self.leader = (self.leader + 1) % self.config.servers.len();
        }
        current.backing_off = false;
        self.send_current(now, out);
    }

    fn send_current(&mut self, now: Time, out: &mut Outbox<Clerk>) {
        let current = self
            .current
            .as_mut()
            .expect("send_current without an operation");
        let command = Command {
            client: self.config.client,
            seq: current.seq,
            op: current.op.clone(),
        };
        out.send(self.config.servers[self.leader], KvMsg::Request(command));
        let at = now.plus_ms(self.config.retry_timeout_ms);
        current.retry_at = at;
        out.set_timer(ClerkTimer::Retry, at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol_core::Output;

    fn clerk() -> Clerk {
        let servers = vec![NodeId(0), NodeId(1), NodeId(2)];
        let config = ClerkConfig::new(ClientId(7), servers);
        let mut out = Outbox::new();
        Clerk::boot(&config, NodeId(5), &Disk::new(), 0, Time::ZERO, &mut out).unwrap()
    }

    fn step(clerk: &mut Clerk, now: Time, input: Input<Clerk>) -> Vec<Output<Clerk>> {
        let mut out = Outbox::new();
        clerk.handle(now, input, &mut out);
        clerk.check_invariants();
        out.drain().collect()
    }

    fn sent_to(outs: &[Output<Clerk>]) -> Vec<(NodeId, u64)> {
        outs.iter()
            .filter_map(|o| match o {
                Output::Send {
                    to,
                    msg: KvMsg::Request(c),
                } => Some((*to, c.seq)),
                _ => None,
            })
            .collect()
    }

    fn answer(seq: u64, outcome: Outcome) -> Input<Clerk> {
        Input::Message {
            from: NodeId(1),
            msg: KvMsg::Reply(Reply {
                client: ClientId(7),
                seq,
                outcome,
            }),
        }
    }

    #[test]
    fn follows_hints_retries_on_timeout_and_returns_once() {
        let mut c = clerk();
        let get = Op::Get { key: "k".into() };
        let outs = step(&mut c, Time::ZERO, Input::Request(get));
        assert_eq!(sent_to(&outs), vec![(NodeId(0), 1)]);
        assert!(matches!(
            outs[0],
            Output::Emit(ClerkEvent::Invoked { seq: 1, .. })
        ));
        let hint = Outcome::WrongLeader {
            leader_hint: Some(NodeId(2)),
        };
        let outs = step(&mut c, Time::from_ms(1), answer(1, hint));
        assert_eq!(sent_to(&outs), vec![(NodeId(2), 1)], "follows the hint");
        let early = step(&mut c, Time::from_ms(2), Input::Timer(ClerkTimer::Retry));
        assert!(early.is_empty(), "a stale timer does nothing");
        let outs = step(&mut c, Time::from_ms(201), Input::Timer(ClerkTimer::Retry));
        assert_eq!(
            sent_to(&outs),
            vec![(NodeId(0), 1)],
            "timed out: next server"
        );
        assert!(step(
            &mut c,
            Time::from_ms(202),
            answer(9, Outcome::Ok { value: "v".into() })
        )
        .is_empty());
        let outs = step(
            &mut c,
            Time::from_ms(203),
            answer(1, Outcome::Ok { value: "v".into() }),
        );
        assert!(outs.iter().any(
            |o| matches!(o, Output::Emit(ClerkEvent::Returned { seq: 1, value, .. }) if value == "v")
        ));
        assert!(!c.is_busy());
        let again = step(
            &mut c,
            Time::from_ms(204),
            answer(1, Outcome::Ok { value: "v".into() }),
        );
        assert!(again.is_empty(), "a duplicate answer is ignored");
    }

    #[test]
    fn pauses_after_a_round_of_wrong_leaders() {
        let mut c = clerk();
        let get = Op::Get { key: "k".into() };
        step(&mut c, Time::ZERO, Input::Request(get));
        let none = || Outcome::WrongLeader { leader_hint: None };
        assert_eq!(
            sent_to(&step(&mut c, Time::from_ms(1), answer(1, none()))).len(),
            1
        );
        assert_eq!(
            sent_to(&step(&mut c, Time::from_ms(2), answer(1, none()))).len(),
            1
        );
        let outs = step(&mut c, Time::from_ms(3), answer(1, none()));
        assert!(sent_to(&outs).is_empty(), "a round of refusals: back off");
        let outs = step(&mut c, Time::from_ms(23), Input::Timer(ClerkTimer::Retry));
        assert_eq!(sent_to(&outs), vec![(NodeId(0), 1)]);
    }
}
