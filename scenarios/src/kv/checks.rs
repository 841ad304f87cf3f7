//! The course's value checks (`checkClntAppends`, `checkConcurrentAppends`) and the
//! linearizability check of every run's whole history, with the history written out on failure.

use super::harness::{KvHarness, Step};
use super::watch::KvWatch;
use linearizability::models::kv::KvModel;
use linearizability::{
    check, html, write_json_lines, CheckOptions, CheckResult, Verdict, WitnessBudget,
    DEFAULT_WITNESS_STEPS,
};
use sim::Failure;
use std::path::{Path, PathBuf};

/// The checker's memory budget: deterministic, unlike a wall-clock timeout, so a verdict is a
/// function of the seed. No timeout: an Unknown would otherwise depend on the machine.
const CHECK_MEMORY_BYTES: usize = 512 << 20;

/// `checkClntAppends`: every append "x cli j y" for j < count appears exactly once, in order.
pub fn check_clnt_appends(h: &mut KvHarness, cli: usize, value: &str, count: u64) -> Step {
    if appends_in_order(value, cli, count) {
        return Ok(());
    }
    // Something is off: the course's search, for its exact message.
    let mut last_offset: Option<usize> = None;
    for j in 0..count {
        let wanted = format!("x {cli} {j} y");
        let Some(offset) = value.find(&wanted) else {
            let message = format!("{cli} missing element {wanted:?} in Append result {value:?}");
            return Err(h.fail("client-appends", message));
        };
        if value.rfind(&wanted) != Some(offset) {
            let message = format!("duplicate element {wanted:?} in Append result");
            return Err(h.fail("client-appends", message));
        }
        if last_offset.is_some_and(|last| offset <= last) {
            let message = format!("wrong order for element {wanted:?} in Append result");
            return Err(h.fail("client-appends", message));
        }
        last_offset = Some(offset);
    }
    Ok(())
}

/// The common case in one pass: `value` is a run of elements "x c j y", and client `cli`'s
/// are exactly j = 0, 1, ..., count - 1 in that order. Then the course's search passes too:
/// an 'x' starts only an element and a 'y' ends one, so its substring matches are elements.
/// False when it cannot tell; the search then decides.
fn appends_in_order(value: &str, cli: usize, count: u64) -> bool {
    let mut next = 0;
    for element in value.split_terminator('y') {
        let mut fields = element.split(' ');
        let (Some("x"), Some(c), Some(j), Some(""), None) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return false;
        };
        let (Ok(c), Ok(j)) = (c.parse::<usize>(), j.parse::<u64>()) else {
            return false;
        };
        if c == cli {
            if j != next {
                return false;
            }
            next += 1;
        }
    }
    next == count
}

/// `checkConcurrentAppends`: each client's appends "x cli j y", j < counts[cli], once and in
/// order, whatever the interleaving between clients.
pub fn check_concurrent_appends(h: &mut KvHarness, value: &str, counts: &[u64]) -> Step {
    for (cli, &count) in counts.iter().enumerate() {
        check_clnt_appends(h, cli, value, count)?;
    }
    Ok(())
}

/// Where an Unknown is acceptable it is also expected: give up sooner.
const CHECK_MEMORY_BYTES_UNKNOWN_OK: usize = 64 << 20;

fn options(unknown_ok: bool) -> CheckOptions {
    let budget = if unknown_ok {
        CHECK_MEMORY_BYTES_UNKNOWN_OK
    } else {
        CHECK_MEMORY_BYTES
    };
    CheckOptions {
        timeout: None,
        max_memory_bytes: Some(budget),
        threads: 1,
        fast_paths: true,
        // Steps, not wall time: the witness of a failure is a function of the seed too.
        witness_budget: WitnessBudget::Steps(DEFAULT_WITNESS_STEPS),
    }
}

