//! Shrinking a failing run: a smaller choice buffer that fails the *same* check.
//!
//! A run's choices are a byte buffer (see `protocol_core::choices`), and zeros are the quiet
//! choice, so a smaller buffer, or one with more zeros and lower bytes, is a quieter run:
//! fewer faults, shorter delays, first options. The passes are Hypothesis's, over bytes:
//! delete spans of decreasing size, zero spans, lower single bytes, sort runs of bytes. A
//! candidate is kept only if it fails the same check, is no bigger than the best run so far
//! (fewer faults, or as many and no more events: zero think times make busier runs, not
//! smaller ones), and is smaller in shortlex
//! order (shorter, or as long and lexicographically smaller), so the search always ends.

use crate::family::ScenarioRef;
use crate::measure::{Elapsed, Stopwatch};
use crate::options::RunOptions;
use crate::report::RunReport;
use crate::runner::run_one;
use protocol_core::choices::Choices;
use protocol_core::CheckId;
use sim::{checks, Budget};
use std::time::Duration;

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
    };
    search.trim_zeros();
    loop {
        let before = search.best.clone();
        search.zero_spans();
        search.delete_spans();
        search.lower_bytes();
        search.sort_spans();
        let whole = search.window >= search.best.len();
        if (whole && search.best == before) || search.exhausted() {
            break;
        }
        search.window *= 2;
    }
    Some(Shrunk {
        bytes: search.best,
        report: search.report,
        runs: search.runs,
        elapsed: search.started.elapsed(),
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

impl Search<'_> {
    fn end(&self) -> usize {
        self.best.len().min(self.window)
    }

    fn exhausted(&self) -> bool {
        let spent = self.started.elapsed();
        self.runs >= self.budget.max_runs || spent.cpu.unwrap_or(spent.wall) >= self.budget.max_time
    }

    /// Keeps `candidate` if it is smaller and fails the same check.
    fn try_candidate(&mut self, mut candidate: Vec<u8>) -> bool {
        while candidate.last() == Some(&0) {
            candidate.pop();
        }
        if self.exhausted() || !shortlex_less(&candidate, &self.best) {
            return false;
        }
        self.runs += 1;
        let report = run_buffer(self.scenario, &self.options, &candidate);
        let same = report
            .failure
            .as_ref()
            .is_some_and(|f| f.check == self.check);
        if same && size(&report) <= size(&self.report) {
            self.best = candidate;
            self.report = report;
            return true;
        }
        false
    }

    /// Trailing zeros read the same as the end of the buffer.
    fn trim_zeros(&mut self) {
        while self.best.last() == Some(&0) {
            self.best.pop();
        }
    }

    /// Deletes spans, halving their size down to one byte, walking back from the end (late
    /// choices are the likeliest to be unused once earlier ones are quieter).
    fn delete_spans(&mut self) {
        let mut size = (self.end() / 2).max(1);
        while size >= 1 && !self.exhausted() {
            let mut at = self.end().saturating_sub(size);
            loop {
                // A kept deletion (and the zeros trimmed after it) may end the buffer before `at`.
                let start = at.min(self.best.len());
                let end = (start + size).min(self.best.len());
                if start < end {
                    let mut candidate = self.best.clone();
                    candidate.drain(start..end);
                    self.try_candidate(candidate);
                }
                if at == 0 || self.exhausted() {
                    break;
                }
                at = at.saturating_sub(size);
            }
            size /= 2;
        }
    }

    /// Zeros spans that are not zero yet, largest first.
    fn zero_spans(&mut self) {
        let mut size = (self.end() / 2).max(1);
        while size >= 1 && !self.exhausted() {
            let mut at = 0;
            while at < self.end() && !self.exhausted() {
                let end = (at + size).min(self.end());
                if self.best[at..end].iter().any(|&b| b != 0) {
                    let mut candidate = self.best.clone();
                    candidate[at..end].fill(0);
                    self.try_candidate(candidate);
                }
                at += size;
            }
            size /= 2;
        }
    }

    /// Lowers each nonzero byte: to zero, else by halves.
    fn lower_bytes(&mut self) {
        let mut at = 0;
        while at < self.end() && !self.exhausted() {
            let byte = self.best[at];
            for lower in [0, byte / 2, byte.saturating_sub(1)] {
                if lower < byte {
                    let mut candidate = self.best.clone();
                    candidate[at] = lower;
                    if self.try_candidate(candidate) {
                        break;
                    }
                }
            }
            at += 1;
        }
    }

    /// Sorts short runs of bytes ascending (small choices first), Hypothesis's "sort-ish".
    fn sort_spans(&mut self) {
        let size = 8;
        let mut at = 0;
        while at + 1 < self.end() && !self.exhausted() {
            let end = (at + size).min(self.end());
            let mut candidate = self.best.clone();
            candidate[at..end].sort_unstable();
            self.try_candidate(candidate);
            at += size;
        }
    }
}

/// How big a run is to a reader: its faults first, then its events.
fn size(report: &RunReport) -> (u64, u64) {
    (report.stats.faults, report.events)
}

/// Shorter first, then lexicographically smaller: the order every kept candidate descends.
pub fn shortlex_less(a: &[u8], b: &[u8]) -> bool {
    (a.len(), a) < (b.len(), b)
}
