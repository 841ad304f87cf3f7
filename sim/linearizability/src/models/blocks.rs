//! Blocks, shared by the unique-values decisions ([`super::kv_unique`],
//! [`super::register_unique`]): a chain of versions, each linked to the next, with the reads of
//! each version. Both modules prove that every linearization holds a block's operations
//! contiguously in slot order (the write at chain position p has slot 2p, the reads of its
//! version 2p + 1) and that any order of whole blocks, each in slot order, that respects real
//! time is a linearization. What is left is real time, decided here:
//! (1) within a block, no operation may be called after an operation of a higher slot returned;
//! (2) the blocks must have an order in which no block's operation returned before an earlier
//! block's operation was called: "A before B iff min return(A) < max call(B)" must be acyclic.

use crate::explanation::Explanation;
use crate::history::Operation;
use std::collections::BTreeSet;

/// A chain and the reads of its versions.
pub(crate) struct Block {
    /// (slot, history index) of each operation.
    pub ops: Vec<(usize, usize)>,
    /// The block of the initial value, which comes before every other.
    pub first: bool,
}

/// Condition (1) broken: `late` (at `late_slot`) was called after `early` (at the higher
/// `early_slot`) had returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SlotViolation {
    pub late: usize,
    pub late_slot: usize,
    pub early: usize,
    pub early_slot: usize,
}

/// Condition (2) broken, as a cycle of two blocks `x` and `y` (one always exists, see
/// [`order_blocks`]): `x_ret` of x returned before `y_call` of y was called, so x goes first;
/// and `y_ret` of y returned before `x_call` of x was called, so y goes first. `x_ret` is
/// `None` when x is the initial value's block, which goes first by definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BlockCycle {
    pub x: usize,
    pub y: usize,
    pub x_ret: Option<usize>,
    pub y_call: usize,
    pub y_ret: usize,
    pub x_call: usize,
}

fn ret_of<I, O>(op: &Operation<I, O>) -> u64 {
    op.ret.unwrap_or(u64::MAX)
}

/// The first violation of condition (1) in `block`: the operation called earliest among those
/// called after an operation of a higher slot returned, with the one that returned first.
pub(crate) fn slot_violation<I, O>(
    ops: &[Operation<I, O>],
    block: &Block,
) -> Option<SlotViolation> {
    let mut by_slot = block.ops.clone();
    by_slot.sort_unstable_by(|a, b| b.cmp(a));
    // (return, index, slot) of the operation of a higher slot that returned first.
    let mut earliest_later: Option<(u64, usize, usize)> = None;
    let mut slot_start = 0;
    while slot_start < by_slot.len() {
        let slot = by_slot[slot_start].0;
        let slot_end = slot_start + by_slot[slot_start..].partition_point(|&(s, _)| s == slot);
        let group = &by_slot[slot_start..slot_end];
        if let Some((ret, early, early_slot)) = earliest_later {
            let late = group
                .iter()
                .filter(|&&(_, i)| ops[i].call > ret)
                .min_by_key(|&&(_, i)| (ops[i].call, i));
            if let Some(&(late_slot, late)) = late {
                assert!(late_slot < early_slot, "slots are visited from the highest");
                return Some(SlotViolation {
                    late,
                    late_slot,
                    early,
                    early_slot,
                });
            }
        }
        for &(s, i) in group {
            let candidate = (ret_of(&ops[i]), i, s);
            if earliest_later.is_none_or(|(ret, j, _)| (candidate.0, candidate.1) < (ret, j)) {
                earliest_later = Some(candidate);
            }
        }
        slot_start = slot_end;
    }
    None
}

/// Orders the blocks (Kahn's algorithm on "A before B iff min return(A) < max call(B)").
/// Where no block can go next, it names the cycle ([`BlockCycle`]) and goes on with the block
/// that returned first, so the order is complete either way: a linearization if there is no
/// cycle, else a candidate order for a witness.
pub(crate) fn order_blocks<I, O>(
    ops: &[Operation<I, O>],
    blocks: &[Block],
) -> (Vec<usize>, Option<BlockCycle>) {
    // (min return, max call); the first block returns "before time", so it precedes everything.
    let bounds: Vec<(i128, i128)> = blocks.iter().map(|block| bounds_of(ops, block)).collect();
    let mut by_ret: BTreeSet<(i128, usize)> = (0..blocks.len()).map(|b| (bounds[b].0, b)).collect();
    let mut by_call: BTreeSet<(i128, usize)> =
        (0..blocks.len()).map(|b| (bounds[b].1, b)).collect();
    let mut order = Vec::with_capacity(blocks.len());
    let mut cycle = None;
    while let Some(&(x_ret, x)) = by_ret.first() {
        // B != X may go next iff call(B) <= ret(X); X may iff call(X) <= the next return.
        let other = by_call.iter().find(|&&(_, b)| b != x).copied();
        let next = by_ret.iter().nth(1).copied();
        let next_ret = next.map_or(i128::MAX, |(ret, _)| ret);
        let ready = match other {
            Some((call, b)) if call <= x_ret => b,
            _ if bounds[x].1 <= next_ret => x,
            _ => {
                // Every other block was called after X returned (X before all), and X was
                // called after the next-returning block Y returned (Y before X): a 2-cycle.
                let (_, y) = next.expect("a lone block is always ready");
                cycle.get_or_insert_with(|| describe_cycle(ops, blocks, x, y));
                x
            }
        };
        by_ret.remove(&(bounds[ready].0, ready));
        by_call.remove(&(bounds[ready].1, ready));
        order.push(ready);
    }
    (order, cycle)
}

