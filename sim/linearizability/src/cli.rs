//! `sim check FILE...`: check history files and print one line per file.

use crate::check::{check, CheckOptions, CheckResult, PrefixSearch, Verdict, WitnessBudget};
use crate::explanation::{cut_middle, name_operation};
use crate::formats::{parse, ParsedHistory};
use crate::history::History;
use crate::model::Model;
use crate::models::cas_register::CasRegisterModel;
use crate::models::kv::KvModel;
use crate::models::register::{RegisterModel, RegisterOp};
use crate::search::wall_clock_now;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(clap::Args, Clone, Debug)]
pub struct CheckArgs {
    /// History files: Jepsen etcd logs, EDN key/value lines or JSON lines (detected).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The model to check against; by default the one the file's operations call for
    /// (kv for get/put/append, cas-register for read/write/cas).
    #[arg(long, value_enum)]
    pub model: Option<ModelChoice>,
    /// Give up on a file after this many seconds (verdict unknown).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Give up on a key when its search's memo would pass this many MiB (verdict unknown).
    /// Each key has its own budget, so the verdict does not depend on --threads; the process
    /// holds up to --threads such memos at once, and small ones of keys waiting their turn.
    #[arg(long, value_name = "MIB", default_value_t = 350)]
    pub max_memory_mib: usize,
    /// Keys whose searches run to their end at once (after a race of short rounds).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Also write a self-contained HTML view of every file checked.
    #[arg(long, value_name = "OUT.html")]
    pub html: Option<PathBuf>,
    /// Where a key's polynomial decision finds it not linearizable (its own witness printed
    /// first), search for a longer linearizable prefix for at most this many times what the
    /// verdict took...
    #[arg(long, value_name = "FACTOR", default_value_t = 4)]
    pub witness_factor: u32,
    /// ...and at most this long for the whole file.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub witness_max_ms: u64,
    /// Instead, at most this many search steps per key: the same witness on every machine.
    #[arg(long, value_name = "STEPS")]
    pub witness_steps: Option<u64>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelChoice {
    Kv,
    Register,
    CasRegister,
}

/// Bad input: a file that cannot be read or parsed, or that does not fit the model asked for.
/// Its `Display` is the one-line `file:line: message`.
#[derive(Debug)]
pub struct CheckCommandError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for CheckCommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for CheckCommandError {}

/// What checking one file found.
#[derive(Clone, Debug)]
pub struct FileReport {
    pub verdict: Verdict,
    pub operations: usize,
    pub clients: usize,
    pub partitions: usize,
    pub elapsed: Duration,
    /// One line on where a failing history went wrong, if it did.
    pub failure: Option<String>,
    /// The HTML section, if asked for.
    pub html: Option<String>,
}

/// Checks every file, printing one line each to `out`; `Ok(true)` if all are linearizable.
pub fn run(args: &CheckArgs, out: &mut impl Write) -> Result<bool, CheckCommandError> {
    let witness_budget = match args.witness_steps {
        Some(steps) => WitnessBudget::Steps(steps),
        None => WitnessBudget::Time {
            factor: args.witness_factor,
            max: Duration::from_millis(args.witness_max_ms),
        },
    };
    let options = CheckOptions {
        timeout: args.timeout.map(Duration::from_secs),
        max_memory_bytes: Some(args.max_memory_mib.saturating_mul(1 << 20)),
        threads: args.threads.max(1),
        fast_paths: true,
        witness_budget,
    };
    let mut all_linearizable = true;
    let mut sections = Vec::new();
    for path in &args.files {
        let report = check_file(path, args.model, &options, args.html.is_some())?;
        all_linearizable &= report.verdict == Verdict::Linearizable;
        let line = summary_line(path, &report);
        writeln!(out, "{line}").map_err(|e| io_error(path, "writing the summary", e))?;
        sections.extend(report.html);
    }
    if let Some(html_path) = &args.html {
        let page = crate::html::page("Linearizability check", &sections);
        std::fs::write(html_path, page)
            .map_err(|e| io_error(html_path, "writing the HTML view", e))?;
    }
    Ok(all_linearizable)
}

fn summary_line(path: &Path, report: &FileReport) -> String {
    let verdict = match &report.verdict {
        Verdict::Linearizable => String::from("linearizable"),
        Verdict::NotLinearizable => String::from("not linearizable"),
        Verdict::Unknown { reason } => format!("unknown ({reason})"),
    };
    let mut line = format!(
        "{}: {verdict}, {} operations, {} clients, {} partitions, {:.1} ms",
        path.display(),
        report.operations,
        report.clients,
        report.partitions,
        report.elapsed.as_secs_f64() * 1e3
    );
    if let Some(failure) = &report.failure {
        line.push_str("; ");
        line.push_str(failure);
    }
    line
}

/// Reads, parses and checks one file; the HTML section too if `html`.
pub fn check_file(
    path: &Path,
    model: Option<ModelChoice>,
    options: &CheckOptions,
    html: bool,
) -> Result<FileReport, CheckCommandError> {
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, "reading", e))?;
    let parsed = parse(&text).map_err(|e| CheckCommandError {
        path: path.to_path_buf(),
        line: Some(e.line),
        message: e.message,
    })?;
    let title = path.display().to_string();
    let wrong_model = |line: usize, expected: &str, found: &str| CheckCommandError {
        path: path.to_path_buf(),
        line: Some(line),
        message: format!("expected {expected} for --model, found {found}"),
    };
    match (parsed, model) {
        (ParsedHistory::Empty, _) => Ok(check_history(
            &KvModel,
            &History::default(),
            &[],
            options,
            html,
            &title,
        )),
        (
            ParsedHistory::Kv {
                history,
                call_lines,
            },
            None | Some(ModelChoice::Kv),
        ) => Ok(check_history(
            &KvModel,
            &history,
            &call_lines,
            options,
            html,
            &title,
        )),
        (
            ParsedHistory::Kv { call_lines, .. },
            Some(ModelChoice::Register | ModelChoice::CasRegister),
        ) => Err(wrong_model(
            call_lines[0],
            "a register operation (read, write, cas)",
            "a key/value operation",
        )),
        (ParsedHistory::Register { call_lines, .. }, Some(ModelChoice::Kv)) => Err(wrong_model(
            call_lines[0],
            "a key/value operation (get, put, append)",
            "a register operation",
        )),
        (
            ParsedHistory::Register {
                history,
                call_lines,
            },
            Some(ModelChoice::Register),
        ) => {
            let cas = history
                .operations
                .iter()
                .position(|op| matches!(op.input.op, RegisterOp::Cas { .. }));
            if let Some(index) = cas {
                return Err(wrong_model(
                    call_lines[index],
                    "read or write (a plain register)",
                    "cas",
                ));
            }
            Ok(check_history(
                &RegisterModel,
                &history,
                &call_lines,
                options,
                html,
                &title,
            ))
        }
        (
            ParsedHistory::Register {
                history,
                call_lines,
            },
            None | Some(ModelChoice::CasRegister),
        ) => Ok(check_history(
            &CasRegisterModel,
            &history,
            &call_lines,
            options,
            html,
            &title,
        )),
    }
}

