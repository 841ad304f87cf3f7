//! The clerks' operations, checked as they return. Appended values are unique tokens
//! (`[client.n]`), so a value says exactly which appends it holds: a Get must hold every
//! append to its key that returned before the Get was invoked (reads see completed writes),
//! and a final read must hold each returned append exactly once, each clerk's in its order,
//! and an unreturned one at most once. Stricter than the course's `check`, weaker than a full
//! linearizability check (which the simulator's scenarios run).

use kvraft::Op;
use protocol_core::{CheckId, ClientId, Violation};
use std::collections::{BTreeMap, BTreeSet};

pub const READ_SEES_WRITES: CheckId = CheckId::new("read-sees-completed-writes");
pub const APPENDS_ONCE_IN_ORDER: CheckId = CheckId::new("appends-once-in-order");

#[derive(Default)]
pub struct History {
    /// Per (client, seq): the op, and for a Get the appends to its key done at invocation.
    pending: BTreeMap<(ClientId, u64), (Op, Vec<String>)>,
    /// Per key, the appends that returned, in return order.
    done: BTreeMap<String, Vec<String>>,
    /// Per key, every append invoked, per client in order (returned or not).
    appends: BTreeMap<String, BTreeMap<ClientId, Vec<(String, bool)>>>,
    last_value: BTreeMap<ClientId, String>,
    pub gets_checked: u64,
    pub returned: u64,
}

/// The token a clerk appends as its `n`-th value.
pub fn token(client: usize, n: u64) -> String {
    format!("[{client}.{n}]")
}

impl History {
    pub fn invoked(&mut self, client: ClientId, seq: u64, op: &Op) {
        let done = self.done.get(op.key()).cloned().unwrap_or_default();
        if let Op::Append { key, value } = op {
            self.appends
                .entry(key.clone())
                .or_default()
                .entry(client)
                .or_default()
                .push((value.clone(), false));
        }
        self.pending.insert(
            (client, seq),
            (op.clone(), if op.is_get() { done } else { Vec::new() }),
        );
    }

    pub fn returned(&mut self, client: ClientId, seq: u64, value: &str) -> Result<(), Violation> {
        self.returned += 1;
        self.last_value.insert(client, value.to_string());
        let (op, done) = self
            .pending
            .remove(&(client, seq))
            .expect("returned what was invoked");
        match &op {
            Op::Get { key } => {
                self.gets_checked += 1;
                if let Some(missing) = done.iter().find(|t| !value.contains(t.as_str())) {
                    return Err(Violation::new(READ_SEES_WRITES, format!("{client}#{seq} Get({key:?}) = {value:?} misses {missing}, appended before the Get")));
                }
            }
            Op::Append { key, value } => {
                self.done
                    .entry(key.clone())
                    .or_default()
                    .push(value.clone());
                let mine = self
                    .appends
                    .get_mut(key)
                    .and_then(|m| m.get_mut(&client))
                    .expect("invoked");
                mine.iter_mut()
                    .filter(|(t, _)| t == value)
                    .for_each(|(_, r)| *r = true);
            }
            Op::Put { .. } => {}
        }
        Ok(())
    }

    pub fn last_value(&self, client: ClientId) -> Option<String> {
        self.last_value.get(&client).cloned()
    }

    /// `value`, read last from `key`, holds each returned append once, in each clerk's order.
    pub fn check_final(&self, key: &str, value: &str) -> Result<(), Violation> {
        let fail = |what: String| {
            Err(Violation::new(
                APPENDS_ONCE_IN_ORDER,
                format!("key {key:?}: {what} in {value:?}"),
            ))
        };
        let mut seen = BTreeSet::new();
        for (client, tokens) in self.appends.get(key).into_iter().flatten() {
            let mut last_at = None;
            for (token, returned) in tokens {
                let count = value.matches(token.as_str()).count();
                if count > 1 || (*returned && count == 0) {
                    return fail(format!("{client}'s {token} appears {count} times"));
                }
                if let Some(at) = value.find(token.as_str()) {
                    if last_at.is_some_and(|l| l > at) {
                        return fail(format!("{client}'s {token} before an earlier append"));
                    }
                    last_at = Some(at);
                    seen.insert(token.clone());
                }
            }
        }
        Ok(())
    }
}
