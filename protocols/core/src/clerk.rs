//! What every clerk keeps: one operation at a time, numbered from 1 per client ([`Calls`]),
//! and, for a service whose servers answer "not the leader", the whole clerk as one generic
//! node ([`RetryingClerk`]) that each service instantiates with its own types ([`Service`]).

mod retrying;

pub use retrying::{Outcome, Reply, RetryingClerk, Service};

use crate::ids::{ClientId, NodeId};
use std::fmt;

/// The operation under way: the number that names it across retries, the operation, and
/// how far the clerk has got with it (`P`, the clerk's own).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outstanding<Op, P> {
    pub seq: u64,
    pub op: Op,
    pub progress: P,
}

/// One client's operations, one at a time: the pair (client, seq) names each across retries,
/// which is what the servers' duplicate detection keys on.
#[derive(Clone, Debug)]
pub struct Calls<Op, P> {
    client: ClientId,
    next_seq: u64,
    current: Option<Outstanding<Op, P>>,
}

impl<Op: fmt::Debug, P> Calls<Op, P> {
    pub fn new(client: ClientId) -> Calls<Op, P> {
        Calls {
            client,
            next_seq: 1,
            current: None,
        }
    }

    pub fn client(&self) -> ClientId {
        self.client
    }

    /// Whether an operation is under way.
    pub fn is_busy(&self) -> bool {
        self.current.is_some()
    }

    /// Numbers `op` and makes it the one under way. The layer above waits for each answer,
    /// so starting a second is a programmer error (`who` names the clerk's node).
    pub fn start(&mut self, who: NodeId, op: Op, progress: P) -> &mut Outstanding<Op, P> {
        assert!(
            self.current.is_none(),
            "{who}: invoked {op:?} while seq {} is outstanding",
            self.next_seq - 1
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        self.current.insert(Outstanding { seq, op, progress })
    }

    pub fn current(&self) -> Option<&Outstanding<Op, P>> {
        self.current.as_ref()
    }

    pub fn current_mut(&mut self) -> Option<&mut Outstanding<Op, P>> {
        self.current.as_mut()
    }

    /// The operation under way if a reply to (client, seq) answers it; `None` for a late
    /// duplicate of an answer already taken, or another client's reply.
    pub fn answered_by(&mut self, client: ClientId, seq: u64) -> Option<&mut Outstanding<Op, P>> {
        if client != self.client {
            return None;
        }
        self.current.as_mut().filter(|current| current.seq == seq)
    }

    /// Ends the operation under way; `who` names the clerk's node.
    pub fn finish(&mut self, who: NodeId) -> Outstanding<Op, P> {
        let done = self.current.take();
        done.unwrap_or_else(|| panic!("{who} ({}): finished with nothing under way", self.client))
    }

    pub fn check_invariants(&self, who: NodeId) {
        if let Some(current) = &self.current {
            assert!(
                current.seq < self.next_seq,
                "{who} ({}): outstanding seq {} not below next {}",
                self.client,
                current.seq,
                self.next_seq
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_operations_and_matches_only_the_current_one() {
        let mut calls: Calls<&str, ()> = Calls::new(ClientId(7));
        assert!(!calls.is_busy());
        assert_eq!(calls.start(NodeId(1), "a", ()).seq, 1);
        calls.check_invariants(NodeId(1));
        assert!(
            calls.answered_by(ClientId(8), 1).is_none(),
            "another client"
        );
        assert!(calls.answered_by(ClientId(7), 2).is_none(), "another seq");
        assert_eq!(calls.answered_by(ClientId(7), 1).map(|c| c.op), Some("a"));
        assert_eq!(calls.finish(NodeId(1)).op, "a");
        assert!(
            calls.answered_by(ClientId(7), 1).is_none(),
            "answered already"
        );
        assert_eq!(calls.start(NodeId(1), "b", ()).seq, 2);
    }

    #[test]
    #[should_panic(expected = "n1: invoked \"b\" while seq 1 is outstanding")]
    fn a_second_operation_while_one_is_under_way_is_a_bug() {
        let mut calls: Calls<&str, ()> = Calls::new(ClientId(7));
        calls.start(NodeId(1), "a", ());
        calls.start(NodeId(1), "b", ());
    }
}
