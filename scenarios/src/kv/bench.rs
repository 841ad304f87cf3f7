//! `sim bench --kv`: the KV suite's speed, linearizability checks included. Measured, never
//! asserted.

use sim_kit::measure::Stopwatch;
use sim_kit::runner::{run_one, sweep, SweepOptions};
use std::fmt::Write;

/// Three figures: the whole suite on one seed (one thread), kv-random's completed operations
/// per wall second, and a sweep of the suite over `sweep_seeds` seeds on `jobs` threads.
pub fn run(sweep_seeds: u64, jobs: usize) -> String {
    let mut out = String::new();
    let registry = crate::registry();
    let suite = registry
        .select("kv-*")
        .expect("the kv family is registered");
    let stopwatch = Stopwatch::start();
    let mut failed = 0;
    for &scenario in &suite {
        let report = run_one(scenario, &scenario.options(1));
        failed += usize::from(!report.passed());
    }
    let _ = writeln!(
        out,
        "kv suite, seed 1, {} scenarios, one thread, linearizability checks included: {} ({failed} failed)",
        suite.len(),
        stopwatch.elapsed().describe()
    );
    let random = registry.find("kv-random").expect("registered");
    let stopwatch = Stopwatch::start();
    let mut ops = 0;
    for seed in 1..=50 {
        let report = run_one(random, &random.options(seed));
        ops += report.metric("completed").unwrap_or(0);
    }
    let elapsed = stopwatch.elapsed();
    let _ = writeln!(
        out,
        "kv-random seeds 1..=50: {ops} completed operations in {} = {:.0} ops per wall-second",
        elapsed.describe(),
        ops as f64 / elapsed.wall.as_secs_f64()
    );
    let stopwatch = Stopwatch::start();
    let options = SweepOptions {
        jobs,
        ..SweepOptions::new(1..1 + sweep_seeds)
    };
    let results = sweep(&suite, &options, &|_| {});
    let failed = results.iter().filter(|r| r.failure.is_some()).count();
    let _ = writeln!(
        out,
        "kv suite sweep, {sweep_seeds} seeds x {} scenarios on {jobs} threads: {} ({failed} failed)",
        suite.len(),
        stopwatch.elapsed().describe()
    );
    out
}
