//! Boot: the durable state read back from what the disk kept, every checksum verified.
//!
//! What a crash can leave is told apart from damage by what `raft-meta` says is synced:
//! - `raft-meta` has no intact copy: nothing was ever made durable (the node acts on nothing
//!   before its first meta write and the directory are synced), so this is a first boot.
//!   A newer record in one copy beside an older intact one is a write whose sync never
//!   completed: the older record is the state (see `read_meta_copies`), and the first write
//!   after boot names it again in two copies.
//! - `raft-log` is read record by record up to the synced length `raft-meta` names. A record
//!   before it that is torn, damaged or not at its place is damage: the node held data it may
//!   have acknowledged and lost it. What lies past it was written by a job that never
//!   completed, so nothing was acknowledged from it: it is cut off here, intact or torn, and
//!   the node boots with exactly the state it last promised (or, if the meta write naming a
//!   job made it before the crash, that job's).
//! - A file that a rewrite renames into place was synced before the rename, so `raft-log`'s
//!   header and the whole `snapshot` must be intact, and the snapshot must reach the log's
//!   start. A rewrite whose rename a crash undid is recognised by `raft-meta`'s previous
//!   generation.
//!
//! Every fault of one sector (a latent error, one torn or misdirected write) is survived or
//! reported: `raft-meta` keeps two copies of each write, and a log record acknowledged is
//! covered by a synced meta write naming it, so losing either copy of "this entry exists"
//! shows. Two faults on one disk between boots can defeat it; the simulator injects one.

use crate::disk_format::{
    read_batch, read_header, read_meta_copies, read_snapshot, Meta, LOG_FILE, LOG_TEMP, META_FILE,
    SNAPSHOT_FILE, SNAPSHOT_TEMP,
};
use crate::durable::Durable;
use crate::log::Log;
use crate::types::{LogIndex, Term};
use protocol_core::record::Records;
use protocol_core::{Disk, FileOp};

/// How to read the disk: the two ways a mutant reads it wrong.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ReadMode {
    /// Cut the log at its first bad record even before the synced end.
    pub cut_any_bad_record: bool,
    /// Read only the two sectors meta is aimed at, not every sector of the file.
    pub meta_at_fixed_offsets: bool,
}

/// Where the files stand after boot: the store's starting point.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct OnDisk {
    /// The log file's generation; 0 if there is none yet.
    pub generation: u64,
    /// The log file's intact length, and its last record's checksum.
    pub file_len: u64,
    pub last_checksum: u64,
    /// The meta record's sequence number last written.
    pub meta_seq: u64,
    /// The snapshot the snapshot file holds (zero: none).
    pub snapshot_index: LogIndex,
    /// `raft-meta` already names exactly this state; otherwise the first write names it.
    pub marked: bool,
    /// The snapshot file reaches past the log file's start: the log was compacted on
    /// reading, so the log file must be rewritten before anything is appended to it.
    pub log_behind_snapshot: bool,
}

pub(crate) struct Recovered {
    pub durable: Durable,
    pub on_disk: OnDisk,
    /// Leftovers to clear: temp files, a torn tail.
    pub cleanup: Vec<FileOp>,
}

/// Reads the durable state from `disk`. `Err` says what is damaged.
pub(crate) fn recover(disk: &Disk, mode: ReadMode) -> Result<Recovered, String> {
    let mut cleanup = Vec::new();
    for temp in [LOG_TEMP, SNAPSHOT_TEMP] {
        if disk.contains(temp) {
            cleanup.push(FileOp::Delete { file: temp.into() });
        }
    }
    let sectors = mode.meta_at_fixed_offsets.then_some(2);
    let Some(copies) = disk
        .read(META_FILE)
        .and_then(|bytes| read_meta_copies(bytes, sectors))
    else {
        if disk.contains(LOG_FILE) {
            return Err(format!("{LOG_FILE} without an intact {META_FILE}"));
        }
        if disk.contains(SNAPSHOT_FILE) {
            cleanup.push(FileOp::Delete {
                file: SNAPSHOT_FILE.into(),
            });
        }
        return Ok(Recovered {
            durable: Durable::default(),
            on_disk: OnDisk {
                marked: true,
                ..OnDisk::default()
            },
            cleanup,
        });
    };
    let meta = copies.meta;
    let mut read = read_log(disk, &meta, mode)?;
    if copies.newest_seq != meta.seq {
        // A newer meta write never completed: the next write must outnumber it, and must
        // name this state again, so that two copies hold it.
        read.on_disk.meta_seq = copies.newest_seq;
        read.on_disk.marked = false;
    }
    if let Some(bytes) = disk.read(LOG_FILE) {
        if bytes.len() as u64 > read.on_disk.file_len {
            let len = read.on_disk.file_len;
            cleanup.push(FileOp::Truncate {
                file: LOG_FILE.into(),
                len,
            });
        }
    }
    let base = read.log.snapshot_index();
    let snapshot = read_snapshot_file(disk, &mut read.log)?;
    read.on_disk.snapshot_index = snapshot.0;
    read.on_disk.log_behind_snapshot = snapshot.0 > base;
    if meta.term > Term::LIMIT {
        let term = meta.term;
        return Err(format!(
            "{META_FILE}: term {term} is past any term a peer may name"
        ));
    }
    let durable = Durable {
        term: meta.term,
        voted_for: meta.voted_for,
        log: read.log,
        snapshot: snapshot.1,
    };
    durable.check()?;
    Ok(Recovered {
        durable,
        on_disk: read.on_disk,
        cleanup,
    })
}

