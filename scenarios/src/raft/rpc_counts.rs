//! Lab 2B's efficiency tests: bytes on the wire per command (TestRPCBytes2B) and RPC counts
//! to elect, to agree and to idle (TestCount2B), recalibrated to our encoding.

use super::checks;
use super::harness::{RaftHarness, Step, ELECTION_TIMEOUT_MS};
use super::replication::{common_term, course_test};
use super::watch::command_bytes;
use protocol_core::rng::range_inclusive;
use protocol_core::NodeId;
use raft::msg::{AppendEntries, AppendEntriesReply, RaftMsg};
use raft::{LogIndex, Term};
use sim_kit::{RunOptions, RunReport};

/// Heartbeat round trips the course's 50 000-byte overhead allowance pays for: an idle
/// gob-encoded AppendEntries and its reply are about 200 bytes together, so 50 000 bytes is
/// about 250 of them. We keep the count and price each at our postcard sizes.
const OVERHEAD_ROUND_TRIPS: u64 = 250;

/// What one idle AppendEntries and its reply cost on our wire, with fields the size they
/// have in this test (small terms and indexes).
fn heartbeat_round_trip_bytes() -> u64 {
    let request = RaftMsg::AppendEntries(AppendEntries {
        term: Term(1_000),
        leader: NodeId(2),
        prev_log_index: LogIndex(1_000),
        prev_log_term: Term(1_000),
        entries: Vec::new(),
        leader_commit: LogIndex(1_000),
    });
    let reply = RaftMsg::AppendEntriesReply(AppendEntriesReply {
        term: Term(1_000),
        success: true,
        match_index: LogIndex(1_000),
        conflict_term: None,
        conflict_index: LogIndex(1_000),
    });
    let size = |m: &RaftMsg| postcard::to_allocvec(m).map_or(0, |b| b.len() as u64);
    size(&request) + size(&reply)
}

/// TestRPCBytes2B. The course bounds the bytes of ten 5000-byte commands by
/// `servers × sent + 50 000`: each command crosses to each of the two followers about once,
/// with one spare copy, plus overhead for heartbeats and replies. The same shape here, with
/// every message kind's encoded frame counted: `servers × sent + 250 round trips` at our
/// heartbeat size (about 5 KB rather than 50 KB, as postcard frames are about a tenth of
/// gob's).
pub(super) fn rpc_bytes_2b(options: &RunOptions) -> RunReport {
    course_test(options, 3, |h| {
        h.one_value(99, 3, false)?;
        let bytes0 = h.bytes_total();
        let mut sent = 0u64;
        for index in 2..12 {
            let command: Vec<u8> = (0..5_000)
                .map(|_| b'a' + range_inclusive(&mut h.rng, 0, 25) as u8)
                .collect();
            sent += command.len() as u64;
            let at = h.one(command, 3, false)?;
            if at != index {
                return Err(h.fail(
                    checks::INDEX,
                    format!("got index {at} but expected {index}"),
                ));
            }
        }
        let got = h.bytes_total() - bytes0;
        let overhead = OVERHEAD_ROUND_TRIPS * heartbeat_round_trip_bytes();
        let expected = 3 * sent;
        if got > expected + overhead {
            return Err(h.fail(
                checks::RPC_BYTES,
                format!("too many RPC bytes; got {got}, expected {expected} + {overhead}"),
            ));
        }
        Ok(())
    })
}

/// TestCount2B. The course counts RPCs dispatched to each server; a request and its reply
/// are one RPC there and two messages here, so requests delivered are what is counted.
pub(super) fn count_2b(options: &RunOptions) -> RunReport {
    course_test(options, 3, |h| {
        h.check_one_leader()?;
        let total1 = h.rpcs_delivered();
        if !(1..=30).contains(&total1) {
            return Err(h.fail(
                checks::RPC_COUNT,
                format!("too many or few RPCs ({total1}) to elect initial leader"),
            ));
        }
        let mut agreed = None;
        for attempt in 0..5 {
            if attempt > 0 {
                h.sleep_ms(3_000)?;
            }
            if let Some(counts) = count_try(h)? {
                agreed = Some(counts);
                break;
            }
        }
        let Some((before, for_commands)) = agreed else {
            return Err(h.fail(checks::STABLE_TERM, "term changed too often"));
        };
        h.sleep_ms(ELECTION_TIMEOUT_MS)?;
        let idle = h.rpcs_delivered() - before - for_commands;
        if idle > 3 * 20 {
            return Err(h.fail(
                checks::RPC_COUNT,
                format!("too many RPCs ({idle}) for 1 second of idleness"),
            ));
        }
        Ok(())
    })
}

/// One try at agreeing on 11 commands cheaply: Some((rpcs before, rpcs for them)), or None if
/// the term moved and the try must be repeated.
fn count_try(h: &mut RaftHarness) -> Step<Option<(u64, u64)>> {
    let iters = 10;
    let leader = h.check_one_leader()?;
    let total1 = h.rpcs_delivered();
    let Some((start_index, term)) = h.start(leader, command_bytes(1)) else {
        return Ok(None);
    };
    let mut commands = Vec::new();
    for i in 1..iters + 2 {
        let x = range_inclusive(&mut h.rng, 0, (1 << 31) - 1);
        commands.push(x);
        match h.start(leader, command_bytes(x)) {
            Some((index, t)) if t == term => {
                if index != start_index + i {
                    return Err(h.fail(checks::START, "Start() failed"));
                }
            }
            _ => return Ok(None),
        }
    }
    for i in 1..=iters {
        match h.wait(start_index + i, 3, Some(term))? {
            None => return Ok(None),
            Some(v) if v == commands[i as usize - 1] => {}
            Some(v) => {
                return Err(h.fail(
                    checks::AGREEMENT,
                    format!("wrong value {v} committed for index {}", start_index + i),
                ))
            }
        }
    }
    if common_term(h) != Some(term) {
        return Ok(None);
    }
    let total2 = h.rpcs_delivered() - total1;
    if total2 > (iters + 1 + 3) * 3 {
        return Err(h.fail(
            checks::RPC_COUNT,
            format!("too many RPCs ({total2}) for {iters} entries"),
        ));
    }
    Ok(Some((total1, total2)))
}
