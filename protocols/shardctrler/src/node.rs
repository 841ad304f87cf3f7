//! Controller servers and clerks as one node type, so both live in one run. (A sharded-KV
//! run hosts these roles inside `shardkv::ShardKvNode` instead; see that crate's `node.rs`.)

use crate::clerk::CtrlerClerk;
use crate::config::Config;
use crate::msg::{Answer, CtrlerMsg, CtrlerOp};
use crate::node_config::CtrlerConfig;
use crate::rsm::RaftHost;
use crate::server::CtrlerServer;
use protocol_core::{BootError, ClientId, Disk, Input, Node, NodeId, Outbox, Time};
use raft::{RaftEvent, RaftMsg, RaftTimer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CtrlerTimer {
    /// A server's Raft timer, passed through.
    Raft(RaftTimer),
    /// A clerk's: resend the outstanding request.
    Retry,
}

/// What the layer above (a tester, or a shardkv server polling) asks of a clerk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CtrlerRequest {
    Invoke(CtrlerOp),
}

/// What clerks report: the two ends of each operation, for the history; and what servers
/// report: each configuration they create, and every entry or snapshot their Raft applied.
/// (`Debug` is in `debug.rs`.)
#[derive(Clone, PartialEq, Eq)]
pub enum CtrlerEvent {
    Invoked {
        client: ClientId,
        seq: u64,
        op: CtrlerOp,
    },
    Returned {
        client: ClientId,
        seq: u64,
        op: CtrlerOp,
        answer: Answer,
    },
    /// A server's state machine applied request (client, seq), `op`, and created `config` (in
    /// log order; again after a restart replays its log; not for configurations an installed
    /// snapshot brought).
    Configured {
        client: ClientId,
        seq: u64,
        op: CtrlerOp,
        config: Config,
    },
    /// A server's state machine ran this Raft `Applied` or `Snapshot` event.
    Raft(RaftEvent),
}

#[allow(clippy::large_enum_variant)] // one per node; boxing buys nothing here
pub enum CtrlerNode {
    Server(CtrlerServer),
    Clerk(CtrlerClerk),
}

impl CtrlerNode {
    pub fn as_server(&self) -> Option<&CtrlerServer> {
        match self {
            CtrlerNode::Server(server) => Some(server),
            CtrlerNode::Clerk(_) => None,
        }
    }

    pub fn as_clerk(&self) -> Option<&CtrlerClerk> {
        match self {
            CtrlerNode::Server(_) => None,
            CtrlerNode::Clerk(clerk) => Some(clerk),
        }
    }
}

impl RaftHost for CtrlerNode {
    fn wrap_raft(msg: RaftMsg) -> CtrlerMsg {
        CtrlerMsg::Raft(msg)
    }

    fn wrap_raft_timer(timer: RaftTimer) -> CtrlerTimer {
        CtrlerTimer::Raft(timer)
    }
}

impl Node for CtrlerNode {
    type Msg = CtrlerMsg;
    type Timer = CtrlerTimer;
    type Request = CtrlerRequest;
    type Event = CtrlerEvent;
    type Config = CtrlerConfig;

    fn boot(
        config: &CtrlerConfig,
        id: NodeId,
        disk: &Disk,
        seed: u64,
        now: Time,
        out: &mut Outbox<CtrlerNode>,
    ) -> Result<CtrlerNode, BootError> {
        match config {
            CtrlerConfig::Server(config) => {
                CtrlerServer::boot(config, id, disk, seed, now, out).map(CtrlerNode::Server)
            }
            CtrlerConfig::Clerk(config) => CtrlerClerk::boot(config, id)
                .map(CtrlerNode::Clerk)
                .map_err(|reason| BootError::InvalidConfig { node: id, reason }),
        }
    }

    fn handle(&mut self, now: Time, input: Input<CtrlerNode>, out: &mut Outbox<CtrlerNode>) {
        match self {
            CtrlerNode::Server(server) => server.handle(now, input, out),
            CtrlerNode::Clerk(clerk) => clerk.handle(now, input, out),
        }
    }

    fn check_invariants(&self) {
        match self {
            CtrlerNode::Server(server) => server.check_invariants(),
            CtrlerNode::Clerk(clerk) => clerk.check_invariants(),
        }
    }
}
