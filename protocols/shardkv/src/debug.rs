//! `Debug` for the events, kept short: the simulator hashes the text of every emitted event,
//! and values and Raft entries travelled in messages whose checksums the trace already holds.

use crate::node::{ClerkEvent, ServerEvent};
use crate::shard::ShardStatus;
use std::fmt;

/// Values longer than this show their start and their length.
const SHOWN: usize = 48;

struct Value<'a>(&'a str);

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        if text.len() <= SHOWN {
            return write!(f, "{text:?}");
        }
        let mut end = SHOWN;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        write!(f, "{:?}...({} bytes)", &text[..end], text.len())
    }
}

/// One letter per shard: `S`erving, `P`ulling, `C`onfirming, se`N`ding, `-` absent;
/// lower case when the shard's data is held where a capital would not say so.
fn letter(status: ShardStatus, held: bool) -> char {
    match (status, held) {
        (ShardStatus::Absent, false) => '-',
        (ShardStatus::Absent, true) => 'a',
        (ShardStatus::Serving, _) => 'S',
        (ShardStatus::Pulling, _) => 'P',
        (ShardStatus::Confirming, _) => 'C',
        (ShardStatus::Sending, _) => 'N',
    }
}

impl fmt::Debug for ClerkEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClerkEvent::Invoked { client, seq, op } => write!(f, "Invoked {client}#{seq} {op:?}"),
            ClerkEvent::Returned {
                client,
                seq,
                op,
                value,
            } => {
                write!(f, "Returned {client}#{seq} {op:?} -> {:?}", Value(value))
            }
        }
    }
}

impl fmt::Debug for ServerEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerEvent::Raft(event) => shardctrler::fmt_raft_event(event, f),
            ServerEvent::Shards {
                gid,
                num,
                status,
                held,
            } => {
                let letters: String = status
                    .iter()
                    .zip(held)
                    .map(|(&s, &h)| letter(s, h))
                    .collect();
                write!(f, "Shards {gid} {num} [{letters}]")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shardctrler::{ConfigNum, GroupId, NSHARDS};

    #[test]
    fn shard_views_are_one_letter_per_shard() {
        let mut status = [ShardStatus::Absent; NSHARDS];
        status[0] = ShardStatus::Serving;
        status[1] = ShardStatus::Pulling;
        status[2] = ShardStatus::Sending;
        let mut held = [false; NSHARDS];
        held[3] = true;
        let event = ServerEvent::Shards {
            gid: GroupId(100),
            num: ConfigNum(4),
            status,
            held,
        };
        assert_eq!(format!("{event:?}"), "Shards g100 cfg4 [SPNa------]");
        let long = ClerkEvent::Returned {
            client: protocol_core::ClientId(2),
            seq: 3,
            op: kvraft::Op::Get { key: "k".into() },
            value: "x".repeat(100),
        };
        assert!(format!("{long:?}").ends_with("...(100 bytes)"), "{long:?}");
    }
}
