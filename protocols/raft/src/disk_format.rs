//! The bytes of Raft's three files.
//!
//! - `raft-log`: append-only checksummed records. The first is a [`LogHeader`] (the file's
//!   generation and the snapshot point its log starts after); each later one a batch of
//!   entries. A batch names the index of its first entry, so it also truncates whatever the
//!   log held from there; it names the byte offset it was written at and the checksum of the
//!   record before it, so a record that a misdirected write put elsewhere, or one left over
//!   from an earlier incarnation, never reads as part of the log.
//! - `raft-meta`: term, vote, and how far `raft-log` is known synced, in place, twice: a
//!   [`Meta`] record in each of two sectors, rewritten together. Boot takes the copy with the
//!   highest sequence number among every sector of the file that holds one.
//! - `snapshot`: one record of the service's snapshot with its index and term, written to
//!   `snapshot.tmp`, synced, then renamed into place.

use crate::log::Entry;
use crate::types::{LogIndex, Term};
use protocol_core::disk::SECTOR_BYTES;
use protocol_core::record::{self, Record};
use protocol_core::NodeId;
use serde::{Deserialize, Serialize};

pub const LOG_FILE: &str = "raft-log";
pub const META_FILE: &str = "raft-meta";
pub const SNAPSHOT_FILE: &str = "snapshot";
pub const LOG_TEMP: &str = "raft-log.tmp";
pub const SNAPSHOT_TEMP: &str = "snapshot.tmp";

/// Marks a log file's first record as one.
const LOG_MAGIC: u32 = 0x5241_4654;

/// The first record of a log file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogHeader {
    pub magic: u32,
    /// Bumped each time the file is rewritten whole (a snapshot, or the first write).
    pub generation: u64,
    /// The log in this file starts after this point (a snapshot's).
    pub base_index: LogIndex,
    pub base_term: Term,
}

impl LogHeader {
    pub fn new(generation: u64, base_index: LogIndex, base_term: Term) -> LogHeader {
        LogHeader {
            magic: LOG_MAGIC,
            generation,
            base_index,
            base_term,
        }
    }
}

/// Precedes the entries of a batch record, which follow as postcard encodings back to back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchHeader {
    /// Where this record was written in its file.
    pub offset: u64,
    /// The checksum of the record before it.
    pub prev: u64,
    pub first: LogIndex,
    pub count: u64,
}

/// What `raft-meta` holds: the durable state that is not the log, and the log's synced end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Increases with every write; boot takes the highest intact copy.
    pub seq: u64,
    pub term: Term,
    pub voted_for: Option<NodeId>,
    /// The log file's generation, and how many of its bytes are synced.
    pub generation: u64,
    pub synced_len: u64,
    /// While a rewrite's rename may not be durable: the generation it replaces, and that
    /// file's synced length.
    pub previous: Option<(u64, u64)>,
}

/// The snapshot file's one record.
#[derive(Serialize)]
pub struct SnapshotRef<'a> {
    pub index: LogIndex,
    pub term: Term,
    #[serde(with = "serde_bytes")]
    pub data: &'a [u8],
}

#[derive(Deserialize)]
pub struct SnapshotOwned {
    pub index: LogIndex,
    pub term: Term,
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

/// Where a batch goes and what it holds: `count` entries from `first`, encoded back to back.
#[derive(Clone, Copy)]
pub struct BatchAt<'a> {
    pub offset: u64,
    pub prev: u64,
    pub first: LogIndex,
    pub entries: &'a [u8],
    pub count: u64,
}

/// A whole log file: its header, then every entry of `entries` as one batch.
pub fn log_file(header: LogHeader, first: LogIndex, entries: &[u8], count: u64) -> Vec<u8> {
    let mut bytes = record::record(&encode(&header));
    let prev = record::checksum_of_record(&encode(&header));
    if count > 0 {
        let offset = bytes.len() as u64;
        bytes.extend(batch(BatchAt {
            offset,
            prev,
            first,
            entries,
            count,
        }));
    }
    bytes
}

/// One batch record, to be written at its offset after a record whose checksum is its prev.
pub fn batch(at: BatchAt<'_>) -> Vec<u8> {
    let BatchAt {
        offset,
        prev,
        first,
        entries,
        count,
    } = at;
    let header = BatchHeader {
        offset,
        prev,
        first,
        count,
    };
    let mut payload = encode(&header);
    payload.extend_from_slice(entries);
    record::record(&payload)
}

