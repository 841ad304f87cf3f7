//! The run loop: one node, its timers, its links and its host.
//!
//! The loop thread does only quick things: it feeds the node one input at a time and carries
//! out the outputs in order. Sends go into per-destination queues that writer threads drain
//! (`links.rs`), so a slow or dead peer never stalls it; the one thing it waits for is
//! storage, because a `Persist` must be durable before any later `Send` leaves.

use crate::clock;
use crate::inbound::{accept_loop, Admission, NetEvent, Senders};
use crate::links::Links;
use crate::storage::{AtomicFile, InMemory, Storage};
use crate::wire::encode_frame;
use protocol_core::{BootError, Input, Message, Node, NodeId, Outbox, Output, Time};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// The longest the loop sleeps without a timer due, so `Host::on_tick` runs at least this often.
const IDLE_WAIT: Duration = Duration::from_millis(100);

/// Where this node listens, where its peers are, whom it admits, and where its disk lives.
#[derive(Clone, Debug)]
pub struct RealConfig {
    pub me: NodeId,
    /// Listen here (a node that only dials out, like a MapReduce worker or a clerk, has none).
    pub listen: Option<SocketAddr>,
    /// Peers we dial. A sender we have no address for is answered on its own connection.
    pub peers: BTreeMap<NodeId, SocketAddr>,
    /// Whose frames are admitted besides the peers'; others are logged and cut off.
    pub senders: Senders,
    /// Where `Persist` writes go (see [`AtomicFile`]); `None` keeps the disk in memory only.
    pub disk_dir: Option<PathBuf>,
    pub seed: u64,
}

/// The application side of a run: it gets every `Emit`, may answer with requests, may stop.
pub trait Host<N: Node> {
    /// Once, right after boot: a client queues its first request here.
    fn on_boot(&mut self, _now: Time, _control: &mut Control<N>) {}

    fn on_event(&mut self, now: Time, event: N::Event, control: &mut Control<N>);

    /// On every turn of the loop, at least every 100 ms: for hosts that stop on an outside
    /// signal or a deadline rather than on an event.
    fn on_tick(&mut self, _now: Time, _control: &mut Control<N>) {}

    /// After every step, a look at the node (read only): to log a role change, say.
    fn after_step(&mut self, _now: Time, _node: &N) {}
}

/// What a host can ask of the driver.
pub struct Control<N: Node> {
    requests: VecDeque<N::Request>,
    stop_at: Option<Time>,
}

impl<N: Node> Control<N> {
    /// Queues `Input::Request(request)`; it is fed before the next network input.
    pub fn request(&mut self, request: N::Request) {
        self.requests.push_back(request);
    }

    /// Stops the run once `now + ms` has passed (0: after the current step).
    pub fn stop_after_ms(&mut self, now: Time, ms: u64) {
        let at = now.plus_ms(ms);
        self.stop_at = Some(self.stop_at.map_or(at, |earlier| earlier.min(at)));
    }
}

#[derive(Debug)]
pub enum RealError {
    Listen {
        addr: SocketAddr,
        error: io::Error,
    },
    Disk {
        error: io::Error,
    },
    Boot(BootError),
    /// The node gave up its volatile state (`Output::Halt`): run it again to boot from disk.
    Halted(&'static str),
}

impl fmt::Display for RealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RealError::Listen { addr, error } => write!(f, "cannot listen on {addr}: {error}"),
            RealError::Disk { error } => write!(f, "disk: {error}"),
            RealError::Boot(error) => write!(f, "boot: {error}"),
            RealError::Halted(reason) => write!(f, "the node halted: {reason}"),
        }
    }
}

impl std::error::Error for RealError {}

/// Runs node `real.me` until its host stops it, on the storage `real.disk_dir` names.
pub fn run<N, H>(config: &N::Config, real: RealConfig, host: &mut H) -> Result<(), RealError>
where
    N: Node,
    N::Msg: Send + 'static,
    H: Host<N>,
{
    let storage: Box<dyn Storage> = match &real.disk_dir {
        Some(dir) => Box::new(AtomicFile::new(dir)),
        None => Box::new(InMemory::default()),
    };
    run_with_storage(config, real, storage, host)
}

