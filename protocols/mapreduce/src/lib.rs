//! MapReduce (the course's Lab 1) as two Sans-IO cores.
//!
//! The [`Coordinator`] hands out one map task per input file, then `n_reduce` reduce tasks once
//! every map is done, reassigns a task whose worker stays silent past the timeout, and tells
//! workers to exit when the job is done. A [`Worker`] asks for tasks and runs them. Neither
//! touches a file: the worker asks its driver for file operations ([`FsOp`], emitted as
//! [`WorkerEvent::Fs`]) and gets the answers back as requests ([`FsReply`]). Outputs are
//! written to a temp file and renamed into place, so a crashed worker never exposes a partial
//! file. [`MrNode`] hosts either role when one node type must serve a whole run.

pub mod apps;
mod compute;
mod config;
mod coordinator;
mod fs;
mod msg;
mod node;
mod sequential;
mod task;
mod worker;

pub use apps::{App, AppKind, CallContext, KeyValue};
pub use compute::{decode_intermediate, encode_intermediate};
pub use config::{MrConfig, Mutant};
pub use coordinator::{CoordEvent, CoordTimer, Coordinator, Phase};
pub use fs::{FsData, FsError, FsOp, FsReply, OpId};
pub use msg::{MrMsg, Reply};
pub use node::{MrEvent, MrNode, MrNodeConfig, MrRequest, MrTimer};
pub use sequential::sequential;
pub use task::{ihash, intermediate_name, output_name, Task, TaskId, TaskKind};
pub use worker::{ExitReason, Worker, WorkerEvent, WorkerTimer};
