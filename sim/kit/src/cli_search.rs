//! The command line's search commands: running a choice buffer (`--input FILE`) and
//! shrinking a failing run (`shrink`).

use crate::choice_file::ChoiceFile;
use crate::cli::{explicit_settings, parse_strategy, App, BudgetArgs, StorageArgs};
use crate::family::{Registry, ScenarioRef};
use crate::options::RunOptions;
use crate::report::{summary, RunReport};
use crate::run_settings::RunSettings;
use crate::runner::{self, DEFAULT_TAIL};
use crate::seeds;
use crate::shrink::{self, ShrinkBudget};
use crate::trace_out::{TraceFormat, TraceOut};
use clap::Args;
use protocol_core::choices::{Choices, Kind, Mark, Span};
use sim::{Budget, Strategy, TraceMode};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Args)]
pub(crate) struct ShrinkArgs {
    /// The failing seed to shrink (its choices are recorded first).
    #[arg(long, value_parser = seeds::parse_seed, conflicts_with = "input")]
    seed: Option<u64>,
    /// A failing choice buffer to shrink instead of a seed.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    #[arg(long)]
    scenario: Option<String>,
    #[arg(long)]
    mutant: Option<String>,
    /// Where to write the minimal run (default: <failures>/<scenario>[-<mutant>]-shrunk.choices).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Give up after this many candidate runs.
    #[arg(long, default_value_t = 5_000)]
    max_runs: usize,
    /// Give up after this many CPU-seconds (the best run so far is kept).
    #[arg(long, value_name = "SECS", default_value_t = 50)]
    max_secs: u64,
    /// How latencies are chosen, as for a run: random (default), pct, delay-bound, rotate.
    #[arg(long, value_parser = parse_strategy)]
    strategy: Option<Strategy>,
    #[command(flatten)]
    budget: BudgetArgs,
    #[command(flatten)]
    storage: StorageArgs,
}

impl ShrinkArgs {
    fn settings(&self) -> RunSettings {
        explicit_settings(&self.budget, &self.storage, self.strategy)
    }
}

/// A buffer run's scenario, mutant and settings: the file's own, or the command line's
/// (`flags`), which win.
pub(crate) fn input_run<'a>(
    app: &'a App,
    path: &Path,
    (scenario, mutant): (Option<&str>, Option<&str>),
    flags: RunSettings,
) -> Result<(ScenarioRef<'a>, RunOptions), String> {
    let file = ChoiceFile::read(path)?;
    let name = scenario
        .map(str::to_string)
        .or(file.scenario)
        .ok_or_else(|| format!("{}: names no scenario: give --scenario", path.display()))?;
    let scenario = app.registry.find(&name).map_err(|e| e.to_string())?;
    let mutant = mutant.map(str::to_string).or(file.mutant);
    Registry::validate(&[scenario], mutant.as_deref()).map_err(|e| e.to_string())?;
    let mut options = RunOptions {
        mutant,
        choices: Choices::buffer(file.bytes),
        ..scenario.options(0)
    };
    flags.over(file.settings).apply(&mut options);
    Ok((scenario, options))
}

/// Runs a buffer file once and prints the run's summary (its replay names the file); the
/// trace goes where `--trace` and `--trace-format` say, as for a seed; `flags` are the
/// settings the command line gives, `extra` sets what else it asked for (a history file).
pub(crate) fn run_input(
    app: &App,
    path: &Path,
    names: (Option<&str>, Option<&str>),
    flags: RunSettings,
    trace: &TraceOut,
    extra: impl FnOnce(&mut RunOptions),
) -> Result<bool, String> {
    let (scenario, mut options) = input_run(app, path, names, flags)?;
    extra(&mut options);
    options.trace = trace.mode();
    options.timeline = trace.format == TraceFormat::Chrome;
    let mut report = runner::run_one(scenario, &options);
    let mut out = std::io::stdout().lock();
    trace.write(&mut report, &mut out).map_err(|e| e.0)?;
    let mut report = if report.passed() {
        report
    } else {
        runner::diagnose(scenario, &options, report, DEFAULT_TAIL).map_err(|e| e.to_string())?
    };
    report.input = Some(path.to_path_buf());
    write!(out, "{}", summary(&report, &app.replay)).map_err(|e| e.to_string())?;
    Ok(report.passed())
}

/// A run to shrink: its scenario, its options for buffer runs, its buffer and its report.
type ToShrink<'a> = (ScenarioRef<'a>, RunOptions, Vec<u8>, RunReport);

