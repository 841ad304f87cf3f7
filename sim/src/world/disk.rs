//! A node's simulated disk: what the node wrote (the page cache), what of it is durable, and
//! what a crash or a failing disk makes of the rest.
//!
//! Files are inodes that names point to, as on a real file system, so that a rename moves a
//! file's unsynced data with it. Data operations wait per inode for a sync of that file;
//! directory operations (creation, rename, delete) wait, in order, for a sync of the
//! directory. A crash keeps a seed-chosen prefix of the pending directory operations (a
//! journal commits in order) and, of the pending data operations, those the disk happened to
//! write before the power went: the pending writes are put in a seed-chosen order, a
//! seed-chosen number of them survive whole, and the next one survives torn, a whole number
//! of its sectors. Durable contents change only as syncs complete, as crashes resolve, and
//! through faults (a latent error, a misdirected write); the node sees them when it boots.

use crate::hash::Hasher64;
use protocol_core::disk::{write_at, FileName, SECTOR_BYTES};
use protocol_core::rng::{index, range_inclusive, shuffle, Ratio, Rng};
use protocol_core::{Disk, DurableWrite, FileOp};
use std::collections::{BTreeMap, BTreeSet};

type Ino = u64;

#[derive(Clone, Debug)]
enum DirOp {
    Create {
        name: FileName,
        ino: Ino,
    },
    Rename {
        from: FileName,
        to: FileName,
        ino: Ino,
    },
    Unlink {
        name: FileName,
    },
}

#[derive(Clone, Debug)]
enum DataOp {
    Write { offset: u64, bytes: Vec<u8> },
    SetLen(u64),
}

/// A sync's reach: the operations issued before it, of one file or of the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SyncReach {
    File {
        ino: Ino,
        before: u64,
    },
    Directory {
        before: u64,
    },
    /// A file that does not exist: nothing to make durable.
    Nothing,
}

/// What became of the writes a crash or a failed sync caught in flight, for the trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Fates {
    pub kept: u64,
    pub torn: u64,
    pub lost: u64,
}

/// How a write reaching the durable copy may go wrong (a misdirected write).
pub(super) struct Aim<'a> {
    pub rng: &'a mut Rng,
    /// The chance a write lands elsewhere: zero unless the node is a victim with the class on.
    pub misdirect: Ratio,
}

#[derive(Default)]
pub(super) struct SimDisk {
    /// What the node's operations left: names to contents, as the node would read them.
    view: Disk,
    view_ino: BTreeMap<FileName, Ino>,
    durable_dir: BTreeMap<FileName, Ino>,
    durable: BTreeMap<Ino, Vec<u8>>,
    pending_dir: Vec<(u64, DirOp)>,
    pending_data: BTreeMap<Ino, Vec<(u64, DataOp)>>,
    next_ino: Ino,
    next_seq: u64,
    /// A corruption fault hit this disk since the node last booted: at most one does, so a
    /// core that keeps two copies of what matters can always recover.
    pub corrupted_since_boot: bool,
    /// A corruption fault ever hit this disk: a `CorruptDisk` at boot is then expected.
    pub ever_corrupted: bool,
    /// Writes that landed elsewhere since last asked: the inode and how far (bytes, signed).
    misdirected: Vec<(Ino, i64)>,
}

impl SimDisk {
    /// The files as the node's operations left them.
    pub fn view(&self) -> &Disk {
        &self.view
    }

    /// Carries out `op`, returning its digest for the trace.
    pub fn apply(&mut self, op: &FileOp) -> u64 {
        let mut hasher = Hasher64::new();
        hash_op(&mut hasher, op);
        match op {
            FileOp::Write {
                file,
                offset,
                bytes,
            } => self.write(file, *offset, bytes.clone()),
            FileOp::Append { file, bytes } => {
                let offset = self.view.size_of(file) as u64;
                self.write(file, offset, bytes.clone());
            }
            FileOp::Truncate { file, len } => {
                let ino = self.ensure(file);
                self.push_data(ino, DataOp::SetLen(*len));
            }
            FileOp::Rename { from, to } => {
                if let Some(ino) = self.view_ino.remove(from) {
                    self.view_ino.insert(to.clone(), ino);
                    let seq = self.seq();
                    self.pending_dir.push((
                        seq,
                        DirOp::Rename {
                            from: from.clone(),
                            to: to.clone(),
                            ino,
                        },
                    ));
                }
            }
            FileOp::Delete { file } => {
                if self.view_ino.remove(file).is_some() {
                    let seq = self.seq();
                    let name = file.clone();
                    self.pending_dir.push((seq, DirOp::Unlink { name }));
                }
            }
        }
        self.view.apply_op(op);
        hasher.finish()
    }

