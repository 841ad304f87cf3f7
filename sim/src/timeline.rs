//! A structured record of a run for pictures of it: what each node was (a role and a term,
//! down, paused), which links were cut, and every message from its send to its delivery or
//! drop. The failure page and the Chrome trace are drawn from it.
//!
//! It is kept only when asked (a failing run's diagnosing replay, `--trace-format chrome`),
//! fed from the trace's records and from the world after each step, and never touches the
//! trace hash: a run records the same events with it or without it.

use crate::fault::FaultAction;
use crate::stats::DropReason;
use crate::trace::TraceRecord;
use protocol_core::{NodeId, Time};
use std::collections::VecDeque;
use std::fmt;

/// What a node is, for the timeline: a short label (`leader`, `map`, `clerk`) and an optional
/// number (a term, a task). Families describe their nodes with a `fn(&N) -> NodeState`
/// registered with the world ([`crate::Sim::describe_nodes`]); it is called only while a
/// timeline is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NodeState {
    pub label: &'static str,
    pub number: Option<u64>,
}

impl NodeState {
    pub const fn new(label: &'static str) -> NodeState {
        NodeState {
            label,
            number: None,
        }
    }

    pub const fn numbered(label: &'static str, number: u64) -> NodeState {
        NodeState {
            label,
            number: Some(number),
        }
    }

    /// What a node is when its family does not describe it.
    pub const UP: NodeState = NodeState::new("up");
}

impl fmt::Display for NodeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.number {
            Some(number) => write!(f, "{} {number}", self.label),
            None => f.write_str(self.label),
        }
    }
}

/// From `time` on, `node` is `state` (`None`: down, crashed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateChange {
    pub time: Time,
    pub node: NodeId,
    pub state: Option<NodeState>,
}

/// How a message's flight ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    Dropped(DropReason),
    /// Still in flight when the run ended.
    InFlight,
}

/// One message from its send to the end of its flight (a duplicate is a message of its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageFlight {
    pub from: NodeId,
    pub to: NodeId,
    pub kind: &'static str,
    pub sent: Time,
    pub end: Time,
    pub outcome: Outcome,
}

/// A node stalled from `from` to `until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PauseSpan {
    pub node: NodeId,
    pub from: Time,
    pub until: Time,
}

/// From `time` on, these directed links are down (empty: a whole network).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkEpoch {
    pub time: Time,
    pub down: Vec<(NodeId, NodeId)>,
}

/// Something that happened at an instant: a fault, a scenario's note, a timer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    pub time: Time,
    /// The nodes it involves; empty for the whole world.
    pub nodes: Vec<NodeId>,
    pub kind: MarkKind,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    Fault,
    Note,
    Timer,
}

/// The timeline of one run. Message flights are capped at [`Timeline::MAX_MESSAGES`] (the
/// latest kept, `messages_omitted` counting the rest): a long run's picture is about its end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    pub nodes: usize,
    pub states: Vec<StateChange>,
    pub messages: VecDeque<MessageFlight>,
    pub messages_omitted: u64,
    pub pauses: Vec<PauseSpan>,
    pub links: Vec<LinkEpoch>,
    pub marks: Vec<Mark>,
    /// Timer marks are many and matter little: past [`Timeline::MAX_TIMERS`] they are
    /// counted here instead.
    pub timers_omitted: u64,
    timers_kept: usize,
    /// When the run ended (set by the world when the timeline is taken).
    pub end: Time,
    /// Each node's latest state, to record changes only.
    current: Vec<Option<NodeState>>,
}

impl Timeline {
    pub const MAX_MESSAGES: usize = 1_000_000;
    pub const MAX_TIMERS: usize = 100_000;

    /// Feeds one trace record. `sent` is when a delivered or dropped message left.
    pub(crate) fn record<T: fmt::Debug>(&mut self, now: Time, record: &TraceRecord<T>) {
        match record {
            TraceRecord::Deliver {
                from,
                to,
                kind,
                sent,
                ..
            } => self.flight(*from, *to, kind, *sent, now, Outcome::Delivered),
            TraceRecord::Drop {
                from,
                to,
                kind,
                reason,
                sent,
            } => self.flight(*from, *to, kind, *sent, now, Outcome::Dropped(*reason)),
            TraceRecord::Crash { node } => self.set_state(now, *node, None),
            TraceRecord::Fault(action) => self.fault(now, action),
            TraceRecord::Note { text } => self.marks.push(Mark {
                time: now,
                nodes: Vec::new(),
                kind: MarkKind::Note,
                text: text.clone(),
            }),
            TraceRecord::Timer { node, timer } => self.timer(now, *node, timer),
            TraceRecord::Duplicate { .. }
            | TraceRecord::Restart { .. }
            | TraceRecord::Persist { .. }
            | TraceRecord::Storage { .. }
            | TraceRecord::Emit { .. }
            | TraceRecord::Request { .. }
            | TraceRecord::Call { .. } => {}
        }
    }

