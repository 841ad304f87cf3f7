//! Showing that checks fail: each mutant must be caught, on named seeds, by the check named
//! for it, while the honest protocol passes those very runs.
//!
//! A family's tests list its expected catches once and call [`verify`]; [`uncovered`] says
//! which of the family's mutants no catch names.

use crate::family::Registry;
use crate::runner::{first_catch, honest_failures};
use protocol_core::CheckId;
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
