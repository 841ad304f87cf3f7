//! The trace of a run: a running 64-bit hash of every event, the last events for failure
//! reports, and (when asked) every event rendered as a line.

use crate::fault::FaultAction;
use crate::hash::{hash_debug, Hasher64};
use crate::stats::DropReason;
use protocol_core::{NodeId, Time};
use std::collections::VecDeque;
use std::fmt;

/// How many of the latest events a failure report shows.
pub const TAIL_LEN: usize = 40;

/// One event of a run. Cheap to record: no message is formatted unless a line is wanted.
#[derive(Clone, Debug)]
pub enum TraceRecord<T> {
    Deliver {
        from: NodeId,
        to: NodeId,
        kind: &'static str,
        bytes: u32,
    },
    Drop {
        from: NodeId,
        to: NodeId,
        kind: &'static str,
        reason: DropReason,
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
            } => {
                write!(f, "{to} recv {kind} from {from} ({bytes}B)")
            }
            TraceRecord::Drop {
                from,
                to,
                kind,
                reason,
            } => {
                write!(f, "drop {kind} {from}->{to} {}", reason.name())
            }
            TraceRecord::Duplicate { from, to, kind } => write!(f, "duplicate {kind} {from}->{to}"),
            TraceRecord::Timer { node, timer } => write!(f, "{node} timer {timer:?}"),
            TraceRecord::Crash { node } => write!(f, "{node} crash"),
            TraceRecord::Restart { node } => write!(f, "{node} restart"),
            TraceRecord::Fault(action) => write!(f, "fault {action}"),
            TraceRecord::Persist { node, bytes } => write!(f, "{node} persist {bytes}B"),
            TraceRecord::Emit { node } => write!(f, "{node} emit"),
            TraceRecord::Request { node } => write!(f, "{node} request"),
            TraceRecord::Call { node } => write!(f, "{node} call"),
            TraceRecord::Note { text } => write!(f, "{text}"),
        }
    }
}

/// The trace: hash always, tail always, every line only in full mode.
pub struct Trace<T> {
    hasher: Hasher64,
    events: u64,
    tail: VecDeque<(Time, TraceRecord<T>)>,
    lines: Option<Vec<String>>,
}

impl<T: fmt::Debug> Trace<T> {
    pub fn new(full: bool) -> Trace<T> {
        Trace {
            hasher: Hasher64::new(),
            events: 0,
            tail: VecDeque::with_capacity(TAIL_LEN + 1),
            lines: full.then(Vec::new),
        }
    }

    pub fn is_full(&self) -> bool {
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
        if self.tail.len() == TAIL_LEN {
            self.tail.pop_front();
        }
        self.tail.push_back((now, record));
    }

    /// Adds a rendered line in full mode (the caller formats only when `is_full`).
    pub fn line(&mut self, now: Time, text: impl fmt::Display) {
        if let Some(lines) = &mut self.lines {
            lines.push(format!("t={now} {text}"));
        }
    }

    pub fn hash(&self) -> u64 {
        self.hasher.finish()
    }

    pub fn events(&self) -> u64 {
        self.events
    }

    /// The latest events, oldest first, rendered.
    pub fn tail_lines(&self) -> Vec<String> {
        self.tail
            .iter()
            .map(|(time, record)| format!("t={time} {record}"))
            .collect()
    }

    pub fn lines(&self) -> Option<&[String]> {
        self.lines.as_deref()
    }

    fn hash_record(&mut self, record: &TraceRecord<T>) {
        let h = &mut self.hasher;
        match record {
            TraceRecord::Deliver {
                from,
                to,
                kind,
                bytes,
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
                h.write_u64(hash_debug(timer));
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
            let mut trace: Trace<()> = Trace::new(false);
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
    fn tail_keeps_the_latest() {
        let mut trace: Trace<()> = Trace::new(false);
        for i in 0..(TAIL_LEN as u64 + 5) {
            trace.record(
                Time(i),
                TraceRecord::Note {
                    text: format!("e{i}"),
                },
                0,
            );
        }
        let tail = trace.tail_lines();
        assert_eq!(tail.len(), TAIL_LEN);
        assert!(tail[0].ends_with("e5"), "{}", tail[0]);
        assert_eq!(trace.events(), TAIL_LEN as u64 + 5);
        assert!(trace.lines().is_none());
    }
}
