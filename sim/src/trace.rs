//! The trace of a run: a running 64-bit hash of every event, the last events for failure
//! reports, and (when asked) every event rendered as a line with its contents.
//!
//! An ordinary run only hashes and keeps a short tail of event records: formatting message
//! contents costs more than running the protocol. A failing run is replayed once more in
//! [`TraceMode::Diagnose`] (a run is a function of its seed, so the replay fails the same way
//! at the same event) to render the last events with their contents, the events of the nodes
//! the violation names, and what the run was busy with just before it failed.

use crate::fault::FaultAction;
use crate::hash::{hash_value, Hasher64};
use crate::stats::DropReason;
use crate::timeline::Timeline;
use protocol_core::{NodeId, Time};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

/// How many of the latest event records an ordinary run keeps for its failure report.
pub const TAIL_LEN: usize = 40;

/// How much of a run the trace renders.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TraceMode {
    /// The hash and the last [`TAIL_LEN`] event records, kinds only: every ordinary run.
    #[default]
    Hash,
    /// A failing run's replay: every event rendered with its contents, the latest `tail`
    /// lines kept, and apart from them the latest `tail` lines that involve `nodes`; events
    /// at or after `window_from` are counted by kind and by node.
    Diagnose {
        tail: usize,
        nodes: Vec<NodeId>,
        window_from: Time,
    },
    /// Every event rendered and kept (`--trace`).
    Full,
}

/// Storage events, for [`TraceRecord::Storage`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageRecord {
    File,
    Sync,
    Synced,
    SyncFailed,
    Halt,
    CrashArmed,
    DiskFailed,
}

impl StorageRecord {
    fn name(self) -> &'static str {
        match self {
            StorageRecord::File => "file op",
            StorageRecord::Sync => "sync",
            StorageRecord::Synced => "synced",
            StorageRecord::SyncFailed => "sync failed",
            StorageRecord::Halt => "halt",
            StorageRecord::CrashArmed => "crash armed",
            StorageRecord::DiskFailed => "disk failed",
        }
    }
}

/// One event of a run. Cheap to record: no message is formatted unless a line is wanted.
#[derive(Clone, Debug)]
pub enum TraceRecord<T> {
    Deliver {
        from: NodeId,
        to: NodeId,
        kind: &'static str,
        bytes: u32,
        /// When it was sent: for timelines only, never hashed (the delivery time is).
        sent: Time,
    },
    Drop {
        from: NodeId,
        to: NodeId,
        kind: &'static str,
        reason: DropReason,
        /// When it was sent: for timelines only, never hashed.
        sent: Time,
    },
    Duplicate {
        from: NodeId,
        to: NodeId,
        kind: &'static str,
    },
    Timer {
        node: NodeId,
        timer: T,
    },
    Crash {
        node: NodeId,
    },
    Restart {
        node: NodeId,
    },
    Fault(FaultAction),
    Persist {
        node: NodeId,
        bytes: u32,
    },
    /// A file operation, a sync and its completion, and what follows from them.
    Storage {
        node: NodeId,
        what: StorageRecord,
    },
    Emit {
        node: NodeId,
    },
    /// The layer above handed the node a request (`Sim::request`).
    Request {
        node: NodeId,
    },
    /// The layer above called into the node directly (`Sim::call`); what it did shows in
    /// the outputs that follow.
    Call {
        node: NodeId,
    },
    Note {
        text: String,
    },
}

impl<T: fmt::Debug> fmt::Display for TraceRecord<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceRecord::Deliver {
                from,
                to,
                kind,
                bytes,
                ..
            } => {
                write!(f, "{to} recv {kind} from {from} ({bytes}B)")
            }
            TraceRecord::Drop {
                from,
                to,
                kind,
                reason,
                ..
            } => {
                write!(f, "drop {kind} {from}->{to} {}", reason.name())
            }
            TraceRecord::Duplicate { from, to, kind } => write!(f, "duplicate {kind} {from}->{to}"),
            TraceRecord::Timer { node, timer } => write!(f, "{node} timer {timer:?}"),
            TraceRecord::Crash { node } => write!(f, "{node} crash"),
            TraceRecord::Restart { node } => write!(f, "{node} restart"),
            TraceRecord::Fault(action) => write!(f, "fault {action}"),
            TraceRecord::Persist { node, bytes } => write!(f, "{node} persist {bytes}B"),
            TraceRecord::Storage { node, what } => write!(f, "{node} {}", what.name()),
            TraceRecord::Emit { node } => write!(f, "{node} emit"),
            TraceRecord::Request { node } => write!(f, "{node} request"),
            TraceRecord::Call { node } => write!(f, "{node} call"),
            TraceRecord::Note { text } => write!(f, "{text}"),
        }
    }
}

