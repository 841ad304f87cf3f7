//! Client histories recorded in a simulation, in the checker's format, and their check.
//!
//! Clients report the two ends of each operation (the call, and the return with its value);
//! a [`HistoryRecorder`] stamps them in virtual time and keeps them as the checker's
//! [`Operation`]s, whatever the operation type. At the end of a run the whole history is
//! checked for linearizability against a sequential model, with a deterministic memory
//! budget (a verdict must be a function of the seed), and a failing run writes the history
//! and its HTML view beside its report.

use crate::checks;
use crate::harness::{Harness, Hooks, Step};
use linearizability::formats::JsonLinesInput;
use linearizability::{check, html, write_json_lines, CheckOptions, CheckResult, Verdict};
use linearizability::{History, Model, Operation};
use linearizability::{WitnessBudget, DEFAULT_WITNESS_STEPS};
use protocol_core::Node;
use protocol_core::{ClientId, Time, Violation};
use sim::Observer;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// History timestamps are virtual nanoseconds: microseconds × 1000, plus one per event that
/// happens at the same microsecond.
pub const STAMPS_PER_MICRO: u64 = 1_000;

/// Every operation clients invoked, in invocation order, with call and return stamps.
pub struct HistoryRecorder<I, O> {
    /// Kept as the checker's type, so checking it at the end borrows it instead of copying
    /// every operation (a KV run's history holds megabytes of values read).
    history: History<I, O>,
    /// (client, seq) -> index into the history's operations.
    by_request: BTreeMap<(ClientId, u64), usize>,
    /// Per client, its latest operation.
    latest: BTreeMap<ClientId, usize>,
    last_stamp: u64,
}

impl<I, O> Default for HistoryRecorder<I, O> {
    fn default() -> Self {
        HistoryRecorder {
            history: History::default(),
            by_request: BTreeMap::new(),
            latest: BTreeMap::new(),
            last_stamp: 0,
        }
    }
}

impl<I: Clone, O: Clone> HistoryRecorder<I, O> {
    pub fn new() -> Self {
        Self::default()
    }

    /// A timestamp for an event at `now`. The simulator is one thread, so the order in which
    /// it reports events at one instant is their real-time order: a client that calls right
    /// after another's return (the scenario saw the return, then issued the call) must not
    /// look concurrent with it, or the checker would allow orders that never happened.
    fn stamp(&mut self, now: Time) -> u64 {
        let stamp = (self.last_stamp + 1).max(now.as_micros() * STAMPS_PER_MICRO);
        self.last_stamp = stamp;
        stamp
    }

    /// `client` called its request `seq` with `input`; the operation's index.
    pub fn invoked(
        &mut self,
        now: Time,
        client: ClientId,
        seq: u64,
        input: I,
    ) -> Result<usize, Violation> {
        let index = self.history.operations.len();
        if self.by_request.contains_key(&(client, seq)) {
            let message = format!("{client} invoked seq {seq} twice");
            return Err(Violation::new(checks::HISTORY, message));
        }
        self.by_request.insert((client, seq), index);
        self.latest.insert(client, index);
        let call = self.stamp(now);
        self.history.operations.push(Operation {
            client: client.0,
            call,
            ret: None,
            input,
            output: None,
        });
        Ok(index)
    }

    /// `client`'s request `seq` returned `output`; the operation's index.
    pub fn returned(
        &mut self,
        now: Time,
        client: ClientId,
        seq: u64,
        output: O,
    ) -> Result<usize, Violation> {
        let Some(&index) = self.by_request.get(&(client, seq)) else {
            let message = format!("{client} returned seq {seq} never invoked");
            return Err(Violation::new(checks::HISTORY, message));
        };
        let stamp = self.stamp(now);
        let op = &mut self.history.operations[index];
        if op.ret.is_some() {
            let message = format!("{client} seq {seq} returned twice");
            return Err(Violation::new(checks::HISTORY, message));
        }
        op.ret = Some(stamp);
        op.output = Some(output);
        Ok(index)
    }

    pub fn operations(&self) -> &[Operation<I, O>] {
        &self.history.operations
    }

    pub fn operation(&self, index: usize) -> &Operation<I, O> {
        &self.history.operations[index]
    }

    /// The latest operation `client` invoked.
    pub fn latest(&self, client: ClientId) -> Option<usize> {
        self.latest.get(&client).copied()
    }

    pub fn completed(&self) -> usize {
        self.history
            .operations
            .iter()
            .filter(|op| op.ret.is_some())
            .count()
    }

    /// The whole history; operations still pending stay open (outcome unknown).
    pub fn history(&self) -> &History<I, O> {
        &self.history
    }
}

/// How a run's history is checked. A verdict the checker cannot reach within the budget
/// fails the run: an undecided history is not a passing one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryCheck {
    /// The checker's memory budget per partition: deterministic, unlike a wall-clock
    /// timeout, so a verdict is a function of the seed.
    pub memory_bytes: usize,
}

impl Default for HistoryCheck {
    fn default() -> Self {
        HistoryCheck {
            memory_bytes: 512 << 20,
        }
    }
}

impl HistoryCheck {
    fn options(&self) -> CheckOptions {
        CheckOptions {
            timeout: None,
            max_memory_bytes: Some(self.memory_bytes),
            threads: 1,
            fast_paths: true,
            // Steps, not wall time: the witness of a failure is a function of the seed too.
            witness_budget: WitnessBudget::Steps(DEFAULT_WITNESS_STEPS),
        }
    }

