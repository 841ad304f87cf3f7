//! The sharded key/value service (course Lab 4B, both challenges) as Sans-IO cores.
//!
//! Replica groups, each a Raft-replicated state machine ([`ShardKvServer`], on the
//! controller crate's `rsm` plumbing), serve the shards the controller's configuration gives
//! them; a key's shard is its first byte mod 10 ([`key2shard`]). A group's leader polls the
//! controller every `poll_ms` and steps through configurations one at a time through its own
//! log; shards move between groups by messages whose data enters the receiver's log, with
//! their duplicate tables, and are deleted by the old owner once the new one confirms (see
//! `state.rs` for the per-shard states and why a crash anywhere neither loses nor duplicates
//! an operation). Shards a reconfiguration does not touch, and shards that have arrived, are
//! served throughout it. A [`ShardKvClerk`] routes by its last known configuration and
//! refreshes it when a group refuses a key.
//!
//! Every role of a run (controller servers, the tester's controller clerk, group servers,
//! clerks) is a `Node`; `protocol_core::roles!` composes them into one node type,
//! [`ShardKvNode`], over one message type, [`ShardKvMsg`].
//!
//! Known limit, as in the course: once data is stored, a configuration with no groups
//! strands it with its last owner (held in Sending, never deleted, never served), so
//! scenarios keep at least one group joined.

pub mod clerk;
mod debug;
pub mod embed;
mod migrate;
pub mod msg;
pub mod mutant;
pub mod node;
pub mod node_config;
pub mod server;
pub mod shard;
pub mod state;
pub mod watch;

pub use clerk::ShardKvClerk;
pub use embed::Hosted;
pub use msg::{Command, Outcome, Reply, ShardKvMsg};
pub use mutant::Mutant;
pub use node::{
    ClerkEvent, ClerkTimer, ServerEvent, ServerTimer, ShardKvConfig, ShardKvEvent, ShardKvNode,
    ShardKvRequest, ShardKvTimer,
};
pub use node_config::{ClerkConfig, ServerConfig};
pub use server::ShardKvServer;
pub use shard::{key2shard, Shard, ShardData, ShardStatus};
pub use state::{GroupOp, GroupState};
