//! Running scenarios: one seed, a diagnosing replay, a sweep across threads, a determinism
//! check, and the first seed that catches a mutant.
//!
//! Threads live here, outside any simulation: each run is single-threaded and a pure
//! function of its options, so results are collected and ordered by (scenario, seed) and
//! never depend on how many jobs ran them.

use crate::family::{Registry, ScenarioRef};
use crate::goals::GoalId;
use crate::measure::{thread_cpu_time, Stopwatch};
use crate::options::RunOptions;
use crate::report::RunReport;
use protocol_core::{CheckId, Time};
use sim::{checks, Budget, Failure, StorageClasses, Strategy, TraceMode};
use std::cell::RefCell;
use std::ops::Range;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

thread_local! {
    /// Set while a run is under way on this thread: its panics become failures, not noise.
    static CAPTURE: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Runs one seed of one scenario. A panic inside the run (a core's assertion) is a failed
/// check, reported like any other with the seed and the replay command.
pub fn run_one(scenario: ScenarioRef<'_>, options: &RunOptions) -> RunReport {
    install_panic_hook();
    // A live source of choices for this run alone: a buffer read from its start, or an
    // empty recording.
    let choices = options.choices.fresh();
    let options = RunOptions {
        scenario: scenario.name(),
        choices: choices.clone(),
        ..options.clone()
    };
    CAPTURE.with(|c| *c.borrow_mut() = Some(String::new()));
    let result = panic::catch_unwind(AssertUnwindSafe(|| (scenario.scenario.run)(&options)));
    let captured = CAPTURE.with(|c| c.borrow_mut().take()).unwrap_or_default();
    let mut report = finish(&options, result, captured);
    report.recorded = choices.recorded();
    report.labels = choices.labels();
    report
}

fn finish(
    options: &RunOptions,
    result: std::thread::Result<RunReport>,
    captured: String,
) -> RunReport {
    match result {
        Ok(mut report) => {
            // The simulator caught an assertion inside the run; the hook saw where it was.
            let caught = report
                .failure
                .as_mut()
                .filter(|f| f.check == checks::ASSERTION);
            if let Some(failure) = caught.filter(|_| !captured.is_empty()) {
                failure.message = captured;
            }
            report
        }
        Err(_) => panicked(options, captured),
    }
}

/// A run whose scenario code itself panicked (outside any simulated step).
fn panicked(options: &RunOptions, message: String) -> RunReport {
    let mut report = RunReport::could_not_start(options, checks::ASSERTION, message);
    let note = "the scenario panicked outside a step: rerun with --trace to see its events";
    report.facts.push(("note", note.to_string()));
    report
}

fn install_panic_hook() {
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let captured = CAPTURE.with(|c| match c.borrow_mut().as_mut() {
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
            });
            if !captured {
                default(info);
            }
        }));
    });
}

/// How much of a failing run's replay the report shows.
pub const DEFAULT_TAIL: usize = 40;

/// A replay that did not fail the way the run did: the simulation is not a function of its
/// seed (a wall clock, a random hasher or thread timing leaked into it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotDeterministic {
    pub first: String,
    pub replay: String,
}

impl std::fmt::Display for NotDeterministic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "NOT DETERMINISTIC: the run ended {}, its replay {}",
            self.first, self.replay
        )
    }
}

/// Replays a failed run with every event rendered, to report its last `tail` events with
/// their contents, those of the nodes its violation names, and what it was busy with in its
/// last virtual second; `options.artifacts` lets the replay write its files. The replay
/// must fail at the same event with the same check, or the run is not deterministic. A run
/// that passed, or ran out of wall-clock time (no function of the seed), is returned as is.
pub fn diagnose(
    scenario: ScenarioRef<'_>,
    options: &RunOptions,
    first: RunReport,
    tail: usize,
) -> Result<RunReport, NotDeterministic> {
    let Some(failure) = first
        .failure
        .as_ref()
        .filter(|f| f.check != checks::TIMEOUT)
    else {
        return Ok(first);
    };
    let window_from = Time(failure.time.as_micros().saturating_sub(1_000_000));
    let replay_options = RunOptions {
        trace: TraceMode::Diagnose {
            tail,
            nodes: failure.nodes.clone(),
            window_from,
        },
        ..options.clone()
    };
    let replay = run_one(scenario, &replay_options);
    let same = replay.failure.as_ref().is_some_and(|f| {
        f.check == failure.check && f.time == failure.time && f.events == failure.events
    }) && replay.trace_hash == first.trace_hash;
    if same {
        Ok(replay)
    } else {
        Err(NotDeterministic {
            first: describe_end(&first),
            replay: describe_end(&replay),
        })
    }
}

fn describe_end(report: &RunReport) -> String {
    let hash = report.trace_hash;
    match &report.failure {
        Some(f) => format!(
            "failing '{}' at t={} (event {}, trace {hash:016x})",
            f.check, f.time, f.events
        ),
        None => format!("passing (trace {hash:016x})"),
    }
}

