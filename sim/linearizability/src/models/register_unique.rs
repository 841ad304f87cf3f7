//! A polynomial decision for one key of the register and cas-register models when every write
//! and compare-and-set writes a unique value (Jepsen-style clients that write fresh integers):
//! O(n log n) where the generic search can be exponential, above all with many operations of
//! unknown outcome.
//!
//! Precondition (else `None`, and the generic search decides): among the key's non-failed
//! operations, the values written (`write(v)`, and `to` of `cas(from, to)`) are pairwise
//! distinct; every answer is of its operation's kind; and no compare-and-set completed refused
//! (`Cas { ok: false }`, which says "the value was not `from`" and is not a link; Jepsen logs
//! write it `:fail`, no effect, which the checker leaves out anyway).
//!
//! Versions. Call the state right after writer `w` (a write or a compare-and-set that took
//! effect) "version `w`", and the state before any writer "version ⊥" (nil). Values are unique,
//! so a read that returned `v` saw the version of the one writer of `v`, and a compare-and-set
//! `cas(a, b)` that took effect was applied in version "writer of `a`" and made version `b`.
//!
//! Rule 1, required writers. A completed write or compare-and-set took effect. A writer whose
//! value a completed read returned, or that a required compare-and-set compared against, took
//! effect too (the value exists only through it); so does, transitively, whatever a required
//! compare-and-set compared against. If a needed value has no writer, or only one that failed,
//! no linearization exists: the read or compare-and-set that needs it is the culprit.
//!
//! Rule 2, the rest is dropped. Every other operation is of unknown outcome: a read (any answer
//! is possible, no effect) or a writer nobody needs. Given any linearization `L`, removing those
//! gives one, `L'`: for every remaining read or compare-and-set `o`, the last writer before `o`
//! in `L` is required (`o` reads or compares against its value, so it is needed), stays in `L'`,
//! and no writer between them is added; so `o` sees the same state. Writes need no state.
//! Conversely the dropped operations can go last in any linearization of the rest: an unknown
//! operation always steps, and nothing after it looks. So the history is linearizable iff the
//! required writers and the completed reads are.
//!
//! Rule 3, links and chains. In `L'` every writer takes effect, and a required `cas(a, b)`
//! comes right after the writer of `a` among writers (the state must be `a` and only that writer
//! makes it `a`): a link "b immediately follows a". Two required compare-and-sets from the same
//! `a` would both have to come right after it: no linearization. A write has no link before it.
//! So the writers split into chains, each a write (or ⊥) followed by the compare-and-sets linked
//! from it one by one; a required compare-and-set that no chain reaches is on a cycle of links,
//! which no sequence can satisfy. In `L'` the writer sequence, cut before each write, is a
//! sequence of whole chains: a cut part that stopped before its chain's end would leave the
//! next link's compare-and-set to come right after a writer that is already followed by another.
//!
//! Rule 4, blocks. A read of `v` sits in `L'` between the writer of `v` and the next writer,
//! which is the next in its chain or the start of another chain; a read of nil sits before every
//! writer. So a chain with the reads of its versions (a *block*) is contiguous in `L'`, in slot
//! order: the writer at chain position p has slot 2p, the reads of its version 2p + 1, and the
//! block of ⊥ (the reads of nil) comes first. Conversely, blocks concatenated, each in slot
//! order, the ⊥ block first, give every read its value and every compare-and-set its `from`
//! (each block starts with a write, which needs nothing). Hence a linearization exists iff real
//! time allows such an order: conditions (1) and (2) of `models/blocks.rs`.
//!
//! `why.rs` words the failure of each rule in terms of what the reads and compare-and-sets saw.

use super::blocks::{flatten, order_blocks, slot_violation, Block};
use super::register::{describe_value, RegisterInput, RegisterOp, RegisterOutput};
use crate::history::Operation;
use crate::model::Decision;
use std::collections::{BTreeMap, VecDeque};

mod why;

type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

/// The partition's writers by local number (history order); `bottom` (= their count) is ⊥.
struct Writers<'a> {
    ops: &'a [RegisterOperation],
    indices: Vec<usize>,
    by_value: BTreeMap<i64, usize>,
}

impl Writers<'_> {
    fn bottom(&self) -> usize {
        self.indices.len()
    }

    fn op(&self, node: usize) -> &RegisterOperation {
        &self.ops[self.indices[node]]
    }

    /// The value of version `node`: nil for ⊥.
    fn label(&self, node: usize) -> String {
        describe_value(
            self.indices
                .get(node)
                .map(|&i| written(&self.ops[i].input.op)),
        )
    }
}