    /// `node` is `state` now (`None`: down); recorded only if it changed.
    pub fn set_state(&mut self, now: Time, node: NodeId, state: Option<NodeState>) {
        let index = node.index();
        if self.current.len() <= index {
            self.current.resize(index + 1, None);
            self.nodes = self.nodes.max(index + 1);
        }
        let known = self.states.iter().any(|s| s.node == node);
        if known && self.current[index] == state {
            return;
        }
        self.current[index] = state;
        self.states.push(StateChange {
            time: now,
            node,
            state,
        });
    }

    /// The links that are down after a fault; recorded only if they changed.
    pub fn set_links(&mut self, now: Time, down: Vec<(NodeId, NodeId)>) {
        if self
            .links
            .last()
            .map_or(down.is_empty(), |l| l.down == down)
        {
            return;
        }
        self.links.push(LinkEpoch { time: now, down });
    }

    /// Ends the timeline at `now`: messages still in flight are marked so.
    pub fn finish(&mut self, now: Time, in_flight: impl IntoIterator<Item = MessageFlight>) {
        self.end = now;
        for flight in in_flight {
            self.push_flight(flight);
        }
    }

    fn flight(
        &mut self,
        from: NodeId,
        to: NodeId,
        kind: &'static str,
        sent: Time,
        now: Time,
        outcome: Outcome,
    ) {
        self.push_flight(MessageFlight {
            from,
            to,
            kind,
            sent,
            end: now,
            outcome,
        });
    }

    fn push_flight(&mut self, flight: MessageFlight) {
        if self.messages.len() == Self::MAX_MESSAGES {
            self.messages.pop_front();
            self.messages_omitted += 1;
        }
        self.messages.push_back(flight);
    }

    fn fault(&mut self, now: Time, action: &FaultAction) {
        if let FaultAction::Pause { node, micros } = action {
            self.pauses.push(PauseSpan {
                node: *node,
                from: now,
                until: now.plus_micros(*micros),
            });
        }
        if action.is_fault() || matches!(action, FaultAction::HealAll | FaultAction::HealLinks) {
            self.marks.push(Mark {
                time: now,
                nodes: action.nodes(),
                kind: MarkKind::Fault,
                text: action.to_string(),
            });
        }
    }

    fn timer<T: fmt::Debug>(&mut self, now: Time, node: NodeId, timer: &T) {
        if self.timers_kept >= Self::MAX_TIMERS {
            self.timers_omitted += 1;
            return;
        }
        self.timers_kept += 1;
        self.marks.push(Mark {
            time: now,
            nodes: vec![node],
            kind: MarkKind::Timer,
            text: format!("{timer:?}"),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deliver(from: u32, to: u32, sent: u64) -> TraceRecord<()> {
        TraceRecord::Deliver {
            from: NodeId(from),
            to: NodeId(to),
            kind: "Ping",
            bytes: 4,
            sent: Time(sent),
        }
    }

    #[test]
    fn states_are_recorded_when_they_change() {
        let mut timeline = Timeline::default();
        let leader = Some(NodeState::numbered("leader", 2));
        timeline.set_state(Time(1), NodeId(1), leader);
        timeline.set_state(Time(2), NodeId(1), leader);
        timeline.set_state(Time(3), NodeId(1), None);
        assert_eq!(timeline.nodes, 2);
        let times: Vec<u64> = timeline.states.iter().map(|s| s.time.0).collect();
        assert_eq!(times, [1, 3]);
    }

    #[test]
    fn a_flight_runs_from_its_send_to_its_delivery() {
        let mut timeline = Timeline::default();
        timeline.record(Time(50), &deliver(0, 1, 10));
        let drop: TraceRecord<()> = TraceRecord::Drop {
            from: NodeId(1),
            to: NodeId(0),
            kind: "Pong",
            reason: DropReason::Lost,
            sent: Time(60),
        };
        timeline.record(Time(60), &drop);
        let flights: Vec<(u64, u64, Outcome)> = timeline
            .messages
            .iter()
            .map(|m| (m.sent.0, m.end.0, m.outcome))
            .collect();
        assert_eq!(
            flights,
            [
                (10, 50, Outcome::Delivered),
                (60, 60, Outcome::Dropped(DropReason::Lost))
            ]
        );
    }

    #[test]
    fn pauses_become_spans_and_faults_marks() {
        let mut timeline = Timeline::default();
        let pause = FaultAction::Pause {
            node: NodeId(2),
            micros: 500,
        };
        timeline.record::<()>(Time(100), &TraceRecord::Fault(pause));
        assert_eq!(
            timeline.pauses,
            [PauseSpan {
                node: NodeId(2),
                from: Time(100),
                until: Time(600)
            }]
        );
        assert_eq!(timeline.marks.len(), 1);
        assert_eq!(timeline.marks[0].nodes, [NodeId(2)]);
    }

    #[test]
    fn link_epochs_change_only_when_the_links_do() {
        let mut timeline = Timeline::default();
        timeline.set_links(Time(1), Vec::new());
        assert!(timeline.links.is_empty(), "a whole network from the start");
        let cut = vec![(NodeId(0), NodeId(1))];
        timeline.set_links(Time(2), cut.clone());
        timeline.set_links(Time(3), cut);
        timeline.set_links(Time(4), Vec::new());
        let times: Vec<u64> = timeline.links.iter().map(|l| l.time.0).collect();
        assert_eq!(times, [2, 4]);
    }
}
