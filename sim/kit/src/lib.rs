//! The protocol kit: everything a protocol's tests need around the simulator, for any
//! protocol.
//!
//! - [`Harness`]: one simulated run with a time limit, typed failures, run-until helpers,
//!   the scenario's [`Hooks`] (what it does beside the nodes) and the run's [`RunReport`].
//! - [`actors`]: virtual-time client actors, like the course's goroutines.
//! - [`history`]: client histories of any operation type in the checker's format, and
//!   their linearizability check.
//! - [`family`]: one registration per family (scenarios and typed mutants), a [`Registry`].
//! - [`runner`]: one seed, a diagnosing replay, sweeps over threads (results independent of
//!   the job count), the determinism check, the first seed that catches a mutant.
//! - [`report`], [`corpus`], [`seeds`]: failure reports, the regression corpus, seed ranges.
//! - [`cli`]: the command line; a user's `main` is one call.
//!
//! It depends on the simulator, the Sans-IO contract and the checker, and knows no protocol.

pub mod actors;
pub mod catches;
pub mod checks;
pub mod choice_file;
pub mod chrome;
pub mod cli;
mod cli_search;
pub mod clients;
pub mod corpus;
pub mod family;
pub mod goals;
pub mod harness;
pub mod history;
pub mod measure;
pub mod options;
pub mod page;
pub mod page_data;
pub mod progress;
pub mod recording;
pub mod report;
pub mod run_settings;
pub mod runner;
pub mod seeds;
pub mod shrink;
pub mod state_coverage;
mod sweep_cmd;
pub mod sweep_files;
mod trace_out;

pub use family::{Family, Registry, Scenario, ScenarioRef, UsageError};
pub use harness::{Drive, Harness, Hooks, Step};
pub use options::RunOptions;
pub use report::{ReplayPrefix, RunReport};
