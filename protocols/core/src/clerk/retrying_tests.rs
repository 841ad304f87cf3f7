//! The generic clerk by hand, with a toy service: it follows hints, tries the next server on
//! a timeout, pauses after a round of refusals, and returns each operation once.

use super::*;
use crate::{Disk, Output};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum ToyMsg {
    Request {
        seq: u64,
        op: u32,
    },
    /// `answer` is `None` for a refusal, which may name a `hint`.
    Reply {
        client: ClientId,
        seq: u64,
        answer: Option<u32>,
        hint: Option<NodeId>,
    },
    /// What servers send each other; a clerk drops it.
    Gossip,
}

impl Message for ToyMsg {
    fn kind(&self) -> &'static str {
        "Toy"
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct ToyTimer;

#[derive(Debug, Hash, PartialEq, Eq)]
enum ToyEvent {
    Invoked(u64, u32),
    Returned(u64, u32, u32),
}

enum Toy {}

impl Service for Toy {
    type Msg = ToyMsg;
    type Timer = ToyTimer;
    type Op = u32;
    type Answer = u32;
    type Event = ToyEvent;
    const RETRY: ToyTimer = ToyTimer;
    const ROLE: &'static str = "toy clerk";

    fn request(_client: ClientId, seq: u64, op: u32) -> ToyMsg {
        ToyMsg::Request { seq, op }
    }

    fn reply(msg: ToyMsg) -> Option<Reply<u32>> {
        match msg {
            ToyMsg::Reply {
                client,
                seq,
                answer,
                hint,
            } => Some(Reply {
                client,
                seq,
                outcome: answer.map_or(Outcome::WrongLeader { leader_hint: hint }, Outcome::Ok),
            }),
            ToyMsg::Request { .. } | ToyMsg::Gossip => None,
        }
    }

    fn invoked(_client: ClientId, seq: u64, op: u32) -> ToyEvent {
        ToyEvent::Invoked(seq, op)
    }

