//! A tiny protocol to exercise the simulator with: every node pings its peers on a timer,
//! answers pings with pongs, and persists how many rounds it has run; and `Echo`, which
//! bounces every message back at once.
#![allow(dead_code)] // each test file uses its own part

use protocol_core::rng::{range_inclusive, rng_from_seed, Ratio, Rng};
use protocol_core::{BootError, Disk, DurableWrite, Input, Message, Node, NodeId, Outbox, Time};
use serde::{Deserialize, Serialize};
use sim::network::LatencyModel;
use sim::{NetworkConfig, NoObserver, Sim, TraceMode};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum PingMsg {
    Ping { round: u64 },
    Pong { round: u64 },
}

impl Message for PingMsg {
    fn kind(&self) -> &'static str {
        match self {
            PingMsg::Ping { .. } => "Ping",
            PingMsg::Pong { .. } => "Pong",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PingTimer {
    Round,
}

pub struct PingNode {
    pub id: NodeId,
    pub peers: u32,
    pub round: u64,
    pub rng: Rng,
}

const ROUND_MS: u64 = 10;

impl Node for PingNode {
    type Msg = PingMsg;
    type Timer = PingTimer;
    type Request = ();
    type Event = (NodeId, u64);
    type Config = u32;

    fn boot(
        peers: &u32,
        id: NodeId,
        disk: &Disk,
        seed: u64,
        now: Time,
        out: &mut Outbox<Self>,
    ) -> Result<Self, BootError> {
        let round = match disk.read("round") {
            None => 0,
            Some(bytes) => postcard::from_bytes(bytes).map_err(|e| BootError::CorruptDisk {
                node: id,
                reason: e.to_string(),
            })?,
        };
        let mut rng = rng_from_seed(seed);
        out.set_timer(
            PingTimer::Round,
            now.plus_micros(range_inclusive(&mut rng, 1, 1_000)),
        );
        Ok(PingNode {
            id,
            peers: *peers,
            round,
            rng,
        })
    }

    fn handle(&mut self, now: Time, input: Input<Self>, out: &mut Outbox<Self>) {
        match input {
            Input::Timer(PingTimer::Round) => {
                self.round += 1;
                out.persist(DurableWrite::file(
                    "round",
                    postcard::to_allocvec(&self.round).unwrap(),
                ));
                for peer in 0..self.peers {
                    if peer != self.id.0 {
                        out.send(NodeId(peer), PingMsg::Ping { round: self.round });
                    }
                }
                let jitter = range_inclusive(&mut self.rng, 0, 999);
                out.set_timer(PingTimer::Round, now.plus_ms(ROUND_MS).plus_micros(jitter));
            }
            Input::Message {
                from,
                msg: PingMsg::Ping { round },
            } => out.send(from, PingMsg::Pong { round }),
            Input::Message {
                from,
                msg: PingMsg::Pong { round },
            } => out.emit((from, round)),
            Input::Request(()) | Input::Synced { .. } => {}
        }
    }
}

pub fn world(seed: u64, nodes: u32, network: NetworkConfig) -> Sim<PingNode, NoObserver> {
    let mut sim = Sim::new(seed, network, NoObserver, TraceMode::Hash);
    for _ in 0..nodes {
        sim.add_node(nodes);
    }
    sim
}

pub fn lossy() -> NetworkConfig {
    NetworkConfig {
        latency: LatencyModel {
            min_us: 100,
            max_us: 5_000,
            tail: Ratio::percent(5),
            tail_max_us: 50_000,
        },
        loss: Ratio::percent(10),
        duplicate: Ratio::percent(5),
        long_reorder: Ratio::percent(2),
        ..NetworkConfig::reliable()
    }
}

/// Answers every message at once to every peer: with zero latency, time never advances.
pub struct Echo;

impl Node for Echo {
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
        Ok(Echo)
    }

    fn handle(&mut self, _: Time, input: Input<Self>, out: &mut Outbox<Self>) {
        if let Input::Message { from, msg } = input {
            out.send(from, msg);
        }
    }
}
