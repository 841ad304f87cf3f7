//! A polynomial decision for one key of the kv model when every put and append writes a unique
//! value (the course's and Jepsen's append workloads): O(n log n) where the generic search can
//! be exponential.
//!
//! Precondition (else `None`, and the generic search decides): the values of the key's
//! non-failed puts and appends are non-empty, pairwise distinct and prefix-free (no value is a
//! prefix of another). Then any string splits in at most one way into written values, so each
//! completed get names the exact writes that built the state it saw, in order.
//!
//! Why the decision is sound and complete. Call the state right after write `w` "version `w`",
//! and the state before any write "version ⊥". A get that read `f1 f2 … fk` (its unique split)
//! saw version `fk`, and in every linearization `f1 … fk` are consecutive in the write order
//! (nothing else can have been applied between them, or the get would show it), `f2 … fk` are
//! appends, and `f1` is either a put or, if an append, the first write of all (immediately after
//! ⊥). A get of `""` saw ⊥ (values are non-empty). So gets impose "immediately followed by"
//! links; a value with two different successors or predecessors, a value used twice (a second
//! predecessor), a put after the first place or an unsplittable string can appear in no linearization. The links
//! form chains starting at ⊥, at a put, or at a write no get saw; a chain with the gets of its
//! versions is a *block*. In any linearization a block's operations are contiguous (a get sits
//! between its version and the next write, which is the next in its chain or starts another
//! block), in slot order: write at chain position i has slot 2i, gets of its version 2i+1.
//! Conversely, concatenating blocks, each in slot order, gives every get exactly its version
//! (a block starting at a put ignores what came before; the ⊥ block must come first). Hence a
//! linearization exists iff (1) within each block no operation returned before an operation
//! of a lower slot was called, and (2) the blocks can be ordered so that no operation of a later
//! block returned before one of an earlier block was called: the graph "A before B iff
//! min return(A) < max call(B)" (⊥ block before all) is acyclic. Unknown-outcome operations:
//! an unseen unknown write or an unknown get constrains nothing and goes last (or not at all);
//! a seen unknown write took effect and never returned.

use super::kv::{KvInput, KvOp, KvOutput};
use crate::history::Operation;
use crate::model::Decision;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

/// Local write numbers are indices into `writes`; `bottom` (= writes.len()) is ⊥.
struct Links {
    pred: Vec<Option<usize>>,
    succ: Vec<Option<usize>>,
    /// Gets (history indices) of each version.
    readers: Vec<Vec<usize>>,
    seen: Vec<bool>,
}

/// Decides the partition `members` of `ops` if its writes are unique (see the module comment).
pub(crate) fn decide(ops: &[Operation<KvInput, KvOutput>], members: &[usize]) -> Option<Decision> {
    let mut live: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| !ops[i].is_failed())
        .collect();
    let leading = peel_leading_resets(ops, &mut live);
    let placed = leading.len() + live.len();
    let writes: Vec<usize> = live
        .iter()
        .copied()
        .filter(|&i| ops[i].input.op != KvOp::Get)
        .collect();
    let dictionary = unique_values(ops, &writes)?;
    let links = match link_versions(ops, &live, &writes, &dictionary) {
        Ok(links) => links,
        Err(culprit) => return Some(Decision::NotLinearizable { culprit }),
    };
    let blocks = blocks(ops, &writes, &links);
    for block in &blocks {
        if let Some(culprit) = slot_violation(ops, block) {
            return Some(Decision::NotLinearizable { culprit });
        }
    }
    let block_order = match order_blocks(ops, &blocks) {
        Ok(order) => order,
        Err(culprit) => return Some(Decision::NotLinearizable { culprit }),
    };
    let mut order: Vec<usize> = leading;
    for b in block_order {
        let mut block = blocks[b].ops.clone();
        block.sort_by_key(|&(slot, i)| (slot, ops[i].ret.unwrap_or(u64::MAX), ops[i].call, i));
        order.extend(block.into_iter().map(|(_, i)| i));
    }
    // Unknown gets and unseen unknown writes: last, where they change nothing anyone saw.
    let mut rest: Vec<usize> = live
        .iter()
        .copied()
        .filter(|&i| ops[i].is_open() && !in_blocks(ops, i, &writes, &links))
        .collect();
    rest.sort_by_key(|&i| (ops[i].call, i));
    order.extend(rest);
    assert_eq!(order.len(), placed, "the order places every operation");
    Some(Decision::Linearizable { order })
}

