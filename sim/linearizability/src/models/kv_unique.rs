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

use super::blocks::{flatten, order_blocks, slot_violation, Block};
use super::kv::{KvInput, KvOp, KvOutput};
use crate::history::Operation;
use crate::model::Decision;
use std::collections::BTreeMap;
use std::ops::Bound;

mod why;

type KvOperation = Operation<KvInput, KvOutput>;

/// Local write numbers are indices into `writes`; `bottom` (= writes.len()) is ⊥.
struct Links {
    pred: Vec<Option<usize>>,
    succ: Vec<Option<usize>>,
    /// The get that first linked each write to its predecessor.
    linked_by: Vec<Option<usize>>,
    /// Gets (history indices) of each version.
    readers: Vec<Vec<usize>>,
    seen: Vec<bool>,
}

/// A get that no linearization can explain, and why.
enum LinkError {
    /// It read a string that is no sequence of written values.
    Unsplittable { get: usize },
    /// It read a put's value after other values.
    PutNotFirst { get: usize, put: usize },
    /// It read `after` right after `before`, but `earlier_get` read `other` right after
    /// `before` (`succ`), or `after` right after `other` (`!succ`).
    Conflict {
        get: usize,
        before: usize,
        after: usize,
        other: usize,
        earlier_get: usize,
        succ: bool,
    },
}

/// The partition's writes and what the gets say about them.
struct Writes<'a> {
    ops: &'a [KvOperation],
    /// History indices of the non-failed puts and appends; local write n is `indices[n]`.
    indices: Vec<usize>,
}

impl Writes<'_> {
    fn bottom(&self) -> usize {
        self.indices.len()
    }

    /// The value written by local write `node`, `""` for ⊥.
    fn value(&self, node: usize) -> &str {
        match self.indices.get(node) {
            Some(&i) => &self.ops[i].input.value,
            None => "",
        }
    }
}

/// Decides the partition `members` of `ops` if its writes are unique (see the module comment).
pub(crate) fn decide(ops: &[KvOperation], members: &[usize]) -> Option<Decision> {
    let mut live: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| !ops[i].is_failed())
        .collect();
    let leading = peel_leading_resets(ops, &mut live);
    let placed = leading.len() + live.len();
    let writes = Writes {
        ops,
        indices: live
            .iter()
            .copied()
            .filter(|&i| ops[i].input.op != KvOp::Get)
            .collect(),
    };
    let dictionary = unique_values(ops, &writes.indices)?;
    let links = match link_versions(ops, &live, &writes, &dictionary) {
        Ok(links) => links,
        Err(error) => return Some(why::link_error(&writes, &error)),
    };
    let chains = chains(&writes, &links);
    let blocks: Vec<Block> = chains
        .iter()
        .map(|c| block_of(&writes, &links, c))
        .collect();
    let (block_order, cycle) = order_blocks(ops, &blocks);
    let mut order: Vec<usize> = leading;
    order.extend(flatten(ops, &blocks, &block_order));
    // Unknown gets and unseen unknown writes: last, where they change nothing anyone saw.
    let mut rest: Vec<usize> = live
        .iter()
        .copied()
        .filter(|&i| ops[i].is_open() && !in_blocks(ops, i, &writes, &links))
        .collect();
    rest.sort_by_key(|&i| (ops[i].call, i));
    order.extend(rest);
    assert_eq!(order.len(), placed, "the order places every operation");
    for (chain, block) in chains.iter().zip(&blocks) {
        if let Some(violation) = slot_violation(ops, block) {
            let why = why::slot_violation(&writes, &links, chain, &violation);
            return Some(not_linearizable(violation.late, why, order));
        }
    }
    if let Some(cycle) = cycle {
        let why = why::cycle(&writes, &chains, &cycle);
        return Some(not_linearizable(cycle.x_call, why, order));
    }
    Some(Decision::Linearizable { order })
}

fn not_linearizable(
    culprit: usize,
    why: crate::explanation::Explanation,
    candidate: Vec<usize>,
) -> Decision {
    Decision::NotLinearizable {
        culprit,
        why,
        candidate,
    }
}

