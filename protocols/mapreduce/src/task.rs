//! Tasks, their ids and the file names they read and write.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TaskKind {
    Map,
    Reduce,
}

/// A task: map task X (input file X) or reduce task Y (bucket Y).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TaskId {
    pub kind: TaskKind,
    pub index: u32,
}

impl TaskId {
    pub const fn map(index: u32) -> TaskId {
        TaskId {
            kind: TaskKind::Map,
            index,
        }
    }

    pub const fn reduce(index: u32) -> TaskId {
        TaskId {
            kind: TaskKind::Reduce,
            index,
        }
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TaskKind::Map => write!(f, "map{}", self.index),
            TaskKind::Reduce => write!(f, "reduce{}", self.index),
        }
    }
}

/// One assignment of a task to a worker. `attempt` counts assignments of the same task
/// (1 for the first), so traces and temp names can tell a re-execution apart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub attempt: u32,
    /// The input file of a map task, exactly as the coordinator was given it.
    pub input: Option<String>,
    pub n_map: u32,
    pub n_reduce: u32,
}

impl Task {
    /// Asserts the shape every task must have; used on both sides of the wire.
    pub fn is_well_formed(&self) -> bool {
        let index_ok = match self.id.kind {
            TaskKind::Map => self.id.index < self.n_map && self.input.is_some(),
            TaskKind::Reduce => self.id.index < self.n_reduce && self.input.is_none(),
        };
        index_ok && self.attempt >= 1 && self.n_map >= 1 && self.n_reduce >= 1
    }
}

/// The course's `ihash`: FNV-1a 32-bit with the top bit masked off.
pub fn ihash(key: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in key.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash & 0x7fff_ffff
}

/// `mr-X-Y`: what map task X wrote for reduce task Y.
pub fn intermediate_name(map: u32, reduce: u32) -> String {
    format!("mr-{map}-{reduce}")
}

/// `mr-out-Y`: the output of reduce task Y.
pub fn output_name(reduce: u32) -> String {
    format!("mr-out-{reduce}")
}

/// A temp file name unique to one worker and one attempt of one task's file.
pub(crate) fn temp_name(worker: u32, task: &Task, target: &str) -> String {
    format!("mr-tmp-w{worker}-a{}-{target}", task.attempt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ihash_matches_the_course_buckets_for_rtiming_keys() {
        // From the course notes: a..j land in buckets {0,1,2,3,4,5,6,9} mod 10; f/h share 3, g/i share 4.
        let buckets: Vec<u32> = "abcdefghij"
            .chars()
            .map(|c| ihash(&c.to_string()) % 10)
            .collect();
        assert_eq!(buckets[5], buckets[7]);
        assert_eq!(buckets[6], buckets[8]);
        assert_eq!(buckets[5], 3);
        assert_eq!(buckets[6], 4);
        assert!(!buckets.contains(&7) && !buckets.contains(&8));
    }
}
