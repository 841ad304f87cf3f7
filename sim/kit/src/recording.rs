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
    // The evidence is the first failing partition's stuck operation: the one the violation's
    // message names. Other failing partitions' operations are only unplaced, so that the
    // page never opens on an operation the message does not mention.
    let evidence = result
        .failures()
        .next()
        .and_then(|p| p.unplaced.first().copied());
    for partition in &result.partitions {
        for &index in &partition.order {
            marks.insert(index, OpMark::Linearized);
        }
        for &index in &partition.unplaced {
            let mark = if Some(index) == evidence {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::HistoryCheck;
    use linearizability::history::Operation;
    use linearizability::models::kv::{KvInput, KvModel, KvOp, KvOutput};

    fn op(
        client: u64,
        call: u64,
        ret: u64,
        op: KvOp,
        key: &str,
        value: &str,
    ) -> Operation<KvInput, KvOutput> {
        let (value, read) = match op {
            KvOp::Get => (String::new(), value.to_string()),
            _ => (value.to_string(), String::new()),
        };
        Operation {
            client,
            call: call * STAMPS_PER_MICRO,
            ret: Some(ret * STAMPS_PER_MICRO),
            input: KvInput {
                op,
                key: key.to_string(),
                value,
            },
            output: Some(KvOutput { value: read }),
        }
    }

    #[test]
    fn only_the_operation_the_violation_names_is_the_evidence() {
        // Two keys, each with a read of a value never written: two failing partitions.
        let history = History::new(vec![
            op(1, 10, 20, KvOp::Put, "a", "1"),
            op(2, 30, 40, KvOp::Get, "a", "9"),
            op(3, 10, 20, KvOp::Put, "b", "1"),
            op(4, 30, 40, KvOp::Get, "b", "9"),
        ]);
        let (result, violation) = HistoryCheck::default().run(&KvModel, &history);
        assert_eq!(result.failures().count(), 2);
        let message = violation.expect("not linearizable").message;
        let marked = operations(&KvModel, &history, &result);
        let evidence: Vec<&ClientOp> = marked
            .iter()
            .filter(|op| op.mark == OpMark::FirstUnplaced)
            .collect();
        assert_eq!(evidence.len(), 1, "{marked:?}");
        let named = format!("cannot place c{} {}", evidence[0].client, evidence[0].text);
        assert!(message.contains(&named), "{message} does not name {named}");
        assert_eq!(
            marked
                .iter()
                .filter(|op| op.mark == OpMark::Unplaced)
                .count(),
            1
        );
    }
}
