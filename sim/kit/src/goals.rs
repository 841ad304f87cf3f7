//! Reachability goals: situations a good run should sometimes reach (a leader deposed while
//! holding uncommitted entries, a retry of an operation already applied). A scenario
//! declares its goals; its watch marks each one a run reaches; a sweep counts the seeds that
//! reached each, and a goal no seed reached means the faults never exercised that part of
//! the protocol: the sweep's mixes are too gentle, or the scenario is wrong.
//!
//! A goal is not a check: reaching it or not passes every run. It is the check on the
//! checks (Antithesis's `sometimes` assertions, FoundationDB's `TEST` probes).

use std::collections::BTreeSet;
use std::fmt;

/// The identity of a goal: a short kebab-case name, declared once as a constant.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GoalId(&'static str);

impl GoalId {
    pub const fn new(name: &'static str) -> GoalId {
        // Same rule as check names: kebab-case, checked where the constant is declared.
        let _ = protocol_core::CheckId::new(name);
        GoalId(name)
    }

    pub const fn name(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for GoalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for GoalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GoalId({})", self.0)
    }
}

/// The goals a run reached so far; a watch keeps one and marks what it sees.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reached {
    goals: BTreeSet<GoalId>,
}

impl Reached {
    pub fn new() -> Reached {
        Reached::default()
    }

    /// The run reached `goal` (again, perhaps).
    pub fn mark(&mut self, goal: GoalId) {
        self.goals.insert(goal);
    }

    pub fn contains(&self, goal: GoalId) -> bool {
        self.goals.contains(&goal)
    }

    pub fn iter(&self) -> impl Iterator<Item = GoalId> + '_ {
        self.goals.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPOSED: GoalId = GoalId::new("leader-deposed-with-uncommitted");

    #[test]
    fn goals_are_marked_once_and_listed_in_order() {
        let mut reached = Reached::new();
        assert!(!reached.contains(DEPOSED));
        reached.mark(DEPOSED);
        reached.mark(DEPOSED);
        reached.mark(GoalId::new("a-first"));
        let names: Vec<&str> = reached.iter().map(GoalId::name).collect();
        assert_eq!(names, ["a-first", "leader-deposed-with-uncommitted"]);
    }
}
