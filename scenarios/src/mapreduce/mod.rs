//! The course's MapReduce tests (Lab 1, `test-mr.sh`) as seeded scenarios, and MapReduce
//! under random faults. The harness plays the shared file system and the shell script.

pub mod chaos;
pub mod checks;
pub mod course;
pub mod coverage;
pub mod fs;
pub mod goals;
pub mod harness;
pub mod inputs;
pub mod random;
pub mod watch;

use sim_kit::Family;

/// The MapReduce family: the course's Lab 1 tests and `mr-random`.
pub fn family() -> Family {
    Family::new("mapreduce")
        .mutants::<mapreduce::Mutant>()
        .scenarios(course::SCENARIOS.iter().chain(random::SCENARIOS).copied())
}
