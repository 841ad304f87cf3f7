//! A node's storage as the core sees it: files it changes with the operations real storage
//! offers, and what survived of them when it boots.
//!
//! A core asks for [`FileOp`]s (write at an offset, append, truncate, rename, delete) and for
//! syncs (`Output::Sync`). A file operation takes effect in the page cache at once, but it is
//! durable only once a later sync of its file (or, for a rename, a delete or a file's
//! creation, of the directory) has completed, which the core learns through
//! `Input::Synced`. A crash may lose any unsynced operation, wholly or in part. So a core
//! that must not forget something (a vote, an acknowledged entry) waits for the sync before
//! it tells anyone.
//!
//! [`DurableWrite`] is the course's Persister kept as a convenience: `Output::Persist` replaces
//! whole files atomically, and the driver makes it durable before any later send leaves (the
//! simulator writes a temporary file, syncs it, renames it into place and syncs the
//! directory, holding the node's later sends until then).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// The name of one file on a node's disk (`"raft-log"`, `"snapshot"`).
pub type FileName = Cow<'static, str>;

/// The unit in which a write survives a crash: a torn write keeps a whole number of sectors,
/// and a latent error damages one.
pub const SECTOR_BYTES: u64 = 512;

/// Files as a node's writes left them (while it runs) or as its last crash left them (at
/// boot). Read-only to a core: it changes only through the outputs a driver carries out.
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

    pub fn contains(&self, name: &str) -> bool {
        self.files.contains_key(name)
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

    /// Carries out one file operation, as storage that is durable at once would (a driver
    /// whose writes are synchronous; the simulator's view of what a node wrote).
    pub fn apply_op(&mut self, op: &FileOp) {
        match op {
            FileOp::Write {
                file,
                offset,
                bytes,
            } => write_at(self.files.entry(file.clone()).or_default(), *offset, bytes),
            FileOp::Append { file, bytes } => {
                self.files.entry(file.clone()).or_default().extend(bytes)
            }
            FileOp::Truncate { file, len } => {
                let len = usize::try_from(*len).expect("a file length fits in memory");
                self.files.entry(file.clone()).or_default().resize(len, 0);
            }
            FileOp::Rename { from, to } => {
                if let Some(bytes) = self.files.remove(from) {
                    self.files.insert(to.clone(), bytes);
                }
            }
            FileOp::Delete { file } => {
                self.files.remove(file);
            }
        }
    }

    /// Replaces the bytes of `name` without the core asking: for storage-fault injection and
    /// for tests that damage a disk by hand.
    pub fn overwrite(&mut self, name: &str, bytes: Vec<u8>) -> bool {
        match self.files.get_mut(name) {
            Some(contents) => {
                *contents = bytes;
                true
            }
            None => false,
        }
    }

    /// The file's bytes to change in place, if it exists: for fault injection.
    pub fn bytes_mut(&mut self, name: &str) -> Option<&mut Vec<u8>> {
        self.files.get_mut(name)
    }

    /// Puts `bytes` under `name`, replacing whatever was there: for drivers rebuilding a disk.
    pub fn insert(&mut self, name: impl Into<FileName>, bytes: Vec<u8>) {
        self.files.insert(name.into(), bytes);
    }
}

