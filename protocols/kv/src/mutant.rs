//! Deliberate bugs in the service, off by default, that the scenarios must catch.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mutant {
    /// Applies every committed command, retried duplicates included.
    NoDuplicateDetection,
    /// Snapshots hold the store but not the duplicate table, so a restarted or caught-up
    /// server applies a retry of an already applied request again.
    DupTableNotInSnapshot,
    /// A leader answers a Get from its local store without confirming it still leads.
    StaleLocalRead,
    /// A leader answers as soon as Raft accepted the command, before it commits.
    ReplyBeforeApply,
}

impl Mutant {
    pub const ALL: [Mutant; 4] = [
        Mutant::NoDuplicateDetection,
        Mutant::DupTableNotInSnapshot,
        Mutant::StaleLocalRead,
        Mutant::ReplyBeforeApply,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Mutant::NoDuplicateDetection => "no-duplicate-detection",
            Mutant::DupTableNotInSnapshot => "dup-table-not-in-snapshot",
            Mutant::StaleLocalRead => "stale-local-read",
            Mutant::ReplyBeforeApply => "reply-before-apply",
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
        protocol_core::mutant::by_name("kv", &Mutant::ALL, Mutant::name, s)
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
        assert!("stale".parse::<Mutant>().is_err());
    }
}
