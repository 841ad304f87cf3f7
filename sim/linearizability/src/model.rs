//! The sequential specification a history is checked against.

use crate::explanation::Explanation;
use crate::history::{History, Operation};
use std::fmt::Debug;
use std::hash::Hash;

/// A sequential specification: a state machine that says, for each state and operation, which
/// state follows, or that the operation's output is impossible there.
///
/// `Sync` because independent partitions are checked on several threads at once.
pub trait Model: Sync {
    /// The model's state. Equality and hashing decide which search states are memoised as seen.
    type State: Clone + Eq + Hash + Debug + Send;
    /// What a client asked for. Equality and hashing find identical operations, of which the
    /// search tries one order only.
    type Input: Clone + Debug + Eq + Hash + Send + Sync;
    /// What a client was answered.
    type Output: Clone + Debug + Eq + Hash + Send + Sync;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// The state after `input` is applied in `state` and answered with `output`, or `None` if
    /// that answer is impossible there. `output` is `None` when the outcome is unknown (a crashed
    /// client, a timed-out request): then any answer is possible and only the effect matters.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;

    /// Splits a history into independent sub-histories (P-compositionality: the history is
    /// linearizable iff each part is), in a fixed order. The default keeps it whole.
    fn partition(&self, history: &History<Self::Input, Self::Output>) -> Vec<Partition> {
        vec![Partition {
            label: String::from("all"),
            ops: (0..history.operations.len()).collect(),
        }]
    }

    /// Decides the partition `members` of `ops` without the generic search, when the model
    /// knows a sound and complete procedure for it (see [`crate::models::kv_unique`]); `None`
    /// leaves it to the search. Failed operations are among `members` and must be ignored.
    fn decide(
        &self,
        _ops: &[Operation<Self::Input, Self::Output>],
        _members: &[usize],
    ) -> Option<Decision> {
        None
    }

    /// One line describing an operation for people: `put("k", "v") -> ok`.
    fn describe_operation(&self, input: &Self::Input, output: Option<&Self::Output>) -> String;

    /// The call alone, as an explanation names it: `get("k")`, `cas("k", 1, 2)`.
    fn describe_call(&self, input: &Self::Input) -> String {
        self.describe_operation(input, None)
    }

    /// Whether every step of `input` answered `output` that the model accepts leaves the state
    /// as it was (a read that returned a value). The search linearizes such an operation as
    /// soon as it can and tries no other order for it (see `search`).
    fn is_read_only(&self, _input: &Self::Input, _output: Option<&Self::Output>) -> bool {
        false
    }

    /// Whether `step` would accept `input` answered `output` in `state`; the search asks this of
    /// read-only operations, whose next state it knows. Override it where `step` would build a
    /// state only to have it dropped.
    fn accepts(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> bool {
        self.step(state, input, output).is_some()
    }

    /// One line describing a state for people.
    fn describe_state(&self, state: &Self::State) -> String;

    /// Bytes a state holds on the heap beyond `size_of::<State>()`, for the memory budget.
    fn state_heap_bytes(&self, _state: &Self::State) -> usize {
        0
    }
}

/// One independent part of a history: a label (`key "k3"`) and indices into its operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    pub label: String,
    pub ops: Vec<usize>,
}

/// A partition decided by [`Model::decide`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// `order`: history indices of every non-failed operation, a linearization.
    Linearizable { order: Vec<usize> },
    /// `culprit`: a history index of an operation that no linearization can place; `why`: the
    /// constraint that failed; `candidate`: history indices in the order the procedure would
    /// have linearized them had nothing failed (maybe empty). The checker takes the longest
    /// linearizable prefix it can read along `candidate` as a first witness.
    NotLinearizable {
        culprit: usize,
        why: Explanation,
        candidate: Vec<usize>,
    },
}