    /// Checks `history` against `model`: the check's full result, and the violation if
    /// the history is not linearizable or the check could not decide.
    pub fn run<M: Model>(
        &self,
        model: &M,
        history: &History<M::Input, M::Output>,
    ) -> (CheckResult, Option<Violation>) {
        let result = check(model, history, &self.options());
        let violation = match &result.verdict {
            Verdict::Linearizable => None,
            Verdict::Unknown { reason } => Some(format!("check gave up: {reason}")),
            Verdict::NotLinearizable => Some(format!(
                "history is not linearizable: {}",
                describe_failure(model, history, &result)
            )),
        };
        let violation = violation.map(|message| Violation::new(checks::LINEARIZABLE, message));
        (result, violation)
    }
}

/// The failing partition, how far the search got, and the operation it could not place.
fn describe_failure<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    result: &CheckResult,
) -> String {
    let Some(partition) = result.failures().next() else {
        return String::from("no failing partition named");
    };
    let stuck = partition.unplaced.first().map_or_else(String::new, |&i| {
        let op = &history.operations[i];
        format!(
            "; cannot place c{} {} called at {}us",
            op.client,
            model.describe_operation(&op.input, op.output.as_ref()),
            op.call / STAMPS_PER_MICRO
        )
    });
    format!(
        "{} ({} operations, {} linearized before it got stuck){stuck}",
        partition.label,
        partition.ops.len(),
        partition.order.len()
    )
}

/// Writes `history` as JSON lines (what `sim check` and porcupine-bench read).
pub fn write_history<I: JsonLinesInput + Clone>(
    history: &History<I, I::Output>,
    path: &Path,
) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    write_json_lines(history, &mut file)?;
    std::io::Write::flush(&mut file)
}

/// Writes a failing history and its HTML view into `dir`: the files, by what they are.
pub fn write_history_files<M>(
    model: &M,
    history: &History<M::Input, M::Output>,
    result: &CheckResult,
    dir: &Path,
    title: &str,
) -> std::io::Result<Vec<(&'static str, PathBuf)>>
where
    M: Model,
    M::Input: JsonLinesInput<Output = M::Output>,
{
    let jsonl = dir.join("history.jsonl");
    let view = dir.join("history.html");
    write_history(history, &jsonl)?;
    std::fs::write(&view, html::render(model, history, result, title))?;
    Ok(vec![("history", jsonl), ("history view", view)])
}

impl<N: Node, O: Observer<N>, H: Hooks<N, O>> Harness<N, O, H> {
    /// The end of a run with clients: `history` must be linearizable against `model` (or
    /// the run fails [`checks::LINEARIZABLE`]). A failing run writes the history and its
    /// HTML view where the caller asked for files; `--history OUT` keeps it either way.
    pub fn check_history<M>(
        &mut self,
        model: &M,
        history: &History<M::Input, M::Output>,
        check: HistoryCheck,
    ) -> Step
    where
        M: Model,
        M::Input: JsonLinesInput<Output = M::Output>,
    {
        if let Some(path) = self.options().history_out.clone() {
            if let Err(e) = write_history(history, &path) {
                self.fact("history", format!("not written to {}: {e}", path.display()));
            }
        }
        let (result, violation) = check.run(model, history);
        if self.options().timeline {
            let operations = crate::recording::operations(model, history, &result);
            self.record_operations(operations);
        }
        let Some(violation) = violation else {
            return Ok(());
        };
        if let Some(dir) = self.artifact_dir() {
            let title = format!("{} seed {}", self.options().scenario, self.options().seed);
            match write_history_files(model, history, &result, &dir, &title) {
                Ok(files) => files
                    .into_iter()
                    .for_each(|(w, path)| self.artifact(w, path)),
                Err(e) => self.fact("files", format!("not written to {}: {e}", dir.display())),
            }
        }
        Err(self.sim.fail(violation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_keep_the_order_of_events_at_one_instant() {
        let mut recorder: HistoryRecorder<u8, u8> = HistoryRecorder::new();
        let now = Time::from_ms(1);
        let a = recorder.invoked(now, ClientId(1), 0, 7).unwrap();
        recorder.returned(now, ClientId(1), 0, 8).unwrap();
        let b = recorder.invoked(now, ClientId(2), 0, 9).unwrap();
        let (first, second) = (recorder.operation(a), recorder.operation(b));
        assert!(first.call < first.ret.unwrap());
        assert!(
            first.ret.unwrap() < second.call,
            "a call after a return follows it"
        );
        assert_eq!(first.call, 1_000 * STAMPS_PER_MICRO);
        assert_eq!(recorder.latest(ClientId(2)), Some(b));
        assert_eq!(recorder.completed(), 1);
    }

    #[test]
    fn malformed_histories_are_violations() {
        let mut recorder: HistoryRecorder<u8, u8> = HistoryRecorder::new();
        let now = Time::ZERO;
        recorder.invoked(now, ClientId(1), 0, 7).unwrap();
        let twice = recorder.invoked(now, ClientId(1), 0, 7).unwrap_err();
        assert_eq!(twice.check, checks::HISTORY);
        let never = recorder.returned(now, ClientId(1), 5, 0).unwrap_err();
        assert!(never.message.contains("never invoked"), "{never}");
        recorder.returned(now, ClientId(1), 0, 1).unwrap();
        let again = recorder.returned(now, ClientId(1), 0, 1).unwrap_err();
        assert!(again.message.contains("returned twice"), "{again}");
    }
}
