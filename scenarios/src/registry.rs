//! Every scenario the `sim` command knows, by name.

use crate::outcome::{RunOptions, RunReport, UsageError};

/// A named, seeded run with its checks.
pub struct Scenario {
    pub name: &'static str,
    pub about: &'static str,
    /// The broken variants this scenario accepts through `--mutant`.
    pub mutants: &'static [&'static str],
    pub run: fn(&RunOptions) -> RunReport,
}

/// What `sim --seed N` runs without `--scenario`: the richest scenario there is.
pub const DEFAULT_SCENARIO: &str = "raft-random";

/// Every scenario, in listing order.
pub fn all() -> Vec<&'static Scenario> {
    let mut all = crate::raft::scenarios();
    all.extend(crate::kv::scenarios());
    all.extend(crate::mapreduce::scenarios());
    all
}

pub fn find(name: &str) -> Result<&'static Scenario, UsageError> {
    all()
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| UsageError::UnknownScenario(name.to_string()))
}

/// Scenarios named by `pattern`: an exact name, `all`, or a prefix ending in `*`.
pub fn select(pattern: &str) -> Result<Vec<&'static Scenario>, UsageError> {
    if pattern == "all" {
        return Ok(all());
    }
    if let Some(prefix) = pattern.strip_suffix('*') {
        let chosen: Vec<_> = all()
            .into_iter()
            .filter(|s| s.name.starts_with(prefix))
            .collect();
        if chosen.is_empty() {
            return Err(UsageError::UnknownScenario(pattern.to_string()));
        }
        return Ok(chosen);
    }
    find(pattern).map(|s| vec![s])
}

/// Checks that `mutant` (if any) is one the scenario knows.
pub fn validate(scenario: &Scenario, options: &RunOptions) -> Result<(), UsageError> {
    match &options.mutant {
        Some(mutant) if !scenario.mutants.contains(&mutant.as_str()) => {
            Err(UsageError::UnknownMutant {
                scenario: scenario.name.to_string(),
                mutant: mutant.clone(),
                known: scenario.mutants.to_vec(),
            })
        }
        _ => Ok(()),
    }
}
