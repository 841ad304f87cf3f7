//! One node type for a whole run: the coordinator or a worker, chosen by id at boot.

use crate::config::MrConfig;
use crate::coordinator::{CoordEvent, CoordTimer, Coordinator};
use crate::fs::FsReply;
use crate::msg::MrMsg;
use crate::worker::{Worker, WorkerEvent, WorkerTimer};
use protocol_core::{BootError, Disk, Input, Node, NodeId, Outbox, Output, Time};

pub enum MrNode {
    Coordinator(Coordinator),
    Worker(Worker),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MrTimer {
    Coordinator(CoordTimer),
    Worker(WorkerTimer),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MrEvent {
    Coordinator(CoordEvent),
    Worker(WorkerEvent),
}

impl Node for MrNode {
    type Msg = MrMsg;
    type Timer = MrTimer;
    type Request = FsReply;
    type Event = MrEvent;
    type Config = MrConfig;

    /// Node `config.coordinator` is the coordinator; every other id is a worker.
    fn boot(
        config: &MrConfig,
        id: NodeId,
        disk: &Disk,
        seed: u64,
        now: Time,
        out: &mut Outbox<Self>,
    ) -> Result<Self, BootError> {
        if id == config.coordinator {
            let mut inner = Outbox::new();
            let node = Coordinator::boot(config, id, disk, seed, now, &mut inner)?;
            lift(&mut inner, out, MrTimer::Coordinator, MrEvent::Coordinator);
            Ok(MrNode::Coordinator(node))
        } else {
            let mut inner = Outbox::new();
            let node = Worker::boot(config, id, disk, seed, now, &mut inner)?;
            lift(&mut inner, out, MrTimer::Worker, MrEvent::Worker);
            Ok(MrNode::Worker(node))
        }
    }

    fn handle(&mut self, now: Time, input: Input<Self>, out: &mut Outbox<Self>) {
        match self {
            MrNode::Coordinator(node) => {
                let input = match input {
                    Input::Message { from, msg } => Input::Message { from, msg },
                    Input::Timer(MrTimer::Coordinator(timer)) => Input::Timer(timer),
                    Input::Timer(MrTimer::Worker(timer)) => {
                        unreachable!("coordinator got worker timer {timer:?}: driver bug")
                    }
                    Input::Request(reply) => {
                        unreachable!("coordinator got file reply {reply:?}: driver bug")
                    }
                };
                let mut inner = Outbox::new();
                node.handle(now, input, &mut inner);
                lift(&mut inner, out, MrTimer::Coordinator, MrEvent::Coordinator);
            }
            MrNode::Worker(node) => {
                let input = match input {
                    Input::Message { from, msg } => Input::Message { from, msg },
                    Input::Timer(MrTimer::Worker(timer)) => Input::Timer(timer),
                    Input::Timer(MrTimer::Coordinator(timer)) => {
                        unreachable!("worker got coordinator timer {timer:?}: driver bug")
                    }
                    Input::Request(reply) => Input::Request(reply),
                };
                let mut inner = Outbox::new();
                node.handle(now, input, &mut inner);
                lift(&mut inner, out, MrTimer::Worker, MrEvent::Worker);
            }
        }
    }

    fn check_invariants(&self) {
        match self {
            MrNode::Coordinator(node) => node.check_invariants(),
            MrNode::Worker(node) => node.check_invariants(),
        }
    }
}

/// Moves a role's outputs into the shared outbox, in order, wrapping timers and events.
fn lift<N: Node<Msg = MrMsg>>(
    inner: &mut Outbox<N>,
    out: &mut Outbox<MrNode>,
    timer: fn(N::Timer) -> MrTimer,
    event: fn(N::Event) -> MrEvent,
) {
    for output in inner.drain() {
        out.push(match output {
            Output::Send { to, msg } => Output::Send { to, msg },
            Output::SetTimer { timer: t, at } => Output::SetTimer {
                timer: timer(t),
                at,
            },
            Output::CancelTimer(t) => Output::CancelTimer(timer(t)),
            Output::Persist(write) => Output::Persist(write),
            Output::Emit(e) => Output::Emit(event(e)),
        });
    }
}
