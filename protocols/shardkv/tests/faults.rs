//! Migration under faults: loss, crashes of servers and whole groups during reconfiguration,
//! snapshots on every entry with the storage bound, and full restarts.

mod common;

use common::churn::churn;
use common::course::{append, get, put};
use common::history::token;
use common::Tester;

#[test]
fn lossy_churn_with_crashes_loses_and_duplicates_nothing() {
    for seed in 0..3 {
        let t = churn(seed, None).unwrap_or_else(|v| panic!("seed {seed}: {v}"));
        assert!(
            t.history.returned > 300,
            "seed {seed}: only {} operations returned",
            t.history.returned
        );
        assert!(
            t.configs.len() > 4,
            "seed {seed}: {} configurations",
            t.configs.len()
        );
    }
}

/// TestChallenge1Delete: snapshots after every entry, 30 keys of 1000 bytes, groups churning;
/// the groups' storage stays within the course's bound.
#[test]
fn deleted_shards_keep_storage_within_the_bound() {
    let mut t = Tester::new(7, &[100, 101, 102], 3, Some(1), None);
    let c = t.add_clerk(None);
    t.join(&[100]);
    let value = "x".repeat(1_000);
    for i in 0..30 {
        t.call(c, put(&format!("{i}"), &value), 5_000).unwrap();
    }
    for _ in 0..2 {
        for step in [[101, 100, 102], [100, 102, 101]] {
            t.join(&[step[0]]);
            t.leave(&[step[1]]);
            t.join(&[step[2]]);
            t.leave(&[step[0]]);
            t.run_ms(3_000).unwrap();
        }
    }
    t.join(&[100, 101, 102]);
    t.run_ms(3_000).unwrap();
    t.check_quiescent().unwrap();
    // The course's budget, 3 × ((30 − 3) × 1000 + 2 × 3 × 1000 + 6000) bytes over 9 servers:
    // our encoding of a 1000-byte value is 1002 bytes, as gob's is about 1000.
    let bound = 3 * ((30 - 3) * 1_000 + 2 * 3 * 1_000 + 6_000);
    let used = t.group_storage_bytes();
    assert!(used <= bound, "groups hold {used} bytes, bound {bound}");
    for i in 0..30 {
        assert_eq!(
            t.call(c, get(&format!("{i}")), 5_000).unwrap().len(),
            1_000,
            "key {i}"
        );
    }
}

/// TestSnapshot: snapshots, joins and leaves, then every group restarted at once.
#[test]
fn snapshots_and_a_full_restart_keep_every_value() {
    let mut t = Tester::new(8, &[100, 101, 102], 3, Some(1_000), None);
    let c = t.add_clerk(None);
    t.join(&[100]);
    for i in 0..30 {
        t.call(c, put(&format!("{i}"), "v"), 5_000).unwrap();
    }
    t.join(&[101]);
    t.join(&[102]);
    t.leave(&[100]);
    for i in 0..30 {
        t.call(c, append(&format!("{i}"), &token(c, i)), 5_000)
            .unwrap();
    }
    t.leave(&[101]);
    t.join(&[100]);
    t.run_ms(2_000).unwrap();
    for gid in [100, 101, 102] {
        t.shutdown_group(gid);
    }
    for gid in [100, 101, 102] {
        t.start_group(gid);
    }
    for i in 0..30 {
        let key = format!("{i}");
        let value = t.call(c, get(&key), 5_000).unwrap();
        t.history.check_final(&key, &value).unwrap();
        assert!(value.starts_with('v'), "key {key}: {value:?}");
    }
}

/// The churn run over many seeds, for sweeps by hand (`cargo test` runs three above):
/// `SEEDS=0..1000 cargo test --release -p shardkv --test faults -- --ignored churn_sweep`.
#[test]
#[ignore]
fn churn_sweep() {
    let seeds = std::env::var("SEEDS").unwrap_or_else(|_| "0..200".into());
    let (from, to) = seeds.split_once("..").expect("SEEDS=A..B");
    let (from, to): (u64, u64) = (from.parse().expect("a seed"), to.parse().expect("a seed"));
    let failed: Vec<String> = (from..to)
        .filter_map(|seed| churn(seed, None).err().map(|v| format!("seed {seed}: {v}")))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} seeds failed:\n{}",
        failed.len(),
        to - from,
        failed.join("\n")
    );
}
