//! Showing that checks fail: each mutant must be caught, on named seeds, by the check named
//! for it, while the honest protocol passes those very runs.
//!
//! A family's tests list its expected catches once and call [`verify`]; [`uncovered`] says
//! which of the family's mutants no catch names.

use crate::family::Registry;
use crate::runner::{first_catch, first_catch_with, honest_failures};
use protocol_core::CheckId;
use sim::{StorageClass, StorageClasses};
use std::ops::Range;

/// Scenarios `scenarios` (a name or a `prefix*`) with `mutant` switched on fail `check`
/// within `seeds`; without it they pass every one of those seeds.
#[derive(Clone, Debug)]
pub struct ExpectedCatch {
    pub scenarios: &'static str,
    pub mutant: &'static str,
    pub seeds: Range<u64>,
    pub check: CheckId,
}

impl ExpectedCatch {
    pub const fn new(
        scenarios: &'static str,
        mutant: &'static str,
        seeds: Range<u64>,
        check: CheckId,
    ) -> ExpectedCatch {
        ExpectedCatch {
            scenarios,
            mutant,
            seeds,
            check,
        }
    }
}

/// Every way `catches` do not hold, one line each: a mutant missed, caught by another check
/// than named, or an honest run of the same seeds failing. Empty when all hold.
pub fn verify(registry: &Registry, catches: &[ExpectedCatch]) -> Vec<String> {
    let mut problems = Vec::new();
    for c in catches {
        let what = format!("{} with {} on seeds {:?}", c.scenarios, c.mutant, c.seeds);
        match first_catch(registry, c.scenarios, c.mutant, c.seeds.clone()) {
            None => problems.push(format!("{what}: not caught (wanted '{}')", c.check)),
            Some(caught) if caught.check != c.check => problems.push(format!(
                "{what}: caught by '{}' at {} seed {}, wanted '{}': {}",
                caught.check, caught.scenario, caught.seed, c.check, caught.message
            )),
            Some(_) => {}
        }
        for failure in honest_failures(registry, c.scenarios, c.seeds.clone()) {
            problems.push(format!("{what}: the honest run fails too: {failure}"));
        }
    }
    problems
}

/// A mutant that needs one storage fault class: with `class` allowed (on top of `base`) it
/// is caught by one of `checks` within `seeds`; with `base` alone, no run of `seeds` fails
/// at all. A class whose mutant shows without it is not what shows
/// it; a class no mutant needs is unused or untested.
#[derive(Clone, Debug)]
pub struct StorageGate {
    pub scenarios: &'static str,
    pub mutant: &'static str,
    pub class: StorageClass,
    /// What the class needs to matter (torn writes need unsynced writes to be lost).
    pub base: StorageClasses,
    pub seeds: Range<u64>,
    pub checks: &'static [CheckId],
}

/// What [`verify_gates`] found for one gate: the seed that caught it with the class on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateResult {
    pub mutant: &'static str,
    pub class: StorageClass,
    pub caught_at: u64,
    pub check: CheckId,
    /// Seeds run with the class off: the whole range.
    pub seeds_off: u64,
}

/// Every gate's result, or the ways they do not hold, one line each.
pub fn verify_gates(
    registry: &Registry,
    gates: &[StorageGate],
) -> Result<Vec<GateResult>, Vec<String>> {
    let mut results = Vec::new();
    let mut problems = Vec::new();
    for g in gates {
        let off = g.base.without(g.class);
        let on = off.with(g.class);
        let what = format!("{} with {} and {} on", g.scenarios, g.mutant, on);
        let caught = first_catch_with(registry, g.scenarios, g.mutant, g.seeds.clone(), on);
        let Some(caught) = caught else {
            problems.push(format!("{what}: not caught on seeds {:?}", g.seeds));
            continue;
        };
        if !g.checks.contains(&caught.check) {
            problems.push(format!(
                "{what}: caught by '{}' at seed {}, wanted one of {:?}: {}",
                caught.check, caught.seed, g.checks, caught.message
            ));
            continue;
        }
        let n_off = g.seeds.end - g.seeds.start;
        if let Some(also) = first_catch_with(registry, g.scenarios, g.mutant, g.seeds.clone(), off)
        {
            problems.push(format!(
                "{} with {} and only {off}: caught at seed {} by '{}' without {}: {}",
                g.scenarios,
                g.mutant,
                also.seed,
                also.check,
                g.class.name(),
                also.message
            ));
            continue;
        }
        results.push(GateResult {
            mutant: g.mutant,
            class: g.class,
            caught_at: caught.seed,
            check: caught.check,
            seeds_off: n_off,
        });
    }
    if problems.is_empty() {
        Ok(results)
    } else {
        Err(problems)
    }
}

/// The mutants of `family` that no catch in `catches` names.
pub fn uncovered(
    registry: &Registry,
    family: &str,
    catches: &[ExpectedCatch],
) -> Vec<&'static str> {
    let family = registry
        .families()
        .iter()
        .find(|f| f.name == family)
        .unwrap_or_else(|| panic!("no family {family}"));
    family
        .mutants
        .iter()
        .map(|m| m.name)
        .filter(|name| !catches.iter().any(|c| c.mutant == *name))
        .collect()
}
