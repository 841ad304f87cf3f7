//! What a run reports when it goes wrong: budgets, diagnosing replays, and a trace that
//! shows what happened and nothing that did not.

mod support;

use protocol_core::rng::Ratio;
use protocol_core::{BootError, Disk, Input, Node, NodeId, Outbox, Time};
use sim::network::LatencyModel;
use sim::Violation;
use sim::{checks, Budget, CheckId, NetworkConfig, NoObserver, Observer, Sim, TraceMode};
use std::time::Duration;
use support::{lossy, Echo, PingMsg, PingNode, PingTimer};

/// A zero-loss network where a message takes one microsecond: `Echo` then bounces messages
/// forever while time creeps forward, which no per-instant livelock guard catches.
fn fast_network() -> NetworkConfig {
    NetworkConfig {
        latency: LatencyModel::uniform(1, 1),
        ..NetworkConfig::reliable()
    }
}

fn echo_world(budget: Budget) -> Sim<Echo, NoObserver> {
    let mut sim = Sim::new(1, fast_network(), NoObserver, TraceMode::Hash);
    sim.set_budget(budget);
    sim.add_node(());
    sim.add_node(());
    sim
}

#[test]
fn a_run_that_never_settles_fails_stuck_at_its_event_budget() {
    let budget = Budget {
        max_events: 10_000,
        ..Budget::DEFAULT
    };
    let mut sim = echo_world(budget);
    let failure = sim.run_until(Time::from_secs(60)).unwrap_err();
    assert_eq!(failure.check, checks::STUCK);
    assert_eq!(failure.events, 10_000);
    assert!(
        failure.message.contains("--max-events"),
        "{}",
        failure.message
    );
    // The same seed stops at the same event: the budget is part of the run's function.
    let again = echo_world(budget)
        .run_until(Time::from_secs(60))
        .unwrap_err();
    assert_eq!((again.time, again.events), (failure.time, failure.events));
}

#[test]
fn a_run_past_its_virtual_time_budget_fails_stuck() {
    let budget = Budget {
        max_virtual: Time::from_ms(5),
        ..Budget::DEFAULT
    };
    let failure = echo_world(budget)
        .run_until(Time::from_secs(1))
        .unwrap_err();
    assert_eq!(failure.check, checks::STUCK);
    assert!(failure.time <= Time::from_ms(5), "{}", failure.time);
    assert!(
        failure.message.contains("virtual-time budget"),
        "{}",
        failure.message
    );
}

#[test]
fn a_run_past_its_wall_clock_budget_fails_timeout() {
    let budget = Budget {
        wall: Some(Duration::ZERO),
        ..Budget::DEFAULT
    };
    let failure = echo_world(budget)
        .run_until(Time::from_secs(1))
        .unwrap_err();
    assert_eq!(failure.check, checks::TIMEOUT);
}

const TOO_MANY_ROUNDS: CheckId = CheckId::new("too-many-rounds");

/// Fails when node 1 has run `limit` rounds, naming it.
struct RoundsOfOne {
    limit: u64,
}

impl Observer<PingNode> for RoundsOfOne {
    fn after_step(
        &mut self,
        _now: Time,
        nodes: &sim::observer::NodesView<'_, PingNode>,
    ) -> Result<(), Violation> {
        match nodes.get(NodeId(1)) {
            Some(node) if node.round >= self.limit => {
                let message = format!("n1 reached round {}", node.round);
                Err(Violation::new(TOO_MANY_ROUNDS, message).involving([NodeId(1)]))
            }
            _ => Ok(()),
        }
    }
}

fn three_pingers(mode: TraceMode) -> Sim<PingNode, RoundsOfOne> {
    let mut sim = Sim::new(5, lossy(), RoundsOfOne { limit: 30 }, mode);
    for _ in 0..3 {
        sim.add_node(3);
    }
    sim
}

