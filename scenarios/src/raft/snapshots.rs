//! Lab 2D, log compaction: the course's `snapcommon` tests (a victim disconnected or crashed
//! catches up by InstallSnapshot), all-crash restarts, and snapshot state initialised at boot.
//! The tester takes a snapshot after every 10th command (`applierSnap`).

use super::checks;
use super::harness::{RaftHarness, Step};
use protocol_core::rng::range_inclusive;
use sim_kit::Scenario;
use sim_kit::{RunOptions, RunReport};

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "raft-2d-snapshot-basic",
        "TestSnapshotBasic2D: snapshots every 10 commands keep the log small",
        snapshot_basic_2d,
    ),
    Scenario::new(
        "raft-2d-snapshot-install",
        "TestSnapshotInstall2D: a disconnected victim catches up by InstallSnapshot",
        snapshot_install_2d,
    ),
    Scenario::new(
        "raft-2d-snapshot-install-unreliable",
        "TestSnapshotInstallUnreliable2D: the same over a lossy network",
        snapshot_install_unreliable_2d,
    ),
    Scenario::new(
        "raft-2d-snapshot-install-crash",
        "TestSnapshotInstallCrash2D: a crashed victim restarts from its snapshot and catches up",
        snapshot_install_crash_2d,
    ),
    Scenario::new(
        "raft-2d-snapshot-install-unreliable-crash",
        "TestSnapshotInstallUnCrash2D: the same over a lossy network",
        snapshot_install_unreliable_crash_2d,
    ),
    Scenario::new(
        "raft-2d-snapshot-all-crash",
        "TestSnapshotAllCrash2D: all crash 5 times; the index never goes back",
        snapshot_all_crash_2d,
    ),
    Scenario::new(
        "raft-2d-snapshot-init",
        "TestSnapshotInit2D: a restart keeps its snapshot through the next durable write",
        snapshot_init_2d,
    ),
];

/// The course's MAXLOGSIZE of 2000 gob bytes admits about 100 int-command entries (about 20
/// gob bytes each) where a snapshotting server holds about 30. Ours are 10–11 bytes each
/// (varint term, length, 8-byte command), so the same 100 entries plus the header: 1200.
pub const MAX_LOG_SIZE: usize = 1_200;
/// The course's `SnapShotInterval`.
const SNAPSHOT_INTERVAL: u64 = 10;

fn snapshot_basic_2d(options: &RunOptions) -> RunReport {
    snapcommon(options, false, true, false)
}

fn snapshot_install_2d(options: &RunOptions) -> RunReport {
    snapcommon(options, true, true, false)
}

fn snapshot_install_unreliable_2d(options: &RunOptions) -> RunReport {
    snapcommon(options, true, false, false)
}

fn snapshot_install_crash_2d(options: &RunOptions) -> RunReport {
    snapcommon(options, false, true, true)
}

fn snapshot_install_unreliable_crash_2d(options: &RunOptions) -> RunReport {
    snapcommon(options, false, false, true)
}

/// `one(rand, expected, retry)`.
fn one_rand(h: &mut RaftHarness, expected: usize) -> Step<u64> {
    let v = h.rand_value();
    h.one_value(v, expected, true)
}

fn snapcommon(options: &RunOptions, disconnect: bool, reliable: bool, crash: bool) -> RunReport {
    let n = 3;
    let mut h = RaftHarness::new(options, n, !reliable, true);
    let mut max_size = 0;
    let verdict = (|| -> Step {
        one_rand(&mut h, n)?;
        let mut leader1 = h.check_one_leader()?;
        for i in 0..30 {
            let (mut victim, mut sender) = ((leader1 + 1) % n, leader1);
            if i % 3 == 1 {
                (victim, sender) = (sender, victim);
            }
            if disconnect {
                h.disconnect(victim);
                one_rand(&mut h, n - 1)?;
            }
            if crash {
                h.crash1(victim);
                one_rand(&mut h, n - 1)?;
            }
            // Perhaps send enough to get a snapshot.
            let nn = SNAPSHOT_INTERVAL / 2 + range_inclusive(&mut h.rng, 0, SNAPSHOT_INTERVAL - 1);
            for _ in 0..nn {
                let v = h.rand_value();
                h.start(sender, super::watch::command_bytes(v));
            }
            // Without a fault, all followers catch up so no InstallSnapshot is needed.
            let faulty = disconnect || crash;
            one_rand(&mut h, if faulty { n - 1 } else { n })?;
            let size = h.log_size();
            max_size = max_size.max(size);
            if size >= MAX_LOG_SIZE {
                return Err(h.fail(
                    checks::LOG_SIZE,
                    format!("Log size too large: {size} bytes"),
                ));
            }
            if disconnect {
                // Reconnect the victim: it catches up, perhaps by InstallSnapshot.
                h.connect(victim);
                one_rand(&mut h, n)?;
                leader1 = h.check_one_leader()?;
            }
            if crash {
                h.start1(victim);
                h.connect(victim);
                one_rand(&mut h, n)?;
                leader1 = h.check_one_leader()?;
            }
        }
        Ok(())
    })();
    let installs = h
        .sim
        .stats()
        .by_kind
        .get("InstallSnapshot")
        .map_or(0, |k| k.delivered);
    h.metric("largest-log-bytes", max_size as u64);
    h.metric("snapshots-installed", installs);
    h.report(verdict)
}

fn crash_and_restart_all(h: &mut RaftHarness) {
    for i in 0..h.servers {
        h.crash1(i);
    }
    for i in 0..h.servers {
        h.start1(i);
        h.connect(i);
    }
}

fn snapshot_all_crash_2d(options: &RunOptions) -> RunReport {
    let n = 3;
    let mut h = RaftHarness::new(options, n, false, true);
    let verdict = (|| -> Step {
        one_rand(&mut h, n)?;
        for _ in 0..5 {
            // Perhaps enough to get a snapshot.
            let nn = SNAPSHOT_INTERVAL / 2 + range_inclusive(&mut h.rng, 0, SNAPSHOT_INTERVAL - 1);
            for _ in 0..nn {
                one_rand(&mut h, n)?;
            }
            let index1 = one_rand(&mut h, n)?;
            crash_and_restart_all(&mut h);
            let index2 = one_rand(&mut h, n)?;
            if index2 < index1 + 1 {
                return Err(h.fail(
                    checks::INDEX,
                    format!("index decreased from {index1} to {index2}"),
                ));
            }
        }
        Ok(())
    })();
    h.report(verdict)
}

fn snapshot_init_2d(options: &RunOptions) -> RunReport {
    let n = 3;
    let mut h = RaftHarness::new(options, n, false, true);
    let verdict = (|| -> Step {
        one_rand(&mut h, n)?;
        // Enough ops to make a snapshot.
        for _ in 0..=SNAPSHOT_INTERVAL {
            one_rand(&mut h, n)?;
        }
        crash_and_restart_all(&mut h);
        // A single op, to get something written back to persistent storage.
        one_rand(&mut h, n)?;
        crash_and_restart_all(&mut h);
        // Another op, to trigger a potential bug.
        one_rand(&mut h, n)?;
        Ok(())
    })();
    h.report(verdict)
}
