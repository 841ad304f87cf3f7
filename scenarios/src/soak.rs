//! `sim bench --soak`: one long run (an hour of virtual time by default) with a steady client
//! load and snapshots on, measuring resident memory as it goes. Memory must stay flat: the
//! tester runs in digest mode (`raft/digests.rs`), Raft compacts its log every 10 commands.

use crate::raft::harness::RaftHarness;
use protocol_core::Time;
use sim_kit::measure::{peak_rss_kib, rss_kib, Stopwatch};
use sim_kit::RunOptions;
use std::fmt::Write;

pub struct SoakOptions {
    pub servers: usize,
    pub virtual_minutes: u64,
    /// The course tester's memory (every command kept), to show what digest mode saves.
    pub course_tester: bool,
}

/// The figures at one virtual minute of the soak.
#[derive(Clone, Debug)]
pub struct SoakMinute {
    pub minute: u64,
    pub commands: u64,
    pub rss_kib: Option<u64>,
    /// Commands the tester and the cluster checker still hold.
    pub remembered: usize,
    pub elapsed: String,
}

/// What a soak measured.
#[derive(Clone, Debug)]
pub struct SoakReport {
    pub servers: usize,
    pub virtual_minutes: u64,
    pub minutes: Vec<SoakMinute>,
    pub commands: u64,
    pub delivered: u64,
    pub elapsed: String,
    pub peak_rss_kib: Option<u64>,
}

/// Runs the soak; Err if a check failed on the way.
pub fn run(options: &SoakOptions) -> Result<SoakReport, String> {
    let run = RunOptions {
        budget: sim::Budget::UNLIMITED,
        ..RunOptions::new("soak", 1)
    };
    let mut h = RaftHarness::new(&run, options.servers, false, true);
    if !options.course_tester {
        h.sim.observer_mut().use_digests();
    }
    let end = Time::from_secs(60 * options.virtual_minutes);
    h.time_limit = end.plus_ms(20_000);
    let stopwatch = Stopwatch::start();
    let mut next_report = Time::from_secs(60);
    let mut commands = 0u64;
    let mut minutes = Vec::new();
    while h.now() < end {
        // Steady load: one command after another, each committed on the leader.
        let v = h.rand_value();
        h.one_value(v, 1, true).map_err(|f| f.to_string())?;
        commands += 1;
        if h.now() >= next_report {
            let minute = next_report.as_micros() / 60_000_000;
            let shown =
                [1, 10, options.virtual_minutes].contains(&minute) || minute.is_multiple_of(30);
            if shown {
                minutes.push(SoakMinute {
                    minute,
                    commands,
                    rss_kib: rss_kib(),
                    remembered: h.sim.observer().remembered(),
                    elapsed: stopwatch.elapsed().describe(),
                });
            }
            next_report = next_report.plus_ms(60_000);
        }
    }
    Ok(SoakReport {
        servers: options.servers,
        virtual_minutes: options.virtual_minutes,
        minutes,
        commands,
        delivered: h.sim.stats().delivered,
        elapsed: stopwatch.elapsed().describe(),
        peak_rss_kib: peak_rss_kib(),
    })
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

impl SoakReport {
    /// One line per measured minute, and a summary.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for m in &self.minutes {
            let _ = writeln!(
                out,
                "virtual {:>3} min: {} commands, RSS {}, tester remembers {} commands, {}",
                m.minute,
                m.commands,
                mib(m.rss_kib),
                m.remembered,
                m.elapsed
            );
        }
        let _ = writeln!(
            out,
            "soak: {} servers, {} virtual min, {} commands, {} delivered messages in {}; peak RSS {}",
            self.servers,
            self.virtual_minutes,
            self.commands,
            self.delivered,
            self.elapsed,
            mib(self.peak_rss_kib),
        );
        out
    }
}
