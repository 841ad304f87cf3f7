//! The one door into a protocol core, and the outbox it answers through.

use crate::disk::{Disk, DurableWrite, FileName, FileOp, SyncError, SyncTarget, SyncToken};
use crate::ids::NodeId;
use crate::time::Time;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use std::hash::Hash;

/// A message that crosses the network. It travels as postcard bytes, so it must encode, and
/// it names its kind so drivers can count messages and bytes per kind.
pub trait Message: Serialize + DeserializeOwned + Clone + fmt::Debug {
    /// A short, static name of the message's variant: `"AppendEntries"`.
    fn kind(&self) -> &'static str;
}

/// A Sans-IO protocol core: one node of a distributed system as a pure state machine.
///
/// The driver (simulator or real runtime) calls [`Node::boot`] once per incarnation and
/// [`Node::handle`] for every input, then carries out the outputs in the order emitted.
/// A crash drops the value; a restart is `boot` again with what the disk kept.
pub trait Node: Sized {
    /// What nodes send each other.
    type Msg: Message;
    /// The node's timers, one deadline each: setting one again replaces it. (`Hash`, as for
    /// requests and events, is how a driver digests one into its trace: stable and cheap,
    /// where formatting `Debug` text cost more than running the protocol.)
    type Timer: Copy + Ord + Hash + fmt::Debug;
    /// What the layer above asks of the node (a command to replicate, a task to run).
    type Request: Hash + fmt::Debug;
    /// What the node hands to the layer above (an applied entry, a reply to a client).
    type Event: Hash + fmt::Debug;
    /// Static configuration: peers, timeouts, the mutant switch.
    type Config;

    /// Starts an incarnation of node `id` from what its disk holds (empty on first boot).
    /// `seed` feeds the node's own randomness; it differs per incarnation.
    fn boot(
        config: &Self::Config,
        id: NodeId,
        disk: &Disk,
        seed: u64,
        now: Time,
        out: &mut Outbox<Self>,
    ) -> Result<Self, BootError>;

    /// Handles one input at local time `now`, appending what it wants done to `out`.
    fn handle(&mut self, now: Time, input: Input<Self>, out: &mut Outbox<Self>);

    /// Asserts the node's own invariants; drivers call it after every step.
    fn check_invariants(&self) {}
}

/// Everything a node can learn.
pub enum Input<N: Node> {
    Message {
        from: NodeId,
        msg: N::Msg,
    },
    /// A timer whose deadline has come. A core must ignore one it no longer wants.
    Timer(N::Timer),
    Request(N::Request),
    /// The sync the core asked for with `token` completed. `Ok`: what it covered is durable.
    /// A core that never syncs never gets one.
    Synced {
        token: SyncToken,
        result: Result<(), SyncError>,
    },
}

/// Everything a node can ask for. Outputs are carried out in the order emitted: a
/// `Persist` is durable before any later `Send` leaves. A `File` operation is not: it is
/// durable once a later `Sync` of its file (or the directory) reports `Synced`, and a crash
/// may fall between any two outputs.
pub enum Output<N: Node> {
    Send {
        to: NodeId,
        msg: N::Msg,
    },
    /// Fires `timer` at local time `at`, replacing any earlier deadline for it.
    SetTimer {
        timer: N::Timer,
        at: Time,
    },
    CancelTimer(N::Timer),
    /// An atomic write to the node's own disk, durable before any later `Send` leaves (the
    /// course's Persister).
    Persist(DurableWrite),
    /// A change to one of the node's files: visible at once, durable only after a sync.
    File(FileOp),
    /// Makes the target's earlier operations durable; the driver answers with
    /// `Input::Synced` carrying `token` after the disk's latency.
    Sync {
        target: SyncTarget,
        token: SyncToken,
    },
    /// The node cannot go on from its volatile state (a sync failed, so it no longer knows
    /// what its disk holds). The driver drops it and boots it again from its disk, as a
    /// supervisor restarts a process that exited; the outputs after this one are dropped.
    Halt(&'static str),
    Emit(N::Event),
}

impl<N: Node> fmt::Debug for Input<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Message { from, msg } => write!(f, "Message from {from}: {msg:?}"),
            Input::Timer(timer) => write!(f, "Timer {timer:?}"),
            Input::Request(request) => write!(f, "Request {request:?}"),
            Input::Synced { token, result } => match result {
                Ok(()) => write!(f, "Synced {}", token.0),
                Err(error) => write!(f, "Synced {} failed: {error}", token.0),
            },
        }
    }
}

