//! The just-in-time linearization search of Wing & Gong as improved by Lowe, on one partition.
//!
//! Calls and returns form one doubly linked list in time order. Walking it from the head, a call
//! whose operation the model accepts in the current state is linearized: the call and its return
//! are lifted out of the list and the walk restarts. Reaching a return means its operation
//! cannot be linearized yet, so the last choice is undone (the pair is put back) and the walk
//! goes on after it. (set of linearized operations, state) pairs already explored are memoised.
//!
//! Three rules cut the orders tried without changing the answer, nor the longest linearizable
//! prefix found when there is none:
//! - An open operation that never changes the state (a read whose outcome is unknown) can go
//!   last, where it sees whatever is there: it is left out and appended to the witness.
//! - A read-only operation (the model's `is_read_only`) that the walk reaches and the model
//!   accepts goes next, and no other choice is tried at that point. Reaching its call before any
//!   return means every operation left returned after it was called, so it may come first among
//!   them; it changes no state, so moving it to the front of any completion of the current
//!   prefix (or of any longer prefix) gives another. If the search under it fails, or finds the
//!   pair memoised, the current prefix has no completion: the walk backs up past it.
//! - Identical operations (same input, same output, both open or both completed) `a` and `b`
//!   with `a` called no later and returned no later than `b`: in any linearization with `b`
//!   before `a`, swapping them keeps real time (whatever sat between them was called before `b`
//!   returned and returned after `a` was called) and every answer; repeated swaps of such pairs
//!   sort them. So `b` is tried only after `a` is linearized.

use crate::cache::{Cache, MemoryBudget};
use crate::entry_list::EntryList;
use crate::history::Operation;
use crate::model::Model;
use crate::search_ops::{Searched, NO_TWIN};
use crate::states::States;
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

#[allow(clippy::disallowed_methods)] // the checker's time budgets only; see `Deadline`
pub(crate) fn wall_clock_now() -> Instant {
    Instant::now()
}

/// What one search may spend: the memory budget always, and a deadline (wall clock, for the
/// command line) or a step count (deterministic, for simulations) when given.
pub(crate) struct Limits<'a> {
    pub deadline: Deadline,
    pub max_steps: Option<u64>,
    pub memory: &'a MemoryBudget,
}

/// How many search steps run between two looks at the clock: a look costs about as much as a
/// step, and the witness budgets are a millisecond or two.
const STEPS_PER_DEADLINE_CHECK: u64 = 1 << 8;

/// A linearized call entry, the state before it, and whether it was forced (a read-only
/// operation: no other choice is tried in its place).
struct Frame<S> {
    call: u32,
    before: S,
    forced: bool,
}

/// The walk's mutable state.
struct Walk<S> {
    list: EntryList,
    stack: Vec<Frame<S>>,
    linearized: Vec<u64>,
    state: S,
}

impl<S> Walk<S> {
    fn is_linearized(&self, bit: u32) -> bool {
        self.linearized[bit as usize / 64] & (1 << (bit % 64)) != 0
    }

    fn flip(&mut self, bit: u32) {
        self.linearized[bit as usize / 64] ^= 1 << (bit % 64);
    }

    /// Undoes the last choice and any forced ones under it; the entry to go on from, or `None`
    /// when nothing is left to undo (no linearization).
    fn backtrack(&mut self, bits: &[u32]) -> Option<u32> {
        loop {
            let frame = self.stack.pop()?;
            let local = self.list.op[frame.call as usize] as usize;
            self.flip(bits[local]);
            self.state = frame.before;
            self.list.unlift(frame.call);
            if !frame.forced {
                return Some(self.list.next[frame.call as usize]);
            }
        }
    }

    fn prefix(&self) -> Vec<u32> {
        let calls = self.stack.iter().map(|frame| frame.call as usize);
        calls.map(|call| self.list.op[call]).collect()
    }
}

/// One partition's search, which can pause after a number of steps and go on later: the
/// checker races the searches of several partitions (see `schedule`).
pub(crate) struct Search<'a, M: Model> {
    model: &'a M,
    searched: Searched<'a, M::Input, M::Output>,
    /// The memo and the walk know states by number (see `states`).
    states: States<'a, M>,
    cache: Cache<'a, u32>,
    walk: Walk<u32>,
    longest: Vec<u32>,
    entry: u32,
    steps: u64,
}

