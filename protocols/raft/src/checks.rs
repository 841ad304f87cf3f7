//! The cluster-wide properties Raft's checkers assert, declared once. Reports print these
//! names and tests compare them, never a message's wording.

use protocol_core::CheckId;

/// At most one leader per term, over the whole run.
pub const ELECTION_SAFETY: CheckId = CheckId::new("election-safety");
/// Two logs that hold an entry with the same index and term hold the same entries up to it.
pub const LOG_MATCHING: CheckId = CheckId::new("log-matching");
/// A leader of term T holds every entry committed before T.
pub const LEADER_COMPLETENESS: CheckId = CheckId::new("leader-completeness");
/// No two servers commit (or apply) different entries at one index.
pub const STATE_MACHINE_SAFETY: CheckId = CheckId::new("state-machine-safety");
/// Each incarnation applies indexes 1, 2, 3, … in order, a snapshot only moving it forward.
pub const APPLY_ORDER: CheckId = CheckId::new("apply-order");

/// Every check above, for reports and tests that enumerate them.
pub const ALL: &[CheckId] = &[
    ELECTION_SAFETY,
    LOG_MATCHING,
    LEADER_COMPLETENESS,
    STATE_MACHINE_SAFETY,
    APPLY_ORDER,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct() {
        let mut names: Vec<&str> = ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }
}
