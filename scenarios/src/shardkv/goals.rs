//! Situations a good sharded-KV sweep reaches on some seeds (see `sim_kit::goals`), read
//! from the groups' shard reports: the paths of migration that only faults and reshuffles
//! exercise.

use shardctrler::{ConfigNum, GroupId, ShardId, NSHARDS};
use shardkv::ShardStatus;
use sim_kit::goals::{GoalId, Reached};
use std::collections::BTreeSet;

/// A group pulls a shard it once sent away: the copy it deleted after the handoff must not
/// come back, and the new copy must be whole (the deletion challenge's hard path).
pub const SHARD_BACK_TO_OLD_OWNER: GoalId = GoalId::new("shard-back-to-old-owner");
/// A server restarts while its last report had a shard in transit (pulling, confirming or
/// sending): the migration must go on from what its disk kept.
pub const RESTART_MID_MIGRATION: GoalId = GoalId::new("restart-mid-migration");
/// A group reports configuration n while the controller has made n + 2 or later: it catches
/// up one configuration at a time, with the others waiting on it.
pub const GROUP_TWO_CONFIGS_BEHIND: GoalId = GoalId::new("group-two-configs-behind");

/// Every goal above and Raft's in the groups' and the controller's clusters, for the
/// scenarios that declare them.
pub const ALL: &[GoalId] = &[
    SHARD_BACK_TO_OLD_OWNER,
    RESTART_MID_MIGRATION,
    GROUP_TWO_CONFIGS_BEHIND,
    crate::raft::goals::LEADER_DEPOSED_WITH_UNCOMMITTED,
    crate::raft::goals::SNAPSHOT_OVER_LONGER_LOG,
];

/// Marks the goals above from the groups' reports and the servers' restarts.
#[derive(Default)]
pub struct ShardGoals {
    /// (group, shard) some server of the group reported sending.
    sent: BTreeSet<(GroupId, ShardId)>,
    pub reached: Reached,
}

impl ShardGoals {
    /// A server of `gid` reported `status` in configuration `num`; the controller's newest
    /// configuration is `latest`.
    pub fn on_shards(
        &mut self,
        gid: GroupId,
        num: ConfigNum,
        status: &[ShardStatus; NSHARDS],
        latest: ConfigNum,
    ) {
        for s in ShardId::all() {
            match status[s.index()] {
                ShardStatus::Pulling if self.sent.contains(&(gid, s)) => {
                    self.reached.mark(SHARD_BACK_TO_OLD_OWNER)
                }
                ShardStatus::Sending => {
                    self.sent.insert((gid, s));
                }
                _ => {}
            }
        }
        if latest.0 >= num.0 + 2 {
            self.reached.mark(GROUP_TWO_CONFIGS_BEHIND);
        }
    }

    /// A server boots again; `last` is what it reported last before (the shard watch's
    /// record, read before the watch forgets it).
    pub fn restarted(&mut self, last: Option<&[ShardStatus; NSHARDS]>) {
        let in_transit = |st: &ShardStatus| {
            matches!(
                st,
                ShardStatus::Pulling | ShardStatus::Confirming | ShardStatus::Sending
            )
        };
        if last.is_some_and(|s| s.iter().any(in_transit)) {
            self.reached.mark(RESTART_MID_MIGRATION);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G1: GroupId = GroupId(1);

    /// A server of G1 reports shard 0 as `st` in configuration `num`; the controller is at
    /// `latest`. Returns the statuses reported.
    fn report(
        goals: &mut ShardGoals,
        num: u64,
        st: ShardStatus,
        latest: u64,
    ) -> [ShardStatus; NSHARDS] {
        let mut all = [ShardStatus::Absent; NSHARDS];
        all[0] = st;
        goals.on_shards(G1, ConfigNum(num), &all, ConfigNum(latest));
        all
    }

    #[test]
    fn a_shard_pulled_back_after_sending_is_the_old_owner_goal() {
        let mut goals = ShardGoals::default();
        report(&mut goals, 1, ShardStatus::Pulling, 1);
        let back = |goals: &ShardGoals| goals.reached.contains(SHARD_BACK_TO_OLD_OWNER);
        assert!(!back(&goals), "first pull");
        report(&mut goals, 2, ShardStatus::Sending, 2);
        report(&mut goals, 3, ShardStatus::Pulling, 3);
        assert!(back(&goals));
        assert!(!goals.reached.contains(GROUP_TWO_CONFIGS_BEHIND));
    }

    #[test]
    fn a_restart_counts_only_with_a_shard_in_transit() {
        let mut goals = ShardGoals::default();
        let serving = report(&mut goals, 1, ShardStatus::Serving, 3);
        assert!(goals.reached.contains(GROUP_TWO_CONFIGS_BEHIND));
        goals.restarted(Some(&serving));
        let mid = |goals: &ShardGoals| goals.reached.contains(RESTART_MID_MIGRATION);
        assert!(!mid(&goals), "serving is settled");
        goals.restarted(None);
        assert!(!mid(&goals), "nothing reported since boot");
        let confirming = report(&mut goals, 2, ShardStatus::Confirming, 3);
        goals.restarted(Some(&confirming));
        assert!(mid(&goals));
    }
}