struct LogRead {
    log: Log,
    on_disk: OnDisk,
}

/// The log file that `meta` vouches for, read up to the synced length it names.
fn read_log(disk: &Disk, meta: &Meta, mode: ReadMode) -> Result<LogRead, String> {
    let Some(bytes) = disk.read(LOG_FILE) else {
        // Only a first rewrite whose rename a crash undid leaves no log file.
        if meta.generation == 0 || meta.previous == Some((0, 0)) {
            return Ok(LogRead {
                log: Log::default(),
                on_disk: OnDisk {
                    meta_seq: meta.seq,
                    marked: meta.generation == 0,
                    ..OnDisk::default()
                },
            });
        }
        return Err(format!(
            "{LOG_FILE} is missing, but {META_FILE} says generation {} holds {} bytes",
            meta.generation, meta.synced_len
        ));
    };
    let mut records = Records::new(bytes, 0);
    let header = records
        .next()
        .ok_or_else(|| format!("{LOG_FILE}: no intact header"))?;
    let mut prev = header.checksum;
    let header_record = header;
    let header = read_header(&header).map_err(|e| format!("{LOG_FILE}: {e}"))?;
    let synced_len = synced_len_of(meta, header.generation)?;
    // Index arithmetic reaches past the last index; no real log comes near the limit.
    if header.base_index > LogIndex::LIMIT || header.base_term > Term::LIMIT {
        return Err(format!(
            "{LOG_FILE}: base index {} or term {} past the limit",
            header.base_index, header.base_term
        ));
    }
    let mut log = Log::new(header.base_index, header.base_term, Vec::new());
    let mut end = header_record.len as u64;
    for record in records.take_while(|r| (r.offset as u64) < synced_len) {
        let Some((first, entries)) = read_batch(&record, prev) else {
            break; // not at its place: misdirected, or left from an earlier incarnation
        };
        replay(&mut log, first, entries)
            .map_err(|e| format!("{LOG_FILE} at byte {}: {e}", record.offset))?;
        prev = record.checksum;
        end = (record.offset + record.len) as u64;
    }
    if end != synced_len && !mode.cut_any_bad_record {
        return Err(format!(
            "{LOG_FILE}: damaged at byte {end}, before its synced end at {synced_len}"
        ));
    }
    let marked = meta.generation == header.generation && meta.previous.is_none();
    Ok(LogRead {
        log,
        on_disk: OnDisk {
            generation: header.generation,
            file_len: end,
            last_checksum: prev,
            meta_seq: meta.seq,
            snapshot_index: LogIndex::ZERO,
            marked,
            log_behind_snapshot: false,
        },
    })
}

/// How many bytes of log generation `generation` `meta` says are synced.
fn synced_len_of(meta: &Meta, generation: u64) -> Result<u64, String> {
    if meta.generation == generation {
        return Ok(meta.synced_len);
    }
    match meta.previous {
        Some((previous, len)) if previous == generation => Ok(len),
        _ => Err(format!(
            "{LOG_FILE} is generation {generation}, but {META_FILE} knows {} (and {:?})",
            meta.generation, meta.previous
        )),
    }
}

/// One batch: the log from `first` on becomes `entries`.
fn replay(log: &mut Log, first: LogIndex, entries: Vec<crate::log::Entry>) -> Result<(), String> {
    if first <= log.snapshot_index() || first > log.last_index().next() {
        return Err(format!(
            "a batch at index {first} does not continue a log of {}..={}",
            log.first_index(),
            log.last_index()
        ));
    }
    if first.plus(entries.len() as u64) > LogIndex::LIMIT {
        return Err(format!("a batch at index {first} runs past the limit"));
    }
    log.truncate_after(first.prev());
    for entry in entries {
        if entry.term < log.last_term() || entry.term > Term::LIMIT {
            return Err(format!(
                "term {} after term {} at index {}",
                entry.term,
                log.last_term(),
                log.last_index().next()
            ));
        }
        log.append(entry);
    }
    Ok(())
}

/// The snapshot file's index and data; the log is compacted to it if it reaches further.
fn read_snapshot_file(disk: &Disk, log: &mut Log) -> Result<(LogIndex, Vec<u8>), String> {
    let base = log.snapshot_index();
    let Some(bytes) = disk.read(SNAPSHOT_FILE) else {
        if base > LogIndex::ZERO {
            return Err(format!(
                "{SNAPSHOT_FILE} is missing, but {LOG_FILE} starts after index {base}"
            ));
        }
        return Ok((LogIndex::ZERO, Vec::new()));
    };
    let snapshot = read_snapshot(bytes).map_err(|e| format!("{SNAPSHOT_FILE}: {e}"))?;
    let matches_base = snapshot.index > base || snapshot.term == log.snapshot_term();
    if snapshot.index < base || !matches_base {
        return Err(format!(
            "{SNAPSHOT_FILE} is at index {} term {}, but {LOG_FILE} starts after index {base} term {}",
            snapshot.index,
            snapshot.term,
            log.snapshot_term()
        ));
    }
    if snapshot.index == LogIndex::ZERO {
        return Err(format!("{SNAPSHOT_FILE} at index 0"));
    }
    if snapshot.index > base {
        log.compact_to(snapshot.index, snapshot.term);
    }
    Ok((snapshot.index, snapshot.data))
}

#[cfg(test)]
#[path = "recover_tests.rs"]
mod tests;