    /// Replaces whole files at once, durable at once: the course's Persister, when unsynced
    /// writes cannot be lost.
    pub fn apply_atomic(&mut self, write: &DurableWrite) -> u64 {
        let mut hasher = Hasher64::new();
        for (name, contents) in write.parts() {
            hasher.write_str(name);
            let op = match contents {
                Some(bytes) => {
                    hasher.write_bytes_wide(bytes);
                    self.apply(&FileOp::Truncate {
                        file: name.clone(),
                        len: 0,
                    });
                    FileOp::Write {
                        file: name.clone(),
                        offset: 0,
                        bytes: bytes.clone(),
                    }
                }
                None => {
                    hasher.write_u64(u64::MAX);
                    FileOp::Delete { file: name.clone() }
                }
            };
            self.apply(&op);
        }
        self.flush_all(None);
        hasher.finish()
    }

    /// What a sync of `file` (`None`: the directory) issued now will make durable.
    pub fn reach(&self, file: Option<&str>) -> SyncReach {
        let before = self.next_seq;
        match file {
            None => SyncReach::Directory { before },
            Some(name) => match self.view_ino.get(name) {
                Some(&ino) => SyncReach::File { ino, before },
                None => SyncReach::Nothing,
            },
        }
    }

    /// A sync completed: what it reached is durable.
    pub fn complete(&mut self, reach: SyncReach, aim: &mut Aim<'_>) {
        match reach {
            SyncReach::File { ino, before } => {
                for op in self.take_data(ino, before) {
                    self.land(ino, op, Some(&mut *aim));
                }
            }
            SyncReach::Directory { before } => {
                let split = self.pending_dir.partition_point(|(seq, _)| *seq < before);
                let done: Vec<(u64, DirOp)> = self.pending_dir.drain(..split).collect();
                done.into_iter()
                    .for_each(|(_, op)| apply_dir(&mut self.durable_dir, op));
                self.collect_garbage();
            }
            SyncReach::Nothing => {}
        }
    }

    /// A sync failed: what it reached meets a crash's fate (some kept, one torn, the rest
    /// lost), and is no longer pending; the node's view keeps it, as a page cache would.
    pub fn fail(&mut self, reach: SyncReach, torn: bool, aim: &mut Aim<'_>) -> Fates {
        match reach {
            SyncReach::File { ino, before } => {
                let ops: Vec<(Ino, DataOp)> = self
                    .take_data(ino, before)
                    .into_iter()
                    .map(|op| (ino, op))
                    .collect();
                self.resolve(ops, torn, aim)
            }
            SyncReach::Directory { before } => {
                let split = self.pending_dir.partition_point(|(seq, _)| *seq < before);
                let ops: Vec<(u64, DirOp)> = self.pending_dir.drain(..split).collect();
                let keep = range_inclusive(aim.rng, 0, ops.len() as u64) as usize;
                let lost = (ops.len() - keep) as u64;
                for (_, op) in ops.into_iter().take(keep) {
                    apply_dir(&mut self.durable_dir, op);
                }
                self.collect_garbage();
                Fates {
                    kept: keep as u64,
                    torn: 0,
                    lost,
                }
            }
            SyncReach::Nothing => Fates::default(),
        }
    }

    /// The node crashed: pending operations meet their fates, and the view becomes what is
    /// durable, which is what the next boot reads.
    pub fn crash(&mut self, torn: bool, aim: &mut Aim<'_>) -> Fates {
        let dir_ops = std::mem::take(&mut self.pending_dir);
        let keep = range_inclusive(aim.rng, 0, dir_ops.len() as u64) as usize;
        for (_, op) in dir_ops.into_iter().take(keep) {
            apply_dir(&mut self.durable_dir, op);
        }
        let mut data: Vec<(Ino, DataOp)> = Vec::new();
        for (ino, ops) in std::mem::take(&mut self.pending_data) {
            data.extend(ops.into_iter().map(|(_, op)| (ino, op)));
        }
        let fates = self.resolve(data, torn, aim);
        self.collect_garbage();
        self.view = Disk::new();
        for (name, ino) in &self.durable_dir {
            let bytes = self.durable.get(ino).cloned().unwrap_or_default();
            self.view.insert(name.clone(), bytes);
        }
        self.view_ino = self.durable_dir.clone();
        fates
    }

    /// Makes every pending operation durable at once (unsynced writes cannot be lost), each
    /// write perhaps landing elsewhere if `aim` says so.
    pub fn flush_all(&mut self, mut aim: Option<&mut Aim<'_>>) {
        for (_, op) in std::mem::take(&mut self.pending_dir) {
            apply_dir(&mut self.durable_dir, op);
        }
        for (ino, ops) in std::mem::take(&mut self.pending_data) {
            for (_, op) in ops {
                self.land(ino, op, aim.as_deref_mut());
            }
        }
        self.collect_garbage();
    }