/// What a writer writes.
fn written(op: &RegisterOp) -> i64 {
    match *op {
        RegisterOp::Write(value) | RegisterOp::Cas { to: value, .. } => value,
        RegisterOp::Read => unreachable!("a read writes nothing"),
    }
}

/// What the operations say about the versions.
struct Links {
    pred: Vec<Option<usize>>,
    succ: Vec<Option<usize>>,
    required: Vec<bool>,
    /// For each required writer, the operation that first needed its value (itself if it
    /// completed).
    needed_by: Vec<Option<usize>>,
    /// Completed reads (history indices) of each version.
    readers: Vec<Vec<usize>>,
}

/// A rule the history breaks. `root`: the completed operation whose answer forces the
/// others named to have taken effect (the culprit: an operation of unknown outcome can always
/// be placed as one that did nothing).
enum LinkError {
    /// `by` (a read, or a required compare-and-set) needs `value`, which no writer wrote.
    Unwritten { by: usize, value: i64, root: usize },
    /// Required compare-and-sets `first` and `second` both compared against `value`.
    SameFrom {
        first: usize,
        second: usize,
        value: i64,
        root: usize,
    },
    /// Required compare-and-set `cas` lies on a cycle of links.
    Cycle { cas: usize, root: usize },
}

/// The completed operation that made `op` required: `op` itself if it completed.
fn root_of(writers: &Writers, links: &Links, op: usize) -> usize {
    let mut op = op;
    while writers.ops[op].is_open() {
        let node = writers
            .indices
            .binary_search(&op)
            .expect("open and needed: a writer");
        op = links.needed_by[node].expect("a required writer was needed by someone");
    }
    op
}

/// Decides the partition `members` of `ops` if its written values are unique (see above).
pub(crate) fn decide(ops: &[RegisterOperation], members: &[usize]) -> Option<Decision> {
    let live: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| !ops[i].is_failed())
        .collect();
    if !live.iter().all(|&i| answer_fits(&ops[i])) {
        return None;
    }
    let writers = unique_writers(ops, &live)?;
    let links = match link_versions(ops, &live, &writers) {
        Ok(links) => links,
        Err(error) => return Some(why::link_error(&writers, &error)),
    };
    let chains = match chains(&writers, &links) {
        Ok(chains) => chains,
        Err(error) => return Some(why::link_error(&writers, &error)),
    };
    let blocks: Vec<Block> = chains
        .iter()
        .map(|c| block_of(&writers, &links, c))
        .collect();
    let (block_order, cycle) = order_blocks(ops, &blocks);
    let mut order = flatten(ops, &blocks, &block_order);
    // Rule 2: unknown reads and writers nobody needs go last.
    let mut rest: Vec<usize> = live
        .iter()
        .copied()
        .filter(|&i| ops[i].is_open() && !is_required(&writers, &links, i))
        .collect();
    rest.sort_by_key(|&i| (ops[i].call, i));
    order.extend(rest);
    assert_eq!(order.len(), live.len(), "the order places every operation");
    for (chain, block) in chains.iter().zip(&blocks) {
        if let Some(violation) = slot_violation(ops, block) {
            let root = root_of(&writers, &links, violation.late);
            let why = why::forced(&writers, violation.late, root)
                .append(why::slot_violation(&writers, chain, &violation));
            return Some(Decision::NotLinearizable {
                culprit: root,
                why,
                candidate: order,
            });
        }
    }
    if let Some(cycle) = cycle {
        let root = root_of(&writers, &links, cycle.x_call);
        let why =
            why::forced(&writers, cycle.x_call, root).append(why::cycle(&writers, &chains, &cycle));
        return Some(Decision::NotLinearizable {
            culprit: root,
            why,
            candidate: order,
        });
    }
    Some(Decision::Linearizable { order })
}

/// A completed operation answered in its own kind, and no refused compare-and-set.
fn answer_fits(op: &RegisterOperation) -> bool {
    match (&op.input.op, &op.output) {
        (_, None) => true,
        (RegisterOp::Read, Some(RegisterOutput::Read(_)))
        | (RegisterOp::Write(_), Some(RegisterOutput::Write))
        | (RegisterOp::Cas { .. }, Some(RegisterOutput::Cas { ok: true })) => true,
        (RegisterOp::Cas { .. }, Some(RegisterOutput::Cas { ok: false })) => false,
        (_, Some(RegisterOutput::Read(_) | RegisterOutput::Write | RegisterOutput::Cas { .. })) => {
            false
        }
    }
}

