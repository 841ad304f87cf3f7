//! The replicated log after the latest snapshot: entries `snapshot_index+1 ..= last_index`.

use crate::log_bytes::EntryBytes;
use crate::types::{LogIndex, Term};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub term: Term,
    /// Opaque to Raft: the layer above encodes its operations.
    #[serde(with = "serde_bytes")]
    pub command: Vec<u8>,
}

/// Entry at index `i` lives at `entries[i - snapshot_index - 1]`; the snapshot stands for
/// everything up to and including `snapshot_index`, whose term is kept for the consistency
/// check.
///
/// Entries are only appended at the end and removed from either end: never edited in place
/// and never moved to another index. Each held entry carries its write number (this log
/// value's count of appends when it was appended), so numbers increase along the log, and an
/// entry numbered at most `w` was held, unchanged and at its index, whenever the count was
/// `w`. That lets a checker look only at what changed ([`Log::first_written_after`]).
#[derive(Clone, Debug, Default)]
pub struct Log {
    snapshot_index: LogIndex,
    snapshot_term: Term,
    entries: Vec<Entry>,
    /// `entries` encoded, edited alongside them: what a persist writes.
    bytes: EntryBytes,
    /// Per held entry, its write number.
    written: Vec<u64>,
    /// Appends made by this log value over its life.
    writes: u64,
}

/// Two logs are equal when they hold the same snapshot point and entries, however each came
/// to hold them (write numbers are history, not contents).
impl PartialEq for Log {
    fn eq(&self, other: &Log) -> bool {
        self.snapshot_index == other.snapshot_index
            && self.snapshot_term == other.snapshot_term
            && self.entries == other.entries
    }
}

impl Eq for Log {}

impl Log {
    pub fn new(snapshot_index: LogIndex, snapshot_term: Term, entries: Vec<Entry>) -> Log {
        let mut bytes = EntryBytes::default();
        entries.iter().for_each(|e| bytes.push(e));
        let writes = entries.len() as u64;
        Log {
            snapshot_index,
            snapshot_term,
            entries,
            bytes,
            written: (1..=writes).collect(),
            writes,
        }
    }

    pub fn snapshot_index(&self) -> LogIndex {
        self.snapshot_index
    }

    pub fn snapshot_term(&self) -> Term {
        self.snapshot_term
    }

    /// Entries held in memory, starting at `snapshot_index + 1`.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// How many entries this log value has appended over its life (a fresh or decoded log
    /// counts the entries it was made with): a mark for [`Log::first_written_after`].
    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// The lowest held index whose entry was appended after this log's count of writes was
    /// `writes`, if any. Every held entry below it was held, unchanged and at its index, then.
    pub fn first_written_after(&self, writes: u64) -> Option<LogIndex> {
        let old = self.written.partition_point(|&w| w <= writes);
        (old < self.written.len()).then(|| self.snapshot_index.plus(old as u64 + 1))
    }

    /// The held entries' postcard encodings, back to back.
    pub(crate) fn entry_bytes(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    pub fn first_index(&self) -> LogIndex {
        self.snapshot_index.next()
    }

    pub fn last_index(&self) -> LogIndex {
        self.snapshot_index.plus(self.entries.len() as u64)
    }

    pub fn last_term(&self) -> Term {
        self.entries.last().map_or(self.snapshot_term, |e| e.term)
    }

    /// The term at `index`, if known: the snapshot's last entry or a held entry.
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        if index == self.snapshot_index {
            return Some(self.snapshot_term);
        }
        self.entry(index).map(|e| e.term)
    }

    pub fn entry(&self, index: LogIndex) -> Option<&Entry> {
        self.position(index).map(|pos| &self.entries[pos])
    }

    /// Up to `max_count` entries starting at `from`, which must be held (or one past the end).
    pub fn slice(&self, from: LogIndex, max_count: usize) -> &[Entry] {
        assert!(
            from > self.snapshot_index,
            "slice from {from} inside the snapshot"
        );
        assert!(
            from <= self.last_index().next(),
            "slice from {from} past the end"
        );
        let start = (from.0 - self.snapshot_index.0 - 1) as usize;
        let end = self.entries.len().min(start.saturating_add(max_count));
        &self.entries[start..end]
    }

    pub fn append(&mut self, entry: Entry) {
        assert!(
            entry.term >= self.last_term(),
            "appending term {} after {}",
            entry.term,
            self.last_term()
        );
        self.bytes.push(&entry);
        self.entries.push(entry);
        self.writes += 1;
        self.written.push(self.writes);
    }

