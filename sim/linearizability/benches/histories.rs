//! Checks every history file (by default those of `tests/histories/EXPECTED.tsv`) and prints
//! one row per file in porcupine-bench's shape, `FILE  verdict  ms  ops  clients` (ms: median
//! wall time of the check alone, parsing excluded), then the total wall and CPU time.
//!
//!     cargo bench -p linearizability --bench histories -- [--repeat N] [--threads N] [FILE...]
//!
//! A benchmark, never a test: it measures and asserts nothing about time.

use linearizability::cli::check_file;
use linearizability::{CheckOptions, Verdict, WitnessBudget};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn main() {
    let (repeat, threads, mut files) = arguments();
    if files.is_empty() {
        files = expected_files();
    }
    let options = CheckOptions {
        timeout: None,
        max_memory_bytes: Some(1 << 30),
        threads,
        fast_paths: true,
        witness_budget: WitnessBudget::Time {
            factor: 4,
            max: Duration::from_secs(1),
        },
    };
    let cpu_before = cpu_time();
    let mut total = Duration::ZERO;
    for file in &files {
        let mut times = Vec::with_capacity(repeat);
        let mut last = None;
        for _ in 0..repeat {
            let report = check_file(file, None, &options, false).unwrap_or_else(|e| panic!("{e}"));
            times.push(report.elapsed);
            last = Some(report);
        }
        let report = last.expect("repeat is at least 1");
        times.sort();
        let median = times[times.len() / 2];
        total += median;
        let verdict = match report.verdict {
            Verdict::Linearizable => "linearizable",
            Verdict::NotLinearizable => "not",
            Verdict::Unknown { .. } => "unknown",
        };
        println!(
            "{}\t{verdict}\t{:.3}\t{}\t{}",
            file.display(),
            median.as_secs_f64() * 1e3,
            report.operations,
            report.clients
        );
    }
    let cpu = cpu_time().saturating_sub(cpu_before);
    println!(
        "total\t{} files\tsum of medians {:.1} ms\tprocess CPU {:.0} ms for {repeat} runs each",
        files.len(),
        total.as_secs_f64() * 1e3,
        cpu.as_secs_f64() * 1e3
    );
}

/// `--repeat N`, `--threads N` and files; cargo's own `--bench` is ignored.
fn arguments() -> (usize, usize, Vec<PathBuf>) {
    let (mut repeat, mut threads, mut files) = (1, 1, Vec::new());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| {
            let value = args.next().and_then(|v| v.parse::<usize>().ok());
            value
                .filter(|&n| n >= 1)
                .unwrap_or_else(|| panic!("{name} takes a number >= 1"))
        };
        match arg.as_str() {
            "--bench" => {}
            "--repeat" => repeat = number("--repeat"),
            "--threads" => threads = number("--threads"),
            _ => files.push(PathBuf::from(arg)),
        }
    }
    (repeat, threads, files)
}

fn expected_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/histories");
    let table =
        std::fs::read_to_string(root.join("EXPECTED.tsv")).expect("EXPECTED.tsv is shipped");
    table
        .lines()
        .filter_map(|row| row.split('\t').next())
        .filter(|file| !file.is_empty())
        .map(|file| root.join(file))
        .collect()
}

/// User plus system CPU time of this process, from /proc/self/stat (fields 14 and 15, in
/// clock ticks of 1/100 s on Linux), so no libc is needed. Zero where /proc is missing.
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields 14 and 15 overall are 12 and 13 here (field 3 is index 1 after the name).
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}
