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
