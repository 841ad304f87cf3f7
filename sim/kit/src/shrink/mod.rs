//! Shrinking a failing run: a smaller choice buffer that fails the *same* check.
//!
//! A run's choices are a byte buffer (see `protocol_core::choices`), and zeros are the quiet
//! choice, so a smaller buffer, or one with more zeros and lower bytes, is a quieter run:
//! fewer faults, shorter delays, first options. Two kinds of pass search it:
//!
//! - passes over the run's *data* (`spans.rs`): a labelled replay names what each byte was
//!   read for, so a pass can drop one fault (zero its keep mark), end clients' workloads
//!   earlier (zero an operation's keep mark), and lower the scenario's own draws (its shape:
//!   fewer servers or clients, dropping the seeds of the nodes that no longer exist);
//! - Hypothesis's passes over bytes (`bytes.rs`): delete spans of decreasing size, zero
//!   spans, lower single bytes, sort runs of bytes.
//!
//! The data passes' edits remove draws (a client ended, a node's seed deleted), which in one
//! shared buffer moves every later draw onto other bytes; `aligned.rs` first runs each edit
//! realigned, every other stream keeping its own draws, and offers the bytes that run read.
//!
//! A candidate is kept only if it fails the same check, is no bigger than the best run so
//! far (fewer faults, or as many and no more events: zero think times make busier runs, not
//! smaller ones), and is smaller in shortlex order (shorter, or as long and
//! lexicographically smaller), so the search always ends. Every data pass only zeros,
//! lowers or deletes bytes, so it keeps that order too.

use crate::family::ScenarioRef;
use crate::measure::{Elapsed, Stopwatch};
use crate::options::RunOptions;
use crate::report::RunReport;
use crate::runner::run_one;
use protocol_core::choices::{Choices, Labels};
use protocol_core::CheckId;
use sim::{checks, Budget};
use std::collections::BTreeMap;
use std::time::Duration;

mod aligned;
mod bytes;
mod spans;

/// How much a shrink may spend.
#[derive(Clone, Copy, Debug)]
pub struct ShrinkBudget {
    pub max_runs: usize,
    /// CPU time of the process (wall time where it cannot be read): the search is over once
    /// it runs out, and the result is still a failing run. CPU, so a busy machine does not
    /// cut the search short.
    pub max_time: Duration,
}

impl Default for ShrinkBudget {
    fn default() -> Self {
        ShrinkBudget {
            max_runs: 5_000,
            max_time: Duration::from_secs(50),
        }
    }
}

/// What a shrink found: the smallest failing buffer and its run, and what it cost.
pub struct Shrunk {
    pub bytes: Vec<u8>,
    pub report: RunReport,
    pub runs: usize,
    pub elapsed: Elapsed,
    /// How many candidates each pass had kept, by pass name.
    pub kept: BTreeMap<&'static str, usize>,
}

/// The search state: the best failing buffer so far and the budget left.
struct Search<'a> {
    scenario: ScenarioRef<'a>,
    options: RunOptions,
    check: CheckId,
    best: Vec<u8>,
    report: RunReport,
    runs: usize,
    budget: ShrinkBudget,
    started: Stopwatch,
    /// The passes work on the buffer's first `window` bytes: the earliest choices (the shape
    /// of the run, its fault plan) matter most, and a budget spent evenly over thousands of
    /// late network draws would never reach them. It doubles each round.
    window: usize,
    /// The pass running now, and how many candidates each pass kept.
    pass: &'static str,
    kept: BTreeMap<&'static str, usize>,
    /// The labels of a buffer (the best one, when it was last asked).
    labelled: Option<(Vec<u8>, Labels)>,
    /// Whether structural edits are also tried realigned (see `aligned.rs`).
    edits: Edits,
}

/// How the data passes turn a structural edit into candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edits {
    /// Realigned (every other stream keeps its draws), then raw if that differs.
    Aligned,
    /// Only the edited buffer as it is (as before realigned runs existed).
    Raw,
    /// Raw edits until they find nothing smaller, then realigned ones from that run with
    /// the budget left (the default). Realigned edits alone did better on some runs and much
    /// worse on others (README, Shrinking): started from where raw edits stop, they can only
    /// make the result smaller.
    RawThenAligned,
}

/// Shrinks `bytes`, a buffer on which `options` (its scenario, mutant, budget) fails with
/// `first`, toward a smaller buffer failing the same check. `None` if `first` passed.
pub fn shrink(
    scenario: ScenarioRef<'_>,
    options: &RunOptions,
    bytes: Vec<u8>,
    first: RunReport,
    budget: ShrinkBudget,
) -> Option<Shrunk> {
    shrink_with(
        scenario,
        options,
        bytes,
        first,
        budget,
        Edits::RawThenAligned,
    )
}

