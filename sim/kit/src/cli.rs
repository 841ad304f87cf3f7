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
use crate::options::RunOptions;
use crate::page;
use crate::report::{failure_report, summary, ReplayPrefix, RunReport};
use crate::run_settings::RunSettings;
use crate::runner::{self, DEFAULT_TAIL};
use crate::seeds;
use crate::sweep_cmd::{self, SweepArgs};
use crate::trace_out::{TraceFormat, TraceOut};
use clap::{Args, Parser, Subcommand};
use protocol_core::Time;
use sim::{StorageClasses, Strategy};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
pub(crate) struct BudgetArgs {
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

#[derive(Args)]
pub(crate) struct StorageArgs {
    /// No storage faults: every write durable the instant it is made, no crash within a step,
    /// no corruption (the course's Persister).
    #[arg(long, conflicts_with = "storage_faults")]
    no_storage_faults: bool,
    /// Only these storage fault classes (comma-separated; `all`, `none`): unsynced-loss,
    /// torn-writes, crash-mid-step, latent-errors, misdirected-writes, sync-errors.
    #[arg(long, value_name = "LIST", value_parser = StorageClasses::parse)]
    storage_faults: Option<StorageClasses>,
}

impl StorageArgs {
    pub(crate) fn classes(&self) -> StorageClasses {
        self.explicit().unwrap_or(StorageClasses::ALL)
    }

    /// The classes the command line names, if it names any.
    fn explicit(&self) -> Option<StorageClasses> {
        match (self.no_storage_faults, self.storage_faults) {
            (true, _) => Some(StorageClasses::NONE),
            (false, classes) => classes,
        }
    }
}

/// What the command line sets explicitly: over a choice file's own settings, or a seed
/// run's defaults.
pub(crate) fn explicit_settings(
    budget: &BudgetArgs,
    storage: &StorageArgs,
    strategy: Option<Strategy>,
) -> RunSettings {
    RunSettings {
        storage_faults: storage.explicit(),
        strategy,
        max_events: budget.max_events,
        max_virtual_us: budget.max_virtual_secs.map(|s| Time::from_secs(s).0),
        max_pending: budget.max_pending,
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
    /// Print every event of the run with virtual timestamps and node ids, or write the
    /// trace to FILE (`--trace-format chrome` needs a FILE).
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
    trace: Option<PathBuf>,
    /// `text`: a line per event; `chrome`: Chrome trace-event JSON for Perfetto and
    /// chrome://tracing (a track per node, messages as flows, virtual time as the clock).
    #[arg(long, value_enum, default_value_t = TraceFormat::Text)]
    trace_format: TraceFormat,
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
    #[arg(long, value_parser = parse_strategy)]
    strategy: Option<Strategy>,
    /// How many of a failing run's last events to show.
    #[arg(long, default_value_t = DEFAULT_TAIL, value_parser = clap::value_parser!(usize))]
    tail: usize,
    #[command(flatten)]
    budget: BudgetArgs,
    #[command(flatten)]
    storage: StorageArgs,
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

pub(crate) fn parse_strategy(name: &str) -> Result<Strategy, String> {
    Strategy::from_name(name).ok_or_else(|| {
        format!(
            "unknown strategy '{name}' (one of {})",
            Strategy::NAMES.join(", ")
        )
    })
}

/// Why the command could not do its job at all (exit 2).
pub(crate) struct InputError(pub(crate) String);

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
        Some(Command::Sweep(args)) => sweep_cmd::sweep(&app, &args),
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
        let trace = TraceOut::new(args.trace_format, args.trace.clone())?;
        // The same flags as a seed's run: a buffer's choices say what happens, the file's
        // settings and these flags (which win) under which budgets, storage faults and
        // strategy.
        let settings = explicit_settings(&args.budget, &args.storage, args.strategy);
        let history = |options: &mut RunOptions| options.history_out = args.history.clone();
        return cli_search::run_input(app, input, (scenario, mutant), settings, &trace, history)
            .map_err(InputError);
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
    let trace = TraceOut::new(args.trace_format, args.trace.clone())?;
    let mut options = RunOptions {
        mutant: args.mutant.clone(),
        trace: trace.mode(),
        timeline: trace.format == TraceFormat::Chrome,
        history_out: args.history.clone(),
        ..scenario.options(seed)
    };
    explicit_settings(&args.budget, &args.storage, args.strategy).apply(&mut options);
    let mut out = std::io::stdout().lock();
    let mut report = if args.check_determinism {
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
    trace.write(&mut report, &mut out)?;
    let report = match diagnosed(app, scenario, &options, report, args.tail) {
        Ok(report) => report,
        Err(message) => {
            writeln!(out, "{message}")?;
            return Ok(false);
        }
    };
    write!(out, "{}", summary(&report, &app.replay))?;
    if args.check_determinism {
        writeln!(out, "determinism: two runs gave the same trace hash")?;
    }
    Ok(report.passed())
}

/// A failing run replayed for its report, recording its timeline, and writing its files
/// (the failure page, a client history) under the app's failures directory.
fn diagnosed(
    app: &App,
    scenario: ScenarioRef<'_>,
    options: &RunOptions,
    report: RunReport,
    tail: usize,
) -> Result<RunReport, String> {
    if report.passed() {
        return Ok(report);
    }
    let mut name = format!("{}-{}", report.scenario, report.seed);
    if let Some(mutant) = &report.mutant {
        name = format!("{name}-{mutant}");
    }
    let dir = app.failures_dir.join(name);
    let replay_options = RunOptions {
        artifacts: Some(dir.clone()),
        timeline: true,
        ..options.clone()
    };
    let mut diagnosed =
        runner::diagnose(scenario, &replay_options, report, tail).map_err(|e| e.to_string())?;
    match page::write(&dir, &diagnosed, &app.replay) {
        Some(Ok(path)) => diagnosed.artifacts.push(("failure page", path)),
        Some(Err(e)) => diagnosed.facts.push(("page", format!("not written: {e}"))),
        None => {}
    }
    diagnosed.recording = None;
    Ok(diagnosed)
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

fn replay(app: &App, args: &ReplayArgs) -> Result<bool, InputError> {
    if let Some(input) = &args.input {
        let (scenario, mutant) = (args.scenario.as_deref(), args.mutant.as_deref());
        let no_trace = TraceOut::new(TraceFormat::Text, None)?;
        let settings = RunSettings::default(); // the file's own
        return cli_search::run_input(app, input, (scenario, mutant), settings, &no_trace, |_| {})
            .map_err(InputError);
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
