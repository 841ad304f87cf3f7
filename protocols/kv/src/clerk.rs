//! A clerk: one client of the service, one operation at a time, retried until it is answered.
//! The logic is `protocol_core::clerk::RetryingClerk`; this names kv's types for it.

use crate::msg::{Command, KvMsg, Op, Outcome, Reply};
use protocol_core::clerk::{self, RetryingClerk, Service};
use protocol_core::ClientId;

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

/// kv's types for the generic clerk.
pub enum KvService {}

pub type Clerk = RetryingClerk<KvService>;

impl Service for KvService {
    type Msg = KvMsg;
    type Timer = ClerkTimer;
    type Op = Op;
    /// What a Get read; empty for Put and Append.
    type Answer = String;
    type Event = ClerkEvent;
    const RETRY: ClerkTimer = ClerkTimer::Retry;
    const ROLE: &'static str = "clerk";

    fn request(client: ClientId, seq: u64, op: Op) -> KvMsg {
        KvMsg::Request(Command { client, seq, op })
    }

    fn reply(msg: KvMsg) -> Option<clerk::Reply<String>> {
        let Reply {
            client,
            seq,
            outcome,
        } = match msg {
            KvMsg::Reply(reply) => reply,
            // Servers never send these to clerks; a stray one is dropped.
            KvMsg::Raft(_) | KvMsg::Request(_) => return None,
        };
        let outcome = match outcome {
            Outcome::Ok { value } => clerk::Outcome::Ok(value),
            Outcome::WrongLeader { leader_hint } => clerk::Outcome::WrongLeader { leader_hint },
        };
        Some(clerk::Reply {
            client,
            seq,
            outcome,
        })
    }

    fn invoked(client: ClientId, seq: u64, op: Op) -> ClerkEvent {
        ClerkEvent::Invoked { client, seq, op }
    }

    fn returned(client: ClientId, seq: u64, op: Op, value: String) -> ClerkEvent {
        ClerkEvent::Returned {
            client,
            seq,
            op,
            value,
        }
    }
}

/// kv's side of the clerk: its messages and events. The retry logic has its tests in
/// protocol-core.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClerkConfig;
    use protocol_core::{Input, Node, NodeId, Outbox, Output, Time};

    fn step(clerk: &mut Clerk, ms: u64, input: Input<Clerk>) -> Vec<Output<Clerk>> {
        let mut out = Outbox::new();
        clerk.handle(Time::from_ms(ms), input, &mut out);
        clerk.check_invariants();
        out.drain().collect()
    }

    fn answer(seq: u64, outcome: Outcome) -> Input<Clerk> {
        let reply = Reply {
            client: ClientId(7),
            seq,
            outcome,
        };
        Input::Message {
            from: NodeId(1),
            msg: KvMsg::Reply(reply),
        }
    }

    #[test]
    fn sends_commands_follows_hints_and_returns_what_a_get_read() {
        let config = ClerkConfig::new(ClientId(7), vec![NodeId(0), NodeId(1), NodeId(2)]);
        let mut c = Clerk::new(&config, NodeId(5)).unwrap();
        let get = Op::Get { key: "k".into() };
        let outs = step(&mut c, 0, Input::Request(get.clone()));
        assert!(
            matches!(&outs[0], Output::Emit(ClerkEvent::Invoked { client: ClientId(7), seq: 1, op }) if *op == get)
        );
        let command = Command {
            client: ClientId(7),
            seq: 1,
            op: get.clone(),
        };
        assert!(
            matches!(&outs[1], Output::Send { to: NodeId(0), msg: KvMsg::Request(c) } if *c == command)
        );
        let hint = Outcome::WrongLeader {
            leader_hint: Some(NodeId(2)),
        };
        let outs = step(&mut c, 1, answer(1, hint));
        assert!(
            matches!(&outs[0], Output::Send { to: NodeId(2), .. }),
            "follows the hint"
        );
        let raft = step(
            &mut c,
            2,
            Input::Message {
                from: NodeId(2),
                msg: KvMsg::Request(command),
            },
        );
        assert!(raft.is_empty(), "a stray request is dropped");
        let outs = step(&mut c, 3, answer(1, Outcome::Ok { value: "v".into() }));
        let returned = |o: &Output<Clerk>| matches!(o, Output::Emit(ClerkEvent::Returned { seq: 1, value, .. }) if value == "v");
        assert!(outs.iter().any(returned), "{outs:?}");
        assert!(!c.is_busy());
        assert_eq!(c.client(), ClientId(7));
    }

    #[test]
    fn a_clerk_without_servers_does_not_boot() {
        let config = ClerkConfig::new(ClientId(7), Vec::new());
        let err = Clerk::new(&config, NodeId(5)).err();
        assert_eq!(err, Some("a clerk needs servers".into()));
    }
}
