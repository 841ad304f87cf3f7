//! Which searches run, and when. A history is not linearizable as soon as one partition is not,
//! so the verdict should cost what finding the first failure costs, not what the hardest
//! partition costs (Porcupine's c50-bad: four keys fail within 2 ms, four others take
//! seconds or more).
//!
//! - If a decision procedure already found a partition not linearizable, no search runs: the
//!   undecided partitions are reported as not searched.
//! - Else the undecided partitions' searches race: in rounds, each search that has not ended
//!   takes a quantum of steps, the quantum doubling each round up to `RACE_LAST_STEPS`; then a
//!   last round takes each search still running to its end. Within a round the searches run
//!   in partition order (in the last round `threads` at a time), and none starts after one
//!   failed; after such a
//!   round the race stops. The searches after the first failure of the round may have run or
//!   not, as the threads went, so they are all reported as not searched, with no prefix.
//!   Everything else depends only on step counts, never on timing or threads: the verdict and
//!   every witness are functions of the history.
//! - Searches paused when the race stops keep their memos (about 2^17 entries at most) until
//!   the check ends; a search in the last round holds a whole memo budget.

use crate::cache::MemoryBudget;
use crate::check::{CheckOptions, PartitionResult, PartitionVerdict, PrefixSearch};
use crate::history::History;
use crate::model::{Model, Partition};
use crate::search::{Deadline, OutcomeKind, Search, SearchOutcome};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The first round's quantum, in search steps (tens of microseconds).
const RACE_FIRST_STEPS: u64 = 1 << 10;
/// The last round's quantum: after it, searches hold memos of at most about 2^17 entries each.
const RACE_LAST_STEPS: u64 = 1 << 16;

/// A search under way or ended.
enum Slot<'a, M: Model> {
    Running(Box<Search<'a, M>>),
    Ended(SearchOutcome),
    /// Taken out while being worked on, or after its result was read.
    Empty,
}

impl<M: Model> Slot<'_, M> {
    fn failed(&self) -> bool {
        matches!(self, Slot::Ended(outcome) if matches!(outcome.kind, OutcomeKind::NotLinearizable))
    }
}

/// Results for the partitions `undecided` (indices into `partitions`), in that order. `failed`
/// names a partition a decision procedure already found not linearizable.
pub(crate) fn search_partitions<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    partitions: &[Partition],
    undecided: &[usize],
    options: &CheckOptions,
    failed: Option<&str>,
) -> Vec<PartitionResult> {
    let targets: Vec<&Partition> = undecided.iter().map(|&p| &partitions[p]).collect();
    if let Some(label) = failed {
        return targets
            .iter()
            .map(|partition| not_searched(partition, Vec::new(), label))
            .collect();
    }
    let deadline = Deadline::after(options.timeout);
    let budgets: Vec<MemoryBudget> = targets
        .iter()
        .map(|_| MemoryBudget::new(options.max_memory_bytes))
        .collect();
    let slots: Vec<Mutex<Slot<M>>> = targets
        .iter()
        .zip(&budgets)
        .map(|(partition, budget)| {
            let search = Search::new(model, &history.operations, &partition.ops, budget);
            Mutex::new(Slot::Running(Box::new(search)))
        })
        .collect();
    race(&slots, options.threads, deadline);
    collect(&targets, slots)
}

/// Rounds of growing quanta, then one without a pause; it stops after a round in which a
/// search failed, or once every search has ended.
fn race<M: Model>(slots: &[Mutex<Slot<M>>], threads: usize, deadline: Deadline) {
    let mut pause_at = 0;
    let mut quantum = RACE_FIRST_STEPS;
    loop {
        let pause = (quantum <= RACE_LAST_STEPS).then(|| {
            pause_at += quantum;
            pause_at
        });
        // A round of the race is short: threads would cost more to start and join than they
        // save (on a loaded machine, far more). Only the last round uses them.
        let round_threads = if pause.is_some() { 1 } else { threads };
        let failed = run_round(slots, round_threads, deadline, pause);
        let all_ended = slots
            .iter()
            .all(|slot| !matches!(*slot.lock().expect("no worker panicked"), Slot::Running(_)));
        if failed || all_ended || pause.is_none() {
            return;
        }
        quantum *= 2;
    }
}

