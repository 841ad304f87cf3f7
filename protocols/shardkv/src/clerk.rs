//! A clerk: one operation at a time, routed by `key2shard` through the configuration it last
//! learned, retried on other servers of the group, and re-routed after refreshing the
//! configuration when a group says the shard is not its own.

use crate::embed::lift;
use crate::msg::{Command, Outcome, Reply, ShardKvMsg};
use crate::node::{ClerkEvent, ClerkTimer};
use crate::node_config::ClerkConfig;
use crate::shard::key2shard;
use kvraft::Op;
use protocol_core::clerk::Calls;
use protocol_core::{BootError, ClientId, Disk, Input, Node, NodeId, Outbox, Time};
use shardctrler::{
    Answer, ClerkConfig as CtrlerClerkConfig, ClerkEvent as CtrlerClerkEvent, Config, CtrlerClerk,
    CtrlerOp, GroupId,
};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Sent to `to`; without an answer by `retry_at`, the next server.
    Sent { to: NodeId, retry_at: Time },
    /// Waiting for the controller's latest configuration.
    Refreshing,
    /// Waiting until `until` before refreshing (one refresh per `refresh_ms`).
    Pausing { until: Time },
}

/// Where the operation under way stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Progress {
    phase: Phase,
    /// Servers of the group tried without success since the last refresh.
    tried: usize,
}

pub struct ShardKvClerk {
    id: NodeId,
    config: ClerkConfig,
    ctrler: CtrlerClerk,
    /// The newest configuration learned.
    shards: Config,
    /// Per group, the position of the server believed to lead.
    leader: BTreeMap<GroupId, usize>,
    calls: Calls<Op, Progress>,
    last_refresh: Option<Time>,
}

impl Node for ShardKvClerk {
    type Msg = ShardKvMsg;
    type Timer = ClerkTimer;
    type Request = Op;
    type Event = ClerkEvent;
    type Config = ClerkConfig;

    fn boot(
        config: &ClerkConfig,
        id: NodeId,
        _disk: &Disk,
        _seed: u64,
        _now: Time,
        _out: &mut Outbox<ShardKvClerk>,
    ) -> Result<ShardKvClerk, BootError> {
        ShardKvClerk::new(config, id)
            .map_err(|reason| BootError::InvalidConfig { node: id, reason })
    }

    fn handle(&mut self, now: Time, input: Input<ShardKvClerk>, out: &mut Outbox<ShardKvClerk>) {
        match input {
            Input::Request(op) => self.invoke(now, op, out),
            // It writes no files, so no sync of its can complete.
            Input::Synced { .. } => {}
            Input::Message { from, msg } => match msg {
                ShardKvMsg::Reply(reply) => self.on_reply(now, from, reply, out),
                ShardKvMsg::Ctrler(msg) => self.run_ctrler(now, Input::Message { from, msg }, out),
                // Servers never send these to clerks; a stray one is dropped.
                ShardKvMsg::Raft(_)
                | ShardKvMsg::Request(_)
                | ShardKvMsg::Pull(_)
                | ShardKvMsg::PullReply(_)
                | ShardKvMsg::Installed(_)
                | ShardKvMsg::Deleted(_) => {}
            },
            Input::Timer(ClerkTimer::Retry) => self.on_retry_timer(now, out),
            Input::Timer(ClerkTimer::Ctrler(timer)) => {
                self.run_ctrler(now, Input::Timer(timer), out)
            }
        }
    }

    fn check_invariants(&self) {
        self.ctrler.check_invariants();
        self.calls.check_invariants(self.id);
        if let Some(current) = self.calls.current() {
            if current.progress.phase == Phase::Refreshing {
                assert!(
                    self.ctrler.is_busy(),
                    "{} {}: refreshing with no query out",
                    self.id,
                    self.shards.num
                );
            }
        }
    }
}

impl ShardKvClerk {
    /// A clerk for `config`; `Err` says why the config cannot run one.
    pub fn new(config: &ClerkConfig, id: NodeId) -> Result<ShardKvClerk, String> {
        config.validate()?;
        let ctrler = CtrlerClerk::new(
            &CtrlerClerkConfig::new(config.client, config.ctrlers.clone()),
            id,
        )?;
        Ok(ShardKvClerk {
            id,
            config: config.clone(),
            ctrler,
            shards: Config::initial(),
            leader: BTreeMap::new(),
            calls: Calls::new(config.client),
            last_refresh: None,
        })
    }

    pub fn client(&self) -> ClientId {
        self.config.client
    }

    /// Whether an operation is under way.
    pub fn is_busy(&self) -> bool {
        self.calls.is_busy()
    }

    /// The newest configuration this clerk learned.
    pub fn known_config(&self) -> &Config {
        &self.shards
    }

    fn invoke(&mut self, now: Time, op: Op, out: &mut Outbox<ShardKvClerk>) {
        let progress = Progress {
            phase: Phase::Refreshing,
            tried: 0,
        };
        let seq = self.calls.start(self.id, op.clone(), progress).seq;
        out.emit(ClerkEvent::Invoked {
            client: self.config.client,
            seq,
            op,
        });
        self.send_current(now, out);
    }

