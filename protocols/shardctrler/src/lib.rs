//! The shard controller (course Lab 4A) as Sans-IO cores: a replicated service, on our Raft,
//! that keeps the numbered configurations of a sharded system (which replica group serves
//! which shard), and its clerk.
//!
//! A [`CtrlerServer`] owns a Raft node (through the [`rsm`] plumbing, which shardkv's servers
//! share) and applies Join, Leave, Move and Query through the log, with duplicate detection
//! and snapshots. Join and Leave rebalance with [`rebalance`], a pure function: balanced,
//! moving as few shards as possible, and deterministic (groups are a `BTreeSet`, never a hash
//! map's order). [`checks`] and [`watch`] judge configurations and clerk histories apart from
//! the rebalancer, for the scenarios. Servers and clerks are
//! each a `Node`, composed into one node type, [`CtrlerNode`], with `protocol_core::roles!`.

pub mod checks;
pub mod clerk;
pub mod config;
mod debug;
pub mod msg;
pub mod mutant;
pub mod node;
pub mod node_config;
pub mod rebalance;
#[cfg(feature = "rig")]
pub mod rig;
pub mod rsm;
pub mod server;
pub mod state;
pub mod types;
pub mod watch;

pub use clerk::{CtrlerClerk, CtrlerService};
pub use config::{Config, Groups};
pub use debug::fmt_raft_event;
pub use msg::{Answer, Command, CtrlerMsg, CtrlerOp, Outcome, Reply};
pub use mutant::Mutant;
pub use node::{
    ClerkEvent, ClerkTimer, CtrlerConfig, CtrlerEvent, CtrlerNode, CtrlerRequest, CtrlerTimer,
    ServerEvent,
};
pub use node_config::{ClerkConfig, ServerConfig};
pub use server::CtrlerServer;
pub use state::CtrlerState;
pub use types::{ConfigNum, GroupId, ShardId, NSHARDS};
pub use watch::{ConfigWatch, CtrlerHistory};
