//! The seven tests of the course's `test-mr.sh`, on the simulator.

use super::chaos::Chaos;
use super::harness::{MrHarness, Step};
use super::inputs::{course_inputs, course_sequential};
use super::MUTANTS;
use crate::outcome::{RunOptions, RunReport};
use crate::registry::Scenario;
use mapreduce::apps::rtiming_parallel_lines;
use mapreduce::AppKind;
use protocol_core::Time;
use sim::Failure;
use std::borrow::Cow;

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "mr-wc",
        about: "wc test: 3 workers; the output equals mrsequential's when the coordinator finishes",
        mutants: MUTANTS,
        run: wc,
    },
    Scenario {
        name: "mr-indexer",
        about: "indexer test: 2 workers; the output is complete when the foreground worker exits",
        mutants: MUTANTS,
        run: indexer,
    },
    Scenario {
        name: "mr-map-parallelism",
        about: "map parallelism test (mtiming): both workers ran maps, two of them at once",
        mutants: MUTANTS,
        run: map_parallelism,
    },
    Scenario {
        name: "mr-reduce-parallelism",
        about: "reduce parallelism test (rtiming): at least two reduce calls overlapped",
        mutants: MUTANTS,
        run: reduce_parallelism,
    },
    Scenario {
        name: "mr-job-count",
        about: "job count test: 4 workers, 2 late; every map task ran exactly once (a 8)",
        mutants: MUTANTS,
        run: job_count,
    },
    Scenario {
        name: "mr-early-exit",
        about: "early exit test: the output when the first process exits equals the final output",
        mutants: MUTANTS,
        run: early_exit,
    },
    Scenario {
        name: "mr-crash",
        about: "crash test: workers die or stall in a third of tasks each, 3 restart loops; output is right",
        mutants: MUTANTS,
        run: crash,
    },
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
    name: &'static str,
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
        Err(message) => Err(Box::new(no_inputs(name, options, message))),
    }
}

pub(super) fn no_inputs(name: &'static str, options: &RunOptions, message: String) -> RunReport {
    RunReport {
        scenario: name,
        seed: options.seed,
        mutant: options.mutant.clone(),
        virtual_time: Time::ZERO,
        steps: 0,
        stats: Default::default(),
        trace_hash: 0,
        notes: vec![message.clone()],
        failure: Some(Failure {
            check: "inputs".to_string(),
            message,
            seed: options.seed,
            time: Time::ZERO,
            tail: Vec::new(),
        }),
        trace_lines: None,
    }
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
    if !h.run_while(limit, |h| !h.all_workers_gone())? {
        return Err(h.fail(
            "workers-exit",
            "a worker was still running at the time limit",
        ));
    }
    Ok(())
}

