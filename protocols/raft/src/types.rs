//! Newtypes for the paper's counters.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An election term. Terms only grow.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Term(pub u64);

/// A position in the log; the first entry is at index 1, index 0 is "before the log".
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct LogIndex(pub u64);

impl Term {
    /// The largest term a peer may name (half the range), so that counting up from any term
    /// accepted never overflows.
    pub(crate) const LIMIT: Term = Term(u64::MAX / 2);

    pub const fn next(self) -> Term {
        Term(self.0 + 1)
    }
}

impl LogIndex {
    pub const ZERO: LogIndex = LogIndex(0);
    /// The largest index a peer may name (half the range), so that index arithmetic on
    /// anything accepted (one past the last, prev plus the entries sent) never overflows.
    pub(crate) const LIMIT: LogIndex = LogIndex(u64::MAX / 2);

    pub const fn next(self) -> LogIndex {
        LogIndex(self.0 + 1)
    }

    /// The index before this one; index 0 has none.
    pub fn prev(self) -> LogIndex {
        assert!(self.0 > 0, "index 0 has no predecessor");
        LogIndex(self.0 - 1)
    }

    pub const fn plus(self, count: u64) -> LogIndex {
        LogIndex(self.0 + count)
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for LogIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
