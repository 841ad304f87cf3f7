//! What servers and clerks send: Raft's messages wrapped, a clerk's request, a server's reply.

use protocol_core::{ClientId, Message, NodeId};
use raft::RaftMsg;
use serde::{Deserialize, Serialize};

/// One operation on the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub enum Op {
    Get { key: String },
    Put { key: String, value: String },
    Append { key: String, value: String },
}

impl Op {
    pub fn key(&self) -> &str {
        match self {
            Op::Get { key } | Op::Put { key, .. } | Op::Append { key, .. } => key,
        }
    }

    pub fn is_get(&self) -> bool {
        matches!(self, Op::Get { .. })
    }
}

/// A clerk's request, and the command a server puts in the Raft log: the pair (client, seq)
/// names it across retries, which is what duplicate detection keys on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub client: ClientId,
    pub seq: u64,
    pub op: Op,
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
    /// This server cannot commit the request (not the leader, or it lost leadership or the
    /// log slot before the request committed). The outcome is unknown: the clerk retries.
    WrongLeader { leader_hint: Option<NodeId> },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KvMsg {
    Raft(RaftMsg),
    Request(Command),
    Reply(Reply),
}

impl Message for KvMsg {
    fn kind(&self) -> &'static str {
        match self {
            KvMsg::Raft(msg) => msg.kind(),
            KvMsg::Request(_) => "KvRequest",
            KvMsg::Reply(_) => "KvReply",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_messages_round_trip() {
        let command = Command {
            client: ClientId(4),
            seq: 9,
            op: Op::Append {
                key: "k".into(),
                value: "x 4 9 y".into(),
            },
        };
        assert_eq!(Command::decode(&command.encode()), Ok(command.clone()));
        let msg = KvMsg::Request(command);
        let bytes = postcard::to_allocvec(&msg).unwrap();
        assert_eq!(postcard::from_bytes::<KvMsg>(&bytes), Ok(msg));
        assert!(Command::decode(&[0xff, 0xff, 0xff]).is_err());
    }
}
