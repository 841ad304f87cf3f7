//! A linearizability checker in the manner of Porcupine (Athalye) and Knossos.
//!
//! A [`Model`] is a sequential specification; a [`History`] is what concurrent clients saw.
//! [`check()`] decides each independent partition (one per key) on its own: with the model's
//! polynomial decision procedure where it has one (unique written values: `models::kv_unique`,
//! `models::register_unique`), else with the Wing & Gong / Lowe just-in-time search, memoising
//! (linearized operations, model state) pairs; the searches race so that the verdict stops at
//! the first failing partition (`schedule`). The verdict is [`Verdict::Linearizable`],
//! [`Verdict::NotLinearizable`] (with, per failing partition, why when a decision procedure
//! can say, the longest linearizable prefix found within the witness budget, and the
//! operations that could not be placed), or [`Verdict::Unknown`] when the time or memory
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
mod search_ops;
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
