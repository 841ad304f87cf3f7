//! An ABD server: it holds the register's latest value it has heard of, durably.
//!
//! The value lives in one file as a checksummed record, rewritten in place. A write is
//! durable once its sync completes (and, for the write that creates the file, the
//! directory's sync too); only then does the server acknowledge the stores it covers. Boot takes the record with the highest sequence number among every sector of the
//! file, so a write that a misdirected disk put a few sectors away is still found; a file
//! that holds bytes but no intact record was damaged, and the server does not boot.

use crate::msg::{AbdMsg, Mutant, Tag, Versioned};
use protocol_core::disk::SECTOR_BYTES;
use protocol_core::record::{read_record, record};
use protocol_core::{
    BootError, Disk, Input, Node, NodeId, Outbox, SyncError, SyncTarget, SyncToken, Time,
};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;

/// The file holding the server's value and tag.
pub const REGISTER_FILE: &str = "register";

/// The token of the directory's sync; a file sync's token is the write it covers (from 1).
const DIRECTORY_SYNC: SyncToken = SyncToken(0);

/// What the register file holds: `seq` orders the writes.
#[derive(Serialize, Deserialize)]
struct Held {
    seq: u64,
    held: Versioned,
}

/// What a server tells the layer above: that it acknowledged holding `tag` (the watch checks
/// a server never boots holding less than it acknowledged).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServerEvent {
    Acked(Tag),
}

pub struct Server {
    held: Versioned,
    mutant: Option<Mutant>,
    /// The last write issued, and the last one a completed sync covers.
    written: u64,
    synced: u64,
    /// The file's creation is durable (its directory was synced, or it was there at boot).
    created: bool,
    /// Acknowledgements waiting for a write: (the write, to whom, the round).
    waiting: Vec<(u64, NodeId, u64, Tag)>,
}

impl Server {
    /// What the server holds (durable or not yet).
    pub fn held(&self) -> Versioned {
        self.held
    }
}

impl Node for Server {
    type Msg = AbdMsg;
    type Timer = Infallible;
    type Request = Infallible;
    type Event = ServerEvent;
    type Config = Option<Mutant>;

    fn boot(
        mutant: &Option<Mutant>,
        id: NodeId,
        disk: &Disk,
        _: u64,
        _: Time,
        _: &mut Outbox<Self>,
    ) -> Result<Self, BootError> {
        let corrupt = |reason: String| BootError::CorruptDisk { node: id, reason };
        let file = disk.read(REGISTER_FILE).unwrap_or_default();
        let newest = newest_record(file).map_err(corrupt)?;
        let (written, held) = newest.map_or((0, (Tag::default(), None)), |h| (h.seq, h.held));
        Ok(Server {
            held,
            mutant: *mutant,
            written,
            synced: written,
            created: disk.contains(REGISTER_FILE),
            waiting: Vec::new(),
        })
    }

    fn handle(&mut self, _: Time, input: Input<Self>, out: &mut Outbox<Self>) {
        // A server has no timers and takes no requests: a message or a sync is all it gets.
        match input {
            Input::Message { from, msg } => self.on_message(from, msg, out),
            Input::Synced { token, result } => self.on_synced(token, result, out),
            Input::Timer(never) => match never {},
            Input::Request(never) => match never {},
        }
    }
}

impl Server {
    fn on_message(&mut self, from: NodeId, msg: AbdMsg, out: &mut Outbox<Self>) {
        match msg {
            // A value not yet durable may be read: the reader stores it on a quorum before
            // it returns it.
            AbdMsg::Query { round } => {
                let reply = AbdMsg::QueryReply {
                    round,
                    held: self.held,
                };
                out.send(from, reply);
            }
            AbdMsg::Store { round, held } => {
                let tag = held.0;
                if held.0 > self.held.0 {
                    self.held = held;
                    if self.mutant == Some(Mutant::AckBeforeWrite) {
                        // Says "held" first and writes after, trusting a step to be atomic.
                        ack(out, from, round, tag);
                        self.write(out);
                        self.synced = self.written;
                        self.created = true;
                        return;
                    }
                    self.write(out);
                }
                self.ack_when_durable(from, round, tag, out);
            }
            // Replies go to clients; one reaching a server was misaddressed: drop it.
            AbdMsg::QueryReply { .. } | AbdMsg::StoreAck { .. } => {}
        }
    }

    /// Writes what the server holds over its file, and syncs it.
    fn write(&mut self, out: &mut Outbox<Self>) {
        self.written += 1;
        if self.mutant == Some(Mutant::ForgetOnRestart) {
            // Claims the write is done without writing.
            self.synced = self.written;
            self.created = true;
            return;
        }
        let held = Held {
            seq: self.written,
            held: self.held,
        };
        let bytes = record(&postcard::to_allocvec(&held).expect("a tuple encodes"));
        assert!(
            bytes.len() as u64 <= SECTOR_BYTES,
            "a register fits a sector"
        );
        out.write(REGISTER_FILE, 0, bytes);
        out.sync(
            SyncTarget::File(REGISTER_FILE.into()),
            SyncToken(self.written),
        );
        if !self.created && self.written == 1 {
            // The first write creates the file: a name is durable once its directory is.
            out.sync(SyncTarget::Directory, DIRECTORY_SYNC);
        }
    }

    /// Whether what the server holds now is durable (the initial value always is).
    fn is_durable(&self) -> bool {
        self.written == 0 || (self.synced >= self.written && self.created)
    }

    /// Acknowledges once what the server holds now is durable: a quorum that acked keeps it.
    fn ack_when_durable(&mut self, to: NodeId, round: u64, tag: Tag, out: &mut Outbox<Self>) {
        if self.is_durable() {
            return ack(out, to, round, tag);
        }
        self.waiting.push((self.written, to, round, tag));
    }

    fn on_synced(
        &mut self,
        token: SyncToken,
        result: Result<(), SyncError>,
        out: &mut Outbox<Self>,
    ) {
        if result.is_err() {
            return out.halt("a sync of the register failed: what it holds is unknown");
        }
        if token == DIRECTORY_SYNC {
            self.created = true;
        } else {
            // A sync covers every earlier write of the file, whichever completes first.
            self.synced = self.synced.max(token.0);
        }
        // Until the file's name is durable, no write in it is.
        let synced = if self.created { self.synced } else { 0 };
        let (ready, waiting): (Vec<_>, Vec<_>) = self
            .waiting
            .drain(..)
            .partition(|(write, ..)| *write <= synced);
        self.waiting = waiting;
        for (_, to, round, tag) in ready {
            ack(out, to, round, tag);
        }
    }
}

fn ack(out: &mut Outbox<Server>, to: NodeId, round: u64, tag: Tag) {
    out.emit(ServerEvent::Acked(tag));
    out.send(to, AbdMsg::StoreAck { round });
}

/// The newest intact record among the file's sectors; `Err` if the file holds bytes but none.
fn newest_record(file: &[u8]) -> Result<Option<Held>, String> {
    let sector = SECTOR_BYTES as usize;
    let newest = (0..file.len().div_ceil(sector))
        .filter_map(|i| read_record(&file[i * sector..], i * sector))
        .filter_map(|r| postcard::from_bytes::<Held>(r.payload).ok())
        .max_by_key(|h| h.seq);
    if newest.is_none() && file.iter().any(|&b| b != 0) {
        return Err(format!(
            "{REGISTER_FILE}: {} bytes, no intact record",
            file.len()
        ));
    }
    Ok(newest)
}
