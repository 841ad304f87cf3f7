//! Writing: one bounded queue and one writer thread per destination, so that the run loop
//! never blocks on a slow, paused or dead peer.
//!
//! The run loop only ever `try_send`s a frame into a queue. A full queue drops the frame, as a
//! congested network would; the protocols retry (Raft's heartbeats and resends, the clerk's
//! timeout). A peer with an address gets a writer that dials it, and redials after a failure
//! with exponential backoff, dropping what is queued meanwhile. A sender we have no address for
//! (a clerk) is answered on the connection it dialled in on, through a writer that ends with it.

use crate::clock;
use crate::inbound::{next_conn, read_loop, Admission, ConnIds, NetEvent};
use crate::wire::write_frame;
use protocol_core::{Message, NodeId};
use std::collections::BTreeMap;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::mpsc::{sync_channel, Receiver, Sender, SyncSender, TrySendError};
use std::thread;
use std::time::{Duration, Instant};

/// Frames queued per destination before new ones are dropped: a few heartbeat intervals of
/// a busy leader's traffic.
const QUEUE_FRAMES: usize = 256;
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// A write stalled this long (a paused peer's buffers are full) counts as a lost connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
const BACKOFF_MIN: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(1);
/// A connection that lived this long was healthy: losing it does not grow the backoff.
const HEALTHY: Duration = Duration::from_secs(1);
/// Drops for a full queue are logged at most this often per destination.
const DROP_LOG_EVERY: Duration = Duration::from_secs(1);

struct Link {
    queue: SyncSender<Vec<u8>>,
    /// For an answer-only link, the inbound connection it writes on.
    inbound_conn: Option<u64>,
    dropped: u64,
    logged_at: Option<Instant>,
}

/// Every destination's queue, owned by the run loop.
pub(crate) struct Links<M> {
    admission: Admission,
    addrs: BTreeMap<NodeId, SocketAddr>,
    links: BTreeMap<NodeId, Link>,
    ids: ConnIds,
    tx: Sender<NetEvent<M>>,
}

impl<M: Message + Send + 'static> Links<M> {
    pub fn new(
        admission: Admission,
        addrs: BTreeMap<NodeId, SocketAddr>,
        ids: ConnIds,
        tx: Sender<NetEvent<M>>,
    ) -> Links<M> {
        Links {
            admission,
            addrs,
            links: BTreeMap::new(),
            ids,
            tx,
        }
    }

    /// Queues `frame` for `to` without blocking; drops it if that is impossible.
    pub fn send(&mut self, to: NodeId, kind: &str, frame: Vec<u8>) {
        let me = self.admission.me;
        if !self.links.contains_key(&to) && !self.open_dialled(to) {
            eprintln!("realnet {me}: no route to {to}; {kind} dropped");
            return;
        }
        let link = self.links.get_mut(&to).expect("present or opened above");
        match link.queue.try_send(frame) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                link.dropped += 1;
                let now = clock::now();
                if link.logged_at.is_none_or(|at| now - at >= DROP_LOG_EVERY) {
                    let dropped = link.dropped;
                    eprintln!("realnet {me}: queue to {to} full; {dropped} frames dropped so far");
                    link.logged_at = Some(now);
                }
            }
            // Only an answer-only writer ends: its connection is gone, and so is the route.
            Err(TrySendError::Disconnected(_)) => {
                self.links.remove(&to);
            }
        }
    }

    /// Frames dropped so far because `to`'s queue was full.
    #[cfg(test)]
    pub fn dropped(&self, to: NodeId) -> u64 {
        self.links.get(&to).map_or(0, |link| link.dropped)
    }

    /// Answers `from` on the inbound connection `conn` from now on, unless we dial `from`
    /// ourselves. The newest connection wins: a clerk that reconnected is on the new one.
    pub fn on_inbound(&mut self, from: NodeId, conn: u64, stream: TcpStream) {
        if self.addrs.contains_key(&from) {
            return;
        }
        let (queue, frames) = sync_channel(QUEUE_FRAMES);
        let me = self.admission.me;
        thread::spawn(move || answer_writer(me, from, stream, frames));
        let link = Link {
            queue,
            inbound_conn: Some(conn),
            dropped: 0,
            logged_at: None,
        };
        self.links.insert(from, link);
    }

    /// Forgets the answer-only link that wrote on `conn`, if any.
    pub fn on_closed(&mut self, conn: u64) {
        self.links
            .retain(|_, link| link.inbound_conn.is_none_or(|c| c != conn));
    }

    fn open_dialled(&mut self, to: NodeId) -> bool {
        let Some(addr) = self.addrs.get(&to).copied() else {
            return false;
        };
        let (queue, frames) = sync_channel(QUEUE_FRAMES);
        let dialer = Dialer {
            admission: self.admission.clone(),
            to,
            addr,
            ids: self.ids.clone(),
            tx: self.tx.clone(),
        };
        thread::spawn(move || dialer.run(frames));
        let link = Link {
            queue,
            inbound_conn: None,
            dropped: 0,
            logged_at: None,
        };
        self.links.insert(to, link);
        true
    }
}

/// Writes a peer's queue to a connection it dials, redialling with backoff.
struct Dialer<M> {
    admission: Admission,
    to: NodeId,
    addr: SocketAddr,
    ids: ConnIds,
    tx: Sender<NetEvent<M>>,
}

