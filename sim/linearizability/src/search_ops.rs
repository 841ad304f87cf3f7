//! The operations one search places: which (open reads are left out), in what numbering (the
//! memo's packing, see `cache`), which are read-only, and which identical one each must follow
//! (the rules are in `search`'s module comment).

use crate::history::Operation;
use crate::model::Model;
use protocol_core::collections::fixed_hash_map;

/// No identical operation to follow.
pub(crate) const NO_TWIN: u32 = u32::MAX;

/// The operations a search places, numbered as the memo packs them (see `cache`).
pub(crate) struct Searched<'a, I, O> {
    /// History indices: completed operations in call order, then open ones in call order.
    pub indices: Vec<usize>,
    pub ops: Vec<&'a Operation<I, O>>,
    /// The bit of each: completed ones from bit 0, open ones from the next whole word.
    pub bits: Vec<u32>,
    pub completed_words: usize,
    pub total_words: usize,
    /// The identical operation each must follow (see the module comment), or `NO_TWIN`.
    pub twin: Vec<u32>,
    pub read_only: Vec<bool>,
    /// Open read-only operations, left out and put last (history indices, in call order).
    pub left_out: Vec<usize>,
}

impl<'a, I, O> Searched<'a, I, O>
where
    I: Eq + std::hash::Hash,
    O: Eq + std::hash::Hash,
{
    pub fn new<M: Model<Input = I, Output = O>>(
        model: &M,
        ops: &'a [Operation<I, O>],
        members: &[usize],
    ) -> Self {
        let mut kept = Vec::new();
        let mut left_out = Vec::new();
        for &i in members.iter().filter(|&&i| !ops[i].is_failed()) {
            let op = &ops[i];
            if op.is_open() && model.is_read_only(&op.input, None) {
                left_out.push(i);
            } else {
                kept.push(i);
            }
        }
        kept.sort_by_key(|&i| (ops[i].is_open(), ops[i].call, i));
        left_out.sort_by_key(|&i| (ops[i].call, i));
        let completed = kept.iter().filter(|&&i| !ops[i].is_open()).count();
        let completed_words = completed.div_ceil(64);
        let open = kept.len() - completed;
        let bits = (0..kept.len())
            .map(|local| {
                let bit = if local < completed {
                    local
                } else {
                    completed_words * 64 + local - completed
                };
                u32::try_from(bit).expect("fewer than 2^32 operations")
            })
            .collect();
        let local_ops: Vec<&Operation<I, O>> = kept.iter().map(|&i| &ops[i]).collect();
        Searched {
            twin: twins(&local_ops),
            read_only: local_ops
                .iter()
                .map(|op| model.is_read_only(&op.input, op.output.as_ref()))
                .collect(),
            indices: kept,
            ops: local_ops,
            bits,
            completed_words,
            total_words: completed_words + open.div_ceil(64),
            left_out,
        }
    }
}

/// For each operation, the identical one it must follow (module comment), or `NO_TWIN`: the
/// one before it among the identical ones ordered by (call, return), if that returned no later.
fn twins<I: Eq + std::hash::Hash, O: Eq + std::hash::Hash>(ops: &[&Operation<I, O>]) -> Vec<u32> {
    // Groups numbered in operation order; the map is only looked up, never iterated.
    let mut group_of = fixed_hash_map();
    let mut groups: Vec<Vec<u32>> = Vec::new();
    for (local, op) in ops.iter().enumerate() {
        let key = (&op.input, op.output.as_ref(), op.is_open());
        let group = *group_of.entry(key).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[group].push(local as u32);
    }
    let ret = |local: u32| ops[local as usize].ret.unwrap_or(u64::MAX);
    let mut twin = vec![NO_TWIN; ops.len()];
    for group in &mut groups {
        group.sort_by_key(|&local| (ops[local as usize].call, ret(local), local));
        for pair in group.windows(2) {
            if ret(pair[0]) <= ret(pair[1]) {
                twin[pair[1] as usize] = pair[0];
            }
        }
    }
    twin
}
