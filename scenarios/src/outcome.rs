//! What a scenario is given and what it gives back.

use protocol_core::{Node, Time};
use sim::Observer;
use sim::{Failure, Sim, Stats};

/// How to run one scenario.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    pub seed: u64,
    /// Keep every event as a rendered line (`--trace`).
    pub full_trace: bool,
    /// A deliberately broken protocol variant, by name (`--mutant`), to show checks fail.
    pub mutant: Option<String>,
    /// Write the client history the scenario records (JSON lines) here (`--history`).
    pub history_out: Option<std::path::PathBuf>,
}

/// The result of one run: its summary, and the failure if a check failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReport {
    pub scenario: &'static str,
    pub seed: u64,
    pub mutant: Option<String>,
    pub virtual_time: Time,
    pub steps: u64,
    pub stats: Stats,
    pub trace_hash: u64,
    /// One-line facts the scenario wants shown (the fault mix, what was checked).
    pub notes: Vec<String>,
    pub failure: Option<Failure>,
    /// Every event rendered, when asked for.
    pub trace_lines: Option<Vec<String>>,
}

impl RunReport {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    /// Builds the report from a finished simulation and the scenario's verdict.
    pub fn from_sim<N: Node, O: Observer<N>>(
        scenario: &'static str,
        options: &RunOptions,
        sim: &Sim<N, O>,
        verdict: Result<(), Failure>,
        notes: Vec<String>,
    ) -> RunReport {
        RunReport {
            scenario,
            seed: options.seed,
            mutant: options.mutant.clone(),
            virtual_time: sim.now(),
            steps: sim.stats().steps,
            stats: sim.stats().clone(),
            trace_hash: sim.trace_hash(),
            notes,
            failure: verdict.err(),
            trace_lines: sim.trace().lines().map(<[String]>::to_vec),
        }
    }
}

/// Why a scenario could not even start: bad options, not a failed check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UsageError {
    UnknownScenario(String),
    UnknownMutant {
        scenario: String,
        mutant: String,
        known: Vec<&'static str>,
    },
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UsageError::UnknownScenario(name) => {
                write!(f, "unknown scenario '{name}' (run `sim list` to see them)")
            }
            UsageError::UnknownMutant {
                scenario,
                mutant,
                known,
            } => write!(
                f,
                "unknown mutant '{mutant}' for scenario {scenario} (known: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
        }
    }
}

impl std::error::Error for UsageError {}