/// The run `shrink` starts from: a buffer file's, or a seed's, recorded as it runs.
fn failing_run<'a>(app: &'a App, args: &ShrinkArgs) -> Result<ToShrink<'a>, String> {
    match (&args.input, args.seed) {
        (Some(path), _) => {
            let names = (args.scenario.as_deref(), args.mutant.as_deref());
            let (scenario, options) = input_run(app, path, names, args.settings())?;
            let bytes = options.choices.buffer_bytes().unwrap_or_default();
            let first = runner::run_one(scenario, &options);
            Ok((scenario, options, bytes, first))
        }
        (None, Some(seed)) => {
            let name = args
                .scenario
                .as_deref()
                .ok_or("give --scenario with --seed")?;
            let scenario = app.registry.find(name).map_err(|e| e.to_string())?;
            Registry::validate(&[scenario], args.mutant.as_deref()).map_err(|e| e.to_string())?;
            let mut options = RunOptions {
                mutant: args.mutant.clone(),
                choices: Choices::record(),
                ..scenario.options(seed)
            };
            args.settings().apply(&mut options);
            let first = runner::run_one(scenario, &options);
            let bytes = first.recorded.clone().unwrap_or_default();
            let options = RunOptions {
                choices: Choices::seeded(),
                ..options
            };
            Ok((scenario, options, bytes, first))
        }
        (None, None) => Err("give --seed N or --input FILE".into()),
    }
}

/// `shrink`: records (or reads) a failing run's choices, shrinks them, prints the minimal
/// run as a schedule and writes it as a replayable file that carries the run's settings.
/// Passes (exit 0) when the run to shrink does not fail: there is nothing to shrink.
pub(crate) fn shrink_command(app: &App, args: &ShrinkArgs) -> Result<bool, String> {
    let (scenario, options, bytes, first) = failing_run(app, args)?;
    let mut out = std::io::stdout().lock();
    let Some(failure) = first.failure.clone() else {
        writeln!(out, "the run passes: nothing to shrink").map_err(|e| e.to_string())?;
        return Ok(true);
    };
    let budget = ShrinkBudget {
        max_runs: args.max_runs,
        max_time: Duration::from_secs(args.max_secs),
    };
    let before = Counts::of(scenario, &options, &bytes);
    let found = shrink::shrink(scenario, &options, bytes.clone(), first, budget)
        .ok_or("the run passes: nothing to shrink")?;
    let after = Counts::of(scenario, &options, &found.bytes);
    let path = args.out.clone().unwrap_or_else(|| {
        let mut name = scenario.name().to_string();
        if let Some(mutant) = &options.mutant {
            name = format!("{name}-{mutant}");
        }
        app.failures_dir.join(format!("{name}-shrunk.choices"))
    });
    let file = ChoiceFile {
        scenario: Some(scenario.name().to_string()),
        mutant: options.mutant.clone(),
        settings: RunSettings::of(&options),
        bytes: found.bytes.clone(),
    };
    file.write(&path)?;
    let w = &mut out;
    let io = |e: std::io::Error| e.to_string();
    writeln!(
        w,
        "shrank check '{}' in {} runs, {}",
        failure.check,
        found.runs,
        found.elapsed.describe()
    )
    .map_err(io)?;
    let kept: Vec<String> = found.kept.iter().map(|(p, n)| format!("{p} {n}")).collect();
    writeln!(w, "  kept by pass: {}", kept.join(", ")).map_err(io)?;
    writeln!(w, "  before: {before}, {} choice bytes", bytes.len()).map_err(io)?;
    writeln!(w, "  after:  {after}, {} choice bytes", found.bytes.len()).map_err(io)?;
    writeln!(w, "minimal schedule:").map_err(io)?;
    for line in &after.schedule {
        writeln!(w, "  {line}").map_err(io)?;
    }
    if let Some(f) = &found.report.failure {
        writeln!(
            w,
            "FAILED check '{}' at t={} (event {})",
            f.check, f.time, f.events
        )
        .map_err(io)?;
        for line in f.message.lines() {
            writeln!(w, "  {line}").map_err(io)?;
        }
    }
    let mut replay = found.report.clone();
    replay.input = Some(path.clone());
    replay.budget = options.budget;
    writeln!(
        w,
        "written: {}\nreplay:\n  {}",
        path.display(),
        app.replay.for_report(&replay)
    )
    .map_err(io)?;
    Ok(false)
}

/// A run longer than this is counted but not rendered (a message storm has millions of
/// events, and rendering each would take gigabytes).
const MAX_RENDERED_EVENTS: u64 = 200_000;

