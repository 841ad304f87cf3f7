//! A run's recording as Chrome trace-event JSON, which Perfetto and chrome://tracing open.
//! Virtual microseconds are the clock. Each node is a process with three tracks: its state
//! (role and term, down), its messages (a slice per send and per arrival or drop, joined by
//! a flow event), and its timers and faults (pauses as spans). The network's cut links and
//! the scenario's notes are a process of their own, and so are the clients' operations.

use crate::recording::Recording;
use protocol_core::{NodeId, Time};
use serde_json::{json, Value};
use sim::timeline::{MarkKind, MessageFlight, Outcome, Timeline};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Process ids: node `i` is `i + 1`; these two come after every node.
const NETWORK_PID: u64 = 100_000;
const CLIENTS_PID: u64 = 100_001;
const STATE_TID: u64 = 1;
const MESSAGES_TID: u64 = 2;
const EVENTS_TID: u64 = 3;

/// Writes `recording` as one JSON document; `title` names the run (`raft-random seed 7`).
pub fn write(recording: &Recording, title: &str, out: &mut impl Write) -> io::Result<()> {
    let mut events = Events { out, first: true };
    write!(
        events.out,
        "{{\"displayTimeUnit\":\"ms\",\"otherData\":{},\"traceEvents\":[\n",
        json!({ "run": title, "clock": "virtual microseconds" })
    )?;
    let timeline = &recording.timeline;
    metadata(&mut events, timeline, recording)?;
    states(&mut events, timeline)?;
    for (id, flight) in timeline.messages.iter().enumerate() {
        message(&mut events, id as u64, flight)?;
    }
    marks(&mut events, timeline)?;
    network(&mut events, timeline)?;
    for op in &recording.operations {
        let end = op.ret.unwrap_or(timeline.end.max(op.call));
        events.push(json!({
            "ph": "X", "name": op.text, "cat": "client", "pid": CLIENTS_PID, "tid": op.client + 1,
            "ts": op.call.as_micros(), "dur": end.as_micros() - op.call.as_micros(),
            "args": { "mark": op.mark.name(), "open": op.ret.is_none() },
        }))?;
    }
    events.out.write_all(b"\n]}\n")
}

/// Writes events separated by commas, one a line.
struct Events<'a, W: Write> {
    out: &'a mut W,
    first: bool,
}

impl<W: Write> Events<'_, W> {
    fn push(&mut self, event: Value) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        serde_json::to_writer(&mut *self.out, &event).map_err(io::Error::other)
    }

    fn name(&mut self, what: &str, pid: u64, tid: Option<u64>, name: &str) -> io::Result<()> {
        let mut event = json!({ "ph": "M", "name": what, "pid": pid, "args": { "name": name } });
        if let Some(tid) = tid {
            event["tid"] = json!(tid);
        }
        self.push(event)
    }
}

fn pid(node: NodeId) -> u64 {
    u64::from(node.0) + 1
}

fn metadata<W: Write>(
    events: &mut Events<'_, W>,
    timeline: &Timeline,
    recording: &Recording,
) -> io::Result<()> {
    for i in 0..timeline.nodes {
        let node = NodeId(i as u32);
        events.name("process_name", pid(node), None, &node.to_string())?;
        let sort = json!({ "ph": "M", "name": "process_sort_index", "pid": pid(node), "args": { "sort_index": i } });
        events.push(sort)?;
        events.name("thread_name", pid(node), Some(STATE_TID), "state")?;
        events.name("thread_name", pid(node), Some(MESSAGES_TID), "messages")?;
        events.name(
            "thread_name",
            pid(node),
            Some(EVENTS_TID),
            "timers and faults",
        )?;
    }
    events.name("process_name", NETWORK_PID, None, "network")?;
    events.name("thread_name", NETWORK_PID, Some(1), "links down")?;
    events.name("thread_name", NETWORK_PID, Some(2), "notes and faults")?;
    let mut clients: Vec<u64> = recording.operations.iter().map(|op| op.client).collect();
    clients.sort_unstable();
    clients.dedup();
    if !clients.is_empty() {
        events.name("process_name", CLIENTS_PID, None, "clients")?;
    }
    for client in clients {
        events.name(
            "thread_name",
            CLIENTS_PID,
            Some(client + 1),
            &format!("client {client}"),
        )?;
    }
    Ok(())
}