impl<T: fmt::Debug> TraceRecord<T> {
    /// What the event was, for counting what a run was busy with: `recv AppendEntries`.
    fn activity(&self) -> String {
        match self {
            TraceRecord::Deliver { kind, .. } => format!("recv {kind}"),
            TraceRecord::Drop { kind, reason, .. } => format!("drop {kind} {}", reason.name()),
            TraceRecord::Duplicate { kind, .. } => format!("duplicate {kind}"),
            TraceRecord::Timer { timer, .. } => format!("timer {timer:?}"),
            TraceRecord::Crash { .. } => "crash".to_string(),
            TraceRecord::Restart { .. } => "restart".to_string(),
            TraceRecord::Fault(_) => "fault".to_string(),
            TraceRecord::Persist { .. } => "persist".to_string(),
            TraceRecord::Storage { what, .. } => what.name().to_string(),
            TraceRecord::Emit { .. } => "emit".to_string(),
            TraceRecord::Request { .. } => "request".to_string(),
            TraceRecord::Call { .. } => "call".to_string(),
            TraceRecord::Note { .. } => "note".to_string(),
        }
    }

    /// The node that handled the event, if one did.
    fn handler(&self) -> Option<NodeId> {
        match self {
            TraceRecord::Deliver { to, .. } => Some(*to),
            TraceRecord::Timer { node, .. }
            | TraceRecord::Crash { node }
            | TraceRecord::Restart { node }
            | TraceRecord::Persist { node, .. }
            | TraceRecord::Storage { node, .. }
            | TraceRecord::Emit { node }
            | TraceRecord::Request { node }
            | TraceRecord::Call { node } => Some(*node),
            TraceRecord::Drop { .. }
            | TraceRecord::Duplicate { .. }
            | TraceRecord::Fault(_)
            | TraceRecord::Note { .. } => None,
        }
    }
}

/// Rendered lines, kept whole (`Full`) or as tails (`Diagnose`).
struct Lines {
    /// Keep every line, not only the latest.
    keep_all: bool,
    tail: usize,
    all: VecDeque<String>,
    nodes: Vec<NodeId>,
    involving: VecDeque<String>,
    window_from: Time,
    by_activity: BTreeMap<String, u64>,
    by_node: BTreeMap<NodeId, u64>,
}

impl Lines {
    fn push(&mut self, line: String, involves: &[NodeId]) {
        let touches = involves.is_empty() || involves.iter().any(|n| self.nodes.contains(n));
        if !self.nodes.is_empty() && touches {
            if self.involving.len() == self.tail {
                self.involving.pop_front();
            }
            self.involving.push_back(line.clone());
        }
        if !self.keep_all && self.all.len() == self.tail {
            self.all.pop_front();
        }
        self.all.push_back(line);
    }
}

/// What a trace shows of a failing run, beyond its hash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TailView {
    /// The latest events, oldest first, rendered.
    pub lines: Vec<String>,
    /// The latest events involving the violation's nodes (diagnosis only).
    pub focus: Vec<String>,
    /// Events since the diagnosis window opened, by kind and by handling node, busiest first
    /// (diagnosis only).
    pub activity: Vec<String>,
}

/// The trace: hash always, a record tail always, rendered lines when the mode asks.
pub struct Trace<T> {
    hasher: Hasher64,
    events: u64,
    tail: VecDeque<(Time, TraceRecord<T>)>,
    lines: Option<Lines>,
    /// Kept only when asked ([`Trace::record_timeline`]); fed from every record.
    timeline: Option<Box<Timeline>>,
}

impl<T: fmt::Debug + std::hash::Hash> Trace<T> {
    pub fn new(mode: TraceMode) -> Trace<T> {
        let lines = match mode {
            TraceMode::Hash => None,
            TraceMode::Diagnose {
                tail,
                nodes,
                window_from,
            } => Some(Lines {
                keep_all: false,
                tail: tail.max(1),
                all: VecDeque::new(),
                nodes,
                involving: VecDeque::new(),
                window_from,
                by_activity: BTreeMap::new(),
                by_node: BTreeMap::new(),
            }),
            TraceMode::Full => Some(Lines {
                keep_all: true,
                tail: TAIL_LEN,
                all: VecDeque::new(),
                nodes: Vec::new(),
                involving: VecDeque::new(),
                window_from: Time(u64::MAX),
                by_activity: BTreeMap::new(),
                by_node: BTreeMap::new(),
            }),
        };
        Trace {
            hasher: Hasher64::new(),
            events: 0,
            tail: VecDeque::with_capacity(TAIL_LEN + 1),
            lines,
            timeline: None,
        }
    }

    /// Keeps a [`Timeline`] of the run from now on, beside whatever the mode keeps.
    pub fn record_timeline(&mut self) {
        self.timeline.get_or_insert_with(Box::default);
    }

