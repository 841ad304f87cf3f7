//! Checking a whole history: partitions decided independently, combined in a fixed order;
//! then witnesses for those a model's decision procedure found not linearizable (`witness`).

use crate::explanation::Explanation;
use crate::history::History;
use crate::model::{Decision, Model, Partition};
use crate::schedule::search_partitions;
use crate::search::wall_clock_now;
use crate::witness::{find_witnesses, Pending};
use std::time::Duration;

/// Budgets and parallelism. A check that ends within its budgets gives the same verdict and
/// witnesses whatever the timing and the thread count.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Give up with [`Verdict::Unknown`] after this long (wall clock).
    pub timeout: Option<Duration>,
    /// Give up on a partition with [`Verdict::Unknown`] when its memo would hold more than
    /// this. Each partition has its own budget, so the verdict never depends on how many run
    /// at once; the process may hold up to `threads` budgets.
    pub max_memory_bytes: Option<usize>,
    /// Searches run to their end at once, after the race of short rounds (see `schedule`);
    /// decisions and the race run on the calling thread. 1: everything on the calling thread.
    pub threads: usize,
    /// Let the model decide the partitions it has a polynomial procedure for
    /// ([`Model::decide`]); off, the generic search decides everything (for comparisons).
    pub fast_paths: bool,
    /// How far the search for a longer linearizable prefix may go in a partition that a
    /// decision procedure found not linearizable (the procedure's own witness comes first).
    pub witness_budget: WitnessBudget,
}

/// The budget of the witness search (see `witness`). The verdict never depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WitnessBudget {
    /// At most this many search steps per partition: the witness is a function of the history
    /// alone, as a simulation needs.
    Steps(u64),
    /// `factor` times the wall time the verdict took, at most `max`, for all partitions
    /// together: for a person at a terminal.
    Time { factor: u32, max: Duration },
}

/// Search steps a witness may take by default: a few milliseconds.
pub const DEFAULT_WITNESS_STEPS: u64 = 100_000;

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            timeout: None,
            max_memory_bytes: Some(1 << 30),
            threads: 1,
            fast_paths: true,
            witness_budget: WitnessBudget::Steps(DEFAULT_WITNESS_STEPS),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Linearizable,
    NotLinearizable,
    Unknown { reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartitionVerdict {
    Linearizable,
    NotLinearizable,
    Unknown { reason: String },
}

/// The outcome of one partition, in the model's partition order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionResult {
    pub label: String,
    /// History indices of the partition's operations, failed ones included.
    pub ops: Vec<usize>,
    pub verdict: PartitionVerdict,
    /// History indices: the linearization if linearizable, else the longest linearizable
    /// prefix found (in linearization order).
    pub order: Vec<usize>,
    /// If not linearizable: the operations that could not be placed after `order`, the first
    /// one being the operation `why` names, or else the one whose return the search could not
    /// get past.
    pub unplaced: Vec<usize>,
    /// Why not linearizable, when a decision procedure could say: the link or the real-time
    /// constraint that failed, naming operations.
    pub why: Option<Explanation>,
    /// Whether `order` is the longest linearizable prefix there is.
    pub prefix: PrefixSearch,
}

/// How far the search for `order` got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrefixSearch {
    /// `order` is a linearization, or the longest linearizable prefix there is.
    Complete,
    /// The search stopped at its budget: `order` is the longest prefix found.
    StoppedEarly { reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    pub verdict: Verdict,
    pub partitions: Vec<PartitionResult>,
}

impl CheckResult {
    /// The partitions that are not linearizable, in order.
    pub fn failures(&self) -> impl Iterator<Item = &PartitionResult> {
        self.partitions
            .iter()
            .filter(|p| p.verdict == PartitionVerdict::NotLinearizable)
    }
}

/// Checks `history` against `model`.
pub fn check<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    options: &CheckOptions,
) -> CheckResult {
    assert!(options.threads >= 1, "at least one thread checks");
    let started = matches!(options.witness_budget, WitnessBudget::Time { .. }).then(wall_clock_now);
    let partitions = model.partition(history);
    let covered: usize = partitions.iter().map(|p| p.ops.len()).sum();
    assert_eq!(
        covered,
        history.operations.len(),
        "partitions cover each operation once"
    );
    let decide = |partition: &Partition| {
        let decision = options
            .fast_paths
            .then(|| model.decide(&history.operations, &partition.ops));
        decision
            .flatten()
            .map(|decision| decided_partition(partition, decision))
    };
    // Decisions cost O(n log n): threads would cost more to start than they save.
    let decided: Vec<Option<(PartitionResult, Option<Pending>)>> =
        partitions.iter().map(decide).collect();
    let undecided: Vec<usize> = (0..partitions.len())
        .filter(|&p| decided[p].is_none())
        .collect();
    let failed = decided.iter().flatten().find_map(|(result, _)| {
        (result.verdict == PartitionVerdict::NotLinearizable).then_some(result.label.as_str())
    });
    let mut searched =
        search_partitions(model, history, &partitions, &undecided, options, failed).into_iter();
    let verdict_time = started.map_or(Duration::ZERO, |started| started.elapsed());
    let mut results = Vec::with_capacity(partitions.len());
    let mut pending = Vec::new();
    for (index, decision) in decided.into_iter().enumerate() {
        let Some((result, waiting)) = decision else {
            results.push(
                searched
                    .next()
                    .expect("one search result per undecided partition"),
            );
            continue;
        };
        results.push(result);
        pending.extend(waiting.map(|waiting| Pending {
            partition: index,
            ..waiting
        }));
    }
    let budget = options.witness_budget;
    let memory = options.max_memory_bytes;
    find_witnesses(
        model,
        history,
        &mut results,
        &pending,
        budget,
        verdict_time,
        memory,
    );
    CheckResult {
        verdict: combine(&results),
        partitions: results,
    }
}

/// A partition the model decided; if not linearizable, its witness is still to be found.
fn decided_partition(
    partition: &Partition,
    decision: Decision,
) -> (PartitionResult, Option<Pending>) {
    let mut result = PartitionResult {
        label: partition.label.clone(),
        ops: partition.ops.clone(),
        verdict: PartitionVerdict::Linearizable,
        order: Vec::new(),
        unplaced: Vec::new(),
        why: None,
        prefix: PrefixSearch::Complete,
    };
    match decision {
        Decision::Linearizable { order } => {
            result.order = order;
            (result, None)
        }
        Decision::NotLinearizable {
            culprit,
            why,
            candidate,
        } => {
            assert!(partition.ops.contains(&culprit), "the culprit is a member");
            result.verdict = PartitionVerdict::NotLinearizable;
            result.why = Some(why);
            let waiting = Pending {
                partition: usize::MAX,
                culprit,
                candidate,
            };
            (result, Some(waiting))
        }
    }
}

/// Not linearizable if any partition is not; else unknown if any is; else linearizable.
fn combine(results: &[PartitionResult]) -> Verdict {
    let mut unknown = None;
    for result in results {
        match &result.verdict {
            PartitionVerdict::NotLinearizable => return Verdict::NotLinearizable,
            PartitionVerdict::Unknown { reason } => {
                unknown.get_or_insert_with(|| format!("partition {}: {reason}", result.label));
            }
            PartitionVerdict::Linearizable => {}
        }
    }
    match unknown {
        Some(reason) => Verdict::Unknown { reason },
        None => Verdict::Linearizable,
    }
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