/// Writes `bytes` into `file` at `offset`, filling any gap before it with zeros.
pub fn write_at(file: &mut Vec<u8>, offset: u64, bytes: &[u8]) {
    let start = usize::try_from(offset).expect("a file offset fits in memory");
    let end = start + bytes.len();
    if file.len() < end {
        file.resize(end, 0);
    }
    file[start..end].copy_from_slice(bytes);
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

/// One change to a node's files. Data operations (write, append, truncate) are durable once
/// a sync of their file completes; directory operations (rename, delete, and the creation of
/// a file by its first write) once a sync of the directory completes.
#[derive(Clone, PartialEq, Eq)]
pub enum FileOp {
    /// Writes `bytes` at `offset`, creating the file if needed; a gap before `offset` reads
    /// as zeros.
    Write {
        file: FileName,
        offset: u64,
        bytes: Vec<u8>,
    },
    /// Writes `bytes` at the file's end, creating it if needed.
    Append { file: FileName, bytes: Vec<u8> },
    /// Cuts the file to `len` bytes, or extends it with zeros.
    Truncate { file: FileName, len: u64 },
    /// Atomically replaces `to` with `from` (nothing if `from` is absent).
    Rename { from: FileName, to: FileName },
    /// Removes the file (nothing if absent).
    Delete { file: FileName },
}

impl FileOp {
    /// The bytes the operation writes (zero for the others).
    pub fn bytes(&self) -> usize {
        match self {
            FileOp::Write { bytes, .. } | FileOp::Append { bytes, .. } => bytes.len(),
            FileOp::Truncate { .. } | FileOp::Rename { .. } | FileOp::Delete { .. } => 0,
        }
    }
}

impl fmt::Debug for FileOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileOp::Write {
                file,
                offset,
                bytes,
            } => write!(f, "write {file} @{offset} {}B", bytes.len()),
            FileOp::Append { file, bytes } => write!(f, "append {file} {}B", bytes.len()),
            FileOp::Truncate { file, len } => write!(f, "truncate {file} to {len}B"),
            FileOp::Rename { from, to } => write!(f, "rename {from} -> {to}"),
            FileOp::Delete { file } => write!(f, "delete {file}"),
        }
    }
}

/// What a sync makes durable: one file's earlier data operations, or the directory's.
#[derive(Clone, PartialEq, Eq)]
pub enum SyncTarget {
    File(FileName),
    Directory,
}

impl fmt::Debug for SyncTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncTarget::File(name) => write!(f, "{name}"),
            SyncTarget::Directory => write!(f, "the directory"),
        }
    }
}

/// Names a sync, so the core can tell which one `Input::Synced` answers. The core picks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SyncToken(pub u64);

/// A sync that failed: the operations it covered may or may not be durable, and a later sync
/// will not say (as `fsync` after a write-back error). A core cannot trust its view of the
/// disk any more; the safe answer is `Output::Halt` and a boot from what the disk holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncError;

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sync failed: the writes it covered may be lost")
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

    #[test]
    fn file_ops_write_append_truncate_rename_and_delete() {
        let mut disk = Disk::new();
        let op = |op: FileOp| op;
        disk.apply_op(&op(FileOp::Write {
            file: "f".into(),
            offset: 2,
            bytes: vec![7, 8],
        }));
        assert_eq!(
            disk.read("f"),
            Some(&[0u8, 0, 7, 8][..]),
            "a gap reads as zeros"
        );
        disk.apply_op(&FileOp::Append {
            file: "f".into(),
            bytes: vec![9],
        });
        disk.apply_op(&FileOp::Write {
            file: "f".into(),
            offset: 0,
            bytes: vec![1],
        });
        assert_eq!(disk.read("f"), Some(&[1u8, 0, 7, 8, 9][..]));
        disk.apply_op(&FileOp::Truncate {
            file: "f".into(),
            len: 3,
        });
        disk.apply_op(&FileOp::Rename {
            from: "f".into(),
            to: "g".into(),
        });
        assert_eq!(
            (disk.read("f"), disk.read("g")),
            (None, Some(&[1u8, 0, 7][..]))
        );
        disk.apply_op(&FileOp::Rename {
            from: "absent".into(),
            to: "g".into(),
        });
        assert!(disk.contains("g"), "renaming nothing changes nothing");
        disk.apply_op(&FileOp::Delete { file: "g".into() });
        assert!(disk.is_empty());
        assert_eq!(
            format!("{:?}", FileOp::Delete { file: "g".into() }),
            "delete g"
        );
    }
}
