//! How runs are shown: one screen of summary, and failures a person can act on.

use crate::outcome::RunReport;
use crate::runner::SweepResult;
use sim::stats::DropReason;
use std::fmt::Write;

/// The command that replays one run exactly.
pub fn replay_command(scenario: &str, seed: u64, mutant: Option<&str>) -> String {
    let mut command =
        format!("cargo run --release --bin sim -- --seed {seed} --scenario {scenario}");
    if let Some(mutant) = mutant {
        write!(command, " --mutant {mutant}").expect("writing to a String cannot fail");
    }
    command
}

/// One screen: what ran, what happened, the verdict, and the trace hash.
pub fn summary(report: &RunReport) -> String {
    let mut out = String::new();
    let stats = &report.stats;
    let line = |out: &mut String, label: &str, value: String| {
        writeln!(out, "{label:<10} {value}").expect("writing to a String cannot fail");
    };
    line(&mut out, "scenario", report.scenario.to_string());
    line(&mut out, "seed", report.seed.to_string());
    if let Some(mutant) = &report.mutant {
        line(&mut out, "mutant", mutant.clone());
    }
    line(
        &mut out,
        "virtual",
        format!(
            "{} ({} events)",
            report.virtual_time.display_secs(),
            report.steps
        ),
    );
    line(
        &mut out,
        "messages",
        format!(
            "sent {}  delivered {}  dropped {}{}  duplicated {}  bytes {}",
            stats.sent,
            stats.delivered,
            stats.dropped_total(),
            drop_breakdown(report),
            stats.duplicated,
            stats.bytes_sent
        ),
    );
    if !stats.by_kind.is_empty() {
        let kinds: Vec<String> = stats
            .by_kind
            .iter()
            .map(|(kind, k)| format!("{kind} {}/{}B", k.sent, k.bytes))
            .collect();
        line(&mut out, "by kind", kinds.join("  "));
    }
    line(
        &mut out,
        "faults",
        format!(
            "{} injected (crashes {}, restarts {})",
            stats.faults, stats.crashes, stats.restarts
        ),
    );
    for note in &report.notes {
        line(&mut out, "note", note.clone());
    }
    let verdict = if report.passed() { "PASS" } else { "FAIL" };
    line(&mut out, "verdict", verdict.to_string());
    line(&mut out, "trace", format!("{:016x}", report.trace_hash));
    if !report.passed() {
        out.push_str(&failure_report(report));
    }
    out
}

fn drop_breakdown(report: &RunReport) -> String {
    let parts: Vec<String> = [
        DropReason::Lost,
        DropReason::Partitioned,
        DropReason::NodeDown,
        DropReason::Corrupt,
        DropReason::Undecodable,
    ]
    .iter()
    .filter_map(|&reason| {
        let count = report.stats.dropped_for(reason);
        (count > 0).then(|| format!("{} {count}", reason.name()))
    })
    .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// The failing check, seed, virtual time, the last events and the replay command.
pub fn failure_report(report: &RunReport) -> String {
    let Some(failure) = &report.failure else {
        return String::new();
    };
    let mut out = format!(
        "\nFAILED check '{}' at t={} (seed {})\n",
        failure.check, failure.time, failure.seed
    );
    out += &format!("  {}\n", failure.message);
    if !failure.tail.is_empty() {
        out += &format!("last {} events:\n", failure.tail.len());
        for event in &failure.tail {
            out += &format!("  {event}\n");
        }
    }
    out += &format!(
        "replay:\n  {}\n",
        replay_command(report.scenario, report.seed, report.mutant.as_deref())
    );
    out += "  (add --trace to see every event)\n";
    out
}

/// One line per failed seed of a sweep.
pub fn sweep_failure_line(result: &SweepResult, mutant: Option<&str>) -> String {
    let failure = result
        .failure
        .as_ref()
        .map(|f| format!("{} at t={}: {}", f.check, f.time, f.message));
    format!(
        "FAIL {} seed {}: {}\n  replay: {}",
        result.scenario,
        result.seed,
        failure.unwrap_or_default(),
        replay_command(result.scenario, result.seed, mutant)
    )
}
