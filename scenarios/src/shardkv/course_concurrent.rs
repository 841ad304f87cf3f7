//! The course's sharded KV tests with clients running while groups join, leave and restart:
//! TestConcurrent1-3 and TestUnreliable1-3. The appenders are closed-loop clients in virtual
//! time, each appending unique values to its own key; TestUnreliable3's workers pick random
//! keys. Every operation is in the history checked at the end.

use super::checks;
use super::clients::{keys, Expected, KvOps};
use super::course_basic::{check_all, check_and_append, put_all, randstring};
use super::harness::course_max_raft_state;
use super::harness::{ShardKvHarness, CALL_BOUND_MS};
use protocol_core::rng::range_inclusive;
use protocol_core::NodeId;
use sim::NetworkConfig;
use sim_kit::clients::ClosedLoop;
use sim_kit::{RunOptions, RunReport, Step};

/// The pause of the course's appenders that do not sleep, in µs: the KV family's (see
/// `kv/generic.rs`). An operation takes a few ms of virtual time here; back to back, ten
/// clients do some 7 000 operations in TestConcurrent3's 12 s (0.1 CPU-s a seed, half the
/// whole suite's), with these pauses about 2 400, a few hundred per client, all checked.
pub const NO_SLEEP_US: (u64, u64) = (5_000, 50_000);

impl ShardKvHarness {
    /// Starts one closed-loop client per clerk of `clerks`, running `ops`, pausing
    /// `think_us` between an operation's return and the next call.
    pub fn start_clients(&mut self, clerks: Vec<NodeId>, ops: KvOps, think_us: (u64, u64)) {
        let rng = self.sim.derive_rng("client-loops");
        self.hooks.clients = ClosedLoop::new(ops, clerks, think_us, rng);
        let now = self.now();
        self.hooks.clients.start(now);
    }

    /// Tells the clients to stop and waits until every operation under way has returned.
    pub fn stop_clients(&mut self) -> Step {
        self.hooks.clients.stop();
        let deadline = self.now().plus_ms(CALL_BOUND_MS);
        if !self.run_until_done(deadline, |h| h.hooks.clients.all_idle())? {
            let message = format!(
                "clients' operations did not complete {CALL_BOUND_MS} ms after they stopped"
            );
            return Err(self.fail(checks::LIVENESS, message));
        }
        Ok(())
    }

    /// Ten appenders, one per key of `va`, each on a clerk of its own.
    fn start_appenders(&mut self, va: &Expected, think_us: (u64, u64)) {
        let clerks = va.keys().map(|_| self.add_clerk()).collect();
        self.start_clients(
            clerks,
            KvOps::appenders(va.keys().cloned().collect()),
            think_us,
        );
    }

    /// Stops the appenders; every key must read its initial value and exactly what its
    /// appender appended, in order.
    fn check_appenders(&mut self, ck: NodeId, va: &Expected) -> Step {
        self.stop_clients()?;
        let appended = self.hooks.clients.workload.appended().to_vec();
        let expected: Expected = va
            .iter()
            .zip(appended)
            .map(|((k, v), a)| (k.clone(), format!("{v}{a}")))
            .collect();
        check_all(self, ck, &expected)
    }

    /// A random sleep of 0-899 ms (TestConcurrent3's).
    fn random_sleep(&mut self) -> Step {
        let ms = range_inclusive(&mut self.rng, 0, 899);
        self.sleep_ms(ms)
    }
}

/// The timeline TestConcurrent1 runs under its appenders.
fn concurrent1_timeline(h: &mut ShardKvHarness) -> Step {
    h.sleep_ms(150)?;
    h.join(1)?;
    h.sleep_ms(500)?;
    h.join(2)?;
    h.sleep_ms(500)?;
    h.leave(0)?;
    h.shutdown_group(0);
    h.sleep_ms(100)?;
    h.shutdown_group(1);
    h.sleep_ms(100)?;
    h.shutdown_group(2);
    h.leave(2)?;
    h.sleep_ms(100)?;
    (0..3).for_each(|g| h.start_group(g));
    h.sleep_ms(100)?;
    h.join(0)?;
    h.leave(1)?;
    h.sleep_ms(500)?;
    h.join(1)?;
    h.sleep_ms(1_000)
}

/// TestConcurrent1: appenders every 10 ms while groups join, leave, and all three shut down
/// and start again; maxraftstate 100.
pub fn concurrent1(options: &RunOptions) -> RunReport {
    let mut h = ShardKvHarness::new(options, 3, false, Some(course_max_raft_state(100)));
    let ck = h.add_clerk();
    let verdict = (|| -> Step {
        h.join(0)?;
        let va = put_all(&mut h, ck, &keys(10), 5)?;
        h.start_appenders(&va, (10_000, 10_000));
        concurrent1_timeline(&mut h)?;
        h.check_appenders(ck, &va)
    })();
    h.report(verdict)
}

