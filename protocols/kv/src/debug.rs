//! `Debug` for the events servers and clerks emit, kept short.
//!
//! The simulator hashes the `Debug` text of every emitted event into the trace, and the
//! derived form spelled out every applied command and every value a Get read: a value holds
//! every append to its key, so hashing the events cost a sizeable share of a run. The text
//! keeps what a reader of a trace needs; what it leaves out (a long value's tail, an applied
//! command's bytes) travelled in messages whose checksums the trace hash already holds.

use crate::clerk::ClerkEvent;
use raft::RaftEvent;
use std::fmt;

/// What a server's store ran: an entry or a snapshot Raft applied (never `Started`). A
/// newtype for its brief `Debug`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ServerEvent(pub RaftEvent);

/// Values longer than this show their start and their length.
const SHOWN: usize = 48;

/// A value as `"..."`, or `"<start>"...(N bytes)` when long.
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

impl fmt::Debug for ClerkEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClerkEvent::Invoked { client, seq, op } => write!(f, "Invoked {client}#{seq} {op:?}"),
            ClerkEvent::Returned {
                client,
                seq,
                op,
                value,
            } => write!(f, "Returned {client}#{seq} {op:?} -> {:?}", Value(value)),
        }
    }
}

impl fmt::Debug for ServerEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            RaftEvent::Applied {
                index,
                term,
                command,
            } => write!(
                f,
                "Raft Applied index {index} term {term} ({} bytes)",
                command.len()
            ),
            RaftEvent::Snapshot { index, term, data } => write!(
                f,
                "Raft Snapshot index {index} term {term} ({} bytes)",
                data.len()
            ),
            event @ RaftEvent::Started(_) => write!(f, "Raft {event:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Op;
    use protocol_core::ClientId;
    use raft::{LogIndex, Term};

    #[test]
    fn long_values_and_applied_commands_show_in_brief() {
        let returned = |value: String| ClerkEvent::Returned {
            client: ClientId(7),
            seq: 2,
            op: Op::Get { key: "k".into() },
            value,
        };
        assert_eq!(
            format!("{:?}", returned("ab".into())),
            r#"Returned c7#2 Get { key: "k" } -> "ab""#
        );
        let long = format!("{:?}", returned("x".repeat(100)));
        assert!(long.ends_with(&format!("\"{}\"...(100 bytes)", "x".repeat(SHOWN))));
        let applied = ServerEvent(RaftEvent::Applied {
            index: LogIndex(5),
            term: Term(2),
            command: vec![1; 40],
        });
        assert_eq!(
            format!("{applied:?}"),
            "Raft Applied index 5 term 2 (40 bytes)"
        );
    }
}