/// The whole history against the key/value model, partitioned by key. `Unknown` fails
/// unless `unknown_ok` says why it is acceptable for this scenario.
pub fn linearizable(h: &mut KvHarness, unknown_ok: Option<&str>) -> Step {
    let history = h.sim.observer().history();
    let result = check(&KvModel, &history, &options(unknown_ok.is_some()));
    match result.verdict {
        Verdict::Linearizable => Ok(()),
        Verdict::Unknown { .. } if unknown_ok.is_some() => Ok(()),
        Verdict::Unknown { reason } => {
            Err(h.fail("linearizable", format!("check gave up: {reason}")))
        }
        Verdict::NotLinearizable => {
            let message = describe_failure(&result, &history);
            Err(h.fail(
                "linearizable",
                format!("history is not linearizable: {message}"),
            ))
        }
    }
}

fn describe_failure(
    result: &CheckResult,
    history: &linearizability::History<
        linearizability::models::kv::KvInput,
        linearizability::models::kv::KvOutput,
    >,
) -> String {
    use linearizability::Model;
    let Some(partition) = result.failures().next() else {
        return String::from("no failing partition named");
    };
    let stuck = partition.unplaced.first().map_or_else(String::new, |&i| {
        let op = &history.operations[i];
        format!(
            "; cannot place c{} {} called at {}us",
            op.client,
            KvModel.describe_operation(&op.input, op.output.as_ref()),
            op.call / super::watch::STAMPS_PER_MICRO
        )
    });
    format!(
        "{} ({} operations, {} linearized before it got stuck){stuck}",
        partition.label,
        partition.ops.len(),
        partition.order.len()
    )
}

/// Writes the history as JSON lines (what `sim check` and porcupine-bench read).
pub fn write_history(watch: &KvWatch, path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    write_json_lines(&watch.history(), &mut file)?;
    std::io::Write::flush(&mut file)
}

/// Where a failing run's history goes: `target/sim-failures/<scenario>-<seed>[-<mutant>]/`
/// in this source tree, made only when a run fails.
fn failure_dir(h: &KvHarness) -> PathBuf {
    let mut name = format!("{}-{}", h.scenario, h.options().seed);
    if let Some(mutant) = &h.options().mutant {
        name.push('-');
        name.push_str(mutant);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The workspace root is the scenarios crate's parent.
    let root = manifest.parent().unwrap_or(manifest);
    root.join("target").join("sim-failures").join(name)
}

/// Writes the history and its HTML view for a failed run and names them in the failure.
pub fn with_history_files(h: &KvHarness, mut failure: Failure) -> Failure {
    let dir = failure_dir(h);
    let jsonl = dir.join("history.jsonl");
    let view = dir.join("history.html");
    let written = write_history(h.sim.observer(), &jsonl).and_then(|()| {
        let history = h.sim.observer().history();
        let result = check(&KvModel, &history, &options(h.unknown_ok.is_some()));
        let title = format!("{} seed {}", h.scenario, h.options().seed);
        std::fs::write(&view, html::render(&KvModel, &history, &result, &title))
    });
    match written {
        Ok(()) => failure.message.push_str(&format!(
            "\n  history: {}\n  view: {}",
            jsonl.display(),
            view.display()
        )),
        Err(e) => failure.message.push_str(&format!(
            "\n  (could not write the history under {}: {e})",
            dir.display()
        )),
    }
    failure
}

#[cfg(test)]
mod tests {
    use super::appends_in_order;

    #[test]
    fn the_one_pass_check_passes_only_what_the_search_passes() {
        let value = "x 0 0 yx 1 0 yx 0 1 yx 1 1 yx 0 2 y";
        assert!(appends_in_order(value, 0, 3));
        assert!(appends_in_order(value, 1, 2));
        assert!(appends_in_order("", 4, 0));
        assert!(
            !appends_in_order(value, 0, 2),
            "an extra element: let the search judge"
        );
        assert!(!appends_in_order(value, 0, 4), "a missing element");
        assert!(!appends_in_order("x 0 1 yx 0 0 y", 0, 2), "out of order");
        assert!(!appends_in_order("x 0 0 yx 0 0 y", 0, 1), "a duplicate");
        assert!(!appends_in_order("x 0 0 yx 0", 0, 1), "a torn element");
        assert!(
            !appends_in_order("x 0 0 yz", 0, 1),
            "not the workload's format"
        );
    }
}
