//! The command line every simulation binary shares: a user's `main` is one call.
//!
//! ```ignore
//! fn main() -> std::process::ExitCode {
//!     sim_kit::cli::main(sim_kit::cli::App::new(my_protocol::registry()))
//! }
//! ```
//!
//! It runs one seed (`--seed N [--scenario S] [--mutant M] [--trace]`), lists the scenarios,
//! sweeps seeds across threads, replays the regression corpus and checks history files, and
//! prints replay commands that name this binary. Exit codes: 0 every check passed, 1 a check
//! failed, 2 bad usage or input.

use crate::cli_search::{self, ShrinkArgs};
use crate::corpus;
use crate::family::{Registry, ScenarioRef};
use crate::measure::Stopwatch;
use crate::options::RunOptions;
use crate::report::{failure_report, summary, ReplayPrefix, RunReport};
use crate::runner::{self, SweepOptions, SweepResult, DEFAULT_TAIL};
use crate::seeds;
use clap::{Args, Parser, Subcommand};
use protocol_core::Time;
use sim::{Budget, Strategy, TraceMode};
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// A command of the application's own (`sim bench`), beside the shared ones.
pub struct ExtraCommand {
    pub name: &'static str,
    pub about: &'static str,
    /// Gets the arguments after the command's name; `Ok(passed)` or `Err(bad input)`.
    pub run: fn(&[String]) -> Result<bool, String>,
}

/// A simulation binary: its scenarios and how to name it in replay commands.
pub struct App {
    pub registry: Registry,
    pub replay: ReplayPrefix,
    /// Where `replay` looks for the corpus when given no files: the first that exists.
    pub corpus_dirs: Vec<PathBuf>,
    /// Under which a failing run writes its files (`<scenario>-<seed>[-<mutant>]/`).
    pub failures_dir: PathBuf,
    pub extra: Vec<ExtraCommand>,
}

impl App {
    /// An app for `registry`, named in replay commands after the running executable
    /// (`cargo run --release --bin <name> --`), with its corpus in `seeds/`.
    pub fn new(registry: Registry) -> App {
        let bin = std::env::args()
            .next()
            .and_then(|path| {
                Path::new(&path)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "sim".to_string());
        let target = std::env::var_os("CARGO_TARGET_DIR").map_or("target".into(), PathBuf::from);
        App {
            registry,
            replay: ReplayPrefix::cargo_bin(&bin),
            corpus_dirs: vec![PathBuf::from("seeds")],
            failures_dir: target.join("sim-failures"),
            extra: Vec::new(),
        }
    }

    pub fn corpus_dir(mut self, dir: impl Into<PathBuf>) -> App {
        self.corpus_dirs.push(dir.into());
        self
    }

    pub fn command(mut self, command: ExtraCommand) -> App {
        self.extra.push(command);
        self
    }
}

#[derive(Parser)]
#[command(about = "Deterministic simulation of distributed protocols, one seed at a time.")]
#[command(
    args_conflicts_with_subcommands = true,
    allow_external_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args)]
struct BudgetArgs {
    /// Fail the run as 'stuck' after this many events.
    #[arg(long, value_name = "N")]
    max_events: Option<u64>,
    /// Fail the run as 'stuck' when virtual time passes this many seconds.
    #[arg(long, value_name = "SECS")]
    max_virtual_secs: Option<u64>,
    /// Fail the run as 'stuck' when this many events are in flight at once (a storm).
    #[arg(long, value_name = "N")]
    max_pending: Option<usize>,
}

impl BudgetArgs {
    fn budget(&self, wall: Option<Duration>) -> Budget {
        Budget {
            max_events: self.max_events.unwrap_or(Budget::DEFAULT.max_events),
            max_virtual: self
                .max_virtual_secs
                .map_or(Budget::DEFAULT.max_virtual, Time::from_secs),
            max_pending: self.max_pending.unwrap_or(Budget::DEFAULT.max_pending),
            wall,
        }
    }
}

