//! A group's replicated state machine: its current and previous configuration and, per shard,
//! the status and data. Everything that changes it is a [`GroupOp`] applied from the group's
//! log, so every replica steps through the same reconfigurations at the same log positions,
//! and a crash anywhere restarts from a log position with the state of that position.
//!
//! A reconfiguration from n-1 to n applies only when every shard is settled (Serving or
//! Absent), so a group works on one configuration change at a time, in order. Applying it
//! freezes the shards it loses (Sending: no more writes, so every replica holds the same
//! final data) and marks those it gains from another group (Pulling). The new owner's
//! `Install` brings the data and duplicate table in through its own log (Confirming: served
//! from then on); the old owner's `Delete` drops its copy once told of the install; the new
//! owner's `Confirmed` ends the shard's part in the change (Serving). Shards the change does
//! not touch keep being served throughout.

use crate::msg::{Command, Outcome, PullAnswer};
use crate::shard::{key2shard, Shard, ShardData, ShardStatus};
use kvraft::Op;
use serde::{Deserialize, Serialize};
use shardctrler::{Config, ConfigNum, GroupId, ShardId, NSHARDS};
use std::collections::BTreeMap;

/// One entry of a group's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupOp {
    Client(Command),
    /// Step into this configuration (the next one, when every shard is settled).
    Reconfigure(Config),
    /// Shards of configuration `num` arrived from their old owner `from`.
    Install {
        num: ConfigNum,
        from: GroupId,
        shards: Vec<(ShardId, ShardData)>,
    },
    /// The new owner has these shards of configuration `num`: drop our copy.
    Delete {
        num: ConfigNum,
        shards: Vec<ShardId>,
    },
    /// The old owner dropped these shards of configuration `num`.
    Confirmed {
        num: ConfigNum,
        shards: Vec<ShardId>,
    },
    /// A new leader's first entry: it commits the entries of earlier terms (Raft commits
    /// those only with one of the leader's own), which a group with no clients and a stale
    /// view of its shards would otherwise never apply.
    Noop,
}

impl GroupOp {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("encoding to a Vec cannot fail")
    }

    pub fn decode(bytes: &[u8]) -> Result<GroupOp, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}

/// Deliberate deviations (from the mutants), all off in an honest run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quirks {
    pub serve_unowned_gets: bool,
    pub serve_pulling_gets: bool,
    pub serve_only_when_settled: bool,
    pub accept_any_newer_config: bool,
    pub drop_dup_tables: bool,
    pub keep_deleted_data: bool,
    pub no_duplicate_detection: bool,
}

/// What applying an entry did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// A client command's outcome (Ok, or WrongGroup if the shard is not served).
    Client(Outcome),
    /// A reconfiguration entry; whether it changed any shard's status or the configuration.
    Changed(bool),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupState {
    gid: GroupId,
    config: Config,
    prev: Config,
    shards: [Shard; NSHARDS],
}

impl GroupState {
    pub fn new(gid: GroupId) -> GroupState {
        GroupState {
            gid,
            config: Config::initial(),
            prev: Config::initial(),
            shards: std::array::from_fn(|_| Shard::default()),
        }
    }

    pub fn gid(&self) -> GroupId {
        self.gid
    }

    /// The configuration the group is in.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The configuration before it (the old owners of shards being pulled).
    pub fn prev(&self) -> &Config {
        &self.prev
    }

    pub fn shard(&self, shard: ShardId) -> &Shard {
        &self.shards[shard.index()]
    }

    pub fn statuses(&self) -> [ShardStatus; NSHARDS] {
        std::array::from_fn(|s| self.shards[s].status)
    }

    /// Every shard settled: the group may step into the next configuration.
    pub fn is_settled(&self) -> bool {
        self.shards.iter().all(|s| s.status.is_settled())
    }

