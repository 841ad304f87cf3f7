//! A key/value service on Raft (course Labs 3A and 3B) as Sans-IO cores.
//!
//! A [`KvServer`] owns a [`raft::RaftNode`]: it feeds Raft its messages and timers and
//! translates Raft's outbox (sends wrapped in [`KvMsg::Raft`], durable writes passed through,
//! applied commands run against the [`Store`] and answered to the waiting clerk). Every
//! operation, reads included, goes through the Raft log, so a server answers only what a
//! majority committed. A [`Clerk`] is a client node: it remembers the last leader, retries on
//! a wrong leader, a lost message or a timeout, and tags every request with (client id,
//! sequence number) so that the replicated duplicate table applies each request once.
//!
//! Servers and clerks are each a [`protocol_core::Node`]; [`KvNode`] composes them (with
//! `protocol_core::roles!`) so both live in one simulated run.

pub mod clerk;
pub mod config;
mod debug;
pub mod msg;
pub mod mutant;
pub mod node;
pub mod server;
pub mod store;

pub use clerk::{Clerk, ClerkEvent, ClerkTimer, KvService};
pub use config::{ClerkConfig, ServerConfig};
pub use debug::ServerEvent;
pub use msg::{Command, KvMsg, Op, Outcome, Reply};
pub use mutant::Mutant;
pub use node::{KvConfig, KvEvent, KvNode, KvRequest, KvTimer};
pub use server::KvServer;
pub use store::Store;
