//! Lab 2C, persistence: the course's restart tests and agreement over an unreliable network.
//! Figure 8 and the churn tests are in `figure8.rs` and `churn.rs`.

use super::clients::OneActor;
use super::harness::{RaftHarness, Step, ELECTION_TIMEOUT_MS};
use super::replication::course_test;
use super::watch::command_bytes;
use sim_kit::actors::Actor;
use sim_kit::Scenario;
use sim_kit::{RunOptions, RunReport};

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "raft-2c-persist1", "TestPersist12C: term, vote and log survive restarts of all, of the leader, of a follower", persist1_2c),
    Scenario::new(
        "raft-2c-persist2", "TestPersist22C: 5 servers, restarted minorities elect and commit from persisted state", persist2_2c),
    Scenario::new(
        "raft-2c-persist3", "TestPersist32C: partitioned leader and one follower crash, leader restarts", persist3_2c),
    Scenario::new(
        "raft-2c-figure8", "TestFigure82C: 1000 rounds of crashing leaders; no conflicting commits, then agreement", super::figure8::figure8_2c),
    Scenario::new(
        "raft-2c-unreliable-agree", "TestUnreliableAgree2C: 5 servers, lossy network, 49 x 5 concurrent one()", unreliable_agree_2c),
    Scenario::new(
        "raft-2c-figure8-unreliable", "TestFigure8Unreliable2C: lossy network, long reordering, leaders cut off", super::figure8::figure8_unreliable_2c),
    Scenario::new(
        "raft-2c-reliable-churn", "TestReliableChurn2C: 3 clients under random crashes and disconnects; their commits survive", super::churn::reliable_churn_2c),
    Scenario::new(
        "raft-2c-unreliable-churn", "TestUnreliableChurn2C: the same over a lossy network", super::churn::unreliable_churn_2c),
];

fn persist1_2c(options: &RunOptions) -> RunReport {
    course_test(options, 3, |h| {
        h.one_value(11, 3, true)?;
        // Crash and restart all.
        for i in 0..3 {
            h.start1(i);
        }
        for i in 0..3 {
            h.disconnect(i);
            h.connect(i);
        }
        h.one_value(12, 3, true)?;
        let leader1 = h.check_one_leader()?;
        h.disconnect(leader1);
        h.start1(leader1);
        h.connect(leader1);
        h.one_value(13, 3, true)?;
        let leader2 = h.check_one_leader()?;
        h.disconnect(leader2);
        h.one_value(14, 2, true)?;
        h.start1(leader2);
        h.connect(leader2);
        // Wait for leader2 to join before killing i3.
        h.wait(4, 3, None)?;
        let i3 = (h.check_one_leader()? + 1) % 3;
        h.disconnect(i3);
        h.one_value(15, 2, true)?;
        h.start1(i3);
        h.connect(i3);
        h.one_value(16, 3, true)?;
        Ok(())
    })
}

fn persist2_2c(options: &RunOptions) -> RunReport {
    let n = 5;
    course_test(options, n, |h| {
        let mut index = 1;
        for _ in 0..5 {
            h.one_value(10 + index, n, true)?;
            index += 1;
            let leader1 = h.check_one_leader()?;
            h.disconnect((leader1 + 1) % n);
            h.disconnect((leader1 + 2) % n);
            h.one_value(10 + index, n - 2, true)?;
            index += 1;
            for k in [0, 3, 4] {
                h.disconnect((leader1 + k) % n);
            }
            h.start1((leader1 + 1) % n);
            h.start1((leader1 + 2) % n);
            h.connect((leader1 + 1) % n);
            h.connect((leader1 + 2) % n);
            h.sleep_ms(ELECTION_TIMEOUT_MS)?;
            h.start1((leader1 + 3) % n);
            h.connect((leader1 + 3) % n);
            h.one_value(10 + index, n - 2, true)?;
            index += 1;
            h.connect((leader1 + 4) % n);
            h.connect(leader1);
        }
        h.one_value(1000, n, true)?;
        Ok(())
    })
}

fn persist3_2c(options: &RunOptions) -> RunReport {
    course_test(options, 3, |h| {
        h.one_value(101, 3, true)?;
        let leader = h.check_one_leader()?;
        h.disconnect((leader + 2) % 3);
        h.one_value(102, 2, true)?;
        h.crash1(leader);
        h.crash1((leader + 1) % 3);
        h.connect((leader + 2) % 3);
        h.start1(leader);
        h.connect(leader);
        h.one_value(103, 2, true)?;
        h.start1((leader + 1) % 3);
        h.connect((leader + 1) % 3);
        h.one_value(104, 3, true)?;
        Ok(())
    })
}

/// Each round starts four `one(100·round + j, 1)` that run on concurrently (the course never
/// waits for them until the end) and one `one(round, 1)` it waits for.
fn unreliable_agree_2c(options: &RunOptions) -> RunReport {
    let mut h = RaftHarness::new(options, 5, true, false);
    let verdict = (|| -> Step {
        let mut actors: Vec<OneActor> = Vec::new();
        for round in 1..50u64 {
            actors.retain(|a| a.wake_at().is_some());
            for j in 0..4 {
                actors.push(OneActor::new(&h, command_bytes(100 * round + j), 1, true));
            }
            actors.push(OneActor::new(&h, command_bytes(round), 1, true));
            let own = actors.len() - 1;
            while let Some(at) = actors[own].wake_at() {
                h.run_actors(&mut actors, at)?;
            }
        }
        h.set_unreliable(false);
        h.run_actors_to_end(&mut actors)?;
        h.one_value(100, 5, true)?;
        Ok(())
    })();
    h.report(verdict)
}
