//! Every check must be seen to fail: each broken Raft is caught within a bounded number of
//! seeds by the scenarios named for it.

use scenarios::registry;
use scenarios::runner::sweep;

/// The first (scenario, seed) of `pattern` over `seeds` that fails with `mutant`.
fn first_catch(
    pattern: &str,
    mutant: &str,
    seeds: std::ops::Range<u64>,
) -> Option<(String, u64, String)> {
    let scenarios = registry::select(pattern).unwrap();
    sweep(&scenarios, seeds, Some(mutant), 2, &|_| {})
        .into_iter()
        .find_map(|r| r.failure.map(|f| (r.scenario.to_string(), r.seed, f.check)))
}

#[test]
fn honest_raft_passes_the_same_seeds() {
    let scenarios = registry::select("raft-*").unwrap();
    let failures: Vec<_> = sweep(&scenarios, 0..10, None, 2, &|_| {})
        .into_iter()
        .filter_map(|r| {
            r.failure
                .map(|f| format!("{} seed {}: {f}", r.scenario, r.seed))
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn voting_twice_in_a_term_is_caught() {
    let caught = first_catch("raft-2a-*", "vote-twice-in-term", 0..10);
    assert!(
        caught.is_some(),
        "the 2A scenarios missed a node that votes twice"
    );
    let caught = first_catch("raft-election-random", "vote-twice-in-term", 0..20);
    assert!(
        caught.is_some(),
        "raft-election-random missed a node that votes twice"
    );
}
