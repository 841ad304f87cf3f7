//! The failure page's data: a compact JSON document the page's script draws from (arrays of
//! numbers, with strings interned once), and the evidence the page opens on.

use crate::recording::{ClientOp, OpMark, Recording};
use protocol_core::{NodeId, Time};
use serde_json::{json, Value};
use sim::stats::DropReason;
use sim::timeline::{MessageFlight, Outcome, Timeline};
use sim::Failure;

/// At most this many message flights go into a page (the latest): enough for any run the
/// page is meant for, and a page of a few megabytes at most for longer ones.
pub const MAX_PAGE_MESSAGES: usize = 20_000;

/// Messages the evidence involves that the page draws before any are asked for.
pub const SELECTED_MESSAGES: usize = 60;

/// What the failing check's evidence involves: nodes, a client operation, a stretch of time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub nodes: Vec<NodeId>,
    /// Index into the recording's operations: the one the history check could not place.
    pub operation: Option<usize>,
    pub from: Time,
    pub to: Time,
}

impl Evidence {
    /// The violation's nodes and time; for a linearizability failure, the operation that
    /// cannot be placed, and its client's node where a client is a node of the run.
    pub fn of(failure: &Failure, recording: &Recording) -> Evidence {
        let mut evidence = Evidence {
            nodes: failure.nodes.clone(),
            operation: None,
            from: failure.time,
            to: failure.time,
        };
        let stuck = recording
            .operations
            .iter()
            .position(|op| op.mark == OpMark::FirstUnplaced);
        if let Some(index) = stuck {
            let op = &recording.operations[index];
            evidence.operation = Some(index);
            evidence.from = op.call;
            evidence.to = op.ret.unwrap_or(failure.time);
            let client = NodeId(op.client as u32);
            let is_node = (op.client as usize) < recording.timeline.nodes;
            if is_node && !evidence.nodes.contains(&client) {
                evidence.nodes.push(client);
            }
        }
        evidence
    }

    fn involves(&self, message: &MessageFlight) -> bool {
        self.nodes.is_empty()
            || self.nodes.contains(&message.from)
            || self.nodes.contains(&message.to)
    }
}

/// The page's whole data document.
pub fn document(failure: &Failure, recording: &Recording, evidence: &Evidence) -> Value {
    let timeline = &recording.timeline;
    let mut data = json!({
        "end": timeline.end.as_micros(),
        "nodes": (0..timeline.nodes).map(|i| NodeId(i as u32).to_string()).collect::<Vec<_>>(),
        "failure": {
            "check": failure.check.to_string(),
            "time": failure.time.as_micros(),
            "nodes": failure.nodes.iter().map(|n| n.0).collect::<Vec<_>>(),
        },
        "evidence": {
            "nodes": evidence.nodes.iter().map(|n| n.0).collect::<Vec<_>>(),
            "op": evidence.operation,
            "from": evidence.from.as_micros(),
            "to": evidence.to.as_micros(),
        },
        "pauses": timeline.pauses.iter().map(|p| json!([p.node.0, p.from.as_micros(), p.until.as_micros()])).collect::<Vec<_>>(),
        "links": timeline.links.iter().map(|epoch| {
            let down: Vec<Value> = epoch.down.iter().map(|(a, b)| json!([a.0, b.0])).collect();
            json!([epoch.time.as_micros(), down])
        }).collect::<Vec<_>>(),
        "marks": marks(timeline),
        "ops": operations(&recording.operations),
    });
    let fields = data.as_object_mut().expect("built as an object above");
    let (labels, states) = states(timeline);
    fields.insert("labels".into(), labels);
    fields.insert("states".into(), states);
    let (kinds, messages, omitted) = messages(timeline, evidence);
    fields.insert("kinds".into(), kinds);
    fields.insert("messages".into(), messages);
    fields.insert("messagesOmitted".into(), json!(omitted));
    fields.insert("outcomes".into(), json!(OUTCOMES));
    data
}

/// Outcome codes in the page: index into this list.
const OUTCOMES: [&str; 7] = [
    "delivered",
    "in flight at the end",
    "lost",
    "partitioned",
    "node down",
    "corrupt",
    "undecodable",
];

