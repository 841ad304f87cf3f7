//! Wall time, CPU time and peak memory of this process, for benchmarks and sweep summaries.
//!
//! This is the one place outside the checker's budget that reads the wall clock: it measures
//! the simulator from outside and never feeds a simulation.

use std::time::{Duration, Instant};

/// A point to measure from.
pub struct Stopwatch {
    wall: Instant,
    cpu: Option<Duration>,
}

/// What passed since a [`Stopwatch`] started.
#[derive(Clone, Copy, Debug)]
pub struct Elapsed {
    pub wall: Duration,
    /// User plus system CPU time of the whole process (all threads), where /proc tells it.
    pub cpu: Option<Duration>,
}

impl Stopwatch {
    #[allow(clippy::disallowed_methods)] // measuring the simulator from outside, see module doc
    pub fn start() -> Stopwatch {
        Stopwatch {
            wall: Instant::now(),
            cpu: process_cpu_time(),
        }
    }

    pub fn elapsed(&self) -> Elapsed {
        let cpu = match (self.cpu, process_cpu_time()) {
            (Some(before), Some(now)) => Some(now.saturating_sub(before)),
            _ => None,
        };
        Elapsed {
            wall: self.wall.elapsed(),
            cpu,
        }
    }
}

impl Elapsed {
    pub fn describe(&self) -> String {
        let cpu = self.cpu.map_or("cpu n/a".to_string(), |cpu| {
            format!("{:.2} CPU-s", cpu.as_secs_f64())
        });
        format!("{:.2} s wall, {cpu}", self.wall.as_secs_f64())
    }
}

/// User + system time of this process from `/proc/self/stat` (Linux), in clock ticks of
/// 1/100 s, the kernel's USER_HZ on every mainstream Linux.
pub fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// CPU time the calling thread has run (`CLOCK_THREAD_CPUTIME_ID`, exact to the
/// nanosecond, where schedstat lags by a scheduler tick): what one run of a sweep cost,
/// whatever else the process does meanwhile.
#[cfg(unix)]
pub fn thread_cpu_time() -> Option<Duration> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a pointer to a live local.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if status != 0 {
        return None;
    }
    let secs = u64::try_from(now.tv_sec).ok()?;
    let nanos = u32::try_from(now.tv_nsec).ok()?;
    Some(Duration::new(secs, nanos))
}

#[cfg(not(unix))]
pub fn thread_cpu_time() -> Option<Duration> {
    None
}

/// Peak resident memory of this process in KiB (`VmHWM`), where /proc tells it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Current resident memory of this process in KiB (`VmRSS`).
pub fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_readings_parse_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(process_cpu_time().is_some());
            let before = thread_cpu_time().expect("schedstat on linux");
            let spin: u64 = (0..2_000_000u64).map(std::hint::black_box).sum();
            assert!(spin > 0);
            assert!(
                thread_cpu_time().expect("schedstat") > before,
                "the thread ran"
            );
            assert!(peak_rss_kib().is_some_and(|kib| kib > 0));
            assert!(rss_kib().is_some_and(|kib| kib > 0));
        }
    }
}