    fn returned(_client: ClientId, seq: u64, op: u32, answer: u32) -> ToyEvent {
        ToyEvent::Returned(seq, op, answer)
    }
}

type Clerk = RetryingClerk<Toy>;

fn clerk() -> Clerk {
    let config = ClerkConfig::new(ClientId(7), vec![NodeId(0), NodeId(1), NodeId(2)]);
    Clerk::boot(
        &config,
        NodeId(5),
        &Disk::new(),
        0,
        Time::ZERO,
        &mut Outbox::new(),
    )
    .unwrap()
}

fn step(clerk: &mut Clerk, ms: u64, input: Input<Clerk>) -> Vec<Output<Clerk>> {
    let mut out = Outbox::new();
    clerk.handle(Time::from_ms(ms), input, &mut out);
    clerk.check_invariants();
    out.drain().collect()
}

fn sent_to(outs: &[Output<Clerk>]) -> Vec<(NodeId, u64)> {
    let request = |o: &Output<Clerk>| match o {
        Output::Send {
            to,
            msg: ToyMsg::Request { seq, .. },
        } => Some((*to, *seq)),
        _ => None,
    };
    outs.iter().filter_map(request).collect()
}

fn events(outs: &[Output<Clerk>]) -> Vec<&ToyEvent> {
    outs.iter()
        .filter_map(|o| match o {
            Output::Emit(event) => Some(event),
            _ => None,
        })
        .collect()
}

fn reply(client: u64, seq: u64, answer: Option<u32>, hint: Option<u32>) -> Input<Clerk> {
    let msg = ToyMsg::Reply {
        client: ClientId(client),
        seq,
        answer,
        hint: hint.map(NodeId),
    };
    Input::Message {
        from: NodeId(1),
        msg,
    }
}

#[test]
fn follows_hints_retries_on_timeout_and_returns_once() {
    let mut c = clerk();
    let outs = step(&mut c, 0, Input::Request(40));
    assert_eq!(events(&outs), vec![&ToyEvent::Invoked(1, 40)]);
    assert_eq!(sent_to(&outs), vec![(NodeId(0), 1)]);
    let outs = step(&mut c, 1, reply(7, 1, None, Some(2)));
    assert_eq!(sent_to(&outs), vec![(NodeId(2), 1)], "follows the hint");
    assert!(
        step(&mut c, 2, Input::Timer(ToyTimer)).is_empty(),
        "stale timer"
    );
    let outs = step(&mut c, 201, Input::Timer(ToyTimer));
    assert_eq!(
        sent_to(&outs),
        vec![(NodeId(0), 1)],
        "timed out: next server"
    );
    assert!(
        step(&mut c, 202, reply(7, 9, Some(1), None)).is_empty(),
        "another seq"
    );
    assert!(
        step(&mut c, 202, reply(8, 1, Some(1), None)).is_empty(),
        "another client"
    );
    let gossip = Input::Message {
        from: NodeId(1),
        msg: ToyMsg::Gossip,
    };
    assert!(step(&mut c, 202, gossip).is_empty(), "not a reply");
    let outs = step(&mut c, 203, reply(7, 1, Some(41), None));
    assert_eq!(events(&outs), vec![&ToyEvent::Returned(1, 40, 41)]);
    assert!(matches!(outs[0], Output::CancelTimer(ToyTimer)));
    assert!(!c.is_busy());
    assert!(
        step(&mut c, 204, reply(7, 1, Some(41), None)).is_empty(),
        "duplicate"
    );
    let outs = step(&mut c, 205, Input::Request(50));
    assert_eq!(
        sent_to(&outs),
        vec![(NodeId(0), 2)],
        "the leader that answered"
    );
}

/// A clerk that has just sent operation 40, as seq 1, to n0.
fn started() -> Clerk {
    let mut c = clerk();
    assert_eq!(
        sent_to(&step(&mut c, 0, Input::Request(40))),
        [(NodeId(0), 1)]
    );
    c
}

#[test]
fn a_hint_naming_the_refusing_server_moves_on() {
    let mut c = started();
    let sends = |c: &mut Clerk, ms, hint| sent_to(&step(c, ms, reply(7, 1, None, hint)));
    assert_eq!(sends(&mut c, 1, Some(0)), [(NodeId(1), 1)]);
    assert_eq!(sends(&mut c, 2, Some(9)), [(NodeId(2), 1)], "not a server");
}

#[test]
fn pauses_after_a_round_of_wrong_leaders_and_ignores_answers_meanwhile() {
    let mut c = started();
    let refused = |c: &mut Clerk, ms| sent_to(&step(c, ms, reply(7, 1, None, None)));
    assert_eq!(refused(&mut c, 1), [(NodeId(1), 1)]);
    assert_eq!(refused(&mut c, 2), [(NodeId(2), 1)]);
    assert_eq!(refused(&mut c, 3), [], "a round of refusals: back off");
    let paused = step(&mut c, 4, reply(7, 1, Some(41), None));
    assert!(paused.is_empty(), "an answer while pausing is not taken");
    let early = step(&mut c, 22, Input::Timer(ToyTimer));
    assert!(early.is_empty(), "pause not over");
    let outs = step(&mut c, 23, Input::Timer(ToyTimer));
    assert_eq!(sent_to(&outs), [(NodeId(0), 1)], "pause over: same server");
}

#[test]
fn a_clerk_without_servers_does_not_boot() {
    let config = ClerkConfig::new(ClientId(1), Vec::new());
    let err = Clerk::boot(
        &config,
        NodeId(3),
        &Disk::new(),
        0,
        Time::ZERO,
        &mut Outbox::new(),
    );
    assert_eq!(
        err.err(),
        Some(BootError::InvalidConfig {
            node: NodeId(3),
            reason: "a toy clerk needs servers".into()
        })
    );
}
