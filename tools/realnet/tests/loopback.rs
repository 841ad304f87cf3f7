//! Two real nodes over loopback TCP: pings cross, garbage frames are dropped, not fatal.

use protocol_core::{BootError, Disk, Input, Message, Node, NodeId, Outbox, Time};
use realnet::{run, Control, Host, RealConfig, Senders};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const PINGS: u64 = 5;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum PingMsg {
    Ping(u64),
    Pong(u64),
}

impl Message for PingMsg {
    fn kind(&self) -> &'static str {
        match self {
            PingMsg::Ping(_) => "Ping",
            PingMsg::Pong(_) => "Pong",
        }
    }
}

/// Node 0 answers pings; node 1 pings (retrying on a timer) until `PINGS` pongs came back.
struct PingNode {
    id: NodeId,
    next: u64,
}

impl Node for PingNode {
    type Msg = PingMsg;
    type Timer = ();
    type Request = ();
    type Event = u64;
    type Config = ();

    fn boot(
        _: &(),
        id: NodeId,
        _: &Disk,
        _: u64,
        now: Time,
        out: &mut Outbox<Self>,
    ) -> Result<Self, BootError> {
        if id == NodeId(1) {
            out.set_timer((), now);
        }
        Ok(PingNode { id, next: 0 })
    }

    fn handle(&mut self, now: Time, input: Input<Self>, out: &mut Outbox<Self>) {
        match input {
            Input::Message {
                from,
                msg: PingMsg::Ping(n),
            } => {
                out.send(from, PingMsg::Pong(n));
                out.emit(n);
            }
            Input::Message {
                msg: PingMsg::Pong(n),
                ..
            } if n == self.next => {
                self.next += 1;
                out.emit(self.next);
                out.send(NodeId(0), PingMsg::Ping(self.next));
            }
            Input::Message { .. } | Input::Request(()) | Input::Synced { .. } => {}
            Input::Timer(()) => {
                assert_eq!(self.id, NodeId(1));
                out.send(NodeId(0), PingMsg::Ping(self.next));
                out.set_timer((), now.plus_ms(50));
            }
        }
    }
}

/// Stops once the node emitted `PINGS`, reporting what it saw.
struct Counter(mpsc::Sender<u64>);

impl Host<PingNode> for Counter {
    fn on_event(&mut self, now: Time, event: u64, control: &mut Control<PingNode>) {
        let _ = self.0.send(event);
        if event >= PINGS {
            control.stop_after_ms(now, 0);
        }
    }
}

fn free_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

fn config(me: u32, listen: Option<SocketAddr>, peers: BTreeMap<NodeId, SocketAddr>) -> RealConfig {
    RealConfig {
        me: NodeId(me),
        listen,
        peers,
        senders: Senders::Anyone,
        disk_dir: None,
        seed: 1,
    }
}

#[test]
fn pings_cross_loopback_and_garbage_frames_are_dropped() {
    let addr = free_addr();
    let (tx0, rx0) = mpsc::channel();
    let server = thread::spawn(move || {
        run::<PingNode, _>(
            &(),
            config(0, Some(addr), BTreeMap::new()),
            &mut Counter(tx0),
        )
    });
    // Garbage first: a frame that does not decode, on its own connection.
    let mut garbage = loop {
        match TcpStream::connect(addr) {
            Ok(stream) => break stream,
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    };
    garbage.write_all(&[3, 0, 0, 0, 0xff, 0xff, 0xff]).unwrap();
    let (tx1, rx1) = mpsc::channel();
    let peers = BTreeMap::from([(NodeId(0), addr)]);
    let client =
        thread::spawn(move || run::<PingNode, _>(&(), config(1, None, peers), &mut Counter(tx1)));
    client.join().unwrap().unwrap();
    server.join().unwrap().unwrap();
    let pongs: Vec<u64> = rx1.try_iter().collect();
    assert_eq!(pongs, (1..=PINGS).collect::<Vec<_>>());
    assert!(
        rx0.try_iter().any(|n| n == PINGS),
        "the server saw the last ping"
    );
}
