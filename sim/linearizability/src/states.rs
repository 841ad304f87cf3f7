//! The model states one search meets, each kept once and known by number, and the steps
//! between them remembered.
//!
//! Backtracking applies the same operation to the same state again and again. With a state
//! that owns a heap value (the kv model's String) each step built, hashed, cloned into the memo
//! and freed a string: about a thousand instructions. Numbered, a repeated step is one lookup
//! of two integers, the memo and the stack hold `u32`s, and a string is built once per distinct
//! state. Exact: a number stands for exactly one state, and a step is a pure function of the
//! state and the operation.

use crate::cache::{MemoryBudget, OverBudget};
use crate::history::Operation;
use crate::model::Model;
use hashbrown::HashTable;
use protocol_core::collections::FixedState;
use std::hash::BuildHasher;
use std::sync::atomic::Ordering;

pub(crate) struct States<'b, M: Model> {
    states: Vec<M::State>,
    /// State numbers, found by the state's hash.
    ids: HashTable<u32>,
    hasher: FixedState,
    budget: &'b MemoryBudget,
    charged_bytes: usize,
}

impl<'b, M: Model> States<'b, M> {
    /// The states of a search that starts in `init`, as number 0.
    pub fn new(model: &M, init: M::State, budget: &'b MemoryBudget) -> Self {
        let mut states = States {
            states: Vec::new(),
            ids: HashTable::new(),
            hasher: FixedState::default(),
            budget,
            charged_bytes: 0,
        };
        // Recorded whatever the budget, and charged, so that a spent budget refuses the
        // search's first step: a search always has a state.
        let _ = states.charge(states.bytes_of(model, &init));
        let first = states.insert(states.hasher.hash_one(&init), init);
        assert_eq!(first, 0, "the initial state is number 0");
        states
    }

    /// The state after `op` in state `state`, by number; `Ok(None)` if the model refuses it.
    /// A read-only operation that the model accepts keeps the state's number.
    pub fn step<I, O>(
        &mut self,
        model: &M,
        state: u32,
        read_only: bool,
        op: &Operation<I, O>,
    ) -> Result<Option<u32>, OverBudget>
    where
        M: Model<Input = I, Output = O>,
    {
        let before = &self.states[state as usize];
        if read_only {
            let accepted = model.accepts(before, &op.input, op.output.as_ref());
            return Ok(accepted.then_some(state));
        }
        match model.step(before, &op.input, op.output.as_ref()) {
            Some(after) => self.number(model, after).map(Some),
            None => Ok(None),
        }
    }

    /// The number of `state`, numbering it if it is new.
    fn number(&mut self, model: &M, state: M::State) -> Result<u32, OverBudget> {
        let hash = self.hasher.hash_one(&state);
        let states = &self.states;
        if let Some(&id) = self.ids.find(hash, |&id| states[id as usize] == state) {
            return Ok(id);
        }
        self.charge(self.bytes_of(model, &state))?;
        Ok(self.insert(hash, state))
    }

    /// Numbers a state that has no number yet; `hash` is its hash.
    fn insert(&mut self, hash: u64, state: M::State) -> u32 {
        let id = u32::try_from(self.states.len()).expect("fewer than 2^32 states");
        self.states.push(state);
        let (states, hasher) = (&self.states, &self.hasher);
        self.ids
            .insert_unique(hash, id, |&id| hasher.hash_one(&states[id as usize]));
        id
    }

    /// A state's bytes, its number's slot included.
    fn bytes_of(&self, model: &M, state: &M::State) -> usize {
        std::mem::size_of::<M::State>() + model.state_heap_bytes(state) + 8
    }

    fn charge(&mut self, bytes: usize) -> Result<(), OverBudget> {
        let before = self.budget.used_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.charged_bytes += bytes;
        match self.budget.max_bytes {
            Some(max) if before + bytes > max => Err(OverBudget),
            Some(_) | None => Ok(()),
        }
    }
}

impl<M: Model> Drop for States<'_, M> {
    fn drop(&mut self) {
        self.budget
            .used_bytes
            .fetch_sub(self.charged_bytes, Ordering::Relaxed);
    }
}
