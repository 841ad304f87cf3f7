//! A small, reusable real-world driver for any [`protocol_core::Node`].
//!
//! One process runs one node. Messages travel over TCP as length-prefixed postcard frames;
//! timers are wall-clock deadlines; `Persist` goes to a [`Storage`] (by default one file
//! replaced atomically, so every durable write is atomic as the contract says). The node's
//! `Emit` events go to a [`Host`], which may answer with requests (`Input::Request`) and
//! decides when to stop. [`proxy`] is a frame-aware TCP proxy that drops, delays and
//! partitions traffic between nodes, for testing real processes under network faults.
//!
//! This is the real-world side: it reads the wall clock (only through `clock.rs`) and uses
//! threads (one to accept, one per connection to read, one per destination to write). The
//! node itself still sees only `Input`s and `Time`.

pub mod clock;
mod driver;
mod inbound;
mod links;
pub mod proxy;
mod storage;
mod wire;

pub use driver::{run, run_with_storage, Control, Host, RealConfig, RealError};
pub use inbound::Senders;
pub use storage::{AtomicFile, InMemory, Storage};
pub use wire::{decode_frame, encode_frame, frame_sender, MAX_FRAME_BYTES};
