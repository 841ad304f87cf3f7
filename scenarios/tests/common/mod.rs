//! What the tests that run the `sim` binary share. Each test file is its own crate and uses
//! some of these, so the rest would be dead code there.
#![allow(dead_code)]

use std::process::{Command, Output};

/// Runs the `sim` binary with `args`, to its end.
pub fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .output()
        .expect("run sim")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The options of one run of a registered scenario, with `mutant` if given.
pub fn options(name: &str, seed: u64, mutant: Option<&str>) -> sim_kit::RunOptions {
    let registry = scenarios::registry();
    let scenario = registry.find(name).unwrap();
    sim_kit::RunOptions {
        mutant: mutant.map(str::to_string),
        ..scenario.options(seed)
    }
}

/// A seed's run recorded as a buffer: the seeded run's report, its buffer, and a labelled
/// replay of that buffer (which says what each draw read).
pub struct Recorded {
    pub first: sim_kit::RunReport,
    pub bytes: Vec<u8>,
    pub labelled: sim_kit::RunReport,
}

pub fn recorded(name: &str, seed: u64, mutant: Option<&str>) -> Recorded {
    let registry = scenarios::registry();
    let scenario = registry.find(name).unwrap();
    let recording = sim_kit::RunOptions {
        choices: protocol_core::choices::Choices::record(),
        ..options(name, seed, mutant)
    };
    let first = sim_kit::runner::run_one(scenario, &recording);
    let bytes = first.recorded.clone().expect("a recording records");
    let labelled = sim_kit::shrink::run_labelled(scenario, &options(name, 0, mutant), &bytes);
    Recorded {
        first,
        bytes,
        labelled,
    }
}
