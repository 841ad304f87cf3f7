//! Witnesses for partitions a decision procedure found not linearizable: the longest
//! linearizable prefix and the operations that cannot be placed after it.
//!
//! The decision costs O(n log n) and already names the operation that cannot be placed and why;
//! the exhaustive search for the longest prefix can cost seconds. So the prefix comes first
//! from the decision itself (read off its candidate order, below), and the search may look for
//! a longer one only within a budget of its own ([`WitnessBudget`]): a step count, so that a
//! simulation's witness is a function of its seed, or for a person at a terminal a few times
//! what the verdict cost. A search that finishes gives the longest prefix there is; one that
//! stops early says so ([`PrefixSearch::StoppedEarly`]).

use crate::cache::MemoryBudget;
use crate::check::{PartitionResult, PrefixSearch, WitnessBudget};
use crate::entry_list::EntryList;
use crate::history::{History, Operation};
use crate::model::Model;
use crate::search::{search, wall_clock_now, Deadline, Limits, OutcomeKind, SearchOutcome};
use std::collections::BTreeSet;
use std::time::Duration;

/// Memo bytes a witness search may spend at most, whatever the check's own budget.
const WITNESS_MEMORY_BYTES: usize = 64 << 20;

/// A partition decided not linearizable, waiting for its witness.
pub(crate) struct Pending {
    /// Its place in the check's partitions.
    pub partition: usize,
    pub culprit: usize,
    pub candidate: Vec<usize>,
}

/// Fills in the order and unplaced operations of each pending partition, in partition order.
/// `verdict_time` is what deciding every partition took (read only for a time budget).
pub(crate) fn find_witnesses<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    results: &mut [PartitionResult],
    pending: &[Pending],
    budget: WitnessBudget,
    verdict_time: Duration,
    max_memory_bytes: Option<usize>,
) {
    let started = wall_clock_now();
    let total = match budget {
        WitnessBudget::Steps(_) => Duration::ZERO,
        WitnessBudget::Time { factor, max } => verdict_time.saturating_mul(factor).min(max),
    };
    for (done, waiting) in pending.iter().enumerate() {
        let memory = MemoryBudget::new(Some(
            max_memory_bytes.map_or(WITNESS_MEMORY_BYTES, |max| max.min(WITNESS_MEMORY_BYTES)),
        ));
        let limits = match budget {
            WitnessBudget::Steps(steps) => Limits {
                deadline: Deadline::after(None),
                max_steps: Some(steps),
                memory: &memory,
            },
            WitnessBudget::Time { .. } => {
                // What is left, shared fairly by the partitions still waiting.
                let left = total.saturating_sub(started.elapsed());
                let share = left / (pending.len() - done) as u32;
                Limits {
                    deadline: Deadline::after(Some(share)),
                    max_steps: share.is_zero().then_some(0),
                    memory: &memory,
                }
            }
        };
        let result = &mut results[waiting.partition];
        witness(model, &history.operations, result, waiting, &limits);
    }
}

fn witness<M: Model>(
    model: &M,
    ops: &[Operation<M::Input, M::Output>],
    result: &mut PartitionResult,
    waiting: &Pending,
    limits: &Limits,
) {
    let from_decision = prefix_along(model, ops, &result.ops, &waiting.candidate);
    let outcome = (limits.max_steps != Some(0)).then(|| search(model, ops, &result.ops, limits));
    let (order, mut unplaced, prefix) = match outcome {
        Some(SearchOutcome {
            kind: OutcomeKind::NotLinearizable,
            order,
            unplaced,
        }) => (order, unplaced, PrefixSearch::Complete),
        Some(SearchOutcome {
            kind: OutcomeKind::Linearizable,
            order,
            ..
        }) => panic!(
            "partition {}: the model's decision says not linearizable, the search found {order:?}",
            result.label
        ),
        Some(SearchOutcome {
            kind: OutcomeKind::Unknown(reason),
            order,
            ..
        }) => {
            let order = if order.len() > from_decision.len() {
                order
            } else {
                from_decision
            };
            let unplaced = unplaced_after_prefix(ops, &result.ops, &order);
            (order, unplaced, PrefixSearch::StoppedEarly { reason })
        }
        None => {
            let unplaced = unplaced_after_prefix(ops, &result.ops, &from_decision);
            let reason = String::from("no budget left for a search");
            (
                from_decision,
                unplaced,
                PrefixSearch::StoppedEarly { reason },
            )
        }
    };
    // The operation the decision explains leads, unless the prefix placed it.
    if !order.contains(&waiting.culprit) {
        unplaced.retain(|&i| i != waiting.culprit);
        unplaced.insert(0, waiting.culprit);
    }
    result.order = order;
    result.unplaced = unplaced;
    result.prefix = prefix;
}