/// The header record's payload, decoded.
pub fn read_header(record: &Record<'_>) -> Result<LogHeader, String> {
    let header: LogHeader = decode_exact(record.payload)?;
    if header.magic != LOG_MAGIC || record.offset != 0 {
        return Err("not a log header".into());
    }
    Ok(header)
}

/// A batch record's first index and entries, if it belongs at its place: written at
/// `record.offset` after the record whose checksum is `prev`.
pub fn read_batch(record: &Record<'_>, prev: u64) -> Option<(LogIndex, Vec<Entry>)> {
    let (header, mut rest): (BatchHeader, &[u8]) =
        postcard::take_from_bytes(record.payload).ok()?;
    if header.offset != record.offset as u64 || header.prev != prev {
        return None;
    }
    let mut entries = Vec::new();
    for _ in 0..header.count {
        let (entry, tail): (Entry, &[u8]) = postcard::take_from_bytes(rest).ok()?;
        entries.push(entry);
        rest = tail;
    }
    rest.is_empty().then_some((header.first, entries))
}

/// Both copies of `meta`: one sector each.
pub fn meta_bytes(meta: &Meta) -> Vec<u8> {
    let one = record::record(&encode(meta));
    assert!(
        one.len() as u64 <= SECTOR_BYTES,
        "a meta record fits a sector"
    );
    let mut bytes = vec![0u8; 2 * SECTOR_BYTES as usize];
    bytes[..one.len()].copy_from_slice(&one);
    let second = SECTOR_BYTES as usize;
    bytes[second..second + one.len()].copy_from_slice(&one);
    bytes
}

/// The meta record to boot from, among the intact copies in the sectors of `bytes`, and the
/// highest sequence number any intact copy holds (the next write must pass it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetaRead {
    pub meta: Meta,
    pub newest_seq: u64,
}

/// The meta record to boot from (see [`read_meta_copies`]).
#[cfg(test)]
pub fn read_meta(bytes: &[u8], sectors: Option<usize>) -> Option<Meta> {
    read_meta_copies(bytes, sectors).map(|read| read.meta)
}

/// Reads the intact meta copies among the sectors of `bytes` (only the first `sectors`, if
/// given). The newest record counts if two copies hold it, or if it is the only one left; a
/// newest record in one copy beside an older intact one is a write whose sync never
/// completed (a completed write leaves two copies, and a later fault damages a copy rather
/// than turning it into an older record), so nothing was promised from it and the older
/// record is the state to boot from. Booting from the newer one would promise a state held in
/// one copy only, which one more fault then takes away (deep sweep: raft-storage 300890).
pub fn read_meta_copies(bytes: &[u8], sectors: Option<usize>) -> Option<MetaRead> {
    let sector = SECTOR_BYTES as usize;
    let count = bytes
        .len()
        .div_ceil(sector)
        .min(sectors.unwrap_or(usize::MAX));
    let mut copies: Vec<Meta> = (0..count)
        .filter_map(|i| {
            let at = i * sector;
            let record = record::read_record(&bytes[at..], at)?;
            decode_exact::<Meta>(record.payload).ok()
        })
        .collect();
    copies.sort_by_key(|meta| std::cmp::Reverse(meta.seq));
    let newest = *copies.first()?;
    let held_twice = copies.get(1).is_some_and(|second| second.seq == newest.seq);
    let meta = match copies.get(1) {
        Some(&older) if !held_twice => older,
        _ => newest,
    };
    Some(MetaRead {
        meta,
        newest_seq: newest.seq,
    })
}

/// The snapshot file's bytes.
pub fn snapshot_file(index: LogIndex, term: Term, data: &[u8]) -> Vec<u8> {
    record::record(&encode(&SnapshotRef { index, term, data }))
}

/// The snapshot file, decoded; `Err` if it is not intact.
pub fn read_snapshot(bytes: &[u8]) -> Result<SnapshotOwned, String> {
    let record = record::read_record(bytes, 0).ok_or("not an intact record")?;
    decode_exact(record.payload)
}

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Encoding a derived type into a Vec cannot fail.
    postcard::to_allocvec(value).expect("postcard encodes derived types")
}

