//! Deliberate bugs in the service, off by default, that the scenarios must catch.

protocol_core::mutants! {
    family = "kv";
    pub enum Mutant {
        /// Applies every committed command, retried duplicates included.
        NoDuplicateDetection = "no-duplicate-detection",
        /// Snapshots hold the store but not the duplicate table, so a restarted or caught-up server applies a retry of an already applied request again.
        DupTableNotInSnapshot = "dup-table-not-in-snapshot",
        /// A leader answers a Get from its local store without confirming it still leads.
        StaleLocalRead = "stale-local-read",
        /// A leader answers as soon as Raft accepted the command, before it commits.
        ReplyBeforeApply = "reply-before-apply",
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
