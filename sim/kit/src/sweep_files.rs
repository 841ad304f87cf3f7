//! A sweep's results as text, JSON lines (one record per run) and JUnit XML (a test case per
//! failing seed and a summary case), so that CI systems and batch jobs read them natively.

use crate::measure::Elapsed;
use crate::runner::{sweep_digest, SweepResult};
use crate::seeds::Partition;
use serde_json::json;
use std::fmt::Write as _;
use std::io::Write;
use std::ops::Range;
use std::path::Path;

/// What a sweep was asked to do, and how long it took.
pub struct SweepSummary {
    pub pattern: String,
    /// The seeds this sweep ran (its partition's slice, if it had one).
    pub seeds: Range<u64>,
    pub partition: Option<Partition>,
    pub mutant: Option<String>,
    pub scenarios: u64,
    pub jobs: u64,
    pub elapsed: Elapsed,
}

/// Runs by verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub runs: usize,
    pub passed: usize,
    pub failed: usize,
    pub timed_out: usize,
}

impl Counts {
    pub fn of(results: &[SweepResult]) -> Counts {
        let failed = results.iter().filter(|r| r.failed()).count();
        let timed_out = results.iter().filter(|r| r.timed_out()).count();
        Counts {
            runs: results.len(),
            passed: results.len() - failed - timed_out,
            failed,
            timed_out,
        }
    }
}

impl SweepSummary {
    /// `sweep raft-* seeds 1..201: 4600 runs, 4600 passed, 0 failed, 0 timed out, digest …`.
    pub fn line(&self, results: &[SweepResult], total: u64) -> String {
        let c = Counts::of(results);
        let mut line = format!(
            "sweep {} seeds {}..{}",
            self.pattern, self.seeds.start, self.seeds.end
        );
        if let Some(partition) = self.partition {
            let _ = write!(line, " (partition {partition})");
        }
        let _ = write!(
            line,
            ": {} runs, {} passed, {} failed, {} timed out, digest {:016x} ({}, {} jobs)",
            c.runs,
            c.passed,
            c.failed,
            c.timed_out,
            sweep_digest(results),
            self.elapsed.describe(),
            self.jobs
        );
        if (c.runs as u64) < total {
            let _ = write!(
                line,
                " [stopped by the time budget: {} of {total} runs]",
                c.runs
            );
        }
        line
    }

    /// For a sweep the time budget cut short: how far it got and how to go on.
    pub fn budget_note(&self, results: &[SweepResult], total: u64) -> Option<String> {
        if results.len() as u64 >= total {
            return None;
        }
        // Runs start seed by seed across scenarios, so the runs made are a prefix.
        let complete = results.len() as u64 / self.scenarios.max(1);
        let reached = self.seeds.start + complete;
        Some(format!(
            "time budget spent: every scenario ran seeds {}..{reached}; resume with --seeds {reached}..{}",
            self.seeds.start, self.seeds.end
        ))
    }
}

/// One JSON object per run, a line each, in (scenario, seed) order: scenario, seed, mutant,
/// verdict (`pass`, `fail`, `timeout`), check and message (failures), virtual time in
/// microseconds, events, CPU seconds. `-` writes to standard output.
pub fn write_json(
    path: &Path,
    results: &[SweepResult],
    mutant: Option<&str>,
) -> std::io::Result<()> {
    let mut out: Box<dyn Write> = if path.as_os_str() == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        create_parent(path)?;
        Box::new(std::io::BufWriter::new(std::fs::File::create(path)?))
    };
    for r in results {
        let failure = r.failure.as_ref();
        let record = json!({
            "scenario": r.scenario,
            "seed": r.seed,
            "mutant": mutant,
            "verdict": r.verdict(),
            "check": failure.map(|f| f.check.to_string()),
            "message": failure.map(|f| f.message.lines().next().unwrap_or_default().to_string()),
            "virtual_us": r.virtual_time.as_micros(),
            "events": r.events,
            "cpu_secs": r.cpu.map(|cpu| cpu.as_secs_f64()),
        });
        writeln!(out, "{record}")?;
    }
    out.flush()
}

/// JUnit XML: a test case per failing seed (its failure names the check, the message, the
/// replay command and the corpus line), a skipped case per run that timed out, and a summary
/// case carrying the summary line. `details[i]` is the text for `results[i]`.
pub fn write_junit(
    path: &Path,
    summary: &SweepSummary,
    results: &[SweepResult],
    details: &[String],
    total: u64,
) -> std::io::Result<()> {
    let c = Counts::of(results);
    let wall = summary.elapsed.wall.as_secs_f64();
    let mut name = format!(
        "sim sweep {} seeds {}..{}",
        summary.pattern, summary.seeds.start, summary.seeds.end
    );
    if let Some(partition) = summary.partition {
        let _ = write!(name, " partition {partition}");
    }
    if let Some(mutant) = &summary.mutant {
        let _ = write!(name, " mutant {mutant}");
    }
    let cases = c.failed + c.timed_out + 1;
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"sim sweep\" tests=\"{cases}\" failures=\"{}\" skipped=\"{}\" time=\"{wall:.3}\">",
        c.failed, c.timed_out
    );
    let _ = writeln!(
        xml,
        "  <testsuite name=\"{}\" tests=\"{cases}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{wall:.3}\">",
        escape(&name),
        c.failed,
        c.timed_out
    );
    for (r, detail) in results.iter().zip(details) {
        let Some(failure) = &r.failure else { continue };
        let cpu = r.cpu.map_or(0.0, |cpu| cpu.as_secs_f64());
        let _ = writeln!(
            xml,
            "    <testcase classname=\"sim.sweep.{}\" name=\"seed {}\" time=\"{cpu:.3}\">",
            escape(r.scenario),
            r.seed
        );
        let first = failure.message.lines().next().unwrap_or_default();
        let element = if r.timed_out() { "skipped" } else { "failure" };
        let _ = writeln!(
            xml,
            "      <{element} type=\"{}\" message=\"{}\">{}</{element}>\n    </testcase>",
            escape(&failure.check.to_string()),
            escape(first),
            escape(detail)
        );
    }
    let line = summary.line(results, total);
    let _ = writeln!(
        xml,
        "    <testcase classname=\"sim.sweep\" name=\"summary: {} runs, {} passed, {} failed, {} timed out\" time=\"{wall:.3}\">\n      <system-out>{}</system-out>\n    </testcase>\n  </testsuite>\n</testsuites>",
        c.runs,
        c.passed,
        c.failed,
        c.timed_out,
        escape(&line)
    );
    create_parent(path)?;
    std::fs::write(path, xml)
}

fn create_parent(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => std::fs::create_dir_all(dir),
        None => Ok(()),
    }
}

/// Text for XML attributes and elements; characters XML 1.0 cannot hold become `?`.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\n' | '\t' => escaped.push(c),
            c if (c as u32) < 0x20 => escaped.push('?'),
            c => escaped.push(c),
        }
    }
    escaped
}
