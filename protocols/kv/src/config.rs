//! Static configuration of servers and clerks.

use crate::mutant::Mutant;
use protocol_core::{ClientId, NodeId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    pub raft: raft::Config,
    /// Snapshot when Raft's durable state reaches this many bytes (the course's
    /// `maxraftstate`); `None` never snapshots.
    pub max_raft_state: Option<usize>,
    pub mutant: Option<Mutant>,
}

impl ServerConfig {
    pub fn new(raft: raft::Config, max_raft_state: Option<usize>) -> ServerConfig {
        ServerConfig {
            raft,
            max_raft_state,
            mutant: None,
        }
    }

    pub fn is_mutant(&self, mutant: Mutant) -> bool {
        self.mutant == Some(mutant)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClerkConfig {
    pub client: ClientId,
    /// The servers, in the order this clerk tries them (the course shuffles it per clerk).
    pub servers: Vec<NodeId>,
    /// Without an answer this long, the request is sent again to the next server.
    pub retry_timeout_ms: u64,
    /// After every server in turn said it is not the leader, wait this long (an election is
    /// under way) before the next round.
    pub backoff_ms: u64,
}

impl ClerkConfig {
    pub fn new(client: ClientId, servers: Vec<NodeId>) -> ClerkConfig {
        ClerkConfig {
            client,
            servers,
            retry_timeout_ms: 200,
            backoff_ms: 20,
        }
    }
}