    pub fn timeline_mut(&mut self) -> Option<&mut Timeline> {
        self.timeline.as_deref_mut()
    }

    pub fn take_timeline(&mut self) -> Option<Box<Timeline>> {
        self.timeline.take()
    }

    /// Whether events are rendered as lines: callers format contents only when it is.
    pub fn is_rendering(&self) -> bool {
        self.lines.is_some()
    }

    /// Records an event. `content` is a digest of what the event carried (a message's
    /// checksum, the bytes persisted, an emitted event's or a request's `Debug` form), so that
    /// the hash covers contents, not only shapes.
    pub fn record(&mut self, now: Time, record: TraceRecord<T>, content: u64) {
        self.events += 1;
        self.hasher.write_u64(now.0);
        self.hash_record(&record);
        self.hasher.write_u64(content);
        if let Some(timeline) = self.timeline.as_deref_mut() {
            timeline.record(now, &record);
        }
        if let Some(lines) = self.lines.as_mut() {
            if now >= lines.window_from {
                *lines.by_activity.entry(record.activity()).or_default() += 1;
                if let Some(node) = record.handler() {
                    *lines.by_node.entry(node).or_default() += 1;
                }
            }
            return;
        }
        if self.tail.len() == TAIL_LEN {
            self.tail.pop_front();
        }
        self.tail.push_back((now, record));
    }

    /// Adds a rendered line that involves `involves` (none: every node, like a partition).
    /// The caller formats only when [`Trace::is_rendering`].
    pub fn line(&mut self, now: Time, involves: &[NodeId], text: impl fmt::Display) {
        if let Some(lines) = &mut self.lines {
            lines.push(format!("t={now} {text}"), involves);
        }
    }

    pub fn hash(&self) -> u64 {
        self.hasher.finish()
    }

    pub fn events(&self) -> u64 {
        self.events
    }

    /// The latest events (rendered lines when rendering, else records), and in a diagnosis
    /// the focus and activity too.
    pub fn tail_view(&self) -> TailView {
        let Some(lines) = &self.lines else {
            let lines = self
                .tail
                .iter()
                .map(|(time, record)| format!("t={time} {record}"))
                .collect();
            return TailView {
                lines,
                ..TailView::default()
            };
        };
        let take = lines.tail.min(lines.all.len());
        TailView {
            lines: lines
                .all
                .iter()
                .skip(lines.all.len() - take)
                .cloned()
                .collect(),
            focus: lines.involving.iter().cloned().collect(),
            activity: activity_lines(lines),
        }
    }

    /// Every rendered line, in `Full` mode.
    pub fn lines(&self) -> Option<Vec<String>> {
        self.lines
            .as_ref()
            .filter(|lines| lines.keep_all)
            .map(|lines| lines.all.iter().cloned().collect())
    }

    fn hash_record(&mut self, record: &TraceRecord<T>) {
        let h = &mut self.hasher;
        match record {
            TraceRecord::Deliver {
                from,
                to,
                kind,
                bytes,
                sent: _,
            } => {
                h.write_u64(1);
                h.write_u64(pair(*from, *to));
                h.write_str(kind);
                h.write_u64(u64::from(*bytes));
            }
            TraceRecord::Drop {
                from,
                to,
                kind,
                reason,
                sent: _,
            } => {
                h.write_u64(2);
                h.write_u64(pair(*from, *to));
                h.write_str(kind);
                h.write_u64(*reason as u64);
            }
            TraceRecord::Duplicate { from, to, kind } => {
                h.write_u64(3);
                h.write_u64(pair(*from, *to));
                h.write_str(kind);
            }
            TraceRecord::Timer { node, timer } => {
                single(h, 4, *node);
                h.write_u64(hash_value(timer));
            }
            TraceRecord::Crash { node } => single(h, 5, *node),
            TraceRecord::Restart { node } => single(h, 6, *node),
            TraceRecord::Fault(action) => {
                h.write_u64(7);
                h.write_str(&action.to_string());
            }
            TraceRecord::Persist { node, bytes } => {
                single(h, 8, *node);
                h.write_u64(u64::from(*bytes));
            }
            TraceRecord::Storage { node, what } => {
                single(h, 13, *node);
                h.write_u64(*what as u64);
            }
            TraceRecord::Emit { node } => single(h, 9, *node),
            TraceRecord::Request { node } => single(h, 11, *node),
            TraceRecord::Call { node } => single(h, 12, *node),
            TraceRecord::Note { text } => {
                h.write_u64(10);
                h.write_str(text);
            }
        }
    }
}

