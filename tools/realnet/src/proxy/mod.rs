//! A frame-aware TCP proxy in front of one node, for fault injection on loopback.
//!
//! Peers dial the proxy instead of the node. The first frame on a connection names its
//! sender; from then on every frame in either direction, `sender -> node` or `node -> sender`,
//! meets the shared [`Rules`]: lost whole (a partition, one-way or not, or random loss) or
//! delivered after a delay, in order. Working in frames rather than bytes keeps the stream's
//! framing intact, so a lost message is lost like a datagram, not a torn stream. Each
//! direction has a bounded queue; a full one drops, as a congested router would, so a paused
//! node never makes the proxy hold unbounded memory.

mod rules;

pub use rules::{Fate, Rules, SharedRules};

use crate::clock;
use crate::wire::{frame_sender, read_payload};
use protocol_core::rng::{derive_seed, rng_from_seed};
use protocol_core::NodeId;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, TrySendError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const QUEUE_FRAMES: usize = 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// A connection that names no sender in this long is closed.
const FIRST_FRAME_TIMEOUT: Duration = Duration::from_secs(10);

/// Counts of what the proxy did, for the nemesis's report.
#[derive(Debug, Default)]
pub struct ProxyStats {
    pub connections: AtomicU64,
    pub forwarded: AtomicU64,
    pub dropped_by_rule: AtomicU64,
    pub dropped_queue_full: AtomicU64,
}

impl ProxyStats {
    fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Proxies connections accepted on `listener` to `node` at `target` until the process ends.
/// `seed` seeds the random loss draws, one stream per connection and direction.
pub fn start(
    listener: TcpListener,
    node: NodeId,
    target: SocketAddr,
    rules: SharedRules,
    seed: u64,
) -> Arc<ProxyStats> {
    let stats = Arc::new(ProxyStats::default());
    let shared = stats.clone();
    thread::spawn(move || {
        for (index, stream) in listener.incoming().enumerate() {
            let Ok(downstream) = stream else { continue };
            ProxyStats::count(&shared.connections);
            let link = Link {
                node,
                target,
                rules: rules.clone(),
                stats: shared.clone(),
                seed: derive_seed(seed, "proxy-connection", index as u64),
            };
            thread::spawn(move || link.serve(downstream));
        }
    });
    stats
}

struct Link {
    node: NodeId,
    target: SocketAddr,
    rules: SharedRules,
    stats: Arc<ProxyStats>,
    seed: u64,
}

impl Link {
    fn serve(self, downstream: TcpStream) {
        let Some((sender, first)) = first_frame(&downstream) else {
            let _ = downstream.shutdown(Shutdown::Both);
            return;
        };
        let upstream = match TcpStream::connect_timeout(&self.target, CONNECT_TIMEOUT) {
            Ok(upstream) => upstream,
            Err(_) => {
                // The node is down: close, and the sender's dial backoff takes over.
                let _ = downstream.shutdown(Shutdown::Both);
                return;
            }
        };
        let _ = upstream.set_nodelay(true);
        let _ = downstream.set_nodelay(true);
        let (Ok(down2), Ok(up2)) = (downstream.try_clone(), upstream.try_clone()) else {
            return;
        };
        let link = Arc::new(self);
        let back = link.clone();
        let node = link.node;
        thread::spawn(move || back.pump(up2, down2, node, sender, None));
        link.pump(downstream, upstream, sender, node, Some(first));
    }

    /// Moves frames `from -> to` until either side ends, then closes both sockets so the
    /// other direction ends too.
    fn pump(
        &self,
        mut reader: TcpStream,
        writer: TcpStream,
        from: NodeId,
        to: NodeId,
        first: Option<Vec<u8>>,
    ) {
        let (queue, frames) = sync_channel::<(Instant, Vec<u8>)>(QUEUE_FRAMES);
        let (Ok(writer_end), Ok(reader_end)) = (writer.try_clone(), reader.try_clone()) else {
            return;
        };
        thread::spawn(move || deliver(writer_end, reader_end, frames));
        let mut rng = rng_from_seed(derive_seed(self.seed, "direction", u64::from(from.0)));
        let mut next = first;
        loop {
            let payload = match next.take() {
                Some(payload) => payload,
                None => match read_payload(&mut reader) {
                    Ok(Some(payload)) => payload,
                    Ok(None) | Err(_) => break,
                },
            };
            match self.rules.fate(from, to, &mut rng) {
                Fate::Drop => ProxyStats::count(&self.stats.dropped_by_rule),
                Fate::Deliver { delay } => match queue.try_send((clock::now() + delay, payload)) {
                    Ok(()) => ProxyStats::count(&self.stats.forwarded),
                    Err(TrySendError::Full(_)) => ProxyStats::count(&self.stats.dropped_queue_full),
                    Err(TrySendError::Disconnected(_)) => break,
                },
            }
        }
        let _ = reader.shutdown(Shutdown::Both);
        let _ = writer.shutdown(Shutdown::Both);
    }
}

/// The first payload and the sender it names; `None` for garbage or silence.
fn first_frame(downstream: &TcpStream) -> Option<(NodeId, Vec<u8>)> {
    downstream
        .set_read_timeout(Some(FIRST_FRAME_TIMEOUT))
        .ok()?;
    let mut reader = downstream;
    let payload = read_payload(&mut reader).ok()??;
    let sender = frame_sender(&payload).ok()?;
    downstream.set_read_timeout(None).ok()?;
    Some((sender, payload))
}

/// Writes each frame at its due time, in order; on a write error closes both sockets.
fn deliver(mut writer: TcpStream, reader: TcpStream, frames: Receiver<(Instant, Vec<u8>)>) {
    while let Ok((due, payload)) = frames.recv() {
        let now = clock::now();
        if due > now {
            thread::sleep(due - now);
        }
        if write_payload(&mut writer, &payload).is_err() {
            break;
        }
    }
    let _ = writer.shutdown(Shutdown::Both);
    let _ = reader.shutdown(Shutdown::Both);
}

fn write_payload(writer: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let mut frame = Vec::with_capacity(4 + payload.len());
    frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    frame.extend_from_slice(payload);
    writer.write_all(&frame)
}