impl<'a, M: Model> Search<'a, M> {
    /// A search of the operations `members` (history indices) of `ops`.
    pub fn new(
        model: &'a M,
        ops: &'a [Operation<M::Input, M::Output>],
        members: &[usize],
        memory: &'a MemoryBudget,
    ) -> Self {
        let searched = Searched::new(model, ops, members);
        let cache = Cache::new(memory, searched.completed_words, searched.total_words);
        let walk = Walk {
            list: EntryList::new(&searched.ops),
            stack: Vec::new(),
            linearized: vec![0u64; searched.total_words],
            state: 0,
        };
        let entry = walk.list.first();
        Search {
            model,
            searched,
            states: States::new(model, model.init(), memory),
            cache,
            walk,
            longest: Vec::new(),
            entry,
            steps: 0,
        }
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Runs until the search ends, or `deadline` passes (an end: unknown), or it has taken
    /// `pause_at` steps in all (`None`: paused, call again).
    pub fn run(&mut self, deadline: Deadline, pause_at: Option<u64>) -> Option<OutcomeKind> {
        loop {
            if self.walk.list.is_empty() {
                self.longest = self.walk.prefix();
                return Some(OutcomeKind::Linearizable);
            }
            if pause_at.is_some_and(|pause| self.steps >= pause) {
                return None;
            }
            self.steps += 1;
            let steps = self.steps;
            if steps.is_multiple_of(STEPS_PER_DEADLINE_CHECK) && deadline.passed() {
                let reason = format!("time budget ran out after {steps} search steps");
                return Some(OutcomeKind::Unknown(reason));
            }
            if let Some(end) = self.step() {
                return Some(end);
            }
        }
    }

    /// One step of the walk, at `self.entry`; `Some` if the search ends.
    fn step(&mut self) -> Option<OutcomeKind> {
        let entry = self.entry;
        let searched = &self.searched;
        let local = self.walk.list.op[entry as usize] as usize;
        let next = self.walk.list.next[entry as usize];
        if !self.walk.list.is_call[entry as usize] {
            // Its operation must be linearized before here and is not: undo the last choice.
            return self.backtrack();
        }
        let twin = searched.twin[local];
        if twin != NO_TWIN && !self.walk.is_linearized(searched.bits[twin as usize]) {
            self.entry = next;
            return None;
        }
        let forced = searched.read_only[local];
        let op = searched.ops[local];
        match self.states.step(self.model, self.walk.state, forced, op) {
            Ok(Some(after)) => self.linearize(local, after, forced),
            Ok(None) => {
                self.entry = next;
                None
            }
            Err(_) => Some(self.out_of_memory()),
        }
    }

    /// Linearizes the operation `local` of the call at `self.entry`, leading to state
    /// `after`, unless the memo has seen where that leads.
    fn linearize(&mut self, local: usize, after: u32, forced: bool) -> Option<OutcomeKind> {
        let entry = self.entry;
        let bit = self.searched.bits[local];
        self.walk.flip(bit);
        match self.cache.insert(&self.walk.linearized, &after, 0) {
            Ok(true) => {
                let before = std::mem::replace(&mut self.walk.state, after);
                let frame = Frame {
                    call: entry,
                    before,
                    forced,
                };
                self.walk.stack.push(frame);
                self.walk.list.lift(entry);
                if self.walk.stack.len() > self.longest.len() {
                    self.longest = self.walk.prefix();
                }
                self.entry = self.walk.list.first();
                None
            }
            Ok(false) if !forced => {
                self.walk.flip(bit);
                self.entry = self.walk.list.next[entry as usize];
                None
            }
            Ok(false) => {
                // Explored before: the current prefix has no completion (module comment).
                self.walk.flip(bit);
                self.backtrack()
            }
            Err(_) => Some(self.out_of_memory()),
        }
    }

    /// Undoes the last choice; `Some` (not linearizable) if there is none.
    fn backtrack(&mut self) -> Option<OutcomeKind> {
        match self.walk.backtrack(&self.searched.bits) {
            Some(next) => {
                self.entry = next;
                None
            }
            None => Some(OutcomeKind::NotLinearizable),
        }
    }

    fn out_of_memory(&self) -> OutcomeKind {
        let entries = self.cache.len();
        OutcomeKind::Unknown(format!("memory budget ran out with {entries} memo entries"))
    }

    /// The search's result once `run` gave `kind`. After an unknown end, the longest prefix
    /// found so far.
    pub fn outcome(self, kind: OutcomeKind) -> SearchOutcome {
        let searched = &self.searched;
        let longest = &self.longest;
        let mut order: Vec<usize> = longest
            .iter()
            .map(|&local| searched.indices[local as usize])
            .collect();
        let unplaced = match kind {
            OutcomeKind::NotLinearizable => {
                crate::witness::unplaced_after(&self.walk.list, longest, &searched.indices)
            }
            OutcomeKind::Linearizable | OutcomeKind::Unknown(_) => Vec::new(),
        };
        if let OutcomeKind::Linearizable = kind {
            assert_eq!(
                order.len(),
                searched.indices.len(),
                "a linearization places every operation"
            );
            order.extend(&searched.left_out);
        }
        SearchOutcome {
            kind,
            order,
            unplaced,
        }
    }
}

/// Searches a linearization of the operations `members` (history indices) of `ops` within
/// `limits`.
pub(crate) fn search<M: Model>(
    model: &M,
    ops: &[Operation<M::Input, M::Output>],
    members: &[usize],
    limits: &Limits,
) -> SearchOutcome {
    let mut search = Search::new(model, ops, members, limits.memory);
    let kind = search
        .run(limits.deadline, limits.max_steps)
        .unwrap_or_else(|| {
            let steps = search.steps();
            OutcomeKind::Unknown(format!("step budget ran out after {steps} search steps"))
        });
    search.outcome(kind)
}
