//! The passes over the run's data. A labelled replay of the best buffer says which bytes
//! each draw read and what for (see `protocol_core::choices`), so these passes act on whole
//! choices: a fault's keep mark, a client operation's keep mark, one of the scenario's own
//! draws (its shape). Each candidate only zeros, lowers or deletes bytes.

use super::{run_labelled, Search};
use protocol_core::choices::{Kind, Labels, Mark, Span};
use std::collections::BTreeMap;

/// Streams the world draws from as it runs (deliveries, disks, node seeds, marks): not the
/// scenario's own choices, which are what `lower_shape` lowers.
const WORLD_STREAMS: &[&str] = &["network", "storage", "strategy", "node", "marks"];

impl Search<'_> {
    /// The labels of the best buffer: one labelled replay, kept until the best changes.
    fn labels(&mut self) -> Labels {
        if let Some((bytes, labels)) = &self.labelled {
            if *bytes == self.best {
                return labels.clone();
            }
        }
        self.runs += 1;
        let report = run_labelled(self.scenario, &self.options, &self.best);
        let labels = report.labels.unwrap_or_default();
        self.labelled = Some((self.best.clone(), labels.clone()));
        // The run stops at its failure: bytes past its last draw are never read.
        let read = labels
            .spans
            .iter()
            .map(|s| s.range().end)
            .max()
            .unwrap_or(0);
        if read < self.best.len() {
            let pass = std::mem::replace(&mut self.pass, "truncate");
            if self.try_candidate(self.best[..read].to_vec()) {
                self.labelled = Some((self.best.clone(), labels.clone()));
            }
            self.pass = pass;
        }
        labels
    }

    /// The keep marks of the best buffer that still keep (nonzero), in draw order.
    fn marks(&mut self, wanted: impl Fn(&Span) -> bool) -> Vec<Span> {
        let best = &self.best.clone();
        self.labels()
            .spans
            .into_iter()
            .filter(|s| matches!(s.kind, Kind::Keep(_)) && wanted(s))
            .filter(|s| best.get(s.start as usize).is_some_and(|&b| b != 0))
            .collect()
    }

    /// Tries the best buffer with the keep marks `zero` set to zero.
    fn try_zeroed(&mut self, zero: &[Span]) -> bool {
        let mut candidate = self.best.clone();
        for span in zero {
            candidate[span.range()].fill(0);
        }
        self.try_edit(candidate, &[])
    }

    /// Drops faults: all at once, then in chunks of halving size from the last back, down
    /// to one at a time (a dropped fault never happens; see `Sim::apply`).
    pub(super) fn drop_faults(&mut self) {
        self.pass = "drop-faults";
        let mut size = self.marks(is_fault).len();
        while size >= 1 && !self.exhausted() {
            let mut marks = self.marks(is_fault);
            let mut end = marks.len();
            while end > 0 && !self.exhausted() {
                let start = end.saturating_sub(size);
                if self.try_zeroed(&marks[start..end]) {
                    marks = self.marks(is_fault);
                }
                end = start.min(marks.len());
            }
            size /= 2;
        }
    }

    /// Ends client workloads earlier: every client at once after its first operations, then
    /// each client alone, each by bisection on how many operations are kept (a client whose
    /// operation's mark is zero stops there).
    pub(super) fn end_workloads(&mut self) {
        self.pass = "end-workloads";
        self.bisect_ops(cut_every_client, |s| client(s).is_some());
        let clients: Vec<(u16, u32)> = client_marks(&self.marks(|s| client(s).is_some()))
            .into_keys()
            .collect();
        for who in clients {
            let mine = move |s: &Span| client(s) == Some(who);
            self.bisect_ops(
                |marks, keep| marks.get(keep).copied().into_iter().collect(),
                mine,
            );
        }
    }

    /// Finds by bisection the fewest of the marks `wanted` picks that keep the failure:
    /// `cut(marks, keep)` says which marks to zero so that only the first `keep` count.
    fn bisect_ops(
        &mut self,
        cut: impl Fn(&[Span], usize) -> Vec<Span>,
        wanted: impl Fn(&Span) -> bool + Copy,
    ) {
        let mut low = 0;
        let mut high = self.marks(wanted).len();
        while low < high && !self.exhausted() {
            let mid = (low + high) / 2;
            let marks = self.marks(wanted);
            let zero = cut(&marks, mid);
            if !zero.is_empty() && self.try_zeroed(&zero) {
                high = mid.min(self.marks(wanted).len());
            } else {
                low = mid + 1;
            }
        }
    }

    /// Lowers each of the scenario's own draws (its shape, its plan, its workload, the length
    /// of its phases; not the world's deliveries), as a whole number: to zero, to half, by one. A lower shape draw
    /// may mean fewer nodes, which then draw no seeds: each value is also tried with the
    /// last one or two node seeds deleted.
    pub(super) fn lower_shape(&mut self) {
        self.pass = "lower-shape";
        let mut at = 0;
        while !self.exhausted() {
            let labels = self.labels();
            let Some(span) = labels.spans.iter().copied().find(|s| {
                s.start as usize >= at
                    && (s.kind == Kind::Length
                        || (s.kind == Kind::Draw && !WORLD_STREAMS.contains(&labels.stream(s))))
            }) else {
                return;
            };
            at = span.range().end;
            if span.range().end > self.best.len() || span.len > 8 {
                continue;
            }
            self.lower_draw(span, &setup_seeds(&labels, &span));
        }
    }

    fn lower_draw(&mut self, span: Span, seeds: &[Span]) {
        let value = self.best[span.range()]
            .iter()
            .fold(0u64, |v, &b| (v << 8) | u64::from(b));
        for lower in [0, value / 2, value.saturating_sub(1)] {
            if lower >= value {
                continue;
            }
            let mut candidate = self.best.clone();
            let width = usize::from(span.len);
            candidate[span.range()].copy_from_slice(&lower.to_be_bytes()[8 - width..]);
            for gone in seed_windows(seeds, value - lower) {
                if self.try_edit(candidate.clone(), &gone) {
                    return;
                }
            }
        }
    }
}

