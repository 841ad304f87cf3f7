//! An ABD server: it holds the register's latest value it has heard of, durably.

use crate::msg::{AbdMsg, Mutant, Tag, Versioned};
use protocol_core::{BootError, Disk, DurableWrite, Input, Node, NodeId, Outbox, Time};
use std::convert::Infallible;

/// The file holding the server's value and tag.
pub const REGISTER_FILE: &str = "register";

pub struct Server {
    held: Versioned,
    mutant: Option<Mutant>,
}

impl Server {
    /// What the server holds: the watch checks its tag never goes back.
    pub fn held(&self) -> Versioned {
        self.held
    }
}

impl Node for Server {
    type Msg = AbdMsg;
    type Timer = Infallible;
    type Request = Infallible;
    type Event = Infallible;
    type Config = Option<Mutant>;

    fn boot(
        mutant: &Option<Mutant>,
        id: NodeId,
        disk: &Disk,
        _: u64,
        _: Time,
        _: &mut Outbox<Self>,
    ) -> Result<Self, BootError> {
        let held = match disk.read(REGISTER_FILE) {
            None => (Tag::default(), None),
            Some(bytes) => postcard::from_bytes(bytes).map_err(|e| BootError::CorruptDisk {
                node: id,
                reason: format!("{REGISTER_FILE}: {e}"),
            })?,
        };
        Ok(Server {
            held,
            mutant: *mutant,
        })
    }

    fn handle(&mut self, _: Time, input: Input<Self>, out: &mut Outbox<Self>) {
        // A server has no timers and takes no requests: a message is all it can get.
        let Input::Message { from, msg } = input;
        match msg {
            AbdMsg::Query { round } => {
                let reply = AbdMsg::QueryReply {
                    round,
                    held: self.held,
                };
                out.send(from, reply);
            }
            AbdMsg::Store { round, held } => {
                if held.0 > self.held.0 {
                    self.held = held;
                    // Durable before the ack leaves: a quorum that acked keeps the value.
                    if self.mutant != Some(Mutant::ForgetOnRestart) {
                        let bytes = postcard::to_allocvec(&held).expect("a tuple encodes");
                        out.persist(DurableWrite::file(REGISTER_FILE, bytes));
                    }
                }
                out.send(from, AbdMsg::StoreAck { round });
            }
            // Replies go to clients; one reaching a server was misaddressed: drop it.
            AbdMsg::QueryReply { .. } | AbdMsg::StoreAck { .. } => {}
        }
    }
}