fn wc(options: &RunOptions) -> RunReport {
    let name = "mr-wc";
    let mut h = match setup(name, options, AppKind::Wc, Some(AppKind::Wc), TIME_LIMIT) {
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
    h.report(name, options, verdict, Vec::new())
}

fn indexer(options: &RunOptions) -> RunReport {
    let name = "mr-indexer";
    let app = AppKind::Indexer;
    let mut h = match setup(name, options, app, Some(app), TIME_LIMIT) {
        Ok(h) => h,
        Err(report) => return *report,
    };
    let verdict = (|| -> Step {
        start_workers(&mut h, 2)?;
        // One in the background, one in the foreground: the script compares when the
        // foreground one exits.
        let foreground = h.workers[1];
        let limit = h.time_limit;
        if !h.run_while(limit, |h| !h.has_exited(foreground))? {
            return Err(h.fail("workers-exit", "the foreground worker never exited"));
        }
        h.check_output("when the foreground worker exited")?;
        finish(&mut h)?;
        h.check_output("after every worker exited")
    })();
    h.report(name, options, verdict, Vec::new())
}

fn map_parallelism(options: &RunOptions) -> RunReport {
    let name = "mr-map-parallelism";
    let mut h = match setup(name, options, AppKind::MTiming, None, TIME_LIMIT) {
        Ok(h) => h,
        Err(report) => return *report,
    };
    let mut notes = Vec::new();
    let verdict = (|| -> Step {
        start_workers(&mut h, 2)?;
        h.run_until_job_done()?;
        let output = h.watch().fs.sorted_output();
        let workers = output.iter().filter(|l| l.starts_with("times-")).count();
        let parallel: Option<u64> = output
            .iter()
            .find_map(|l| l.strip_prefix("parallel "))
            .and_then(|v| v.parse().ok());
        notes.push(format!(
            "{workers} workers mapped, at most {parallel:?} at once"
        ));
        if workers != 2 {
            let message = format!("{workers} workers ran map tasks; expected 2");
            return Err(h.fail("map-parallelism", message));
        }
        if parallel.is_none_or(|p| p < 2) {
            let message = format!("map tasks never ran in parallel (most at once: {parallel:?})");
            return Err(h.fail("map-parallelism", message));
        }
        finish(&mut h)
    })();
    h.report(name, options, verdict, notes)
}

fn reduce_parallelism(options: &RunOptions) -> RunReport {
    let name = "mr-reduce-parallelism";
    let mut h = match setup(name, options, AppKind::RTiming, None, TIME_LIMIT) {
        Ok(h) => h,
        Err(report) => return *report,
    };
    let mut notes = Vec::new();
    let verdict = (|| -> Step {
        start_workers(&mut h, 2)?;
        h.run_until_job_done()?;
        let output = h.watch().fs.sorted_output().join("\n");
        let overlapping = rtiming_parallel_lines(&output);
        notes.push(format!(
            "{overlapping} reduce calls overlapped another worker's"
        ));
        if overlapping < 2 {
            let message = format!("{overlapping} reduce calls overlapped; expected at least 2");
            return Err(h.fail("reduce-parallelism", message));
        }
        finish(&mut h)
    })();
    h.report(name, options, verdict, notes)
}

fn job_count(options: &RunOptions) -> RunReport {
    let name = "mr-job-count";
    let app = AppKind::JobCount;
    let mut h = match setup(name, options, app, Some(app), TIME_LIMIT) {
        Ok(h) => h,
        Err(report) => return *report,
    };
    let verdict = (|| -> Step {
        start_workers(&mut h, 2)?;
        let second = h.workers[1];
        let limit = h.time_limit;
        if !h.run_while(limit, |h| !h.has_exited(second))? {
            return Err(h.fail("workers-exit", "the foreground worker never exited"));
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
            return Err(h.fail("job-count", message));
        }
        h.check_output("(the count of map runs)")
    })();
    h.report(name, options, verdict, Vec::new())
}

fn early_exit(options: &RunOptions) -> RunReport {
    let name = "mr-early-exit";
    let app = AppKind::EarlyExit;
    let mut h = match setup(name, options, app, Some(app), TIME_LIMIT) {
        Ok(h) => h,
        Err(report) => return *report,
    };
    let verdict = (|| -> Step {
        start_workers(&mut h, 3)?;
        // `wait -n`: the first of the four processes to exit (the coordinator lingers 1 s).
        let limit = h.time_limit;
        let exited = |h: &MrHarness| h.watch().first_exit.is_some();
        h.run_while(limit, |h| !exited(h) && !h.job_done())?;
        if let (false, Some(done)) = (exited(&h), h.watch().job_done_at) {
            h.run_while(done.plus_ms(COORDINATOR_LINGER_MS), |h| !exited(h))?;
        }
        let first = h.watch().fs.sorted_output();
        finish(&mut h)?;
        if let Some(done) = h.watch().job_done_at {
            h.run_until(done.plus_ms(COORDINATOR_LINGER_MS).max(h.sim.now()))?;
        }
        let last = h.watch().fs.sorted_output();
        if first != last {
            let message = format!(
                "output changed after the first process exited: {}",
                super::harness::diff(&last, &first)
            );
            return Err(h.fail("early-exit", message));
        }
        h.check_output("after every process exited")
    })();
    h.report(name, options, verdict, Vec::new())
}

fn crash(options: &RunOptions) -> RunReport {
    let name = "mr-crash";
    let reference = Some(AppKind::NoCrash);
    let mut h = match setup(name, options, AppKind::Crash, reference, CRASH_TIME_LIMIT) {
        Ok(h) => h,
        Err(report) => return *report,
    };
    h.chaos = Some(Chaos::new(h.sim.derive_rng("crash")));
    let verdict = (|| -> Step {
        // One worker, plus three loops that start a new one whenever theirs dies.
        start_workers(&mut h, 4)?;
        let looped: Vec<_> = h.workers[1..].to_vec();
        h.restart_on_exit.extend(looped);
        h.run_until_job_done()?;
        h.check_output("when the coordinator finished")?;
        finish(&mut h)?;
        h.check_output("after every worker exited")
    })();
    let chaos = h.chaos.as_ref().expect("set above");
    let notes = vec![format!(
        "{} crashes, {} stalls injected",
        chaos.crashes, chaos.stalls
    )];
    h.report(name, options, verdict, notes)
}