/// Like [`run`], on a storage of the caller's choosing (`real.disk_dir` is ignored). Returns
/// an error only for setup failures (listen, disk, boot) and for a persist that fails; a
/// peer's bad bytes are logged and dropped.
pub fn run_with_storage<N, H>(
    config: &N::Config,
    real: RealConfig,
    mut storage: Box<dyn Storage>,
    host: &mut H,
) -> Result<(), RealError>
where
    N: Node,
    N::Msg: Send + 'static,
    H: Host<N>,
{
    let (tx, rx) = channel();
    let ids = Arc::new(AtomicU64::new(0));
    let admission = Admission {
        me: real.me,
        peers: real.peers.keys().copied().collect(),
        senders: real.senders.clone(),
    };
    if let Some(addr) = real.listen {
        let listener =
            TcpListener::bind(addr).map_err(|error| RealError::Listen { addr, error })?;
        let (admission, ids, tx) = (admission.clone(), ids.clone(), tx.clone());
        thread::spawn(move || accept_loop(admission, listener, ids, tx));
    }
    let disk = storage.load().map_err(|error| RealError::Disk { error })?;
    let mut out = Outbox::new();
    let start = clock::now();
    let node = N::boot(config, real.me, &disk, real.seed, Time::ZERO, &mut out)
        .map_err(RealError::Boot)?;
    let mut rt = Runtime {
        me: real.me,
        node,
        storage,
        timers: BTreeMap::new(),
        links: Links::new(admission, real.peers, ids, tx),
        control: Control {
            requests: VecDeque::new(),
            stop_at: None,
        },
        start,
    };
    rt.execute(&mut out, host)?;
    host.on_boot(rt.now(), &mut rt.control);
    loop {
        rt.feed_requests(&mut out, host)?;
        let now = rt.now();
        if rt.control.stop_at.is_some_and(|at| at <= now) {
            return Ok(());
        }
        let wake = rt.timers.values().copied().chain(rt.control.stop_at).min();
        let wait = wake.map_or(IDLE_WAIT, |at| {
            Duration::from_micros(at.micros_since(now)).min(IDLE_WAIT)
        });
        match rx.recv_timeout(wait) {
            Ok(event) => rt.on_net_event(event, &mut out, host)?,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => unreachable!("the links hold a sender"),
        }
        rt.fire_due_timers(&mut out, host)?;
        host.on_tick(rt.now(), &mut rt.control);
    }
}

struct Runtime<N: Node> {
    me: NodeId,
    node: N,
    storage: Box<dyn Storage>,
    timers: BTreeMap<N::Timer, Time>,
    links: Links<N::Msg>,
    control: Control<N>,
    start: Instant,
}

impl<N: Node> Runtime<N>
where
    N::Msg: Send + 'static,
{
    fn now(&self) -> Time {
        Time((clock::now() - self.start).as_micros() as u64)
    }

    fn step(
        &mut self,
        input: Input<N>,
        out: &mut Outbox<N>,
        host: &mut impl Host<N>,
    ) -> Result<(), RealError> {
        let now = self.now();
        self.node.handle(now, input, out);
        self.node.check_invariants();
        self.execute(out, host)?;
        host.after_step(now, &self.node);
        Ok(())
    }

    fn feed_requests(
        &mut self,
        out: &mut Outbox<N>,
        host: &mut impl Host<N>,
    ) -> Result<(), RealError> {
        while let Some(request) = self.control.requests.pop_front() {
            self.step(Input::Request(request), out, host)?;
        }
        Ok(())
    }

    fn on_net_event(
        &mut self,
        event: NetEvent<N::Msg>,
        out: &mut Outbox<N>,
        host: &mut impl Host<N>,
    ) -> Result<(), RealError> {
        match event {
            NetEvent::Frame {
                from,
                msg,
                conn,
                reply_to,
            } => {
                if let Some(stream) = reply_to {
                    self.links.on_inbound(from, conn, stream);
                }
                self.step(Input::Message { from, msg }, out, host)
            }
            NetEvent::Closed { conn } => {
                self.links.on_closed(conn);
                Ok(())
            }
        }
    }

    fn fire_due_timers(
        &mut self,
        out: &mut Outbox<N>,
        host: &mut impl Host<N>,
    ) -> Result<(), RealError> {
        loop {
            let now = self.now();
            let due = self
                .timers
                .iter()
                .filter(|(_, at)| **at <= now)
                .min_by_key(|(timer, at)| (**at, **timer));
            let Some((&timer, _)) = due else {
                return Ok(());
            };
            self.timers.remove(&timer);
            self.step(Input::Timer(timer), out, host)?;
        }
    }

    /// Carries out the outbox in order: a persist is durable before a later send is queued.
    /// File operations change the disk in memory; a sync makes it durable (the storage saves
    /// it whole) and is answered at once, after the rest of the outbox.
    fn execute(&mut self, out: &mut Outbox<N>, host: &mut impl Host<N>) -> Result<(), RealError> {
        let outputs: Vec<Output<N>> = out.drain().collect();
        let mut synced = Vec::new();
        for output in outputs {
            match output {
                Output::Send { to, msg } => {
                    let frame = encode_frame(self.me, &msg);
                    self.links.send(to, msg.kind(), frame);
                }
                Output::SetTimer { timer, at } => {
                    self.timers.insert(timer, at);
                }
                Output::CancelTimer(timer) => {
                    self.timers.remove(&timer);
                }
                Output::Persist(write) => self
                    .storage
                    .persist(write)
                    .map_err(|error| RealError::Disk { error })?,
                Output::File(op) => self.storage.apply(&op),
                Output::Sync { token, .. } => {
                    self.storage
                        .sync()
                        .map_err(|error| RealError::Disk { error })?;
                    synced.push(token);
                }
                Output::Halt(reason) => return Err(RealError::Halted(reason)),
                Output::Emit(event) => {
                    let now = self.now();
                    host.on_event(now, event, &mut self.control);
                }
            }
        }
        for token in synced {
            self.step(
                Input::Synced {
                    token,
                    result: Ok(()),
                },
                out,
                host,
            )?;
        }
        Ok(())
    }
}