/// Runs a seed twice; `Err` if the two runs differ in trace or verdict.
pub fn check_determinism(
    scenario: ScenarioRef<'_>,
    options: &RunOptions,
) -> Result<RunReport, NotDeterministic> {
    let first = run_one(scenario, options);
    let second = run_one(scenario, options);
    if first.trace_hash == second.trace_hash && first.failure == second.failure {
        Ok(first)
    } else {
        Err(NotDeterministic {
            first: describe_end(&first),
            replay: describe_end(&second),
        })
    }
}

/// One line of a sweep's result.
#[derive(Clone, Debug)]
pub struct SweepResult {
    pub scenario: &'static str,
    pub seed: u64,
    pub trace_hash: u64,
    pub failure: Option<Failure>,
    pub virtual_time: Time,
    pub events: u64,
    pub delivered: u64,
    /// CPU time the run took on its thread, where the OS tells it: a measurement of the
    /// machine, not of the run, so equality and the digest leave it out.
    pub cpu: Option<Duration>,
    /// The goals the run reached.
    pub goals: Vec<GoalId>,
}

impl PartialEq for SweepResult {
    fn eq(&self, other: &Self) -> bool {
        (
            self.scenario,
            self.seed,
            self.trace_hash,
            &self.failure,
            self.virtual_time,
            self.events,
            self.delivered,
        ) == (
            other.scenario,
            other.seed,
            other.trace_hash,
            &other.failure,
            other.virtual_time,
            other.events,
            other.delivered,
        )
    }
}

impl Eq for SweepResult {}

impl SweepResult {
    /// Failed a check that is a function of the seed (not the wall-clock budget).
    pub fn failed(&self) -> bool {
        self.failure
            .as_ref()
            .is_some_and(|f| f.check != checks::TIMEOUT)
    }

    /// Gave up at the wall-clock budget: no verdict, and not deterministic evidence.
    pub fn timed_out(&self) -> bool {
        self.failure
            .as_ref()
            .is_some_and(|f| f.check == checks::TIMEOUT)
    }

    /// `pass`, `fail` or `timeout`.
    pub fn verdict(&self) -> &'static str {
        if self.timed_out() {
            "timeout"
        } else if self.failed() {
            "fail"
        } else {
            "pass"
        }
    }
}

/// What a sweep runs: which seeds, with which mutant and budget, on how many threads, and
/// for how long at most.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepOptions {
    pub seeds: Range<u64>,
    pub mutant: Option<String>,
    pub budget: Budget,
    pub storage_faults: StorageClasses,
    pub jobs: usize,
    /// The schedule strategy of every run (`rotate` picks one per seed).
    pub strategy: Strategy,
    /// Start no run after this much wall time: the sweep ends early with the runs it made,
    /// which are the first seeds of the range for every scenario (see [`sweep`]).
    pub time_budget: Option<Duration>,
}

impl SweepOptions {
    pub fn new(seeds: Range<u64>) -> SweepOptions {
        SweepOptions {
            seeds,
            mutant: None,
            budget: Budget::DEFAULT,
            storage_faults: StorageClasses::ALL,
            jobs: 1,
            strategy: Strategy::Random,
            time_budget: None,
        }
    }
}

