//! A sweep's progress bar: runs done, rate and time left, redrawn in place on a terminal at
//! most a few times a second; nothing when stderr is not a terminal (CI logs, batch jobs).
//! Failures are printed above the bar as they happen.

use crate::measure::Stopwatch;
use crate::runner::SweepResult;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

const REDRAW_EVERY: Duration = Duration::from_millis(200);
const BAR_WIDTH: usize = 24;

pub struct Progress {
    total: u64,
    budget: Option<Duration>,
    done: AtomicU64,
    failed: AtomicU64,
    /// When the bar was last drawn; also serialises drawing.
    drawn: Mutex<Option<Duration>>,
    stopwatch: Stopwatch,
    on_terminal: bool,
}

impl Progress {
    /// A bar for `total` runs (and a time budget, if any) on stderr, drawn only if stderr
    /// is a terminal.
    pub fn on_stderr(total: u64, budget: Option<Duration>) -> Progress {
        Progress {
            total,
            budget,
            done: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            drawn: Mutex::new(None),
            stopwatch: Stopwatch::start(),
            on_terminal: std::io::stderr().is_terminal(),
        }
    }

    /// A run finished.
    pub fn finished(&self, result: &SweepResult) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if result.failure.is_some() {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        if !self.on_terminal {
            return;
        }
        let elapsed = self.stopwatch.elapsed().wall;
        // A poisoned lock means a drawing thread panicked: a bug here, not in a run.
        let mut drawn = self.drawn.lock().expect("progress lock");
        let mut err = std::io::stderr().lock();
        if let Some(failure) = &result.failure {
            let _ = writeln!(
                err,
                "\r\x1b[K  {} {} seed {}: {}",
                result.verdict().to_uppercase(),
                result.scenario,
                result.seed,
                failure.check
            );
        }
        let due = drawn.is_none_or(|at| elapsed >= at + REDRAW_EVERY);
        if due || done == self.total || result.failure.is_some() {
            let _ = write!(err, "\r\x1b[K{}", self.bar(done, elapsed));
            let _ = err.flush();
            *drawn = Some(elapsed);
        }
    }

    /// Removes the bar before the summary is printed.
    pub fn clear(&self) {
        if self.on_terminal {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
        }
    }

    /// `[#######.........]  1200/5000 runs  41.3 runs/s  ETA 1m32s  2 failed`.
    fn bar(&self, done: u64, elapsed: Duration) -> String {
        let filled = (done as usize * BAR_WIDTH)
            .checked_div(self.total as usize)
            .unwrap_or(BAR_WIDTH);
        let rate = done as f64 / elapsed.as_secs_f64().max(1e-3);
        let mut left = (self.total - done) as f64 / rate.max(1e-9);
        if let Some(budget) = self.budget {
            left = left.min(budget.saturating_sub(elapsed).as_secs_f64());
        }
        format!(
            "[{}{}] {done}/{} runs  {rate:.1} runs/s  ETA {}  {} failed",
            "#".repeat(filled),
            ".".repeat(BAR_WIDTH - filled),
            self.total,
            clock(left),
            self.failed.load(Ordering::Relaxed)
        )
    }
}

/// `1h02m`, `3m07s`, `12s`.
fn clock(secs: f64) -> String {
    let secs = secs.max(0.0).round() as u64;
    match (secs / 3600, secs % 3600 / 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_shows_count_rate_and_time_left() {
        let progress = Progress {
            on_terminal: false,
            ..Progress::on_stderr(100, None)
        };
        let bar = progress.bar(25, Duration::from_secs(5));
        assert!(
            bar.starts_with("[######..................] 25/100 runs"),
            "{bar}"
        );
        assert!(bar.contains("5.0 runs/s"), "{bar}");
        assert!(bar.contains("ETA 15s"), "{bar}");
        let budgeted = Progress {
            on_terminal: false,
            ..Progress::on_stderr(100, Some(Duration::from_secs(8)))
        };
        let bar = budgeted.bar(25, Duration::from_secs(5));
        assert!(bar.contains("ETA 3s"), "a budget caps the time left: {bar}");
        assert_eq!(clock(3725.0), "1h02m");
        assert_eq!(clock(187.0), "3m07s");
    }
}
