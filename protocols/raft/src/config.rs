//! Static configuration of one Raft server.

use crate::mutant::Mutant;
use protocol_core::NodeId;

/// Timeouts suit the course: at most 10 heartbeats per second, and a new leader well within the
/// 5 s `checkOneLeader` allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Every server of the cluster, this one included, in a fixed order.
    pub peers: Vec<NodeId>,
    pub heartbeat_interval_ms: u64,
    pub election_timeout_ms_min: u64,
    pub election_timeout_ms_max: u64,
    /// How long a leader waits after `start` before sending, so that commands started together
    /// travel in one AppendEntries. Far below a heartbeat, so a command commits promptly.
    pub replicate_delay_us: u64,
    /// At most this many entries per AppendEntries, so a far-behind follower catches up in
    /// bounded messages.
    pub max_entries_per_append: usize,
    /// A deliberate bug, for showing that the checks catch it. `None` in every honest run.
    pub mutant: Option<Mutant>,
}

impl Config {
    pub fn new(peers: Vec<NodeId>) -> Config {
        Config {
            peers,
            heartbeat_interval_ms: 100,
            election_timeout_ms_min: 300,
            election_timeout_ms_max: 600,
            replicate_delay_us: 1_000,
            max_entries_per_append: 128,
            mutant: None,
        }
    }

    /// A cluster of `n` servers with ids 0..n.
    pub fn with_size(n: u32) -> Config {
        Config::new((0..n).map(NodeId).collect())
    }

    pub fn with_mutant(mut self, mutant: Option<Mutant>) -> Config {
        self.mutant = mutant;
        self
    }

    pub fn is_mutant(&self, mutant: Mutant) -> bool {
        self.mutant == Some(mutant)
    }

    /// Votes or replicas needed for a decision.
    pub fn majority(&self) -> usize {
        self.peers.len() / 2 + 1
    }

    /// Why this config cannot run node `id`, if it cannot.
    pub fn validate(&self, id: NodeId) -> Result<(), String> {
        if !self.peers.contains(&id) {
            return Err(format!("{id} is not among the peers {:?}", self.peers));
        }
        let mut sorted = self.peers.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != self.peers.len() {
            return Err(format!("duplicate peers in {:?}", self.peers));
        }
        if self.election_timeout_ms_min > self.election_timeout_ms_max {
            return Err("election_timeout_ms_min > election_timeout_ms_max".into());
        }
        if self.heartbeat_interval_ms == 0
            || self.heartbeat_interval_ms >= self.election_timeout_ms_min
        {
            return Err(
                "heartbeat interval must be positive and below the election timeout".into(),
            );
        }
        if self.max_entries_per_append == 0 {
            return Err("max_entries_per_append must be positive".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `validate`'s verdict on `config` for node 1.
    fn verdict(config: &Config) -> Result<(), String> {
        config.validate(NodeId(1))
    }

    #[test]
    fn the_course_config_is_valid_for_each_member_and_not_for_others() {
        let config = Config::with_size(3);
        for id in 0..3 {
            assert_eq!(config.validate(NodeId(id)), Ok(()));
        }
        let err = config.validate(NodeId(3)).unwrap_err();
        assert!(err.contains("not among the peers"), "{err}");
    }

    #[test]
    fn duplicate_peers_are_rejected() {
        let config = Config::new(vec![NodeId(0), NodeId(1), NodeId(1)]);
        assert!(verdict(&config).unwrap_err().contains("duplicate"));
    }

    #[test]
    fn election_timeouts_may_be_equal_but_not_inverted() {
        let mut config = Config::with_size(3);
        config.election_timeout_ms_max = config.election_timeout_ms_min;
        assert_eq!(verdict(&config), Ok(()));
        config.election_timeout_ms_max -= 1;
        let err = verdict(&config).unwrap_err();
        assert!(err.contains("election_timeout_ms_min >"), "{err}");
    }

    #[test]
    fn the_heartbeat_must_be_positive_and_below_the_election_timeout() {
        let mut config = Config::with_size(3);
        config.heartbeat_interval_ms = config.election_timeout_ms_min - 1;
        assert_eq!(verdict(&config), Ok(()), "just below");
        config.heartbeat_interval_ms = config.election_timeout_ms_min;
        assert!(verdict(&config).unwrap_err().contains("heartbeat"));
        config.heartbeat_interval_ms = 0;
        assert!(verdict(&config).unwrap_err().contains("heartbeat"));
    }

    #[test]
    fn appends_must_carry_at_least_one_entry() {
        let mut config = Config::with_size(3);
        config.max_entries_per_append = 0;
        assert!(verdict(&config)
            .unwrap_err()
            .contains("max_entries_per_append"));
        config.max_entries_per_append = 1;
        assert_eq!(verdict(&config), Ok(()));
    }
}
