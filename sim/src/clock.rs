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
        let elapsed = i128::from(global.0 - self.base_global);
        let scaled = elapsed + elapsed * i128::from(self.drift_ppm) / MILLION;
        Time(self.base_local + scaled as u64)
    }

    /// The earliest global time at or after the base at which the local clock reads at
    /// least `local`.
    pub fn global(self, local: Time) -> Time {
        if local.0 <= self.base_local {
            return Time(self.base_global);
        }
        let wanted = i128::from(local.0 - self.base_local);
        let rate = MILLION + i128::from(self.drift_ppm);
        let mut g = self.base_global + ((wanted * MILLION + rate - 1) / rate) as u64;
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
    fn redrifting_never_runs_backwards() {
        let fast = Clock::with_drift_ppm(400_000);
        let before = fast.local(Time(1_000_000));
        let slow = fast.redrifted(Time(1_000_000), -400_000);
        assert_eq!(slow.local(Time(1_000_000)), before);
        assert!(slow.local(Time(1_000_001)) >= before);
        assert_eq!(slow.global(Time(0)), Time(1_000_000));
    }
}
