//! The file system the coordinator and workers share, simulated.
//!
//! Workers ask for file operations as events; the harness carries them out here and answers.
//! What a crash does, the node disks' semantics where they apply: data a worker wrote and
//! had not synced is lost with it (with `unsynced-loss`; wholly, or with `torn-writes` down
//! to a whole number of its sectors), under whatever name it was renamed to meanwhile; and
//! every file it wrote with `WriteTemp` and had not yet renamed into place belongs to its
//! incarnation and is deleted with it. A rename is atomic (and durable: the file system's
//! metadata is not the writer's to lose). A write happens in two halves (a truncated file at
//! once, the whole contents when the operation completes), so a reader between the two sees
//! a partial file, as a real one might: only writing to a temp name and renaming hides it.
//! Without `unsynced-loss`, every write is durable at once and a sync does nothing.

use mapreduce::{FsData, FsError, FsOp};
use protocol_core::disk::SECTOR_BYTES;
use protocol_core::rng::{range_inclusive, Ratio, Rng};
use protocol_core::NodeId;
use std::collections::BTreeMap;

/// What a writer's crash does to its unsynced data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrashLoss {
    /// Unsynced data may be lost (`unsynced-loss`).
    pub unsynced: bool,
    /// What survives may be a torn prefix (`torn-writes`).
    pub torn: bool,
}

#[derive(Clone, Debug, Default)]
pub struct SharedFs {
    files: BTreeMap<String, Vec<u8>>,
    /// Files written by a worker and not (yet) renamed: lost if it crashes.
    unrenamed: BTreeMap<String, NodeId>,
    /// Files holding data their writer has not synced, by their current name.
    unsynced: BTreeMap<String, NodeId>,
    loss: CrashLoss,
    /// Bumped on every change, so a check can tell whether anything moved.
    version: u64,
}

impl SharedFs {
    pub fn new(inputs: &[(String, Vec<u8>)]) -> SharedFs {
        let mut fs = SharedFs::default();
        for (name, bytes) in inputs {
            fs.files.insert(name.clone(), bytes.clone());
        }
        fs
    }

    /// Sets what a writer's crash does to its unsynced data.
    pub fn set_crash_loss(&mut self, loss: CrashLoss) {
        self.loss = loss;
    }

    /// The first half of a write, done when the worker asks: the file exists, truncated.
    pub fn begin(&mut self, worker: NodeId, op: &FsOp) {
        if let FsOp::WriteTemp { name, bytes } = op {
            let partial = bytes[..bytes.len() / 2].to_vec();
            self.put(worker, name, partial);
        }
    }

    /// Carries out `op` for `worker` (the rest of a write, or a whole read, list, rename).
    pub fn execute(&mut self, worker: NodeId, op: FsOp) -> Result<FsData, FsError> {
        match op {
            FsOp::Read { name } => match self.files.get(&name) {
                Some(bytes) => Ok(FsData::Bytes(bytes.clone())),
                None => Err(FsError::NotFound { name }),
            },
            FsOp::WriteTemp { name, bytes } => {
                self.put(worker, &name, bytes);
                Ok(FsData::Done)
            }
            FsOp::Sync { name } => {
                if !self.files.contains_key(&name) {
                    return Err(FsError::NotFound { name });
                }
                self.unsynced.remove(&name);
                Ok(FsData::Done)
            }
            FsOp::Rename { from, to } => {
                let Some(bytes) = self.files.remove(&from) else {
                    return Err(FsError::NotFound { name: from });
                };
                self.unrenamed.remove(&from);
                self.unrenamed.remove(&to);
                // The file's unsynced data goes with it; what `to` held is gone.
                self.unsynced.remove(&to);
                if let Some(writer) = self.unsynced.remove(&from) {
                    self.unsynced.insert(to.clone(), writer);
                }
                self.files.insert(to, bytes);
                self.version += 1;
                Ok(FsData::Done)
            }
            FsOp::List { prefix } => Ok(FsData::Names(
                self.files
                    .keys()
                    .filter(|name| name.starts_with(&prefix))
                    .cloned()
                    .collect(),
            )),
        }
    }

