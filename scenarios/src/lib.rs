//! Scenarios: protocol cores wired into the simulator with workloads, fault plans and checks.
//!
//! Every scenario is a function of its seed. The `sim` binary runs one, sweeps many across
//! cores, replays the regression corpus in `seeds/`, and benchmarks the simulator.

pub mod bench;
pub mod corpus;
pub mod kv;
pub mod mapreduce;
pub mod measure;
pub mod outcome;
pub mod raft;
pub mod registry;
pub mod report;
pub mod runner;
pub mod seeds;
pub mod soak;
