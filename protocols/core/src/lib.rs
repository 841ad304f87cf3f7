//! The Sans-IO contract between protocol cores and whatever drives them.
//!
//! A core is a [`Node`]: one struct driven through one door, [`Node::handle`]. It learns
//! everything through an [`Input`] (a message, a timer, a request from the layer above) and
//! asks for everything through an [`Outbox`] (send, set a timer, write a file and sync it,
//! emit a result).
//! It never reads a clock, a socket, a file or the OS's randomness, so the same core runs
//! unchanged under the deterministic simulator and under a real-network driver.

pub mod check;
pub mod choices;
pub mod clerk;
pub mod collections;
pub mod disk;
pub mod ids;
pub mod instant;
pub mod mutant;
pub mod node;
pub mod record;
pub mod rng;
pub mod roles;
pub mod service;
pub mod time;

pub use check::{CheckId, Violation};
pub use disk::{Disk, DurableWrite, FileOp, SyncError, SyncTarget, SyncToken};
pub use ids::{ClientId, NodeId};
pub use node::{BootError, Input, Message, Node, Outbox, Output};
pub use time::Time;
