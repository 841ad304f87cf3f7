//! The replicated state machine: the key/value data and the duplicate table, which travel
//! together in every snapshot.

use crate::msg::{Command, Op};
use protocol_core::ClientId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    data: BTreeMap<String, String>,
    /// The highest sequence number applied per client. A clerk has one request outstanding
    /// at a time, so anything at or below it is a retry of something already applied.
    last_seq: BTreeMap<ClientId, u64>,
}

impl Store {
    /// Applies `command` and returns what it answers: the value for a Get, empty otherwise.
    /// A Put or Append already applied is not applied again unless `detect_duplicates` is off.
    pub fn apply(&mut self, command: &Command, detect_duplicates: bool) -> String {
        let seen = self.last_seq.get(&command.client).copied();
        let duplicate = detect_duplicates && seen.is_some_and(|s| s >= command.seq);
        let answer = match &command.op {
            // A read has no effect, so a repeated one simply reads again.
            Op::Get { key } => self.data.get(key).cloned().unwrap_or_default(),
            Op::Put { .. } | Op::Append { .. } if duplicate => String::new(),
            Op::Put { key, value } => {
                self.data.insert(key.clone(), value.clone());
                String::new()
            }
            Op::Append { key, value } => {
                self.data.entry(key.clone()).or_default().push_str(value);
                String::new()
            }
        };
        if seen.is_none_or(|s| s < command.seq) {
            self.last_seq.insert(command.client, command.seq);
        }
        answer
    }

    /// What a Get of `key` reads now, without the log (only the stale-read mutant does this).
    pub fn read(&self, key: &str) -> String {
        self.data.get(key).cloned().unwrap_or_default()
    }

    pub fn last_seq(&self, client: ClientId) -> Option<u64> {
        self.last_seq.get(&client).copied()
    }

    pub fn key_count(&self) -> usize {
        self.data.len()
    }

    /// The snapshot bytes; without the duplicate table if `with_dup_table` is off (a mutant).
    pub fn encode(&self, with_dup_table: bool) -> Vec<u8> {
        self.encode_into(with_dup_table, Vec::new())
    }

    /// [`Store::encode`], appending to `buf`: a caller that reserves about the size of the
    /// last snapshot saves growing a large buffer by doubling and copying.
    pub fn encode_into(&self, with_dup_table: bool, buf: Vec<u8>) -> Vec<u8> {
        let result = if with_dup_table {
            postcard::to_extend(self, buf)
        } else {
            let data_only = Store {
                data: self.data.clone(),
                last_seq: BTreeMap::new(),
            };
            postcard::to_extend(&data_only, buf)
        };
        result.expect("encoding to a Vec cannot fail")
    }

    /// Rebuilds a store from snapshot bytes; `Err` says what is wrong with them.
    pub fn decode(bytes: &[u8]) -> Result<Store, String> {
        match postcard::take_from_bytes::<Store>(bytes) {
            Ok((store, [])) => Ok(store),
            Ok((_, rest)) => Err(format!("{} trailing bytes after the store", rest.len())),
            Err(e) => Err(format!("undecodable store snapshot: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(client: u64, seq: u64, op: Op) -> Command {
        Command {
            client: ClientId(client),
            seq,
            op,
        }
    }

    fn append(key: &str, value: &str) -> Op {
        Op::Append {
            key: key.into(),
            value: value.into(),
        }
    }

    fn get(key: &str) -> Op {
        Op::Get { key: key.into() }
    }

    #[test]
    fn a_retried_append_applies_once_unless_detection_is_off() {
        for (detect, expected) in [(true, "ab"), (false, "abb")] {
            let mut store = Store::default();
            store.apply(&command(1, 1, append("k", "a")), detect);
            store.apply(&command(1, 2, append("k", "b")), detect);
            store.apply(&command(1, 2, append("k", "b")), detect);
            assert_eq!(store.apply(&command(1, 3, get("k")), detect), expected);
            assert_eq!(store.last_seq(ClientId(1)), Some(3));
        }
    }

    #[test]
    fn clients_are_independent_and_missing_keys_read_empty() {
        let mut store = Store::default();
        store.apply(&command(1, 5, append("k", "a")), true);
        store.apply(&command(2, 1, append("k", "b")), true);
        assert_eq!(store.apply(&command(2, 2, get("k")), true), "ab");
        assert_eq!(store.apply(&command(2, 3, get("nothing")), true), "");
    }

    #[test]
    fn snapshot_round_trips_with_or_without_the_dup_table() {
        let mut store = Store::default();
        store.apply(
            &command(
                7,
                3,
                Op::Put {
                    key: "x".into(),
                    value: "1".into(),
                },
            ),
            true,
        );
        assert_eq!(Store::decode(&store.encode(true)), Ok(store.clone()));
        let forgetful = Store::decode(&store.encode(false)).unwrap();
        assert_eq!(forgetful.read("x"), "1");
        assert_eq!(forgetful.last_seq(ClientId(7)), None);
        assert!(Store::decode(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        let mut long = store.encode(true);
        long.push(0);
        assert!(Store::decode(&long).is_err());
    }
}
