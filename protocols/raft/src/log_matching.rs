//! Log matching over whole logs after every step, looking only at entries new since the last
//! step.
//!
//! **The property.** For a live node A, let `s_A` be its snapshot index and `l_A` its last
//! index; A knows a term `T_A(i)` for `i` in `[s_A, l_A]` (the snapshot point's term is kept)
//! and holds an entry `E_A(i)` (term and command) for `i` in `(s_A, l_A]`. For a pair A, B let
//! `K = [max(s_A, s_B), min(l_A, l_B)]` (both know a term) and `H = K` without its lowest
//! point (both hold an entry, and both know the term just below). Log matching, LM(A, B):
//! wherever `T_A(i) = T_B(i)` for `i` in `K`, the terms agree at every `j <= i` in `K` and the
//! entries agree at every `j <= i` in `H`.
//!
//! **Local form.** For `i` in `H`, let `M_i(A, B)`: `T_A(i) = T_B(i)` implies `E_A(i) = E_B(i)`
//! and `T_A(i-1) = T_B(i-1)`. Lemma 1: LM(A, B) iff `M_i` holds for every `i` in `H`. Only if:
//! `M_i` is LM at `i` and `j = i-1`. If: take `i` in `K` with equal terms; if `i` is `K`'s
//! lowest point there is nothing below it, otherwise `M_i` gives equal entries at `i` and
//! equal terms at `i-1`, and induction walks down to `K`'s lowest point.
//!
//! **What a step can change.** A [`Log`](crate::Log) appends only at its end and removes only
//! from its ends, never editing or moving an entry, and numbers each append (its write
//! number, increasing along the log). Let `w_A` be A's count of writes at the previous check
//! and `d_A` the lowest index A holds whose entry was written since (`l_A + 1` if none). Every
//! entry A holds below `d_A` it held then, unchanged, at the same index. The term A knows at
//! its snapshot point `s_A < d_A` is old too: if A holds an entry at `s_A + 1` older than the
//! previous check, no compaction since dropped every entry (the only way a snapshot point can
//! take a term that was not the term of an entry held at that index), so `T_A(s_A)` is the
//! term A then knew at `s_A` as an entry or as the snapshot point.
//!
//! Lemma 2: if LM held for every pair of live nodes at the previous check, then now `M_i(A, B)`
//! can fail only for `i >= min(d_A, d_B)`. Take `i` in `H` below both: A and B hold old
//! entries at `i` and know old terms at `i-1` (an old entry, or a snapshot point above which
//! an old entry is held), so then both held `i` and knew `i-1`: `i` was in that check's `H`,
//! where `M_i` held, about the same facts. A node that was down or has rebooted since has no
//! previous check: `d` is its first index, and all of its log is compared.
//!
//! **The check.** After every step, each live node A with new entries is compared with every
//! other live node B at `i` in `H(A, B)` with `i >= d_A`. Each pair is covered from
//! `min(d_A, d_B)` (A's comparison, then B's), so by the lemmas LM holds for every pair after
//! every step: complete, for the work of comparing each new entry with each other live node.
//! A heartbeat writes nothing and costs one comparison of counts per node.

use crate::checks::LOG_MATCHING;
use crate::log::Log;
use crate::node::RaftNode;
use crate::types::LogIndex;
use protocol_core::{NodeId, Violation};
use std::cmp::Ordering;

pub(crate) struct LogMatching {
    /// Per node: its log's count of writes at the last check; `None` if it was not up then
    /// (or has rebooted since): its whole log is new to us.
    marks: Vec<Option<u64>>,
}

impl LogMatching {
    pub fn new(nodes: usize) -> LogMatching {
        LogMatching {
            marks: vec![None; nodes],
        }
    }

    /// Node `node` booted again: its log is a new value, all of it unchecked.
    pub fn restarted(&mut self, node: NodeId) {
        self.marks[node.index()] = None;
    }

    /// Compares every entry written since the last call with every other live node.
    pub fn after_step(&mut self, nodes: &[Option<&RaftNode>]) -> Result<(), Violation> {
        // A view may be shorter than the cluster while its last nodes have yet to boot.
        for a in 0..self.marks.len() {
            let Some(node) = nodes.get(a).copied().flatten() else {
                self.marks[a] = None;
                continue;
            };
            let from = unchecked_from(node.log(), self.marks[a]);
            self.marks[a] = Some(node.log().writes());
            let Some(from) = from else { continue };
            for (b, other) in nodes.iter().enumerate() {
                if b == a {
                    continue;
                }
                if let Some(other) = other {
                    check_pair_from(node, other, from)?;
                }
            }
        }
        Ok(())
    }
}