/// TestConcurrent2: appenders every 50 ms while groups leave and join 3 s apart, then two
/// groups restart: the various sources a restarting group fetches shards from. No snapshots.
pub fn concurrent2(options: &RunOptions) -> RunReport {
    let mut h = ShardKvHarness::new(options, 3, false, None);
    let ck = h.add_clerk();
    let verdict = (|| -> Step {
        for g in [1, 0, 2] {
            h.join(g)?;
        }
        let va = put_all(&mut h, ck, &keys(10), 1)?;
        h.start_appenders(&va, (50_000, 50_000));
        let rounds: [(&[usize], &[usize]); 3] = [(&[], &[0, 2]), (&[0, 2], &[1]), (&[1], &[0, 2])];
        for (joins, leaves) in rounds {
            for &g in joins {
                h.join(g)?;
            }
            for &g in leaves {
                h.leave(g)?;
            }
            h.sleep_ms(3_000)?;
        }
        h.shutdown_group(1);
        h.shutdown_group(2);
        h.sleep_ms(1_000)?;
        h.start_group(1);
        h.start_group(2);
        h.sleep_ms(2_000)?;
        h.check_appenders(ck, &va)
    })();
    h.report(verdict)
}

/// TestConcurrent3: appenders without pause while, for 12 s, groups join, all restart at
/// once and leave again, with random sleeps between; maxraftstate 300.
pub fn concurrent3(options: &RunOptions) -> RunReport {
    let mut h = ShardKvHarness::new(options, 3, false, Some(course_max_raft_state(300)));
    let ck = h.add_clerk();
    let verdict = (|| -> Step {
        h.join(0)?;
        let va = put_all(&mut h, ck, &keys(10), 1)?;
        h.start_appenders(&va, NO_SLEEP_US);
        let end = h.now().plus_ms(12_000);
        while h.now() < end {
            h.join(2)?;
            h.join(1)?;
            h.random_sleep()?;
            (0..3).for_each(|g| h.shutdown_group(g));
            (0..3).for_each(|g| h.start_group(g));
            h.random_sleep()?;
            h.leave(1)?;
            h.leave(2)?;
            h.random_sleep()?;
        }
        h.sleep_ms(2_000)?;
        h.check_appenders(ck, &va)
    })();
    h.report(verdict)
}

/// TestUnreliable1: on a lossy network, sequential checks and appends round-robin over the
/// keys across reconfigurations.
pub fn unreliable1(options: &RunOptions) -> RunReport {
    let mut h = ShardKvHarness::new(options, 3, true, Some(course_max_raft_state(100)));
    let ck = h.add_clerk();
    let verdict = (|| -> Step {
        h.join(0)?;
        let mut va = put_all(&mut h, ck, &keys(10), 5)?;
        h.join(1)?;
        h.join(2)?;
        h.leave(0)?;
        for _ in 0..2 {
            check_and_append(&mut h, ck, &mut va)?;
        }
        h.join(0)?;
        h.leave(1)?;
        for _ in 0..2 {
            check_all(&mut h, ck, &va)?;
        }
        Ok(())
    })();
    h.report(verdict)
}

/// The timeline TestUnreliable2 and 3 run under their clients.
fn unreliable_timeline(h: &mut ShardKvHarness) -> Step {
    h.sleep_ms(150)?;
    h.join(1)?;
    h.sleep_ms(500)?;
    h.join(2)?;
    h.sleep_ms(500)?;
    h.leave(0)?;
    h.sleep_ms(500)?;
    h.leave(1)?;
    h.sleep_ms(500)?;
    h.join(1)?;
    h.join(0)?;
    h.sleep_ms(2_000)
}

/// The course's switch to a reliable network before waiting for the clients.
fn make_reliable(h: &mut ShardKvHarness) {
    let latency = h.sim.network().latency;
    h.sim.set_network(NetworkConfig {
        latency,
        ..NetworkConfig::reliable()
    });
}

/// TestUnreliable2: appenders without pause on a lossy network across joins and leaves.
pub fn unreliable2(options: &RunOptions) -> RunReport {
    let mut h = ShardKvHarness::new(options, 3, true, Some(course_max_raft_state(100)));
    let ck = h.add_clerk();
    let verdict = (|| -> Step {
        h.join(0)?;
        let va = put_all(&mut h, ck, &keys(10), 5)?;
        h.start_appenders(&va, NO_SLEEP_US);
        unreliable_timeline(&mut h)?;
        h.hooks.clients.stop();
        make_reliable(&mut h);
        h.check_appenders(ck, &va)
    })();
    h.report(verdict)
}

/// TestUnreliable3: ten workers on random keys (half Appends, some Puts, the rest Gets) on a
/// lossy network across joins and leaves; the history must be linearizable (the course's
/// Porcupine check, here with no timeout: an undecided history fails).
pub fn unreliable3(options: &RunOptions) -> RunReport {
    let mut h = ShardKvHarness::new(options, 3, true, Some(course_max_raft_state(100)));
    let ck = h.add_clerk();
    let verdict = (|| -> Step {
        h.join(0)?;
        let ks = keys(10);
        for key in &ks {
            let value = randstring(&mut h.rng, 5);
            h.put(ck, key, &value)?;
        }
        let clerks = (0..10).map(|_| h.add_clerk()).collect();
        h.start_clients(clerks, KvOps::random(ks, 10), NO_SLEEP_US);
        unreliable_timeline(&mut h)?;
        h.hooks.clients.stop();
        make_reliable(&mut h);
        h.stop_clients()
    })();
    h.report(verdict)
}
