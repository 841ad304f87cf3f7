//! A controller clerk: one operation at a time, retried until a server answers it. The
//! tester's `mck` is one; shardkv servers and clerks embed one to learn configurations. The
//! logic is `protocol_core::clerk::RetryingClerk`; this names the controller's types for it.

use crate::msg::{Answer, Command, CtrlerMsg, CtrlerOp, Outcome, Reply};
use crate::node::{ClerkEvent, ClerkTimer};
use protocol_core::clerk::{self, RetryingClerk, Service};
use protocol_core::ClientId;

/// The controller's types for the generic clerk.
pub enum CtrlerService {}

pub type CtrlerClerk = RetryingClerk<CtrlerService>;

impl Service for CtrlerService {
    type Msg = CtrlerMsg;
    type Timer = ClerkTimer;
    type Op = CtrlerOp;
    type Answer = Answer;
    type Event = ClerkEvent;
    const RETRY: ClerkTimer = ClerkTimer::Retry;
    const ROLE: &'static str = "controller clerk";

    fn request(client: ClientId, seq: u64, op: CtrlerOp) -> CtrlerMsg {
        CtrlerMsg::Request(Command { client, seq, op })
    }

    fn reply(msg: CtrlerMsg) -> Option<clerk::Reply<Answer>> {
        let Reply {
            client,
            seq,
            outcome,
        } = match msg {
            CtrlerMsg::Reply(reply) => reply,
            // Servers never send these to clerks; a stray one is dropped.
            CtrlerMsg::Raft(_) | CtrlerMsg::Request(_) => return None,
        };
        let outcome = match outcome {
            Outcome::Ok(answer) => clerk::Outcome::Ok(answer),
            Outcome::WrongLeader { leader_hint } => clerk::Outcome::WrongLeader { leader_hint },
        };
        Some(clerk::Reply {
            client,
            seq,
            outcome,
        })
    }

    fn invoked(client: ClientId, seq: u64, op: CtrlerOp) -> ClerkEvent {
        ClerkEvent::Invoked { client, seq, op }
    }

    fn returned(client: ClientId, seq: u64, op: CtrlerOp, answer: Answer) -> ClerkEvent {
        ClerkEvent::Returned {
            client,
            seq,
            op,
            answer,
        }
    }
}

/// The controller's side of the clerk: its messages and events. The retry logic has its
/// tests in protocol-core.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::node_config::ClerkConfig;
    use protocol_core::{Input, Node, NodeId, Outbox, Output, Time};

    fn step(
        clerk: &mut CtrlerClerk,
        ms: u64,
        input: Input<CtrlerClerk>,
    ) -> Vec<Output<CtrlerClerk>> {
        let mut out = Outbox::new();
        clerk.handle(Time::from_ms(ms), input, &mut out);
        clerk.check_invariants();
        out.drain().collect()
    }

    fn answer(seq: u64, outcome: Outcome) -> Input<CtrlerClerk> {
        let reply = Reply {
            client: ClientId(7),
            seq,
            outcome,
        };
        Input::Message {
            from: NodeId(1),
            msg: CtrlerMsg::Reply(reply),
        }
    }

    #[test]
    fn sends_commands_follows_hints_and_returns_the_answer() {
        let servers = vec![NodeId(0), NodeId(1), NodeId(2)];
        let mut c = CtrlerClerk::new(&ClerkConfig::new(ClientId(7), servers), NodeId(5)).unwrap();
        assert_eq!((c.id(), c.client()), (NodeId(5), ClientId(7)));
        let query = CtrlerOp::Query { num: None };
        let outs = step(&mut c, 0, Input::Request(query.clone()));
        assert!(
            matches!(&outs[0], Output::Emit(ClerkEvent::Invoked { client: ClientId(7), seq: 1, op }) if *op == query)
        );
        let command = Command {
            client: ClientId(7),
            seq: 1,
            op: query,
        };
        assert!(
            matches!(&outs[1], Output::Send { to: NodeId(0), msg: CtrlerMsg::Request(c) } if *c == command)
        );
        let hint = Outcome::WrongLeader {
            leader_hint: Some(NodeId(2)),
        };
        let outs = step(&mut c, 1, answer(1, hint));
        assert!(
            matches!(&outs[0], Output::Send { to: NodeId(2), .. }),
            "follows the hint"
        );
        let stray = Input::Message {
            from: NodeId(2),
            msg: CtrlerMsg::Request(command),
        };
        assert!(
            step(&mut c, 2, stray).is_empty(),
            "a stray request is dropped"
        );
        let config = Outcome::Ok(Answer::Config(Config::initial()));
        let outs = step(&mut c, 3, answer(1, config));
        let returned = |o: &Output<CtrlerClerk>| matches!(o, Output::Emit(ClerkEvent::Returned { seq: 1, answer: Answer::Config(cfg), .. }) if *cfg == Config::initial());
        assert!(outs.iter().any(returned), "{outs:?}");
        assert!(!c.is_busy());
    }

    #[test]
    fn a_clerk_without_servers_does_not_boot() {
        let config = ClerkConfig::new(ClientId(1), Vec::new());
        assert_eq!(
            CtrlerClerk::new(&config, NodeId(3)).err(),
            Some("a controller clerk needs servers".into())
        );
    }
}