#[derive(Args)]
struct RunArgs {
    /// The seed of the run (decimal, or hex with 0x).
    #[arg(long, value_parser = seeds::parse_seed, conflicts_with = "input")]
    seed: Option<u64>,
    /// Run a choice buffer instead of a seed (a file `shrink` wrote, or raw fuzzer bytes).
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// The scenario to run (see `list`); default: the registry's default.
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
    /// Write the run's client history as JSON lines (scenarios that record one).
    #[arg(long, value_name = "OUT")]
    history: Option<PathBuf>,
    /// How latencies are chosen: random (default), pct, delay-bound, or rotate (per seed).
    #[arg(long, default_value = "random", value_parser = parse_strategy)]
    strategy: Strategy,
    /// How many of a failing run's last events to show.
    #[arg(long, default_value_t = DEFAULT_TAIL, value_parser = clap::value_parser!(usize))]
    tail: usize,
    #[command(flatten)]
    budget: BudgetArgs,
}

#[derive(Subcommand)]
enum Command {
    /// List the scenarios and the mutants each family accepts.
    List,
    /// Run many seeds of one or more scenarios, spread over cores.
    Sweep(SweepArgs),
    /// Replay the regression corpus (default: every .txt file of the corpus directory).
    Replay(ReplayArgs),
    /// Shrink a failing run to a smaller one failing the same check, and write it to a file.
    Shrink(ShrinkArgs),
    /// Check history files for linearizability (Jepsen etcd logs, EDN kv lines, JSON lines).
    Check(linearizability::cli::CheckArgs),
    #[command(external_subcommand)]
    External(Vec<String>),
}

#[derive(Args)]
struct SweepArgs {
    /// A scenario name, `all`, or a prefix ending in `*` (quote it: 'raft-2b-*').
    #[arg(long)]
    scenario: String,
    /// Seeds as A..B (B excluded) or A..=B.
    #[arg(long, value_parser = seeds::parse_seed_range)]
    seeds: Range<u64>,
    /// Worker threads; results do not depend on it.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: u64,
    #[arg(long)]
    mutant: Option<String>,
    /// Give up on a run after this much wall time and count it as timed out (not a verdict).
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    wall_limit_secs: u64,
    /// How latencies are chosen: random (default), pct, delay-bound, or rotate (per seed).
    #[arg(long, default_value = "random", value_parser = parse_strategy)]
    strategy: Strategy,
    /// Fail the sweep if a goal a swept scenario declares was reached by no run.
    #[arg(long)]
    require_goals: bool,
    #[command(flatten)]
    budget: BudgetArgs,
}

#[derive(Args)]
struct ReplayArgs {
    /// Corpus files; default: every .txt file in the corpus directory.
    files: Vec<PathBuf>,
    /// Replay a choice buffer instead (a file `shrink` wrote, or raw fuzzer bytes).
    #[arg(long, value_name = "FILE", conflicts_with = "files")]
    input: Option<PathBuf>,
    /// The scenario of a raw `--input` buffer (a file `shrink` wrote names its own).
    #[arg(long, requires = "input")]
    scenario: Option<String>,
    #[arg(long, requires = "input")]
    mutant: Option<String>,
}

fn parse_strategy(name: &str) -> Result<Strategy, String> {
    Strategy::from_name(name).ok_or_else(|| {
        format!(
            "unknown strategy '{name}' (one of {})",
            Strategy::NAMES.join(", ")
        )
    })
}

/// Why the command could not do its job at all (exit 2).
struct InputError(String);

impl<E: std::fmt::Display> From<E> for InputError {
    fn from(error: E) -> Self {
        InputError(error.to_string())
    }
}

