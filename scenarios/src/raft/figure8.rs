//! Lab 2C's Figure 8 tests: a thousand rounds of new leaders with fresh uncommitted entries,
//! crashed (reliable) or cut off (unreliable, with long reordering), and the applier's
//! no-conflicting-commit check watching throughout.

use super::harness::{RaftHarness, Step, ELECTION_TIMEOUT_MS};
use super::watch::command_bytes;
use protocol_core::rng::{index, range_inclusive, Ratio};
use sim::NetworkConfig;
use sim_kit::{RunOptions, RunReport};

const ROUNDS: usize = 1_000;

/// The course's sleep between rounds: 10% of rounds up to half an election timeout, the
/// rest up to 12 ms, so leaders sometimes replicate and sometimes do not.
fn round_sleep(h: &mut RaftHarness) -> Step {
    let ms = if range_inclusive(&mut h.rng, 0, 999) < 100 {
        range_inclusive(&mut h.rng, 0, ELECTION_TIMEOUT_MS / 2 - 1)
    } else {
        range_inclusive(&mut h.rng, 0, 12)
    };
    h.sleep_ms(ms)
}

pub(super) fn figure8_2c(options: &RunOptions) -> RunReport {
    let n = 5;
    let mut h = RaftHarness::new(options, n, false, false);
    let verdict = (|| -> Step {
        let v = h.rand_value();
        h.one_value(v, 1, true)?;
        let mut up = n;
        for _ in 0..ROUNDS {
            let mut leader = None;
            for i in 0..n {
                let v = h.rand_value();
                if h.is_up(i) && h.start(i, command_bytes(v)).is_some() {
                    leader = Some(i);
                }
            }
            round_sleep(&mut h)?;
            if let Some(leader) = leader {
                h.crash1(leader);
                up -= 1;
            }
            if up < 3 {
                let s = index(&mut h.rng, n);
                if !h.is_up(s) {
                    h.start1(s);
                    h.connect(s);
                    up += 1;
                }
            }
        }
        for i in 0..n {
            if !h.is_up(i) {
                h.start1(i);
                h.connect(i);
            }
        }
        let v = h.rand_value();
        h.one_value(v, n, true)?;
        Ok(())
    })();
    h.report(verdict)
}

/// From round 200 on, the course holds back about 2/3 of *replies* by 200 + rand(rand(2000))
/// ms (mean about 700 ms). Our long reordering hits every message, requests too, and a held
/// heartbeat costs a leader its followers where a held reply costs nothing, so the seed draws
/// a rate of 5–33% (swarm testing: a round trip is then held back 10–55% of the time) with
/// delays uniform over 200–1200 ms (the same mean).
fn long_reordering(h: &mut RaftHarness, mut network: NetworkConfig) -> NetworkConfig {
    network.long_reorder = Ratio::percent(range_inclusive(&mut h.rng, 5, 33) as u32);
    network.long_reorder_min_us = 200_000;
    network.long_reorder_max_us = 1_200_000;
    network
}

pub(super) fn figure8_unreliable_2c(options: &RunOptions) -> RunReport {
    let n = 5;
    let mut h = RaftHarness::new(options, n, true, false);
    let verdict = (|| -> Step {
        let v = range_inclusive(&mut h.rng, 0, 9_999);
        h.one_value(v, 1, true)?;
        let mut up = n;
        for round in 0..ROUNDS {
            if round == 200 {
                let current = *h.sim.network();
                let network = long_reordering(&mut h, current);
                let reorder = format!("{} from round 200", network.long_reorder);
                h.fact("long-reordering", reorder);
                h.sim.set_network(network);
            }
            let mut leader = None;
            for i in 0..n {
                let v = range_inclusive(&mut h.rng, 0, 9_999);
                if h.start(i, command_bytes(v)).is_some() && h.is_connected(i) {
                    leader = Some(i);
                }
            }
            round_sleep(&mut h)?;
            if let Some(leader) = leader {
                if range_inclusive(&mut h.rng, 0, 999) < ELECTION_TIMEOUT_MS / 2 {
                    h.disconnect(leader);
                    up -= 1;
                }
            }
            if up < 3 {
                let s = index(&mut h.rng, n);
                if !h.is_connected(s) {
                    h.connect(s);
                    up += 1;
                }
            }
        }
        for i in 0..n {
            if !h.is_connected(i) {
                h.connect(i);
            }
        }
        let v = range_inclusive(&mut h.rng, 0, 9_999);
        h.one_value(v, n, true)?;
        Ok(())
    })();
    h.report(verdict)
}