fn bounds_of<I, O>(ops: &[Operation<I, O>], block: &Block) -> (i128, i128) {
    let min_ret = if block.first {
        -1
    } else {
        let ret = block.ops.iter().map(|&(_, i)| ret_of(&ops[i])).min();
        i128::from(ret.unwrap_or(u64::MAX))
    };
    let max_call = block.ops.iter().map(|&(_, i)| ops[i].call).max();
    (min_ret, i128::from(max_call.unwrap_or(0)))
}

fn describe_cycle<I, O>(
    ops: &[Operation<I, O>],
    blocks: &[Block],
    x: usize,
    y: usize,
) -> BlockCycle {
    let first_return = |b: usize| {
        let returned = blocks[b].ops.iter().map(|&(_, i)| i);
        returned.min_by_key(|&i| (ret_of(&ops[i]), i))
    };
    let last_call = |b: usize| {
        let called = blocks[b].ops.iter().map(|&(_, i)| i);
        called
            .max_by_key(|&i| (ops[i].call, std::cmp::Reverse(i)))
            .expect("blocks have operations")
    };
    let cycle = BlockCycle {
        x,
        y,
        x_ret: (!blocks[x].first).then(|| first_return(x).expect("blocks have operations")),
        y_call: last_call(y),
        y_ret: first_return(y).expect("blocks have operations"),
        x_call: last_call(x),
    };
    assert!(
        !blocks[y].first,
        "the first block returns before all others"
    );
    assert!(
        ret_of(&ops[cycle.y_ret]) < ops[cycle.x_call].call,
        "y goes before x"
    );
    if let Some(x_ret) = cycle.x_ret {
        assert!(
            ret_of(&ops[x_ret]) < ops[cycle.y_call].call,
            "x goes before y"
        );
    }
    cycle
}

/// Condition (2) broken, for people: `x_run` and `y_run` name the two runs' values.
pub(crate) fn explain_cycle(cycle: &BlockCycle, x_run: &str, y_run: &str) -> Explanation {
    let Some(x_ret) = cycle.x_ret else {
        return Explanation::new()
            .op(cycle.x_call)
            .text(format!(
                " belongs to the run from the initial value ({x_run}), which comes before every \
                 other write; but "
            ))
            .op(cycle.y_ret)
            .text(format!(
                ", of the run {y_run}, returned before it was called"
            ));
    };
    Explanation::new()
        .text(format!(
            "the values {x_run} take effect as one run with the operations that saw them, no \
             other write in between, and so do the values {y_run}; but neither run can go \
             first: "
        ))
        .op(x_ret)
        .text(" returned before ")
        .op(cycle.y_call)
        .text(" was called, and ")
        .op(cycle.y_ret)
        .text(" returned before ")
        .op(cycle.x_call)
        .text(" was called")
}

/// The operations of `blocks` in `order`, each block in slot order (ties by return, call).
pub(crate) fn flatten<I, O>(
    ops: &[Operation<I, O>],
    blocks: &[Block],
    order: &[usize],
) -> Vec<usize> {
    let mut flat = Vec::new();
    for &b in order {
        let mut block = blocks[b].ops.clone();
        block.sort_by_key(|&(slot, i)| (slot, ret_of(&ops[i]), ops[i].call, i));
        flat.extend(block.into_iter().map(|(_, i)| i));
    }
    flat
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(call: u64, ret: u64) -> Operation<(), ()> {
        Operation {
            client: 0,
            call,
            ret: Some(ret),
            input: (),
            output: Some(()),
        }
    }

    #[test]
    fn a_read_called_after_a_later_write_returned_breaks_slot_order() {
        // slot 0 write [0, 1], slot 1 read [2, 3], slot 2 write [4, 5], slot 1 read [6, 7]
        let ops = vec![op(0, 1), op(2, 3), op(4, 5), op(6, 7)];
        let block = Block {
            ops: vec![(0, 0), (1, 1), (2, 2), (1, 3)],
            first: false,
        };
        let violation = slot_violation(&ops, &block).expect("op 3 is stale");
        assert_eq!(
            violation,
            SlotViolation {
                late: 3,
                late_slot: 1,
                early: 2,
                early_slot: 2
            }
        );
        let fine = Block {
            ops: vec![(0, 0), (1, 1), (2, 2)],
            first: false,
        };
        assert_eq!(slot_violation(&ops, &fine), None);
    }

    #[test]
    fn two_blocks_that_must_each_go_first_are_a_cycle() {
        // Block 0: ops 0 [0, 1] and 1 [6, 7]; block 1: ops 2 [2, 3] and 3 [4, 5].
        let ops = vec![op(0, 1), op(6, 7), op(2, 3), op(4, 5)];
        let blocks = vec![
            Block {
                ops: vec![(0, 0), (1, 1)],
                first: false,
            },
            Block {
                ops: vec![(0, 2), (1, 3)],
                first: false,
            },
        ];
        let (order, cycle) = order_blocks(&ops, &blocks);
        assert_eq!(order, vec![0, 1], "still a complete candidate order");
        let cycle = cycle.expect("each must go first");
        assert_eq!((cycle.x, cycle.y), (0, 1));
        assert_eq!((cycle.x_ret, cycle.y_call), (Some(0), 3));
        assert_eq!((cycle.y_ret, cycle.x_call), (2, 1));
        // Without op 1 block 0 can simply go first.
        let ops_ok = vec![op(0, 1), op(0, 1), op(2, 3), op(4, 5)];
        assert_eq!(order_blocks(&ops_ok, &blocks), (vec![0, 1], None));
        assert_eq!(flatten(&ops_ok, &blocks, &[0, 1]), vec![0, 1, 2, 3]);
    }
}
