//! A single-threaded deterministic simulator for Sans-IO protocol cores.
//!
//! One seed decides everything: virtual time advances through one event queue ordered by
//! `(time, sequence)`, and every random choice (latency, loss, duplication, faults, each
//! node's own randomness) comes from ChaCha streams derived from that seed. Messages cross
//! the simulated network as postcard bytes. A run is a pure function of its seed.
//!
//! The simulator knows no protocol: it hosts any [`protocol_core::Node`], and the scenario
//! that drives it watches through an [`Observer`].

pub mod budget;
pub mod checks;
pub mod clock;
pub mod fault;
pub mod hash;
pub mod network;
pub mod observer;
pub mod queue;
pub mod stats;
pub mod storage;
pub mod strategy;
pub mod timeline;
pub mod trace;
pub mod world;

pub use budget::Budget;
pub use fault::{FaultAction, FaultPlan, SwarmMix};
pub use network::{LatencyModel, NetworkConfig};
pub use observer::{NoObserver, Observer};
pub use protocol_core::{CheckId, Violation};
pub use stats::Stats;
pub use storage::{StorageClass, StorageClasses, StorageConfig, StorageMix};
pub use strategy::Strategy;
pub use timeline::{NodeState, Timeline};
pub use trace::{StorageRecord, TailView, Trace, TraceMode, TraceRecord};
pub use world::{Failure, Sim};
