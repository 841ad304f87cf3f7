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

impl ShardKvServer {
    pub(crate) fn on_tick(&mut self, now: Time, out: &mut Outbox<ShardKvServer>) {
        if now < self.tick_at {
            return; // Stale: the deadline moved.
        }
        self.tick_at = now.plus_ms(self.config.poll_ms);
        out.set_timer(ServerTimer::Tick, self.tick_at);
        if self.rsm.is_leader() {
            self.migrate(now, out);
        }
    }

    /// The leader's round: pull what is missing, tell old owners what arrived, and when every
    /// shard is settled ask the controller for the next configuration.
    pub(crate) fn migrate(&mut self, now: Time, out: &mut Outbox<ShardKvServer>) {
        let num = self.state.config().num;
        for (owner, shards) in self.state.pulls_needed() {
            if let Some(to) = self.next_server_of(owner) {
                out.send(to, ShardKvMsg::Pull(PullShards { num, shards }));
            }
        }
        for (owner, shards) in self.state.confirms_needed() {
            if let Some(to) = self.next_server_of(owner) {
                out.send(to, ShardKvMsg::Installed(ShardsInstalled { num, shards }));
            }
        }
        if self.state.is_settled() && !self.ctrler.is_busy() {
            // One configuration at a time, in order (the skip-configs mutant asks for the latest).
            let next = (!self.config.is_mutant(Mutant::SkipConfigs)).then(|| num.next());
            let query = CtrlerOp::Query { num: next };
            self.run_ctrler(now, Input::Request(query), out);
        }
    }

    /// A server of the group that owned shards in the previous configuration, in turn.
    fn next_server_of(&mut self, owner: GroupId) -> Option<NodeId> {
        let servers = self.state.prev().servers(owner)?;
        let turn = self.turn.entry(owner).or_insert(0);
        *turn = turn.wrapping_add(1);
        servers.get(*turn % servers.len()).copied()
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

    pub(crate) fn on_pull_reply(&mut self, now: Time, reply: PullReply) {
        let PullAnswer::Shards(shards) = reply.answer else {
            return; // NotReady: the next tick asks again.
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
        if reply.num == state.config().num && !wanted.is_empty() && self.rsm.is_leader() {
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

    pub(crate) fn on_deleted(&mut self, now: Time, deleted: ShardsInstalled) {
        let state = &self.state;
        let confirming =
            |s: &ShardId| s.is_valid() && state.shard(*s).status == ShardStatus::Confirming;
        if deleted.num == state.config().num
            && deleted.shards.iter().any(confirming)
            && self.rsm.is_leader()
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
