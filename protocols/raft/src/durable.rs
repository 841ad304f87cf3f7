//! What survives a crash, and its encoding: "raft-state" (term, vote, log) and "snapshot"
//! (the service's bytes), written atomically together when both change, like the course's
//! `Persister.Save(raftstate, snapshot)`.

use crate::log::{Entry, Log};
use crate::types::{LogIndex, Term};
use protocol_core::{Disk, DurableWrite, NodeId};
use serde::{Deserialize, Serialize};

pub const RAFT_STATE_FILE: &str = "raft-state";
pub const SNAPSHOT_FILE: &str = "snapshot";

/// Durable state (Figure 2's "persistent state on all servers" plus the snapshot).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Durable {
    pub term: Term,
    pub voted_for: Option<NodeId>,
    pub log: Log,
    /// The service's snapshot covering the log up to `log.snapshot_index()`; empty if none.
    pub snapshot: Vec<u8>,
}

/// The raft-state file's layout. Borrowed for encoding so persisting never clones the log.
#[derive(Serialize)]
struct RaftStateRef<'a> {
    term: Term,
    voted_for: Option<NodeId>,
    snapshot_index: LogIndex,
    snapshot_term: Term,
    entries: &'a [Entry],
}

#[derive(Deserialize)]
struct RaftStateOwned {
    term: Term,
    voted_for: Option<NodeId>,
    snapshot_index: LogIndex,
    snapshot_term: Term,
    entries: Vec<Entry>,
}

/// The snapshot file names the point it stands for, so a mismatch with raft-state shows.
#[derive(Serialize)]
struct SnapshotRef<'a> {
    index: LogIndex,
    term: Term,
    data: &'a [u8],
}

#[derive(Deserialize)]
struct SnapshotOwned {
    index: LogIndex,
    term: Term,
    data: Vec<u8>,
}

impl Durable {
    /// Why this state could not have been written by a correct node, if so.
    pub fn check(&self) -> Result<(), String> {
        self.log.check()?;
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

    /// The write for the current state; with `with_snapshot` the snapshot file goes too, in the
    /// same atomic write.
    pub fn encode(&self, with_snapshot: bool, forget_vote: bool) -> DurableWrite {
        if let Err(reason) = self.check() {
            panic!("encoding invalid durable state: {reason}");
        }
        let state = RaftStateRef {
            term: self.term,
            // The ForgetVoteOnRestart mutant: the vote never reaches the disk.
            voted_for: if forget_vote { None } else { self.voted_for },
            snapshot_index: self.log.snapshot_index(),
            snapshot_term: self.log.snapshot_term(),
            entries: self.log.entries(),
        };
        let state = postcard::to_allocvec(&state).expect("encoding to a Vec cannot fail");
        let mut write = DurableWrite::file(RAFT_STATE_FILE, state);
        if with_snapshot {
            let snap = SnapshotRef {
                index: self.log.snapshot_index(),
                term: self.log.snapshot_term(),
                data: &self.snapshot,
            };
            let snap = postcard::to_allocvec(&snap).expect("encoding to a Vec cannot fail");
            write = write.with_file(SNAPSHOT_FILE, snap);
        }
        write
    }

    /// Rebuilds the state from `disk`; an empty disk is a first boot. `Err` names what is wrong.
    pub fn decode(disk: &Disk) -> Result<Durable, String> {
        let Some(bytes) = disk.read(RAFT_STATE_FILE) else {
            if disk.read(SNAPSHOT_FILE).is_some() {
                return Err(format!("{SNAPSHOT_FILE} without {RAFT_STATE_FILE}"));
            }
            return Ok(Durable::default());
        };
        let state: RaftStateOwned = decode_exact(bytes, RAFT_STATE_FILE)?;
        let log = Log::new(state.snapshot_index, state.snapshot_term, state.entries);
        let snapshot = match disk.read(SNAPSHOT_FILE) {
            None if state.snapshot_index == LogIndex::ZERO => Vec::new(),
            None => {
                return Err(format!(
                    "snapshot index {} but no {SNAPSHOT_FILE}",
                    state.snapshot_index
                ))
            }
            Some(bytes) => {
                let snap: SnapshotOwned = decode_exact(bytes, SNAPSHOT_FILE)?;
                if (snap.index, snap.term) != (state.snapshot_index, state.snapshot_term) {
                    return Err(format!(
                        "{SNAPSHOT_FILE} is at index {} term {}, {RAFT_STATE_FILE} expects index {} term {}",
                        snap.index, snap.term, state.snapshot_index, state.snapshot_term
                    ));
                }
                snap.data
            }
        };
        let durable = Durable {
            term: state.term,
            voted_for: state.voted_for,
            log,
            snapshot,
        };
        durable.check()?;
        Ok(durable)
    }
}

fn decode_exact<'de, T: Deserialize<'de>>(bytes: &'de [u8], file: &str) -> Result<T, String> {
    let (value, rest) = postcard::take_from_bytes(bytes).map_err(|e| format!("{file}: {e}"))?;
    if !rest.is_empty() {
        return Err(format!("{file}: {} trailing bytes", rest.len()));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn round_trips_with_and_without_snapshot() {
        let durable = sample();
        let mut disk = Disk::new();
        disk.apply(durable.encode(true, false));
        assert_eq!(Durable::decode(&disk), Ok(durable.clone()));
        let mut moved = durable.clone();
        moved.term = Term(7);
        disk.apply(moved.encode(false, false));
        assert_eq!(Durable::decode(&disk), Ok(moved));
        assert_eq!(Durable::decode(&Disk::new()), Ok(Durable::default()));
    }

    #[test]
    fn corrupt_or_mismatched_files_are_errors() {
        let mut disk = Disk::new();
        disk.apply(sample().encode(true, false));
        let mut truncated = disk.clone();
        let len = truncated.size_of(RAFT_STATE_FILE);
        let bytes = truncated.read(RAFT_STATE_FILE).unwrap()[..len - 1].to_vec();
        truncated.overwrite(RAFT_STATE_FILE, bytes);
        assert!(Durable::decode(&truncated).is_err());
        let mut mismatched = disk.clone();
        let other = SnapshotRef {
            index: LogIndex(4),
            term: Term(2),
            data: &[],
        };
        mismatched.overwrite(SNAPSHOT_FILE, postcard::to_allocvec(&other).unwrap());
        assert!(Durable::decode(&mismatched)
            .unwrap_err()
            .contains("index 4"));
        let mut garbage = disk;
        garbage.overwrite(RAFT_STATE_FILE, vec![0xff; 3]);
        assert!(Durable::decode(&garbage).is_err());
    }

    #[test]
    fn forgetting_the_vote_drops_it_from_disk() {
        let mut disk = Disk::new();
        disk.apply(sample().encode(true, true));
        assert_eq!(Durable::decode(&disk).unwrap().voted_for, None);
    }
}