/// Which node seeds to delete along with lowering a draw by `by`: none, then, if the draw
/// counts nodes, the `by` seeds of the nodes no longer made, which may be any `by` in a row
/// (the last servers come before the clerks): tried from the last window back.
fn seed_windows(seeds: &[Span], by: u64) -> Vec<Vec<Span>> {
    const MAX_WINDOWS: usize = 12;
    let mut windows = vec![Vec::new()];
    let by = by as usize;
    if by == 0 || by > seeds.len() {
        return windows;
    }
    for end in (by..=seeds.len()).rev().take(MAX_WINDOWS) {
        windows.push(seeds[end - by..end].to_vec());
    }
    windows
}

fn is_fault(span: &Span) -> bool {
    span.kind == Kind::Keep(Mark::Fault)
}

/// The client an operation's mark belongs to: its stream (one workload) and number.
fn client(span: &Span) -> Option<(u16, u32)> {
    match span.kind {
        Kind::Keep(Mark::Op { client }) => Some((span.stream, client)),
        Kind::Keep(Mark::Fault) | Kind::Draw | Kind::NodeSeed | Kind::Length => None,
    }
}

/// The marks of each client, in draw order.
fn client_marks(marks: &[Span]) -> BTreeMap<(u16, u32), Vec<Span>> {
    let mut by_client: BTreeMap<(u16, u32), Vec<Span>> = BTreeMap::new();
    for span in marks {
        if let Some(who) = client(span) {
            by_client.entry(who).or_default().push(*span);
        }
    }
    by_client
}

/// The node seeds drawn after `span` while the world was set up (before its first
/// delivery draw): those of the nodes a lower shape draw may leave out.
fn setup_seeds(labels: &Labels, span: &Span) -> Vec<Span> {
    labels
        .spans
        .iter()
        .skip_while(|s| s.start <= span.start)
        .take_while(|s| labels.stream(s) != "network")
        .filter(|s| s.kind == Kind::NodeSeed)
        .copied()
        .collect()
}

/// The marks to zero so that every client stops at its first operation past the first
/// `keep` of all (a stopped client reads no more marks, so one zero per client is enough).
fn cut_every_client(marks: &[Span], keep: usize) -> Vec<Span> {
    let mut seen = std::collections::BTreeSet::new();
    marks
        .iter()
        .skip(keep)
        .filter(|s| client(s).is_some_and(|who| seen.insert(who)))
        .copied()
        .collect()
}
