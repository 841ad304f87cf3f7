//! What a run gives back, and how it is shown: one screen of summary, and failures a person
//! can act on without replaying.

use crate::goals::GoalId;
use crate::options::RunOptions;
use crate::recording::Recording;
use protocol_core::choices::Labels;
use protocol_core::{CheckId, Time};
use sim::stats::DropReason;
use sim::{checks, Budget, Failure, Stats, StorageClasses, Strategy};
use std::fmt::Write;
use std::path::PathBuf;

/// The result of one run: what happened, the figures the scenario measured, and the failure
/// if a check failed. Tests read `metrics` and `facts`, never the summary's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReport {
    pub scenario: &'static str,
    pub seed: u64,
    pub mutant: Option<String>,
    pub budget: Budget,
    pub storage_faults: StorageClasses,
    pub virtual_time: Time,
    /// Events the simulator handled (deliveries, timers, faults).
    pub events: u64,
    pub stats: Stats,
    pub trace_hash: u64,
    /// Figures the scenario measured, by name, in the order it gave them.
    pub metrics: Vec<(&'static str, u64)>,
    /// What the seed chose and other facts worth a line (`mix`, `plan`), in order.
    pub facts: Vec<(&'static str, String)>,
    pub failure: Option<Failure>,
    /// Every event rendered, in `TraceMode::Full`.
    pub trace_lines: Option<Vec<String>>,
    /// Files a failing run wrote (a client history, its view), by what they are.
    pub artifacts: Vec<(&'static str, PathBuf)>,
    /// The run's timeline and client operations, when `RunOptions::timeline` asked.
    pub recording: Option<Box<Recording>>,
    /// The goals the run reached (see [`crate::goals`]).
    pub goals: Vec<GoalId>,
    /// The choices a recording run made, as the buffer that replays it (see
    /// `protocol_core::choices`); `None` unless the run recorded.
    pub recorded: Option<Vec<u8>>,
    /// What each draw of a labelled buffer run read (`Choices::labelled`); `None` otherwise.
    pub labels: Option<Labels>,
    /// The choice file a buffer run read (`--input`): its replay command names it.
    pub input: Option<PathBuf>,
    /// The run's schedule strategy: its replay command names it unless it is `random`.
    pub strategy: Strategy,
}

impl RunReport {
    /// The report of a run that could not even build its world (its inputs are missing, say):
    /// failed with `check` at time zero.
    pub fn could_not_start(
        options: &RunOptions,
        check: CheckId,
        message: impl Into<String>,
    ) -> RunReport {
        RunReport {
            scenario: options.scenario,
            seed: options.seed,
            mutant: options.mutant.clone(),
            budget: options.budget,
            storage_faults: options.storage_faults,
            virtual_time: Time::ZERO,
            events: 0,
            stats: Stats::default(),
            trace_hash: 0,
            metrics: Vec::new(),
            facts: Vec::new(),
            failure: Some(Failure {
                check,
                message: message.into(),
                nodes: Vec::new(),
                seed: options.seed,
                time: Time::ZERO,
                events: 0,
                tail: Box::default(),
            }),
            trace_lines: None,
            artifacts: Vec::new(),
            recording: None,
            goals: Vec::new(),
            recorded: None,
            labels: None,
            input: None,
            strategy: options.strategy,
        }
    }

    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    pub fn metric(&self, name: &str) -> Option<u64> {
        self.metrics
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, value)| value)
    }

    pub fn fact(&self, name: &str) -> Option<&str> {
        self.facts
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value.as_str())
    }
}

/// How to run this binary again: `cargo run --release --bin sim --`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayPrefix(pub String);

impl ReplayPrefix {
    /// `cargo run --release --bin NAME --`.
    pub fn cargo_bin(name: &str) -> ReplayPrefix {
        ReplayPrefix(format!("cargo run --release --bin {name} --"))
    }

    /// The command that replays one run exactly: its seed, scenario, mutant, and any budget
    /// that is not the default (a budget decides where a run stops).
    pub fn command(
        &self,
        scenario: &str,
        seed: u64,
        mutant: Option<&str>,
        budget: &Budget,
        storage: StorageClasses,
    ) -> String {
        let mut command = format!("{} --seed {seed} --scenario {scenario}", self.0);
        if let Some(mutant) = mutant {
            write!(command, " --mutant {mutant}").expect("writing to a String cannot fail");
        }
        if storage.is_empty() {
            command.push_str(" --no-storage-faults");
        } else if storage != StorageClasses::ALL {
            write!(command, " --storage-faults {storage}").expect("String");
        }
        if budget.max_events != Budget::DEFAULT.max_events {
            write!(command, " --max-events {}", budget.max_events).expect("String");
        }
        if budget.max_virtual != Budget::DEFAULT.max_virtual {
            let secs = budget.max_virtual.as_micros() / 1_000_000;
            write!(command, " --max-virtual-secs {secs}").expect("String");
        }
        if budget.max_pending != Budget::DEFAULT.max_pending {
            write!(command, " --max-pending {}", budget.max_pending).expect("String");
        }
        command
    }

