//! Each role's own timer, event and request types, and [`CtrlerNode`], the roles composed
//! into one node type with `protocol_core::roles!` so that servers and clerks live in one run.
//! (A sharded-KV run hosts these roles in `shardkv::ShardKvNode` instead.)

use crate::clerk::CtrlerClerk;
use crate::config::Config;
use crate::msg::{Answer, CtrlerMsg, CtrlerOp};
use crate::server::CtrlerServer;
use protocol_core::ClientId;
use raft::RaftEvent;

/// A clerk's one timer: resend the outstanding request, or end a pause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClerkTimer {
    Retry,
}

/// What a clerk reports: the two ends of each operation, for the history. (`Debug` is in
/// `debug.rs`.)
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum ClerkEvent {
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
}

/// What a server reports: each configuration it creates, and every entry or snapshot its
/// Raft applied. (`Debug` is in `debug.rs`.)
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum ServerEvent {
    /// The state machine applied request (client, seq), `op`, and created `config` (in log
    /// order; again after a restart replays its log; not for configurations an installed
    /// snapshot brought).
    Configured {
        client: ClientId,
        seq: u64,
        op: CtrlerOp,
        config: Config,
    },
    /// The state machine ran this Raft `Applied` or `Snapshot` event.
    Raft(RaftEvent),
}

protocol_core::roles! {
    /// A controller server or a controller clerk.
    pub enum CtrlerNode {
        msg: CtrlerMsg,
        #[derive(Clone, Debug, PartialEq, Eq)] config: CtrlerConfig,
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)] timer: CtrlerTimer,
        #[derive(Clone, Debug, PartialEq, Eq, Hash)] request: CtrlerRequest,
        #[derive(Clone, Debug, PartialEq, Eq, Hash)] event: CtrlerEvent,
        roles {
            Server(CtrlerServer) as_server,
            Clerk(CtrlerClerk) as_clerk,
        }
    }
}
