//! The models shipped: a key/value store, a plain register, a register with compare-and-set.

mod blocks;
pub mod cas_register;
pub mod kv;
pub mod kv_unique;
pub mod register;
pub mod register_unique;

use crate::history::History;
use crate::model::Partition;
use std::collections::BTreeMap;

/// One partition per key, in key order, each listing its operations in history order.
pub(crate) fn partition_by_key<I, O>(
    history: &History<I, O>,
    key_of: impl Fn(&I) -> &str,
) -> Vec<Partition> {
    let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, op) in history.operations.iter().enumerate() {
        by_key.entry(key_of(&op.input)).or_default().push(index);
    }
    by_key
        .into_iter()
        .map(|(key, ops)| Partition {
            label: format!("key {key:?}"),
            ops,
        })
        .collect()
}

/// ` -> answer`, or ` -> ?` when the outcome is unknown.
pub(crate) fn describe_answer<O>(output: Option<&O>, answer: impl Fn(&O) -> String) -> String {
    match output {
        Some(output) => answer(output),
        None => String::from(" -> ?"),
    }
}
