//! `sim`: run, sweep, replay and benchmark seeded scenarios.
//!
//! Exit codes: 0 every check passed, 1 a check failed, 2 bad usage or input.

use clap::{Args, Parser, Subcommand};
use scenarios::measure::Stopwatch;
use scenarios::outcome::RunOptions;
use scenarios::registry::{self, DEFAULT_SCENARIO};
use scenarios::{corpus, report, runner, seeds};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// A run allocates and frees a buffer or two per simulated message; mimalloc's thread-local
/// free lists do that several times faster than glibc's malloc (see the commit that added it
/// for the sweep figures). Only this binary: the libraries leave the choice to their user.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "sim",
    version,
    about = "Deterministic simulation of distributed protocols, one seed at a time."
)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args)]
struct RunArgs {
    /// The seed of the run (decimal, or hex with 0x).
    #[arg(long, value_parser = seeds::parse_seed)]
    seed: Option<u64>,
    /// The scenario to run (see `sim list`); default: the richest one.
    #[arg(long)]
    scenario: Option<String>,
    /// Print every event of the run, with virtual timestamps and node ids.
    #[arg(long)]
    trace: bool,
    /// Run the seed twice and fail if the trace hashes differ.
    #[arg(long)]
    check_determinism: bool,
    /// Run a deliberately broken protocol variant, to see the checks catch it.
    #[arg(long)]
    mutant: Option<String>,
    /// Write the run's client history as JSON lines (kv scenarios record one).
    #[arg(long, value_name = "OUT")]
    history: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// List the scenarios, one per line.
    List,
    /// Run many seeds of one or more scenarios, spread over cores.
    Sweep(SweepArgs),
    /// Replay the regression corpus (default: every seeds/*.txt).
    Replay(ReplayArgs),
    /// Check history files for linearizability (Jepsen etcd logs, EDN kv lines, JSON lines).
    Check(linearizability::cli::CheckArgs),
    /// Measure the simulator: events/s of a bare queue, postcard round trips/s, and
    /// delivered messages/s of a Raft cluster with heartbeats.
    Bench(BenchArgs),
}

#[derive(Args)]
struct BenchArgs {
    /// Servers in the Raft cluster.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=9))]
    nodes: u32,
    /// Virtual seconds to simulate.
    #[arg(long, default_value_t = 36_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    virtual_secs: u64,
    /// Instead: a long run with steady client load and snapshots, printing memory as it goes.
    #[arg(long)]
    soak: bool,
    /// Virtual minutes of the soak.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    soak_minutes: u64,
    /// Soak with the course tester's memory (every command kept) instead of digest mode.
    #[arg(long)]
    course_tester: bool,
    /// Measure the KV suite instead: one seed of every scenario, kv-random's operations per
    /// second, and a sweep of this many seeds on two threads.
    #[arg(long, value_name = "SEEDS")]
    kv: Option<u64>,
}

#[derive(Args)]
struct SweepArgs {
    /// A scenario name, `all`, or a prefix ending in `*` (quote it: 'raft-2b-*').
    #[arg(long)]
    scenario: String,
    /// Seeds as A..B (B excluded) or A..=B.
    #[arg(long, value_parser = seeds::parse_seed_range)]
    seeds: std::ops::Range<u64>,
    /// Worker threads; results do not depend on it.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: u64,
    #[arg(long)]
    mutant: Option<String>,
}

#[derive(Args)]
struct ReplayArgs {
    /// Corpus files; default: every .txt file in seeds/.
    files: Vec<PathBuf>,
}

/// Why the command could not do its job at all (exit 2).
struct InputError(String);