/// The window's counts, busiest first: what the run was doing when it failed.
fn activity_lines(lines: &Lines) -> Vec<String> {
    if lines.by_activity.is_empty() {
        return Vec::new();
    }
    let total: u64 = lines.by_activity.values().sum();
    let mut kinds: Vec<(&String, &u64)> = lines.by_activity.iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut nodes: Vec<(&NodeId, &u64)> = lines.by_node.iter().collect();
    nodes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let kinds: Vec<String> = kinds
        .iter()
        .take(8)
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect();
    let nodes: Vec<String> = nodes
        .iter()
        .take(5)
        .map(|(node, n)| format!("{node} {n}"))
        .collect();
    vec![
        format!("{total} events since t={}", lines.window_from),
        format!("by kind: {}", kinds.join(", ")),
        format!("busiest nodes: {}", nodes.join(", ")),
    ]
}

fn pair(from: NodeId, to: NodeId) -> u64 {
    (u64::from(from.0) << 32) | u64::from(to.0)
}

fn single(h: &mut Hasher64, tag: u64, node: NodeId) {
    h.write_u64(tag);
    h.write_u64(u64::from(node.0));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_covers_order_time_and_content() {
        let run = |events: &[(u64, u32, u64)]| {
            let mut trace: Trace<()> = Trace::new(TraceMode::Hash);
            for &(t, node, content) in events {
                trace.record(Time(t), TraceRecord::Emit { node: NodeId(node) }, content);
            }
            trace.hash()
        };
        let base = run(&[(1, 0, 0), (2, 1, 0)]);
        assert_eq!(base, run(&[(1, 0, 0), (2, 1, 0)]));
        assert_ne!(base, run(&[(1, 1, 0), (2, 0, 0)]));
        assert_ne!(base, run(&[(1, 0, 0), (3, 1, 0)]));
        assert_ne!(base, run(&[(1, 0, 0), (2, 1, 9)]));
    }

    #[test]
    fn the_mode_changes_what_is_kept_never_the_hash() {
        let modes = [
            TraceMode::Hash,
            TraceMode::Full,
            TraceMode::Diagnose {
                tail: 3,
                nodes: vec![NodeId(1)],
                window_from: Time(5),
            },
        ];
        let hashes: Vec<u64> = modes
            .into_iter()
            .map(|mode| {
                let mut trace: Trace<()> = Trace::new(mode);
                for i in 0..10 {
                    let node = NodeId(i % 3);
                    trace.record(Time(u64::from(i)), TraceRecord::Emit { node }, 0);
                    trace.line(Time(u64::from(i)), &[node], format_args!("{node} emit {i}"));
                }
                trace.hash()
            })
            .collect();
        assert!(hashes.windows(2).all(|w| w[0] == w[1]), "{hashes:x?}");
    }

    #[test]
    fn tail_keeps_the_latest_records() {
        let mut trace: Trace<()> = Trace::new(TraceMode::Hash);
        for i in 0..(TAIL_LEN as u64 + 5) {
            let text = format!("e{i}");
            trace.record(Time(i), TraceRecord::Note { text }, 0);
        }
        let tail = trace.tail_view().lines;
        assert_eq!(tail.len(), TAIL_LEN);
        assert!(tail[0].ends_with("e5"), "{}", tail[0]);
        assert_eq!(trace.events(), TAIL_LEN as u64 + 5);
        assert!(trace.lines().is_none());
    }

    #[test]
    fn a_diagnosis_keeps_the_tail_the_nodes_focus_and_the_activity() {
        let mode = TraceMode::Diagnose {
            tail: 2,
            nodes: vec![NodeId(1)],
            window_from: Time(6),
        };
        let mut trace: Trace<()> = Trace::new(mode);
        for i in 0..10u32 {
            let node = NodeId(i % 3);
            let at = Time(u64::from(i));
            trace.record(at, TraceRecord::Emit { node }, 0);
            trace.line(at, &[node], format_args!("{node} emit {i}"));
        }
        trace.line(Time(10), &[], "fault heal all");
        let view = trace.tail_view();
        assert_eq!(
            view.lines,
            ["t=0.009ms n0 emit 9", "t=0.010ms fault heal all"]
        );
        assert_eq!(
            view.focus,
            ["t=0.007ms n1 emit 7", "t=0.010ms fault heal all"]
        );
        assert_eq!(
            view.activity,
            [
                "4 events since t=0.006ms",
                "by kind: emit 4",
                "busiest nodes: n0 2, n1 1, n2 1"
            ]
        );
        assert!(trace.lines().is_none(), "a diagnosis keeps tails only");
    }

    #[test]
    fn full_mode_keeps_every_line() {
        let mut trace: Trace<()> = Trace::new(TraceMode::Full);
        for i in 0..100u64 {
            trace.line(Time(i), &[], format_args!("e{i}"));
        }
        assert_eq!(trace.lines().map(|l| l.len()), Some(100));
    }
}