    /// Sends the operation to the group the known configuration names, or refreshes it.
    fn send_current(&mut self, now: Time, out: &mut Outbox<ShardKvClerk>) {
        let current = self
            .calls
            .current_mut()
            .expect("an operation is outstanding");
        let (gid, servers) = route(&self.shards, &current.op);
        if servers.is_empty() || current.progress.tried >= servers.len() {
            return self.refresh(now, out);
        }
        let position = *self.leader.get(&gid).unwrap_or(&0) % servers.len();
        let to = servers[position];
        let command = Command {
            client: self.config.client,
            seq: current.seq,
            op: current.op.clone(),
        };
        out.send(to, ShardKvMsg::Request(command));
        let retry_at = now.plus_ms(self.config.retry_timeout_ms);
        current.progress.phase = Phase::Sent { to, retry_at };
        out.set_timer(ClerkTimer::Retry, retry_at);
    }

    /// Asks the controller for the latest configuration, at most once per `refresh_ms`.
    fn refresh(&mut self, now: Time, out: &mut Outbox<ShardKvClerk>) {
        let current = self
            .calls
            .current_mut()
            .expect("an operation is outstanding");
        let allowed = self
            .last_refresh
            .map_or(now, |at| at.plus_ms(self.config.refresh_ms));
        if now < allowed {
            current.progress.phase = Phase::Pausing { until: allowed };
            return out.set_timer(ClerkTimer::Retry, allowed);
        }
        current.progress = Progress {
            phase: Phase::Refreshing,
            tried: 0,
        };
        self.last_refresh = Some(now);
        if !self.ctrler.is_busy() {
            let query = CtrlerOp::Query { num: None };
            self.run_ctrler(now, Input::Request(query), out);
        }
    }

    fn run_ctrler(&mut self, now: Time, input: Input<CtrlerClerk>, out: &mut Outbox<ShardKvClerk>) {
        let mut inner = Outbox::new();
        self.ctrler.handle(now, input, &mut inner);
        let mut answered = None;
        // Its Invoked and Returned stay inside: the clerk's own operations are the history.
        lift(&mut inner, out, ClerkTimer::Ctrler, |event, _| {
            if let CtrlerClerkEvent::Returned {
                answer: Answer::Config(config),
                ..
            } = event
            {
                answered = Some(config);
            }
        });
        let Some(config) = answered else { return };
        if config.num > self.shards.num {
            self.shards = config;
        }
        if self
            .calls
            .current()
            .is_some_and(|c| c.progress.phase == Phase::Refreshing)
        {
            self.send_current(now, out);
        }
    }

    fn on_reply(&mut self, now: Time, from: NodeId, reply: Reply, out: &mut Outbox<ShardKvClerk>) {
        let Some(current) = self.calls.answered_by(reply.client, reply.seq) else {
            return; // A late duplicate of an answer already taken, or not this clerk's.
        };
        let phase = current.progress.phase;
        if let Outcome::Ok { value } = reply.outcome {
            // An Ok is the outcome whenever it arrives, even from a server given up on.
            let done = self.calls.finish(self.id);
            out.cancel_timer(ClerkTimer::Retry);
            let (client, seq, op) = (self.config.client, done.seq, done.op);
            return out.emit(ClerkEvent::Returned {
                client,
                seq,
                op,
                value,
            });
        }
        if !matches!(phase, Phase::Sent { to, .. } if to == from) {
            return; // A refusal from a server no longer asked.
        }
        match reply.outcome {
            Outcome::Ok { .. } => unreachable!("handled above"),
            Outcome::WrongGroup => self.refresh(now, out),
            Outcome::WrongLeader { leader_hint } => {
                self.on_wrong_leader(now, from, leader_hint, out)
            }
        }
    }

    fn on_wrong_leader(
        &mut self,
        now: Time,
        from: NodeId,
        hint: Option<NodeId>,
        out: &mut Outbox<ShardKvClerk>,
    ) {
        let current = self
            .calls
            .current_mut()
            .expect("an operation is outstanding");
        let (gid, servers) = route(&self.shards, &current.op);
        let hinted = hint
            .and_then(|h| servers.iter().position(|&s| s == h))
            .filter(|&p| servers[p] != from);
        let next =
            hinted.unwrap_or_else(|| servers.iter().position(|&s| s == from).map_or(0, |p| p + 1));
        self.leader.insert(gid, next);
        current.progress.tried += 1;
        self.send_current(now, out);
    }

    fn on_retry_timer(&mut self, now: Time, out: &mut Outbox<ShardKvClerk>) {
        let Some(current) = self.calls.current() else {
            return;
        };
        match current.progress.phase {
            Phase::Sent { to, retry_at } if now >= retry_at => {
                // No answer in time: the server is down, cut off, or the message was lost.
                self.on_wrong_leader(now, to, None, out);
            }
            Phase::Pausing { until } if now >= until => self.refresh(now, out),
            Phase::Sent { .. } | Phase::Pausing { .. } | Phase::Refreshing => {} // stale
        }
    }
}

/// The group `shards` says serves `op`, and its servers (none if it names no group).
fn route<'a>(shards: &'a Config, op: &Op) -> (GroupId, &'a [NodeId]) {
    let gid = shards.owner(key2shard(op.key()));
    (gid, shards.servers(gid).unwrap_or(&[]))
}

#[cfg(test)]
#[path = "clerk_tests.rs"]
mod tests;