/// The lowest index of `log` not compared yet, given its count of writes at the last check
/// (`mark`; `None`: not checked since it booted): `None` if nothing was written since.
fn unchecked_from(log: &Log, mark: Option<u64>) -> Option<LogIndex> {
    let Some(mark) = mark else {
        return Some(log.first_index());
    };
    match mark.cmp(&log.writes()) {
        Ordering::Equal => None, // a heartbeat, a vote: most steps write nothing
        Ordering::Less => log.first_written_after(mark),
        // Fewer writes than were seen: another log value (a reboot not announced).
        Ordering::Greater => Some(log.first_index()),
    }
}

/// LM over whole logs, every pair: O(nodes² × log), for the end of a run (the per-step
/// check is complete too; this recomputes it without its bookkeeping).
pub(crate) fn check_full(nodes: &[Option<&RaftNode>]) -> Result<(), Violation> {
    let up: Vec<&RaftNode> = nodes.iter().flatten().copied().collect();
    let mut rest = &up[..];
    while let Some((first, others)) = rest.split_first() {
        for second in others {
            check_pair_from(first, second, LogIndex::ZERO)?;
        }
        rest = others;
    }
    Ok(())
}

/// `M_i(a, b)` for every `i >= from` in `H(a, b)`.
fn check_pair_from(a: &RaftNode, b: &RaftNode, from: LogIndex) -> Result<(), Violation> {
    let (x, y) = (a.log(), b.log());
    let floor = x.snapshot_index().max(y.snapshot_index());
    let lo = from.max(floor.next());
    let hi = x.last_index().min(y.last_index());
    if lo > hi {
        return Ok(());
    }
    // Each slice runs to its own log's end; zipped, they stop at the shorter, `hi`.
    let (xs, ys) = (x.slice(lo, usize::MAX), y.slice(lo, usize::MAX));
    // Both know a term at lo - 1: it is at least the higher snapshot point.
    let mut below = (x.term_at(lo.prev()), y.term_at(lo.prev()));
    for (k, (ex, ey)) in xs.iter().zip(ys).enumerate() {
        let i = lo.plus(k as u64);
        if ex.term == ey.term {
            let involving = [a.id(), b.id()];
            if ex.command != ey.command {
                let message = format!(
                    "{} and {} hold different commands at index {i} in term {}",
                    a.id(),
                    b.id(),
                    ex.term
                );
                return Err(Violation::new(LOG_MATCHING, message).involving(involving));
            }
            if below.0 != below.1 {
                let message = format!(
                    "{} and {} agree at index {i} (term {}) but not at {}: terms {:?} and {:?}",
                    a.id(),
                    b.id(),
                    ex.term,
                    i.prev(),
                    below.0,
                    below.1
                );
                return Err(Violation::new(LOG_MATCHING, message).involving(involving));
            }
        }
        below = (Some(ex.term), Some(ey.term));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{Entry, Log};
    use crate::test_support::boot;
    use crate::types::Term;
    use protocol_core::rng::{self, range_inclusive};

    fn entry(term: u64, command: u8) -> Entry {
        Entry {
            term: Term(term),
            command: vec![command],
        }
    }

    /// Node `id` of three, holding `entries` after a snapshot at `snapshot` = (index, term).
    fn node_with(id: u32, snapshot: (u64, u64), entries: &[(u64, u8)]) -> RaftNode {
        let mut node = boot(3, id);
        let entries = entries.iter().map(|&(t, c)| entry(t, c)).collect();
        let (index, term) = snapshot;
        node.durable.log = Log::new(LogIndex(index), Term(term), entries);
        node
    }

    /// The per-step check this replaced: one index per pair, where both logs end in common.
    fn old_spot_check_passes(a: &RaftNode, b: &RaftNode) -> bool {
        let i = a.log().last_index().min(b.log().last_index());
        match (a.log().entry(i), b.log().entry(i)) {
            (Some(ea), Some(eb)) => ea.term != eb.term || ea.command == eb.command,
            _ => true,
        }
    }

    #[test]
    fn a_rewrite_below_the_common_end_is_caught_where_the_spot_check_missed_it() {
        let a = node_with(0, (0, 0), &[(1, 10), (1, 11), (2, 12)]);
        let mut b = node_with(1, (0, 0), &[(1, 10), (1, 11), (2, 12)]);
        let mut check = LogMatching::new(3);
        assert_eq!(check.after_step(&[Some(&a), Some(&b), None]), Ok(()));
        // b rewrites index 2 with another command of the same term, then re-appends 3.
        b.durable.log.truncate_after(LogIndex(1));
        b.durable.log.append(entry(1, 99));
        b.durable.log.append(entry(2, 12));
        assert!(
            old_spot_check_passes(&a, &b),
            "the old check looked at 3 only"
        );
        let err = check.after_step(&[Some(&a), Some(&b), None]).unwrap_err();
        assert_eq!(err.check, LOG_MATCHING, "{err}");
        assert_eq!(err.nodes, [NodeId(0), NodeId(1)]);
        assert!(err.message.contains("index 2"), "{err}");
        assert!(check_full(&[Some(&a), Some(&b), None]).is_err());
    }

    #[test]
    fn equal_terms_over_different_terms_below_are_caught() {
        let a = node_with(0, (0, 0), &[(1, 10), (1, 11), (2, 12)]);
        let mut b = node_with(2, (0, 0), &[(1, 10)]);
        let mut check = LogMatching::new(3);
        assert_eq!(check.after_step(&[Some(&a), None, Some(&b)]), Ok(()));
        b.durable.log.append(entry(2, 50));
        b.durable.log.append(entry(2, 12));
        assert!(old_spot_check_passes(&a, &b));
        let err = check.after_step(&[Some(&a), None, Some(&b)]).unwrap_err();
        assert!(err.message.contains("not at 2"), "{err}");
        assert_eq!(err.nodes, [NodeId(0), NodeId(2)]);
    }

    #[test]
    fn a_snapshot_point_counts_as_the_term_below() {
        // a's snapshot stands for index 2 in term 1; b has term 2 there under the same entry 3.
        let a = node_with(0, (2, 1), &[(2, 12)]);
        let b = node_with(1, (0, 0), &[(1, 10), (2, 11), (2, 12)]);
        let err = check_full(&[Some(&a), Some(&b), None]).unwrap_err();
        assert!(err.message.contains("not at 2"), "{err}");
        let agreeing = node_with(1, (0, 0), &[(1, 10), (1, 11), (2, 12)]);
        assert_eq!(check_full(&[Some(&a), Some(&agreeing), None]), Ok(()));
    }

    #[test]
    fn unchanged_logs_cost_nothing_and_a_rebooted_node_is_compared_whole() {
        let a = node_with(0, (0, 0), &[(1, 10), (1, 11)]);
        let b = node_with(1, (0, 0), &[(1, 10), (1, 11)]);
        let mut check = LogMatching::new(3);
        assert_eq!(check.after_step(&[Some(&a), Some(&b), None]), Ok(()));
        assert_eq!(a.log().first_written_after(check.marks[0].unwrap()), None);
        // A reboot builds a new log value: announced, it is compared whole.
        let forged = node_with(1, (0, 0), &[(1, 10), (1, 66)]);
        check.restarted(NodeId(1));
        assert!(check.after_step(&[Some(&a), Some(&forged), None]).is_err());
        // Down at a check, then up with another log: compared whole as well.
        let mut check = LogMatching::new(3);
        assert_eq!(check.after_step(&[Some(&a), Some(&b), None]), Ok(()));
        assert_eq!(check.after_step(&[Some(&a), None, None]), Ok(()));
        assert!(check.after_step(&[Some(&a), Some(&forged), None]).is_err());
        // Unannounced, a log with fewer writes than were seen is another value: whole too.
        let mut check = LogMatching::new(3);
        let mut grown = node_with(1, (0, 0), &[(1, 10), (1, 11)]);
        grown.durable.log.truncate_after(LogIndex(1));
        grown.durable.log.append(entry(1, 11));
        assert_eq!(check.after_step(&[Some(&a), Some(&grown), None]), Ok(()));
        assert!(check.after_step(&[Some(&a), Some(&forged), None]).is_err());
    }

    #[test]
    fn what_is_unchecked_follows_the_count_of_writes() {
        let mut log = node_with(0, (0, 0), &[(1, 10), (1, 11)]).durable.log;
        let first = Some(LogIndex(1));
        assert_eq!(
            unchecked_from(&log, None),
            first,
            "never checked: all of it"
        );
        assert_eq!(unchecked_from(&log, Some(2)), None, "nothing written since");
        log.truncate_after(LogIndex(1));
        log.append(entry(1, 12));
        assert_eq!(unchecked_from(&log, Some(2)), Some(LogIndex(2)));
        assert_eq!(
            unchecked_from(&log, Some(4)),
            first,
            "fewer writes: another log"
        );
    }

    /// One random edit of node `n`'s log, as Raft makes them (copying a peer's entries after
    /// a point where the terms agree, appending, compacting) or as a bug might (copying with
    /// no consistency check, appending an arbitrary entry, compacting to a foreign term).
    fn edit(rng: &mut rng::Rng, logs: &mut [Log], n: usize) {
        let peer = (n + 1 + rng::index(rng, logs.len() - 1)) % logs.len();
        let (source, log) = (logs[peer].clone(), &mut logs[n]);
        let careless = range_inclusive(rng, 0, 9) == 0;
        match range_inclusive(rng, 0, 9) {
            0..=5 => {
                // AppendEntries from `peer`: after k, where both know a term.
                let lo = log.snapshot_index().max(source.snapshot_index()).0;
                let hi = log.last_index().min(source.last_index()).0;
                if lo > hi {
                    return;
                }
                let k = LogIndex(range_inclusive(rng, lo, hi));
                let next = source.entry(k.next()).map(|e| e.term);
                let fits = log.term_at(k) == source.term_at(k)
                    || careless && next.is_some_and(|t| log.term_at(k).is_some_and(|u| u <= t));
                if fits {
                    log.truncate_after(k);
                    let count = (source.last_index().0 - k.0) as usize;
                    source
                        .slice(k.next(), count)
                        .iter()
                        .for_each(|e| log.append(e.clone()));
                }
            }
            6..=8 => {
                let term = log.last_term().0 + range_inclusive(rng, 0, 1);
                let command = if careless {
                    99
                } else {
                    rng::index(rng, 2) as u8
                };
                log.append(entry(term, command));
            }
            _ => {
                let k = LogIndex(range_inclusive(
                    rng,
                    log.snapshot_index().0,
                    log.last_index().0,
                ));
                let term = log.term_at(k).expect("held or the snapshot point");
                let term = if careless { Term(term.0 + 1) } else { term };
                log.compact_to(k, term);
            }
        }
    }

    /// Node `n`'s log as a reboot finds it: the same contents in a new log value.
    fn rebooted(n: usize, log: &Log) -> RaftNode {
        let mut node = boot(3, n as u32);
        let entries = log.entries().to_vec();
        node.durable.log = Log::new(log.snapshot_index(), log.snapshot_term(), entries);
        node
    }

    /// The completeness claim, tested: after every edit of one random node's log (its
    /// crash, or its reboot from the log it had), the incremental check fails exactly when
    /// the from-scratch check does.
    #[test]
    fn the_incremental_check_agrees_with_the_full_one_after_every_edit() {
        let mut rng = rng::rng_from_seed(11);
        let (mut caught, mut passed) = (0, 0);
        for run in 0..300 {
            let mut nodes: Vec<Option<RaftNode>> = (0..3).map(|i| Some(boot(3, i))).collect();
            let mut disks: Vec<Log> = vec![Log::default(); 3];
            let mut check = LogMatching::new(3);
            for step in 0..60 {
                let n = rng::index(&mut rng, 3);
                let id = NodeId(n as u32);
                match (nodes[n].take(), range_inclusive(&mut rng, 0, 9)) {
                    (Some(node), 0) => disks[n] = node.log().clone(), // crashed
                    (Some(node), 1) => {
                        // Crashed and rebooted between two checks.
                        nodes[n] = Some(rebooted(n, node.log()));
                        check.restarted(id);
                    }
                    (None, _) => {
                        nodes[n] = Some(rebooted(n, &disks[n]));
                        check.restarted(id);
                    }
                    (Some(node), _) => nodes[n] = Some(node),
                }
                if nodes[n].is_some() {
                    let mut logs: Vec<Log> = nodes
                        .iter()
                        .map(|x| x.as_ref().map(|x| x.log().clone()).unwrap_or_default())
                        .collect();
                    edit(&mut rng, &mut logs, n);
                    let node = nodes[n].as_mut().expect("checked above");
                    node.durable.log = logs.swap_remove(n); // a clone: write numbers go on
                }
                let views: Vec<Option<&RaftNode>> = nodes.iter().map(Option::as_ref).collect();
                let full = check_full(&views).is_err();
                assert_eq!(
                    check.after_step(&views).is_err(),
                    full,
                    "run {run} step {step}"
                );
                if full {
                    caught += 1;
                    break;
                }
                passed += 1;
            }
        }
        assert!(
            caught > 50 && passed > 2_000,
            "caught {caught}, passed {passed}"
        );
    }
}
