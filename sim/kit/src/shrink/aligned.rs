//! Structural edits as candidates. Zeroing a keep mark, lowering the scenario's shape or
//! deleting the seeds of nodes no longer made removes draws, and in one shared buffer every
//! later draw of every stream then reads other bytes: the run changes wholesale and rarely
//! fails the same way. So an edit is first tried *realigned* (see
//! `protocol_core::choices::Choices::realigned`): every stream answers from its own old
//! draws, in order, and the bytes the run read are the candidate. The raw edit is tried
//! too when it is a different buffer, as some runs shrink better that way.

use super::{shortlex_less, trim_trailing_zeros, Edits, Search};
use crate::options::RunOptions;
use crate::runner::run_one;
use protocol_core::choices::{Choices, Draws, Span};

impl Search<'_> {
    /// Tries the best buffer with `edited` values (the same length) and the spans `deleted`
    /// gone: realigned, then raw. The labels of the best buffer must be current.
    pub(super) fn try_edit(&mut self, edited: Vec<u8>, deleted: &[Span]) -> bool {
        assert_eq!(
            edited.len(),
            self.best.len(),
            "an edit keeps every byte in place"
        );
        let mut raw = edited.clone();
        // From the back, so the ranges before each deletion stay where they were.
        let mut gone = deleted.to_vec();
        gone.sort_by_key(|s| s.start);
        for span in gone.iter().rev() {
            raw.drain(span.range());
        }
        trim_trailing_zeros(&mut raw);
        match self.try_realigned(&edited, deleted) {
            Aligned::Kept => true,
            Aligned::Rejected(bytes) if bytes == raw => false,
            Aligned::Rejected(_) | Aligned::NotRun => self.try_candidate(raw),
        }
    }

    /// Runs the edit realigned once; keeps what it read if that is a smaller failing run.
    fn try_realigned(&mut self, edited: &[u8], deleted: &[Span]) -> Aligned {
        let Some((bytes, labels)) = &self.labelled else {
            return Aligned::NotRun;
        };
        if *bytes != self.best || self.exhausted() || self.edits == Edits::Raw {
            return Aligned::NotRun;
        }
        let draws = Draws::from_labels(labels, &self.best, edited, |s| deleted.contains(s));
        self.runs += 1;
        let options = RunOptions {
            choices: Choices::realigned(draws),
            ..self.options.clone()
        };
        let mut report = run_one(self.scenario, &options);
        let mut candidate = report.recorded.take().unwrap_or_default();
        trim_trailing_zeros(&mut candidate);
        // A buffer run of `candidate` is this run, labelled only inside the buffer.
        let labels = report.labels.take().map(|mut labels| {
            labels
                .spans
                .retain(|s| (s.start as usize) < candidate.len());
            labels
        });
        if !shortlex_less(&candidate, &self.best) || !self.no_bigger(&report) {
            return Aligned::Rejected(candidate);
        }
        self.keep(candidate.clone(), report, aligned_name(self.pass));
        self.labelled = labels.map(|labels| (candidate, labels));
        Aligned::Kept
    }
}

/// What a realigned try did.
enum Aligned {
    Kept,
    /// It ran and read these bytes, which were not kept.
    Rejected(Vec<u8>),
    /// It could not run (no current labels, or no budget).
    NotRun,
}

/// The name a pass's realigned candidates are counted under.
fn aligned_name(pass: &'static str) -> &'static str {
    match pass {
        "drop-faults" => "drop-faults/aligned",
        "end-workloads" => "end-workloads/aligned",
        "lower-shape" => "lower-shape/aligned",
        _ => "aligned",
    }
}
