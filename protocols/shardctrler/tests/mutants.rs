//! Each controller mutant is caught, within a few seeds, by the check that names its bug;
//! the honest controller passes the same seeds.

mod common;

use common::{join, leave, Tester};
use protocol_core::rng::{self, Ratio};
use protocol_core::{CheckId, Violation};
use shardctrler::checks::{CONFIG_MINIMAL, CONFIG_SAME_ON_REPLICAS};
use shardctrler::watch::{CONFIG_ONCE_PER_REQUEST, QUERY_FRESH};
use shardctrler::{CtrlerOp, Mutant};

/// Four clerks joining and leaving groups (one or two at a time) and querying, over a lossy
/// network, for 8 virtual seconds; the first violation the watches report.
fn run(seed: u64, mutant: Option<Mutant>) -> Result<Tester, Violation> {
    let mut t = Tester::new(seed, 3, 4, mutant);
    t.rig.loss = Ratio::percent(10);
    let mut rng = rng::rng_from_seed(seed);
    let deadline = t.now().plus_ms(8_000);
    while t.now() < deadline {
        for c in 0..4 {
            if !t.busy(c) {
                let gid = rng::range_inclusive(&mut rng, 1, 9);
                let op = match rng::range_inclusive(&mut rng, 0, 3) {
                    0 => join(&[gid, gid + 10]),
                    1 => leave(&[gid, gid + 10]),
                    _ => CtrlerOp::Query { num: None },
                };
                t.invoke(c, op);
            }
        }
        t.run_ms(10)?;
    }
    Ok(t)
}

/// The first of `seeds` on which `mutant` is caught, and by which check.
fn first_catch(mutant: Mutant, seeds: u64) -> (u64, CheckId) {
    (0..seeds)
        .find_map(|seed| run(seed, Some(mutant)).err().map(|v| (seed, v.check)))
        .unwrap_or_else(|| panic!("{mutant} survived {seeds} seeds"))
}

#[test]
fn the_honest_controller_passes_the_seeds_the_mutants_fail() {
    for seed in 0..6 {
        let t = run(seed, None).unwrap_or_else(|v| panic!("seed {seed}: {v}"));
        // Something to check: many configurations, every replica's, and many queries.
        assert!(
            t.watch.len() > 30,
            "seed {seed}: {} configurations",
            t.watch.len()
        );
        assert!(
            t.watch.reports() > 60,
            "seed {seed}: {} reports",
            t.watch.reports()
        );
        assert!(
            t.history.queries_checked() > 100,
            "seed {seed}: {} queries",
            t.history.queries_checked()
        );
    }
}

#[test]
fn rebalancing_in_local_order_is_caught_by_replica_agreement() {
    assert_eq!(
        first_catch(Mutant::RebalanceInLocalOrder, 6).1,
        CONFIG_SAME_ON_REPLICAS
    );
}

#[test]
fn rebalancing_from_scratch_is_caught_by_the_minimal_move_check() {
    assert_eq!(
        first_catch(Mutant::RebalanceFromScratch, 6).1,
        CONFIG_MINIMAL
    );
}

#[test]
fn a_stale_local_query_is_caught_by_the_freshness_check() {
    assert_eq!(first_catch(Mutant::StaleQuery, 6).1, QUERY_FRESH);
}

#[test]
fn applying_retries_again_is_caught_by_once_per_request() {
    assert_eq!(
        first_catch(Mutant::NoDuplicateDetection, 6).1,
        CONFIG_ONCE_PER_REQUEST
    );
}
