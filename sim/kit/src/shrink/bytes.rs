//! The passes over bytes, Hypothesis's: delete spans of decreasing size, zero spans, lower
//! single bytes, sort short runs. They know nothing of what the bytes mean, and work on the
//! buffer's first `window` bytes (see [`Search::window`]).

use super::Search;

impl Search<'_> {
    fn end(&self) -> usize {
        self.best.len().min(self.window)
    }

    /// Trailing zeros read the same as the end of the buffer.
    pub(super) fn trim_zeros(&mut self) {
        super::trim_trailing_zeros(&mut self.best);
    }

    /// Deletes spans, halving their size down to one byte, walking back from the end (late
    /// choices are the likeliest to be unused once earlier ones are quieter).
    pub(super) fn delete_spans(&mut self) {
        self.pass = "delete-bytes";
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
    pub(super) fn zero_spans(&mut self) {
        self.pass = "zero-bytes";
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
    pub(super) fn lower_bytes(&mut self) {
        self.pass = "lower-bytes";
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
    pub(super) fn sort_spans(&mut self) {
        self.pass = "sort-bytes";
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
