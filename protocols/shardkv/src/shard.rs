//! One shard as a group holds it: where it stands in the current reconfiguration, its keys,
//! and its duplicate table (which travels with it).

use kvraft::Op;
use protocol_core::ClientId;
use serde::{Deserialize, Serialize};
use shardctrler::{ShardId, NSHARDS};
use std::collections::BTreeMap;

/// The course's `key2shard`: the key's first byte mod 10 (an empty key is shard 0).
pub fn key2shard(key: &str) -> ShardId {
    let first = key.as_bytes().first().copied().unwrap_or(0);
    ShardId(u32::from(first) % NSHARDS as u32)
}

/// Where a shard stands for a group in its current configuration `n` (with `n - 1` before).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ShardStatus {
    /// Not this group's in `n`, and nothing of it held.
    Absent,
    /// This group's in `n` and in use: its data is here.
    Serving,
    /// This group's in `n` but another group's in `n - 1`: waiting for the data; not served.
    Pulling,
    /// Installed from the old owner and served; the old owner has not confirmed deleting it.
    Confirming,
    /// This group's in `n - 1` but not in `n`: frozen, kept until the new owner has it.
    Sending,
}

impl ShardStatus {
    /// A group answers keys of this shard.
    pub fn is_served(self) -> bool {
        matches!(self, ShardStatus::Serving | ShardStatus::Confirming)
    }

    /// Nothing left to do for this shard in the current reconfiguration.
    pub fn is_settled(self) -> bool {
        matches!(self, ShardStatus::Serving | ShardStatus::Absent)
    }

    /// The current configuration gives the shard to this group.
    pub fn is_owned(self) -> bool {
        matches!(
            self,
            ShardStatus::Serving | ShardStatus::Pulling | ShardStatus::Confirming
        )
    }
}

/// A shard's keys and duplicate table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardData {
    pub data: BTreeMap<String, String>,
    /// The highest Put or Append sequence number applied to this shard per client. A clerk
    /// has one request outstanding at a time, so a request at or below it was applied here
    /// (or before the shard came here): a retry.
    pub last_seq: BTreeMap<ClientId, u64>,
}

impl ShardData {
    /// Applies `op` for (client, seq) and returns what it answers: the value for a Get,
    /// empty otherwise. A Put or Append already applied is not applied again unless
    /// `detect_duplicates` is off.
    pub fn apply(
        &mut self,
        client: ClientId,
        seq: u64,
        op: &Op,
        detect_duplicates: bool,
    ) -> String {
        let seen = self.last_seq.get(&client).copied();
        let duplicate = detect_duplicates && seen.is_some_and(|s| s >= seq);
        match op {
            // A read has no effect, so a repeated one simply reads again.
            Op::Get { key } => return self.read(key),
            Op::Put { .. } | Op::Append { .. } if duplicate => return String::new(),
            Op::Put { key, value } => {
                self.data.insert(key.clone(), value.clone());
            }
            Op::Append { key, value } => self.data.entry(key.clone()).or_default().push_str(value),
        }
        if seen.is_none_or(|s| s < seq) {
            self.last_seq.insert(client, seq);
        }
        String::new()
    }

    pub fn read(&self, key: &str) -> String {
        self.data.get(key).cloned().unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty() && self.last_seq.is_empty()
    }

    /// Bytes of keys and values held (the storage bound's measure, not the encoding's).
    pub fn key_value_bytes(&self) -> usize {
        self.data.iter().map(|(k, v)| k.len() + v.len()).sum()
    }
}

/// One shard of a group's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub status: ShardStatus,
    pub data: ShardData,
}

impl Default for Shard {
    fn default() -> Shard {
        Shard {
            status: ShardStatus::Absent,
            data: ShardData::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn append(value: &str) -> Op {
        Op::Append {
            key: "k".into(),
            value: value.into(),
        }
    }

    #[test]
    fn key2shard_is_the_first_byte_mod_ten() {
        assert_eq!(key2shard("2"), ShardId(0), "'2' is 50");
        assert_eq!(key2shard("0"), ShardId(8), "'0' is 48");
        assert_eq!(key2shard("1abc"), ShardId(9));
        assert_eq!(key2shard(""), ShardId(0));
    }

    #[test]
    fn a_retried_append_applies_once_and_gets_leave_no_trace() {
        for (detect, expected) in [(true, "ab"), (false, "abb")] {
            let mut shard = ShardData::default();
            shard.apply(ClientId(1), 1, &append("a"), detect);
            shard.apply(ClientId(1), 2, &append("b"), detect);
            shard.apply(ClientId(1), 2, &append("b"), detect);
            assert_eq!(
                shard.apply(ClientId(1), 3, &Op::Get { key: "k".into() }, detect),
                expected
            );
            assert_eq!(
                shard.last_seq.get(&ClientId(1)),
                Some(&2),
                "a Get needs no duplicate entry"
            );
        }
    }

    #[test]
    fn statuses_say_what_is_served_settled_and_owned() {
        use ShardStatus::*;
        let all = [Absent, Serving, Pulling, Confirming, Sending];
        let served: Vec<_> = all.iter().filter(|s| s.is_served()).collect();
        assert_eq!(served, vec![&Serving, &Confirming]);
        let settled: Vec<_> = all.iter().filter(|s| s.is_settled()).collect();
        assert_eq!(settled, vec![&Absent, &Serving]);
        let owned: Vec<_> = all.iter().filter(|s| s.is_owned()).collect();
        assert_eq!(owned, vec![&Serving, &Pulling, &Confirming]);
    }
}