    /// Whether this group answers `op` now.
    pub fn serves(&self, op: &Op, quirks: Quirks) -> bool {
        let status = self.shard(key2shard(op.key())).status;
        let served = status.is_served() && (!quirks.serve_only_when_settled || self.is_settled());
        served
            || (op.is_get() && quirks.serve_unowned_gets)
            || (op.is_get() && quirks.serve_pulling_gets && status == ShardStatus::Pulling)
    }

    pub fn apply(&mut self, op: GroupOp, quirks: Quirks) -> Applied {
        match op {
            GroupOp::Client(command) => Applied::Client(self.apply_client(&command, quirks)),
            GroupOp::Reconfigure(config) => Applied::Changed(self.reconfigure(config, quirks)),
            GroupOp::Install { num, from, shards } => {
                Applied::Changed(self.install(num, from, shards, quirks))
            }
            GroupOp::Delete { num, shards } => Applied::Changed(self.delete(num, &shards, quirks)),
            GroupOp::Confirmed { num, shards } => Applied::Changed(self.confirmed(num, &shards)),
            GroupOp::Noop => Applied::Changed(false),
        }
    }

    fn apply_client(&mut self, command: &Command, quirks: Quirks) -> Outcome {
        if !self.serves(&command.op, quirks) {
            return Outcome::WrongGroup;
        }
        let shard = &mut self.shards[key2shard(command.op.key()).index()];
        let value = shard.data.apply(
            command.client,
            command.seq,
            &command.op,
            !quirks.no_duplicate_detection,
        );
        Outcome::Ok { value }
    }

    fn reconfigure(&mut self, next: Config, quirks: Quirks) -> bool {
        let in_order = next.num == self.config.num.next()
            || (quirks.accept_any_newer_config && next.num > self.config.num);
        if !in_order || !self.is_settled() {
            return false; // a duplicate or a stale entry: every replica skips it alike
        }
        let gid = self.gid;
        for s in ShardId::all() {
            let (was, now) = (self.config.owner(s), next.owner(s));
            let shard = &mut self.shards[s.index()];
            shard.status = match (was == gid, now == gid) {
                (true, true) => ShardStatus::Serving,
                (false, true) if was.is_none() => ShardStatus::Serving, // a fresh shard
                (false, true) => ShardStatus::Pulling,
                (true, false) => ShardStatus::Sending,
                (false, false) => ShardStatus::Absent,
            };
        }
        self.prev = std::mem::replace(&mut self.config, next);
        true
    }

    fn install(
        &mut self,
        num: ConfigNum,
        from: GroupId,
        shards: Vec<(ShardId, ShardData)>,
        quirks: Quirks,
    ) -> bool {
        let mut changed = false;
        for (s, mut data) in shards {
            if num != self.config.num || !s.is_valid() || self.prev.owner(s) != from {
                continue;
            }
            let shard = &mut self.shards[s.index()];
            if shard.status == ShardStatus::Pulling {
                if quirks.drop_dup_tables {
                    data.last_seq.clear();
                }
                *shard = Shard {
                    status: ShardStatus::Confirming,
                    data,
                };
                changed = true;
            }
        }
        changed
    }

    fn delete(&mut self, num: ConfigNum, shards: &[ShardId], quirks: Quirks) -> bool {
        let mut changed = false;
        for &s in shards {
            if num != self.config.num || !s.is_valid() {
                continue;
            }
            let shard = &mut self.shards[s.index()];
            if shard.status == ShardStatus::Sending {
                shard.status = ShardStatus::Absent;
                if !quirks.keep_deleted_data {
                    shard.data = ShardData::default();
                }
                changed = true;
            }
        }
        changed
    }

    fn confirmed(&mut self, num: ConfigNum, shards: &[ShardId]) -> bool {
        let mut changed = false;
        for &s in shards {
            if num == self.config.num
                && s.is_valid()
                && self.shards[s.index()].status == ShardStatus::Confirming
            {
                self.shards[s.index()].status = ShardStatus::Serving;
                changed = true;
            }
        }
        changed
    }
}

#[path = "state_queries.rs"]
mod queries;

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