/// Takes out of `live` the puts of `""` that returned before every other operation was called
/// (the course's clerks start with `Put(k, "")`), in the order they must come. Such a put is
/// first in every linearization (it returned before anything else began) and leaves the initial
/// state `""` as it was, so the rest is linearizable iff it is linearizable without it; and
/// without it the remaining values can be non-empty, which the procedure needs.
fn peel_leading_resets(ops: &[Operation<KvInput, KvOutput>], live: &mut Vec<usize>) -> Vec<usize> {
    let mut peeled = Vec::new();
    loop {
        let first = live
            .iter()
            .copied()
            .min_by_key(|&i| (ops[i].ret.unwrap_or(u64::MAX), i));
        let Some(first) = first else { break };
        let op = &ops[first];
        let is_reset = op.input.op == KvOp::Put && op.input.value.is_empty();
        let Some(ret) = op.ret.filter(|_| is_reset) else {
            break;
        };
        if live.iter().any(|&i| i != first && ops[i].call <= ret) {
            break;
        }
        live.retain(|&i| i != first);
        peeled.push(first);
    }
    peeled
}

/// Open operations are in blocks only if they are writes some get saw.
fn in_blocks(
    ops: &[Operation<KvInput, KvOutput>],
    i: usize,
    writes: &[usize],
    links: &Links,
) -> bool {
    match ops[i].input.op {
        KvOp::Get => false,
        KvOp::Put | KvOp::Append => {
            let local = writes.binary_search(&i).expect("a write");
            links.seen[local]
        }
    }
}

/// Value -> local write, if the values are non-empty, distinct and prefix-free.
fn unique_values<'a>(
    ops: &'a [Operation<KvInput, KvOutput>],
    writes: &[usize],
) -> Option<BTreeMap<&'a str, usize>> {
    let mut dictionary = BTreeMap::new();
    for (local, &i) in writes.iter().enumerate() {
        let value = ops[i].input.value.as_str();
        if value.is_empty() || dictionary.insert(value, local).is_some() {
            return None;
        }
    }
    // In sorted order a value that prefixes another prefixes its successor.
    let values: Vec<&str> = dictionary.keys().copied().collect();
    if values.windows(2).any(|pair| pair[1].starts_with(pair[0])) {
        return None;
    }
    Some(dictionary)
}

/// Splits `read` into written values (local writes), or `None` if it cannot be.
fn split(read: &str, dictionary: &BTreeMap<&str, usize>) -> Option<Vec<usize>> {
    let mut parts = Vec::new();
    let mut rest = read;
    while !rest.is_empty() {
        // Prefix-free: a value prefixing `rest` is the greatest value not above it.
        let (value, &local) = dictionary
            .range::<str, _>((Bound::Unbounded, Bound::Included(rest)))
            .next_back()?;
        rest = rest.strip_prefix(value)?;
        parts.push(local);
    }
    Some(parts)
}

/// The "immediately followed by" links every completed get implies; `Err(get)` for a get that
/// no linearization can explain.
fn link_versions(
    ops: &[Operation<KvInput, KvOutput>],
    live: &[usize],
    writes: &[usize],
    dictionary: &BTreeMap<&str, usize>,
) -> Result<Links, usize> {
    let bottom = writes.len();
    let mut links = Links {
        pred: vec![None; bottom + 1],
        succ: vec![None; bottom + 1],
        readers: vec![Vec::new(); bottom + 1],
        seen: vec![false; bottom],
    };
    for &i in live {
        let (KvOp::Get, Some(read)) = (ops[i].input.op, ops[i].output.as_ref()) else {
            continue;
        };
        let parts = split(&read.value, dictionary).ok_or(i)?;
        let mut previous = bottom;
        for (position, &part) in parts.iter().enumerate() {
            let is_put = ops[writes[part]].input.op == KvOp::Put;
            // A value used twice links into a cycle that `link` refuses: its second use
            // would give it a second predecessor.
            if is_put && position > 0 {
                return Err(i);
            }
            links.seen[part] = true;
            if !is_put {
                link(&mut links, previous, part).map_err(|()| i)?;
            }
            previous = part;
        }
        links.readers[previous].push(i);
    }
    Ok(links)
}

fn link(links: &mut Links, before: usize, after: usize) -> Result<(), ()> {
    let fits = |slot: &mut Option<usize>, value: usize| match *slot {
        Some(existing) => existing == value,
        None => {
            *slot = Some(value);
            true
        }
    };
    let succ_fits = fits(&mut links.succ[before], after);
    let pred_fits = fits(&mut links.pred[after], before);
    if succ_fits && pred_fits {
        Ok(())
    } else {
        Err(())
    }
}

/// A chain and its gets: (slot, history index) of each operation, ⊥ having none.
struct Block {
    ops: Vec<(usize, usize)>,
    /// Must come before every other block.
    first: bool,
}

