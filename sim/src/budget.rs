//! How much a run may take before it counts as stuck.
//!
//! A buggy protocol can keep a run busy forever: a leader and a follower that answer each
//! other's rejections at once, with no backoff, never let virtual time reach the scenario's
//! end. Every run therefore has budgets. The event and virtual-time budgets are part of the
//! determinism contract (the same seed fails `stuck` at the same event on any machine); the
//! wall-clock budget is a last resort for sweeps and is not (a loaded machine is slower), so a
//! run that hits it fails `timeout`, which sweeps count apart from failures.

use protocol_core::Time;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Events taken off the queue (stale timers included) before the run fails `stuck`.
    pub max_events: u64,
    /// Virtual time no event may pass: the run fails `stuck` instead.
    pub max_virtual: Time,
    /// Wall-clock time after which the run fails `timeout`; none by default.
    pub wall: Option<Duration>,
}

impl Budget {
    /// Generous for every scenario here: the largest course run takes about 3 M events and
    /// 120 virtual seconds (the course's time limit). A protocol that ping-pongs without
    /// backoff reaches 50 M events in well under a minute of wall time.
    pub const DEFAULT: Budget = Budget {
        max_events: 50_000_000,
        max_virtual: Time::from_secs(3_600),
        wall: None,
    };

    /// No limit at all: for long benchmarks that bound themselves.
    pub const UNLIMITED: Budget = Budget {
        max_events: u64::MAX,
        max_virtual: Time(u64::MAX),
        wall: None,
    };
}

impl Default for Budget {
    fn default() -> Self {
        Budget::DEFAULT
    }
}

/// How often (in events) the wall clock is read: reading it costs more than an event.
pub(crate) const WALL_CHECK_EVERY: u64 = 4_096;
