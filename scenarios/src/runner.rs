//! Running scenarios: one seed, a sweep across cores, a determinism check.
//!
//! Threads live here, outside any simulation: each run is single-threaded and a pure
//! function of its seed, so results are collected and ordered by seed and never depend on
//! how many jobs ran them.

use crate::outcome::{RunOptions, RunReport};
use crate::registry::Scenario;
use protocol_core::Time;
use sim::{Failure, Stats};
use std::cell::RefCell;
use std::ops::Range;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};

thread_local! {
    /// Set while a run is under way on this thread: its panics become failures, not noise.
    static CAPTURE: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Runs one seed of one scenario. A panic inside the run (a core's assertion) is a failed
/// check, reported like any other with the seed and the replay command.
pub fn run_one(scenario: &Scenario, options: &RunOptions) -> RunReport {
    install_panic_hook();
    CAPTURE.with(|c| *c.borrow_mut() = Some(String::new()));
    let result = panic::catch_unwind(AssertUnwindSafe(|| (scenario.run)(options)));
    let captured = CAPTURE.with(|c| c.borrow_mut().take()).unwrap_or_default();
    match result {
        Ok(mut report) => {
            // The simulator caught an assertion inside the run; the hook saw where it was.
            if let Some(failure) = report.failure.as_mut().filter(|f| f.check == "assertion") {
                if !captured.is_empty() {
                    failure.message = captured;
                }
            }
            report
        }
        Err(_) => panicked(scenario, options, captured),
    }
}

fn panicked(scenario: &Scenario, options: &RunOptions, message: String) -> RunReport {
    RunReport {
        scenario: scenario.name,
        seed: options.seed,
        mutant: options.mutant.clone(),
        virtual_time: Time::ZERO,
        steps: 0,
        stats: Stats::default(),
        trace_hash: 0,
        notes: vec!["the run panicked: rerun with --trace to see its events".to_string()],
        failure: Some(Failure {
            check: "assertion".to_string(),
            message,
            seed: options.seed,
            time: Time::ZERO,
            tail: Vec::new(),
        }),
        trace_lines: None,
    }
}

fn install_panic_hook() {
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let captured = CAPTURE.with(|c| {
                let mut slot = c.borrow_mut();
                match slot.as_mut() {
                    Some(text) => {
                        let payload = info
                            .payload()
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| info.payload().downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "panic".to_string());
                        let location = info
                            .location()
                            .map(|l| format!(" at {l}"))
                            .unwrap_or_default();
                        *text = format!("{payload}{location}");
                        true
                    }
                    None => false,
                }
            });
            if !captured {
                default(info);
            }
        }));
    });
}

/// One line of a sweep's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepResult {
    pub scenario: &'static str,
    pub seed: u64,
    pub trace_hash: u64,
    pub failure: Option<Failure>,
    pub virtual_time: Time,
    pub delivered: u64,
}

/// Runs every seed of `seeds` for every scenario on `jobs` threads. Results come back in
/// (scenario, seed) order whatever `jobs` is. `progress` sees each finished run.
pub fn sweep(
    scenarios: &[&'static Scenario],
    seeds: Range<u64>,
    mutant: Option<&str>,
    jobs: usize,
    progress: &(dyn Fn(&SweepResult) + Sync),
) -> Vec<SweepResult> {
    assert!(jobs > 0, "a sweep needs at least one job");
    let per_scenario = seeds.end - seeds.start;
    let total = per_scenario
        .checked_mul(scenarios.len() as u64)
        .expect("sweep size fits u64: ranges are capped at MAX_SEEDS_PER_RANGE");
    let next = AtomicU64::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let scenario = scenarios[(i / per_scenario) as usize];
                let options = RunOptions {
                    seed: seeds.start + i % per_scenario,
                    full_trace: false,
                    mutant: mutant.map(str::to_string),
                    history_out: None,
                };
                let report = run_one(scenario, &options);
                let result = SweepResult {
                    scenario: scenario.name,
                    seed: options.seed,
                    trace_hash: report.trace_hash,
                    failure: report.failure,
                    virtual_time: report.virtual_time,
                    delivered: report.stats.delivered,
                };
                progress(&result);
                // A poisoned lock means another worker panicked outside a run: a bug here.
                results
                    .lock()
                    .expect("sweep results lock")
                    .push((i, result));
            });
        }
    });
    let mut results = results.into_inner().expect("sweep results lock");
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, result)| result).collect()
}

/// A failed run found by [`first_catch`]: which scenario, which seed, which check and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catch {
    pub scenario: String,
    pub seed: u64,
    pub check: String,
    pub message: String,
}

/// The first run (in scenario, then seed order) of the scenarios named by `pattern` over
/// `seeds` that fails with `mutant` switched on: how tests show a check is seen to fail.
/// Panics on a pattern that names no scenario, which is a bug in the test.
pub fn first_catch(pattern: &str, mutant: &str, seeds: Range<u64>) -> Option<Catch> {
    let scenarios = crate::registry::select(pattern).unwrap_or_else(|e| panic!("{e}"));
    sweep(&scenarios, seeds, Some(mutant), 2, &|_| {})
        .into_iter()
        .find_map(|r| {
            r.failure.map(|f| Catch {
                scenario: r.scenario.to_string(),
                seed: r.seed,
                check: f.check,
                message: f.message,
            })
        })
}

/// A digest of a whole sweep: equal digests mean equal per-seed results.
pub fn sweep_digest(results: &[SweepResult]) -> u64 {
    let mut hasher = sim::hash::Hasher64::new();
    for result in results {
        hasher.write_str(result.scenario);
        hasher.write_u64(result.seed);
        hasher.write_u64(result.trace_hash);
        hasher.write_u64(u64::from(result.failure.is_some()));
    }
    hasher.finish()
}

/// Runs a seed twice; `Err` with both hashes if the traces differ.
pub fn check_determinism(
    scenario: &Scenario,
    options: &RunOptions,
) -> Result<RunReport, (u64, u64)> {
    let first = run_one(scenario, options);
    let second = run_one(scenario, options);
    if first.trace_hash == second.trace_hash && first.failure == second.failure {
        Ok(first)
    } else {
        Err((first.trace_hash, second.trace_hash))
    }
}
