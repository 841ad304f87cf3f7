//! The just-in-time linearization search of Wing & Gong as improved by Lowe, on one partition.
//!
//! Calls and returns form one doubly linked list in time order. Walking it from the head, a call
//! whose operation the model accepts in the current state is linearized: the call and its return
//! are lifted out of the list and the walk restarts. Reaching a return means its operation
//! cannot be linearized yet, so the last choice is undone (the pair is put back) and the walk
//! goes on after it. (set of linearized operations, state) pairs already explored are memoised.

use crate::cache::{Cache, MemoryBudget};
use crate::history::Operation;
use crate::model::Model;
use std::time::{Duration, Instant};

/// How one partition's search ended.
pub(crate) struct SearchOutcome {
    pub kind: OutcomeKind,
    /// History indices: the full linearization, or the longest linearizable prefix found.
    pub order: Vec<usize>,
    /// History indices of operations that could not be placed after `order`, the blocking
    /// one (earliest return) first. Empty unless not linearizable.
    pub unplaced: Vec<usize>,
}

pub(crate) enum OutcomeKind {
    Linearizable,
    NotLinearizable,
    Unknown(String),
}

/// When the check must give up. The checker is a tool that runs outside any simulated run, so
/// reading the wall clock here cannot make a simulation depend on the machine; a verdict reached
/// before the deadline never depends on it.
#[derive(Clone, Copy)]
pub(crate) struct Deadline(Option<Instant>);

impl Deadline {
    pub fn after(timeout: Option<Duration>) -> Deadline {
        Deadline(timeout.map(|timeout| wall_clock_now() + timeout))
    }

    fn passed(&self) -> bool {
        self.0.is_some_and(|deadline| wall_clock_now() >= deadline)
    }
}

#[allow(clippy::disallowed_methods)] // the checker's time budget only; see `Deadline`
pub(crate) fn wall_clock_now() -> Instant {
    Instant::now()
}

/// How many search steps run between two looks at the clock.
const STEPS_PER_DEADLINE_CHECK: u64 = 1 << 12;

/// Calls and returns in time order, as a doubly linked list over indices with two sentinels.
struct EntryList {
    next: Vec<u32>,
    prev: Vec<u32>,
    /// The local operation of each entry.
    op: Vec<u32>,
    is_call: Vec<bool>,
    /// The return entry of each call entry (and the call of each return).
    partner: Vec<u32>,
    head: u32,
    tail: u32,
}

impl EntryList {
    /// Entries for `ops` (none failed); an open operation returns after everything else.
    fn new<I, O>(ops: &[&Operation<I, O>]) -> EntryList {
        // (time, returns after calls at equal times, op, is_call): equal times overlap.
        let mut order: Vec<(u64, bool, u32, bool)> = Vec::with_capacity(ops.len() * 2);
        for (local, op) in ops.iter().enumerate() {
            assert!(!op.is_failed(), "failed operations are not searched");
            order.push((op.call, false, local as u32, true));
            order.push((op.ret.unwrap_or(u64::MAX), true, local as u32, false));
        }
        order.sort_unstable();
        let count = order.len() as u32;
        let (head, tail) = (count, count + 1);
        // Entries 0..count in order, then the head and tail sentinels.
        let mut next: Vec<u32> = (1..=count).collect();
        next.extend([if count == 0 { tail } else { 0 }, tail]);
        let mut prev: Vec<u32> = [head]
            .into_iter()
            .chain(0..count.saturating_sub(1))
            .collect();
        prev.truncate(count as usize);
        prev.extend([head, if count == 0 { head } else { count - 1 }]);
        if let Some(last) = count.checked_sub(1) {
            next[last as usize] = tail;
        }
        let mut list = EntryList {
            next,
            prev,
            op: order.iter().map(|entry| entry.2).collect(),
            is_call: order.iter().map(|entry| entry.3).collect(),
            partner: vec![0; count as usize],
            head,
            tail,
        };
        let mut call_of_op = vec![u32::MAX; ops.len()];
        for entry in 0..count {
            let op = list.op[entry as usize] as usize;
            if list.is_call[entry as usize] {
                call_of_op[op] = entry;
            } else {
                let call = call_of_op[op];
                assert!(call != u32::MAX, "op {op}: return before call");
                list.partner[call as usize] = entry;
                list.partner[entry as usize] = call;
            }
        }
        list
    }

    fn first(&self) -> u32 {
        self.next[self.head as usize]
    }

    fn is_empty(&self) -> bool {
        self.first() == self.tail
    }

