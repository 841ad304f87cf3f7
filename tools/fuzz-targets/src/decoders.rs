//! Decoders of outside input: each returns an error for bad bytes, never panics.

use protocol_core::Message;
use std::path::Path;

/// A wire frame of one of the families' message types (the first byte picks which): it
/// decodes or is refused, and what decodes encodes back to the same message.
pub fn wire_messages(data: &[u8]) {
    let Some((&pick, frame)) = data.split_first() else {
        return;
    };
    match pick % 5 {
        0 => round_trip::<raft::RaftMsg>(frame),
        1 => round_trip::<kvraft::KvMsg>(frame),
        2 => round_trip::<mapreduce::MrMsg>(frame),
        3 => round_trip::<shardctrler::CtrlerMsg>(frame),
        _ => round_trip::<shardkv::ShardKvMsg>(frame),
    }
}

fn round_trip<M: Message + PartialEq>(frame: &[u8]) {
    let Ok(msg) = postcard::from_bytes::<M>(frame) else {
        return;
    };
    let _ = msg.kind();
    let bytes = postcard::to_allocvec(&msg).expect("a decoded message encodes");
    let again: M = postcard::from_bytes(&bytes).expect("an encoded message decodes");
    assert_eq!(again, msg, "a message changed through encode and decode");
}

/// A history file in any of the checker's formats: parsed or refused with a line number.
pub fn history_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(error) = linearizability::formats::parse(&text) {
        let _ = error.to_string();
    }
}

/// A regression corpus file: entries, or an error naming the line.
pub fn corpus_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(error) = sim_kit::corpus::parse(Path::new("fuzz.txt"), &text) {
        assert!(error.to_string().starts_with("fuzz.txt"), "{error}");
    }
}

/// A seed or seed range as typed on a command line.
pub fn seed_range(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(range) = sim_kit::seeds::parse_seed_range(&text) {
        assert!(range.start < range.end, "{text:?} gave an empty range");
    }
}