/// Every running search, in order, takes steps up to `pause` (to its end if `None`); none
/// starts after one failed. Whether one failed.
fn run_round<M: Model>(
    slots: &[Mutex<Slot<M>>],
    threads: usize,
    deadline: Deadline,
    pause: Option<u64>,
) -> bool {
    let running_before: Vec<bool> = slots
        .iter()
        .map(|slot| matches!(*slot.lock().expect("no worker panicked"), Slot::Running(_)))
        .collect();
    let first_failure = AtomicUsize::new(usize::MAX);
    for_each_slot(slots, threads, &|index, slot| {
        if first_failure.load(Ordering::SeqCst) < index {
            return;
        }
        step_slot(slot, deadline, pause);
        if slot.failed() {
            first_failure.fetch_min(index, Ordering::SeqCst);
        }
    });
    // Every search before the first failure ran its round, whatever the threads did; past it
    // a search ran or not as they went: drop those alike.
    let first = first_failure.into_inner();
    for (index, slot) in slots.iter().enumerate().skip(first.saturating_add(1)) {
        if running_before[index] {
            *slot.lock().expect("no worker panicked") = Slot::Empty;
        }
    }
    first < usize::MAX
}

/// Runs a running search until it ends or has taken `pause_at` steps.
fn step_slot<M: Model>(slot: &mut Slot<M>, deadline: Deadline, pause_at: Option<u64>) {
    let Slot::Running(search) = slot else { return };
    if let Some(kind) = search.run(deadline, pause_at) {
        let Slot::Running(search) = std::mem::replace(slot, Slot::Empty) else {
            unreachable!("matched above");
        };
        *slot = Slot::Ended(search.outcome(kind));
    }
}

/// Calls `work` on every slot, `threads` at a time, slots taken in order.
fn for_each_slot<M: Model>(
    slots: &[Mutex<Slot<M>>],
    threads: usize,
    work: &(dyn Fn(usize, &mut Slot<M>) + Sync),
) {
    if threads <= 1 || slots.len() < 2 {
        for (index, slot) in slots.iter().enumerate() {
            work(index, &mut slot.lock().expect("no worker panicked"));
        }
        return;
    }
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads.min(slots.len()) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(slot) = slots.get(index) else { break };
                work(index, &mut slot.lock().expect("no worker panicked"));
            });
        }
    });
}

/// The results, in order; the first failure's label names why later ones were not searched.
fn collect<M: Model>(targets: &[&Partition], slots: Vec<Mutex<Slot<M>>>) -> Vec<PartitionResult> {
    let slots: Vec<Slot<M>> = slots
        .into_iter()
        .map(|slot| slot.into_inner().expect("no worker panicked"))
        .collect();
    let failed = slots
        .iter()
        .position(Slot::failed)
        .map(|index| targets[index].label.clone());
    let mut results = Vec::with_capacity(slots.len());
    for (partition, slot) in targets.iter().zip(slots) {
        let result = match (slot, &failed) {
            (Slot::Ended(outcome), _) => searched(partition, outcome),
            (Slot::Running(search), Some(label)) => {
                let outcome = search.outcome(OutcomeKind::Unknown(String::new()));
                not_searched(partition, outcome.order, label)
            }
            (Slot::Empty, Some(label)) => not_searched(partition, Vec::new(), label),
            (Slot::Running(_) | Slot::Empty, None) => {
                unreachable!("without a failure every search ends")
            }
        };
        results.push(result);
    }
    results
}

fn searched(partition: &Partition, outcome: SearchOutcome) -> PartitionResult {
    let (verdict, prefix) = match outcome.kind {
        OutcomeKind::Linearizable => (PartitionVerdict::Linearizable, PrefixSearch::Complete),
        OutcomeKind::NotLinearizable => (PartitionVerdict::NotLinearizable, PrefixSearch::Complete),
        OutcomeKind::Unknown(reason) => (
            PartitionVerdict::Unknown {
                reason: reason.clone(),
            },
            PrefixSearch::StoppedEarly { reason },
        ),
    };
    PartitionResult {
        label: partition.label.clone(),
        ops: partition.ops.clone(),
        verdict,
        order: outcome.order,
        unplaced: outcome.unplaced,
        why: None,
        prefix,
    }
}

/// A partition left undecided because `failed` already makes the history not linearizable.
fn not_searched(partition: &Partition, order: Vec<usize>, failed: &str) -> PartitionResult {
    let reason = format!("not searched to the end: {failed} is not linearizable");
    PartitionResult {
        label: partition.label.clone(),
        ops: partition.ops.clone(),
        verdict: PartitionVerdict::Unknown {
            reason: reason.clone(),
        },
        order,
        unplaced: Vec::new(),
        why: None,
        prefix: PrefixSearch::StoppedEarly { reason },
    }
}
