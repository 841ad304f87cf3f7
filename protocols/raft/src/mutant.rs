//! Deliberate bugs, off by default, that the checks must catch.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mutant {
    /// Grants a second vote in a term it already voted in: two leaders per term.
    VoteTwiceInTerm,
    /// Commits any entry stored on a majority, ignoring the Figure 8 current-term rule.
    CommitOldTermByCounting,
    /// Never writes `voted_for` to disk, so a restarted node can vote again in the same term.
    ForgetVoteOnRestart,
    /// A follower accepts AppendEntries without checking the previous entry's term.
    SkipConsistencyCheck,
    /// A follower never deletes a conflicting suffix; it only appends past its end.
    SkipTruncation,
    /// On restart the snapshot is neither loaded nor emitted: the service misses its state.
    DropSnapshotOnRestart,
}

impl Mutant {
    pub const ALL: [Mutant; 6] = [
        Mutant::VoteTwiceInTerm,
        Mutant::CommitOldTermByCounting,
        Mutant::ForgetVoteOnRestart,
        Mutant::SkipConsistencyCheck,
        Mutant::SkipTruncation,
        Mutant::DropSnapshotOnRestart,
    ];

    /// The kebab-case name a CLI takes: `vote-twice-in-term`.
    pub const fn name(self) -> &'static str {
        match self {
            Mutant::VoteTwiceInTerm => "vote-twice-in-term",
            Mutant::CommitOldTermByCounting => "commit-old-term-by-counting",
            Mutant::ForgetVoteOnRestart => "forget-vote-on-restart",
            Mutant::SkipConsistencyCheck => "skip-consistency-check",
            Mutant::SkipTruncation => "skip-truncation",
            Mutant::DropSnapshotOnRestart => "drop-snapshot-on-restart",
        }
    }

    pub fn names() -> impl Iterator<Item = &'static str> {
        Mutant::ALL.iter().map(|m| m.name())
    }
}

impl fmt::Display for Mutant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mutant {
    type Err = String;

    fn from_str(s: &str) -> Result<Mutant, String> {
        protocol_core::mutant::by_name("raft", &Mutant::ALL, Mutant::name, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Mutant::ALL {
            assert_eq!(m.name().parse::<Mutant>(), Ok(m));
        }
        assert!("vote-twice"
            .parse::<Mutant>()
            .unwrap_err()
            .contains("skip-truncation"));
    }
}
