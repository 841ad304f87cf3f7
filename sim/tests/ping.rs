//! The simulator exercised with a tiny protocol: every node pings its peers on a timer,
//! answers pings with pongs, and persists how many rounds it has run.

mod support;

use protocol_core::rng::Ratio;
use protocol_core::{BootError, Disk, DurableWrite, Input, Node, NodeId, Outbox, Time};
use sim::network::LatencyModel;
use sim::observer::NodesView;
use sim::stats::DropReason;
use sim::Violation;
use sim::{checks, CheckId, FaultAction, NetworkConfig, NoObserver, Observer, Sim, TraceMode};
use support::{lossy, world, Echo, PingNode};
use support::{PingMsg, PingTimer};

fn run_hash(seed: u64) -> u64 {
    let mut sim = world(seed, 4, lossy());
    sim.run_until(Time::from_secs(2)).unwrap();
    sim.crash(NodeId(1));
    sim.run_for_ms(100).unwrap();
    sim.restart(NodeId(1));
    sim.run_for_ms(500).unwrap();
    sim.trace_hash()
}

#[test]
fn same_seed_same_trace_hash_and_seeds_differ() {
    assert_eq!(run_hash(7), run_hash(7));
    assert_ne!(run_hash(7), run_hash(8));
}

#[test]
fn messages_flow_and_are_counted() {
    let mut sim = world(1, 3, NetworkConfig::reliable());
    sim.run_until(Time::from_secs(1)).unwrap();
    let stats = sim.stats();
    assert!(stats.sent > 500, "{stats:?}");
    assert_eq!(
        stats.by_kind["Ping"].sent + stats.by_kind["Pong"].sent,
        stats.sent
    );
    assert!(
        stats.delivered + 12 >= stats.sent,
        "reliable: all but the in-flight arrive"
    );
    assert_eq!(stats.dropped_total(), 0);
    assert!(stats.delivered_to.iter().all(|&n| n > 100));
}

#[test]
fn loss_and_duplication_happen_at_their_rates() {
    let mut sim = world(3, 3, lossy());
    sim.run_until(Time::from_secs(5)).unwrap();
    let stats = sim.stats();
    let lost = stats.dropped_for(DropReason::Lost) as f64 / stats.sent as f64;
    assert!((0.07..0.13).contains(&lost), "loss rate {lost}");
    assert!(stats.duplicated > 0);
}

#[test]
fn crash_keeps_disk_and_drops_in_flight() {
    let mut sim = world(2, 3, NetworkConfig::reliable());
    sim.run_until(Time::from_ms(500)).unwrap();
    let rounds_before = sim.node(NodeId(0)).unwrap().round;
    sim.crash(NodeId(0));
    assert!(!sim.is_up(NodeId(0)));
    sim.run_for_ms(100).unwrap();
    assert!(sim.stats().dropped_for(DropReason::NodeDown) > 0);
    sim.restart(NodeId(0));
    let after = sim.node(NodeId(0)).unwrap().round;
    assert_eq!(
        after, rounds_before,
        "restart resumes from the persisted round"
    );
}

#[test]
fn partitions_and_one_way_links_drop_messages() {
    let mut sim = world(4, 3, NetworkConfig::reliable());
    sim.partition(&[&[NodeId(0)], &[NodeId(1), NodeId(2)]]);
    sim.run_until(Time::from_ms(200)).unwrap();
    assert_eq!(sim.stats().delivered_to[0], 0, "node 0 is cut off");
    sim.heal_links();
    sim.apply(FaultAction::CutLink {
        from: NodeId(1),
        to: NodeId(2),
    });
    let before = sim.stats().delivered_to.clone();
    sim.run_for_ms(200).unwrap();
    assert!(sim.stats().delivered_to[0] > before[0]);
    assert!(sim.stats().dropped_for(DropReason::Partitioned) > 0);
}

#[test]
fn corrupt_frames_are_dropped_not_delivered() {
    let network = NetworkConfig {
        corrupt: Ratio::percent(50),
        ..NetworkConfig::reliable()
    };
    let mut sim = world(5, 3, network);
    sim.run_until(Time::from_secs(1)).unwrap();
    let corrupt = sim.stats().dropped_for(DropReason::Corrupt);
    assert!(corrupt > 100, "{corrupt}");
}

