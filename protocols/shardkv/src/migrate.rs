//! A group server's side of reconfiguration: polling the controller (through the embedded
//! controller clerk), pulling shards from their old owners, telling old owners to delete, and
//! answering other groups' pulls and notices. Messages are only prompts: every change to the
//! shards goes through the log (`GroupOp`), and each prompt is repeated on every tick until
//! the log shows its effect, so a lost, duplicated or reordered message, or a crash anywhere,
//! only delays a migration.

use crate::embed::lift;
use crate::msg::{PullAnswer, PullReply, PullShards, ShardKvMsg, ShardsInstalled};
use crate::mutant::Mutant;
use crate::node::ServerTimer;
use crate::server::ShardKvServer;
use crate::shard::ShardStatus;
use crate::state::GroupOp;
use protocol_core::{Input, Node, NodeId, Outbox, Time};
use shardctrler::{
    Answer, ClerkEvent, ClerkTimer as CtrlerClerkTimer, Config, CtrlerClerk, CtrlerMsg, CtrlerOp,
    GroupId, ShardId,
};

/// Which server of an old owner is prompted first (the last to answer usefully), and
/// whether an answer was taken since the last round of prompts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Turn {
    at: usize,
    taken: bool,
}

impl ShardKvServer {
    pub(crate) fn on_tick(&mut self, now: Time, out: &mut Outbox<ShardKvServer>) {
        if now < self.tick_at {
            return; // Stale: the deadline moved.
        }
        self.tick_at = now.plus_ms(self.config.poll_ms);
        out.set_timer(ServerTimer::Tick, self.tick_at);
        if self.rsm.is_leader() {
            self.migrate(now, true, out);
        }
    }

    /// The leader's round: pull what is missing, tell old owners what arrived, and when every
    /// shard is settled ask the controller for the next configuration. `retry` is the tick's
    /// round, which repeats the prompts of earlier rounds; any other round follows a change.
    pub(crate) fn migrate(&mut self, now: Time, retry: bool, out: &mut Outbox<ShardKvServer>) {
        let num = self.state.config().num;
        for (owner, shards) in self.state.pulls_needed() {
            for to in self.servers_to_prompt(owner, retry) {
                let pull = PullShards {
                    num,
                    shards: shards.clone(),
                };
                out.send(to, ShardKvMsg::Pull(pull));
            }
        }
        for (owner, shards) in self.state.confirms_needed() {
            for to in self.servers_to_prompt(owner, retry) {
                let installed = ShardsInstalled {
                    num,
                    shards: shards.clone(),
                };
                out.send(to, ShardKvMsg::Installed(installed));
            }
        }
        if self.state.is_settled() && !self.ctrler.is_busy() {
            // One configuration at a time, in order (the skip-configs mutant asks for the latest).
            let next = (!self.config.is_mutant(Mutant::SkipConfigs)).then(|| num.next());
            let query = CtrlerOp::Query { num: next };
            self.run_ctrler(now, Input::Request(query), out);
        }
    }

    /// The servers of `owner` (a group of the previous configuration) to prompt: after a
    /// change, the one that last answered; on the tick's retry, all of them. Only the old
    /// owner's leader starts a Delete, and only replicas that applied the step answer a pull,
    /// so prompting one server a round in turn (as before) sent most prompts to a follower
    /// that dropped them or was not ready, a poll lost each time: seeds 100781 and 101887
    /// fell a whole backlog of configurations behind that way.
    fn servers_to_prompt(&mut self, owner: GroupId, retry: bool) -> Vec<NodeId> {
        let Some(servers) = self.state.prev().servers(owner) else {
            return Vec::new();
        };
        let turn = self.turn.entry(owner).or_default();
        turn.taken = false;
        if retry {
            return servers.to_vec();
        }
        servers
            .get(turn.at % servers.len())
            .into_iter()
            .copied()
            .collect()
    }

    /// Whether to act on a useful answer (shards, or word of their deletion) from `from`, a
    /// server of `owner`: the round's first is taken, and its sender is prompted first next
    /// time; the rest of the round's answers repeat it.
    fn take_answer(&mut self, owner: GroupId, from: NodeId) -> bool {
        let Some(at) = (self.state.prev().servers(owner))
            .and_then(|servers| servers.iter().position(|&s| s == from))
        else {
            return true; // Not a server we prompted (a stale reply): no turn to keep.
        };
        let turn = self.turn.entry(owner).or_default();
        if turn.taken {
            return turn.at == at;
        }
        *turn = Turn { at, taken: true };
        true
    }

    pub(crate) fn on_ctrler_message(
        &mut self,
        now: Time,
        from: NodeId,
        msg: CtrlerMsg,
        out: &mut Outbox<ShardKvServer>,
    ) {
        self.run_ctrler(now, Input::Message { from, msg }, out);
    }

    pub(crate) fn on_ctrler_timer(
        &mut self,
        now: Time,
        timer: CtrlerClerkTimer,
        out: &mut Outbox<ShardKvServer>,
    ) {
        self.run_ctrler(now, Input::Timer(timer), out);
    }

