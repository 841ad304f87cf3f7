//! Raft (extended paper, Figure 2 plus fast log backup and snapshots) as a Sans-IO core.
//!
//! One [`RaftNode`] is one server. It implements [`protocol_core::Node`]: messages, timers and
//! requests come in through `handle`; sends, timers, durable writes and the ordered stream of
//! applied results ([`RaftEvent`]) go out through the `Outbox`. No simulator dependency.

pub mod checks;
pub mod cluster_check;
pub mod config;
mod debug;
mod disk_format;
mod durable;
mod election;
pub mod log;
mod log_bytes;
mod log_matching;
pub mod msg;
pub mod mutant;
pub mod node;
mod recover;
mod replication;
mod snapshot;
mod store;
#[cfg(test)]
mod test_support;
mod types;

pub use config::Config;
pub use disk_format::{LOG_FILE as RAFT_STATE_FILE, META_FILE, SNAPSHOT_FILE};
pub use log::{Entry, Log};
pub use msg::RaftMsg;
pub use mutant::Mutant;
pub use node::{NotLeader, RaftEvent, RaftNode, RaftRequest, RaftTimer, Role};
pub use store::Promised;
pub use types::{LogIndex, Term};
