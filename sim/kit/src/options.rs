//! What a scenario is given: which run, and how much of it to keep.

use protocol_core::choices::Choices;
use protocol_core::mutant::Mutant;
use protocol_core::rng::Rng;
use sim::{Budget, StorageClasses, Strategy, TraceMode};
use std::path::PathBuf;

/// How to run one seed of one scenario. The runner fills in `scenario`; a scenario reads
/// the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOptions {
    /// The scenario's registered name (set by the runner from the registry).
    pub scenario: &'static str,
    pub seed: u64,
    /// A deliberately broken protocol variant, by name (`--mutant`), validated against the
    /// scenario's family before the run; read it typed with [`RunOptions::mutant`].
    pub mutant: Option<String>,
    pub trace: TraceMode,
    pub budget: Budget,
    /// The storage fault classes a run may use (`--no-storage-faults`, `--storage-faults`):
    /// a random scenario's mix draws within them, a course scenario's disk has those of
    /// `StorageConfig::crashes_only` among them.
    pub storage_faults: StorageClasses,
    /// Write the client history the scenario records (JSON lines) here (`--history`).
    pub history_out: Option<PathBuf>,
    /// Where a failing run writes what it has beyond its report (a client history and its
    /// HTML view); `None` writes nothing (sweeps and tests).
    pub artifacts: Option<PathBuf>,
    /// Where the run's choices come from: the seed (default), a buffer, or the seed while
    /// recording (see `protocol_core::choices`).
    pub choices: Choices,
    /// How latencies are chosen (`--strategy`; see `sim::strategy`).
    pub strategy: Strategy,
    /// Keep a timeline of the run (nodes' states, links, message flights, client operations)
    /// in its report, for the failure page and Chrome traces. Never changes the run.
    pub timeline: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            scenario: "",
            seed: 0,
            mutant: None,
            trace: TraceMode::Hash,
            budget: Budget::DEFAULT,
            storage_faults: StorageClasses::ALL,
            history_out: None,
            artifacts: None,
            choices: Choices::seeded(),
            strategy: Strategy::Random,
            timeline: false,
        }
    }
}

impl RunOptions {
    pub fn new(scenario: &'static str, seed: u64) -> RunOptions {
        RunOptions {
            scenario,
            seed,
            ..RunOptions::default()
        }
    }

    pub fn with_mutant(mut self, mutant: impl Into<String>) -> RunOptions {
        self.mutant = Some(mutant.into());
        self
    }

    pub fn with_storage_faults(mut self, classes: StorageClasses) -> RunOptions {
        self.storage_faults = classes;
        self
    }

    /// An independent random stream of the scenario's, named by `label`: the same stream
    /// `Sim::derive_rng(label)` gives for this seed, available before the world is built.
    pub fn rng(&self, label: &str) -> Rng {
        self.choices.stream(self.seed, label, 0)
    }

    /// The mutant if it is one of `M`'s. A family that takes several protocols' mutants (a
    /// service and the Raft beneath it) asks each in turn; the name was validated against
    /// the family's list, so it is always one of them.
    pub fn mutant<M: Mutant>(&self) -> Option<M> {
        self.mutant.as_deref().and_then(M::from_name)
    }
}
