//! The file system the coordinator and workers share, simulated.
//!
//! Workers ask for file operations as events; the harness carries them out here and answers.
//! What a crash does: every file a worker wrote with `WriteTemp` and had not yet renamed
//! into place belongs to that worker's incarnation and is deleted with it. A rename is
//! atomic. A write happens in two halves (a truncated file at once, the whole contents when
//! the operation completes), so a reader between the two sees a partial file, as a real one
//! might: only writing to a temp name and renaming hides it.

use mapreduce::{FsData, FsError, FsOp};
use protocol_core::NodeId;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct SharedFs {
    files: BTreeMap<String, Vec<u8>>,
    /// Files written by a worker and not (yet) renamed: lost if it crashes.
    unrenamed: BTreeMap<String, NodeId>,
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
            FsOp::Rename { from, to } => {
                let Some(bytes) = self.files.remove(&from) else {
                    return Err(FsError::NotFound { name: from });
                };
                self.unrenamed.remove(&from);
                self.unrenamed.remove(&to);
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

    /// A worker crashed: what it wrote and never renamed goes with it.
    pub fn on_crash(&mut self, worker: NodeId) {
        let lost: Vec<String> = self
            .unrenamed
            .iter()
            .filter(|(_, owner)| **owner == worker)
            .map(|(name, _)| name.clone())
            .collect();
        for name in lost {
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
        self.version += 1;
    }
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
        fs.on_crash(w1);
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