/// What a run amounts to: its events, faults and client operations, and its schedule.
pub struct Counts {
    pub events: u64,
    pub faults: u64,
    /// Faults the buffer dropped (their keep marks read zero): planned or scripted faults
    /// that did not happen.
    pub faults_dropped: u64,
    /// Requests clients sent to their nodes; `None` for a run too long to render.
    pub client_ops: Option<u64>,
    /// Operations the workload's clients started (their keep marks read nonzero); some
    /// workloads call their servers directly (Raft's), so this counts what requests miss.
    pub workload_ops: u64,
    pub schedule: Vec<String>,
}

impl Counts {
    /// Runs `bytes` once more (labelled, and with every event rendered if it is not too
    /// long) and counts what matters.
    pub fn of(scenario: ScenarioRef<'_>, options: &RunOptions, bytes: &[u8]) -> Counts {
        let options = RunOptions {
            budget: Budget {
                wall: None,
                ..options.budget
            },
            ..options.clone()
        };
        let report = shrink::run_labelled(scenario, &options, bytes);
        if report.events > MAX_RENDERED_EVENTS {
            return Counts {
                events: report.events,
                faults: report.stats.faults,
                faults_dropped: 0,
                client_ops: None,
                workload_ops: workload_ops(&report, bytes),
                schedule: vec![format!("({} events: too many to render)", report.events)],
            };
        }
        let traced = RunOptions {
            trace: TraceMode::Full,
            ..options
        };
        let mut counts = Counts::from_report(&shrink::run_labelled(scenario, &traced, bytes));
        counts.workload_ops = workload_ops(&report, bytes);
        counts
    }

    pub fn from_report(report: &RunReport) -> Counts {
        let lines = report.trace_lines.clone().unwrap_or_default();
        let client_ops = lines.iter().filter(|l| is_request(l)).count() as u64;
        let faults_dropped = lines.iter().filter(|l| is_dropped(l)).count() as u64;
        Counts {
            events: report.events,
            faults: report.stats.faults,
            faults_dropped,
            client_ops: Some(client_ops),
            workload_ops: 0,
            schedule: schedule(&lines),
        }
    }
}

/// How many client operations a labelled run's workload started.
fn workload_ops(report: &RunReport, bytes: &[u8]) -> u64 {
    let Some(labels) = &report.labels else {
        return 0;
    };
    let kept = |s: &&Span| bytes.get(s.start as usize).is_some_and(|&b| b != 0);
    labels
        .spans
        .iter()
        .filter(|s| matches!(s.kind, Kind::Keep(Mark::Op { .. })))
        .filter(kept)
        .count() as u64
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ops = self
            .client_ops
            .map_or_else(|| "?".to_string(), |n| n.to_string());
        write!(
            f,
            "{} events, {} faults ({} dropped), {ops} client requests, {} workload operations",
            self.events, self.faults, self.faults_dropped, self.workload_ops
        )
    }
}

fn is_request(line: &str) -> bool {
    line.split_whitespace().nth(2) == Some("request")
}

fn is_fault(line: &str) -> bool {
    let word = line.split_whitespace().nth(1).unwrap_or("");
    let next = line.split_whitespace().nth(2).unwrap_or("");
    word == "fault" || next == "crash" || next == "restart"
}

/// A fault the buffer dropped (see `Sim::apply`): shown, so a reader sees what is not there.
fn is_dropped(line: &str) -> bool {
    line.split_whitespace().nth(1) == Some("dropped")
}

/// The faults and client operations of a run and its last deliveries before it ended, in
/// virtual time: what a person needs to see to follow the bug.
fn schedule(lines: &[String]) -> Vec<String> {
    const LAST: usize = 12;
    // A few dropped faults are worth seeing (a course test's step that turned out not to
    // matter); a plan's dozens are one line.
    const DROPPED_SHOWN: usize = 8;
    let deliveries = lines.iter().filter(|l| l.contains(" recv ")).count();
    let skip = deliveries.saturating_sub(LAST);
    let dropped = lines.iter().filter(|l| is_dropped(l)).count();
    let show_dropped = dropped <= DROPPED_SHOWN;
    let mut seen = 0;
    let mut out = Vec::new();
    if !show_dropped {
        out.push(format!("({dropped} faults the buffer dropped, not shown)"));
    }
    for line in lines {
        let delivery = line.contains(" recv ");
        if delivery {
            seen += 1;
            if seen == skip + 1 && skip > 0 {
                out.push(format!("... {skip} earlier deliveries"));
            }
        }
        let shown = is_fault(line) || is_request(line) || (delivery && seen > skip);
        if shown || (show_dropped && is_dropped(line)) {
            out.push(line.clone());
        }
    }
    out
}