impl<N: Node> fmt::Debug for Output<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Send { to, msg } => write!(f, "Send to {to}: {msg:?}"),
            Output::SetTimer { timer, at } => write!(f, "SetTimer {timer:?} at {at}"),
            Output::CancelTimer(timer) => write!(f, "CancelTimer {timer:?}"),
            Output::Persist(write) => write!(f, "Persist {write:?}"),
            Output::File(op) => write!(f, "File {op:?}"),
            Output::Sync { target, token } => write!(f, "Sync {target:?} as {}", token.0),
            Output::Halt(reason) => write!(f, "Halt: {reason}"),
            Output::Emit(event) => write!(f, "Emit {event:?}"),
        }
    }
}

/// The ordered list of outputs of one step. Drivers reuse one outbox across steps.
pub struct Outbox<N: Node> {
    outputs: Vec<Output<N>>,
}

impl<N: Node> Default for Outbox<N> {
    fn default() -> Self {
        Outbox {
            outputs: Vec::new(),
        }
    }
}

impl<N: Node> fmt::Debug for Outbox<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.outputs).finish()
    }
}

impl<N: Node> Outbox<N> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn send(&mut self, to: NodeId, msg: N::Msg) {
        self.outputs.push(Output::Send { to, msg });
    }

    pub fn set_timer(&mut self, timer: N::Timer, at: Time) {
        self.outputs.push(Output::SetTimer { timer, at });
    }

    pub fn cancel_timer(&mut self, timer: N::Timer) {
        self.outputs.push(Output::CancelTimer(timer));
    }

    pub fn persist(&mut self, write: DurableWrite) {
        assert!(!write.is_empty(), "a durable write must write something");
        self.outputs.push(Output::Persist(write));
    }

    /// Writes `bytes` into `file` at `offset` (in the page cache: durable after a sync).
    pub fn write(&mut self, file: impl Into<FileName>, offset: u64, bytes: Vec<u8>) {
        let file = file.into();
        self.outputs.push(Output::File(FileOp::Write {
            file,
            offset,
            bytes,
        }));
    }

    pub fn file(&mut self, op: FileOp) {
        self.outputs.push(Output::File(op));
    }

    pub fn sync(&mut self, target: SyncTarget, token: SyncToken) {
        self.outputs.push(Output::Sync { target, token });
    }

    pub fn halt(&mut self, reason: &'static str) {
        self.outputs.push(Output::Halt(reason));
    }

    pub fn emit(&mut self, event: N::Event) {
        self.outputs.push(Output::Emit(event));
    }

    pub fn push(&mut self, output: Output<N>) {
        self.outputs.push(output);
    }

    pub fn is_empty(&self) -> bool {
        self.outputs.is_empty()
    }

    pub fn len(&self) -> usize {
        self.outputs.len()
    }

    pub fn outputs(&self) -> &[Output<N>] {
        &self.outputs
    }

    /// Takes the outputs in emission order, leaving the outbox empty for the next step.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Output<N>> {
        self.outputs.drain(..)
    }
}

/// Why a node could not start. Bad bytes on disk are an operating error, not a panic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BootError {
    CorruptDisk { node: NodeId, reason: String },
    InvalidConfig { node: NodeId, reason: String },
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BootError::CorruptDisk { node, reason } => write!(f, "{node}: corrupt disk: {reason}"),
            BootError::InvalidConfig { node, reason } => {
                write!(f, "{node}: invalid config: {reason}")
            }
        }
    }
}

impl std::error::Error for BootError {}