/// The linearizable prefix read off `candidate` (history indices; by return time if empty):
/// each operation in turn joins if every operation that returned before it was called has
/// joined and the model accepts it, else it is passed over. Every operation that joins has its
/// real-time predecessors before it and its answer, so the result is a linearizable prefix.
pub(crate) fn prefix_along<M: Model>(
    model: &M,
    ops: &[Operation<M::Input, M::Output>],
    members: &[usize],
    candidate: &[usize],
) -> Vec<usize> {
    let live: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| !ops[i].is_failed())
        .collect();
    let ret = |i: usize| ops[i].ret.unwrap_or(u64::MAX);
    let by_return: Vec<usize>;
    let candidate = if candidate.is_empty() {
        let mut sorted = live.clone();
        sorted.sort_by_key(|&i| (ret(i), ops[i].call, i));
        by_return = sorted;
        &by_return
    } else {
        candidate
    };
    let mut waiting: BTreeSet<(u64, usize)> = live.iter().map(|&i| (ret(i), i)).collect();
    let mut state = model.init();
    let mut prefix = Vec::new();
    for &i in candidate {
        assert!(
            !ops[i].is_failed(),
            "a candidate order holds no failed operation"
        );
        let blocked = waiting
            .iter()
            .find(|&&(_, j)| j != i)
            .is_some_and(|&(first_ret, _)| first_ret < ops[i].call);
        if blocked || !waiting.contains(&(ret(i), i)) {
            continue;
        }
        if let Some(next) = model.step(&state, &ops[i].input, ops[i].output.as_ref()) {
            state = next;
            waiting.remove(&(ret(i), i));
            prefix.push(i);
        }
    }
    prefix
}

/// The operations of `members` that could not be placed after the linearizable prefix `order`
/// (history indices), as [`PartitionResult::unplaced`] lists them.
pub(crate) fn unplaced_after_prefix<I, O>(
    ops: &[Operation<I, O>],
    members: &[usize],
    order: &[usize],
) -> Vec<usize> {
    let checked: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| !ops[i].is_failed())
        .collect();
    let local_ops: Vec<&Operation<I, O>> = checked.iter().map(|&i| &ops[i]).collect();
    let list = EntryList::new(&local_ops);
    let placed: Vec<u32> = order
        .iter()
        .map(|i| checked.binary_search(i).expect("the prefix is of members") as u32)
        .collect();
    unplaced_after(&list, &placed, &checked)
}

/// After the prefix `placed` (local numbers into `checked`), the operation whose return comes
/// first among the rest blocked the search; it and every other operation called before that
/// return could not be placed. `list` must be whole.
pub(crate) fn unplaced_after(list: &EntryList, placed: &[u32], checked: &[usize]) -> Vec<usize> {
    let mut is_placed = vec![false; checked.len()];
    for &local in placed {
        is_placed[local as usize] = true;
    }
    let mut blocking = None;
    let mut called = Vec::new();
    let mut entry = list.first();
    while entry != list.tail {
        let local = list.op[entry as usize] as usize;
        if !is_placed[local] {
            if list.is_call[entry as usize] {
                called.push(local);
            } else {
                blocking = Some(local);
                break;
            }
        }
        entry = list.next[entry as usize];
    }
    let blocking = blocking.expect("a failed search leaves an operation unplaced");
    let mut unplaced = vec![checked[blocking]];
    unplaced.extend(
        called
            .into_iter()
            .filter(|&l| l != blocking)
            .map(|l| checked[l]),
    );
    unplaced
}
