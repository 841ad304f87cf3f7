//! Each role's own timer and event types, and [`ShardKvNode`]: every role of a sharded-KV run
//! composed into one node type with `protocol_core::roles!`, so that controller servers, the
//! tester's controller clerk, group servers and clerks share one message type in one run. The
//! controller's roles run [`Hosted`], their messages wrapped in `ShardKvMsg::Ctrler`.

use crate::clerk::ShardKvClerk;
use crate::embed::Hosted;
use crate::msg::ShardKvMsg;
use crate::server::ShardKvServer;
use crate::shard::ShardStatus;
use kvraft::Op;
use protocol_core::ClientId;
use raft::{RaftEvent, RaftTimer};
use shardctrler::{ConfigNum, CtrlerClerk, CtrlerServer, GroupId, NSHARDS};

/// A group server's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServerTimer {
    Raft(RaftTimer),
    /// The retry of the controller clerk it polls with.
    Ctrler(shardctrler::ClerkTimer),
    /// Poll the controller and repeat migration prompts.
    Tick,
}

/// A clerk's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClerkTimer {
    /// Resend to the next server, or refresh the configuration after a pause.
    Retry,
    /// The retry of the controller clerk it refreshes with.
    Ctrler(shardctrler::ClerkTimer),
}

/// What a group server reports. (`Debug` is in `debug.rs`.)
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum ServerEvent {
    /// The state machine ran this Raft `Applied` or `Snapshot` event.
    Raft(RaftEvent),
    /// The shards after an entry changed them: in configuration `num`, each shard's status
    /// and whether any of its data is held.
    Shards {
        gid: GroupId,
        num: ConfigNum,
        status: [ShardStatus; NSHARDS],
        held: [bool; NSHARDS],
    },
}

/// What a clerk reports: the two ends of each operation, for the history. (`Debug` is in
/// `debug.rs`.)
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum ClerkEvent {
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
}

protocol_core::roles! {
    /// A controller server, a controller clerk (the tester's `mck`), a group server or a clerk.
    pub enum ShardKvNode {
        msg: ShardKvMsg,
        #[derive(Clone, Debug, PartialEq, Eq)] config: ShardKvConfig,
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)] timer: ShardKvTimer,
        #[derive(Clone, Debug, PartialEq, Eq, Hash)] request: ShardKvRequest,
        #[derive(Clone, Debug, PartialEq, Eq, Hash)] event: ShardKvEvent,
        roles {
            CtrlerServer(Hosted<CtrlerServer>) hosted_ctrler_server,
            CtrlerClerk(Hosted<CtrlerClerk>) hosted_ctrler_clerk,
            Server(ShardKvServer) as_server,
            Clerk(ShardKvClerk) as_clerk,
        }
    }
}

impl ShardKvNode {
    pub fn as_ctrler_server(&self) -> Option<&CtrlerServer> {
        self.hosted_ctrler_server().map(Hosted::inner)
    }

    pub fn as_ctrler_clerk(&self) -> Option<&CtrlerClerk> {
        self.hosted_ctrler_clerk().map(Hosted::inner)
    }

    /// The Raft node of a controller server or a group server.
    pub fn raft(&self) -> Option<&raft::RaftNode> {
        match self {
            ShardKvNode::CtrlerServer(server) => Some(server.inner().raft()),
            ShardKvNode::Server(server) => Some(server.raft()),
            ShardKvNode::CtrlerClerk(_) | ShardKvNode::Clerk(_) => None,
        }
    }
}