#[test]
fn a_diagnosing_replay_fails_alike_and_shows_contents_focus_and_activity() {
    let mut plain = three_pingers(TraceMode::Hash);
    let first = plain.run_until(Time::from_secs(10)).unwrap_err();
    assert_eq!(first.nodes, vec![NodeId(1)]);
    assert!(
        first
            .tail
            .lines
            .iter()
            .any(|l| l.contains("recv Ping from")),
        "an ordinary run's tail has kinds: {:#?}",
        first.tail.lines
    );
    let mode = TraceMode::Diagnose {
        tail: 12,
        nodes: first.nodes.clone(),
        window_from: Time(first.time.as_micros().saturating_sub(100_000)),
    };
    let mut diagnosed = three_pingers(mode);
    let second = diagnosed.run_until(Time::from_secs(10)).unwrap_err();
    assert_eq!((second.check, second.time), (first.check, first.time));
    assert_eq!(second.events, first.events);
    assert_eq!(diagnosed.trace_hash(), plain.trace_hash());
    let tail = &second.tail;
    assert_eq!(tail.lines.len(), 12);
    assert!(
        tail.lines.iter().any(|l| l.contains("Ping { round:")),
        "contents: {:#?}",
        tail.lines
    );
    assert!(tail
        .lines
        .last()
        .unwrap()
        .contains("FAILED too-many-rounds"));
    assert!(
        tail.focus
            .iter()
            .all(|l| l.contains("n1") || l.contains("fault")),
        "the focus is n1's: {:#?}",
        tail.focus
    );
    assert!(
        tail.activity[0].contains("events since"),
        "{:#?}",
        tail.activity
    );
    assert!(
        tail.activity[2].starts_with("busiest nodes: "),
        "{:#?}",
        tail.activity
    );
}

#[test]
fn duplicates_and_requests_to_down_nodes_show_as_what_they_were() {
    let network = NetworkConfig {
        duplicate: Ratio::percent(50),
        ..NetworkConfig::reliable()
    };
    let mut sim: Sim<PingNode, NoObserver> = Sim::new(3, network, NoObserver, TraceMode::Full);
    sim.add_node(2);
    sim.add_node(2);
    sim.run_until(Time::from_ms(30)).unwrap();
    sim.crash(NodeId(0));
    assert!(!sim.request(NodeId(0), ()), "a down node takes no request");
    let lines = sim.trace().lines().unwrap();
    assert!(
        lines.iter().any(|l| l.contains("duplicate Ping")),
        "{lines:#?}"
    );
    let last = lines.last().unwrap();
    assert!(last.contains("n0 is down: request not delivered"), "{last}");
}

const NO_ECHOES: CheckId = CheckId::new("no-echoes");

/// Emits every message it gets, then bounces it back.
struct EmitThenEcho;

impl Node for EmitThenEcho {
    type Msg = PingMsg;
    type Timer = PingTimer;
    type Request = ();
    type Event = ();
    type Config = ();

    fn boot(
        _: &(),
        id: NodeId,
        _: &Disk,
        _: u64,
        _: Time,
        out: &mut Outbox<Self>,
    ) -> Result<Self, BootError> {
        if id == NodeId(1) {
            out.send(NodeId(0), PingMsg::Ping { round: 0 });
        }
        Ok(EmitThenEcho)
    }

    fn handle(&mut self, _: Time, input: Input<Self>, out: &mut Outbox<Self>) {
        if let Input::Message { from, msg } = input {
            out.emit(());
            out.send(from, msg);
        }
    }
}

/// Fails at the first event a node emits.
struct NoEchoes;

impl Observer<EmitThenEcho> for NoEchoes {
    fn on_emit(&mut self, _: Time, node: NodeId, _: &()) -> Result<(), Violation> {
        Err(Violation::new(NO_ECHOES, format!("{node} echoed")))
    }
}

#[test]
fn nothing_is_carried_out_after_a_check_fails() {
    let mut sim = Sim::new(4, NetworkConfig::reliable(), NoEchoes, TraceMode::Full);
    sim.add_node(());
    sim.add_node(());
    let failure = sim.run_until(Time::from_secs(1)).unwrap_err();
    assert_eq!(failure.check, NO_ECHOES);
    let lines = sim.trace().lines().unwrap();
    let last = lines.last().unwrap();
    assert!(
        last.contains("FAILED no-echoes"),
        "the FAILED line is the last: {lines:#?}"
    );
    assert_eq!(
        sim.stats().sent,
        1,
        "the echo after the failing emit never left"
    );
    assert!(sim.run_for_ms(100).is_err());
    assert_eq!(sim.stats().sent, 1, "a failed run sends nothing more");
}
