//! Cores fed what a broken or hostile peer or disk could hand them: they must refuse it
//! (drop the message, report a corrupt disk), never panic.

use protocol_core::{Disk, DurableWrite, Input, Node, NodeId, Outbox, Time};
use raft::{Config, RaftMsg, RaftNode, RaftTimer, RAFT_STATE_FILE, SNAPSHOT_FILE};

/// A Raft server booting from a disk whose state file (and, past a zero byte, snapshot)
/// hold arbitrary bytes: it boots or reports a corrupt disk.
pub fn raft_boot(data: &[u8]) {
    let (state, snapshot) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], Some(&data[at + 1..])),
        None => (data, None),
    };
    let mut write = DurableWrite::file(RAFT_STATE_FILE, state.to_vec());
    if let Some(snapshot) = snapshot {
        write = write.with_file(SNAPSHOT_FILE, snapshot.to_vec());
    }
    let mut disk = Disk::new();
    disk.apply(write);
    let mut out = Outbox::new();
    if let Ok(node) = RaftNode::boot(
        &Config::with_size(3),
        NodeId(1),
        &disk,
        7,
        Time::ZERO,
        &mut out,
    ) {
        node.check_invariants();
    }
}

/// A Raft server of three fed a sequence of inputs decoded from `data`: each input is a tag
/// byte (a timer, or a message from one of the peers) and, for a message, a postcard frame.
/// Frames that do not decode end the sequence; whatever decodes must be handled or ignored.
pub fn raft_follower(data: &[u8]) {
    let mut out = Outbox::new();
    let config = Config::with_size(3);
    let Ok(mut node) = RaftNode::boot(&config, NodeId(0), &Disk::new(), 1, Time::ZERO, &mut out)
    else {
        unreachable!("a fresh disk boots");
    };
    let mut rest = data;
    let mut now = Time::ZERO;
    while let Some((&tag, tail)) = rest.split_first() {
        now = now.plus_ms(u64::from(tag >> 4));
        let input = match tag % 4 {
            0 => Input::Timer(RaftTimer::Election),
            1 => Input::Timer(RaftTimer::Heartbeat),
            peer => match postcard::take_from_bytes::<RaftMsg>(tail) {
                Ok((msg, after)) => {
                    rest = after;
                    let from = NodeId(u32::from(peer) - 1);
                    node.handle(now, Input::Message { from, msg }, &mut out);
                    node.check_invariants();
                    out.drain().for_each(drop);
                    continue;
                }
                Err(_) => return,
            },
        };
        rest = tail;
        node.handle(now, input, &mut out);
        node.check_invariants();
        out.drain().for_each(drop);
    }
}