fn outcome_code(outcome: Outcome) -> usize {
    match outcome {
        Outcome::Delivered => 0,
        Outcome::InFlight => 1,
        Outcome::Dropped(DropReason::Lost) => 2,
        Outcome::Dropped(DropReason::Partitioned) => 3,
        Outcome::Dropped(DropReason::NodeDown) => 4,
        Outcome::Dropped(DropReason::Corrupt) => 5,
        Outcome::Dropped(DropReason::Undecodable) => 6,
    }
}

/// Labels interned, and `[time, node, label (-1: down), number or null]` per change.
fn states(timeline: &Timeline) -> (Value, Value) {
    let mut labels: Vec<&str> = Vec::new();
    let rows: Vec<Value> = timeline
        .states
        .iter()
        .map(|change| {
            let (label, number) = match change.state {
                None => (-1, None),
                Some(state) => (intern(&mut labels, state.label) as i64, state.number),
            };
            json!([change.time.as_micros(), change.node.0, label, number])
        })
        .collect();
    (json!(labels), Value::Array(rows))
}

/// Kinds interned, and `[from, to, kind, sent, end, outcome, selected (0/1)]` per flight,
/// the latest [`MAX_PAGE_MESSAGES`]; how many earlier ones were left out.
fn messages(timeline: &Timeline, evidence: &Evidence) -> (Value, Value, u64) {
    let skip = timeline.messages.len().saturating_sub(MAX_PAGE_MESSAGES);
    let kept: Vec<&MessageFlight> = timeline.messages.iter().skip(skip).collect();
    let selected = select(&kept, evidence);
    let mut kinds: Vec<&str> = Vec::new();
    let rows: Vec<Value> = kept
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let kind = intern(&mut kinds, m.kind);
            json!([
                m.from.0,
                m.to.0,
                kind,
                m.sent.as_micros(),
                m.end.as_micros(),
                outcome_code(m.outcome),
                u8::from(selected.contains(&i))
            ])
        })
        .collect();
    let omitted = timeline.messages_omitted + skip as u64;
    (json!(kinds), Value::Array(rows), omitted)
}

/// The flights the evidence involves: with an operation, those of its nodes in flight while
/// it was open; else the latest of its nodes that ended by the failure. At most
/// [`SELECTED_MESSAGES`], the latest.
fn select(messages: &[&MessageFlight], evidence: &Evidence) -> Vec<usize> {
    let chosen: Vec<usize> = (0..messages.len())
        .filter(|&i| {
            let m = messages[i];
            let during = match evidence.operation {
                Some(_) => m.sent <= evidence.to && m.end >= evidence.from,
                None => m.end <= evidence.to && m.outcome != Outcome::InFlight,
            };
            evidence.involves(m) && during
        })
        .collect();
    let skip = chosen.len().saturating_sub(SELECTED_MESSAGES);
    chosen.into_iter().skip(skip).collect()
}

/// `[time, kind (0 fault, 1 note), nodes, text]`; timers are left to the Chrome trace.
fn marks(timeline: &Timeline) -> Vec<Value> {
    use sim::timeline::MarkKind;
    timeline
        .marks
        .iter()
        .filter_map(|mark| {
            let kind = match mark.kind {
                MarkKind::Fault => 0,
                MarkKind::Note => 1,
                MarkKind::Timer => return None,
            };
            let nodes: Vec<u32> = mark.nodes.iter().map(|n| n.0).collect();
            Some(json!([mark.time.as_micros(), kind, nodes, mark.text]))
        })
        .collect()
}

/// `[client, call, return or null, text, mark]` per operation.
fn operations(operations: &[ClientOp]) -> Vec<Value> {
    operations
        .iter()
        .map(|op| {
            json!([
                op.client,
                op.call.as_micros(),
                op.ret.map(Time::as_micros),
                op.text,
                op.mark.name()
            ])
        })
        .collect()
}

fn intern<'a>(table: &mut Vec<&'a str>, name: &'a str) -> usize {
    match table.iter().position(|&n| n == name) {
        Some(index) => index,
        None => {
            table.push(name);
            table.len() - 1
        }
    }
}
