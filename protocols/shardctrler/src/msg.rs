//! What controller servers and clerks send: Raft's messages wrapped, a clerk's request (the
//! command a server puts in its log), a server's reply.

use crate::config::{Config, Groups};
use crate::types::{ConfigNum, GroupId, ShardId};
use protocol_core::{ClientId, Message, NodeId};
use raft::RaftMsg;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One controller operation. The groups of a Join and a Leave are a map and a set, so the
/// order a caller listed them in cannot reach the rebalancer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub enum CtrlerOp {
    /// Several groups join at once (a group already in play takes the new server list).
    Join { groups: Groups },
    /// Several groups leave at once (groups not in play are ignored).
    Leave { gids: BTreeSet<GroupId> },
    /// One shard to one group in play, nothing else changed.
    Move { shard: ShardId, gid: GroupId },
    /// Configuration `num`; `None` (the course's -1) or a number past the latest: the latest.
    Query { num: Option<ConfigNum> },
}

impl CtrlerOp {
    pub fn is_query(&self) -> bool {
        matches!(self, CtrlerOp::Query { .. })
    }
}

/// A clerk's request, and the command a server puts in the Raft log: (client, seq) names it
/// across retries, which is what duplicate detection keys on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub client: ClientId,
    pub seq: u64,
    pub op: CtrlerOp,
}

impl Command {
    /// The bytes a server hands to `RaftNode::start`.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("encoding to a Vec cannot fail")
    }

    pub fn decode(bytes: &[u8]) -> Result<Command, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}

/// What an applied operation answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub enum Answer {
    /// A Join, Leave or Move created this configuration (a retry is told the same number).
    Configured(ConfigNum),
    /// What a Query read.
    Config(Config),
    /// The operation was invalid against the configuration it met (a Move to a group not in
    /// play, a Join of group 0, ...) or a stale retry; it changed nothing.
    Rejected(String),
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
    /// Committed and applied.
    Ok(Answer),
    /// This server cannot commit the request now; the outcome is unknown: the clerk retries.
    WrongLeader { leader_hint: Option<NodeId> },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CtrlerMsg {
    Raft(RaftMsg),
    Request(Command),
    Reply(Reply),
}

impl Message for CtrlerMsg {
    fn kind(&self) -> &'static str {
        match self {
            CtrlerMsg::Raft(msg) => msg.kind(),
            CtrlerMsg::Request(_) => "CtrlerRequest",
            CtrlerMsg::Reply(_) => "CtrlerReply",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_messages_round_trip() {
        let mut groups = Groups::new();
        groups.insert(GroupId(4), vec![NodeId(1), NodeId(2)]);
        let command = Command {
            client: ClientId(3),
            seq: 2,
            op: CtrlerOp::Join { groups },
        };
        assert_eq!(Command::decode(&command.encode()), Ok(command.clone()));
        let reply = CtrlerMsg::Reply(Reply {
            client: ClientId(3),
            seq: 2,
            outcome: Outcome::Ok(Answer::Config(Config::initial())),
        });
        let bytes = postcard::to_allocvec(&reply).unwrap();
        assert_eq!(postcard::from_bytes::<CtrlerMsg>(&bytes), Ok(reply));
        assert!(Command::decode(&[0xff, 0xff, 0xff]).is_err());
        assert_eq!(CtrlerMsg::Request(command).kind(), "CtrlerRequest");
    }
}
