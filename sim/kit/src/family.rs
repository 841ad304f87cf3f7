//! What a user registers: families of scenarios with their mutants, in one place each.
//!
//! A family declares its scenarios and the protocols whose mutants its scenarios accept;
//! `sim list`, `--mutant` validation, sweeps and the corpus all read the [`Registry`] built
//! from them, so no list of names is kept anywhere else.

use crate::goals::GoalId;
use crate::options::RunOptions;
use crate::report::RunReport;
use protocol_core::mutant::Mutant;
use std::fmt;

/// One seeded run with its checks: a function of its options.
pub type RunFn = fn(&RunOptions) -> RunReport;

#[derive(Clone, Copy)]
pub struct Scenario {
    pub name: &'static str,
    pub about: &'static str,
    pub run: RunFn,
    /// Situations a good sweep of this scenario reaches on some seeds (see [`crate::goals`]).
    pub goals: &'static [GoalId],
}

impl Scenario {
    pub const fn new(name: &'static str, about: &'static str, run: RunFn) -> Scenario {
        Scenario {
            name,
            about,
            run,
            goals: &[],
        }
    }

    /// The scenario declares `goals`: some seeds of a sweep should reach each.
    pub const fn with_goals(mut self, goals: &'static [GoalId]) -> Scenario {
        self.goals = goals;
        self
    }
}

/// A mutant a family's scenarios accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MutantInfo {
    pub name: &'static str,
    pub about: &'static str,
    /// The protocol it breaks: `"raft"`.
    pub protocol: &'static str,
}

/// Scenarios of one system and the mutants they take.
pub struct Family {
    pub name: &'static str,
    pub mutants: Vec<MutantInfo>,
    pub scenarios: Vec<Scenario>,
}

impl Family {
    pub fn new(name: &'static str) -> Family {
        Family {
            name,
            mutants: Vec::new(),
            scenarios: Vec::new(),
        }
    }

    /// The family's scenarios accept every mutant of `M`.
    pub fn mutants<M: Mutant>(mut self) -> Family {
        for &mutant in M::ALL {
            assert!(
                !self.mutants.iter().any(|m| m.name == mutant.name()),
                "mutant {} registered twice in family {}",
                mutant.name(),
                self.name
            );
            self.mutants.push(MutantInfo {
                name: mutant.name(),
                about: mutant.about(),
                protocol: M::FAMILY,
            });
        }
        self
    }

    pub fn scenario(mut self, name: &'static str, about: &'static str, run: RunFn) -> Family {
        self.scenarios.push(Scenario::new(name, about, run));
        self
    }

    pub fn scenarios(mut self, scenarios: impl IntoIterator<Item = Scenario>) -> Family {
        self.scenarios.extend(scenarios);
        self
    }
}

/// A scenario with the family it belongs to.
#[derive(Clone, Copy)]
pub struct ScenarioRef<'a> {
    pub scenario: &'a Scenario,
    pub family: &'a Family,
}

impl<'a> ScenarioRef<'a> {
    pub fn name(&self) -> &'static str {
        self.scenario.name
    }

    /// Options for running `seed` of this scenario.
    pub fn options(&self, seed: u64) -> RunOptions {
        RunOptions::new(self.scenario.name, seed)
    }

    pub fn accepts(&self, mutant: &str) -> bool {
        self.family.mutants.iter().any(|m| m.name == mutant)
    }
}

/// Every scenario a binary knows, by family.
#[derive(Default)]
pub struct Registry {
    families: Vec<Family>,
    default_scenario: Option<&'static str>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Adds a family; scenario names must be unique across families.
    pub fn family(mut self, family: Family) -> Registry {
        for scenario in &family.scenarios {
            assert!(
                self.find(scenario.name).is_err()
                    && family
                        .scenarios
                        .iter()
                        .filter(|s| s.name == scenario.name)
                        .count()
                        == 1,
                "scenario {} registered twice",
                scenario.name
            );
        }
        self.families.push(family);
        self
    }

    /// What a run without `--scenario` runs; default: the first scenario registered.
    pub fn default_scenario(mut self, name: &'static str) -> Registry {
        assert!(
            self.find(name).is_ok(),
            "default scenario {name} is not registered"
        );
        self.default_scenario = Some(name);
        self
    }

    pub fn families(&self) -> &[Family] {
        &self.families
    }

    /// Every scenario, in registration order.
    pub fn scenarios(&self) -> impl Iterator<Item = ScenarioRef<'_>> {
        self.families.iter().flat_map(|family| {
            family
                .scenarios
                .iter()
                .map(move |scenario| ScenarioRef { scenario, family })
        })
    }

    /// The scenario a run without `--scenario` runs.
    pub fn default_run(&self) -> Option<ScenarioRef<'_>> {
        match self.default_scenario {
            Some(name) => self.find(name).ok(),
            None => self.scenarios().next(),
        }
    }

    pub fn find(&self, name: &str) -> Result<ScenarioRef<'_>, UsageError> {
        self.scenarios()
            .find(|s| s.name() == name)
            .ok_or_else(|| UsageError::UnknownScenario(name.to_string()))
    }

    /// Scenarios named by `pattern`: an exact name, `all`, or a prefix ending in `*`.
    pub fn select(&self, pattern: &str) -> Result<Vec<ScenarioRef<'_>>, UsageError> {
        if pattern == "all" {
            return Ok(self.scenarios().collect());
        }
        if let Some(prefix) = pattern.strip_suffix('*') {
            let chosen: Vec<_> = self
                .scenarios()
                .filter(|s| s.name().starts_with(prefix))
                .collect();
            if chosen.is_empty() {
                return Err(UsageError::UnknownScenario(pattern.to_string()));
            }
            return Ok(chosen);
        }
        self.find(pattern).map(|s| vec![s])
    }

    /// Checks that `mutant` (if any) is one every scenario of `scenarios` accepts.
    pub fn validate(scenarios: &[ScenarioRef<'_>], mutant: Option<&str>) -> Result<(), UsageError> {
        let Some(mutant) = mutant else {
            return Ok(());
        };
        match scenarios.iter().find(|s| !s.accepts(mutant)) {
            None => Ok(()),
            Some(s) => Err(UsageError::UnknownMutant {
                scenario: s.name().to_string(),
                mutant: mutant.to_string(),
                known: s.family.mutants.iter().map(|m| m.name).collect(),
            }),
        }
    }
}

/// Why a run could not even start: bad options, not a failed check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UsageError {
    UnknownScenario(String),
    UnknownMutant {
        scenario: String,
        mutant: String,
        known: Vec<&'static str>,
    },
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::UnknownScenario(name) => {
                write!(f, "unknown scenario '{name}' (run `list` to see them)")
            }
            UsageError::UnknownMutant {
                scenario,
                mutant,
                known,
            } => {
                let known = if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                };
                write!(
                    f,
                    "unknown mutant '{mutant}' for scenario {scenario} (known: {known})"
                )
            }
        }
    }
}

impl std::error::Error for UsageError {}
