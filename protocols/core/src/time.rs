//! Virtual time: microseconds since the start of a run.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A point in time, in microseconds. Fine enough for sub-millisecond network delays; a `u64`
/// lasts 584 000 years, so no run overflows it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Time(pub u64);

impl Time {
    pub const ZERO: Time = Time(0);

    pub const fn from_ms(ms: u64) -> Time {
        Time(ms * 1_000)
    }

    pub const fn from_secs(secs: u64) -> Time {
        Time(secs * 1_000_000)
    }

    pub const fn as_micros(self) -> u64 {
        self.0
    }

    pub const fn as_ms(self) -> u64 {
        self.0 / 1_000
    }

    pub const fn plus_micros(self, micros: u64) -> Time {
        Time(self.0 + micros)
    }

    pub const fn plus_ms(self, ms: u64) -> Time {
        Time(self.0 + ms * 1_000)
    }

    /// Seconds with millisecond precision, `36000.125s`, for summaries of long runs.
    pub fn display_secs(self) -> String {
        format!("{}.{:03}s", self.0 / 1_000_000, (self.0 / 1_000) % 1_000)
    }

    /// Microseconds from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn micros_since(self, earlier: Time) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for Time {
    /// Milliseconds with three decimals: `1520.250ms` reads better in a trace than micros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}ms", self.0 / 1_000, self.0 % 1_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_milliseconds_with_micros() {
        assert_eq!(Time(1_520_250).to_string(), "1520.250ms");
        assert_eq!(Time::from_ms(3).to_string(), "3.000ms");
        assert_eq!(Time(36_000_125_999).display_secs(), "36000.125s");
    }

    #[test]
    fn micros_since_saturates() {
        assert_eq!(Time(5).micros_since(Time(9)), 0);
        assert_eq!(Time(9).micros_since(Time(5)), 4);
    }
}
