//! A node's durable storage as the core sees it: named blobs, written atomically.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// The name of one blob on a node's disk (`"raft-state"`, `"snapshot"`).
pub type FileName = Cow<'static, str>;

/// What survives a crash. Read-only to a core: it changes only through [`DurableWrite`]s,
/// which the driver applies whole or not at all (like the course's Persister).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Disk {
    files: BTreeMap<FileName, Vec<u8>>,
}

impl Disk {
    pub fn new() -> Disk {
        Disk::default()
    }

    pub fn read(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(Vec::as_slice)
    }

    /// Bytes held under `name`, zero if absent (the course's `RaftStateSize`).
    pub fn size_of(&self, name: &str) -> usize {
        self.files.get(name).map_or(0, Vec::len)
    }

    pub fn total_bytes(&self) -> usize {
        self.files.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// File names in order, for deterministic listing.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(|name| name.as_ref())
    }

    /// Applies every part of `write`, in order, as one atomic step.
    pub fn apply(&mut self, write: DurableWrite) {
        for (name, contents) in write.parts {
            match contents {
                Some(bytes) => {
                    self.files.insert(name, bytes);
                }
                None => {
                    self.files.remove(&name);
                }
            }
        }
    }

    /// Replaces the bytes of `name` without the core asking: for storage-fault injection.
    pub fn overwrite(&mut self, name: &str, bytes: Vec<u8>) -> bool {
        match self.files.get_mut(name) {
            Some(contents) => {
                *contents = bytes;
                true
            }
            None => false,
        }
    }
}

impl fmt::Debug for Disk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, bytes) in &self.files {
            map.entry(name, &format_args!("{} bytes", bytes.len()));
        }
        map.finish()
    }
}

/// An atomic group of writes and deletes to one node's disk.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct DurableWrite {
    parts: Vec<(FileName, Option<Vec<u8>>)>,
}

impl DurableWrite {
    pub fn new() -> DurableWrite {
        DurableWrite::default()
    }

    /// A write of one file: the common case.
    pub fn file(name: impl Into<FileName>, bytes: Vec<u8>) -> DurableWrite {
        DurableWrite::new().with_file(name, bytes)
    }

    pub fn with_file(mut self, name: impl Into<FileName>, bytes: Vec<u8>) -> DurableWrite {
        self.parts.push((name.into(), Some(bytes)));
        self
    }

    pub fn with_delete(mut self, name: impl Into<FileName>) -> DurableWrite {
        self.parts.push((name.into(), None));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.parts
            .iter()
            .map(|(_, contents)| contents.as_ref().map_or(0, Vec::len))
            .sum()
    }

    pub fn parts(&self) -> &[(FileName, Option<Vec<u8>>)] {
        &self.parts
    }
}

impl fmt::Debug for DurableWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for (name, contents) in &self.parts {
            match contents {
                Some(bytes) => list.entry(&format_args!("{name}={}B", bytes.len())),
                None => list.entry(&format_args!("{name}=deleted")),
            };
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_applies_whole_in_order() {
        let mut disk = Disk::new();
        disk.apply(DurableWrite::file("state", vec![1, 2]).with_file("snapshot", vec![3]));
        assert_eq!(disk.read("state"), Some(&[1u8, 2][..]));
        assert_eq!(disk.size_of("snapshot"), 1);
        disk.apply(
            DurableWrite::new()
                .with_delete("snapshot")
                .with_file("state", vec![9]),
        );
        assert_eq!(disk.read("snapshot"), None);
        assert_eq!(disk.total_bytes(), 1);
        assert_eq!(disk.names().collect::<Vec<_>>(), vec!["state"]);
    }

    #[test]
    fn overwrite_only_touches_existing_files() {
        let mut disk = Disk::new();
        assert!(!disk.overwrite("state", vec![0]));
        disk.apply(DurableWrite::file("state", vec![1]));
        assert!(disk.overwrite("state", vec![7, 7]));
        assert_eq!(disk.read("state"), Some(&[7u8, 7][..]));
    }
}
