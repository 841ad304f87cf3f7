//! The bodies of the fuzz targets in `tools/fuzz`: each takes arbitrary bytes and must not
//! panic. Outside input reaches this project's code through decoders (wire frames, disk
//! files, history files, corpus lines, seed ranges) and through a core's handling of what a
//! peer sent; a panic on any of it is a bug, since bad input gets an error or is dropped.
//!
//! cargo-fuzz (nightly, `tools/fuzz`) searches these with coverage feedback; the stable test
//! suite (`tests/bodies.rs`) runs each on a few thousand generated inputs.

pub mod cores;
pub mod decoders;
pub mod families;
pub mod state_counters;

pub use cores::{raft_boot, raft_disk, raft_disk_bytes, raft_follower};
pub use decoders::{corpus_file, history_file, seed_range, wire_messages};
