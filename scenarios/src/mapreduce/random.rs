//! MapReduce under the seed's swarm of faults: a random number of workers, crashes (the
//! coordinator's too), stalls, partitions, loss, duplication and delay, then a heal. The job
//! must finish within a bound after healing, with the sequential output.
//!
//! The coordinator may crash here (in half the seeds, once, while the job runs), unlike in
//! the course's tests: it keeps nothing on disk, so its next incarnation starts the job over
//! while late completions and duplicate writes of the old one still arrive. Outputs are
//! renamed into place whole and every attempt writes the same bytes, so the output must
//! still be right and must not change once done. It is not crashed after the job is done:
//! the course's coordinator has exited by then, and a new one would be a new job.
//! Workers that leave (the coordinator looked gone) are started again a second later, as
//! the course's crash-test loops do; otherwise a partition could leave no one to work.

use super::checks;
use super::course::no_inputs;
use super::fs::sorted_lines;
use super::harness::{MrHarness, MrQueries, Step, COORDINATOR};
use super::inputs::course_inputs;
use mapreduce::{sequential, AppKind};
use protocol_core::rng::{index, range_inclusive, Ratio, Rng};
use protocol_core::{NodeId, Time};
use sim::fault::{SwarmLimits, SwarmMix};
use sim::FaultAction;
use sim_kit::{RunOptions, RunReport, Scenario};
use std::borrow::Cow;

pub const SCENARIOS: &[Scenario] = &[Scenario::new("mr-random", "2-6 workers under the seed's swarm of faults, coordinator crashes included; after healing the job finishes with the sequential output", mr_random)
.with_goals(&[super::goals::TASK_REISSUED])];

/// Faults stop (HealAll) at this time.
const HEAL_AT: Time = Time::from_secs(30);
/// After healing, the job must be done within this: a 10 s task timeout, a restart, redoing.
const JOB_BOUND_MS: u64 = 40_000;
/// And every worker gone within this after the job is done.
const EXIT_BOUND_MS: u64 = 10_000;
/// Apps whose output does not depend on timing or on how often a task ran.
const APPS: [AppKind; 4] = [
    AppKind::Wc,
    AppKind::Indexer,
    AppKind::Crash,
    AppKind::EarlyExit,
];

/// A slice of each course text, so a seed stays fast: up to 32 KB from a random offset.
fn sliced_inputs(rng: &mut Rng, full: &[(String, Vec<u8>)]) -> Vec<(String, Vec<u8>)> {
    full.iter()
        .map(|(name, bytes)| {
            let len = range_inclusive(rng, 1_000, 32_000).min(bytes.len() as u64) as usize;
            let start = range_inclusive(rng, 0, (bytes.len() - len) as u64) as usize;
            (name.clone(), bytes[start..start + len].to_vec())
        })
        .collect()
}

fn mr_random(options: &RunOptions) -> RunReport {
    let full = match course_inputs() {
        Ok(inputs) => inputs,
        Err(message) => return no_inputs(options, message),
    };
    let mut rng = options.rng("mr-random");
    let app = APPS[index(&mut rng, APPS.len())];
    let workers = range_inclusive(&mut rng, 2, 6) as usize;
    let inputs = sliced_inputs(&mut rng, full);
    let reference = if app == AppKind::Crash {
        AppKind::NoCrash
    } else {
        app
    };
    // Slices keep the course's input names, which hold no newline (all sequential rejects).
    let expected =
        sorted_lines(&sequential(reference.app(), &inputs).expect("course inputs reduce to lines"));
    let limit = HEAL_AT.plus_ms(JOB_BOUND_MS + EXIT_BOUND_MS);
    let mut h = MrHarness::new(options, app, &inputs, Cow::Owned(expected), limit);
    for _ in 0..workers {
        h.add_worker();
    }
    let nodes: Vec<NodeId> = h.workers().to_vec();
    h.hooks.restart_on_exit.extend(nodes.iter().copied());
    let mut plan_rng = h.sim.derive_rng("faults");
    let limits = SwarmLimits {
        max_loss_percent: 20,
        max_duplicate_percent: 10,
        max_crashed: workers,
        max_drift_ppm: 50_000,
        ..SwarmLimits::everything(workers)
    };
    let mix = SwarmMix::draw(&mut plan_rng, &limits);
    let start = Time::from_ms(range_inclusive(&mut plan_rng, 0, 3_000));
    let plan = mix.plan(&mut plan_rng, &nodes, start, HEAL_AT);
    h.sim.schedule_plan(&plan);
    h.storage_mix(start, HEAL_AT);
    // The coordinator's one crash, if any: when, and for how long.
    let coordinator_crash = Ratio::new(1, 2).chance(&mut plan_rng).then(|| {
        let at = range_inclusive(&mut plan_rng, 500, HEAL_AT.as_ms() - 1_000);
        (
            Time::from_ms(at),
            range_inclusive(&mut plan_rng, 100, 5_000),
        )
    });
    h.fact("mix", mix.describe());
    h.metric("fault-actions", plan.actions.len() as u64);
    if let Some((at, down_ms)) = coordinator_crash {
        h.fact("coordinator", format!("crash at {at} for {down_ms} ms"));
    }
    let verdict = (|| -> Step {
        if let Some((at, down_ms)) = coordinator_crash {
            h.run_until_done(at, |h| h.job_done())?;
            if !h.job_done() {
                h.sim.crash_scripted(COORDINATOR);
                let back = h.now().plus_ms(down_ms);
                h.sim.schedule(back, FaultAction::Restart(COORDINATOR));
            }
        }
        let bound = HEAL_AT.plus_ms(JOB_BOUND_MS);
        if !h.run_until_done(bound, |h| h.job_done())? {
            let message = format!("the job was not done {JOB_BOUND_MS} ms after healing");
            return Err(h.fail(checks::LIVENESS, message));
        }
        h.check_output("when the coordinator finished")?;
        // Let the fault phase play out: late duplicates must not change the output.
        let settle = h.now().max(HEAL_AT).plus_ms(EXIT_BOUND_MS);
        if !h.run_until_done(settle, |h| h.now() >= HEAL_AT && h.all_workers_gone())? {
            return Err(h.fail(
                checks::WORKERS_EXIT,
                "a worker still ran well after the job was done",
            ));
        }
        h.check_output("after every worker exited")
    })();
    h.report(verdict)
}
