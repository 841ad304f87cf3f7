//! Cores fed what a broken or hostile peer or disk could hand them: they must refuse it
//! (drop the message, report a corrupt disk), never panic.

use protocol_core::{Disk, DurableWrite, Input, Node, NodeId, Outbox, Time};
use raft::{Config, RaftMsg, RaftNode, RaftTimer, META_FILE, RAFT_STATE_FILE, SNAPSHOT_FILE};

/// The files of a Raft server's disk, in the order [`raft_disk`] reads them.
pub const RAFT_FILES: [&str; 3] = [RAFT_STATE_FILE, META_FILE, SNAPSHOT_FILE];

/// A disk from `data`: each of [`RAFT_FILES`] in turn as a little-endian `u32` length and
/// that many bytes (fewer if `data` ends first); a file whose length `data` lacks is absent.
pub fn raft_disk(data: &[u8]) -> Disk {
    let mut write = DurableWrite::new();
    let mut rest = data;
    for name in RAFT_FILES {
        let Some((len, tail)) = rest.split_first_chunk::<4>() else {
            break;
        };
        let len = (u32::from_le_bytes(*len) as usize).min(tail.len());
        write = write.with_file(name, tail[..len].to_vec());
        rest = &tail[len..];
    }
    let mut disk = Disk::new();
    disk.apply(write);
    disk
}

/// The bytes [`raft_disk`] reads back as `disk`.
pub fn raft_disk_bytes(disk: &Disk) -> Vec<u8> {
    let mut bytes = Vec::new();
    for name in RAFT_FILES {
        let Some(file) = disk.read(name) else {
            break;
        };
        bytes.extend_from_slice(&(file.len() as u32).to_le_bytes());
        bytes.extend_from_slice(file);
    }
    bytes
}

/// A Raft server booting from a disk whose log, meta and snapshot files hold arbitrary
/// bytes (see [`raft_disk`]): it boots or reports a corrupt disk.
pub fn raft_boot(data: &[u8]) {
    let disk = raft_disk(data);
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
