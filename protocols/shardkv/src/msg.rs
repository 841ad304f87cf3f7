//! What a sharded-KV run sends: the controller's messages wrapped, each group's Raft messages
//! wrapped, a clerk's request and a server's reply, and the migration messages between groups.

use crate::shard::ShardData;
use kvraft::Op;
use protocol_core::{ClientId, Message, NodeId};
use raft::RaftMsg;
use serde::{Deserialize, Serialize};
use shardctrler::{ConfigNum, CtrlerMsg, GroupId, ShardId};

/// A clerk's request, and the command a server puts in its group's log: (client, seq) names
/// it across retries, which the shard's duplicate table keys on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub client: ClientId,
    pub seq: u64,
    pub op: Op,
}

/// A server's answer to the request (client, seq).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub client: ClientId,
    pub seq: u64,
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Committed and applied. `value` is what a Get read; empty for Put and Append.
    Ok { value: String },
    /// This server cannot commit the request now; the outcome is unknown: try another.
    WrongLeader { leader_hint: Option<NodeId> },
    /// The group does not serve the key's shard (not in its configuration, or its data has
    /// not arrived yet): the clerk refreshes its configuration and retries. Nothing applied.
    WrongGroup,
}

/// The new owner asks the old one for shards it owned in configuration `num - 1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullShards {
    pub num: ConfigNum,
    pub shards: Vec<ShardId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PullAnswer {
    /// The shards' final data and duplicate tables, frozen since the old owner stepped into
    /// configuration `num` (any of its replicas that has applied that step holds the same).
    Shards(Vec<(ShardId, ShardData)>),
    /// The old owner has not reached configuration `num` yet.
    NotReady,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullReply {
    pub num: ConfigNum,
    /// The group answering, so the receiver knows whose shards these are.
    pub from: GroupId,
    pub answer: PullAnswer,
}

/// The new owner installed these shards of configuration `num`: the old owner may delete
/// them. The answer is the same message back, once they are deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardsInstalled {
    pub num: ConfigNum,
    pub shards: Vec<ShardId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShardKvMsg {
    /// To and from the controller's servers (and the clerks embedded in servers and clerks).
    Ctrler(CtrlerMsg),
    /// Between the servers of one group.
    Raft(RaftMsg),
    Request(Command),
    Reply(Reply),
    Pull(PullShards),
    PullReply(PullReply),
    /// The new owner to the old: delete these.
    Installed(ShardsInstalled),
    /// The old owner to the new: deleted (or long gone).
    Deleted(ShardsInstalled),
}

impl Message for ShardKvMsg {
    fn kind(&self) -> &'static str {
        match self {
            ShardKvMsg::Ctrler(msg) => msg.kind(),
            ShardKvMsg::Raft(msg) => msg.kind(),
            ShardKvMsg::Request(_) => "ShardKvRequest",
            ShardKvMsg::Reply(_) => "ShardKvReply",
            ShardKvMsg::Pull(_) => "PullShards",
            ShardKvMsg::PullReply(_) => "PullReply",
            ShardKvMsg::Installed(_) => "ShardsInstalled",
            ShardKvMsg::Deleted(_) => "ShardsDeleted",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_messages_round_trip() {
        let mut data = ShardData::default();
        data.apply(
            ClientId(2),
            5,
            &Op::Put {
                key: "a".into(),
                value: "1".into(),
            },
            true,
        );
        let reply = ShardKvMsg::PullReply(PullReply {
            num: ConfigNum(3),
            from: GroupId(100),
            answer: PullAnswer::Shards(vec![(ShardId(9), data)]),
        });
        let bytes = postcard::to_allocvec(&reply).unwrap();
        assert_eq!(
            postcard::from_bytes::<ShardKvMsg>(&bytes),
            Ok(reply.clone())
        );
        assert_eq!(reply.kind(), "PullReply");
    }
}
