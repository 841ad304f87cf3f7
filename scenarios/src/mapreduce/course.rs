//! The seven tests of the course's `test-mr.sh`, on the simulator.

use super::chaos::Chaos;
use super::checks;
use super::harness::{MrHarness, MrKit, MrQueries, Step};
use super::inputs::{course_inputs, course_sequential};
use mapreduce::apps::rtiming_parallel_lines;
use mapreduce::AppKind;
use protocol_core::Time;
use sim_kit::{RunOptions, RunReport, Scenario};
use std::borrow::Cow;

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new("mr-wc", "wc test: 3 workers; the output equals mrsequential's when the coordinator finishes", wc),
    Scenario::new("mr-indexer", "indexer test: 2 workers; the output is complete when the foreground worker exits", indexer),
    Scenario::new("mr-map-parallelism", "map parallelism test (mtiming): both workers ran maps, two of them at once", map_parallelism),
    Scenario::new("mr-reduce-parallelism", "reduce parallelism test (rtiming): at least two reduce calls overlapped", reduce_parallelism),
    Scenario::new("mr-job-count", "job count test: 4 workers, 2 late; every map task ran exactly once (a 8)", job_count),
    Scenario::new("mr-early-exit", "early exit test: the output when the first process exits equals the final output", early_exit),
    Scenario::new("mr-crash", "crash test: workers die or stall in a third of tasks each, 3 restart loops; output is right", crash)
    .with_goals(&[super::goals::TASK_REISSUED]),
];

/// Every process runs under `timeout 45s`; the crash test under 120 s.
const TIME_LIMIT: Time = Time::from_secs(45);
const CRASH_TIME_LIMIT: Time = Time::from_secs(120);
/// The script starts workers a second after the coordinator.
const WORKERS_START: Time = Time::from_secs(1);
/// The coordinator exits a second after it sees the job done.
const COORDINATOR_LINGER_MS: u64 = 1_000;

/// A harness over the eight course inputs, or the report of why there is none.
fn setup(
    options: &RunOptions,
    app: AppKind,
    reference: Option<AppKind>,
    limit: Time,
) -> Result<MrHarness, Box<RunReport>> {
    let prepared = course_inputs().and_then(|inputs| {
        let expected = match reference {
            Some(kind) => Cow::Borrowed(course_sequential(kind)?),
            None => Cow::Owned(Vec::new()),
        };
        Ok((inputs, expected))
    });
    match prepared {
        Ok((inputs, expected)) => Ok(MrHarness::new(options, app, inputs, expected, limit)),
        Err(message) => Err(Box::new(no_inputs(options, message))),
    }
}

pub(super) fn no_inputs(options: &RunOptions, message: String) -> RunReport {
    RunReport::could_not_start(options, checks::INPUTS, message)
}

fn start_workers(h: &mut MrHarness, count: usize) -> Step {
    h.run_until(WORKERS_START)?;
    for _ in 0..count {
        h.add_worker();
    }
    Ok(())
}

/// Waits for every worker to exit, then checks the output once more.
fn finish(h: &mut MrHarness) -> Step {
    let limit = h.time_limit;
    if !h.run_until_done(limit, |h| h.all_workers_gone())? {
        return Err(h.fail(
            checks::WORKERS_EXIT,
            "a worker was still running at the time limit",
        ));
    }
    Ok(())
}

fn wc(options: &RunOptions) -> RunReport {
    let mut h = match setup(options, AppKind::Wc, Some(AppKind::Wc), TIME_LIMIT) {
        Ok(h) => h,
        Err(report) => return *report,
    };
    let verdict = (|| -> Step {
        start_workers(&mut h, 3)?;
        h.run_until_job_done()?;
        // The script compares as soon as the coordinator exits.
        h.check_output("when the coordinator finished")?;
        finish(&mut h)?;
        h.check_output("after every worker exited")
    })();
    h.report(verdict)
}

fn indexer(options: &RunOptions) -> RunReport {
    let app = AppKind::Indexer;
    let mut h = match setup(options, app, Some(app), TIME_LIMIT) {
        Ok(h) => h,
        Err(report) => return *report,
    };
    let verdict = (|| -> Step {
        start_workers(&mut h, 2)?;
        // One in the background, one in the foreground: the script compares when the
        // foreground one exits.
        let foreground = h.workers()[1];
        let limit = h.time_limit;
        if !h.run_until_done(limit, |h| h.has_exited(foreground))? {
            return Err(h.fail(checks::WORKERS_EXIT, "the foreground worker never exited"));
        }
        h.check_output("when the foreground worker exited")?;
        finish(&mut h)?;
        h.check_output("after every worker exited")
    })();
    h.report(verdict)
}

