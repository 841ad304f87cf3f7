//! `sim bench --soak`: one long run (an hour of virtual time by default) with a steady client
//! load and snapshots on, printing resident memory as it goes. Memory must stay flat: the
//! tester runs in digest mode (`raft/digests.rs`), Raft compacts its log every 10 commands.

use crate::measure::{peak_rss_kib, rss_kib, Stopwatch};
use crate::outcome::RunOptions;
use crate::raft::harness::RaftHarness;
use protocol_core::Time;
use std::fmt::Write;

pub struct SoakOptions {
    pub servers: usize,
    pub virtual_minutes: u64,
    /// The course tester's memory (every command kept), to show what digest mode saves.
    pub course_tester: bool,
}

/// Runs the soak and describes it; Err if a check failed on the way.
pub fn run(options: &SoakOptions) -> Result<String, String> {
    let mut out = String::new();
    let run = RunOptions {
        seed: 1,
        ..RunOptions::default()
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
    while h.sim.now() < end {
        // Steady load: one command after another, each committed on the leader.
        let v = h.rand_value();
        h.one_value(v, 1, true).map_err(|f| f.to_string())?;
        commands += 1;
        if h.sim.now() >= next_report {
            let minute = next_report.as_micros() / 60_000_000;
            if minute == 1
                || minute == 10
                || minute.is_multiple_of(30)
                || minute == options.virtual_minutes
            {
                writeln!(
                    out,
                    "virtual {minute:>3} min: {commands} commands, RSS {}, tester remembers {} commands, {}",
                    rss_kib().map_or("n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0)),
                    h.sim.observer().remembered(),
                    stopwatch.elapsed().describe()
                )
                .ok();
            }
            next_report = next_report.plus_ms(60_000);
        }
    }
    let elapsed = stopwatch.elapsed();
    writeln!(
        out,
        "soak: {} servers, {} virtual min, {commands} commands, {} delivered messages in {}; peak RSS {}",
        options.servers,
        options.virtual_minutes,
        h.sim.stats().delivered,
        elapsed.describe(),
        peak_rss_kib().map_or("n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0)),
    )
    .ok();
    Ok(out)
}
