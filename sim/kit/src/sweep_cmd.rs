//! `sweep`: many seeds of one or more scenarios over threads, sliced for CI matrices and batch
//! schedulers (`--partition K/N`), bounded in wall time (`--time-budget`), with files CI
//! systems read (`--json`, `--junit`) and a progress bar on a terminal.

use crate::cli::{explicit_settings, App, BudgetArgs, InputError, StorageArgs};
use crate::family::Registry;
use crate::measure::Stopwatch;
use crate::progress::Progress;
use crate::report::with_strategy;
use crate::runner::{self, SweepOptions, SweepResult};
use crate::seeds::{self, Partition};
use crate::sweep_files::{self, SweepSummary};
use clap::Args;
use sim::{Budget, Strategy};
use std::io::Write;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args)]
pub(crate) struct SweepArgs {
    /// A scenario name, `all`, or a prefix ending in `*` (quote it: 'raft-2b-*').
    #[arg(long)]
    scenario: String,
    /// Seeds as A..B (B excluded) or A..=B.
    #[arg(long, value_parser = seeds::parse_seed_range)]
    seeds: Range<u64>,
    /// Run only the K-th of N disjoint slices of the seeds (K from 1): N machines given the
    /// same command with K = 1..N run every seed once between them.
    #[arg(long, value_name = "K/N", value_parser = seeds::parse_partition)]
    partition: Option<Partition>,
    /// Worker threads; results do not depend on it.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: u64,
    #[arg(long)]
    mutant: Option<String>,
    /// Give up on a run after this much wall time and count it as timed out (not a verdict).
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    wall_limit_secs: u64,
    /// Start no run after this much wall time, and report how far the sweep got.
    #[arg(long, value_name = "SECS")]
    time_budget: Option<u64>,
    /// Write one JSON record per run to FILE (`-`: standard output, the text goes to stderr).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write a JUnit XML report to FILE: a test case per failing seed, and a summary case.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Fail the sweep if a goal a swept scenario declares was reached by no run.
    #[arg(long)]
    require_goals: bool,
    /// How latencies are chosen: random (default), pct, delay-bound, or rotate (per seed).
    #[arg(long, default_value = "random", value_parser = crate::cli::parse_strategy)]
    strategy: Strategy,
    #[command(flatten)]
    budget: BudgetArgs,
    #[command(flatten)]
    storage: StorageArgs,
}

pub(crate) fn sweep(app: &App, args: &SweepArgs) -> Result<bool, InputError> {
    let scenarios = app.registry.select(&args.scenario)?;
    Registry::validate(&scenarios, args.mutant.as_deref())?;
    let seeds = match args.partition {
        Some(partition) => partition.slice(&args.seeds),
        None => args.seeds.clone(),
    };
    let mut budget = Budget {
        wall: Some(Duration::from_secs(args.wall_limit_secs)),
        ..Budget::DEFAULT
    };
    explicit_settings(&args.budget, &args.storage, None).apply_budget(&mut budget);
    let options = SweepOptions {
        seeds: seeds.clone(),
        mutant: args.mutant.clone(),
        budget,
        storage_faults: args.storage.classes(),
        jobs: args.jobs as usize,
        time_budget: args.time_budget.map(Duration::from_secs),
        strategy: args.strategy,
    };
    // Ranges are capped at MAX_SEEDS_PER_RANGE and scenarios number in the hundreds.
    let total = (seeds.end - seeds.start) * scenarios.len() as u64;
    let progress = Progress::on_stderr(total, options.time_budget);
    let stopwatch = Stopwatch::start();
    let results = runner::sweep(&scenarios, &options, &|r| progress.finished(r));
    progress.clear();
    let summary = SweepSummary {
        pattern: args.scenario.clone(),
        seeds: seeds.clone(),
        partition: args.partition,
        mutant: args.mutant.clone(),
        scenarios: scenarios.len() as u64,
        jobs: args.jobs,
        elapsed: stopwatch.elapsed(),
    };
    let to_stdout = args.json.as_deref().is_some_and(|p| p.as_os_str() == "-");
    let mut text: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stderr().lock())
    } else {
        Box::new(std::io::stdout().lock())
    };
    for result in results.iter().filter(|r| r.failure.is_some()) {
        writeln!(text, "{}", failure_lines(app, result, &options))?;
    }
    let counts = runner::goal_counts(&scenarios, &results);
    for count in &counts {
        writeln!(
            text,
            "goal {} of {}: reached in {} of {} runs",
            count.goal, count.scenario, count.reached, count.runs
        )?;
    }
    let unreached = counts.iter().filter(|c| c.reached == 0).count();
    if args.require_goals && unreached > 0 {
        writeln!(text, "{unreached} declared goal(s) reached by no run")?;
    }
    writeln!(text, "{}", summary.line(&results, total))?;
    if let Some(note) = summary.budget_note(&results, total) {
        writeln!(text, "{note}")?;
    }
    if let Some(path) = &args.json {
        sweep_files::write_json(path, &results, args.mutant.as_deref())
            .map_err(|e| InputError(format!("cannot write {}: {e}", path.display())))?;
    }
    if let Some(path) = &args.junit {
        let replays: Vec<String> = results
            .iter()
            .map(|r| failure_lines(app, r, &options))
            .collect();
        sweep_files::write_junit(path, &summary, &results, &replays, total)
            .map_err(|e| InputError(format!("cannot write {}: {e}", path.display())))?;
    }
    let goals_missed = args.require_goals && unreached > 0;
    Ok(results.iter().all(|r| r.failure.is_none()) && !goals_missed)
}

/// One failed seed of a sweep: what failed, the replay command, and a ready corpus line
/// (`SCENARIO SEED  # check`, as `seeds/*.txt` take it). Empty for a passing run.
pub(crate) fn failure_lines(app: &App, result: &SweepResult, options: &SweepOptions) -> String {
    let Some(failure) = &result.failure else {
        return String::new();
    };
    let verdict = if result.timed_out() {
        "TIMEOUT"
    } else {
        "FAIL"
    };
    let budget = Budget {
        wall: None,
        ..options.budget
    };
    let replay = app.replay.command(
        result.scenario,
        result.seed,
        options.mutant.as_deref(),
        &budget,
        options.storage_faults,
    );
    let replay = with_strategy(replay, options.strategy.for_seed(result.seed));
    let first_line = failure.message.lines().next().unwrap_or_default();
    format!(
        "{verdict} {} seed {}: {} at t={}: {first_line}\n  replay: {replay}\n  corpus: {} {}  # {}",
        result.scenario,
        result.seed,
        failure.check,
        failure.time,
        result.scenario,
        result.seed,
        failure.check
    )
}
