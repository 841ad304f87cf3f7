//! The log's entries, postcard-encoded back to back and kept in step with the log, so a
//! persist copies bytes instead of re-encoding every entry (which made a run quadratic in
//! the log's length).
//!
//! Postcard writes a sequence as its length followed by its elements, each encoded exactly as
//! it would be alone; so a header, the entry count and these bytes together are byte for byte
//! what encoding the whole state at once gives (`durable.rs` tests that).

use crate::log::Entry;
use std::fmt;

#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct EntryBytes {
    bytes: Vec<u8>,
    /// Where each entry's encoding starts in `bytes`, in log order.
    starts: Vec<usize>,
}

impl EntryBytes {
    /// How many entries are encoded.
    pub fn count(&self) -> usize {
        self.starts.len()
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    pub fn push(&mut self, entry: &Entry) {
        self.starts.push(self.bytes.len());
        let bytes = std::mem::take(&mut self.bytes);
        // Encoding a derived type into a Vec cannot fail.
        self.bytes = postcard::to_extend(entry, bytes).expect("postcard encodes derived types");
    }

    /// Keeps the first `count` entries.
    pub fn truncate(&mut self, count: usize) {
        if let Some(&end) = self.starts.get(count) {
            self.bytes.truncate(end);
            self.starts.truncate(count);
        }
    }

    /// Drops the first `count` entries (which must be held).
    pub fn drain_front(&mut self, count: usize) {
        assert!(
            count <= self.starts.len(),
            "dropping {count} of {} entries",
            self.starts.len()
        );
        let Some(&cut) = self.starts.get(count) else {
            return self.clear();
        };
        self.bytes.drain(..cut);
        self.starts.drain(..count);
        self.starts.iter_mut().for_each(|start| *start -= cut);
    }

    pub fn clear(&mut self) {
        self.bytes.clear();
        self.starts.clear();
    }
}

impl fmt::Debug for EntryBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} entries in {} bytes", self.count(), self.bytes.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Term;

    fn entry(term: u64, len: usize) -> Entry {
        Entry {
            term: Term(term),
            command: vec![term as u8; len],
        }
    }

    fn encoded(entries: &[Entry]) -> Vec<u8> {
        entries
            .iter()
            .flat_map(|e| postcard::to_allocvec(e).unwrap())
            .collect()
    }

    #[test]
    fn edits_match_encoding_afresh() {
        let mut entries: Vec<Entry> = (1..=6).map(|t| entry(t, t as usize * 50)).collect();
        let mut bytes = EntryBytes::default();
        entries.iter().for_each(|e| bytes.push(e));
        assert_eq!(bytes.as_slice(), encoded(&entries));
        bytes.truncate(4);
        entries.truncate(4);
        assert_eq!(
            (bytes.count(), bytes.as_slice()),
            (4, &encoded(&entries)[..])
        );
        bytes.truncate(9);
        assert_eq!(bytes.count(), 4, "truncating past the end keeps all");
        bytes.drain_front(2);
        entries.drain(..2);
        assert_eq!(bytes.as_slice(), encoded(&entries));
        bytes.push(&entry(7, 3));
        entries.push(entry(7, 3));
        bytes.truncate(2);
        entries.truncate(2);
        assert_eq!(bytes.as_slice(), encoded(&entries));
        bytes.drain_front(2);
        assert_eq!((bytes.count(), bytes.as_slice().len()), (0, 0));
    }

    #[test]
    fn debug_output_is_a_summary_not_the_bytes() {
        let mut bytes = EntryBytes::default();
        bytes.push(&entry(1, 3));
        bytes.push(&entry(2, 0));
        assert_eq!(format!("{bytes:?}"), "2 entries in 7 bytes");
    }
}
