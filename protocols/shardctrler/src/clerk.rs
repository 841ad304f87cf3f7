//! A controller clerk: one operation at a time, retried until a server answers it. The
//! tester's `mck` is one; shardkv servers and clerks embed one to learn configurations.

use crate::msg::{Command, CtrlerMsg, CtrlerOp, Outcome, Reply};
use crate::node::{ClerkEvent, ClerkTimer};
use crate::node_config::ClerkConfig;
use protocol_core::{BootError, ClientId, Disk, Input, Node, NodeId, Outbox, Time};

/// The operation under way.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Outstanding {
    seq: u64,
    op: CtrlerOp,
    /// When the retry timer is due; a fire before it is stale.
    retry_at: Time,
    /// The timer is a pause after a round of wrong leaders, not a lost request.
    backing_off: bool,
}

pub struct CtrlerClerk {
    id: NodeId,
    config: ClerkConfig,
    /// Position in `config.servers` of the server believed to lead.
    leader: usize,
    next_seq: u64,
    current: Option<Outstanding>,
    /// Wrong-leader answers since the last pause, to pause after a full round.
    wrong_in_a_row: usize,
}

impl Node for CtrlerClerk {
    type Msg = CtrlerMsg;
    type Timer = ClerkTimer;
    type Request = CtrlerOp;
    type Event = ClerkEvent;
    type Config = ClerkConfig;

    fn boot(
        config: &ClerkConfig,
        id: NodeId,
        _disk: &Disk,
        _seed: u64,
        _now: Time,
        _out: &mut Outbox<CtrlerClerk>,
    ) -> Result<CtrlerClerk, BootError> {
        CtrlerClerk::new(config, id).map_err(|reason| BootError::InvalidConfig { node: id, reason })
    }

    fn handle(&mut self, now: Time, input: Input<CtrlerClerk>, out: &mut Outbox<CtrlerClerk>) {
        match input {
            Input::Request(op) => self.invoke(now, op, out),
            // It writes no files, so no sync of its can complete.
            Input::Synced { .. } => {}
            Input::Message { msg, .. } => match msg {
                CtrlerMsg::Reply(reply) => self.on_reply(now, reply, out),
                // Servers never send these to clerks; a stray one is dropped.
                CtrlerMsg::Raft(_) | CtrlerMsg::Request(_) => {}
            },
            Input::Timer(ClerkTimer::Retry) => self.on_retry_timer(now, out),
        }
    }

