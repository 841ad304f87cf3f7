//! Lab 2C's churn tests: three clients keep submitting while servers are crashed, restarted
//! and cut off at random; whatever a client saw committed must be in the final log.

use super::checks;
use super::clients::ChurnClient;
use super::harness::{RaftHarness, Step, ELECTION_TIMEOUT_MS};
use protocol_core::rng::{index, range_inclusive};
use sim_kit::actors::Actor;
use sim_kit::{RunOptions, RunReport};

pub(super) fn reliable_churn_2c(options: &RunOptions) -> RunReport {
    churn(options, false)
}

pub(super) fn unreliable_churn_2c(options: &RunOptions) -> RunReport {
    churn(options, true)
}

fn churn(options: &RunOptions, unreliable: bool) -> RunReport {
    let n = 5;
    let mut h = RaftHarness::new(options, n, unreliable, false);
    let verdict = (|| -> Step {
        let mut clients: Vec<ChurnClient> = (0..3).map(|id| ChurnClient::new(&h, id)).collect();
        for _ in 0..20 {
            churn_round(&mut h, n);
            let until = h.sim.now().plus_ms(ELECTION_TIMEOUT_MS * 7 / 10);
            h.run_actors(&mut clients, until)?;
        }
        let until = h.sim.now().plus_ms(ELECTION_TIMEOUT_MS);
        h.run_actors(&mut clients, until)?;
        h.set_unreliable(false);
        restart_and_connect_all(&mut h);
        clients.iter_mut().for_each(ChurnClient::stop);
        // The clients finish what they are doing while the tester sleeps.
        let until = h.sim.now().plus_ms(ELECTION_TIMEOUT_MS);
        h.run_actors(&mut clients, until)?;
        if let Some(c) = clients
            .iter()
            .position(|c| c.wake_at().is_some() || c.attempts == 0)
        {
            return Err(h.fail(checks::CLIENT, format!("client {c} failed")));
        }
        let values: Vec<u64> = clients
            .iter()
            .flat_map(|c| c.values.iter().copied())
            .collect();
        h.metric("client-commits", values.len() as u64);
        check_final_log(&mut h, &values)
    })();
    h.report(verdict)
}

/// One round of the course's main loop: 20% disconnect one, 50% restart-and-connect one,
/// 20% crash one.
fn churn_round(h: &mut RaftHarness, n: usize) {
    if range_inclusive(&mut h.rng, 0, 999) < 200 {
        let i = index(&mut h.rng, n);
        h.disconnect(i);
    }
    if range_inclusive(&mut h.rng, 0, 999) < 500 {
        let i = index(&mut h.rng, n);
        if !h.is_up(i) {
            h.start1(i);
        }
        h.connect(i);
    }
    if range_inclusive(&mut h.rng, 0, 999) < 200 {
        let i = index(&mut h.rng, n);
        if h.is_up(i) {
            h.crash1(i);
        }
    }
}

pub(super) fn restart_and_connect_all(h: &mut RaftHarness) {
    for i in 0..h.servers {
        if !h.is_up(i) {
            h.start1(i);
        }
        h.connect(i);
    }
}

/// One more command on every server, then every index up to it committed on every server
/// still alive (not down for good with a corrupt disk), and every value a client saw
/// committed among them.
pub(super) fn check_final_log(h: &mut RaftHarness, values: &[u64]) -> Step {
    h.sleep_ms(ELECTION_TIMEOUT_MS)?;
    let v = h.rand_value();
    let alive = h.alive_servers();
    let last_index = h.one_value(v, alive, true)?;
    let mut really = std::collections::BTreeSet::new();
    for index in 1..=last_index {
        if let Some(value) = h.wait(index, alive, None)? {
            really.insert(value);
        }
    }
    if let Some(missing) = values.iter().find(|v| !really.contains(v)) {
        return Err(h.fail(
            checks::CLIENT_COMMITS_DURABLE,
            format!(
                "didn't find a value: {missing} was seen committed but is not in the final log"
            ),
        ));
    }
    Ok(())
}