/// Parses the command line and runs it: a simulation binary's whole `main`.
pub fn main(app: App) -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let usage = error.use_stderr();
            let _ = error.print();
            return ExitCode::from(if usage { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        None => run_seed(&app, &cli.run),
        Some(Command::List) => list(&app),
        Some(Command::Sweep(args)) => sweep(&app, &args),
        Some(Command::Replay(args)) => replay(&app, &args),
        Some(Command::Shrink(args)) => cli_search::shrink_command(&app, &args).map_err(InputError),
        Some(Command::Check(args)) => {
            let mut out = std::io::stdout().lock();
            linearizability::cli::run(&args, &mut out).map_err(InputError::from)
        }
        Some(Command::External(args)) => external(&app, &args),
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

fn external(app: &App, args: &[String]) -> Result<bool, InputError> {
    let name = args.first().map_or("", String::as_str);
    let Some(command) = app.extra.iter().find(|c| c.name == name) else {
        let known: Vec<&str> = ["list", "sweep", "replay", "shrink", "check"]
            .into_iter()
            .chain(app.extra.iter().map(|c| c.name))
            .collect();
        return Err(InputError(format!(
            "unknown command '{name}' (commands: {})",
            known.join(", ")
        )));
    };
    (command.run)(&args[1..]).map_err(InputError)
}

fn run_seed(app: &App, args: &RunArgs) -> Result<bool, InputError> {
    if let Some(input) = &args.input {
        let (scenario, mutant) = (args.scenario.as_deref(), args.mutant.as_deref());
        return cli_search::run_input(app, input, scenario, mutant, args.trace).map_err(InputError);
    }
    let Some(seed) = args.seed else {
        return Err(InputError(
            "give --seed N to run one seed, or a command (see --help)".into(),
        ));
    };
    let scenario = match &args.scenario {
        Some(name) => app.registry.find(name)?,
        None => app
            .registry
            .default_run()
            .ok_or_else(|| InputError("no scenario is registered".into()))?,
    };
    Registry::validate(&[scenario], args.mutant.as_deref())?;
    let options = RunOptions {
        mutant: args.mutant.clone(),
        trace: if args.trace {
            TraceMode::Full
        } else {
            TraceMode::Hash
        },
        budget: args.budget.budget(None),
        history_out: args.history.clone(),
        strategy: args.strategy,
        ..scenario.options(seed)
    };
    let mut out = std::io::stdout().lock();
    let report = if args.check_determinism {
        match runner::check_determinism(scenario, &options) {
            Ok(report) => report,
            Err(e) => {
                writeln!(out, "{e} (seed {seed})")?;
                return Ok(false);
            }
        }
    } else {
        runner::run_one(scenario, &options)
    };
    let report = match diagnosed(app, scenario, &options, report, args.tail) {
        Ok(report) => report,
        Err(message) => {
            writeln!(out, "{message}")?;
            return Ok(false);
        }
    };
    if let Some(lines) = &report.trace_lines {
        for line in lines {
            writeln!(out, "{line}")?;
        }
        writeln!(out)?;
    }
    write!(out, "{}", summary(&report, &app.replay))?;
    if args.check_determinism {
        writeln!(out, "determinism: two runs gave the same trace hash")?;
    }
    Ok(report.passed())
}

/// A failing run replayed for its report (unless it was fully traced already), writing its
/// files under the app's failures directory.
fn diagnosed(
    app: &App,
    scenario: ScenarioRef<'_>,
    options: &RunOptions,
    report: RunReport,
    tail: usize,
) -> Result<RunReport, String> {
    if report.passed() || options.trace == TraceMode::Full {
        return Ok(report);
    }
    let mut name = format!("{}-{}", report.scenario, report.seed);
    if let Some(mutant) = &report.mutant {
        name = format!("{name}-{mutant}");
    }
    let with_files = RunOptions {
        artifacts: Some(app.failures_dir.join(name)),
        ..options.clone()
    };
    runner::diagnose(scenario, &with_files, report, tail).map_err(|e| e.to_string())
}

fn list(app: &App) -> Result<bool, InputError> {
    let mut out = std::io::stdout().lock();
    for scenario in app.registry.scenarios() {
        writeln!(out, "{:<32} {}", scenario.name(), scenario.scenario.about)?;
    }
    for family in app.registry.families() {
        let names: Vec<&str> = family.mutants.iter().map(|m| m.name).collect();
        if !names.is_empty() {
            writeln!(out, "\nmutants of {}: {}", family.name, names.join(", "))?;
        }
    }
    Ok(true)
}

fn sweep(app: &App, args: &SweepArgs) -> Result<bool, InputError> {
    let scenarios = app.registry.select(&args.scenario)?;
    Registry::validate(&scenarios, args.mutant.as_deref())?;
    let options = SweepOptions {
        seeds: args.seeds.clone(),
        mutant: args.mutant.clone(),
        budget: args
            .budget
            .budget(Some(Duration::from_secs(args.wall_limit_secs))),
        jobs: args.jobs as usize,
        strategy: args.strategy,
    };
    // Ranges are capped at MAX_SEEDS_PER_RANGE and scenarios number in the hundreds.
    let total = (args.seeds.end - args.seeds.start) * scenarios.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let step = (total / 10).max(1);
    let progress = |result: &SweepResult| {
        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if let Some(failure) = &result.failure {
            eprintln!(
                "  FAIL {} seed {}: {}",
                result.scenario, result.seed, failure.check
            );
        }
        if n.is_multiple_of(step) || n == total {
            eprintln!("  {n}/{total} runs done");
        }
    };
    let stopwatch = Stopwatch::start();
    let results = runner::sweep(&scenarios, &options, &progress);
    let elapsed = stopwatch.elapsed();
    let mut out = std::io::stdout().lock();
    for result in results.iter().filter(|r| r.failure.is_some()) {
        writeln!(out, "{}", sweep_failure_line(app, result, &options))?;
    }
    let failed = results.iter().filter(|r| r.failed()).count();
    let timed_out = results.iter().filter(|r| r.timed_out()).count();
    let counts = runner::goal_counts(&scenarios, &results);
    for count in &counts {
        writeln!(
            out,
            "goal {} of {}: reached in {} of {} runs",
            count.goal, count.scenario, count.reached, count.runs
        )?;
    }
    let unreached = counts.iter().filter(|c| c.reached == 0).count();
    if args.require_goals && unreached > 0 {
        writeln!(out, "{unreached} declared goal(s) reached by no run")?;
    }
    writeln!(
        out,
        "sweep {} seeds {}..{}: {} runs, {} passed, {failed} failed, {timed_out} timed out, digest {:016x} ({}, {} jobs)",
        args.scenario,
        args.seeds.start,
        args.seeds.end,
        results.len(),
        results.len() - failed - timed_out,
        runner::sweep_digest(&results),
        elapsed.describe(),
        args.jobs
    )?;
    Ok(failed == 0 && timed_out == 0 && !(args.require_goals && unreached > 0))
}

/// One failed seed of a sweep: what failed, the replay command, and a ready corpus line.
fn sweep_failure_line(app: &App, result: &SweepResult, options: &SweepOptions) -> String {
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
    );
    let replay = crate::report::with_strategy(replay, options.strategy);
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

fn replay(app: &App, args: &ReplayArgs) -> Result<bool, InputError> {
    if let Some(input) = &args.input {
        let (scenario, mutant) = (args.scenario.as_deref(), args.mutant.as_deref());
        return cli_search::run_input(app, input, scenario, mutant, false).map_err(InputError);
    }
    let entries = if args.files.is_empty() {
        let dir = app
            .corpus_dirs
            .iter()
            .find(|dir| dir.is_dir())
            .ok_or_else(|| InputError("no corpus directory (seeds/) found".into()))?;
        corpus::read_dir(dir)?
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
        let scenario = app
            .registry
            .find(&entry.scenario)
            .map_err(|e| InputError(format!("{}:{}: {e}", entry.file.display(), entry.line)))?;
        runs.push((entry, scenario));
    }
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    for (entry, scenario) in runs {
        let options = scenario.options(entry.seed);
        let report = runner::run_one(scenario, &options);
        let verdict = if report.passed() { "pass" } else { "FAIL" };
        writeln!(
            out,
            "{verdict} {} {}  # {}",
            entry.scenario, entry.seed, entry.note
        )?;
        if !report.passed() {
            failed += 1;
            let report =
                diagnosed(app, scenario, &options, report, DEFAULT_TAIL).map_err(InputError)?;
            write!(out, "{}", failure_report(&report, &app.replay))?;
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
