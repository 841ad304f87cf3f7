//! Why a register of unique values is not linearizable, in the terms of what its reads and
//! compare-and-sets saw.

use super::{LinkError, Writers};
use crate::explanation::Explanation;
use crate::model::Decision;
use crate::models::blocks::{explain_cycle, BlockCycle, SlotViolation};
use crate::models::register::{describe_value, RegisterOp, RegisterOutput};

/// A broken rule 1 or 3; no candidate order (the checker reads one off in time).
pub(super) fn link_error(writers: &Writers, error: &LinkError) -> Decision {
    let ops = writers.ops;
    let (root, why) = match *error {
        LinkError::Unwritten { by, value, root } => {
            let why = match ops[by].output {
                Some(RegisterOutput::Read(_)) => Explanation::new().op(by).text(format!(
                    " read {value}, which no write or compare-and-set that took effect wrote"
                )),
                _ => forced(writers, by, root).op(by).text(format!(
                    " took effect, so the value was {value} before it; but no write or \
                     compare-and-set that took effect wrote {value}"
                )),
            };
            (root, why)
        }
        LinkError::SameFrom {
            first,
            second,
            value,
            root,
        } => (
            root,
            forced(writers, second, root)
                .op(first)
                .text(" and ")
                .op(second)
                .text(format!(
                    " both took effect when the value was {value}, but {value} was written \
                     once, so only one of them can have found it"
                )),
        ),
        LinkError::Cycle { cas, root } => (
            root,
            forced(writers, cas, root).append(cycle_of_links(writers, cas)),
        ),
    };
    Decision::NotLinearizable {
        culprit: root,
        why,
        candidate: Vec::new(),
    }
}

/// Why `op`, of unknown outcome, took effect: `root` saw what it built. Empty if `op` is
/// `root`.
pub(super) fn forced(writers: &Writers, op: usize, root: usize) -> Explanation {
    if op == root {
        return Explanation::new();
    }
    let seen = match writers.ops[root].output {
        Some(RegisterOutput::Read(value)) => format!(" read {}", describe_value(value)),
        _ => String::from(" took effect"),
    };
    Explanation::new()
        .op(root)
        .text(format!("{seen}, which needs "))
        .op(op)
        .text(" (outcome unknown) to have taken effect; ")
}

/// The compare-and-sets on the cycle through `cas`, each comparing against the one before.
fn cycle_of_links(writers: &Writers, cas: usize) -> Explanation {
    let mut why = Explanation::new().text("the compare-and-sets ");
    let mut current = cas;
    loop {
        why = why.op(current);
        let RegisterOp::Cas { from, .. } = writers.ops[current].input.op else {
            unreachable!("a cycle of links is of compare-and-sets");
        };
        current = writers.indices[writers.by_value[&from]];
        if current == cas {
            break;
        }
        why = why.text(", ");
    }
    why.text(" each compared against the value the next one wrote, in a circle, so none of them can have gone first")
}

/// Values from position `i` to `j` of `chain`: `3 → 7` or `3 → … → 9`.
fn path(writers: &Writers, chain: &[usize], i: usize, j: usize) -> String {
    let (vi, vj) = (writers.label(chain[i]), writers.label(chain[j]));
    if j == i + 1 {
        format!("{vi} → {vj}")
    } else {
        format!("{vi} → … → {vj}")
    }
}

/// Condition (1) of the blocks broken, at chain positions `i` (the operation called late) and
/// `j` >= `i` (the one that returned early).
pub(super) fn slot_violation(
    writers: &Writers,
    chain: &[usize],
    violation: &SlotViolation,
) -> Explanation {
    let (x, y) = (violation.late, violation.early);
    let (i, j) = (violation.late_slot / 2, violation.early_slot / 2);
    let (vi, vj) = (writers.label(chain[i]), writers.label(chain[j]));
    let x_writes = violation.late_slot.is_multiple_of(2);
    let y_writes = violation.early_slot.is_multiple_of(2);
    let why = Explanation::new();
    let returned_first = |why: Explanation| {
        why.op(x)
            .text(format!(", which wrote {vi}, was called after "))
            .op(y)
            .text(" returned")
    };
    match (x_writes, y_writes) {
        (true, false) if i == j => returned_first(why.op(y).text(format!(" read {vi}, but "))),
        (true, false) => returned_first(why.op(y).text(format!(
            " read {vj}, which compare-and-sets built on {vi} ({}), but ",
            path(writers, chain, i, j)
        ))),
        (true, true) => returned_first(why.op(y).text(format!(
            " took effect after {vi} was written (compare-and-sets {}), but ",
            path(writers, chain, i, j)
        ))),
        (false, true) if j == i + 1 => why
            .op(x)
            .text(format!(" read {vi}, but "))
            .op(y)
            .text(", which replaced it, returned before it was called"),
        (false, true) => why
            .op(x)
            .text(format!(" read {vi}, but "))
            .op(y)
            .text(format!(
                ", which came after it (compare-and-sets {}), returned before it was called",
                path(writers, chain, i, j)
            )),
        (false, false) => why
            .op(x)
            .text(format!(" read {vi}, but "))
            .op(y)
            .text(format!(
                " had already read {vj}, which came after it (compare-and-sets {}), and returned \
                 before ",
                path(writers, chain, i, j)
            ))
            .op(x)
            .text(" was called"),
    }
}

/// A run: `nil` for ⊥, else the chain's first and last values.
fn run(writers: &Writers, chain: &[usize]) -> String {
    match chain {
        [only] => writers.label(*only),
        [first, .., last] => format!("{} … {}", writers.label(*first), writers.label(*last)),
        [] => unreachable!("a chain has a node"),
    }
}

/// Condition (2) broken: two runs that must each go first.
pub(super) fn cycle(writers: &Writers, chains: &[Vec<usize>], cycle: &BlockCycle) -> Explanation {
    let x_run = run(writers, &chains[cycle.x]);
    let y_run = run(writers, &chains[cycle.y]);
    explain_cycle(cycle, &x_run, &y_run)
}
