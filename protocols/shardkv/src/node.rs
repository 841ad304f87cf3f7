//! Every role of a sharded-KV run as one node type, so that controller servers, the tester's
//! controller clerk, group servers and clerks share one message type in one run. (When
//! `protocol_core::roles!` lands, this file becomes its invocation.)

use crate::clerk::ShardKvClerk;
use crate::embed::{ctrler_input, lift_ctrler};
use crate::msg::ShardKvMsg;
use crate::node_config::ShardKvConfig;
use crate::server::ShardKvServer;
use crate::shard::ShardStatus;
use kvraft::Op;
use protocol_core::{BootError, ClientId, Disk, Input, Node, NodeId, Outbox, Time};
use raft::{RaftEvent, RaftMsg, RaftTimer};
use shardctrler::rsm::RaftHost;
use shardctrler::{
    ConfigNum, CtrlerClerk, CtrlerEvent, CtrlerOp, CtrlerServer, CtrlerTimer, GroupId, NSHARDS,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ShardKvTimer {
    /// The controller role's timer: a controller server's Raft timers, a controller clerk's
    /// retry, or the retry of the controller clerk a group server or clerk embeds.
    Ctrler(CtrlerTimer),
    /// A group server's Raft timer.
    Raft(RaftTimer),
    /// A group server's poll of the controller and retry of migrations.
    Tick,
    /// A clerk's: resend, or refresh the configuration.
    Retry,
}

/// What a tester asks of a clerk (`Kv`) or of a controller clerk (`Ctrler`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShardKvRequest {
    Kv(Op),
    Ctrler(CtrlerOp),
}

/// What the roles report. (`Debug` is in `debug.rs`.)
#[derive(Clone, PartialEq, Eq)]
pub enum ShardKvEvent {
    /// A controller server's or the controller clerk's event.
    Ctrler(CtrlerEvent),
    /// A clerk began an operation (for the history).
    Invoked { client: ClientId, seq: u64, op: Op },
    /// A clerk's operation returned; `value` is what a Get read, empty for Put and Append.
    Returned {
        client: ClientId,
        seq: u64,
        op: Op,
        value: String,
    },
    /// A group server's state machine ran this Raft `Applied` or `Snapshot` event.
    Raft(RaftEvent),
    /// A group server's shards after an entry changed them: in configuration `num`, each
    /// shard's status and whether any of its data is held.
    Shards {
        gid: GroupId,
        num: ConfigNum,
        status: [ShardStatus; NSHARDS],
        held: [bool; NSHARDS],
    },
}

#[allow(clippy::large_enum_variant)] // one per node; boxing buys nothing here
pub enum ShardKvNode {
    CtrlerServer(CtrlerServer),
    CtrlerClerk(CtrlerClerk),
    Server(ShardKvServer),
    Clerk(ShardKvClerk),
}

impl ShardKvNode {
    pub fn as_ctrler_server(&self) -> Option<&CtrlerServer> {
        match self {
            ShardKvNode::CtrlerServer(server) => Some(server),
            ShardKvNode::CtrlerClerk(_) | ShardKvNode::Server(_) | ShardKvNode::Clerk(_) => None,
        }
    }

    pub fn as_ctrler_clerk(&self) -> Option<&CtrlerClerk> {
        match self {
            ShardKvNode::CtrlerClerk(clerk) => Some(clerk),
            ShardKvNode::CtrlerServer(_) | ShardKvNode::Server(_) | ShardKvNode::Clerk(_) => None,
        }
    }

    pub fn as_server(&self) -> Option<&ShardKvServer> {
        match self {
            ShardKvNode::Server(server) => Some(server),
            ShardKvNode::CtrlerServer(_) | ShardKvNode::CtrlerClerk(_) | ShardKvNode::Clerk(_) => {
                None
            }
        }
    }

    pub fn as_clerk(&self) -> Option<&ShardKvClerk> {
        match self {
            ShardKvNode::Clerk(clerk) => Some(clerk),
            ShardKvNode::CtrlerServer(_) | ShardKvNode::CtrlerClerk(_) | ShardKvNode::Server(_) => {
                None
            }
        }
    }

    /// The Raft node of a controller server or group server.
    pub fn raft(&self) -> Option<&raft::RaftNode> {
        match self {
            ShardKvNode::CtrlerServer(server) => Some(server.raft()),
            ShardKvNode::Server(server) => Some(server.raft()),
            ShardKvNode::CtrlerClerk(_) | ShardKvNode::Clerk(_) => None,
        }
    }
}

impl RaftHost for ShardKvNode {
    fn wrap_raft(msg: RaftMsg) -> ShardKvMsg {
        ShardKvMsg::Raft(msg)
    }

    fn wrap_raft_timer(timer: RaftTimer) -> ShardKvTimer {
        ShardKvTimer::Raft(timer)
    }
}

/// A standalone controller role emits its events wrapped.
fn emit_ctrler(event: CtrlerEvent, out: &mut Outbox<ShardKvNode>) {
    out.emit(ShardKvEvent::Ctrler(event));
}

impl Node for ShardKvNode {
    type Msg = ShardKvMsg;
    type Timer = ShardKvTimer;
    type Request = ShardKvRequest;
    type Event = ShardKvEvent;
    type Config = ShardKvConfig;

    fn boot(
        config: &ShardKvConfig,
        id: NodeId,
        disk: &Disk,
        seed: u64,
        now: Time,
        out: &mut Outbox<ShardKvNode>,
    ) -> Result<ShardKvNode, BootError> {
        let invalid = |reason| BootError::InvalidConfig { node: id, reason };
        match config {
            ShardKvConfig::CtrlerServer(config) => {
                let mut inner = Outbox::new();
                let server = CtrlerServer::boot(config, id, disk, seed, now, &mut inner)?;
                lift_ctrler(&mut inner, out, emit_ctrler);
                Ok(ShardKvNode::CtrlerServer(server))
            }
            ShardKvConfig::CtrlerClerk(config) => CtrlerClerk::boot(config, id)
                .map(ShardKvNode::CtrlerClerk)
                .map_err(invalid),
            ShardKvConfig::Server(config) => {
                ShardKvServer::boot(config, id, disk, seed, now, out).map(ShardKvNode::Server)
            }
            ShardKvConfig::Clerk(config) => ShardKvClerk::boot(config, id)
                .map(ShardKvNode::Clerk)
                .map_err(invalid),
        }
    }

    fn handle(&mut self, now: Time, input: Input<ShardKvNode>, out: &mut Outbox<ShardKvNode>) {
        match self {
            ShardKvNode::CtrlerServer(server) => {
                let mut inner = Outbox::new();
                if let Some(input) = ctrler_input(server.raft().id(), input) {
                    server.handle(now, input, &mut inner);
                }
                lift_ctrler(&mut inner, out, emit_ctrler);
            }
            ShardKvNode::CtrlerClerk(clerk) => {
                let mut inner = Outbox::new();
                if let Some(input) = ctrler_input(clerk.id(), input) {
                    clerk.handle(now, input, &mut inner);
                }
                lift_ctrler(&mut inner, out, emit_ctrler);
            }
            ShardKvNode::Server(server) => server.handle(now, input, out),
            ShardKvNode::Clerk(clerk) => clerk.handle(now, input, out),
        }
    }

    fn check_invariants(&self) {
        match self {
            ShardKvNode::CtrlerServer(server) => server.check_invariants(),
            ShardKvNode::CtrlerClerk(clerk) => clerk.check_invariants(),
            ShardKvNode::Server(server) => server.check_invariants(),
            ShardKvNode::Clerk(clerk) => clerk.check_invariants(),
        }
    }
}
