//! Scenarios: the protocol cores of this repository wired into the simulator with workloads,
//! fault plans and checks, on the protocol kit (`sim-kit`).
//!
//! Every scenario is a function of its seed. [`registry`] lists them by family; the `sim`
//! binary is the kit's command line over it, plus `bench`.

pub mod allocator;
pub mod bench;
pub mod kv;
pub mod mapreduce;
pub mod raft;
pub mod shardctrler;
pub mod shardkv;
pub mod soak;
pub mod storage_gates;

use sim_kit::Registry;

/// What `sim --seed N` runs without `--scenario`: the richest scenario there is.
pub const DEFAULT_SCENARIO: &str = "shardkv-random";

/// Every scenario of this repository, by family.
pub fn registry() -> Registry {
    Registry::new()
        .family(raft::family())
        .family(kv::family())
        .family(mapreduce::family())
        .family(shardctrler::family())
        .family(shardkv::family())
        .default_scenario(DEFAULT_SCENARIO)
}