/// As [`shrink`], choosing how structural edits become candidates.
pub fn shrink_with(
    scenario: ScenarioRef<'_>,
    options: &RunOptions,
    bytes: Vec<u8>,
    first: RunReport,
    budget: ShrinkBudget,
    edits: Edits,
) -> Option<Shrunk> {
    let check = first.failure.as_ref()?.check;
    let mut options = options.clone();
    // A candidate that runs much longer than the original is no smaller: stop it early (it
    // then fails 'stuck', another check, and is dropped). A stuck original keeps its budget.
    if check != checks::STUCK {
        let cap = first.events.saturating_mul(2).max(10_000);
        options.budget = Budget {
            max_events: options.budget.max_events.min(cap),
            ..options.budget
        };
    }
    let mut search = Search {
        scenario,
        options,
        check,
        best: bytes,
        report: first,
        runs: 0,
        budget,
        started: Stopwatch::start(),
        window: 256,
        pass: "",
        kept: BTreeMap::new(),
        labelled: None,
        edits,
    };
    search.trim_zeros();
    let phases: &[Edits] = match edits {
        Edits::RawThenAligned => &[Edits::Raw, Edits::Aligned],
        Edits::Raw => &[Edits::Raw],
        Edits::Aligned => &[Edits::Aligned],
    };
    for &phase in phases {
        search.edits = phase;
        search.window = 256;
        search.converge();
    }
    Some(Shrunk {
        bytes: search.best,
        report: search.report,
        runs: search.runs,
        elapsed: search.started.elapsed(),
        kept: search.kept,
    })
}

/// Runs `bytes` on `scenario` as a buffer run of `options`.
pub fn run_buffer(scenario: ScenarioRef<'_>, options: &RunOptions, bytes: &[u8]) -> RunReport {
    let options = RunOptions {
        choices: Choices::buffer(bytes.to_vec()),
        ..options.clone()
    };
    run_one(scenario, &options)
}

/// As [`run_buffer`], with the report's `labels` saying what each draw read.
pub fn run_labelled(scenario: ScenarioRef<'_>, options: &RunOptions, bytes: &[u8]) -> RunReport {
    let options = RunOptions {
        choices: Choices::labelled(bytes.to_vec()),
        ..options.clone()
    };
    run_one(scenario, &options)
}

impl Search<'_> {
    /// Runs every pass in turn over a doubling window until a whole round over the whole
    /// buffer finds nothing smaller, or the budget runs out.
    fn converge(&mut self) {
        while !self.exhausted() {
            let before = self.best.clone();
            self.drop_faults();
            self.end_workloads();
            self.lower_shape();
            self.zero_spans();
            self.delete_spans();
            self.lower_bytes();
            self.sort_spans();
            if self.window >= self.best.len() && self.best == before {
                return;
            }
            self.window = self.window.saturating_mul(2);
        }
    }

    fn exhausted(&self) -> bool {
        let spent = self.started.elapsed();
        self.runs >= self.budget.max_runs || spent.cpu.unwrap_or(spent.wall) >= self.budget.max_time
    }

    /// Keeps `candidate` if it is smaller and fails the same check.
    fn try_candidate(&mut self, mut candidate: Vec<u8>) -> bool {
        trim_trailing_zeros(&mut candidate);
        if self.exhausted() || !shortlex_less(&candidate, &self.best) {
            return false;
        }
        self.runs += 1;
        let report = run_buffer(self.scenario, &self.options, &candidate);
        if self.no_bigger(&report) {
            self.keep(candidate, report, self.pass);
            return true;
        }
        false
    }

    /// Whether `report` fails the same check in a run no bigger than the best.
    fn no_bigger(&self, report: &RunReport) -> bool {
        let same = report
            .failure
            .as_ref()
            .is_some_and(|f| f.check == self.check);
        same && size(report) <= size(&self.report)
    }

    fn keep(&mut self, candidate: Vec<u8>, report: RunReport, pass: &'static str) {
        self.best = candidate;
        self.report = report;
        *self.kept.entry(pass).or_default() += 1;
    }
}

/// How big a run is to a reader: its faults first, then its events.
fn size(report: &RunReport) -> (u64, u64) {
    (report.stats.faults, report.events)
}

/// Drops the zeros at the end of a buffer: past its end every byte reads as zero anyway.
fn trim_trailing_zeros(bytes: &mut Vec<u8>) {
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
}

/// Shorter first, then lexicographically smaller: the order every kept candidate descends.
pub fn shortlex_less(a: &[u8], b: &[u8]) -> bool {
    (a.len(), a) < (b.len(), b)
}
