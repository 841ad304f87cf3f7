//! The controller's roles inside a sharded-KV node: inputs of the host's types handed down in
//! the controller's types, outputs lifted back (sends wrapped in `ShardKvMsg::Ctrler`, timers
//! in `ShardKvTimer::Ctrler`, durable writes as they are). What becomes of a role's events is
//! the host's choice: a standalone role emits them, an embedded clerk's owner consumes them.

use crate::msg::ShardKvMsg;
use crate::node::{ShardKvNode, ShardKvRequest, ShardKvTimer};
use protocol_core::{Input, NodeId, Outbox, Output};
use shardctrler::{CtrlerEvent, CtrlerNode, CtrlerRequest};

/// `input` in the controller's types; `None` for a message that is not the controller's
/// (misaddressed: dropped). A timer or request of another role is a driver bug.
pub fn ctrler_input(id: NodeId, input: Input<ShardKvNode>) -> Option<Input<CtrlerNode>> {
    match input {
        Input::Message {
            from,
            msg: ShardKvMsg::Ctrler(msg),
        } => Some(Input::Message { from, msg }),
        Input::Message { .. } => None,
        Input::Timer(ShardKvTimer::Ctrler(timer)) => Some(Input::Timer(timer)),
        Input::Timer(timer) => panic!("{id}: timer {timer:?} on a controller role"),
        Input::Request(ShardKvRequest::Ctrler(op)) => {
            Some(Input::Request(CtrlerRequest::Invoke(op)))
        }
        Input::Request(request) => panic!("{id}: request {request:?} on a controller role"),
    }
}

/// Moves the controller role's outputs into `into`, in order; events go to `on_event`.
pub fn lift_ctrler(
    from: &mut Outbox<CtrlerNode>,
    into: &mut Outbox<ShardKvNode>,
    mut on_event: impl FnMut(CtrlerEvent, &mut Outbox<ShardKvNode>),
) {
    for output in from.drain() {
        match output {
            Output::Send { to, msg } => into.send(to, ShardKvMsg::Ctrler(msg)),
            Output::SetTimer { timer, at } => into.set_timer(ShardKvTimer::Ctrler(timer), at),
            Output::CancelTimer(timer) => into.cancel_timer(ShardKvTimer::Ctrler(timer)),
            Output::Persist(write) => into.persist(write),
            Output::Emit(event) => on_event(event, into),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol_core::Time;
    use raft::RaftTimer;
    use shardctrler::{CtrlerMsg, CtrlerOp, CtrlerTimer};

    #[test]
    fn inputs_go_down_and_outputs_come_up_wrapped() {
        let reply = ShardKvMsg::Raft(raft::RaftMsg::RequestVoteReply(
            raft::msg::RequestVoteReply {
                term: raft::Term(1),
                vote_granted: true,
            },
        ));
        assert!(
            ctrler_input(
                NodeId(1),
                Input::Message {
                    from: NodeId(2),
                    msg: reply
                }
            )
            .is_none(),
            "not the controller's: dropped"
        );
        let timer = Input::Timer(ShardKvTimer::Ctrler(CtrlerTimer::Raft(RaftTimer::Election)));
        assert!(matches!(
            ctrler_input(NodeId(1), timer),
            Some(Input::Timer(CtrlerTimer::Raft(RaftTimer::Election)))
        ));
        let mut from: Outbox<CtrlerNode> = Outbox::new();
        let query = CtrlerOp::Query { num: None };
        from.send(
            NodeId(3),
            CtrlerMsg::Request(shardctrler::Command {
                client: protocol_core::ClientId(1),
                seq: 1,
                op: query,
            }),
        );
        from.set_timer(CtrlerTimer::Retry, Time(5));
        from.emit(CtrlerEvent::Raft(raft::RaftEvent::Snapshot {
            index: raft::LogIndex(1),
            term: raft::Term(1),
            data: Vec::new(),
        }));
        let mut into: Outbox<ShardKvNode> = Outbox::new();
        let mut events = 0;
        lift_ctrler(&mut from, &mut into, |_, _| events += 1);
        assert_eq!(events, 1);
        assert!(matches!(
            into.outputs()[0],
            Output::Send {
                msg: ShardKvMsg::Ctrler(_),
                ..
            }
        ));
        assert!(matches!(
            into.outputs()[1],
            Output::SetTimer {
                timer: ShardKvTimer::Ctrler(CtrlerTimer::Retry),
                ..
            }
        ));
        assert!(from.is_empty());
    }

    #[test]
    #[should_panic(expected = "n1: timer Tick on a controller role")]
    fn a_shardkv_timer_on_a_controller_role_is_a_driver_bug() {
        ctrler_input(NodeId(1), Input::Timer(ShardKvTimer::Tick));
    }
}
