//! What ABD's nodes say to each other, and the tags that order a register's values.

use protocol_core::Message;
use serde::{Deserialize, Serialize};

/// A value's place in the register's history: a counter, then the writer, compared in that
/// order, so two writers never make the same tag.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct Tag {
    pub counter: u64,
    pub writer: u32,
}

/// A value with its tag; `None` before the first write.
pub type Versioned = (Tag, Option<i64>);

/// `round` names one phase of one client operation: replies to an older round are stale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AbdMsg {
    /// Phase one: what do you hold?
    Query {
        round: u64,
    },
    QueryReply {
        round: u64,
        held: Versioned,
    },
    /// Phase two: hold at least this.
    Store {
        round: u64,
        held: Versioned,
    },
    StoreAck {
        round: u64,
    },
}

impl Message for AbdMsg {
    fn kind(&self) -> &'static str {
        match self {
            AbdMsg::Query { .. } => "Query",
            AbdMsg::QueryReply { .. } => "QueryReply",
            AbdMsg::Store { .. } => "Store",
            AbdMsg::StoreAck { .. } => "StoreAck",
        }
    }
}

protocol_core::mutants! {
    family = "abd";
    pub enum Mutant {
        /// A read returns what its query phase found, without storing it on a quorum first.
        SkipWriteBack = "skip-write-back",
        /// A quorum is ⌊n/2⌋ servers, not a majority: two quorums need not meet.
        MinorityQuorum = "minority-quorum",
        /// A server acknowledges a store without writing it to disk: a restart forgets it.
        ForgetOnRestart = "forget-on-restart",
        /// A server acknowledges a store before it writes it, trusting a step to be atomic: a crash between the two forgets what it acknowledged.
        AckBeforeWrite = "ack-before-write",
    }
}
