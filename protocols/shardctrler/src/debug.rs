//! `Debug` for the events servers and clerks emit, kept short: the simulator hashes the text
//! of every emitted event, and a Raft event's command bytes travelled in messages whose
//! checksums the trace hash already holds.

use crate::node::{ClerkEvent, ServerEvent};
use raft::RaftEvent;
use std::fmt;

impl fmt::Debug for ClerkEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClerkEvent::Invoked { client, seq, op } => write!(f, "Invoked {client}#{seq} {op:?}"),
            ClerkEvent::Returned {
                client,
                seq,
                op,
                answer,
            } => {
                write!(f, "Returned {client}#{seq} {op:?} -> {answer:?}")
            }
        }
    }
}

impl fmt::Debug for ServerEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerEvent::Configured {
                client,
                seq,
                config,
                ..
            } => {
                write!(f, "Configured by {client}#{seq}: {config:?}")
            }
            ServerEvent::Raft(event) => fmt_raft_event(event, f),
        }
    }
}

/// A Raft event with its bytes as a length: `Raft Applied index 5 term 2 (40 bytes)`.
pub fn fmt_raft_event(event: &RaftEvent, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match event {
        RaftEvent::Applied {
            index,
            term,
            command,
        } => {
            write!(
                f,
                "Raft Applied index {index} term {term} ({} bytes)",
                command.len()
            )
        }
        RaftEvent::Snapshot { index, term, data } => {
            write!(
                f,
                "Raft Snapshot index {index} term {term} ({} bytes)",
                data.len()
            )
        }
        RaftEvent::Started(result) => write!(f, "Raft Started {result:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use raft::{LogIndex, Term};

    #[test]
    fn raft_events_show_lengths_and_configurations_one_line() {
        let applied = ServerEvent::Raft(RaftEvent::Applied {
            index: LogIndex(5),
            term: Term(2),
            command: vec![1; 40],
        });
        assert_eq!(
            format!("{applied:?}"),
            "Raft Applied index 5 term 2 (40 bytes)"
        );
        let configured = ServerEvent::Configured {
            client: protocol_core::ClientId(3),
            seq: 4,
            op: crate::msg::CtrlerOp::Query { num: None },
            config: Config::initial(),
        };
        assert_eq!(
            format!("{configured:?}"),
            "Configured by c3#4: cfg0 [g0 g0 g0 g0 g0 g0 g0 g0 g0 g0] {}"
        );
    }
}
