//! A node's `Disk` as one real file, replaced atomically on every `Persist`.
//!
//! Writing the whole disk to a temp file and renaming it keeps a multi-file `DurableWrite`
//! atomic across a crash, at the cost of rewriting everything: fine for a small driver.

use protocol_core::{Disk, DurableWrite};
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

const DISK_FILE: &str = "disk.postcard";

/// The disk saved in `dir`, empty if none was saved. Bad bytes are an `InvalidData` error.
pub fn load_disk(dir: &Path) -> io::Result<Disk> {
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
    let mut disk = Disk::new();
    let mut write = DurableWrite::new();
    for (name, contents) in files {
        write = write.with_file(name, contents);
    }
    disk.apply(write);
    Ok(disk)
}

/// Saves all of `disk` in `dir`: temp file, fsync, rename.
pub fn save_disk(dir: &Path, disk: &Disk) -> io::Result<()> {
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
    fs::rename(&temp, dir.join(DISK_FILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disk_survives_save_and_load_and_garbage_is_an_error() {
        let dir = std::env::temp_dir().join(format!("realnet-disk-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        assert!(load_disk(&dir).unwrap().is_empty());
        let mut disk = Disk::new();
        disk.apply(DurableWrite::file("state", vec![1, 2]).with_file("snap", vec![3]));
        save_disk(&dir, &disk).unwrap();
        assert_eq!(load_disk(&dir).unwrap(), disk);
        fs::write(dir.join(DISK_FILE), [0xff, 0xff, 0xff]).unwrap();
        assert_eq!(
            load_disk(&dir).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
