//! Per-node clocks that drift from virtual time within a bound.

use protocol_core::Time;

const MILLION: i128 = 1_000_000;

/// A node's local clock: from its base point on, local time advances `1 + ppm / 10^6` times
/// as fast as global time. A node whose clock runs fast fires its timers early in global
/// time, as a real node with a fast oscillator would. Changing the drift rebases the clock at
/// the current instant, so local time never runs backwards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    drift_ppm: i32,
    base_global: u64,
    base_local: u64,
}

impl Clock {
    /// Drift beyond ±50% would no longer be a clock, it would be a different protocol.
    pub const MAX_DRIFT_PPM: i32 = 500_000;

    pub fn with_drift_ppm(drift_ppm: i32) -> Clock {
        Clock::default().redrifted(Time::ZERO, drift_ppm)
    }

    /// The same clock, running at `drift_ppm` from global time `now` on.
    pub fn redrifted(self, now: Time, drift_ppm: i32) -> Clock {
        assert!(
            drift_ppm.abs() <= Self::MAX_DRIFT_PPM,
            "drift {drift_ppm} ppm out of bounds"
        );
        assert!(now.0 >= self.base_global, "rebasing into the past");
        Clock {
            drift_ppm,
            base_global: now.0,
            base_local: self.local(now).0,
        }
    }

    pub fn drift_ppm(self) -> i32 {
        self.drift_ppm
    }

    pub fn local(self, global: Time) -> Time {
        assert!(global.0 >= self.base_global, "clock read before its base");
        Time(self.base_local + drifted(global.0 - self.base_global, self.drift_ppm))
    }

    /// The earliest global time at or after the base at which the local clock reads at
    /// least `local`.
    pub fn global(self, local: Time) -> Time {
        if local.0 <= self.base_local {
            return Time(self.base_global);
        }
        let mut g = self.base_global + undrifted(local.0 - self.base_local, self.drift_ppm);
        while self.local(Time(g)) < local {
            g += 1;
        }
        while g > self.base_global && self.local(Time(g - 1)) >= local {
            g -= 1;
        }
        assert!(self.local(Time(g)) >= local, "clock inverse below target");
        Time(g)
    }
}

// Every timer and delivery converts a time, so these two run on every event: 64-bit
// arithmetic while the product fits (any run shorter than ~200 virtual days), 128-bit beyond,
// with the same rounding either way.

/// `elapsed` global microseconds in local ones: `elapsed + elapsed * ppm / 10^6`, rounded
/// toward zero.
fn drifted(elapsed: u64, ppm: i32) -> u64 {
    if ppm == 0 {
        return elapsed;
    }
    let narrow = i64::try_from(elapsed)
        .ok()
        .and_then(|e| e.checked_mul(i64::from(ppm)).map(|p| (e, p)));
    match narrow {
        Some((e, product)) => (e + product / MILLION as i64) as u64,
        None => drifted_wide(elapsed, ppm),
    }
}

fn drifted_wide(elapsed: u64, ppm: i32) -> u64 {
    let elapsed = i128::from(elapsed);
    (elapsed + elapsed * i128::from(ppm) / MILLION) as u64
}

/// A first guess at the global microseconds that `wanted` local ones take: `wanted * 10^6 /
/// (10^6 + ppm)`, rounded up (the caller corrects it to the least inverse).
fn undrifted(wanted: u64, ppm: i32) -> u64 {
    if ppm == 0 {
        return wanted;
    }
    let rate = MILLION as i64 + i64::from(ppm);
    let narrow = i64::try_from(wanted)
        .ok()
        .and_then(|w| w.checked_mul(MILLION as i64))
        .and_then(|scaled| scaled.checked_add(rate - 1));
    match narrow {
        Some(numerator) => (numerator / rate) as u64,
        None => undrifted_wide(wanted, ppm),
    }
}

fn undrifted_wide(wanted: u64, ppm: i32) -> u64 {
    let rate = MILLION + i128::from(ppm);
    ((i128::from(wanted) * MILLION + rate - 1) / rate) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_drift_is_identity() {
        let clock = Clock::default();
        assert_eq!(clock.local(Time(12_345)), Time(12_345));
        assert_eq!(clock.global(Time(12_345)), Time(12_345));
    }

    #[test]
    fn fast_clock_reaches_deadlines_early() {
        let fast = Clock::with_drift_ppm(100_000);
        assert_eq!(fast.local(Time(1_000_000)), Time(1_100_000));
        assert!(fast.global(Time(1_100_000)) <= Time(1_000_000));
        let slow = Clock::with_drift_ppm(-100_000);
        assert!(slow.global(Time(900_000)) >= Time(999_999));
    }

    #[test]
    fn global_is_the_least_inverse() {
        for ppm in [-300_000, -7, 0, 13, 250_000] {
            let clock = Clock::with_drift_ppm(ppm);
            for local in [0u64, 1, 999, 1_000_003, 77_777_777] {
                let g = clock.global(Time(local));
                assert!(clock.local(g) >= Time(local));
                if g.0 > 0 {
                    assert!(clock.local(Time(g.0 - 1)) < Time(local));
                }
            }
        }
    }

    #[test]
    fn narrow_arithmetic_rounds_as_wide_does() {
        let ppms = [-500_000, -300_001, -7, -1, 1, 13, 250_000, 499_999, 500_000];
        let times = [
            0u64,
            1,
            999,
            1_000_003,
            77_777_777,
            9_223_372_036_854,
            u64::MAX / 4,
        ];
        for ppm in ppms {
            for t in times.into_iter().chain((0..2_000).map(|i| i * 7_919 + 3)) {
                assert_eq!(
                    drifted(t, ppm),
                    drifted_wide(t, ppm),
                    "drifted {t} at {ppm}"
                );
                assert_eq!(
                    undrifted(t, ppm),
                    undrifted_wide(t, ppm),
                    "undrifted {t} at {ppm}"
                );
            }
        }
    }

    #[test]
    fn redrifting_never_runs_backwards() {
        let fast = Clock::with_drift_ppm(400_000);
        let before = fast.local(Time(1_000_000));
        let slow = fast.redrifted(Time(1_000_000), -400_000);
        assert_eq!(slow.local(Time(1_000_000)), before);
        assert!(slow.local(Time(1_000_001)) >= before);
        assert_eq!(slow.global(Time(0)), Time(1_000_000));
    }
}
