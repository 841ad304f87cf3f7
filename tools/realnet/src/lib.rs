//! A small, reusable real-world driver for any [`protocol_core::Node`].
//!
//! One process runs one node. Messages travel over TCP as length-prefixed postcard frames;
//! timers are wall-clock deadlines; `Persist` goes to one file renamed into place, so every
//! durable write is atomic as the contract says. The node's `Emit` events go to a [`Host`],
//! which may answer with requests (`Input::Request`) and decides when to stop.
//!
//! This is the real-world side: it reads the wall clock and uses threads (one to accept, one
//! per connection to read). The node itself still sees only `Input`s and `Time`.

mod disk;
mod driver;
mod wire;

pub use disk::{load_disk, save_disk};
pub use driver::{run, Control, Host, RealConfig, RealError};
pub use wire::{decode_frame, encode_frame, MAX_FRAME_BYTES};
