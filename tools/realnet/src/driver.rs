//! The run loop: one node, its timers, its connections and its host.

use crate::disk::{load_disk, save_disk};
use crate::wire::{decode_frame, encode_frame, read_payload, write_frame};
use protocol_core::{BootError, Disk, Input, Message, Node, NodeId, Outbox, Output, Time};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Where this node listens, where its peers are, and where its disk lives.
#[derive(Clone, Debug)]
pub struct RealConfig {
    pub me: NodeId,
    /// Listen here for peers (a node that only dials out, like a MapReduce worker, has none).
    pub listen: Option<SocketAddr>,
    /// Peers we may dial. A peer that dialled us is answered on its own connection.
    pub peers: BTreeMap<NodeId, SocketAddr>,
    /// Where `Persist` writes go; `None` keeps the disk in memory only.
    pub disk_dir: Option<PathBuf>,
    pub seed: u64,
}

/// The application side of a run: it gets every `Emit`, may answer with requests, may stop.
pub trait Host<N: Node> {
    fn on_event(&mut self, now: Time, event: N::Event, control: &mut Control<N>);
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

/// What the socket threads tell the run loop.
enum NetEvent<M> {
    /// A decoded frame. `reply_to` is a handle on an inbound connection, sent with its
    /// first frame so that we can answer a peer we have no address for.
    Frame {
        from: NodeId,
        msg: M,
        conn: u64,
        reply_to: Option<TcpStream>,
    },
    Closed {
        conn: u64,
    },
}

struct Runtime<N: Node> {
    real: RealConfig,
    node: N,
    disk: Disk,
    timers: BTreeMap<N::Timer, Time>,
    conns: BTreeMap<NodeId, (u64, TcpStream)>,
    next_conn: u64,
    tx: Sender<NetEvent<N::Msg>>,
    control: Control<N>,
    start: Instant,
}

/// Runs node `real.me` until its host stops it. Returns an error only for setup failures
/// (listen, disk, boot); a peer's bad bytes are logged and dropped.
pub fn run<N, H>(config: &N::Config, real: RealConfig, host: &mut H) -> Result<(), RealError>
where
    N: Node,
    N::Msg: Send + 'static,
    H: Host<N>,
{
    let (tx, rx) = channel();
    if let Some(addr) = real.listen {
        let listener =
            TcpListener::bind(addr).map_err(|error| RealError::Listen { addr, error })?;
        let tx = tx.clone();
        let me = real.me;
        thread::spawn(move || accept_loop(me, listener, tx));
    }
    let disk = match &real.disk_dir {
        Some(dir) => load_disk(dir).map_err(|error| RealError::Disk { error })?,
        None => Disk::new(),
    };
    // The real world's clock: the node sees only the `Time` derived from it.
    #[allow(clippy::disallowed_methods)]
    let start = Instant::now();
    let mut out = Outbox::new();
    let node = N::boot(config, real.me, &disk, real.seed, Time::ZERO, &mut out)
        .map_err(RealError::Boot)?;
    let control = Control {
        requests: VecDeque::new(),
        stop_at: None,
    };
    let mut rt = Runtime {
        real,
        node,
        disk,
        timers: BTreeMap::new(),
        conns: BTreeMap::new(),
        next_conn: 0,
        tx,
        control,
        start,
    };
    rt.execute(&mut out, host)?;
    loop {
        rt.feed_requests(&mut out, host)?;
        let now = rt.now();
        if rt.control.stop_at.is_some_and(|at| at <= now) {
            return Ok(());
        }
        let wake = rt.timers.values().copied().chain(rt.control.stop_at).min();
        let wait = wake.map_or(Duration::from_millis(100), |at| {
            Duration::from_micros(at.micros_since(now))
        });
        match rx.recv_timeout(wait) {
            Ok(event) => rt.on_net_event(event, &mut out, host)?,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => unreachable!("the runtime holds a sender"),
        }
        rt.fire_due_timers(&mut out, host)?;
    }
}

fn accept_loop<M: Message + Send + 'static>(
    me: NodeId,
    listener: TcpListener,
    tx: Sender<NetEvent<M>>,
) {
    // Inbound connections count down from the top so they never collide with dialled ones.
    let mut conn = u64::MAX;
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let tx = tx.clone();
                let id = conn;
                conn -= 1;
                thread::spawn(move || read_loop(me, stream, id, true, tx));
            }
            Err(error) => eprintln!("realnet {me}: accept failed: {error}"),
        }
    }
}

