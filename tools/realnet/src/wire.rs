//! Frames on the wire: a 4-byte little-endian length, then postcard of `(from, msg)`.

use protocol_core::{Message, NodeId};
use std::io::{self, Read, Write};

/// Larger frames are refused: a garbage length must not make us allocate gigabytes.
pub const MAX_FRAME_BYTES: usize = 64 << 20;

pub fn encode_frame<M: Message>(from: NodeId, msg: &M) -> Vec<u8> {
    // Our own messages always encode: postcard fails only on unsupported serde shapes.
    let payload = postcard::to_stdvec(&(from, msg)).expect("messages encode");
    assert!(
        payload.len() <= MAX_FRAME_BYTES,
        "a {} message is too big",
        msg.kind()
    );
    let mut frame = Vec::with_capacity(4 + payload.len());
    frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    frame.extend_from_slice(&payload);
    frame
}

/// Decodes one payload (the bytes after the length).
pub fn decode_frame<M: Message>(payload: &[u8]) -> Result<(NodeId, M), postcard::Error> {
    postcard::from_bytes(payload)
}

/// The sender a payload names, without decoding the message: what a proxy that knows no
/// message types needs to apply per-link rules.
pub fn frame_sender(payload: &[u8]) -> Result<NodeId, postcard::Error> {
    postcard::take_from_bytes::<NodeId>(payload).map(|(from, _)| from)
}

pub(crate) fn write_frame(stream: &mut impl Write, frame: &[u8]) -> io::Result<()> {
    stream.write_all(frame)?;
    stream.flush()
}

/// Reads one payload; `Ok(None)` at a clean end of stream.
pub(crate) fn read_payload(stream: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut length = [0u8; 4];
    match stream.read_exact(&mut length) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) => return Err(error),
    }
    let length = u32::from_le_bytes(length) as usize;
    if length > MAX_FRAME_BYTES {
        let reason = format!("frame of {length} bytes exceeds {MAX_FRAME_BYTES}");
        return Err(io::Error::new(io::ErrorKind::InvalidData, reason));
    }
    let mut payload = vec![0u8; length];
    stream.read_exact(&mut payload)?;
    Ok(Some(payload))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    enum Ping {
        Ping(u64),
    }

    impl Message for Ping {
        fn kind(&self) -> &'static str {
            "Ping"
        }
    }

    #[test]
    fn frames_round_trip_and_bad_bytes_are_errors() {
        let frame = encode_frame(NodeId(3), &Ping::Ping(9));
        let payload = read_payload(&mut &frame[..]).unwrap().unwrap();
        assert_eq!(
            decode_frame::<Ping>(&payload).unwrap(),
            (NodeId(3), Ping::Ping(9))
        );
        assert_eq!(frame_sender(&payload), Ok(NodeId(3)));
        assert!(decode_frame::<Ping>(&[0xff, 0xff]).is_err());
        assert!(frame_sender(&[0xff, 0xff]).is_err());
        assert_eq!(read_payload(&mut &[][..]).unwrap(), None);
    }

    #[test]
    fn a_huge_length_is_refused_before_allocating() {
        let frame = u32::MAX.to_le_bytes();
        let error = read_payload(&mut &frame[..]).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }
}
