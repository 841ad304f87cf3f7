//! Why a key of unique appends is not linearizable, in the terms of what its gets saw.

use super::{LinkError, Links, Writes};
use crate::explanation::{quoted_short, Explanation};
use crate::model::Decision;
use crate::models::blocks::{explain_cycle, BlockCycle, SlotViolation};

/// Values longer than this are shown with their middle cut out.
const VALUE_CHARS: usize = 40;
/// A whole value read is shown up to this long.
const READ_CHARS: usize = 80;

/// A get no linearization explains; no candidate order (the checker reads one off in time).
pub(super) fn link_error(writes: &Writes, error: &LinkError) -> Decision {
    let read = |get: usize| {
        let output = writes.ops[get].output.as_ref().expect("a completed get");
        quoted_short(&output.value, READ_CHARS)
    };
    let (culprit, why) = match *error {
        LinkError::Unsplittable { get } => (
            get,
            Explanation::new().op(get).text(format!(
                " read {}, which no sequence of this key's puts and appends spells",
                read(get)
            )),
        ),
        LinkError::PutNotFirst { get, put } => (
            get,
            Explanation::new()
                .op(get)
                .text(format!(" read {}, in which the value of ", read(get)))
                .op(put)
                .text(" is not first, but a put replaces the whole value"),
        ),
        LinkError::Conflict {
            get,
            before,
            after,
            other,
            earlier_get,
            succ,
        } => (
            get,
            conflict(writes, get, before, after, other, earlier_get, succ),
        ),
    };
    Decision::NotLinearizable {
        culprit,
        why,
        candidate: Vec::new(),
    }
}

fn label(writes: &Writes, node: usize) -> String {
    quoted_short(writes.value(node), VALUE_CHARS)
}

/// `x` right after `before`, or at the start when `before` is ⊥.
fn placed_after(writes: &Writes, x: usize, before: usize) -> String {
    if before == writes.bottom() {
        format!("{} first", label(writes, x))
    } else {
        format!("{} right after {}", label(writes, x), label(writes, before))
    }
}

fn conflict(
    writes: &Writes,
    get: usize,
    before: usize,
    after: usize,
    other: usize,
    earlier_get: usize,
    succ: bool,
) -> Explanation {
    if earlier_get == get {
        let twice = if succ { before } else { after };
        return Explanation::new().op(get).text(format!(
            " read {} twice, but it was written once",
            label(writes, twice)
        ));
    }
    let (earlier, now) = if succ {
        (
            placed_after(writes, other, before),
            placed_after(writes, after, before),
        )
    } else {
        (
            placed_after(writes, after, other),
            placed_after(writes, after, before),
        )
    };
    Explanation::new()
        .op(earlier_get)
        .text(format!(" saw {earlier}, but "))
        .op(get)
        .text(format!(" saw {now}"))
}

/// Condition (1) of the blocks broken: the later-called operation and the earlier-returned one
/// are a write or a get of the same chain, at chain positions `i` < `j` (or equal).
pub(super) fn slot_violation(
    writes: &Writes,
    links: &Links,
    chain: &[usize],
    violation: &SlotViolation,
) -> Explanation {
    let (x, y) = (violation.late, violation.early);
    let (i, j) = (violation.late_slot / 2, violation.early_slot / 2);
    let (vi, vj) = (label(writes, chain[i]), label(writes, chain[j]));
    let x_writes = violation.late_slot.is_multiple_of(2);
    let y_writes = violation.early_slot.is_multiple_of(2);
    let why = Explanation::new();
    match (x_writes, y_writes) {
        (true, false) if i == j => why.op(y).text(format!(" saw {vi} last, but ")),
        (true, false) if j == i + 1 => why.op(y).text(format!(" saw {vj} right after {vi}, but ")),
        (true, false) => why.op(y).text(format!(" saw {vi}, and {vj} later, but ")),
        (true, true) => {
            let linked_by = links.linked_by[chain[j]].expect("a chained write names its get");
            let order = if j == i + 1 { "right before" } else { "before" };
            why.op(linked_by)
                .text(format!(" saw {vi} {order} {vj}, so "))
                .op(x)
                .text(" took effect before ")
                .op(y)
                .text("; but ")
        }
        (false, true) => {
            return why
                .op(x)
                .text(format!(
                    " saw {} last, without {vj}, but ",
                    shown(writes, chain[i])
                ))
                .op(y)
                .text(" had returned before it was called");
        }
        (false, false) => {
            return why
                .op(x)
                .text(format!(" saw {} last, but ", shown(writes, chain[i])))
                .op(y)
                .text(format!(
                    " had already seen {vj} after it, and returned before "
                ))
                .op(x)
                .text(" was called");
        }
    }
    .op(x)
    .text(" was called after it returned")
}

/// The value a get of ⊥ saw is the empty one.
fn shown(writes: &Writes, node: usize) -> String {
    if node == writes.bottom() {
        String::from("the empty value")
    } else {
        label(writes, node)
    }
}

/// A run: the chain's first and last values.
fn run(writes: &Writes, chain: &[usize]) -> String {
    let first = chain.iter().copied().find(|&n| n != writes.bottom());
    match (first, chain.last()) {
        (None, _) => String::from("\"\""),
        (Some(first), Some(&last)) if first == last => label(writes, first),
        (Some(first), Some(&last)) => {
            format!("{} … {}", label(writes, first), label(writes, last))
        }
        (Some(_), None) => unreachable!("a chain has a node"),
    }
}

/// Condition (2) broken: two runs that must each go first.
pub(super) fn cycle(writes: &Writes, chains: &[Vec<usize>], cycle: &BlockCycle) -> Explanation {
    let x_run = run(writes, &chains[cycle.x]);
    let y_run = run(writes, &chains[cycle.y]);
    explain_cycle(cycle, &x_run, &y_run)
}
