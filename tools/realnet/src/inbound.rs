//! Reading: the accept loop, one reader thread per connection, and which senders are admitted.
//!
//! Bad input never reaches the node and never stops the process: a frame that does not decode
//! is dropped and logged; a connection whose framing breaks (an oversized length), whose sender
//! is not admitted, or that changes its sender midway is logged and closed.

use crate::wire::{decode_frame, read_payload};
use protocol_core::{Message, NodeId};
use std::collections::BTreeSet;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::thread;

/// Whose frames reach the node besides its peers'. Frames claiming to come from the node
/// itself are never admitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Senders {
    /// Anyone who dials in (a MapReduce coordinator meets its workers that way).
    Anyone,
    /// The peers only.
    Peers,
    /// The peers, and nodes with ids from this one up (a KV server's clerks).
    PeersAndFrom(NodeId),
}

/// The admission rule one reader applies.
#[derive(Clone, Debug)]
pub(crate) struct Admission {
    pub me: NodeId,
    pub peers: BTreeSet<NodeId>,
    pub senders: Senders,
}

impl Admission {
    pub fn admits(&self, from: NodeId) -> bool {
        if from == self.me {
            return false;
        }
        match self.senders {
            Senders::Anyone => true,
            Senders::Peers => self.peers.contains(&from),
            Senders::PeersAndFrom(first) => self.peers.contains(&from) || from >= first,
        }
    }
}

/// What the socket threads tell the run loop.
pub(crate) enum NetEvent<M> {
    /// A decoded frame from an admitted sender. `reply_to` is a handle on an inbound
    /// connection, sent with its first frame, so that we can answer a sender we have no
    /// address for (a clerk, a MapReduce worker).
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

/// Connection ids, shared by inbound and dialled connections so they never collide.
pub(crate) type ConnIds = Arc<AtomicU64>;

pub(crate) fn next_conn(ids: &ConnIds) -> u64 {
    ids.fetch_add(1, Ordering::Relaxed)
}

pub(crate) fn accept_loop<M: Message + Send + 'static>(
    admission: Admission,
    listener: TcpListener,
    ids: ConnIds,
    tx: Sender<NetEvent<M>>,
) {
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                let (admission, tx, conn) = (admission.clone(), tx.clone(), next_conn(&ids));
                thread::spawn(move || read_loop(admission, stream, conn, true, tx));
            }
            Err(error) => eprintln!("realnet {}: accept failed: {error}", admission.me),
        }
    }
}

/// Reads frames until the stream ends or turns bad, then shuts the socket down both ways, so
/// that a writer holding a clone of it notices at its next write.
pub(crate) fn read_loop<M: Message>(
    admission: Admission,
    stream: TcpStream,
    conn: u64,
    inbound: bool,
    tx: Sender<NetEvent<M>>,
) {
    let me = admission.me;
    let reply_to = if inbound {
        stream.try_clone().ok()
    } else {
        None
    };
    if let Err(reason) = read_frames(&admission, &stream, conn, reply_to, &tx) {
        eprintln!("realnet {me}: closing connection {conn}: {reason}");
    }
    let _ = stream.shutdown(Shutdown::Both);
    let _ = tx.send(NetEvent::Closed { conn });
}

/// `Ok` at a clean end of stream or when the run is over; `Err` says why the connection is bad.
fn read_frames<M: Message>(
    admission: &Admission,
    mut stream: &TcpStream,
    conn: u64,
    mut reply_to: Option<TcpStream>,
    tx: &Sender<NetEvent<M>>,
) -> Result<(), String> {
    let me = admission.me;
    let mut sender: Option<NodeId> = None;
    loop {
        let payload = match read_payload(&mut stream) {
            Ok(Some(payload)) => payload,
            Ok(None) => return Ok(()),
            Err(error) => return Err(error.to_string()),
        };
        let (from, msg) = match decode_frame::<M>(&payload) {
            Ok(frame) => frame,
            Err(error) => {
                let bytes = payload.len();
                eprintln!("realnet {me}: dropped a bad frame ({bytes} bytes): {error}");
                continue;
            }
        };
        match sender {
            None if !admission.admits(from) => return Err(format!("frame from unknown {from}")),
            None => sender = Some(from),
            Some(first) if first != from => {
                return Err(format!("{first} now claims to be {from}"));
            }
            Some(_) => {}
        }
        let reply_to = reply_to.take();
        let event = NetEvent::Frame {
            from,
            msg,
            conn,
            reply_to,
        };
        if tx.send(event).is_err() {
            return Ok(()); // the run is over
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admission_follows_the_policy_and_never_admits_the_node_itself() {
        let admission = |senders| Admission {
            me: NodeId(1),
            peers: BTreeSet::from([NodeId(0), NodeId(1), NodeId(2)]),
            senders,
        };
        let peers = admission(Senders::Peers);
        assert!(peers.admits(NodeId(0)));
        assert!(!peers.admits(NodeId(1)), "itself");
        assert!(!peers.admits(NodeId(7)));
        let clerks = admission(Senders::PeersAndFrom(NodeId(100)));
        assert!(clerks.admits(NodeId(2)));
        assert!(!clerks.admits(NodeId(50)));
        assert!(clerks.admits(NodeId(100)));
        let anyone = admission(Senders::Anyone);
        assert!(anyone.admits(NodeId(50)));
        assert!(!anyone.admits(NodeId(1)));
    }
}
