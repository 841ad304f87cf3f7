//! File operations a worker asks its driver to carry out on the shared file system.
//!
//! The worker emits one operation at a time and waits for its reply. The driver (a real
//! directory, or the simulator's shared file system) decides what a crash keeps: data written
//! and not yet synced (`Sync`) may be lost with its writer, even under a name it was renamed
//! to; a `WriteTemp` not yet renamed is the worker's own and may be lost; a `Rename` is
//! atomic. So a worker syncs a temp file before renaming it into place.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Tags an operation so its reply can be matched (one op is outstanding at a time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OpId(pub u64);

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub enum FsOp {
    /// The whole contents of `name`.
    Read { name: String },
    /// Creates or truncates `name` and writes `bytes`: a private temp file until renamed.
    WriteTemp { name: String, bytes: Vec<u8> },
    /// Makes `name`'s data durable: a crash of its writer no longer takes it.
    Sync { name: String },
    /// Atomically replaces `to` with `from`.
    Rename { from: String, to: String },
    /// The names of the files whose names start with `prefix`, sorted.
    List { prefix: String },
}

impl fmt::Debug for FsOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FsOp::Read { name } => write!(f, "Read {name}"),
            FsOp::WriteTemp { name, bytes } => {
                write!(f, "WriteTemp {name} ({} bytes)", bytes.len())
            }
            FsOp::Sync { name } => write!(f, "Sync {name}"),
            FsOp::Rename { from, to } => write!(f, "Rename {from} -> {to}"),
            FsOp::List { prefix } => write!(f, "List {prefix}*"),
        }
    }
}

/// The driver's answer to operation `op`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub struct FsReply {
    pub op: OpId,
    pub result: Result<FsData, FsError>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub enum FsData {
    /// The answer to `Read`.
    Bytes(Vec<u8>),
    /// The answer to `List`.
    Names(Vec<String>),
    /// The answer to `WriteTemp`, `Sync` and `Rename`.
    Done,
}

impl fmt::Debug for FsData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FsData::Bytes(bytes) => write!(f, "Bytes({})", bytes.len()),
            FsData::Names(names) => write!(f, "Names({names:?})"),
            FsData::Done => write!(f, "Done"),
        }
    }
}

/// Why an operation failed. An operating error: the worker abandons the task and the
/// coordinator's timeout hands it to someone else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub enum FsError {
    NotFound { name: String },
    Other { reason: String },
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FsError::NotFound { name } => write!(f, "{name}: not found"),
            FsError::Other { reason } => write!(f, "{reason}"),
        }
    }
}
