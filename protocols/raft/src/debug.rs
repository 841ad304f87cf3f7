//! `Debug` for the requests and events that carry opaque bytes, with the bytes in hex.
//!
//! Drivers format events and requests for traces and hash that text (the simulator's trace
//! hash); the derived form spells every byte out as a decimal list entry, which made hashing
//! the applied stream of a Raft run cost more than running it. Hex is the same content, in
//! one write per 64 bytes.

use crate::node::{RaftEvent, RaftRequest};
use std::fmt;

/// Bytes shown as `0x` and two hex digits per byte (`0x` alone when empty).
pub(crate) struct Hex<'a>(pub &'a [u8]);

impl fmt::Debug for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        f.write_str("0x")?;
        let mut buf = [0u8; 128];
        for chunk in self.0.chunks(buf.len() / 2) {
            for (i, byte) in chunk.iter().enumerate() {
                buf[2 * i] = DIGITS[usize::from(byte >> 4)];
                buf[2 * i + 1] = DIGITS[usize::from(byte & 0xf)];
            }
            // Hex digits are ASCII.
            let text = std::str::from_utf8(&buf[..2 * chunk.len()]).expect("ascii");
            f.write_str(text)?;
        }
        Ok(())
    }
}

impl fmt::Debug for RaftEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RaftEvent::Applied {
                index,
                term,
                command,
            } => f
                .debug_struct("Applied")
                .field("index", &index.0)
                .field("term", &term.0)
                .field("command", &Hex(command))
                .finish(),
            RaftEvent::Snapshot { index, term, data } => f
                .debug_struct("Snapshot")
                .field("index", &index.0)
                .field("term", &term.0)
                .field("data", &Hex(data))
                .finish(),
            RaftEvent::Started(result) => f.debug_tuple("Started").field(result).finish(),
        }
    }
}

impl fmt::Debug for RaftRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RaftRequest::Start(command) => f.debug_tuple("Start").field(&Hex(command)).finish(),
            RaftRequest::Snapshot { index, data } => f
                .debug_struct("Snapshot")
                .field("index", &index.0)
                .field("data", &Hex(data))
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{LogIndex, Term};

    #[test]
    fn bytes_show_in_hex_whatever_their_length() {
        assert_eq!(format!("{:?}", Hex(&[])), "0x");
        let long: Vec<u8> = (0..=255).collect();
        let text = format!("{:?}", Hex(&long));
        assert_eq!(text.len(), 2 + 512);
        assert!(
            text.starts_with("0x000102") && text.ends_with("feff"),
            "{text}"
        );
        let event = RaftEvent::Applied {
            index: LogIndex(3),
            term: Term(2),
            command: vec![0xab, 1],
        };
        assert_eq!(
            format!("{event:?}"),
            "Applied { index: 3, term: 2, command: 0xab01 }"
        );
        let request = RaftRequest::Snapshot {
            index: LogIndex(4),
            data: vec![],
        };
        assert_eq!(format!("{request:?}"), "Snapshot { index: 4, data: 0x }");
    }
}
