//! A linearizability checker in the manner of Porcupine (Athalye) and Knossos.
//!
//! A [`Model`] is a sequential specification; a [`History`] is what concurrent clients saw.
//! [`check`] searches for a linearization with the Wing & Gong / Lowe just-in-time algorithm,
//! memoising (linearized operations, model state) pairs, one independent partition at a time
//! (one per key for the key/value model). The verdict is [`Verdict::Linearizable`],
//! [`Verdict::NotLinearizable`] (with, per failing partition, the longest linearizable prefix and
//! the operations that could not be placed), or [`Verdict::Unknown`] when the time or memory
//! budget ran out.
//!
//! Histories come from a simulation (built directly as [`Operation`]s) or from files in three
//! formats (see [`formats`]); [`html::render`] draws one as a self-contained page.

mod cache;
pub mod check;
pub mod cli;
mod entry_list;
pub mod explanation;
pub mod formats;
pub mod history;
pub mod html;
pub mod model;
pub mod models;
mod schedule;
mod search;
mod states;
mod witness;

pub use check::{
    check, CheckOptions, CheckResult, PartitionResult, PartitionVerdict, PrefixSearch, Verdict,
    WitnessBudget, DEFAULT_WITNESS_STEPS,
};
pub use explanation::{Explanation, Phrase};
pub use formats::write_json_lines;

pub use history::{Event, EventKind, History, HistoryError, Operation};
pub use model::{Decision, Model, Partition};
