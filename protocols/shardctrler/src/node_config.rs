//! Static configuration of controller servers and clerks.

use crate::mutant::Mutant;
use protocol_core::{ClientId, NodeId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    pub raft: raft::Config,
    /// Snapshot when Raft's durable state reaches this many bytes; `None` never snapshots.
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
    /// The controller's servers, in the order this clerk tries them.
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

    /// Why a clerk cannot run with this configuration, if it cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.servers.is_empty() {
            return Err("a controller clerk needs servers".into());
        }
        if self.retry_timeout_ms == 0 {
            return Err("retry_timeout_ms must be positive".into());
        }
        Ok(())
    }
}
