//! Servers and clerks as one node type, so both live in one simulated run.

use crate::clerk::Clerk;
use crate::config::KvConfig;
use crate::msg::{KvMsg, Op};
use crate::server::KvServer;
use protocol_core::{BootError, ClientId, Disk, Input, Node, NodeId, Outbox, Time};
use raft::{RaftEvent, RaftTimer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KvTimer {
    /// A server's Raft timer, passed through.
    Raft(RaftTimer),
    /// A clerk's: resend the outstanding request.
    Retry,
}

/// What the layer above (a test's client loop) asks of a clerk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvRequest {
    Invoke(Op),
}

/// What clerks report: the two ends of each operation, for the history; and what servers
/// report: every entry or snapshot their Raft applied, for the cluster-wide checks.
/// (`Debug` is in `debug.rs`.)
#[derive(Clone, PartialEq, Eq)]
pub enum KvEvent {
    Invoked {
        client: ClientId,
        seq: u64,
        op: Op,
    },
    /// `value` is what a Get read; empty for Put and Append.
    Returned {
        client: ClientId,
        seq: u64,
        op: Op,
        value: String,
    },
    /// A server's store ran this Raft `Applied` or `Snapshot` event (never `Started`).
    Raft(RaftEvent),
}

#[allow(clippy::large_enum_variant)] // one per node; boxing buys nothing here
pub enum KvNode {
    Server(KvServer),
    Clerk(Clerk),
}

impl KvNode {
    pub fn as_server(&self) -> Option<&KvServer> {
        match self {
            KvNode::Server(server) => Some(server),
            KvNode::Clerk(_) => None,
        }
    }

    pub fn as_clerk(&self) -> Option<&Clerk> {
        match self {
            KvNode::Server(_) => None,
            KvNode::Clerk(clerk) => Some(clerk),
        }
    }
}

impl Node for KvNode {
    type Msg = KvMsg;
    type Timer = KvTimer;
    type Request = KvRequest;
    type Event = KvEvent;
    type Config = KvConfig;

    fn boot(
        config: &KvConfig,
        id: NodeId,
        disk: &Disk,
        seed: u64,
        now: Time,
        out: &mut Outbox<KvNode>,
    ) -> Result<KvNode, BootError> {
        match config {
            KvConfig::Server(config) => {
                KvServer::boot(config, id, disk, seed, now, out).map(KvNode::Server)
            }
            KvConfig::Clerk(config) => Clerk::boot(config, id)
                .map(KvNode::Clerk)
                .map_err(|reason| BootError::InvalidConfig { node: id, reason }),
        }
    }

    fn handle(&mut self, now: Time, input: Input<KvNode>, out: &mut Outbox<KvNode>) {
        match self {
            KvNode::Server(server) => server.handle(now, input, out),
            KvNode::Clerk(clerk) => clerk.handle(now, input, out),
        }
    }

    fn check_invariants(&self) {
        match self {
            KvNode::Server(server) => server.check_invariants(),
            KvNode::Clerk(clerk) => clerk.check_invariants(),
        }
    }
}
