//! The controller's roles in a sharded-KV run: [`Hosted`] runs a controller role as a role of
//! `ShardKvNode` (its messages travel wrapped in `ShardKvMsg::Ctrler`), and [`lift`] carries a
//! controller role's outputs into a host's outbox, which is also how group servers and clerks
//! run the controller clerk they embed.

use crate::msg::ShardKvMsg;
use protocol_core::{BootError, Disk, Input, Node, NodeId, Outbox, Output, Time};
use shardctrler::CtrlerMsg;

/// Moves a controller role's outputs into `into`, in order: sends wrapped, timers through
/// `timer`, events to `on_event` (a hosted role emits them, an embedding owner reads them).
pub fn lift<R, N>(
    from: &mut Outbox<R>,
    into: &mut Outbox<N>,
    timer: fn(R::Timer) -> N::Timer,
    mut on_event: impl FnMut(R::Event, &mut Outbox<N>),
) where
    R: Node<Msg = CtrlerMsg>,
    N: Node<Msg = ShardKvMsg>,
{
    for output in from.drain() {
        match output {
            Output::Send { to, msg } => into.send(to, ShardKvMsg::Ctrler(msg)),
            Output::SetTimer { timer: t, at } => into.set_timer(timer(t), at),
            Output::CancelTimer(t) => into.cancel_timer(timer(t)),
            Output::Persist(write) => into.persist(write),
            Output::File(op) => into.file(op),
            Output::Sync { target, token } => into.sync(target, token),
            Output::Halt(reason) => into.halt(reason),
            Output::Emit(event) => on_event(event, into),
        }
    }
}

/// A controller role (server or clerk) as a role of a sharded-KV run.
pub struct Hosted<R>(R);

impl<R> Hosted<R> {
    pub fn inner(&self) -> &R {
        &self.0
    }
}

fn same<T>(t: T) -> T {
    t
}

impl<R: Node<Msg = CtrlerMsg>> Node for Hosted<R> {
    type Msg = ShardKvMsg;
    type Timer = R::Timer;
    type Request = R::Request;
    type Event = R::Event;
    type Config = R::Config;

    fn boot(
        config: &R::Config,
        id: NodeId,
        disk: &Disk,
        seed: u64,
        now: Time,
        out: &mut Outbox<Hosted<R>>,
    ) -> Result<Hosted<R>, BootError> {
        let mut inner = Outbox::new();
        let role = R::boot(config, id, disk, seed, now, &mut inner)?;
        lift(&mut inner, out, same, |event, out| out.emit(event));
        Ok(Hosted(role))
    }

    fn handle(&mut self, now: Time, input: Input<Hosted<R>>, out: &mut Outbox<Hosted<R>>) {
        let input = match input {
            Input::Message {
                from,
                msg: ShardKvMsg::Ctrler(msg),
            } => Input::Message { from, msg },
            // Not the controller's: misaddressed, dropped.
            Input::Message { .. } => return,
            Input::Timer(timer) => Input::Timer(timer),
            Input::Request(request) => Input::Request(request),
            Input::Synced { token, result } => Input::Synced { token, result },
        };
        let mut inner = Outbox::new();
        self.0.handle(now, input, &mut inner);
        lift(&mut inner, out, same, |event, out| out.emit(event));
    }

    fn check_invariants(&self) {
        self.0.check_invariants();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol_core::ClientId;
    use raft::RaftTimer;
    use shardctrler::{
        ClerkConfig, ClerkEvent, Command, CtrlerClerk, CtrlerOp, CtrlerServer, ServerConfig,
    };

    #[test]
    fn a_hosted_clerk_sends_wrapped_and_emits_its_own_events() {
        let config = ClerkConfig::new(ClientId(4), vec![NodeId(1)]);
        let mut out = Outbox::new();
        let mut clerk =
            Hosted::<CtrlerClerk>::boot(&config, NodeId(4), &Disk::new(), 0, Time::ZERO, &mut out)
                .unwrap();
        clerk.handle(
            Time::ZERO,
            Input::Request(CtrlerOp::Query { num: None }),
            &mut out,
        );
        let outputs = out.outputs();
        assert!(
            matches!(outputs[0], Output::Emit(ClerkEvent::Invoked { seq: 1, .. })),
            "{out:?}"
        );
        assert!(matches!(
            &outputs[1],
            Output::Send {
                msg: ShardKvMsg::Ctrler(CtrlerMsg::Request(Command { seq: 1, .. })),
                ..
            }
        ));
        let before = out.len();
        let stray = ShardKvMsg::Raft(raft::RaftMsg::RequestVoteReply(
            raft::msg::RequestVoteReply {
                term: raft::Term(1),
                vote_granted: true,
            },
        ));
        clerk.handle(
            Time::ZERO,
            Input::Message {
                from: NodeId(1),
                msg: stray,
            },
            &mut out,
        );
        assert_eq!(out.len(), before, "not the controller's message: dropped");
    }

    #[test]
    fn a_hosted_server_sends_its_raft_messages_wrapped() {
        let config = ServerConfig::new(raft::Config::with_size(3), None);
        let mut out = Outbox::new();
        let mut server =
            Hosted::<CtrlerServer>::boot(&config, NodeId(0), &Disk::new(), 0, Time::ZERO, &mut out)
                .unwrap();
        // A disk durable at once: the vote requests leave once the new term is synced.
        let mut disk = protocol_core::instant::InstantDisk::new();
        disk.settle(&mut server, Time::ZERO, &mut out);
        server.handle(
            Time::from_secs(5),
            Input::Timer(RaftTimer::Election),
            &mut out,
        );
        let outputs = disk.settle(&mut server, Time::from_secs(5), &mut out);
        let votes = outputs
            .iter()
            .filter(|o| {
                matches!(
                    o,
                    Output::Send {
                        msg: ShardKvMsg::Ctrler(CtrlerMsg::Raft(_)),
                        ..
                    }
                )
            })
            .count();
        assert_eq!(votes, 2, "n0 asks both peers for votes: {outputs:?}");
    }
}
