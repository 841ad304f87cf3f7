//! Where a node's writes go, behind one small interface.
//!
//! The driver only loads a disk at boot and hands over each `DurableWrite`, file operation and
//! sync; how they become durable is the storage's business. Today that is [`AtomicFile`]: file
//! operations change the disk in memory, and a `Persist` or a sync rewrites the whole disk to
//! a temp file, fsynced, renamed over the old one, and the directory fsynced, so a crash at
//! any point leaves the disk as of the last sync or persist, never a mix. (Stronger than a
//! sync needs to be: every file is made durable, not only the synced one.)

use protocol_core::{Disk, DurableWrite, FileOp};
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const DISK_FILE: &str = "disk.postcard";

/// A node's durable storage as the driver uses it.
pub trait Storage {
    /// What the last incarnation made durable; an empty disk on first boot. Bad bytes are an
    /// `InvalidData` error naming the file.
    fn load(&mut self) -> io::Result<Disk>;

    /// Applies `write` whole and returns once it is durable (the contract: a `Persist` is
    /// durable before any later `Send` leaves).
    fn persist(&mut self, write: DurableWrite) -> io::Result<()>;

    /// Carries out a file operation; it is durable once a later [`Storage::sync`] returns.
    fn apply(&mut self, op: &FileOp);

    /// Returns once every earlier file operation is durable.
    fn sync(&mut self) -> io::Result<()>;
}

/// Keeps the disk in memory only: it does not survive the process.
#[derive(Default)]
pub struct InMemory {
    disk: Disk,
}

impl Storage for InMemory {
    fn load(&mut self) -> io::Result<Disk> {
        Ok(self.disk.clone())
    }

    fn persist(&mut self, write: DurableWrite) -> io::Result<()> {
        self.disk.apply(write);
        Ok(())
    }

    fn apply(&mut self, op: &FileOp) {
        self.disk.apply_op(op);
    }

    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The whole disk as one file in `dir`, replaced atomically on every write.
pub struct AtomicFile {
    dir: PathBuf,
    disk: Disk,
}

impl AtomicFile {
    pub fn new(dir: impl Into<PathBuf>) -> AtomicFile {
        AtomicFile {
            dir: dir.into(),
            disk: Disk::new(),
        }
    }
}

impl Storage for AtomicFile {
    fn load(&mut self) -> io::Result<Disk> {
        self.disk = load_disk(&self.dir)?;
        Ok(self.disk.clone())
    }

    fn persist(&mut self, write: DurableWrite) -> io::Result<()> {
        self.disk.apply(write);
        save_disk(&self.dir, &self.disk)
    }

    fn apply(&mut self, op: &FileOp) {
        self.disk.apply_op(op);
    }

    fn sync(&mut self) -> io::Result<()> {
        save_disk(&self.dir, &self.disk)
    }
}

fn load_disk(dir: &Path) -> io::Result<Disk> {
    let path = dir.join(DISK_FILE);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Disk::new()),
        Err(error) => return Err(error),
    };
    let files: BTreeMap<String, Vec<u8>> = postcard::from_bytes(&bytes).map_err(|error| {
        let reason = format!("{}: corrupt disk file: {error}", path.display());
        io::Error::new(io::ErrorKind::InvalidData, reason)
    })?;
    let mut write = DurableWrite::new();
    for (name, contents) in files {
        write = write.with_file(name, contents);
    }
    let mut disk = Disk::new();
    disk.apply(write);
    Ok(disk)
}

/// Temp file, fsync, rename, fsync the directory: without the last step the rename itself
/// may not survive a power cut, and the old disk would come back.
fn save_disk(dir: &Path, disk: &Disk) -> io::Result<()> {
    let files: BTreeMap<&str, &[u8]> = disk
        .names()
        .map(|name| (name, disk.read(name).unwrap_or_default()))
        .collect();
    let bytes = postcard::to_stdvec(&files).map_err(io::Error::other)?;
    fs::create_dir_all(dir)?;
    let temp = dir.join(format!("{DISK_FILE}.tmp"));
    let mut file = fs::File::create(&temp)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    fs::rename(&temp, dir.join(DISK_FILE))?;
    fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disk_survives_a_new_storage_and_garbage_is_an_error() {
        let dir = std::env::temp_dir().join(format!("realnet-disk-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let mut storage = AtomicFile::new(&dir);
        assert!(storage.load().unwrap().is_empty());
        storage
            .persist(DurableWrite::file("state", vec![1, 2]).with_file("snap", vec![3]))
            .unwrap();
        storage
            .persist(DurableWrite::new().with_delete("snap"))
            .unwrap();
        let reloaded = AtomicFile::new(&dir).load().unwrap();
        let mut expected = Disk::new();
        expected.apply(DurableWrite::file("state", vec![1, 2]));
        assert_eq!(reloaded, expected);
        fs::write(dir.join(DISK_FILE), [0xff, 0xff, 0xff]).unwrap();
        let error = AtomicFile::new(&dir).load().unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(error.to_string().contains("corrupt disk file"), "{error}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn in_memory_storage_applies_writes() {
        let mut storage = InMemory::default();
        storage.persist(DurableWrite::file("a", vec![5])).unwrap();
        assert_eq!(storage.load().unwrap().read("a"), Some(&[5u8][..]));
    }
}