    /// Flips 1 to 3 bits of one sector of one durable, non-empty file; false if there is
    /// none. Returns the file's name and the sector.
    pub fn latent_error(&mut self, rng: &mut Rng) -> Option<(FileName, u64)> {
        let files: Vec<(FileName, Ino)> = self
            .durable_dir
            .iter()
            .filter(|(_, ino)| self.durable.get(*ino).is_some_and(|b| !b.is_empty()))
            .map(|(name, ino)| (name.clone(), *ino))
            .collect();
        if files.is_empty() {
            return None;
        }
        let (name, ino) = files[index(rng, files.len())].clone();
        let bytes = self.durable.get_mut(&ino).expect("listed above");
        let sectors = (bytes.len() as u64).div_ceil(SECTOR_BYTES);
        let sector = range_inclusive(rng, 0, sectors - 1);
        let start = (sector * SECTOR_BYTES) as usize;
        let end = bytes.len().min(start + SECTOR_BYTES as usize);
        for _ in 0..range_inclusive(rng, 1, 3) {
            let at = range_inclusive(rng, start as u64, end as u64 - 1) as usize;
            bytes[at] ^= 1 << range_inclusive(rng, 0, 7);
        }
        self.corrupted_since_boot = true;
        self.ever_corrupted = true;
        Some((name, sector))
    }

    /// Edits the durable (and visible) bytes of `name` by hand, as a test damaging a disk.
    pub fn damage(&mut self, name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> bool {
        let Some(&ino) = self.durable_dir.get(name) else {
            return false;
        };
        let bytes = self.durable.entry(ino).or_default();
        edit(bytes);
        let copy = bytes.clone();
        if self.view_ino.get(name) == Some(&ino) {
            self.view.insert(FileName::Owned(name.to_string()), copy);
        }
        self.ever_corrupted = true;
        true
    }

    /// The writes that landed elsewhere since the last call: the file's name and the shift.
    pub fn take_misdirected(&mut self) -> Vec<(FileName, i64)> {
        let taken = std::mem::take(&mut self.misdirected);
        taken
            .into_iter()
            .map(|(ino, shift)| {
                let name = self.view_ino.iter().find(|(_, &i)| i == ino);
                let name = name.map_or(FileName::Borrowed("(unlinked)"), |(n, _)| n.clone());
                (name, shift)
            })
            .collect()
    }

    #[cfg(test)]
    pub fn has_pending(&self) -> bool {
        !self.pending_dir.is_empty() || !self.pending_data.is_empty()
    }

    fn write(&mut self, file: &FileName, offset: u64, bytes: Vec<u8>) {
        let ino = self.ensure(file);
        self.push_data(ino, DataOp::Write { offset, bytes });
    }

    /// The inode `name` points to, created (a directory operation) if it has none.
    fn ensure(&mut self, name: &FileName) -> Ino {
        if let Some(&ino) = self.view_ino.get(name) {
            return ino;
        }
        self.next_ino += 1;
        let ino = self.next_ino;
        self.view_ino.insert(name.clone(), ino);
        let seq = self.seq();
        let create = DirOp::Create {
            name: name.clone(),
            ino,
        };
        self.pending_dir.push((seq, create));
        ino
    }

    fn push_data(&mut self, ino: Ino, op: DataOp) {
        let seq = self.seq();
        self.pending_data.entry(ino).or_default().push((seq, op));
    }

    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq - 1
    }

    fn take_data(&mut self, ino: Ino, before: u64) -> Vec<DataOp> {
        let Some(ops) = self.pending_data.get_mut(&ino) else {
            return Vec::new();
        };
        let split = ops.partition_point(|(seq, _)| *seq < before);
        let done: Vec<DataOp> = ops.drain(..split).map(|(_, op)| op).collect();
        if ops.is_empty() {
            self.pending_data.remove(&ino);
        }
        done
    }

