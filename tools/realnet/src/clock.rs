//! The driver's one look at the real clock.
//!
//! Cores see only `Time`; the real-world side needs real instants for timers, reconnect
//! backoff and the proxy's delays. Every read goes through here so that the exemption from the
//! workspace's ban on wall-clock reads (clippy.toml) sits in one place.

use std::time::Instant;

/// Now, by the monotonic clock. Not part of any deterministic run: realnet drives real
/// processes, whose timing is the real world's.
#[allow(clippy::disallowed_methods)]
pub fn now() -> Instant {
    Instant::now()
}

/// Milliseconds since the Unix epoch, by the wall clock: for log lines that several
/// processes write and a reader lines up, and for names no earlier run used.
#[allow(clippy::disallowed_methods)]
pub fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}
