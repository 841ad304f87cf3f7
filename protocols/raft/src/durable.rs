//! What survives a crash: Figure 2's persistent state and the snapshot. How it is laid out
//! on disk is `disk_format.rs`'s; how it gets there, `store.rs`'s; how it is read back,
//! `recover.rs`'s.

use crate::log::Log;
use crate::types::{LogIndex, Term};
use protocol_core::NodeId;

/// Durable state (Figure 2's "persistent state on all servers" plus the snapshot).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Durable {
    pub term: Term,
    pub voted_for: Option<NodeId>,
    pub log: Log,
    /// The service's snapshot covering the log up to `log.snapshot_index()`; empty if none.
    pub snapshot: Vec<u8>,
}

impl Durable {
    /// Why this state could not have been written by a correct node, if so. O(log): for
    /// decoding and debug builds; [`Durable::check_recent`] is the per-step part.
    pub fn check(&self) -> Result<(), String> {
        self.log.check()?;
        self.check_recent()
    }

    /// What [`Durable::check`] checks in O(1): every edit of the state keeps the rest.
    pub fn check_recent(&self) -> Result<(), String> {
        self.log.check_recent()?;
        if self.log.last_term() > self.term {
            return Err(format!(
                "log term {} above current term {}",
                self.log.last_term(),
                self.term
            ));
        }
        if self.log.snapshot_index() == LogIndex::ZERO && !self.snapshot.is_empty() {
            return Err("snapshot bytes without a snapshot index".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::Entry;

    fn sample() -> Durable {
        let entries = vec![Entry {
            term: Term(3),
            command: vec![1, 2, 3],
        }];
        Durable {
            term: Term(4),
            voted_for: Some(NodeId(2)),
            log: Log::new(LogIndex(5), Term(2), entries),
            snapshot: vec![9; 10],
        }
    }

    #[test]
    fn the_checks_accept_a_well_formed_state_and_the_empty_one() {
        assert_eq!(sample().check(), Ok(()));
        assert_eq!(Durable::default().check(), Ok(()));
        let mut current = sample();
        current.term = current.log.last_term();
        assert_eq!(current.check_recent(), Ok(()), "log term equal to current");
    }

    #[test]
    fn a_log_term_above_the_current_term_is_rejected() {
        let mut ahead = sample();
        ahead.term = Term(2);
        let err = ahead.check_recent().unwrap_err();
        assert!(err.contains("above current term"), "{err}");
        assert_eq!(ahead.check(), Err(err));
    }

    #[test]
    fn snapshot_bytes_need_a_snapshot_index() {
        let stray = Durable {
            snapshot: vec![1],
            ..Durable::default()
        };
        let err = stray.check_recent().unwrap_err();
        assert!(err.contains("without a snapshot index"), "{err}");
    }

    #[test]
    fn the_full_check_sees_disorder_deep_in_the_log() {
        let mut durable = sample();
        let entries = [2, 1, 3].map(|t| Entry {
            term: Term(t),
            command: vec![],
        });
        durable.log = Log::new(LogIndex(5), Term(2), entries.to_vec());
        assert_eq!(
            durable.check_recent(),
            Ok(()),
            "the newest entries are in order"
        );
        assert!(durable.check().unwrap_err().contains("index 7"));
    }
}
