//! `sim bench`: how fast the simulator runs, measured, never asserted.
//!
//! Three figures in one run, so they can be compared as ratios on a noisy machine: a bare
//! event queue driven by ChaCha (the floor any simulator pays), postcard encoding and
//! decoding of a small AppendEntries, and the real thing: a 5-node Raft cluster electing a
//! leader and exchanging heartbeats through the full simulator (framing, checksums, trace
//! hash, invariant checks after every step).

use crate::raft::watch::RaftWatch;
use protocol_core::rng::{range_inclusive, rng_from_seed};
use protocol_core::{NodeId, Time};
use raft::msg::{AppendEntries, RaftMsg};
use raft::{Config, Entry, LogIndex, Term};
use sim::network::LatencyModel;
use sim::queue::EventQueue;
use sim::{NetworkConfig, Sim, TraceMode};
use sim_kit::measure::{peak_rss_kib, Stopwatch};
use std::fmt::Write;
use std::hint::black_box;

pub struct BenchOptions {
    pub nodes: u32,
    pub virtual_secs: u64,
}

pub fn run(options: &BenchOptions) -> String {
    let mut out = String::new();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    writeln!(
        out,
        "machine: {cores} cores available; every figure below is single-threaded"
    )
    .ok();
    let queue_rate = bare_queue();
    writeln!(
        out,
        "bare queue + chacha:      {:>6.2} M events/s",
        queue_rate / 1e6
    )
    .ok();
    let codec_rate = postcard_round_trip();
    writeln!(
        out,
        "postcard AppendEntries:   {:>6.2} M encode+decode/s",
        codec_rate / 1e6
    )
    .ok();
    let (delivered, wall, cpu, virtual_time) = raft_heartbeats(options);
    let rate = delivered as f64 / wall;
    writeln!(
        out,
        "raft {} nodes, heartbeats: {delivered} messages delivered in {wall:.2} s wall ({}), {} virtual",
        options.nodes,
        cpu.map_or("cpu n/a".to_string(), |c| format!("{c:.2} CPU-s")),
        virtual_time.display_secs(),
    )
    .ok();
    writeln!(out, "  delivered messages/s:   {:>6.2} M", rate / 1e6).ok();
    writeln!(
        out,
        "  virtual : wall time     {:>9.0} : 1",
        virtual_time.as_micros() as f64 / 1e6 / wall
    )
    .ok();
    writeln!(out, "  ratio to bare queue:    {:>9.2}", rate / queue_rate).ok();
    out.push_str(&raft_suite(1));
    if let Some(kib) = peak_rss_kib() {
        writeln!(out, "peak memory: {:.1} MiB", kib as f64 / 1024.0).ok();
    }
    out
}

/// Events through a binary heap with ChaCha-drawn delays: the cost floor of any simulator.
fn bare_queue() -> f64 {
    let mut rng = rng_from_seed(1);
    let mut queue = EventQueue::new();
    for i in 0..1_000u64 {
        queue.push(Time(i), i);
    }
    let events = 5_000_000u64;
    let stopwatch = Stopwatch::start();
    for _ in 0..events {
        let (time, payload) = queue.pop().expect("queue stays full");
        let delay = range_inclusive(&mut rng, 100, 1_000);
        queue.push(time.plus_micros(delay), black_box(payload));
    }
    events as f64 / stopwatch.elapsed().wall.as_secs_f64()
}

/// Encode and decode a one-entry AppendEntries, as each simulated send and delivery does.
fn postcard_round_trip() -> f64 {
    let msg = RaftMsg::AppendEntries(AppendEntries {
        term: Term(3),
        leader: NodeId(1),
        prev_log_index: LogIndex(41),
        prev_log_term: Term(3),
        entries: vec![Entry {
            term: Term(3),
            command: vec![7; 8],
        }],
        leader_commit: LogIndex(40),
    });
    let rounds = 2_000_000u64;
    let stopwatch = Stopwatch::start();
    for _ in 0..rounds {
        let bytes = postcard::to_allocvec(black_box(&msg)).expect("encodes");
        let back: RaftMsg = postcard::from_bytes(black_box(&bytes)).expect("decodes");
        black_box(back);
    }
    rounds as f64 / stopwatch.elapsed().wall.as_secs_f64()
}

fn raft_heartbeats(options: &BenchOptions) -> (u64, f64, Option<f64>, Time) {
    let network = NetworkConfig {
        latency: LatencyModel::uniform(100, 1_000),
        ..NetworkConfig::reliable()
    };
    let servers = options.nodes as usize;
    let mut sim = Sim::new(1, network, RaftWatch::new(servers, None), TraceMode::Hash);
    sim.set_budget(sim::Budget::UNLIMITED);
    let config = Config::with_size(options.nodes);
    for _ in 0..servers {
        sim.add_node(config.clone());
    }
    let stopwatch = Stopwatch::start();
    let end = Time::from_secs(options.virtual_secs);
    // The cluster checks run after every step, as in every scenario.
    if let Err(failure) = sim.run_until(end) {
        panic!("bench run failed: {failure}");
    }
    let elapsed = stopwatch.elapsed();
    (
        sim.stats().delivered,
        elapsed.wall.as_secs_f64(),
        elapsed.cpu.map(|c| c.as_secs_f64()),
        end,
    )
}

/// Every Raft scenario (the ported course suite and the random ones) for one seed, one after
/// another on this thread: the figure to set beside MadRaft's 0.159 s per seed.
pub fn raft_suite(seed: u64) -> String {
    let registry = crate::registry();
    let scenarios = registry.select("raft-*").expect("raft scenarios exist");
    let stopwatch = Stopwatch::start();
    let (mut virtual_micros, mut delivered, mut failed) = (0u64, 0u64, 0usize);
    for &scenario in &scenarios {
        let report = sim_kit::runner::run_one(scenario, &scenario.options(seed));
        virtual_micros += report.virtual_time.as_micros();
        delivered += report.stats.delivered;
        failed += usize::from(!report.passed());
    }
    let elapsed = stopwatch.elapsed();
    let wall = elapsed.wall.as_secs_f64();
    format!(
        "raft suite, seed {seed}: {} scenarios ({failed} failed) in {}, {:.1} virtual s, \
         {delivered} messages delivered ({:.2} M/s)\n",
        scenarios.len(),
        elapsed.describe(),
        virtual_micros as f64 / 1e6,
        delivered as f64 / wall / 1e6,
    )
}