/// Runs every seed for every scenario on `options.jobs` threads. Runs are started seed by
/// seed (every scenario's first seed, then every scenario's second), so a sweep cut short by
/// its time budget has run a prefix of the seeds for every scenario. Results come back in
/// (scenario, seed) order whatever the job count. `progress` sees each finished run.
pub fn sweep(
    scenarios: &[ScenarioRef<'_>],
    options: &SweepOptions,
    progress: &(dyn Fn(&SweepResult) + Sync),
) -> Vec<SweepResult> {
    assert!(options.jobs > 0, "a sweep needs at least one job");
    let seeds = &options.seeds;
    let width = scenarios.len() as u64;
    let total = (seeds.end - seeds.start)
        .checked_mul(width)
        .expect("sweep size fits u64: ranges are capped at MAX_SEEDS_PER_RANGE");
    let next = AtomicU64::new(0);
    let results = Mutex::new(Vec::new());
    let stopwatch = Stopwatch::start();
    let out_of_time = || {
        options
            .time_budget
            .is_some_and(|budget| stopwatch.elapsed().wall >= budget)
    };
    std::thread::scope(|scope| {
        for _ in 0..options.jobs {
            scope.spawn(|| loop {
                if out_of_time() {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let (scenario_index, seed) = ((i % width) as usize, seeds.start + i / width);
                let result = sweep_one(scenarios[scenario_index], options, seed);
                progress(&result);
                // A poisoned lock means another worker panicked outside a run: a bug here.
                results
                    .lock()
                    .expect("sweep results lock")
                    .push(((scenario_index, seed), result));
            });
        }
    });
    let mut results = results.into_inner().expect("sweep results lock");
    results.sort_by_key(|(key, _)| *key);
    results.into_iter().map(|(_, result)| result).collect()
}

fn sweep_one(scenario: ScenarioRef<'_>, options: &SweepOptions, seed: u64) -> SweepResult {
    let run = RunOptions {
        mutant: options.mutant.clone(),
        budget: options.budget,
        strategy: options.strategy,
        storage_faults: options.storage_faults,
        ..scenario.options(seed)
    };
    let cpu_before = thread_cpu_time();
    let report = run_one(scenario, &run);
    let cpu = match (cpu_before, thread_cpu_time()) {
        (Some(before), Some(after)) => Some(after.saturating_sub(before)),
        _ => None,
    };
    SweepResult {
        scenario: scenario.name(),
        seed,
        trace_hash: report.trace_hash,
        failure: report.failure,
        virtual_time: report.virtual_time,
        events: report.events,
        delivered: report.stats.delivered,
        cpu,
        goals: report.goals,
    }
}

/// How many runs of a scenario reached one of its declared goals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoalCount {
    pub scenario: &'static str,
    pub goal: GoalId,
    pub reached: u64,
    pub runs: u64,
}

/// For every goal the swept scenarios declare, how many of their runs reached it.
pub fn goal_counts(scenarios: &[ScenarioRef<'_>], results: &[SweepResult]) -> Vec<GoalCount> {
    let mut counts = Vec::new();
    for scenario in scenarios {
        let runs: Vec<&SweepResult> = results
            .iter()
            .filter(|r| r.scenario == scenario.name())
            .collect();
        for &goal in scenario.scenario.goals {
            let reached = runs.iter().filter(|r| r.goals.contains(&goal)).count();
            counts.push(GoalCount {
                scenario: scenario.name(),
                goal,
                reached: reached as u64,
                runs: runs.len() as u64,
            });
        }
    }
    counts
}

/// A digest of a whole sweep: equal digests mean equal per-seed results. A run that timed
/// out counts by its seed alone: how far it got depends on the machine.
pub fn sweep_digest(results: &[SweepResult]) -> u64 {
    let mut hasher = sim::hash::Hasher64::new();
    for result in results {
        hasher.write_str(result.scenario);
        hasher.write_u64(result.seed);
        if result.timed_out() {
            hasher.write_u64(u64::MAX);
            continue;
        }
        hasher.write_u64(result.trace_hash);
        hasher.write_u64(u64::from(result.failure.is_some()));
    }
    hasher.finish()
}

/// A failed run found by [`first_catch`]: which scenario, which seed, which check and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catch {
    pub scenario: &'static str,
    pub seed: u64,
    pub check: CheckId,
    pub message: String,
}

/// The first run (in scenario, then seed order) of the scenarios named by `pattern` over
/// `seeds` that fails with `mutant` switched on: how tests show a check is seen to fail.
/// Panics on a pattern or mutant the registry does not know, which is a bug in the test.
pub fn first_catch(
    registry: &Registry,
    pattern: &str,
    mutant: &str,
    seeds: Range<u64>,
) -> Option<Catch> {
    first_catch_with(registry, pattern, mutant, seeds, StorageClasses::ALL)
}

/// [`first_catch`] with only the storage fault classes `storage` allowed.
pub fn first_catch_with(
    registry: &Registry,
    pattern: &str,
    mutant: &str,
    seeds: Range<u64>,
    storage: StorageClasses,
) -> Option<Catch> {
    let scenarios = registry.select(pattern).unwrap_or_else(|e| panic!("{e}"));
    Registry::validate(&scenarios, Some(mutant)).unwrap_or_else(|e| panic!("{e}"));
    let options = SweepOptions {
        mutant: Some(mutant.to_string()),
        storage_faults: storage,
        jobs: 2,
        ..SweepOptions::new(seeds)
    };
    sweep(&scenarios, &options, &|_| {})
        .into_iter()
        .find_map(|r| {
            r.failure.map(|f| Catch {
                scenario: r.scenario,
                seed: r.seed,
                check: f.check,
                message: f.message,
            })
        })
}

/// Every failing run of the scenarios named by `pattern` over `seeds` without a mutant, as
/// lines: what tests assert is empty to show the honest protocol passes the same runs.
pub fn honest_failures(registry: &Registry, pattern: &str, seeds: Range<u64>) -> Vec<String> {
    let scenarios = registry.select(pattern).unwrap_or_else(|e| panic!("{e}"));
    let options = SweepOptions {
        jobs: 2,
        ..SweepOptions::new(seeds)
    };
    sweep(&scenarios, &options, &|_| {})
        .into_iter()
        .filter_map(|r| {
            r.failure
                .map(|f| format!("{} seed {}: {f}", r.scenario, r.seed))
        })
        .collect()
}
