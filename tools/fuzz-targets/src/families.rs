//! Whole runs as fuzz targets: the input is a run's choice buffer (see
//! `protocol_core::choices`), so every byte the fuzzer changes is a latency, a fault, a
//! client's operation or a node's seed, and small edits make small changes to the run. A
//! failed check is the target's crash; its input replays with
//! `sim replay --input FILE --scenario S [--mutant M]`.

use protocol_core::choices::Choices;
use sim_kit::runner::run_one;
use sim_kit::RunOptions;

/// Each family's target and the scenario it runs (the family's cheapest random one).
pub const FAMILY_SCENARIOS: [(&str, &str); 5] = [
    ("raft_choices", "raft-election-random"),
    ("kv_choices", "kv-random"),
    ("mr_choices", "mr-random"),
    ("ctrler_choices", "ctrler-random"),
    ("shardkv_choices", "shardkv-random"),
];

/// Runs `data` as the choices of `scenario` (with `mutant`, if any): `Err` names the check
/// that failed, with the replay command. Panics on an unknown scenario or mutant, which is
/// the target's own bug, not the input's.
pub fn run_choices(scenario: &str, mutant: Option<&str>, data: &[u8]) -> Result<(), String> {
    let registry = scenarios::registry();
    let found = registry
        .find(scenario)
        .unwrap_or_else(|e| panic!("fuzz target names a bad scenario: {e}"));
    let options = RunOptions {
        mutant: mutant.map(str::to_string),
        choices: Choices::buffer(data.to_vec()),
        ..found.options(0)
    };
    let report = run_one(found, &options);
    match report.failure {
        None => Ok(()),
        Some(failure) => {
            let mutant = mutant.map_or(String::new(), |m| format!(" --mutant {m}"));
            Err(format!(
                "check '{}' failed: {}\nreplay: sim replay --input CRASH_FILE --scenario {scenario}{mutant}",
                failure.check,
                failure.message.lines().next().unwrap_or_default()
            ))
        }
    }
}

/// The mutant a fuzzing session hunts (`DST_MUTANT=name`), or none: the honest protocol.
pub fn mutant_from_env() -> Option<String> {
    std::env::var("DST_MUTANT").ok().filter(|m| !m.is_empty())
}

/// The body of a family's fuzz target: a failed check panics, which libFuzzer reports as a
/// crash and saves the input. The run's protocol situations go to libFuzzer's extra
/// counters unless `DST_STATE_COV=0` (see `state_counters`).
pub fn family_target(scenario: &str, data: &[u8]) {
    crate::state_counters::install_from_env();
    if let Err(failure) = run_choices(scenario, mutant_from_env().as_deref(), data) {
        panic!("{failure}");
    }
}