/// Reads frames until the stream ends. Bad frames are logged and dropped, never a panic.
fn read_loop<M: Message>(
    me: NodeId,
    mut stream: TcpStream,
    conn: u64,
    inbound: bool,
    tx: Sender<NetEvent<M>>,
) {
    let mut reply_to = if inbound {
        stream.try_clone().ok()
    } else {
        None
    };
    loop {
        match read_payload(&mut stream) {
            Ok(Some(payload)) => match decode_frame::<M>(&payload) {
                Ok((from, msg)) => {
                    let reply_to = reply_to.take();
                    if tx
                        .send(NetEvent::Frame {
                            from,
                            msg,
                            conn,
                            reply_to,
                        })
                        .is_err()
                    {
                        return; // the run is over
                    }
                }
                Err(error) => eprintln!(
                    "realnet {me}: dropped a bad frame ({} bytes): {error}",
                    payload.len()
                ),
            },
            Ok(None) => break,
            Err(error) => {
                eprintln!("realnet {me}: connection {conn} closed: {error}");
                break;
            }
        }
    }
    let _ = tx.send(NetEvent::Closed { conn });
}

impl<N: Node> Runtime<N>
where
    N::Msg: Send + 'static,
{
    fn now(&self) -> Time {
        Time(self.start.elapsed().as_micros() as u64)
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
        self.execute(out, host)
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
                    self.conns.entry(from).or_insert((conn, stream));
                }
                self.step(Input::Message { from, msg }, out, host)
            }
            NetEvent::Closed { conn } => {
                self.conns.retain(|_, (id, _)| *id != conn);
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

    /// Carries out the outbox in order. File operations change the disk in memory; a sync
    /// saves it whole (atomically, see `save_disk`) and is answered at once.
    fn execute(&mut self, out: &mut Outbox<N>, host: &mut impl Host<N>) -> Result<(), RealError> {
        let outputs: Vec<Output<N>> = out.drain().collect();
        let mut synced = Vec::new();
        for output in outputs {
            match output {
                Output::Send { to, msg } => self.send(to, &msg),
                Output::SetTimer { timer, at } => {
                    self.timers.insert(timer, at);
                }
                Output::CancelTimer(timer) => {
                    self.timers.remove(&timer);
                }
                Output::Persist(write) => {
                    self.disk.apply(write);
                    self.save()?;
                }
                Output::File(op) => self.disk.apply_op(&op),
                Output::Sync { token, .. } => {
                    self.save()?;
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

    fn save(&self) -> Result<(), RealError> {
        match &self.real.disk_dir {
            Some(dir) => save_disk(dir, &self.disk).map_err(|error| RealError::Disk { error }),
            None => Ok(()),
        }
    }

    /// Sends like a lossy network: a failure is logged and the message dropped; the
    /// protocol's own timers retry.
    fn send(&mut self, to: NodeId, msg: &N::Msg) {
        let me = self.real.me;
        if !self.conns.contains_key(&to) && !self.dial(to) {
            return;
        }
        let frame = encode_frame(me, msg);
        let (_, stream) = self
            .conns
            .get_mut(&to)
            .expect("dialled or registered above");
        if let Err(error) = write_frame(stream, &frame) {
            eprintln!("realnet {me}: send {} to {to} failed: {error}", msg.kind());
            self.conns.remove(&to);
        }
    }

    fn dial(&mut self, to: NodeId) -> bool {
        let me = self.real.me;
        let Some(addr) = self.real.peers.get(&to).copied() else {
            eprintln!("realnet {me}: no address for {to}; message dropped");
            return false;
        };
        let stream = match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(stream) => stream,
            Err(error) => {
                eprintln!("realnet {me}: cannot reach {to} at {addr}: {error}");
                return false;
            }
        };
        let _ = stream.set_nodelay(true);
        let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
        let Ok(reader) = stream.try_clone() else {
            return false;
        };
        let conn = self.next_conn;
        self.next_conn += 1;
        let tx = self.tx.clone();
        thread::spawn(move || read_loop(me, reader, conn, false, tx));
        self.conns.insert(to, (conn, stream));
        true
    }
}
