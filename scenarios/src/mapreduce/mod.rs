//! The course's MapReduce tests (Lab 1, `test-mr.sh`) as seeded scenarios, and MapReduce
//! under random faults. The harness plays the shared file system and the shell script.

pub mod chaos;
pub mod course;
pub mod fs;
pub mod harness;
pub mod inputs;
pub mod random;
pub mod watch;

use crate::registry::Scenario;

/// Names of the broken MapReduce variants a scenario can run with `--mutant`.
pub const MUTANTS: &[&str] = &[
    "no-reassign",
    "reduce-before-maps-done",
    "count-duplicate-completions",
    "write-in-place",
    "serial-tasks",
    "exit-on-wait",
];

pub fn scenarios() -> Vec<&'static Scenario> {
    course::SCENARIOS.iter().chain(random::SCENARIOS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mutant_list_is_mapreduces() {
        use protocol_core::mutant::Mutant as _;
        let names: Vec<&str> = mapreduce::Mutant::ALL.iter().map(|m| m.name()).collect();
        assert_eq!(names, MUTANTS);
    }
}