fn map_parallelism(options: &RunOptions) -> RunReport {
    let mut h = match setup(options, AppKind::MTiming, None, TIME_LIMIT) {
        Ok(h) => h,
        Err(report) => return *report,
    };
    let verdict = (|| -> Step {
        start_workers(&mut h, 2)?;
        h.run_until_job_done()?;
        let output = h.watch().fs.sorted_output();
        let workers = output.iter().filter(|l| l.starts_with("times-")).count();
        let parallel: Option<u64> = output
            .iter()
            .find_map(|l| l.strip_prefix("parallel "))
            .and_then(|v| v.parse().ok());
        h.metric("workers-mapped", workers as u64);
        h.metric("most-maps-at-once", parallel.unwrap_or(0));
        if workers != 2 {
            let message = format!("{workers} workers ran map tasks; expected 2");
            return Err(h.fail(checks::MAP_PARALLELISM, message));
        }
        if parallel.is_none_or(|p| p < 2) {
            let message = format!("map tasks never ran in parallel (most at once: {parallel:?})");
            return Err(h.fail(checks::MAP_PARALLELISM, message));
        }
        finish(&mut h)
    })();
    h.report(verdict)
}

fn reduce_parallelism(options: &RunOptions) -> RunReport {
    let mut h = match setup(options, AppKind::RTiming, None, TIME_LIMIT) {
        Ok(h) => h,
        Err(report) => return *report,
    };
    let verdict = (|| -> Step {
        start_workers(&mut h, 2)?;
        h.run_until_job_done()?;
        let output = h.watch().fs.sorted_output().join("\n");
        let overlapping = rtiming_parallel_lines(&output);
        h.metric("reduces-overlapping", overlapping as u64);
        if overlapping < 2 {
            let message = format!("{overlapping} reduce calls overlapped; expected at least 2");
            return Err(h.fail(checks::REDUCE_PARALLELISM, message));
        }
        finish(&mut h)
    })();
    h.report(verdict)
}

fn job_count(options: &RunOptions) -> RunReport {
    let app = AppKind::JobCount;
    let mut h = match setup(options, app, Some(app), TIME_LIMIT) {
        Ok(h) => h,
        Err(report) => return *report,
    };
    let verdict = (|| -> Step {
        start_workers(&mut h, 2)?;
        let second = h.workers()[1];
        let limit = h.time_limit;
        if !h.run_until_done(limit, |h| h.has_exited(second))? {
            return Err(h.fail(checks::WORKERS_EXIT, "the foreground worker never exited"));
        }
        // Two more workers, started only after the second one has exited.
        h.add_worker();
        h.add_worker();
        finish(&mut h)?;
        let reruns: Vec<String> = h
            .watch()
            .map_starts()
            .filter(|(_, count)| *count != 1)
            .map(|(map, count)| format!("map{map} x{count}"))
            .collect();
        if !reruns.is_empty() {
            let message = format!("map tasks ran other than once: {}", reruns.join(", "));
            return Err(h.fail(checks::JOB_COUNT, message));
        }
        h.check_output("(the count of map runs)")
    })();
    h.report(verdict)
}

fn early_exit(options: &RunOptions) -> RunReport {
    let app = AppKind::EarlyExit;
    let mut h = match setup(options, app, Some(app), TIME_LIMIT) {
        Ok(h) => h,
        Err(report) => return *report,
    };
    let verdict = (|| -> Step {
        start_workers(&mut h, 3)?;
        // `wait -n`: the first of the four processes to exit (the coordinator lingers 1 s).
        let limit = h.time_limit;
        let exited = |h: &MrKit| h.watch().first_exit.is_some();
        h.run_until_done(limit, |h| exited(h) || h.job_done())?;
        if let (false, Some(done)) = (exited(&h), h.watch().job_done_at) {
            h.run_until_done(done.plus_ms(COORDINATOR_LINGER_MS), exited)?;
        }
        let first = h.watch().fs.sorted_output();
        finish(&mut h)?;
        if let Some(done) = h.watch().job_done_at {
            let linger = done.plus_ms(COORDINATOR_LINGER_MS).max(h.now());
            h.run_until(linger)?;
        }
        let last = h.watch().fs.sorted_output();
        if first != last {
            let message = format!(
                "output changed after the first process exited: {}",
                super::harness::diff(&last, &first)
            );
            return Err(h.fail(checks::EARLY_EXIT, message));
        }
        h.check_output("after every process exited")
    })();
    h.report(verdict)
}

fn crash(options: &RunOptions) -> RunReport {
    let reference = Some(AppKind::NoCrash);
    let mut h = match setup(options, AppKind::Crash, reference, CRASH_TIME_LIMIT) {
        Ok(h) => h,
        Err(report) => return *report,
    };
    h.hooks.chaos = Some(Chaos::new(h.sim.derive_rng("crash")));
    let verdict = (|| -> Step {
        // One worker, plus three loops that start a new one whenever theirs dies.
        start_workers(&mut h, 4)?;
        let looped: Vec<_> = h.workers()[1..].to_vec();
        h.hooks.restart_on_exit.extend(looped);
        h.run_until_job_done()?;
        h.check_output("when the coordinator finished")?;
        finish(&mut h)?;
        h.check_output("after every worker exited")
    })();
    let chaos = h.hooks.chaos.as_ref().expect("set above");
    let (crashes, stalls) = (chaos.crashes, chaos.stalls);
    h.metric("crashes-injected", u64::from(crashes));
    h.metric("stalls-injected", u64::from(stalls));
    h.report(verdict)
}