#[test]
fn pause_delays_everything_then_delivers_it() {
    let mut sim = world(6, 2, NetworkConfig::reliable());
    sim.run_until(Time::from_ms(100)).unwrap();
    sim.apply(FaultAction::Pause {
        node: NodeId(1),
        micros: 300_000,
    });
    let before = sim.stats().delivered_to[1];
    sim.run_for_ms(299).unwrap();
    assert_eq!(
        sim.stats().delivered_to[1],
        before,
        "a paused node handles nothing"
    );
    sim.run_for_ms(2).unwrap();
    assert!(
        sim.stats().delivered_to[1] > before + 10,
        "then everything arrives late"
    );
}

#[test]
fn drift_changes_how_often_a_node_acts() {
    let mut sim = world(7, 2, NetworkConfig::reliable());
    sim.apply(FaultAction::SetDrift {
        node: NodeId(0),
        ppm: 400_000,
    });
    sim.apply(FaultAction::SetDrift {
        node: NodeId(1),
        ppm: -400_000,
    });
    sim.run_until(Time::from_secs(2)).unwrap();
    let fast = sim.node(NodeId(0)).unwrap().round;
    let slow = sim.node(NodeId(1)).unwrap().round;
    assert!(fast > slow * 2, "fast {fast} slow {slow}");
}

#[test]
fn a_disk_a_fault_damaged_takes_its_node_down_for_good() {
    let mut sim = world(8, 2, NetworkConfig::reliable());
    sim.run_until(Time::from_ms(100)).unwrap();
    sim.crash(NodeId(0));
    assert!(sim.damage_file(NodeId(0), "round", |bytes| *bytes = vec![0xff; 11]));
    sim.restart(NodeId(0));
    sim.run_for_ms(100)
        .expect("an expected corrupt disk is no failure");
    assert!(!sim.is_up(NodeId(0)) && sim.is_failed(NodeId(0)));
    assert_eq!(sim.failed_nodes(), vec![NodeId(0)]);
    sim.restart(NodeId(0));
    assert!(!sim.is_up(NodeId(0)), "down for good means down for good");
    assert_eq!(sim.stats().disk_failures, 1);
}

/// Writes what its own boot cannot read: a core's bug, not a disk's.
struct Scribbler;

impl Node for Scribbler {
    type Msg = PingMsg;
    type Timer = PingTimer;
    type Request = ();
    type Event = ();
    type Config = ();

    fn boot(
        _: &(),
        id: NodeId,
        disk: &Disk,
        _: u64,
        _: Time,
        out: &mut Outbox<Self>,
    ) -> Result<Self, BootError> {
        if disk.read("state").is_some() {
            let reason = "state: unreadable".to_string();
            return Err(BootError::CorruptDisk { node: id, reason });
        }
        out.persist(DurableWrite::file("state", vec![0xff]));
        Ok(Scribbler)
    }

    fn handle(&mut self, _: Time, _: Input<Self>, _: &mut Outbox<Self>) {}
}

#[test]
fn a_corrupt_disk_no_fault_explains_fails_the_boot() {
    let mut sim: Sim<Scribbler, NoObserver> =
        Sim::new(8, NetworkConfig::reliable(), NoObserver, TraceMode::Hash);
    sim.add_node(());
    sim.run_until(Time::from_ms(100)).unwrap();
    sim.crash(NodeId(0));
    sim.restart(NodeId(0));
    let failure = sim.run_for_ms(1).unwrap_err();
    assert_eq!(failure.check, checks::BOOT);
    assert!(
        failure.message.contains("corrupt disk") && failure.message.contains("no storage fault"),
        "{}",
        failure.message
    );
    assert!(!failure.tail.lines.is_empty());
}

struct RoundLimit(u64);

const ROUND_LIMIT: CheckId = CheckId::new("round-limit");
const STEPPED: CheckId = CheckId::new("stepped");

impl Observer<PingNode> for RoundLimit {
    fn after_step(&mut self, _now: Time, nodes: &NodesView<'_, PingNode>) -> Result<(), Violation> {
        for (id, node) in nodes.iter() {
            if node.is_some_and(|n| n.round > self.0) {
                return Err(Violation::new(
                    ROUND_LIMIT,
                    format!("{id} passed round {}", self.0),
                ));
            }
        }
        Ok(())
    }
}

