//! ABD (Attiya, Bar-Noy and Dolev), a read/write register replicated on a majority quorum,
//! tested with the protocol kit alone: the example of the README's "Test your own protocol".
//!
//! The protocol is `msg`, `server`, `client` and `node`; the glue that tests it is
//! `scenario` and `main.rs`.

pub mod client;
pub mod msg;
pub mod node;
pub mod scenario;
pub mod server;

pub use scenario::registry;
