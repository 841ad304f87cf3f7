//! What a run keeps for pictures of it when asked (`RunOptions::timeline`): the world's
//! [`Timeline`] and the clients' operations as the history check saw them. The failure page
//! ([`crate::page`]) and the Chrome trace ([`crate::chrome`]) are drawn from it.

use crate::history::STAMPS_PER_MICRO;
use linearizability::{CheckResult, History, Model};
use protocol_core::Time;
use sim::Timeline;
use std::collections::BTreeMap;

/// A run's timeline and client operations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recording {
    pub timeline: Timeline,
    pub operations: Vec<ClientOp>,
}

/// One client operation, from its call to its return (`None`: still open at the end).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientOp {
    pub client: u64,
    pub call: Time,
    pub ret: Option<Time>,
    /// `put("k", "v") -> ok`, as the model describes it.
    pub text: String,
    pub mark: OpMark,
}

/// Where the history check put an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpMark {
    /// In a linearizable partition, or in the linearizable prefix of a failing one.
    Linearized,
    /// In a failing partition, after the prefix and not the one that stopped the search.
    Unplaced,
    /// The operation the search could not get past: the evidence of a linearizability failure.
    FirstUnplaced,
    /// Neither (an undecided partition).
    Unchecked,
}

impl OpMark {
    pub fn name(self) -> &'static str {
        match self {
            OpMark::Linearized => "linearized",
            OpMark::Unplaced => "unplaced",
            OpMark::FirstUnplaced => "first-unplaced",
            OpMark::Unchecked => "unchecked",
        }
    }
}

/// Every operation of `history` with where `result` put it.
pub fn operations<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    result: &CheckResult,
) -> Vec<ClientOp> {
    let mut marks: BTreeMap<usize, OpMark> = BTreeMap::new();
    for partition in &result.partitions {
        for &index in &partition.order {
            marks.insert(index, OpMark::Linearized);
        }
        for (rank, &index) in partition.unplaced.iter().enumerate() {
            let mark = if rank == 0 {
                OpMark::FirstUnplaced
            } else {
                OpMark::Unplaced
            };
            marks.insert(index, mark);
        }
    }
    let at = |stamp: u64| Time(stamp / STAMPS_PER_MICRO);
    history
        .operations
        .iter()
        .enumerate()
        .map(|(index, op)| ClientOp {
            client: op.client,
            call: at(op.call),
            ret: op.ret.map(at),
            text: model.describe_operation(&op.input, op.output.as_ref()),
            mark: marks.get(&index).copied().unwrap_or(OpMark::Unchecked),
        })
        .collect()
}