/// Each node's states as back-to-back spans on its state track.
fn states<W: Write>(events: &mut Events<'_, W>, timeline: &Timeline) -> io::Result<()> {
    // Where each change ends: at the node's next change, found walking backwards.
    let mut next: BTreeMap<NodeId, Time> = BTreeMap::new();
    let mut ends = vec![timeline.end; timeline.states.len()];
    for (i, change) in timeline.states.iter().enumerate().rev() {
        ends[i] = next.get(&change.node).copied().unwrap_or(timeline.end);
        next.insert(change.node, change.time);
    }
    for (change, end) in timeline.states.iter().zip(ends) {
        let name = change
            .state
            .map_or("down".to_string(), |state| state.to_string());
        events.push(json!({
            "ph": "X", "name": name, "cat": "state", "pid": pid(change.node), "tid": STATE_TID,
            "ts": change.time.as_micros(), "dur": end.max(change.time).as_micros() - change.time.as_micros(),
        }))?;
    }
    Ok(())
}

/// A send slice on the sender's message track and, unless it is still in flight, an arrival
/// (or drop) slice on the receiver's, joined by a flow from one to the other. Slices last a
/// microsecond so that the flow's ends fall inside them.
fn message<W: Write>(events: &mut Events<'_, W>, id: u64, m: &MessageFlight) -> io::Result<()> {
    let outcome = match m.outcome {
        Outcome::Delivered => "delivered",
        Outcome::InFlight => "in flight at the end",
        Outcome::Dropped(reason) => reason.name(),
    };
    let args = json!({ "from": m.from.to_string(), "to": m.to.to_string(), "outcome": outcome,
        "sent_us": m.sent.as_micros(), "end_us": m.end.as_micros() });
    let sent = m.sent.as_micros();
    events.push(json!({
        "ph": "X", "name": format!("send {} to {}", m.kind, m.to), "cat": "message",
        "pid": pid(m.from), "tid": MESSAGES_TID, "ts": sent, "dur": 1, "args": args,
    }))?;
    if m.outcome == Outcome::InFlight {
        return Ok(());
    }
    let end = m.end.as_micros();
    let name = match m.outcome {
        Outcome::Delivered => format!("recv {} from {}", m.kind, m.from),
        _ => format!("dropped {} from {} ({outcome})", m.kind, m.from),
    };
    events.push(json!({
        "ph": "X", "name": name, "cat": "message", "pid": pid(m.to), "tid": MESSAGES_TID,
        "ts": end, "dur": 1, "args": args,
    }))?;
    events.push(json!({
        "ph": "s", "name": m.kind, "cat": "message", "id": id, "pid": pid(m.from),
        "tid": MESSAGES_TID, "ts": sent,
    }))?;
    events.push(json!({
        "ph": "f", "bp": "e", "name": m.kind, "cat": "message", "id": id, "pid": pid(m.to),
        "tid": MESSAGES_TID, "ts": end,
    }))
}

/// Pauses as spans; faults, timers and notes as instants.
fn marks<W: Write>(events: &mut Events<'_, W>, timeline: &Timeline) -> io::Result<()> {
    for pause in &timeline.pauses {
        events.push(json!({
            "ph": "X", "name": "paused", "cat": "fault", "pid": pid(pause.node), "tid": EVENTS_TID,
            "ts": pause.from.as_micros(), "dur": pause.until.as_micros() - pause.from.as_micros(),
        }))?;
    }
    for mark in &timeline.marks {
        let cat = match mark.kind {
            MarkKind::Fault => "fault",
            MarkKind::Note => "note",
            MarkKind::Timer => "timer",
        };
        let instant = |pid: u64, tid: u64| {
            json!({ "ph": "i", "s": "t", "name": mark.text, "cat": cat, "pid": pid, "tid": tid,
                "ts": mark.time.as_micros() })
        };
        if mark.nodes.is_empty() || mark.kind != MarkKind::Timer {
            events.push(instant(NETWORK_PID, 2))?;
        }
        for &node in &mark.nodes {
            events.push(instant(pid(node), EVENTS_TID))?;
        }
    }
    Ok(())
}

/// Each stretch of time with links down, as a span naming them.
fn network<W: Write>(events: &mut Events<'_, W>, timeline: &Timeline) -> io::Result<()> {
    for (i, epoch) in timeline.links.iter().enumerate() {
        if epoch.down.is_empty() {
            continue;
        }
        let end = timeline
            .links
            .get(i + 1)
            .map_or(timeline.end, |next| next.time);
        let down: Vec<String> = epoch
            .down
            .iter()
            .map(|(a, b)| format!("{a}->{b}"))
            .collect();
        events.push(json!({
            "ph": "X", "name": format!("{} links down", down.len()), "cat": "network",
            "pid": NETWORK_PID, "tid": 1, "ts": epoch.time.as_micros(),
            "dur": end.max(epoch.time).as_micros() - epoch.time.as_micros(),
            "args": { "down": down },
        }))?;
    }
    Ok(())
}