    /// A worker crashed: what it wrote and never synced is lost (wholly or torn, the seed
    /// says which), and what it never renamed goes with it.
    pub fn on_crash(&mut self, worker: NodeId, rng: &mut Rng) {
        let unsynced = owned_by(&self.unsynced, worker);
        for name in unsynced {
            self.unsynced.remove(&name);
            if !self.loss.unsynced {
                continue;
            }
            let bytes = self.files.get_mut(&name).expect("an unsynced file exists");
            let sectors = bytes.len() as u64 / SECTOR_BYTES;
            let keep = if self.loss.torn && sectors > 0 && Ratio::new(1, 2).chance(rng) {
                range_inclusive(rng, 0, sectors - 1) * SECTOR_BYTES
            } else {
                0
            };
            bytes.truncate(keep as usize);
            self.version += 1;
        }
        for name in owned_by(&self.unrenamed, worker) {
            self.unrenamed.remove(&name);
            self.files.remove(&name);
            self.version += 1;
        }
    }

    /// Every non-empty line of every `mr-out-*` file, sorted: the course's
    /// `sort mr-out* | grep .`.
    pub fn sorted_output(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .files
            .range("mr-out-".to_string()..)
            .take_while(|(name, _)| name.starts_with("mr-out-"))
            .flat_map(|(_, bytes)| {
                String::from_utf8_lossy(bytes)
                    .lines()
                    .filter(|line| !line.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        lines.sort();
        lines
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    fn put(&mut self, worker: NodeId, name: &str, bytes: Vec<u8>) {
        self.files.insert(name.to_string(), bytes);
        self.unrenamed.insert(name.to_string(), worker);
        self.unsynced.insert(name.to_string(), worker);
        self.version += 1;
    }
}

/// The names `worker` owns in `map`, in order.
fn owned_by(map: &BTreeMap<String, NodeId>, worker: NodeId) -> Vec<String> {
    map.iter()
        .filter(|(_, owner)| **owner == worker)
        .map(|(name, _)| name.clone())
        .collect()
}

/// The sequential reference in the same shape: its non-empty lines, sorted.
pub fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, bytes: &[u8]) -> FsOp {
        FsOp::WriteTemp {
            name: name.into(),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn a_crash_loses_unrenamed_writes_only() {
        let mut fs = SharedFs::new(&[("in".into(), b"x".to_vec())]);
        let (w1, w2) = (NodeId(1), NodeId(2));
        fs.execute(w1, write("tmp-a", b"a 1\n")).unwrap();
        fs.execute(w1, write("tmp-b", b"b 1\n")).unwrap();
        let rename = FsOp::Rename {
            from: "tmp-a".into(),
            to: "mr-out-0".into(),
        };
        assert_eq!(fs.execute(w1, rename), Ok(FsData::Done));
        fs.execute(w2, write("tmp-c", b"c")).unwrap();
        fs.on_crash(w1, &mut protocol_core::rng::rng_from_seed(1));
        assert_eq!(fs.sorted_output(), vec!["a 1".to_string()]);
        let read = |name: &str| FsOp::Read { name: name.into() };
        assert!(fs.execute(w2, read("tmp-b")).is_err());
        assert_eq!(
            fs.execute(w2, read("tmp-c")),
            Ok(FsData::Bytes(b"c".to_vec()))
        );
        assert_eq!(fs.file_count(), 3);
    }

    #[test]
    fn unsynced_data_goes_with_its_writer_even_after_a_rename() {
        let sync = |name: &str| FsOp::Sync { name: name.into() };
        let rename = |from: &str, to: &str| FsOp::Rename {
            from: from.into(),
            to: to.into(),
        };
        for (loss, lost) in [(true, true), (false, false)] {
            let mut fs = SharedFs::default();
            fs.set_crash_loss(CrashLoss {
                unsynced: loss,
                torn: false,
            });
            let w = NodeId(1);
            fs.execute(w, write("t0", b"a 1\n")).unwrap();
            fs.execute(w, sync("t0")).unwrap();
            fs.execute(w, rename("t0", "mr-out-0")).unwrap();
            fs.execute(w, write("t1", b"b 1\n")).unwrap();
            fs.execute(w, rename("t1", "mr-out-1")).unwrap();
            fs.on_crash(w, &mut protocol_core::rng::rng_from_seed(2));
            let expected = if lost {
                vec!["a 1"]
            } else {
                vec!["a 1", "b 1"]
            };
            assert_eq!(fs.sorted_output(), expected, "unsynced loss {loss}");
        }
    }

    #[test]
    fn a_write_in_progress_shows_a_partial_file() {
        let mut fs = SharedFs::default();
        let op = write("mr-out-1", b"k 10\nz 2\n");
        fs.begin(NodeId(1), &op);
        assert_eq!(fs.sorted_output(), vec!["k 10".to_string()]);
        fs.execute(NodeId(1), op).unwrap();
        assert_eq!(fs.sorted_output(), vec!["k 10", "z 2"]);
        assert_eq!(sorted_lines("b\n\na\n"), vec!["a", "b"]);
    }
}