fn check_history<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    call_lines: &[usize],
    options: &CheckOptions,
    html: bool,
    title: &str,
) -> FileReport {
    let started = wall_clock_now();
    let result = check(model, history, options);
    let elapsed = wall_clock_now() - started;
    FileReport {
        failure: describe_failure(model, history, call_lines, &result),
        verdict: result.verdict.clone(),
        operations: history.operations.len(),
        clients: history.client_count(),
        partitions: result.partitions.len(),
        elapsed,
        html: html.then(|| crate::html::render_section(model, history, &result, call_lines, title)),
    }
}

/// A longer description of the operation that cannot be placed loses its middle.
const OPERATION_CHARS: usize = 120;

/// `key "3": <why>; 12 of 40 operations linearized, then line 57 get("3") -> "x" cannot be
/// placed`, with why the prefix may be short when its search stopped early.
fn describe_failure<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    call_lines: &[usize],
    result: &CheckResult,
) -> Option<String> {
    let failed = result.failures().next()?;
    let &blocking = failed.unplaced.first()?;
    let op = &history.operations[blocking];
    let line = call_lines
        .get(blocking)
        .map_or(String::new(), |line| format!("line {line} "));
    let why = failed.why.as_ref().map_or(String::new(), |why| {
        let name = |i: usize| name_operation(model, history, call_lines, i);
        format!("{}; ", why.render(name))
    });
    let stopped = match &failed.prefix {
        PrefixSearch::Complete => String::new(),
        PrefixSearch::StoppedEarly { reason } => {
            format!(" (the search for a longer prefix stopped early: {reason})")
        }
    };
    Some(format!(
        "{}: {why}{} of {} operations linearized{stopped}, then {line}{} cannot be placed",
        failed.label,
        failed.order.len(),
        failed.ops.len(),
        cut_middle(
            &model.describe_operation(&op.input, op.output.as_ref()),
            OPERATION_CHARS
        )
    ))
}

fn io_error(path: &Path, doing: &str, error: std::io::Error) -> CheckCommandError {
    CheckCommandError {
        path: path.to_path_buf(),
        line: None,
        message: format!("{doing}: {error}"),
    }
}