    pub fn for_report(&self, report: &RunReport) -> String {
        if let Some(input) = &report.input {
            let seeded = self.command(
                report.scenario,
                0,
                report.mutant.as_deref(),
                &report.budget,
                report.storage_faults,
            );
            let flags = seeded
                .strip_prefix(&format!("{} --seed 0", self.0))
                .unwrap_or("");
            let command = format!("{} --input {}{flags}", self.0, input.display());
            return with_strategy(command, report.strategy);
        }
        let command = self.command(
            report.scenario,
            report.seed,
            report.mutant.as_deref(),
            &report.budget,
            report.storage_faults,
        );
        with_strategy(command, report.strategy)
    }
}

/// `command` with `--strategy NAME` unless the strategy is the default.
pub fn with_strategy(command: String, strategy: Strategy) -> String {
    match strategy {
        Strategy::Random => command,
        other => format!("{command} --strategy {}", other.name()),
    }
}

/// One screen: what ran, what happened, the verdict, and the trace hash.
pub fn summary(report: &RunReport, replay: &ReplayPrefix) -> String {
    let mut out = String::new();
    let stats = &report.stats;
    let line = |out: &mut String, label: &str, value: &str| {
        writeln!(out, "{label:<10} {value}").expect("writing to a String cannot fail");
    };
    line(&mut out, "scenario", report.scenario);
    match &report.input {
        Some(input) => line(&mut out, "input", &input.display().to_string()),
        None => line(&mut out, "seed", &report.seed.to_string()),
    }
    if let Some(mutant) = &report.mutant {
        line(&mut out, "mutant", mutant);
    }
    let virtual_time = report.virtual_time.display_secs();
    line(
        &mut out,
        "virtual",
        &format!("{virtual_time} ({} events)", report.events),
    );
    line(&mut out, "messages", &messages(stats));
    if !stats.by_kind.is_empty() {
        let kinds: Vec<String> = stats
            .by_kind
            .iter()
            .map(|(kind, k)| format!("{kind} {}/{}B", k.sent, k.bytes))
            .collect();
        line(&mut out, "by kind", &kinds.join("  "));
    }
    let faults = format!(
        "{} injected (crashes {}, restarts {})",
        stats.faults, stats.crashes, stats.restarts
    );
    line(&mut out, "faults", &faults);
    for (name, value) in &report.facts {
        line(&mut out, name, value);
    }
    if !report.goals.is_empty() {
        let goals: Vec<&str> = report.goals.iter().map(|g| g.name()).collect();
        line(&mut out, "reached", &goals.join(", "));
    }
    if !report.metrics.is_empty() {
        let metrics: Vec<String> = report
            .metrics
            .iter()
            .map(|(name, value)| format!("{name} {value}"))
            .collect();
        line(&mut out, "measured", &metrics.join(", "));
    }
    line(
        &mut out,
        "verdict",
        if report.passed() { "PASS" } else { "FAIL" },
    );
    line(&mut out, "trace", &format!("{:016x}", report.trace_hash));
    out.push_str(&failure_report(report, replay));
    out
}

fn messages(stats: &Stats) -> String {
    let reasons = [
        DropReason::Lost,
        DropReason::Partitioned,
        DropReason::NodeDown,
        DropReason::Corrupt,
        DropReason::Undecodable,
    ];
    let parts: Vec<String> = reasons
        .iter()
        .filter_map(|&reason| {
            let count = stats.dropped_for(reason);
            (count > 0).then(|| format!("{} {count}", reason.name()))
        })
        .collect();
    let breakdown = if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    };
    format!(
        "sent {}  delivered {}  dropped {}{breakdown}  duplicated {}  bytes {}",
        stats.sent,
        stats.delivered,
        stats.dropped_total(),
        stats.duplicated,
        stats.bytes_sent
    )
}

/// The failing check, seed, virtual time, what the run was doing, its last events (all, and
/// those of the nodes the violation names), the files it wrote, and the replay command.
/// Empty for a passing run.
pub fn failure_report(report: &RunReport, replay: &ReplayPrefix) -> String {
    let Some(failure) = &report.failure else {
        return String::new();
    };
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "\nFAILED check '{}' at t={} (seed {}, event {})",
        failure.check, failure.time, failure.seed, failure.events
    );
    for line in failure.message.lines() {
        let _ = writeln!(w, "  {line}");
    }
    let busy = [checks::STUCK, checks::LIVELOCK].contains(&failure.check);
    if busy && !failure.tail.activity.is_empty() {
        let _ = writeln!(w, "what the run was doing:");
        section(w, &failure.tail.activity);
    }
    if !failure.tail.lines.is_empty() {
        let _ = writeln!(w, "last {} events:", failure.tail.lines.len());
        section(w, &failure.tail.lines);
    }
    if !failure.tail.focus.is_empty() {
        let nodes: Vec<String> = failure.nodes.iter().map(|n| n.to_string()).collect();
        let _ = writeln!(
            w,
            "last {} events of {} (and of the whole network):",
            failure.tail.focus.len(),
            nodes.join(" ")
        );
        section(w, &failure.tail.focus);
    }
    if !report.artifacts.is_empty() {
        let _ = writeln!(w, "files:");
        for (what, path) in &report.artifacts {
            let _ = writeln!(w, "  {what}: {}", path.display());
        }
    }
    let _ = writeln!(w, "replay:\n  {}", replay.for_report(report));
    let _ = writeln!(w, "  (add --trace to see every event)");
    out
}

fn section(out: &mut String, lines: &[String]) {
    for line in lines {
        let _ = writeln!(out, "  {line}");
    }
}
