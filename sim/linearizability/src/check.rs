//! Checking a whole history: partitions searched independently, combined in a fixed order.

use crate::cache::MemoryBudget;
use crate::history::History;
use crate::model::{Decision, Model, Partition};
use crate::search::{search, unplaced_after_prefix, Deadline, OutcomeKind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
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
    /// Partitions checked at once; 1 checks them in order on the calling thread.
    pub threads: usize,
    /// Let the model decide the partitions it has a polynomial procedure for
    /// ([`Model::decide`]); off, the generic search decides everything (for comparisons).
    pub fast_paths: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            timeout: None,
            max_memory_bytes: Some(1 << 30),
            threads: 1,
            fast_paths: true,
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
    /// one being the operation whose return the search could not get past.
    pub unplaced: Vec<usize>,
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
    let partitions = model.partition(history);
    let covered: usize = partitions.iter().map(|p| p.ops.len()).sum();
    assert_eq!(
        covered,
        history.operations.len(),
        "partitions cover each operation once"
    );
    let deadline = Deadline::after(options.timeout);
    let check_one = |partition: &Partition| {
        let memory = MemoryBudget {
            max_bytes: options.max_memory_bytes,
            used_bytes: AtomicUsize::new(0),
        };
        let decision = options
            .fast_paths
            .then(|| model.decide(&history.operations, &partition.ops))
            .flatten();
        match decision {
            Some(decision) => decided_partition(model, history, partition, decision),
            None => check_partition(model, history, partition, deadline, &memory),
        }
    };
    let results: Vec<PartitionResult> = if options.threads == 1 || partitions.len() < 2 {
        partitions.iter().map(check_one).collect()
    } else {
        check_in_parallel(&partitions, options.threads, &check_one)
    };
    CheckResult {
        verdict: combine(&results),
        partitions: results,
    }
}

fn check_partition<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    partition: &Partition,
    deadline: Deadline,
    memory: &MemoryBudget,
) -> PartitionResult {
    let outcome = search(model, &history.operations, &partition.ops, deadline, memory);
    let verdict = match outcome.kind {
        OutcomeKind::Linearizable => PartitionVerdict::Linearizable,
        OutcomeKind::NotLinearizable => PartitionVerdict::NotLinearizable,
        OutcomeKind::Unknown(reason) => PartitionVerdict::Unknown { reason },
    };
    PartitionResult {
        label: partition.label.clone(),
        ops: partition.ops.clone(),
        verdict,
        order: outcome.order,
        unplaced: outcome.unplaced,
    }
}

/// Memo bytes the search may spend on explaining a partition the model decided is not
/// linearizable: a fixed budget of its own, so the explanation does not depend on timing or on
/// other partitions.
const EXPLANATION_MEMORY_BYTES: usize = 64 << 20;

fn decided_partition<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    partition: &Partition,
    decision: Decision,
) -> PartitionResult {
    let (verdict, order, unplaced) = match decision {
        Decision::Linearizable { order } => (PartitionVerdict::Linearizable, order, Vec::new()),
        Decision::NotLinearizable { culprit } => {
            let (order, unplaced) = explain(model, history, partition, culprit);
            (PartitionVerdict::NotLinearizable, order, unplaced)
        }
    };
    PartitionResult {
        label: partition.label.clone(),
        ops: partition.ops.clone(),
        verdict,
        order,
        unplaced,
    }
}

/// The longest linearizable prefix the search finds within its own budget, and the operations
/// left unplaced after it: the search's own if it finishes, else `culprit` first (the operation
/// the model found no place for) unless the prefix placed it.
fn explain<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    partition: &Partition,
    culprit: usize,
) -> (Vec<usize>, Vec<usize>) {
    let memory = MemoryBudget {
        max_bytes: Some(EXPLANATION_MEMORY_BYTES),
        used_bytes: AtomicUsize::new(0),
    };
    let ops = &history.operations;
    let outcome = search(model, ops, &partition.ops, Deadline::after(None), &memory);
    match outcome.kind {
        OutcomeKind::NotLinearizable => (outcome.order, outcome.unplaced),
        OutcomeKind::Linearizable => panic!(
            "partition {}: the model's decision says not linearizable, the search found {:?}",
            partition.label, outcome.order
        ),
        OutcomeKind::Unknown(_) => {
            let mut unplaced = unplaced_after_prefix(ops, &partition.ops, &outcome.order);
            if !outcome.order.contains(&culprit) {
                unplaced.retain(|&i| i != culprit);
                unplaced.insert(0, culprit);
            }
            (outcome.order, unplaced)
        }
    }
}

/// Workers take partitions in order from a shared counter; results land in their own slots, so
/// the combined result does not depend on which worker ran what.
fn check_in_parallel(
    partitions: &[Partition],
    threads: usize,
    check_one: &(dyn Fn(&Partition) -> PartitionResult + Sync),
) -> Vec<PartitionResult> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<PartitionResult>>> =
        partitions.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads.min(partitions.len()) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(partition) = partitions.get(index) else {
                    break;
                };
                let result = check_one(partition);
                *slots[index]
                    .lock()
                    .expect("no worker panics holding a slot") = Some(result);
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            let result = slot
                .into_inner()
                .expect("no worker panicked holding a slot");
            result.expect("every partition was taken by a worker")
        })
        .collect()
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
