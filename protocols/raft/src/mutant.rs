//! Deliberate bugs, off by default, that the checks must catch.

protocol_core::mutants! {
    family = "raft";
    pub enum Mutant {
        /// Grants a second vote in a term it already voted in: two leaders per term.
        VoteTwiceInTerm = "vote-twice-in-term",
        /// Commits any entry stored on a majority, ignoring the Figure 8 current-term rule.
        CommitOldTermByCounting = "commit-old-term-by-counting",
        /// Never writes `voted_for` to disk, so a restarted node can vote again in the same term.
        ForgetVoteOnRestart = "forget-vote-on-restart",
        /// A follower accepts AppendEntries without checking the previous entry's term.
        SkipConsistencyCheck = "skip-consistency-check",
        /// A follower never deletes a conflicting suffix; it only appends past its end.
        SkipTruncation = "skip-truncation",
        /// On restart the snapshot is neither loaded nor emitted: the service misses its state.
        DropSnapshotOnRestart = "drop-snapshot-on-restart",
        /// A leader answers every AppendEntries reply by sending AppendEntries to every follower: each round trip multiplies the messages in flight, a storm that never settles.
        BroadcastOnEveryReply = "broadcast-on-every-reply",
        /// Does not wait for its syncs: a write's steps (log, meta, renames) are issued at once and the replies leave with them, so a crash that loses unsynced writes takes back what was promised.
        AckBeforeSync = "ack-before-sync",
        /// The snapshot is overwritten in place instead of written to a temp file and renamed: a torn write leaves it neither old nor new.
        SnapshotInPlace = "snapshot-in-place",
        /// Boot cuts the log at its first bad record even before the synced end, taking a latent error for a torn tail.
        CutAnyBadRecord = "cut-any-bad-record",
        /// Boot reads raft-meta only where it was aimed, missing a copy a misdirected write put elsewhere.
        MetaAtFixedOffsets = "meta-at-fixed-offsets",
        /// A failed sync is taken for a completed one: the writes it lost are promised anyway.
        IgnoreSyncError = "ignore-sync-error",
    }
}

impl Mutant {
    /// Whether the bug shows only on a disk that fails (loses unsynced writes, tears them,
    /// rots): a rig whose disk is durable at once cannot catch it.
    pub fn needs_storage_faults(self) -> bool {
        match self {
            Mutant::AckBeforeSync
            | Mutant::SnapshotInPlace
            | Mutant::CutAnyBadRecord
            | Mutant::MetaAtFixedOffsets
            | Mutant::IgnoreSyncError => true,
            Mutant::VoteTwiceInTerm
            | Mutant::CommitOldTermByCounting
            | Mutant::ForgetVoteOnRestart
            | Mutant::SkipConsistencyCheck
            | Mutant::SkipTruncation
            | Mutant::DropSnapshotOnRestart
            | Mutant::BroadcastOnEveryReply => false,
        }
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
        assert!("vote-twice"
            .parse::<Mutant>()
            .unwrap_err()
            .contains("skip-truncation"));
    }
}