    /// Writes in flight when the power went: a seed-chosen order, a seed-chosen count of
    /// them written whole, the next torn (if `torn`) and the rest lost; the survivors land
    /// in the order they were issued.
    fn resolve(&mut self, ops: Vec<(Ino, DataOp)>, torn: bool, aim: &mut Aim<'_>) -> Fates {
        let mut order: Vec<usize> = (0..ops.len()).collect();
        shuffle(aim.rng, &mut order);
        let written = range_inclusive(aim.rng, 0, ops.len() as u64) as usize;
        let mut fate = vec![Fate::Lost; ops.len()];
        for (rank, &i) in order.iter().enumerate() {
            fate[i] = match rank.cmp(&written) {
                std::cmp::Ordering::Less => Fate::Whole,
                std::cmp::Ordering::Equal if torn => Fate::Torn,
                _ => Fate::Lost,
            };
        }
        let mut fates = Fates::default();
        for ((ino, op), fate) in ops.into_iter().zip(fate) {
            let op = match (fate, op) {
                (Fate::Lost, _) => None,
                (Fate::Whole, op) => Some(op),
                (Fate::Torn, DataOp::Write { offset, bytes }) => {
                    tear(offset, bytes, aim.rng).map(|bytes| DataOp::Write { offset, bytes })
                }
                (Fate::Torn, DataOp::SetLen(_)) => None,
            };
            match (&op, fate) {
                (None, _) => fates.lost += 1,
                (Some(_), Fate::Torn) => fates.torn += 1,
                (Some(_), _) => fates.kept += 1,
            }
            if let Some(op) = op {
                self.land(ino, op, Some(&mut *aim));
            }
        }
        fates
    }

    /// One data operation reaches the durable copy, perhaps at the wrong place.
    fn land(&mut self, ino: Ino, op: DataOp, aim: Option<&mut Aim<'_>>) {
        let aim = aim.filter(|aim| !aim.misdirect.is_never() && !self.corrupted_since_boot);
        let file = self.durable.entry(ino).or_default();
        match op {
            DataOp::Write { offset, bytes } => {
                let mut offset = offset;
                let aim = aim.and_then(|aim| aim.misdirect.chance(aim.rng).then_some(aim));
                if let Some(aim) = aim {
                    let shift = range_inclusive(aim.rng, 1, 4) * SECTOR_BYTES;
                    let back = Ratio::new(1, 2).chance(aim.rng) && offset >= shift;
                    offset = if back { offset - shift } else { offset + shift };
                    let signed = if back { -(shift as i64) } else { shift as i64 };
                    self.misdirected.push((ino, signed));
                    self.corrupted_since_boot = true;
                    self.ever_corrupted = true;
                }
                write_at(file, offset, &bytes);
            }
            DataOp::SetLen(len) => file.resize(len as usize, 0),
        }
    }

    /// Drops inodes no name reaches and nothing pending names.
    fn collect_garbage(&mut self) {
        let mut live: BTreeSet<Ino> = self.durable_dir.values().copied().collect();
        live.extend(self.view_ino.values().copied());
        for (_, op) in &self.pending_dir {
            match op {
                DirOp::Create { ino, .. } | DirOp::Rename { ino, .. } => {
                    live.insert(*ino);
                }
                DirOp::Unlink { .. } => {}
            }
        }
        self.durable.retain(|ino, _| live.contains(ino));
        self.pending_data.retain(|ino, _| live.contains(ino));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    Whole,
    Torn,
    Lost,
}

/// A seed-chosen whole number of the write's sectors (counted on the file's own sector
/// grid), at least one and not all; `None` if it spans no sector boundary (then it is
/// atomic, and lost).
fn tear(offset: u64, mut bytes: Vec<u8>, rng: &mut Rng) -> Option<Vec<u8>> {
    let end = offset + bytes.len() as u64;
    let first = offset / SECTOR_BYTES + 1;
    let last = (end - 1) / SECTOR_BYTES;
    if bytes.is_empty() || first > last {
        return None;
    }
    let boundary = range_inclusive(rng, first, last) * SECTOR_BYTES;
    bytes.truncate((boundary - offset) as usize);
    Some(bytes)
}

fn apply_dir(dir: &mut BTreeMap<FileName, Ino>, op: DirOp) {
    match op {
        DirOp::Create { name, ino } => {
            dir.insert(name, ino);
        }
        DirOp::Rename { from, to, ino } => {
            dir.remove(&from);
            dir.insert(to, ino);
        }
        DirOp::Unlink { name } => {
            dir.remove(&name);
        }
    }
}

fn hash_op(hasher: &mut Hasher64, op: &FileOp) {
    match op {
        FileOp::Write {
            file,
            offset,
            bytes,
        } => {
            hasher.write_u64(1);
            hasher.write_str(file);
            hasher.write_u64(*offset);
            hasher.write_bytes_wide(bytes);
        }
        FileOp::Append { file, bytes } => {
            hasher.write_u64(2);
            hasher.write_str(file);
            hasher.write_bytes_wide(bytes);
        }
        FileOp::Truncate { file, len } => {
            hasher.write_u64(3);
            hasher.write_str(file);
            hasher.write_u64(*len);
        }
        FileOp::Rename { from, to } => {
            hasher.write_u64(4);
            hasher.write_str(from);
            hasher.write_str(to);
        }
        FileOp::Delete { file } => {
            hasher.write_u64(5);
            hasher.write_str(file);
        }
    }
}

#[cfg(test)]
#[path = "disk_tests.rs"]
mod tests;