/// Blocks from the chain starts (⊥, puts, unseen writes); unseen unknown writes are left out.
fn blocks(ops: &[Operation<KvInput, KvOutput>], writes: &[usize], links: &Links) -> Vec<Block> {
    let bottom = writes.len();
    let mut blocks = Vec::new();
    let mut placed = 0;
    for start in (0..=bottom).filter(|&node| links.pred[node].is_none()) {
        let unseen_open = start < bottom && !links.seen[start] && ops[writes[start]].is_open();
        if unseen_open {
            placed += 1;
            continue;
        }
        let mut block = Block {
            ops: Vec::new(),
            first: start == bottom,
        };
        let mut node = Some(start);
        let mut position = 0;
        while let Some(current) = node {
            if current < bottom {
                block.ops.push((2 * position, writes[current]));
                placed += 1;
            }
            let readers = links.readers[current].iter();
            block.ops.extend(readers.map(|&i| (2 * position + 1, i)));
            node = links.succ[current];
            position += 1;
        }
        if !block.ops.is_empty() {
            blocks.push(block);
        }
    }
    assert_eq!(
        placed, bottom,
        "every write is in one chain: links are acyclic"
    );
    blocks
}

/// An operation called after an operation of a higher slot returned, if any.
fn slot_violation(ops: &[Operation<KvInput, KvOutput>], block: &Block) -> Option<usize> {
    let mut by_slot = block.ops.clone();
    by_slot.sort_unstable_by(|a, b| b.cmp(a));
    let mut earliest_later_return = u64::MAX;
    let mut slot_start = 0;
    while slot_start < by_slot.len() {
        let slot = by_slot[slot_start].0;
        let slot_end = slot_start + by_slot[slot_start..].partition_point(|&(s, _)| s == slot);
        let group = &by_slot[slot_start..slot_end];
        if let Some(&(_, culprit)) = group
            .iter()
            .filter(|&&(_, i)| ops[i].call > earliest_later_return)
            .min_by_key(|&&(_, i)| (ops[i].call, i))
        {
            return Some(culprit);
        }
        for &(_, i) in group {
            earliest_later_return = earliest_later_return.min(ops[i].ret.unwrap_or(u64::MAX));
        }
        slot_start = slot_end;
    }
    None
}

/// Orders the blocks (Kahn's algorithm on "A before B iff min return(A) < max call(B)"), or
/// `Err` with the operation returning first among those left in a cycle.
fn order_blocks(
    ops: &[Operation<KvInput, KvOutput>],
    blocks: &[Block],
) -> Result<Vec<usize>, usize> {
    // (min return, max call); the ⊥ block returns "before time", so it precedes everything.
    let bounds: Vec<(i128, i128)> = blocks
        .iter()
        .map(|block| {
            let ret = block
                .ops
                .iter()
                .map(|&(_, i)| ops[i].ret.unwrap_or(u64::MAX));
            let call = block.ops.iter().map(|&(_, i)| ops[i].call);
            let min_ret = if block.first {
                -1
            } else {
                i128::from(ret.min().unwrap_or(u64::MAX))
            };
            (min_ret, i128::from(call.max().unwrap_or(0)))
        })
        .collect();
    let mut by_ret: BTreeSet<(i128, usize)> = (0..blocks.len()).map(|b| (bounds[b].0, b)).collect();
    let mut by_call: BTreeSet<(i128, usize)> =
        (0..blocks.len()).map(|b| (bounds[b].1, b)).collect();
    let mut order = Vec::with_capacity(blocks.len());
    while let Some(&(x_ret, x)) = by_ret.first() {
        // B != X is ready iff call(B) <= ret(X); X is ready iff call(X) <= the next ret.
        let other = by_call.iter().find(|&&(_, b)| b != x).copied();
        let next_ret = by_ret.iter().nth(1).map_or(i128::MAX, |&(ret, _)| ret);
        let ready = match other {
            Some((call, b)) if call <= x_ret => b,
            _ if bounds[x].1 <= next_ret => x,
            _ => return Err(earliest_return(ops, blocks, &by_ret)),
        };
        by_ret.remove(&(bounds[ready].0, ready));
        by_call.remove(&(bounds[ready].1, ready));
        order.push(ready);
    }
    Ok(order)
}

fn earliest_return(
    ops: &[Operation<KvInput, KvOutput>],
    blocks: &[Block],
    left: &BTreeSet<(i128, usize)>,
) -> usize {
    left.iter()
        .flat_map(|&(_, b)| blocks[b].ops.iter().map(|&(_, i)| i))
        .min_by_key(|&i| (ops[i].ret.unwrap_or(u64::MAX), i))
        .expect("a cycle has operations")
}
