//! Static configuration of a replicated service's servers and clerks, shared by the services
//! built on Raft (kv, the shard controller) so that each does not declare the same two types.

use crate::ids::{ClientId, NodeId};

/// A server of a replicated service. `R` is the consensus layer's configuration
/// (`raft::Config`; this crate does not depend on Raft), `M` the service's mutant enum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig<R, M> {
    pub raft: R,
    /// Snapshot when Raft's durable state reaches this many bytes (the course's
    /// `maxraftstate`); `None` never snapshots.
    pub max_raft_state: Option<usize>,
    pub mutant: Option<M>,
}

impl<R, M: PartialEq> ServerConfig<R, M> {
    pub fn new(raft: R, max_raft_state: Option<usize>) -> ServerConfig<R, M> {
        ServerConfig {
            raft,
            max_raft_state,
            mutant: None,
        }
    }

    pub fn is_mutant(&self, mutant: M) -> bool {
        self.mutant == Some(mutant)
    }
}

/// A clerk that sends each request to the server it believes leads (see
/// [`crate::clerk::RetryingClerk`]).
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

    /// Why a clerk (named `role` in the reason) cannot run with this configuration, if it
    /// cannot.
    pub fn validate(&self, role: &str) -> Result<(), String> {
        if self.servers.is_empty() {
            return Err(format!("a {role} needs servers"));
        }
        if self.retry_timeout_ms == 0 {
            return Err("retry_timeout_ms must be positive".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clerk_config_needs_servers_and_a_positive_timeout() {
        let mut config = ClerkConfig::new(ClientId(1), vec![NodeId(0)]);
        assert_eq!(config.validate("clerk"), Ok(()));
        config.retry_timeout_ms = 0;
        assert_eq!(
            config.validate("clerk"),
            Err("retry_timeout_ms must be positive".into())
        );
        config.servers.clear();
        assert_eq!(
            config.validate("controller clerk"),
            Err("a controller clerk needs servers".into())
        );
    }

    #[test]
    fn only_the_configured_mutant_is_on() {
        let mut config: ServerConfig<(), u8> = ServerConfig::new((), None);
        assert!(!config.is_mutant(1));
        config.mutant = Some(1);
        assert!(config.is_mutant(1));
        assert!(!config.is_mutant(2));
    }
}