    fn check_invariants(&self) {
        if let Some(current) = &self.current {
            assert!(
                current.seq < self.next_seq,
                "{} ({}): outstanding seq {} not below next {}",
                self.id,
                self.config.client,
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

impl CtrlerClerk {
    /// A clerk for `config`; `Err` says why the config cannot run one.
    pub fn new(config: &ClerkConfig, id: NodeId) -> Result<CtrlerClerk, String> {
        config.validate()?;
        Ok(CtrlerClerk {
            id,
            config: config.clone(),
            leader: 0,
            next_seq: 1,
            current: None,
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
        self.current.is_some()
    }

    fn invoke(&mut self, now: Time, op: CtrlerOp, out: &mut Outbox<CtrlerClerk>) {
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

    fn on_reply(&mut self, now: Time, reply: Reply, out: &mut Outbox<CtrlerClerk>) {
        let Some(current) = &self.current else {
            return; // A late duplicate of an answer already taken.
        };
        if reply.client != self.config.client || reply.seq != current.seq || current.backing_off {
            return;
        }
        match reply.outcome {
            Outcome::Ok(answer) => {
                let current = self.current.take().expect("checked above");
                out.cancel_timer(ClerkTimer::Retry);
                let client = self.config.client;
                out.emit(ClerkEvent::Returned {
                    client,
                    seq: current.seq,
                    op: current.op,
                    answer,
                });
            }
            Outcome::WrongLeader { leader_hint } => self.on_wrong_leader(now, leader_hint, out),
        }
    }

    fn on_wrong_leader(&mut self, now: Time, hint: Option<NodeId>, out: &mut Outbox<CtrlerClerk>) {
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
            .current
            .as_mut()
            .expect("called with an operation outstanding");
        current.retry_at = at;
        current.backing_off = true;
        out.set_timer(ClerkTimer::Retry, at);
    }

    fn on_retry_timer(&mut self, now: Time, out: &mut Outbox<CtrlerClerk>) {
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

    fn send_current(&mut self, now: Time, out: &mut Outbox<CtrlerClerk>) {
        let current = self
            .current
            .as_mut()
            .expect("send_current without an operation");
        let command = Command {
            client: self.config.client,
            seq: current.seq,
            op: current.op.clone(),
        };
        out.send(
            self.config.servers[self.leader],
            CtrlerMsg::Request(command),
        );
        let at = now.plus_ms(self.config.retry_timeout_ms);
        current.retry_at = at;
        out.set_timer(ClerkTimer::Retry, at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::msg::Answer;
    use protocol_core::Output;

    fn clerk() -> CtrlerClerk {
        let servers = vec![NodeId(0), NodeId(1), NodeId(2)];
        CtrlerClerk::new(&ClerkConfig::new(ClientId(7), servers), NodeId(5)).unwrap()
    }

    fn step(
        clerk: &mut CtrlerClerk,
        now: Time,
        input: Input<CtrlerClerk>,
    ) -> Vec<Output<CtrlerClerk>> {
        let mut out = Outbox::new();
        clerk.handle(now, input, &mut out);
        clerk.check_invariants();
        out.drain().collect()
    }

    fn sent_to(outs: &[Output<CtrlerClerk>]) -> Vec<(NodeId, u64)> {
        let request = |o: &Output<CtrlerClerk>| match o {
            Output::Send {
                to,
                msg: CtrlerMsg::Request(c),
            } => Some((*to, c.seq)),
            _ => None,
        };
        outs.iter().filter_map(request).collect()
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

    fn query() -> Input<CtrlerClerk> {
        Input::Request(CtrlerOp::Query { num: None })
    }

    #[test]
    fn follows_hints_retries_on_timeout_and_returns_the_answer_once() {
        let mut c = clerk();
        let outs = step(&mut c, Time::ZERO, query());
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
        assert!(
            step(&mut c, Time::from_ms(2), Input::Timer(ClerkTimer::Retry)).is_empty(),
            "a stale timer does nothing"
        );
        let outs = step(&mut c, Time::from_ms(201), Input::Timer(ClerkTimer::Retry));
        assert_eq!(
            sent_to(&outs),
            vec![(NodeId(0), 1)],
            "timed out: next server"
        );
        let config = Outcome::Ok(Answer::Config(Config::initial()));
        assert!(
            step(&mut c, Time::from_ms(202), answer(9, config.clone())).is_empty(),
            "another seq"
        );
        let outs = step(&mut c, Time::from_ms(203), answer(1, config.clone()));
        let returned = |o: &Output<CtrlerClerk>| matches!(o, Output::Emit(ClerkEvent::Returned { seq: 1, answer: Answer::Config(cfg), .. }) if *cfg == Config::initial());
        assert!(outs.iter().any(returned), "{outs:?}");
        assert!(!c.is_busy());
        assert!(
            step(&mut c, Time::from_ms(204), answer(1, config)).is_empty(),
            "a duplicate answer is ignored"
        );
    }

    #[test]
    fn pauses_after_a_round_of_wrong_leaders() {
        let mut c = clerk();
        step(&mut c, Time::ZERO, query());
        let none = || Outcome::WrongLeader { leader_hint: None };
        assert_eq!(
            sent_to(&step(&mut c, Time::from_ms(1), answer(1, none()))).len(),
            1
        );
        assert_eq!(
            sent_to(&step(&mut c, Time::from_ms(2), answer(1, none()))).len(),
            1
        );
        assert!(
            sent_to(&step(&mut c, Time::from_ms(3), answer(1, none()))).is_empty(),
            "a round of refusals: back off"
        );
        let outs = step(&mut c, Time::from_ms(23), Input::Timer(ClerkTimer::Retry));
        assert_eq!(sent_to(&outs), vec![(NodeId(0), 1)]);
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
