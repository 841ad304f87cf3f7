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
