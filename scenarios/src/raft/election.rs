//! Lab 2A, leader election: the course's three tests, and elections under random faults.

use super::checks;
use super::harness::{RaftHarness, Step, ELECTION_TIMEOUT_MS};
use protocol_core::rng::{index, range_inclusive};
use protocol_core::{NodeId, Time};
use sim::fault::{SwarmLimits, SwarmMix};
use sim_kit::Scenario;
use sim_kit::{RunOptions, RunReport};

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new("raft-2a-initial-election", "TestInitialElection2A: 3 servers elect one leader, agree on the term, and stay stable", initial_election_2a),
    Scenario::new("raft-2a-reelection", "TestReElection2A: a new leader after the leader is cut off; none without a majority", reelection_2a),
    Scenario::new("raft-2a-many-elections", "TestManyElections2A: 7 servers, 3 random servers cut off 9 times, always one leader", many_elections_2a),
    Scenario::new("raft-election-random", "5 servers under the seed's swarm of faults; then heal: one leader within 5 s, stable terms", election_random),
];

fn initial_election_2a(options: &RunOptions) -> RunReport {
    let mut h = RaftHarness::new(options, 3, false, false);
    let verdict = (|| -> Step {
        h.check_one_leader()?;
        // Sleep a bit to avoid racing with followers learning of the election.
        h.sleep_ms(50)?;
        let term1 = h.check_terms()?;
        if term1.0 < 1 {
            return Err(h.fail(
                checks::TERM,
                format!("term is {term1}, but should be at least 1"),
            ));
        }
        // Without failures, the leader and the term stay put. (The course only warns; with
        // a reliable simulated network a changed term is a real defect, so it fails here.)
        h.sleep_ms(2 * ELECTION_TIMEOUT_MS)?;
        let term2 = h.check_terms()?;
        if term1 != term2 {
            return Err(h.fail(
                checks::STABLE_TERM,
                format!("term changed from {term1} to {term2} with no failures"),
            ));
        }
        h.check_one_leader()?;
        Ok(())
    })();
    h.report(verdict)
}

fn reelection_2a(options: &RunOptions) -> RunReport {
    let mut h = RaftHarness::new(options, 3, false, false);
    let verdict = (|| -> Step {
        let leader1 = h.check_one_leader()?;
        // If the leader disconnects, a new one should be elected.
        h.disconnect(leader1);
        h.check_one_leader()?;
        // If the old leader rejoins, that shouldn't disturb the new leader; and the old
        // leader should switch to follower.
        h.connect(leader1);
        let leader2 = h.check_one_leader()?;
        // If there's no quorum, no new leader should be elected.
        h.disconnect(leader2);
        h.disconnect((leader2 + 1) % 3);
        h.sleep_ms(2 * ELECTION_TIMEOUT_MS)?;
        // Check that the one connected server does not think it is the leader.
        h.check_no_leader()?;
        // If a quorum arises, it should elect a leader.
        h.connect((leader2 + 1) % 3);
        h.check_one_leader()?;
        // Re-join of the last node shouldn't prevent the leader from existing.
        h.connect(leader2);
        h.check_one_leader()?;
        Ok(())
    })();
    h.report(verdict)
}

fn many_elections_2a(options: &RunOptions) -> RunReport {
    let servers = 7;
    let mut h = RaftHarness::new(options, servers, false, false);
    let verdict = (|| -> Step {
        h.check_one_leader()?;
        for _ in 0..9 {
            // Disconnect three servers, chosen at random (possibly the same one twice).
            let cut: Vec<usize> = (0..3).map(|_| index(&mut h.rng, servers)).collect();
            for &i in &cut {
                h.disconnect(i);
            }
            // Either the current leader should still be alive, or the remaining four
            // should elect a new one.
            h.check_one_leader()?;
            for &i in &cut {
                h.connect(i);
            }
        }
        h.check_one_leader()?;
        Ok(())
    })();
    h.report(verdict)
}

/// How long the random faults last before the heal phase.
const FAULT_PHASE: Time = Time::from_secs(30);
/// After healing, a leader must be elected within this.
const LEADER_BOUND_MS: u64 = 5_000;

fn election_random(options: &RunOptions) -> RunReport {
    let servers = 5;
    let mut h = RaftHarness::new(options, servers, false, false);
    let mut plan_rng = h.sim.derive_rng("faults");
    let limits = SwarmLimits {
        allow_pauses: true,
        ..SwarmLimits::everything(servers)
    };
    let mix = SwarmMix::draw(&mut plan_rng, &limits);
    let ids: Vec<NodeId> = h.ids();
    let start = Time::from_ms(range_inclusive(&mut plan_rng, 0, 2_000));
    let plan = mix.plan(&mut plan_rng, &ids, start, FAULT_PHASE);
    h.sim.schedule_plan(&plan);
    h.fact("mix", mix.describe());
    h.metric("fault-actions", plan.actions.len() as u64);
    let verdict = (|| -> Step {
        h.run_until(FAULT_PHASE)?;
        // Heal phase: everything is back and the network is reliable again.
        let healed_at = h.sim.now();
        let elected = h
            .sim
            .run_until_true(healed_at.plus_ms(LEADER_BOUND_MS), |sim| {
                sim.node_ids()
                    .iter()
                    .filter_map(|&id| sim.node(id))
                    .filter(|n| n.is_leader())
                    .count()
                    == 1
            })?;
        if !elected {
            return Err(h.fail(
                checks::LIVENESS,
                format!("no single leader within {LEADER_BOUND_MS} ms of healing"),
            ));
        }
        // Let the leader's heartbeats reach everyone, then nothing should change.
        h.sleep_ms(ELECTION_TIMEOUT_MS)?;
        let term = h.check_terms()?;
        h.sleep_ms(2 * ELECTION_TIMEOUT_MS)?;
        let later = h.check_terms()?;
        if later != term {
            return Err(h.fail(
                checks::STABLE_TERM,
                format!("term moved from {term} to {later} after healing"),
            ));
        }
        Ok(())
    })();
    h.report(verdict)
}