fn decode_exact<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, String> {
    let (value, rest) = postcard::take_from_bytes(bytes).map_err(|e| e.to_string())?;
    if !rest.is_empty() {
        return Err(format!("{} trailing bytes", rest.len()));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol_core::record::Records;

    fn entry(term: u64, byte: u8) -> Entry {
        Entry {
            term: Term(term),
            command: vec![byte; 3],
        }
    }

    fn encoded(entries: &[Entry]) -> Vec<u8> {
        entries.iter().flat_map(encode).collect()
    }

    #[test]
    fn a_log_file_reads_back_and_a_misplaced_batch_does_not() {
        let header = LogHeader::new(3, LogIndex(10), Term(2));
        let first = [entry(2, 1), entry(3, 2)];
        let mut file = log_file(header, LogIndex(11), &encoded(&first), 2);
        let records: Vec<Record<'_>> = Records::new(&file, 0).collect();
        assert_eq!(read_header(&records[0]), Ok(header));
        let batch_one = read_batch(&records[1], records[0].checksum).expect("in place");
        assert_eq!(batch_one, (LogIndex(11), first.to_vec()));
        let prev = records[1].checksum;
        let second = batch(BatchAt {
            offset: file.len() as u64,
            prev,
            first: LogIndex(12),
            entries: &encoded(&[entry(3, 9)]),
            count: 1,
        });
        file.extend(&second);
        let records: Vec<Record<'_>> = Records::new(&file, 0).collect();
        assert_eq!(records.len(), 3);
        assert!(read_batch(&records[2], prev).is_some());
        assert!(
            read_batch(&records[2], 0).is_none(),
            "it chains to its predecessor"
        );
        let mut moved = file.clone();
        moved.extend(&second);
        let records: Vec<Record<'_>> = Records::new(&moved, 0).collect();
        assert!(
            read_batch(&records[3], records[2].checksum).is_none(),
            "not at its offset"
        );
    }

    #[test]
    fn the_newest_intact_meta_copy_wins() {
        let meta = |seq| Meta {
            seq,
            term: Term(seq),
            voted_for: Some(NodeId(1)),
            generation: 1,
            synced_len: 40,
            previous: None,
        };
        let mut file = meta_bytes(&meta(4));
        assert_eq!(read_meta(&file, None), Some(meta(4)));
        file[3] ^= 0x10;
        assert_eq!(
            read_meta(&file, None),
            Some(meta(4)),
            "one copy survives a flip"
        );
        file[SECTOR_BYTES as usize + 3] ^= 0x10;
        assert_eq!(read_meta(&file, None), None);
        let mut misdirected = meta_bytes(&meta(4));
        misdirected.extend(vec![0; SECTOR_BYTES as usize]);
        misdirected.extend(meta_bytes(&meta(5)));
        assert_eq!(read_meta(&misdirected, None), Some(meta(5)));
        assert_eq!(read_meta(&misdirected, Some(2)), Some(meta(4)));
    }

    #[test]
    fn a_newer_meta_in_one_copy_beside_an_older_one_was_never_completed() {
        let meta = |seq| Meta {
            seq,
            term: Term(seq),
            voted_for: None,
            generation: 1,
            synced_len: 40 + seq,
            previous: None,
        };
        // A write of seq 5 over seq 4 that stopped after its first sector.
        let mut torn = meta_bytes(&meta(4));
        let second = SECTOR_BYTES as usize;
        torn[..second].copy_from_slice(&meta_bytes(&meta(5))[..second]);
        let read = read_meta_copies(&torn, None).unwrap();
        assert_eq!((read.meta, read.newest_seq), (meta(4), 5));
        // Either copy alone is what is left: it counts.
        let mut one_left = torn.clone();
        one_left[second + 3] ^= 0x10;
        assert_eq!(read_meta(&one_left, None), Some(meta(5)));
        torn[3] ^= 0x10;
        assert_eq!(read_meta(&torn, None), Some(meta(4)));
    }

    #[test]
    fn snapshots_round_trip_and_damage_shows() {
        let bytes = snapshot_file(LogIndex(7), Term(2), b"state");
        let read = read_snapshot(&bytes).unwrap();
        assert_eq!(
            (read.index, read.term, read.data),
            (LogIndex(7), Term(2), b"state".to_vec())
        );
        let mut bad = bytes.clone();
        bad[bytes.len() - 2] ^= 1;
        assert!(read_snapshot(&bad).is_err());
    }
}