#[test]
fn an_observer_violation_stops_the_run_with_time_and_tail() {
    let mut sim = Sim::new(
        9,
        NetworkConfig::reliable(),
        RoundLimit(20),
        TraceMode::Hash,
    );
    sim.add_node(2);
    sim.add_node(2);
    let failure = sim.run_until(Time::from_secs(10)).unwrap_err();
    assert_eq!(failure.check, ROUND_LIMIT);
    assert!(
        failure.time > Time::from_ms(150) && failure.time < Time::from_ms(300),
        "{}",
        failure.time
    );
    assert_eq!(failure.seed, 9);
    assert!(
        failure.tail.lines.last().unwrap().contains("n0 persist"),
        "{:?}",
        failure.tail
    );
    assert!(sim.run_for_ms(1).is_err(), "a failed run stays failed");
}

#[test]
fn full_trace_renders_messages() {
    let mut sim: Sim<PingNode, NoObserver> =
        Sim::new(10, NetworkConfig::reliable(), NoObserver, TraceMode::Full);
    sim.add_node(2);
    sim.add_node(2);
    sim.run_until(Time::from_ms(12)).unwrap();
    let lines = sim.trace().lines().unwrap().join("\n");
    insta::assert_snapshot!(lines);
}

struct Exploding;

impl Observer<PingNode> for Exploding {
    fn on_emit(
        &mut self,
        now: Time,
        node: NodeId,
        _event: &(NodeId, u64),
    ) -> Result<(), Violation> {
        assert!(now < Time::from_ms(30), "{node} emitted after 30 ms");
        Ok(())
    }
}

#[test]
fn a_panic_inside_a_step_is_a_failure_with_time_and_tail() {
    let mut sim = Sim::new(11, NetworkConfig::reliable(), Exploding, TraceMode::Hash);
    sim.add_node(2);
    sim.add_node(2);
    let failure = sim.run_until(Time::from_secs(1)).unwrap_err();
    assert_eq!(failure.check, checks::ASSERTION);
    assert!(
        failure.message.contains("emitted after 30 ms"),
        "{}",
        failure.message
    );
    assert!(
        failure.time >= Time::from_ms(30) && failure.time < Time::from_ms(45),
        "{}",
        failure.time
    );
    assert!(!failure.tail.lines.is_empty());
    assert_eq!(
        sim.call(NodeId(0), |_, _, _| 1),
        None,
        "a failed run takes no more calls"
    );
}

#[test]
fn a_livelock_at_one_instant_fails_instead_of_hanging() {
    let network = NetworkConfig {
        latency: LatencyModel::uniform(0, 0),
        ..NetworkConfig::reliable()
    };
    let mut sim: Sim<Echo, NoObserver> = Sim::new(12, network, NoObserver, TraceMode::Hash);
    sim.add_node(());
    sim.add_node(());
    let failure = sim.run_until(Time::from_secs(1)).unwrap_err();
    assert_eq!(failure.check, checks::LIVELOCK);
    assert_eq!(failure.time, Time::ZERO);
}

/// Checks the promise of `NodesView::stepped`: only the stepped node changed.
#[derive(Default)]
struct OnlySteppedChanges {
    rounds: Vec<Option<u64>>,
    stepped: u64,
    faults: u64,
}

impl Observer<PingNode> for OnlySteppedChanges {
    fn after_step(&mut self, _now: Time, nodes: &NodesView<'_, PingNode>) -> Result<(), Violation> {
        let rounds: Vec<Option<u64>> = nodes.iter().map(|(_, n)| n.map(|n| n.round)).collect();
        match nodes.stepped() {
            Some(stepped) => {
                self.stepped += 1;
                for (i, (before, now)) in self.rounds.iter().zip(&rounds).enumerate() {
                    if i != stepped.index() && before != now {
                        let message = format!("n{i} changed in a step of {stepped}");
                        return Err(Violation::new(STEPPED, message));
                    }
                }
            }
            None => self.faults += 1,
        }
        self.rounds = rounds;
        Ok(())
    }
}

#[test]
fn after_a_step_only_the_stepped_node_has_changed() {
    let mut sim = Sim::new(
        12,
        NetworkConfig::reliable(),
        OnlySteppedChanges::default(),
        TraceMode::Hash,
    );
    for _ in 0..3 {
        sim.add_node(3);
    }
    sim.run_until(Time::from_ms(55)).unwrap();
    sim.crash(NodeId(1));
    sim.run_until(Time::from_ms(95)).unwrap();
    sim.restart(NodeId(1));
    sim.run_until(Time::from_ms(200)).unwrap();
    let watch = sim.observer();
    assert!(watch.stepped > 50, "{} stepped", watch.stepped);
    assert_eq!(
        watch.faults, 1,
        "the boot after a crash called directly names no single node"
    );
}