/// The writers among `live`, if their values are distinct.
fn unique_writers<'a>(ops: &'a [RegisterOperation], live: &[usize]) -> Option<Writers<'a>> {
    let indices: Vec<usize> = live
        .iter()
        .copied()
        .filter(|&i| ops[i].input.op != RegisterOp::Read)
        .collect();
    let mut by_value = BTreeMap::new();
    for (local, &i) in indices.iter().enumerate() {
        if by_value.insert(written(&ops[i].input.op), local).is_some() {
            return None;
        }
    }
    Some(Writers {
        ops,
        indices,
        by_value,
    })
}

fn is_required(writers: &Writers, links: &Links, i: usize) -> bool {
    match writers.indices.binary_search(&i) {
        Ok(local) => links.required[local],
        Err(_) => false,
    }
}

/// Rules 1 and 3: the required writers, the readers of each version, the links.
fn link_versions(
    ops: &[RegisterOperation],
    live: &[usize],
    writers: &Writers,
) -> Result<Links, LinkError> {
    let bottom = writers.bottom();
    let mut links = Links {
        pred: vec![None; bottom + 1],
        succ: vec![None; bottom + 1],
        required: vec![false; bottom],
        needed_by: vec![None; bottom],
        readers: vec![Vec::new(); bottom + 1],
    };
    // (a value needed, the operation that needs it), in history order of the needers.
    let mut needed: VecDeque<(i64, usize)> = VecDeque::new();
    for &i in live {
        match (&ops[i].input.op, &ops[i].output) {
            (RegisterOp::Read, Some(RegisterOutput::Read(None))) => links.readers[bottom].push(i),
            (RegisterOp::Read, Some(RegisterOutput::Read(Some(value)))) => {
                needed.push_back((*value, i))
            }
            (RegisterOp::Read, _) => {}
            (RegisterOp::Write(value) | RegisterOp::Cas { to: value, .. }, Some(_)) => {
                needed.push_back((*value, i))
            }
            (RegisterOp::Write(_) | RegisterOp::Cas { .. }, None) => {}
        }
    }
    while let Some((value, by)) = needed.pop_front() {
        let Some(&node) = writers.by_value.get(&value) else {
            let root = root_of(writers, &links, by);
            return Err(LinkError::Unwritten { by, value, root });
        };
        if ops[by].input.op == RegisterOp::Read {
            links.readers[node].push(by);
        }
        if std::mem::replace(&mut links.required[node], true) {
            continue;
        }
        links.needed_by[node] = Some(by);
        if let RegisterOp::Cas { from, .. } = writers.op(node).input.op {
            needed.push_back((from, writers.indices[node]));
        }
    }
    for node in (0..bottom).filter(|&n| links.required[n]) {
        let RegisterOp::Cas { from, .. } = writers.op(node).input.op else {
            continue;
        };
        let before = writers.by_value[&from];
        if let Some(other) = links.succ[before] {
            let second = writers.indices[node];
            return Err(LinkError::SameFrom {
                first: writers.indices[other],
                second,
                value: from,
                root: root_of(writers, &links, second),
            });
        }
        links.succ[before] = Some(node);
        links.pred[node] = Some(before);
    }
    Ok(links)
}

/// Rule 3: the chains from ⊥ (if read) and from each required write, as local writer numbers.
fn chains(writers: &Writers, links: &Links) -> Result<Vec<Vec<usize>>, LinkError> {
    let bottom = writers.bottom();
    let mut chains = Vec::new();
    if !links.readers[bottom].is_empty() {
        chains.push(vec![bottom]);
    }
    let mut reached = vec![false; bottom];
    let starts = (0..bottom).filter(|&n| links.required[n] && links.pred[n].is_none());
    for start in starts {
        let mut chain = Vec::new();
        let mut node = Some(start);
        while let Some(current) = node {
            assert!(!reached[current], "links are injective: no node twice");
            reached[current] = true;
            chain.push(current);
            node = links.succ[current];
        }
        chains.push(chain);
    }
    let unreached = (0..bottom).find(|&n| links.required[n] && !reached[n]);
    if let Some(node) = unreached {
        let cas = writers.indices[node];
        let root = root_of(writers, links, cas);
        return Err(LinkError::Cycle { cas, root });
    }
    Ok(chains)
}

/// Rule 4: a chain with the reads of its versions, in slots.
fn block_of(writers: &Writers, links: &Links, chain: &[usize]) -> Block {
    let bottom = writers.bottom();
    let mut block = Block {
        ops: Vec::new(),
        first: chain[0] == bottom,
    };
    for (position, &node) in chain.iter().enumerate() {
        if node < bottom {
            block.ops.push((2 * position, writers.indices[node]));
        }
        let readers = links.readers[node].iter();
        block.ops.extend(readers.map(|&i| (2 * position + 1, i)));
    }
    block
}
