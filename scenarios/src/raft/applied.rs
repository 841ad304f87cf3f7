//! One server's applied commands by index, as the tester remembers them (the course's
//! `cfg.logs[i]`). A server applies indexes in order from 1 (or from a snapshot point), so
//! the indexes it holds are nearly contiguous: a dense window is a lookup by subtraction,
//! where a `BTreeMap` walked a tree on each of the several lookups every apply makes.

use std::collections::VecDeque;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AppliedLog {
    /// The index of `slots[0]`; meaningless while `slots` is empty.
    first: u64,
    /// Indexes `first..first + slots.len()`; `None` where the server applied nothing known.
    slots: VecDeque<Option<u64>>,
    /// How many slots are `Some`.
    len: usize,
    /// The snapshot encoding of indexes `1..=encoded_ends.len()` (gaps as 0), varint after
    /// varint, kept between snapshots: a snapshot every ten entries re-encoding the whole log
    /// cost a Raft sweep an eighth of its time. Cut back wherever the log changes.
    encoded: Vec<u8>,
    /// `encoded_ends[i]`: the length of `encoded` through index `i + 1`.
    encoded_ends: Vec<usize>,
}

impl AppliedLog {
    pub fn new() -> AppliedLog {
        AppliedLog::default()
    }

    /// How many indexes hold a command.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn get(&self, index: u64) -> Option<u64> {
        let offset = index.checked_sub(self.first)?;
        self.slots
            .get(usize::try_from(offset).ok()?)
            .copied()
            .flatten()
    }

    pub fn contains(&self, index: u64) -> bool {
        self.get(index).is_some()
    }

    /// Sets the command at `index`, replacing any.
    pub fn insert(&mut self, index: u64, value: u64) {
        self.touched(index);
        if self.slots.is_empty() {
            self.first = index;
        }
        while index < self.first {
            self.slots.push_front(None);
            self.first -= 1;
        }
        let offset = (index - self.first) as usize;
        if offset >= self.slots.len() {
            self.slots.resize(offset + 1, None);
        }
        if self.slots[offset].replace(value).is_none() {
            self.len += 1;
        }
        debug_assert_eq!(self.get(index), Some(value));
    }

    pub fn remove(&mut self, index: u64) {
        self.touched(index);
        let Some(offset) = index.checked_sub(self.first) else {
            return;
        };
        if let Some(slot) = self.slots.get_mut(offset as usize) {
            if slot.take().is_some() {
                self.len -= 1;
            }
        }
    }

    /// Forgets every index below `floor`.
    pub fn drop_below(&mut self, floor: u64) {
        self.touched(self.first);
        let cut = floor
            .saturating_sub(self.first)
            .min(self.slots.len() as u64) as usize;
        let dropped = self.slots.drain(..cut).flatten().count();
        self.len -= dropped;
        self.first += cut as u64;
        self.trim();
    }

    /// Forgets every index above `last`.
    pub fn drop_above(&mut self, last: u64) {
        self.touched(last + 1);
        let keep = (last + 1).saturating_sub(self.first);
        if keep < self.slots.len() as u64 {
            let dropped = self.slots.drain(keep as usize..).flatten().count();
            self.len -= dropped;
        }
        self.trim();
    }

    /// The commands at `1..=index` in order, `0` where none is held (the tester's snapshot).
    #[cfg(test)]
    pub fn prefix_with_gaps(&self, index: u64) -> Vec<u64> {
        let mut commands = vec![0; index as usize];
        for (offset, slot) in self.slots.iter().enumerate() {
            let at = self.first + offset as u64;
            if at > index {
                break;
            }
            if let (Some(value), Some(at)) = (slot, at.checked_sub(1)) {
                commands[at as usize] = *value;
            }
        }
        commands
    }

    /// The tester's snapshot up to `index`: postcard's encoding of `(index, commands)` with
    /// the commands of [`AppliedLog::prefix_with_gaps`], written varint by varint (through
    /// serde each varint was a library call) and kept for the next snapshot.
    pub fn snapshot_bytes(&mut self, index: u64) -> Vec<u8> {
        for at in self.encoded_ends.len() as u64 + 1..=index {
            let value = self.get(at).unwrap_or(0);
            push_varint(&mut self.encoded, value);
            self.encoded_ends.push(self.encoded.len());
        }
        let body = match index.checked_sub(1) {
            Some(last) => &self.encoded[..self.encoded_ends[last as usize]],
            None => &[],
        };
        let mut out = Vec::with_capacity(20 + body.len());
        push_varint(&mut out, index);
        push_varint(&mut out, index);
        out.extend_from_slice(body);
        out
    }

    /// Index `index` (and so possibly every later one) changed: the kept encoding stops
    /// before it.
    fn touched(&mut self, index: u64) {
        let keep = index.saturating_sub(1).min(self.encoded_ends.len() as u64) as usize;
        if keep < self.encoded_ends.len() {
            self.encoded_ends.truncate(keep);
            let len = keep.checked_sub(1).map_or(0, |i| self.encoded_ends[i]);
            self.encoded.truncate(len);
        }
    }

    /// An empty window restarts wherever the next insert lands.
    fn trim(&mut self) {
        if self.len == 0 {
            self.slots.clear();
        }
    }
}

/// Postcard's varint: seven bits a byte, low first, the high bit set on all but the last.
fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Every operation, against the `BTreeMap` it replaced.
    #[test]
    fn behaves_as_a_map_from_index_to_command() {
        // Snapshots are taken between operations too, so the kept encoding is exercised
        // across every kind of change.
        let mut log = AppliedLog::new();
        let mut map = BTreeMap::new();
        let ops: &[(&str, u64, u64)] = &[
            ("insert", 5, 50),
            ("insert", 7, 70),
            ("insert", 2, 20),
            ("insert", 5, 55),
            ("remove", 7, 0),
            ("remove", 9, 0),
            ("remove", 1, 0),
            ("insert", 9, 90),
            ("below", 5, 0),
            ("insert", 1, 10),
            ("insert", 7, 77),
            ("above", 6, 0),
            ("insert", 12, 120),
            ("below", 100, 0),
            ("insert", 40, u64::MAX),
            ("insert", 41, 1 << 62),
            ("insert", 38, 380),
            ("above", 0, 0),
            ("insert", 3, 30),
        ];
        for &(op, index, value) in ops {
            match op {
                "insert" => {
                    log.insert(index, value);
                    map.insert(index, value);
                }
                "remove" => {
                    log.remove(index);
                    map.remove(&index);
                }
                "below" => {
                    log.drop_below(index);
                    map = map.split_off(&index);
                }
                "above" => {
                    log.drop_above(index);
                    map.split_off(&(index + 1));
                }
                _ => unreachable!("unknown op {op}"),
            }
            assert_eq!(log.len(), map.len(), "after {op} {index}");
            for at in 0..50 {
                assert_eq!(log.get(at), map.get(&at).copied(), "{op} {index}: at {at}");
            }
            let prefix: Vec<u64> = (1..=45)
                .map(|at| map.get(&at).copied().unwrap_or(0))
                .collect();
            assert_eq!(log.prefix_with_gaps(45), prefix, "after {op} {index}");
            let encoded = postcard::to_allocvec(&(45u64, &prefix)).expect("to a Vec");
            assert_eq!(log.snapshot_bytes(45), encoded, "after {op} {index}");
            let short = postcard::to_allocvec(&(20u64, &prefix[..20])).expect("to a Vec");
            assert_eq!(log.snapshot_bytes(20), short, "after {op} {index}");
        }
    }
}
