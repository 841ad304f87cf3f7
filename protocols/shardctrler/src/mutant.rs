//! Deliberate bugs in the controller, off by default, that the checks must catch.

protocol_core::mutants! {
    family = "shardctrler";
    pub enum Mutant {
        /// Rebalancing breaks ties in an order drawn from each replica's own randomness (as iterating a Go map does): replicas compute different configurations from the same log.
        RebalanceInLocalOrder = "rebalance-in-local-order",
        /// Join and Leave deal the shards round-robin over the groups from scratch: balanced, but most shards move.
        RebalanceFromScratch = "rebalance-from-scratch",
        /// Any server answers Query(-1) at once from the configurations it has applied, without the log: a lagging or deposed server answers a stale configuration.
        StaleQuery = "stale-query",
        /// Applies every committed Join, Leave and Move, retried duplicates included.
        NoDuplicateDetection = "ctrler-no-duplicate-detection",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol_core::mutant::Mutant as _;

    #[test]
    fn names_round_trip() {
        for &m in Mutant::ALL {
            assert_eq!(m.name().parse::<Mutant>(), Ok(m));
        }
        assert!("stale".parse::<Mutant>().is_err());
    }
}
