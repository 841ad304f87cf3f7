//! Static configuration of every role a sharded-KV run hosts.

use crate::mutant::Mutant;
use protocol_core::{ClientId, NodeId};
use shardctrler::GroupId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    pub gid: GroupId,
    /// The group's servers, this one included.
    pub raft: raft::Config,
    /// Snapshot when Raft's durable state reaches this many bytes; `None` never snapshots.
    pub max_raft_state: Option<usize>,
    /// The controller's servers.
    pub ctrlers: Vec<NodeId>,
    /// How often the leader polls the controller and retries migrations (the course: 100 ms).
    pub poll_ms: u64,
    pub mutant: Option<Mutant>,
}

impl ServerConfig {
    pub fn new(
        gid: GroupId,
        raft: raft::Config,
        max_raft_state: Option<usize>,
        ctrlers: Vec<NodeId>,
    ) -> ServerConfig {
        ServerConfig {
            gid,
            raft,
            max_raft_state,
            ctrlers,
            poll_ms: 100,
            mutant: None,
        }
    }

    pub fn is_mutant(&self, mutant: Mutant) -> bool {
        self.mutant == Some(mutant)
    }

    /// Why a server cannot run with this configuration, if it cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.gid.is_none() {
            return Err("group 0 is no group".into());
        }
        if self.ctrlers.is_empty() {
            return Err("a shardkv server needs the controller's servers".into());
        }
        if self.poll_ms == 0 {
            return Err("poll_ms must be positive".into());
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClerkConfig {
    pub client: ClientId,
    /// The controller's servers this clerk asks for configurations (TestRejection gives a
    /// clerk a second, rogue controller).
    pub ctrlers: Vec<NodeId>,
    /// Without an answer this long, the request goes to the group's next server.
    pub retry_timeout_ms: u64,
    /// At most one configuration refresh this often (the course sleeps 100 ms).
    pub refresh_ms: u64,
}

impl ClerkConfig {
    pub fn new(client: ClientId, ctrlers: Vec<NodeId>) -> ClerkConfig {
        ClerkConfig {
            client,
            ctrlers,
            retry_timeout_ms: 200,
            refresh_ms: 100,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.ctrlers.is_empty() {
            return Err("a shardkv clerk needs the controller's servers".into());
        }
        if self.retry_timeout_ms == 0 {
            return Err("retry_timeout_ms must be positive".into());
        }
        Ok(())
    }
}
