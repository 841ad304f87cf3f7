//! What a tester checks on the groups' reports as a run goes (fed every `Shards` event in
//! emission order, with the controller's configurations from a `shardctrler::ConfigWatch`),
//! and on each server's state once the run is quiet. Pure bookkeeping; no simulator needed.

use crate::shard::ShardStatus;
use crate::state::GroupState;
use protocol_core::{CheckId, NodeId, Violation};
use shardctrler::{Config, ConfigNum, ConfigWatch, GroupId, ShardId, NSHARDS};
use std::collections::{BTreeMap, BTreeSet};

/// A group's shard statuses agree with the controller's configuration n (and n-1): it owns
/// exactly what n gives it, pulls only from the group n-1 named, sends only what it had.
pub const SHARD_OWNERSHIP: CheckId = CheckId::new("shard-ownership");
/// A group steps through the controller's configurations one at a time, in order.
pub const GROUP_CONFIG_ORDER: CheckId = CheckId::new("group-config-order");
/// An old owner deletes a shard only after the new owner installed it.
pub const DELETED_BEFORE_INSTALLED: CheckId = CheckId::new("deleted-before-installed");
/// A group keeps no data of a shard it handed over once deleted (challenge 1), and a quiet
/// run leaves every group settled, holding only what it serves.
pub const SHARD_DELETED: CheckId = CheckId::new("shard-deleted-after-handoff");

/// The groups' reports so far.
#[derive(Clone, Debug, Default)]
pub struct ShardWatch {
    /// Per group, the newest configuration any of its servers reported.
    newest: BTreeMap<GroupId, ConfigNum>,
    /// Per server, its last report: configuration and statuses.
    last: BTreeMap<NodeId, (ConfigNum, [ShardStatus; NSHARDS])>,
    /// Shards of configuration n that their new owner installed.
    installed: BTreeSet<(ConfigNum, ShardId)>,
    reports: u64,
}

impl ShardWatch {
    pub fn new() -> ShardWatch {
        ShardWatch::default()
    }

    /// `node`, a server of `gid`, reports its shards in configuration `num`.
    pub fn on_shards(
        &mut self,
        node: NodeId,
        gid: GroupId,
        num: ConfigNum,
        status: &[ShardStatus; NSHARDS],
        held: &[bool; NSHARDS],
        configs: &ConfigWatch,
    ) -> Result<(), Violation> {
        self.reports += 1;
        let fail = |check, what: String| {
            Err(Violation::new(check, format!("{node} {gid} {num}: {what}")).involving([node]))
        };
        let newest = self.newest.entry(gid).or_insert(ConfigNum::ZERO);
        if num > *newest {
            if num != newest.next() {
                return fail(GROUP_CONFIG_ORDER, format!("after {newest}"));
            }
            *newest = num;
        }
        let (Some(config), Some(prev)) = (
            configs.config(num),
            configs.config(ConfigNum(num.0.saturating_sub(1))),
        ) else {
            return fail(
                SHARD_OWNERSHIP,
                "a configuration the controller never created".into(),
            );
        };
        let checked = ownership(gid, status, held, prev, config)
            .and_then(|()| self.deletion_order(node, num, status, config));
        if let Err((check, what)) = checked {
            return fail(check, what);
        }
        self.last.insert(node, (num, *status));
        Ok(())
    }

    /// Records installed shards, and fails a deletion (Sending, then Absent in the same
    /// configuration on one server) of a shard its new owner has not installed.
    fn deletion_order(
        &mut self,
        node: NodeId,
        num: ConfigNum,
        status: &[ShardStatus; NSHARDS],
        config: &Config,
    ) -> Result<(), (CheckId, String)> {
        let before = self
            .last
            .get(&node)
            .filter(|(n, _)| *n == num)
            .map(|(_, old)| old);
        for s in ShardId::all() {
            let st = status[s.index()];
            if st == ShardStatus::Confirming {
                self.installed.insert((num, s));
            }
            let deleted_now = st == ShardStatus::Absent
                && before.is_some_and(|old| old[s.index()] == ShardStatus::Sending);
            if deleted_now && !self.installed.contains(&(num, s)) {
                let what = format!("{s} deleted before {} installed it", config.owner(s));
                return Err((DELETED_BEFORE_INSTALLED, what));
            }
        }
        Ok(())
    }

    /// Reports checked (a check asserts it had something to check).
    pub fn reports(&self) -> u64 {
        self.reports
    }

    /// The newest configuration `gid` reached.
    pub fn newest(&self, gid: GroupId) -> Option<ConfigNum> {
        self.newest.get(&gid).copied()
    }

    /// The statuses `node` reported last since it booted.
    pub fn last_statuses(&self, node: NodeId) -> Option<&[ShardStatus; NSHARDS]> {
        self.last.get(&node).map(|(_, statuses)| statuses)
    }

    /// Forgets a crashed server's last report (its next incarnation starts from its disk).
    pub fn restarted(&mut self, node: NodeId) {
        self.last.remove(&node);
    }
}

/// Each shard's status agrees with who owned it in `prev` and owns it in `config`, and a
/// shard handed over is not held.
fn ownership(
    gid: GroupId,
    status: &[ShardStatus; NSHARDS],
    held: &[bool; NSHARDS],
    prev: &Config,
    config: &Config,
) -> Result<(), (CheckId, String)> {
    for s in ShardId::all() {
        let (st, was, now) = (status[s.index()], prev.owner(s), config.owner(s));
        let agrees = match st {
            ShardStatus::Absent => now != gid,
            ShardStatus::Serving => now == gid,
            ShardStatus::Pulling | ShardStatus::Confirming => {
                now == gid && was != gid && !was.is_none()
            }
            ShardStatus::Sending => now != gid && was == gid,
        };
        if !agrees {
            let what = format!(
                "{s} {st:?}, but {} gives it to {was} and {} to {now}",
                prev.num, config.num
            );
            return Err((SHARD_OWNERSHIP, what));
        }
        if st == ShardStatus::Absent && held[s.index()] {
            return Err((
                SHARD_DELETED,
                format!("{s} handed over but its data is still held"),
            ));
        }
    }
    Ok(())
}

/// After healing and quiet: the group is settled and holds data only of shards it serves.
pub fn check_quiescent(node: NodeId, state: &GroupState) -> Result<(), Violation> {
    let (gid, num) = (state.gid(), state.config().num);
    for (s, status) in state.held() {
        if status != ShardStatus::Serving {
            let message =
                format!("{node} {gid} {num}: holds {s} ({status:?}) after the run went quiet");
            return Err(Violation::new(SHARD_DELETED, message).involving([node]));
        }
    }
    if let Some(s) = ShardId::all().find(|&s| !state.shard(s).status.is_settled()) {
        let message = format!(
            "{node} {gid} {num}: {s} still {:?} after the run went quiet",
            state.shard(s).status
        );
        return Err(Violation::new(SHARD_DELETED, message).involving([node]));
    }
    Ok(())
}

#[cfg(test)]
#[path = "watch_tests.rs"]
mod tests;
