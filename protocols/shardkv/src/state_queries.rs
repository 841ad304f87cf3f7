//! What the migration driver asks of a group's state, snapshots, and the invariants.

use super::*;
use protocol_core::NodeId;

impl GroupState {
    /// Shards to pull, by the group that owned them in the previous configuration.
    pub fn pulls_needed(&self) -> BTreeMap<GroupId, Vec<ShardId>> {
        self.by_old_owner(ShardStatus::Pulling)
    }

    /// Installed shards whose old owner has not confirmed deleting them, by that owner.
    pub fn confirms_needed(&self) -> BTreeMap<GroupId, Vec<ShardId>> {
        self.by_old_owner(ShardStatus::Confirming)
    }

    fn by_old_owner(&self, status: ShardStatus) -> BTreeMap<GroupId, Vec<ShardId>> {
        let mut by_owner: BTreeMap<GroupId, Vec<ShardId>> = BTreeMap::new();
        for s in ShardId::all().filter(|&s| self.shard(s).status == status) {
            by_owner.entry(self.prev.owner(s)).or_default().push(s);
        }
        by_owner
    }

    /// The answer to a pull of `shards` of configuration `num`; `None` if the group has moved
    /// past `num` or no longer holds them (so the puller has installed them already).
    pub fn answer_pull(&self, num: ConfigNum, shards: &[ShardId]) -> Option<PullAnswer> {
        if self.config.num < num {
            return Some(PullAnswer::NotReady);
        }
        if self.config.num > num {
            return None;
        }
        let sending: Vec<(ShardId, ShardData)> = shards
            .iter()
            .filter(|s| s.is_valid() && self.shard(**s).status == ShardStatus::Sending)
            .map(|&s| (s, self.shard(s).data.clone()))
            .collect();
        (!sending.is_empty()).then_some(PullAnswer::Shards(sending))
    }

    /// Whether this group holds none of `shards` of configuration `num` any more.
    pub fn has_deleted(&self, num: ConfigNum, shards: &[ShardId]) -> bool {
        self.config.num > num
            || (self.config.num == num
                && shards
                    .iter()
                    .all(|s| !s.is_valid() || self.shard(*s).status != ShardStatus::Sending))
    }

    /// Shards whose data this group holds (keys or duplicate entries), with their status.
    pub fn held(&self) -> Vec<(ShardId, ShardStatus)> {
        ShardId::all()
            .filter(|&s| !self.shard(s).data.is_empty())
            .map(|s| (s, self.shard(s).status))
            .collect()
    }

    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("encoding to a Vec cannot fail")
    }

    /// Rebuilds the state from snapshot bytes of group `gid`; `Err` says what is wrong.
    pub fn decode(bytes: &[u8], gid: GroupId) -> Result<GroupState, String> {
        let state = match postcard::take_from_bytes::<GroupState>(bytes) {
            Ok((state, [])) => state,
            Ok((_, rest)) => return Err(format!("{} trailing bytes after the state", rest.len())),
            Err(e) => return Err(format!("undecodable group snapshot: {e}")),
        };
        if state.gid != gid {
            return Err(format!("a snapshot of {} on a server of {gid}", state.gid));
        }
        state.config.validate()?;
        state.prev.validate()?;
        Ok(state)
    }

    /// Asserts every shard's status agrees with the configurations (a mutant's deviation
    /// excepted), naming node, group, configuration and shard.
    pub fn check_invariants(&self, node: NodeId, quirks: Quirks) {
        let (gid, num) = (self.gid, self.config.num);
        if !quirks.accept_any_newer_config && num > ConfigNum::ZERO {
            assert_eq!(
                self.prev.num.next(),
                num,
                "{node} {gid} {num}: previous is {}",
                self.prev.num
            );
        }
        for s in ShardId::all() {
            let Shard { status, data } = self.shard(s);
            let (was, now) = (self.prev.owner(s), self.config.owner(s));
            let at = || format!("{node} {gid} {num} {s} {status:?}: was {was}, now {now}");
            assert_eq!(status.is_owned(), now == gid, "{}", at());
            match status {
                ShardStatus::Serving | ShardStatus::Absent => {}
                ShardStatus::Pulling | ShardStatus::Confirming => {
                    assert!(was != gid && !was.is_none(), "{}: pulled from nobody", at())
                }
                ShardStatus::Sending => assert_eq!(was, gid, "{}: sends what it did not own", at()),
            }
            if *status == ShardStatus::Pulling
                || (*status == ShardStatus::Absent && !quirks.keep_deleted_data)
            {
                assert!(data.is_empty(), "{}: holds {} keys", at(), data.data.len());
            }
        }
    }
}