    fn unlink(&mut self, entry: u32) {
        let (prev, next) = (self.prev[entry as usize], self.next[entry as usize]);
        self.next[prev as usize] = next;
        self.prev[next as usize] = prev;
    }

    fn relink(&mut self, entry: u32) {
        let (prev, next) = (self.prev[entry as usize], self.next[entry as usize]);
        self.next[prev as usize] = entry;
        self.prev[next as usize] = entry;
    }

    /// Takes a call and its return out of the list.
    fn lift(&mut self, call: u32) {
        assert!(self.is_call[call as usize]);
        self.unlink(call);
        self.unlink(self.partner[call as usize]);
    }

    /// Puts them back, in the reverse order of `lift`.
    fn unlift(&mut self, call: u32) {
        self.relink(self.partner[call as usize]);
        self.relink(call);
    }
}

/// Searches a linearization of the operations `members` (history indices) of `ops`.
pub(crate) fn search<M: Model>(
    model: &M,
    ops: &[Operation<M::Input, M::Output>],
    members: &[usize],
    deadline: Deadline,
    memory: &MemoryBudget,
) -> SearchOutcome {
    let checked: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| !ops[i].is_failed())
        .collect();
    let local_ops: Vec<&Operation<M::Input, M::Output>> =
        checked.iter().map(|&i| &ops[i]).collect();
    let mut list = EntryList::new(&local_ops);
    let mut cache = Cache::new(memory);
    let mut linearized = vec![0u64; local_ops.len().div_ceil(64)];
    let mut state = model.init();
    // Each linearized call entry with the state before it.
    let mut stack: Vec<(u32, M::State)> = Vec::new();
    let mut longest: Vec<u32> = Vec::new();
    let mut entry = list.first();
    let mut steps: u64 = 0;
    let kind = loop {
        if list.is_empty() {
            longest = stack
                .iter()
                .map(|&(call, _)| list.op[call as usize])
                .collect();
            break OutcomeKind::Linearizable;
        }
        steps += 1;
        if steps.is_multiple_of(STEPS_PER_DEADLINE_CHECK) && deadline.passed() {
            break OutcomeKind::Unknown(format!("time budget ran out after {steps} search steps"));
        }
        let local = list.op[entry as usize] as usize;
        if !list.is_call[entry as usize] {
            // Its operation must be linearized before here and is not: undo the last choice.
            let Some((call, before)) = stack.pop() else {
                break OutcomeKind::NotLinearizable;
            };
            let undone = list.op[call as usize] as usize;
            linearized[undone / 64] &= !(1 << (undone % 64));
            state = before;
            list.unlift(call);
            entry = list.next[call as usize];
            continue;
        }
        let op = local_ops[local];
        let Some(after) = model.step(&state, &op.input, op.output.as_ref()) else {
            entry = list.next[entry as usize];
            continue;
        };
        linearized[local / 64] |= 1 << (local % 64);
        match cache.insert(&linearized, &after, model.state_heap_bytes(&after)) {
            Ok(true) => {
                stack.push((entry, std::mem::replace(&mut state, after)));
                list.lift(entry);
                if stack.len() > longest.len() {
                    longest = stack
                        .iter()
                        .map(|&(call, _)| list.op[call as usize])
                        .collect();
                }
                entry = list.first();
            }
            Ok(false) => {
                linearized[local / 64] &= !(1 << (local % 64));
                entry = list.next[entry as usize];
            }
            Err(over) => {
                break OutcomeKind::Unknown(format!(
                    "memory budget ran out with {} memo entries",
                    over.entries
                ));
            }
        }
    };
    let order: Vec<usize> = longest
        .iter()
        .map(|&local| checked[local as usize])
        .collect();
    let unplaced = match kind {
        OutcomeKind::NotLinearizable => unplaced_after(&list, &longest, &checked),
        OutcomeKind::Linearizable | OutcomeKind::Unknown(_) => Vec::new(),
    };
    if let OutcomeKind::Linearizable = kind {
        assert_eq!(
            order.len(),
            checked.len(),
            "a linearization places every operation"
        );
    }
    SearchOutcome {
        kind,
        order,
        unplaced,
    }
}

/// The operations of `members` that could not be placed after the linearizable prefix `order`
/// (history indices), as [`SearchOutcome::unplaced`] lists them.
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

/// After the prefix `placed`, the operation whose return comes first among the rest blocked the
/// search; it and every other operation called before that return could not be placed.
fn unplaced_after(list: &EntryList, placed: &[u32], checked: &[usize]) -> Vec<usize> {
    let mut is_placed = vec![false; checked.len()];
    for &local in placed {
        is_placed[local as usize] = true;
    }
    // The list is whole again after a failed search: walk it in time order.
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
