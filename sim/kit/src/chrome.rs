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
    writeln!(
        events.out,
        "{{\"displayTimeUnit\":\"ms\",\"otherData\":{},\"traceEvents\":[",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::{ClientOp, OpMark};
    use sim::stats::DropReason;
    use sim::timeline::{Mark, PauseSpan};
    use sim::NodeState;

    /// Three nodes: n0 leads term 2, n1 crashes; a delivery, a drop, one in flight; a pause,
    /// a cut link, a timer and a client operation.
    fn recording() -> Recording {
        let mut timeline = Timeline::default();
        let (n0, n1, n2) = (NodeId(0), NodeId(1), NodeId(2));
        for node in [n0, n1, n2] {
            timeline.set_state(Time(0), node, Some(NodeState::numbered("follower", 1)));
        }
        timeline.set_state(Time(500), n0, Some(NodeState::numbered("leader", 2)));
        timeline.set_state(Time(700), n1, None);
        let flight = |from, to, sent, end, outcome| MessageFlight {
            from,
            to,
            kind: "AppendEntries",
            sent: Time(sent),
            end: Time(end),
            outcome,
        };
        timeline
            .messages
            .push_back(flight(n0, n1, 600, 650, Outcome::Delivered));
        timeline
            .messages
            .push_back(flight(n0, n2, 600, 600, Outcome::Dropped(DropReason::Lost)));
        timeline
            .messages
            .push_back(flight(n0, n2, 900, 1200, Outcome::InFlight));
        timeline.pauses.push(PauseSpan {
            node: n2,
            from: Time(100),
            until: Time(300),
        });
        timeline.set_links(Time(200), vec![(n2, n0)]);
        timeline.marks.push(Mark {
            time: Time(400),
            nodes: vec![n1],
            kind: MarkKind::Timer,
            text: "Election".into(),
        });
        timeline.end = Time(1000);
        let op = ClientOp {
            client: 7,
            call: Time(50),
            ret: None,
            text: "get(\"k\")".into(),
            mark: OpMark::FirstUnplaced,
        };
        Recording {
            timeline,
            operations: vec![op],
        }
    }

    fn events() -> Vec<Value> {
        let mut out = Vec::new();
        write(&recording(), "test seed 1", &mut out).unwrap();
        let doc: Value = serde_json::from_slice(&out).expect("the trace is JSON");
        assert_eq!(doc["displayTimeUnit"], "ms");
        doc["traceEvents"]
            .as_array()
            .expect("traceEvents is an array")
            .clone()
    }

    fn of<'a>(events: &'a [Value], ph: &str) -> Vec<&'a Value> {
        events.iter().filter(|e| e["ph"] == ph).collect()
    }

    #[test]
    fn every_node_is_a_named_process_with_its_tracks() {
        let events = events();
        let names: Vec<(u64, &str)> = of(&events, "M")
            .into_iter()
            .filter(|e| e["name"] == "process_name")
            .map(|e| {
                (
                    e["pid"].as_u64().unwrap(),
                    e["args"]["name"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                (1, "n0"),
                (2, "n1"),
                (3, "n2"),
                (NETWORK_PID, "network"),
                (CLIENTS_PID, "clients")
            ]
        );
        let threads = of(&events, "M")
            .into_iter()
            .filter(|e| e["name"] == "thread_name")
            .count();
        assert_eq!(
            threads,
            3 * 3 + 2 + 1,
            "three tracks a node, two of the network, a client"
        );
        for event in &events {
            if event["ph"] != "M" {
                assert!(event["ts"].is_u64(), "every event has a time: {event}");
                assert!(event["pid"].is_u64() && event["tid"].is_u64(), "{event}");
            }
        }
    }

    #[test]
    fn states_are_back_to_back_spans_and_down_is_one() {
        let events = events();
        let spans: Vec<(u64, u64, u64, &str)> = of(&events, "X")
            .into_iter()
            .filter(|e| e["cat"] == "state")
            .map(|e| {
                let (pid, ts, dur) = (
                    e["pid"].as_u64().unwrap(),
                    e["ts"].as_u64().unwrap(),
                    e["dur"].as_u64().unwrap(),
                );
                (pid, ts, ts + dur, e["name"].as_str().unwrap())
            })
            .collect();
        assert!(spans.contains(&(1, 0, 500, "follower 1")));
        assert!(spans.contains(&(1, 500, 1000, "leader 2")));
        assert!(spans.contains(&(2, 700, 1000, "down")));
        assert_eq!(spans.len(), 5);
    }

    #[test]
    fn flows_join_a_send_slice_to_an_arrival_slice() {
        let events = events();
        let starts = of(&events, "s");
        let ends = of(&events, "f");
        assert_eq!(
            starts.len(),
            2,
            "the delivered and the dropped message; none in flight"
        );
        let slices = of(&events, "X");
        let inside = |point: &Value| {
            slices.iter().any(|x| {
                let (ts, dur) = (x["ts"].as_u64().unwrap(), x["dur"].as_u64().unwrap());
                let at = point["ts"].as_u64().unwrap();
                x["pid"] == point["pid"]
                    && x["tid"] == point["tid"]
                    && ts <= at
                    && at <= ts + dur
                    && x["cat"] == "message"
            })
        };
        for start in &starts {
            let end: Vec<&&Value> = ends.iter().filter(|f| f["id"] == start["id"]).collect();
            assert_eq!(end.len(), 1, "one end per flow: {start}");
            assert_eq!(end[0]["bp"], "e", "bound to the enclosing slice");
            assert!(start["ts"].as_u64() <= end[0]["ts"].as_u64());
            assert!(
                inside(start),
                "the flow starts inside a send slice: {start}"
            );
            assert!(
                inside(end[0]),
                "the flow ends inside an arrival slice: {}",
                end[0]
            );
        }
        let sends = slices
            .iter()
            .filter(|x| x["name"].as_str().unwrap().starts_with("send"))
            .count();
        assert_eq!(sends, 3, "the message in flight has its send slice");
    }

    #[test]
    fn faults_links_and_operations_are_spans_and_instants() {
        let events = events();
        let name = |e: &&Value| e["name"].as_str().unwrap().to_string();
        let spans: Vec<String> = of(&events, "X").iter().map(name).collect();
        assert!(spans.contains(&"paused".to_string()), "{spans:?}");
        assert!(spans.contains(&"1 links down".to_string()), "{spans:?}");
        assert!(spans.contains(&"get(\"k\")".to_string()), "{spans:?}");
        let op = of(&events, "X")
            .into_iter()
            .find(|e| e["cat"] == "client")
            .unwrap();
        assert_eq!(op["dur"], 950, "an open operation lasts to the end");
        assert_eq!(op["args"]["mark"], "first-unplaced");
        let instants: Vec<String> = of(&events, "i").iter().map(name).collect();
        assert_eq!(
            instants,
            ["Election"],
            "a timer is an instant on its node's track"
        );
    }
}