    /// Runs the embedded controller clerk; a configuration it returns may be the next step.
    fn run_ctrler(
        &mut self,
        now: Time,
        input: Input<CtrlerClerk>,
        out: &mut Outbox<ShardKvServer>,
    ) {
        let mut inner = Outbox::new();
        self.ctrler.handle(now, input, &mut inner);
        let mut answered = None;
        // Its Invoked and Returned stay inside: a restarted server's clerk starts its
        // sequence numbers again, which a history of controller calls would reject.
        lift(&mut inner, out, ServerTimer::Ctrler, |event, _| {
            if let ClerkEvent::Returned {
                answer: Answer::Config(config),
                ..
            } = event
            {
                answered = Some(config);
            }
        });
        if let Some(config) = answered {
            self.on_config(now, config);
        }
    }

    fn on_config(&mut self, now: Time, config: Config) {
        let current = self.state.config().num;
        let wanted = config.num == current.next()
            || (self.config.is_mutant(Mutant::SkipConfigs) && config.num > current);
        if wanted && self.rsm.is_leader() && self.state.is_settled() {
            self.start_own(now, GroupOp::Reconfigure(config));
        }
    }

    /// Any replica answers: shards in Sending are frozen, so every replica that has applied
    /// the step into `num` holds the same final data.
    pub(crate) fn on_pull(
        &mut self,
        now: Time,
        from: NodeId,
        pull: PullShards,
        out: &mut Outbox<ShardKvServer>,
    ) {
        let Some(answer) = self.state.answer_pull(pull.num, &pull.shards) else {
            return; // Past `num`: the puller installed them already and will see it in its log.
        };
        if let (PullAnswer::Shards(sent), true) =
            (&answer, self.config.is_mutant(Mutant::DeleteBeforeConfirm))
        {
            let shards = sent.iter().map(|(s, _)| *s).collect();
            self.start_own(
                now,
                GroupOp::Delete {
                    num: pull.num,
                    shards,
                },
            );
        }
        let reply = PullReply {
            num: pull.num,
            from: self.state.gid(),
            answer,
        };
        out.send(from, ShardKvMsg::PullReply(reply));
    }

    pub(crate) fn on_pull_reply(&mut self, now: Time, from: NodeId, reply: PullReply) {
        let PullAnswer::Shards(shards) = reply.answer else {
            return; // NotReady: the next tick asks again, of every server.
        };
        let state = &self.state;
        let wanted: Vec<_> = shards
            .into_iter()
            .filter(|(s, _)| {
                s.is_valid()
                    && state.shard(*s).status == ShardStatus::Pulling
                    && state.prev().owner(*s) == reply.from
            })
            .collect();
        // A later reply of the round (from another replica) repeats the first: its Install
        // is started already.
        if reply.num == state.config().num
            && !wanted.is_empty()
            && self.rsm.is_leader()
            && self.take_answer(reply.from, from)
        {
            self.start_own(
                now,
                GroupOp::Install {
                    num: reply.num,
                    from: reply.from,
                    shards: wanted,
                },
            );
        }
    }

    /// The new owner has the shards: delete them through the log, then say so.
    pub(crate) fn on_installed(
        &mut self,
        now: Time,
        from: NodeId,
        installed: ShardsInstalled,
        out: &mut Outbox<ShardKvServer>,
    ) {
        if self.state.has_deleted(installed.num, &installed.shards) {
            return out.send(from, ShardKvMsg::Deleted(installed));
        }
        if installed.num != self.state.config().num || !self.rsm.is_leader() {
            return; // Behind, or not leading: the new owner asks again, maybe elsewhere.
        }
        self.start_own(
            now,
            GroupOp::Delete {
                num: installed.num,
                shards: installed.shards.clone(),
            },
        );
        if !self.deletion_waiters.contains(&(from, installed.clone())) {
            self.deletion_waiters.push((from, installed));
        }
    }

    /// Answers the new owners whose shards are now deleted; forgets them all on losing the
    /// lead (they ask again).
    pub(crate) fn answer_deletion_waiters(&mut self, out: &mut Outbox<ShardKvServer>) {
        if !self.rsm.is_leader() {
            self.deletion_waiters.clear();
        }
        let state = &self.state;
        self.deletion_waiters.retain(|(to, installed)| {
            let done = state.has_deleted(installed.num, &installed.shards);
            if done {
                out.send(*to, ShardKvMsg::Deleted(installed.clone()));
            }
            !done
        });
    }

    pub(crate) fn on_deleted(&mut self, now: Time, from: NodeId, deleted: ShardsInstalled) {
        let state = &self.state;
        let confirming =
            |s: &&ShardId| s.is_valid() && state.shard(**s).status == ShardStatus::Confirming;
        let Some(&shard) = deleted.shards.iter().find(confirming) else {
            return;
        };
        // A later answer of the round (from another replica) repeats the first: its
        // Confirmed is started already.
        let owner = state.prev().owner(shard);
        if deleted.num == state.config().num
            && self.rsm.is_leader()
            && self.take_answer(owner, from)
        {
            self.start_own(
                now,
                GroupOp::Confirmed {
                    num: deleted.num,
                    shards: deleted.shards,
                },
            );
        }
    }
}