/// Takes out of `live` the puts of `""` that returned before every other operation was called
/// (the course's clerks start with `Put(k, "")`), in the order they must come. Such a put is
/// first in every linearization (it returned before anything else began) and leaves the initial
/// state `""` as it was, so the rest is linearizable iff it is linearizable without it; and
/// without it the remaining values can be non-empty, which the procedure needs.
fn peel_leading_resets(ops: &[KvOperation], live: &mut Vec<usize>) -> Vec<usize> {
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
fn in_blocks(ops: &[KvOperation], i: usize, writes: &Writes, links: &Links) -> bool {
    match ops[i].input.op {
        KvOp::Get => false,
        KvOp::Put | KvOp::Append => {
            let local = writes.indices.binary_search(&i).expect("a write");
            links.seen[local]
        }
    }
}

/// Value -> local write, if the values are non-empty, distinct and prefix-free.
fn unique_values<'a>(ops: &'a [KvOperation], writes: &[usize]) -> Option<BTreeMap<&'a str, usize>> {
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

/// The "immediately followed by" links every completed get implies, or the first get that no
/// linearization can explain.
fn link_versions(
    ops: &[KvOperation],
    live: &[usize],
    writes: &Writes,
    dictionary: &BTreeMap<&str, usize>,
) -> Result<Links, LinkError> {
    let bottom = writes.bottom();
    let mut links = Links {
        pred: vec![None; bottom + 1],
        succ: vec![None; bottom + 1],
        linked_by: vec![None; bottom + 1],
        readers: vec![Vec::new(); bottom + 1],
        seen: vec![false; bottom],
    };
    for &get in live {
        let (KvOp::Get, Some(read)) = (ops[get].input.op, ops[get].output.as_ref()) else {
            continue;
        };
        let parts = split(&read.value, dictionary).ok_or(LinkError::Unsplittable { get })?;
        let mut previous = bottom;
        for (position, &part) in parts.iter().enumerate() {
            let is_put = ops[writes.indices[part]].input.op == KvOp::Put;
            // A value used twice links into a cycle that `link` refuses: its second use
            // would give it a second predecessor.
            if is_put && position > 0 {
                let put = writes.indices[part];
                return Err(LinkError::PutNotFirst { get, put });
            }
            links.seen[part] = true;
            if !is_put {
                link(&mut links, previous, part, get)?;
            }
            previous = part;
        }
        links.readers[previous].push(get);
    }
    Ok(links)
}

fn link(links: &mut Links, before: usize, after: usize, get: usize) -> Result<(), LinkError> {
    let conflict = |other: usize, earlier_get: usize, succ: bool| LinkError::Conflict {
        get,
        before,
        after,
        other,
        earlier_get,
        succ,
    };
    if let Some(other) = links.succ[before].filter(|&other| other != after) {
        let earlier = links.linked_by[other].expect("a linked write names its get");
        return Err(conflict(other, earlier, true));
    }
    if let Some(other) = links.pred[after].filter(|&other| other != before) {
        let earlier = links.linked_by[after].expect("a linked write names its get");
        return Err(conflict(other, earlier, false));
    }
    if links.pred[after].is_none() {
        links.linked_by[after] = Some(get);
    }
    links.succ[before] = Some(after);
    links.pred[after] = Some(before);
    Ok(())
}

/// The chains, each from its start (⊥, a put or an unseen write) along the links, as local
/// write numbers (⊥ as `bottom`); unseen unknown writes are left out (they go last).
fn chains(writes: &Writes, links: &Links) -> Vec<Vec<usize>> {
    let bottom = writes.bottom();
    let mut chains = Vec::new();
    let mut placed = 0;
    for start in (0..=bottom).filter(|&node| links.pred[node].is_none()) {
        let unseen_open =
            start < bottom && !links.seen[start] && writes.ops[writes.indices[start]].is_open();
        if unseen_open {
            placed += 1;
            continue;
        }
        let mut chain = Vec::new();
        let mut node = Some(start);
        while let Some(current) = node {
            placed += usize::from(current < bottom);
            chain.push(current);
            node = links.succ[current];
        }
        if chain != [bottom] || !links.readers[bottom].is_empty() {
            chains.push(chain);
        }
    }
    assert_eq!(
        placed, bottom,
        "every write is in one chain: links are acyclic"
    );
    chains
}

/// A chain with the gets of its versions, in slots.
fn block_of(writes: &Writes, links: &Links, chain: &[usize]) -> Block {
    let bottom = writes.bottom();
    let mut block = Block {
        ops: Vec::new(),
        first: chain[0] == bottom,
    };
    for (position, &node) in chain.iter().enumerate() {
        if node < bottom {
            block.ops.push((2 * position, writes.indices[node]));
        }
        let readers = links.readers[node].iter();
        block.ops.extend(readers.map(|&i| (2 * position + 1, i)));
    }
    block
}
