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

/// The raft-state file's layout up to the entries, which follow as `entry_count` postcard
/// encodings back to back ([`Log::entry_bytes`]). Together that is exactly postcard's
/// encoding of [`RaftStateOwned`], so decoding needs no special case.
#[derive(Serialize)]
struct RaftStateHeader {
    term: Term,
    voted_for: Option<NodeId>,
    snapshot_index: LogIndex,
    snapshot_term: Term,
    /// Postcard writes a sequence's length as a varint, as it writes a `u64`.
    entry_count: u64,
}

/// Postcard's largest encoding of a [`RaftStateHeader`]: four varint `u64`s and an optional
/// varint `u32`.
const HEADER_MAX_BYTES: usize = 4 * 10 + 1 + 5;

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
    #[serde(with = "serde_bytes")]
    data: &'a [u8],
}

#[derive(Deserialize)]
struct SnapshotOwned {
    index: LogIndex,
    term: Term,
    #[serde(with = "serde_bytes")]
    data: Vec<u8>,
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

    /// The write for the current state; with `with_snapshot` the snapshot file goes too, in the
    /// same atomic write.
    pub fn encode(&self, with_snapshot: bool, forget_vote: bool) -> DurableWrite {
        if let Err(reason) = self.check_recent() {
            panic!("encoding invalid durable state: {reason}");
        }
        debug_assert_eq!(self.check(), Ok(()), "encoding invalid durable state");
        let header = RaftStateHeader {
            term: self.term,
            // The ForgetVoteOnRestart mutant: the vote never reaches the disk.
            voted_for: if forget_vote { None } else { self.voted_for },
            snapshot_index: self.log.snapshot_index(),
            snapshot_term: self.log.snapshot_term(),
            entry_count: self.log.entries().len() as u64,
        };
        let mut buf = [0u8; HEADER_MAX_BYTES];
        // HEADER_MAX_BYTES bounds every header's encoding.
        let header = postcard::to_slice(&header, &mut buf).expect("the header fits");
        let entries = self.log.entry_bytes();
        let mut state = Vec::with_capacity(header.len() + entries.len());
        state.extend_from_slice(header);
        state.extend_from_slice(entries);
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
        // Index arithmetic reaches one past the last index; it must not overflow.
        let count = state.entries.len() as u64;
        let fits = (state.snapshot_index.0.checked_add(count)).and_then(|last| last.checked_add(1));
        if fits.is_none() {
            return Err(format!(
                "{RAFT_STATE_FILE}: {count} entries after snapshot index {} overflow the index",
                state.snapshot_index
            ));
        }
        if state.term == Term(u64::MAX) {
            return Err(format!(
                "{RAFT_STATE_FILE}: term {} has no successor",
                state.term
            ));
        }
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

    /// The layout written before encoding became incremental: the whole state in one go.
    #[derive(Serialize)]
    struct WholeState<'a> {
        term: Term,
        voted_for: Option<NodeId>,
        snapshot_index: LogIndex,
        snapshot_term: Term,
        entries: &'a [Entry],
    }

    #[test]
    fn incremental_encoding_is_the_whole_state_encoding() {
        let mut durable = sample();
        for round in 0..300u64 {
            let command = vec![round as u8; (round % 200) as usize];
            durable.log.append(Entry {
                term: Term(4 + round / 100),
                command,
            });
            if round % 7 == 0 {
                let index = durable.log.last_index().prev();
                durable.log.truncate_after(index);
            }
            if round % 50 == 49 {
                let index = durable.log.last_index().prev();
                let term = durable.log.term_at(index).unwrap();
                durable.log.compact_to(index, term);
            }
            durable.term = durable.log.last_term();
            durable.voted_for = [None, Some(NodeId(300))][round as usize % 2];
            let whole = WholeState {
                term: durable.term,
                voted_for: durable.voted_for,
                snapshot_index: durable.log.snapshot_index(),
                snapshot_term: durable.log.snapshot_term(),
                entries: durable.log.entries(),
            };
            let write = durable.encode(false, false);
            let (_, bytes) = &write.parts()[0];
            assert_eq!(
                bytes.as_deref(),
                Some(&postcard::to_allocvec(&whole).unwrap()[..])
            );
        }
        let mut disk = Disk::new();
        disk.apply(durable.encode(true, false));
        assert_eq!(Durable::decode(&disk), Ok(durable));
    }

    #[test]
    fn indexes_or_terms_that_would_overflow_are_corrupt() {
        let mut durable = sample();
        durable.log = Log::new(
            LogIndex(u64::MAX - 1),
            Term(2),
            durable.log.entries().to_vec(),
        );
        let mut disk = Disk::new();
        disk.apply(durable.encode(true, false));
        let err = Durable::decode(&disk).unwrap_err();
        assert!(err.contains("overflow"), "{err}");
        durable.log = Log::new(
            LogIndex(u64::MAX - 2),
            Term(2),
            durable.log.entries().to_vec(),
        );
        disk.apply(durable.encode(true, false));
        assert_eq!(
            Durable::decode(&disk),
            Ok(durable.clone()),
            "the largest that fits"
        );
        durable.term = Term(u64::MAX);
        disk.apply(durable.encode(true, false));
        assert!(Durable::decode(&disk).unwrap_err().contains("no successor"));
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

    #[test]
    #[should_panic(expected = "encoding invalid durable state")]
    fn encoding_an_invalid_state_is_a_bug() {
        let mut ahead = sample();
        ahead.term = Term(2);
        ahead.encode(false, false);
    }

    #[test]
    fn the_largest_header_takes_exactly_header_max_bytes() {
        let largest = RaftStateHeader {
            term: Term(u64::MAX),
            voted_for: Some(NodeId(u32::MAX)),
            snapshot_index: LogIndex(u64::MAX),
            snapshot_term: Term(u64::MAX),
            entry_count: u64::MAX,
        };
        let bytes = postcard::to_allocvec(&largest).expect("to a Vec");
        assert_eq!(bytes.len(), HEADER_MAX_BYTES);
    }

    #[test]
    fn a_snapshot_index_without_the_snapshot_file_is_corrupt() {
        let mut disk = Disk::new();
        disk.apply(sample().encode(false, false));
        let err = Durable::decode(&disk).unwrap_err();
        assert!(err.contains("snapshot index 5 but no snapshot"), "{err}");
        let mut alone = Disk::new();
        alone.apply(sample().encode(true, false));
        alone.apply(DurableWrite::new().with_delete(RAFT_STATE_FILE));
        assert!(Durable::decode(&alone).unwrap_err().contains("without"));
    }

    #[test]
    fn forgetting_the_vote_drops_it_from_disk() {
        let mut disk = Disk::new();
        disk.apply(sample().encode(true, true));
        assert_eq!(Durable::decode(&disk).unwrap().voted_for, None);
    }
}