impl<E: std::fmt::Display> From<E> for InputError {
    fn from(error: E) -> Self {
        InputError(error.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => run_seed(&cli.run),
        Some(Command::List) => list(),
        Some(Command::Sweep(args)) => sweep(&args),
        Some(Command::Replay(args)) => replay(&args),
        Some(Command::Check(args)) => {
            let mut out = std::io::stdout().lock();
            linearizability::cli::run(&args, &mut out).map_err(InputError::from)
        }
        Some(Command::Bench(BenchArgs {
            kv: Some(seeds), ..
        })) => {
            print!("{}", scenarios::kv::bench::run(seeds, 2));
            Ok(true)
        }
        Some(Command::Bench(args)) if args.soak => {
            let options = scenarios::soak::SoakOptions {
                servers: args.nodes as usize,
                virtual_minutes: args.soak_minutes,
                course_tester: args.course_tester,
            };
            match scenarios::soak::run(&options) {
                Ok(text) => {
                    print!("{text}");
                    Ok(true)
                }
                Err(failure) => {
                    println!("soak FAILED: {failure}");
                    Ok(false)
                }
            }
        }
        Some(Command::Bench(args)) => {
            let options = scenarios::bench::BenchOptions {
                nodes: args.nodes,
                virtual_secs: args.virtual_secs,
            };
            print!("{}", scenarios::bench::run(&options));
            Ok(true)
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(InputError(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run_seed(args: &RunArgs) -> Result<bool, InputError> {
    let Some(seed) = args.seed else {
        return Err(InputError(
            "give --seed N to run one seed, or a command (see `sim --help`)".into(),
        ));
    };
    let scenario = registry::find(args.scenario.as_deref().unwrap_or(DEFAULT_SCENARIO))?;
    let options = RunOptions {
        seed,
        full_trace: args.trace,
        mutant: args.mutant.clone(),
        history_out: args.history.clone(),
    };
    registry::validate(scenario, &options)?;
    let report = if args.check_determinism {
        match runner::check_determinism(scenario, &options) {
            Ok(report) => report,
            Err((first, second)) => {
                println!(
                    "NOT DETERMINISTIC: seed {seed} gave trace {first:016x}, then {second:016x}"
                );
                return Ok(false);
            }
        }
    } else {
        runner::run_one(scenario, &options)
    };
    let mut out = std::io::stdout().lock();
    if let Some(lines) = &report.trace_lines {
        for line in lines {
            writeln!(out, "{line}")?;
        }
        writeln!(out)?;
    }
    write!(out, "{}", report::summary(&report))?;
    if args.check_determinism {
        writeln!(out, "determinism: two runs gave the same trace hash")?;
    }
    Ok(report.passed())
}

fn list() -> Result<bool, InputError> {
    let mut out = std::io::stdout().lock();
    for scenario in registry::all() {
        writeln!(out, "{:<32} {}", scenario.name, scenario.about)?;
    }
    Ok(true)
}

fn sweep(args: &SweepArgs) -> Result<bool, InputError> {
    let scenarios = registry::select(&args.scenario)?;
    for scenario in &scenarios {
        let options = RunOptions {
            mutant: args.mutant.clone(),
            ..RunOptions::default()
        };
        registry::validate(scenario, &options)?;
    }
    // Ranges are capped at MAX_SEEDS_PER_RANGE and scenarios number in the hundreds.
    let total = (args.seeds.end - args.seeds.start) * scenarios.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let step = (total / 10).max(1);
    let progress = |result: &runner::SweepResult| {
        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if result.failure.is_some() {
            eprintln!("  FAIL {} seed {}", result.scenario, result.seed);
        }
        if n.is_multiple_of(step) || n == total {
            eprintln!("  {n}/{total} runs done");
        }
    };
    let stopwatch = Stopwatch::start();
    let results = runner::sweep(
        &scenarios,
        args.seeds.clone(),
        args.mutant.as_deref(),
        args.jobs as usize,
        &progress,
    );
    let elapsed = stopwatch.elapsed();
    let failed: Vec<_> = results.iter().filter(|r| r.failure.is_some()).collect();
    let mut out = std::io::stdout().lock();
    for result in &failed {
        writeln!(
            out,
            "{}",
            report::sweep_failure_line(result, args.mutant.as_deref())
        )?;
    }
    writeln!(
        out,
        "sweep {} seeds {}..{}: {} runs, {} passed, {} failed, digest {:016x} ({}, {} jobs)",
        args.scenario,
        args.seeds.start,
        args.seeds.end,
        results.len(),
        results.len() - failed.len(),
        failed.len(),
        runner::sweep_digest(&results),
        elapsed.describe(),
        args.jobs
    )?;
    Ok(failed.is_empty())
}

fn replay(args: &ReplayArgs) -> Result<bool, InputError> {
    let entries = if args.files.is_empty() {
        corpus::read_dir(&default_corpus_dir())?
    } else {
        let mut entries = Vec::new();
        for file in &args.files {
            entries.extend(corpus::read_file(file)?);
        }
        entries
    };
    // Resolve every scenario first, so a typo fails before anything runs.
    let mut runs = Vec::new();
    for entry in &entries {
        let scenario = registry::find(&entry.scenario)
            .map_err(|e| InputError(format!("{}:{}: {e}", entry.file.display(), entry.line)))?;
        runs.push((entry, scenario));
    }
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    for (entry, scenario) in runs {
        let report = runner::run_one(
            scenario,
            &RunOptions {
                seed: entry.seed,
                ..RunOptions::default()
            },
        );
        let verdict = if report.passed() { "pass" } else { "FAIL" };
        writeln!(
            out,
            "{verdict} {} {}  # {}",
            entry.scenario, entry.seed, entry.note
        )?;
        if !report.passed() {
            failed += 1;
            write!(out, "{}", report::failure_report(&report))?;
        }
    }
    writeln!(
        out,
        "replay: {} entries, {} passed, {} failed",
        entries.len(),
        entries.len() - failed,
        failed
    )?;
    Ok(failed == 0)
}

/// `seeds/` in the current directory, else the one in this source tree.
fn default_corpus_dir() -> PathBuf {
    let local = PathBuf::from("seeds");
    if local.is_dir() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("seeds")
}
