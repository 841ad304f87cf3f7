//! What a check reports: a broken property, named by a typed check identifier.
//!
//! A check's identity is declared once, by the code that owns the check, as a constant:
//! `pub const ELECTION_SAFETY: CheckId = CheckId::new("election-safety");`. Tests compare
//! identifiers (`assert_eq!(caught.check, raft::checks::ELECTION_SAFETY)`), never message text,
//! so rewording a message cannot silently change which check a test believes fired.

use crate::ids::NodeId;
use std::fmt;

/// The identity of a check: a short kebab-case name, declared once as a constant.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CheckId(&'static str);

impl CheckId {
    /// A check named `name`: lowercase letters, digits and dashes, as a CLI or a file name
    /// takes it. A bad name fails at compile time where the constant is declared.
    pub const fn new(name: &'static str) -> CheckId {
        let bytes = name.as_bytes();
        assert!(!bytes.is_empty(), "a check needs a name");
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            assert!(
                b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-',
                "check names are kebab-case: lowercase letters, digits and dashes"
            );
            i += 1;
        }
        CheckId(name)
    }

    pub const fn name(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CheckId({})", self.0)
    }
}

/// A broken property, as the check that found it words it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub check: CheckId,
    pub message: String,
    /// The nodes the evidence involves (two leaders of one term, the server that applied a
    /// different command), so a report can show their events first. Empty: not known.
    pub nodes: Vec<NodeId>,
}

impl Violation {
    pub fn new(check: CheckId, message: impl Into<String>) -> Violation {
        Violation {
            check,
            message: message.into(),
            nodes: Vec::new(),
        }
    }

    /// Names the nodes the evidence involves; kept sorted and without repeats.
    pub fn involving(mut self, nodes: impl IntoIterator<Item = NodeId>) -> Violation {
        self.nodes.extend(nodes);
        self.nodes.sort_unstable();
        self.nodes.dedup();
        self
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.check, self.message)
    }
}

impl std::error::Error for Violation {}

#[cfg(test)]
mod tests {
    use super::*;

    const SAFETY: CheckId = CheckId::new("election-safety");

    #[test]
    fn identifiers_compare_by_name_and_print_it() {
        assert_eq!(SAFETY, CheckId::new("election-safety"));
        assert_ne!(SAFETY, CheckId::new("log-matching"));
        assert_eq!(SAFETY.to_string(), "election-safety");
        assert_eq!(SAFETY.name(), "election-safety");
    }

    #[test]
    #[should_panic(expected = "kebab-case")]
    fn names_must_be_kebab_case() {
        let _ = CheckId::new("Election Safety");
    }

    #[test]
    fn violations_name_their_nodes_once_in_order() {
        let v = Violation::new(SAFETY, "n2 and n0 both lead term 3")
            .involving([NodeId(2), NodeId(0)])
            .involving([NodeId(2)]);
        assert_eq!(v.nodes, vec![NodeId(0), NodeId(2)]);
        assert_eq!(v.to_string(), "election-safety: n2 and n0 both lead term 3");
    }
}