    /// Drops every entry after `index` (which is the snapshot index or a held entry).
    pub fn truncate_after(&mut self, index: LogIndex) {
        assert!(
            index >= self.snapshot_index,
            "truncating into the snapshot at {index}"
        );
        let keep = (index.0 - self.snapshot_index.0) as usize;
        self.entries.truncate(keep);
        self.bytes.truncate(keep);
        self.written.truncate(keep);
    }

    /// The first index of the run of entries with the same term as the one at `index`
    /// (stopping at the first held entry): the follower's half of fast log backup.
    pub fn first_index_of_term_at(&self, index: LogIndex) -> LogIndex {
        let pos = self.position(index).expect("caller passes a held index");
        let term = self.entries[pos].term;
        // Terms never decrease, so the run starts where the first entry of `term` is.
        let first = self.entries[..pos].partition_point(|e| e.term < term);
        self.snapshot_index.plus(first as u64 + 1)
    }

    /// The last held index whose entry has `term`: the leader's half of fast log backup.
    pub fn last_index_of_term(&self, term: Term) -> Option<LogIndex> {
        let end = self.entries.partition_point(|e| e.term <= term);
        if end > 0 && self.entries[end - 1].term == term {
            return Some(self.snapshot_index.plus(end as u64));
        }
        None
    }

    /// Makes `index` (with `term`) the new snapshot point, dropping entries up to it. Entries
    /// after it are kept only if the log agrees about `index`'s term; otherwise all go.
    pub fn compact_to(&mut self, index: LogIndex, term: Term) {
        assert!(
            index >= self.snapshot_index,
            "compacting backwards to {index}"
        );
        if self.term_at(index) == Some(term) {
            let drop = (index.0 - self.snapshot_index.0) as usize;
            self.entries.drain(..drop);
            self.bytes.drain_front(drop);
            self.written.drain(..drop);
        } else {
            self.entries.clear();
            self.bytes.clear();
            self.written.clear();
        }
        self.snapshot_index = index;
        self.snapshot_term = term;
    }

    /// The O(1) part of [`Log::check`], for every step: the encoding holds every entry, and
    /// the newest entry's term did not go down (every edit either appends, which asserts
    /// that, or keeps a prefix or a suffix of an ordered log).
    pub(crate) fn check_recent(&self) -> Result<(), String> {
        if self.bytes.count() != self.entries.len() {
            return Err(format!(
                "{} entries but {} encoded",
                self.entries.len(),
                self.bytes.count()
            ));
        }
        self.check_recent_writes()?;
        let n = self.entries.len();
        let before_last = match n {
            0 => return Ok(()),
            1 => self.snapshot_term,
            _ => self.entries[n - 2].term,
        };
        if self.last_term() < before_last {
            return Err(format!(
                "term {} at index {} after term {before_last}",
                self.last_term(),
                self.last_index()
            ));
        }
        Ok(())
    }

    /// Why the log is malformed, if it is: terms must never decrease, and the encoding kept
    /// alongside must be the entries' own. O(log): for decoding and debug builds.
    pub fn check(&self) -> Result<(), String> {
        self.check_recent()?;
        let mut prev = self.snapshot_term;
        for (pos, e) in self.entries.iter().enumerate() {
            if e.term < prev {
                let index = self.snapshot_index.plus(pos as u64 + 1);
                return Err(format!(
                    "term {} at index {index} after term {prev}",
                    e.term
                ));
            }
            prev = e.term;
        }
        if let Some(pos) = self.written.windows(2).position(|w| w[0] >= w[1]) {
            let index = self.snapshot_index.plus(pos as u64 + 2);
            return Err(format!("write numbers do not increase at index {index}"));
        }
        let mut fresh = EntryBytes::default();
        self.entries.iter().for_each(|e| fresh.push(e));
        if fresh != self.bytes {
            return Err("the kept encoding differs from the entries'".into());
        }
        Ok(())
    }

    /// Write numbers, one per entry, the newest above the one before it and within the count.
    fn check_recent_writes(&self) -> Result<(), String> {
        if self.written.len() != self.entries.len() {
            return Err(format!(
                "{} entries but {} write numbers",
                self.entries.len(),
                self.written.len()
            ));
        }
        if let [.., before, last] = self.written[..] {
            if before >= last {
                return Err(format!("write number {last} after {before}"));
            }
        }
        match self.written.last() {
            Some(&last) if last > self.writes => Err(format!(
                "write number {last} but only {} writes",
                self.writes
            )),
            Some(_) | None => Ok(()),
        }
    }

    fn position(&self, index: LogIndex) -> Option<usize> {
        if index <= self.snapshot_index || index > self.last_index() {
            return None;
        }
        Some((index.0 - self.snapshot_index.0 - 1) as usize)
    }
}

#[cfg(test)]
#[path = "log_tests.rs"]
mod tests;