impl<M: Message + Send + 'static> Dialer<M> {
    fn run(self, frames: Receiver<Vec<u8>>) {
        let (me, to) = (self.admission.me, self.to);
        let mut stream: Option<(TcpStream, Instant)> = None;
        let mut backoff = BACKOFF_MIN;
        let mut next_dial = clock::now();
        let mut failures = 0u64;
        // Ends when the run loop drops the queue, i.e. when the run is over.
        while let Ok(frame) = frames.recv() {
            if stream.is_none() {
                if clock::now() < next_dial {
                    continue; // dropped: the peer is unreachable and the protocol retries
                }
                match self.dial() {
                    Ok(connected) => {
                        if failures > 0 {
                            eprintln!("realnet {me}: reached {to} after {failures} failed dials");
                        }
                        failures = 0;
                        stream = Some((connected, clock::now()));
                    }
                    Err(error) => {
                        if failures == 0 {
                            eprintln!("realnet {me}: cannot reach {to} at {}: {error}; retrying with backoff", self.addr);
                        }
                        failures += 1;
                        next_dial = clock::now() + backoff;
                        backoff = (backoff * 2).min(BACKOFF_MAX);
                        continue;
                    }
                }
            }
            let (connection, since) = stream.as_mut().expect("connected above");
            if write_frame(connection, &frame).is_err() {
                // A short-lived connection (a proxy that accepts and then closes) backs off
                // like a refused dial; a long-lived one is simply redialled.
                backoff = if clock::now() - *since >= HEALTHY {
                    BACKOFF_MIN
                } else {
                    (backoff * 2).min(BACKOFF_MAX)
                };
                next_dial = clock::now() + backoff;
                let _ = connection.shutdown(Shutdown::Both);
                stream = None;
            }
        }
        // The run is over: close the connection, which also ends its reader (a process that
        // runs node after node, like the load's clerks, would otherwise keep them all).
        if let Some((connection, _)) = stream {
            let _ = connection.shutdown(Shutdown::Both);
        }
    }

    /// Connects, and starts a reader on the connection: a peer may answer on it.
    fn dial(&self) -> std::io::Result<TcpStream> {
        let stream = TcpStream::connect_timeout(&self.addr, CONNECT_TIMEOUT)?;
        let _ = stream.set_nodelay(true);
        stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
        let reader = stream.try_clone()?;
        let (admission, tx, conn) = (
            self.admission.clone(),
            self.tx.clone(),
            next_conn(&self.ids),
        );
        thread::spawn(move || read_loop(admission, reader, conn, false, tx));
        Ok(stream)
    }
}

/// Writes answers on an inbound connection until it fails; then the route is gone.
fn answer_writer(me: NodeId, to: NodeId, mut stream: TcpStream, frames: Receiver<Vec<u8>>) {
    if stream.set_write_timeout(Some(WRITE_TIMEOUT)).is_err() {
        return;
    }
    while let Ok(frame) = frames.recv() {
        if let Err(error) = write_frame(&mut stream, &frame) {
            eprintln!("realnet {me}: answering {to} failed: {error}");
            break;
        }
    }
    // Replaced by a newer connection, or the run is over: close this one, which also ends
    // its reader.
    let _ = stream.shutdown(Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound::Senders;
    use serde::{Deserialize, Serialize};
    use std::collections::BTreeSet;
    use std::net::TcpListener;
    use std::sync::atomic::AtomicU64;
    use std::sync::mpsc::channel;
    use std::sync::Arc;

    #[derive(Clone, Debug, Serialize, Deserialize)]
    struct Blob(Vec<u8>);

    impl Message for Blob {
        fn kind(&self) -> &'static str {
            "Blob"
        }
    }

    /// A peer that accepts and never reads: its buffers fill, its writer blocks, and the
    /// caller must still get every `send` back at once, with the overflow dropped.
    #[test]
    fn a_peer_that_never_reads_costs_dropped_frames_not_a_blocked_caller() {
        let hole = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = hole.local_addr().unwrap();
        let admission = Admission {
            me: NodeId(0),
            peers: BTreeSet::from([NodeId(1)]),
            senders: Senders::Peers,
        };
        let (tx, _rx) = channel::<NetEvent<Blob>>();
        let ids = Arc::new(AtomicU64::new(0));
        let mut links = Links::new(admission, BTreeMap::from([(NodeId(1), addr)]), ids, tx);
        let frame = vec![7u8; 64 << 10];
        for _ in 0..1_000 {
            links.send(NodeId(1), "Blob", frame.clone());
        }
        // 64 MB offered; the queue holds 256 frames and the kernel a few MB more.
        assert!(
            links.dropped(NodeId(1)) >= 500,
            "dropped {}",
            links.dropped(NodeId(1))
        );
        let _still_open = hole.accept();
        links.send(NodeId(9), "Blob", frame);
        assert_eq!(links.dropped(NodeId(9)), 0, "no route: nothing queued");
    }

    #[test]
    fn dropping_the_links_closes_their_connections() {
        let peer = TcpListener::bind("127.0.0.1:0").unwrap();
        let admission = Admission {
            me: NodeId(0),
            peers: BTreeSet::from([NodeId(1)]),
            senders: Senders::Peers,
        };
        let (tx, _rx) = channel::<NetEvent<Blob>>();
        let ids = Arc::new(AtomicU64::new(0));
        let addrs = BTreeMap::from([(NodeId(1), peer.local_addr().unwrap())]);
        let mut links = Links::new(admission, addrs, ids, tx);
        links.send(NodeId(1), "Blob", vec![1, 0, 0, 0, 9]);
        let (mut conn, _) = peer.accept().unwrap();
        // A bound, not a timing check: a connection left open fails the read below.
        conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut frame = [0u8; 5];
        std::io::Read::read_exact(&mut conn, &mut frame).unwrap();
        assert_eq!(frame, [1, 0, 0, 0, 9]);
        drop(links);
        let mut rest = Vec::new();
        let read = std::io::Read::read_to_end(&mut conn, &mut rest);
        assert!(read.is_ok(), "the connection stayed open: {read:?}");
    }
}
