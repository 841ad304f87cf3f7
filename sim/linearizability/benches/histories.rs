//! Checks history files with our checker and with Porcupine (`porcupine-bench`, when found) in
//! the same run, and prints them side by side, one row per file:
//! `FILE  ours-verdict  ours-ms  porcupine-verdict  porcupine-ms  porcupine/ours`
//! (ms: median wall time of the check alone, parsing excluded, as porcupine-bench measures its
//! own), then the sums, the ratio of sums, the file where ours is slowest next to Porcupine,
//! and the CPU time of each checker's process.
//!
//!     cargo bench -p linearizability --bench histories -- [--repeat N] [--threads N]
//!         [--porcupine PATH | --no-porcupine] [--porcupine-timeout SECS] [FILE...]
//!
//! Without files: Porcupine's test set if `PORCUPINE_TEST_DATA` names its `test_data`
//! directory (tools/scripts/bench-checker-vs-porcupine.sh sets it), else the shipped subset
//! (`tests/histories/EXPECTED.tsv`). `sim check`'s settings: mimalloc, a witness budget of four
//! times the verdict's time. A benchmark, never a test: it measures and asserts nothing.

use linearizability::cli::check_file;
use linearizability::{CheckOptions, Verdict, WitnessBudget};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Arguments {
    repeat: usize,
    threads: usize,
    porcupine: Option<PathBuf>,
    porcupine_timeout: u64,
    files: Vec<PathBuf>,
}

/// One file's row: verdict and median milliseconds.
type Row = (String, f64);

fn main() {
    let mut args = arguments();
    if args.files.is_empty() {
        args.files = default_files();
    }
    let cpu_before = cpu_time();
    let ours: Vec<Row> = args.files.iter().map(|f| check_ours(f, &args)).collect();
    let cpu = cpu_time().saturating_sub(cpu_before);
    let children_before = cpu_time_of_children();
    let theirs = args
        .porcupine
        .as_ref()
        .map(|porcupine| check_porcupine(porcupine, &args));
    let their_cpu = cpu_time_of_children().saturating_sub(children_before);
    print_rows(&args.files, &ours, theirs.as_ref());
    println!(
        "process CPU (user+sys, parsing and start-up included), {} runs of each file: ours {:.0} ms{}",
        args.repeat,
        cpu.as_secs_f64() * 1e3,
        theirs.map_or(String::new(), |_| format!(
            ", porcupine {:.0} ms",
            their_cpu.as_secs_f64() * 1e3
        ))
    );
}

fn check_ours(file: &Path, args: &Arguments) -> Row {
    let options = CheckOptions {
        timeout: None,
        max_memory_bytes: Some(350 << 20),
        threads: args.threads,
        fast_paths: true,
        witness_budget: WitnessBudget::Time {
            factor: 4,
            max: Duration::from_secs(1),
        },
    };
    let mut times = Vec::with_capacity(args.repeat);
    let mut verdict = String::new();
    for _ in 0..args.repeat {
        let report = check_file(file, None, &options, false).unwrap_or_else(|e| panic!("{e}"));
        times.push(report.elapsed);
        verdict = String::from(match report.verdict {
            Verdict::Linearizable => "linearizable",
            Verdict::NotLinearizable => "not",
            Verdict::Unknown { .. } => "unknown",
        });
    }
    times.sort();
    (verdict, times[times.len() / 2].as_secs_f64() * 1e3)
}

/// Porcupine's rows by file, from one porcupine-bench run over all files.
fn check_porcupine(porcupine: &Path, args: &Arguments) -> BTreeMap<PathBuf, Row> {
    let output = Command::new(porcupine)
        .arg("-timeout")
        .arg(args.porcupine_timeout.to_string())
        .arg("-repeat")
        .arg(args.repeat.to_string())
        .args(&args.files)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", porcupine.display()));
    let text = String::from_utf8_lossy(&output.stdout);
    let mut rows = BTreeMap::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        if let [file, verdict, ms, ..] = fields[..] {
            let ms: f64 = ms.parse().unwrap_or(f64::NAN);
            rows.insert(PathBuf::from(file), (verdict.to_string(), ms));
        }
    }
    rows
}

fn print_rows(files: &[PathBuf], ours: &[Row], theirs: Option<&BTreeMap<PathBuf, Row>>) {
    let (mut sum_ours, mut sum_theirs) = (0.0, 0.0);
    let mut worst: Option<(f64, &Path)> = None;
    let mut disagreements = 0;
    for (file, (verdict, ms)) in files.iter().zip(ours) {
        sum_ours += ms;
        let name = file.display();
        let Some((their_verdict, their_ms)) = theirs.and_then(|rows| rows.get(file)) else {
            println!("{name}\t{verdict}\t{ms:.3}");
            continue;
        };
        sum_theirs += their_ms;
        let excess = ms - their_ms;
        if worst.is_none_or(|(worst, _)| excess > worst) {
            worst = Some((excess, file));
        }
        let differ = their_verdict != verdict && their_verdict != "unknown";
        disagreements += usize::from(differ);
        println!(
            "{name}\t{verdict}\t{ms:.3}\t{their_verdict}\t{their_ms:.3}\tx{:.1}{}",
            their_ms / ms.max(1e-3),
            if differ { "\tVERDICTS DIFFER" } else { "" }
        );
    }
    if theirs.is_none() {
        println!("total\t{} files\tours {sum_ours:.1} ms", files.len());
        return;
    }
    println!(
        "total\t{} files\tours {sum_ours:.1} ms\tporcupine {sum_theirs:.1} ms\tporcupine/ours x{:.1}",
        files.len(),
        sum_theirs / sum_ours.max(1e-3)
    );
    if let Some((excess, file)) = worst {
        println!(
            "ours slowest next to porcupine: {} ({excess:+.3} ms)",
            file.display()
        );
    }
    println!("verdicts that differ (porcupine unknown aside): {disagreements}");
}

/// `--repeat N`, `--threads N`, `--porcupine PATH`, `--no-porcupine`, `--porcupine-timeout
/// SECS` and files; cargo's own `--bench` is ignored.
fn arguments() -> Arguments {
    let mut parsed = Arguments {
        repeat: 1,
        threads: 1,
        porcupine: default_porcupine(),
        porcupine_timeout: 60,
        files: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| panic!("{name} takes a value"))
        };
        let mut number = |name: &str| {
            let value = value(name).parse::<u64>().ok();
            value
                .filter(|&n| n >= 1)
                .unwrap_or_else(|| panic!("{name} takes a number >= 1"))
        };
        match arg.as_str() {
            "--bench" => {}
            "--repeat" => parsed.repeat = number("--repeat") as usize,
            "--threads" => parsed.threads = number("--threads") as usize,
            "--porcupine-timeout" => parsed.porcupine_timeout = number("--porcupine-timeout"),
            "--porcupine" => parsed.porcupine = Some(PathBuf::from(value("--porcupine"))),
            "--no-porcupine" => parsed.porcupine = None,
            _ => parsed.files.push(PathBuf::from(arg)),
        }
    }
    parsed
}

/// `../shared/tools/porcupine-bench` beside the workspace, if it is there.
fn default_porcupine() -> Option<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = workspace.join("../shared/tools/porcupine-bench");
    path.is_file().then_some(path)
}

/// Porcupine's test set if `PORCUPINE_TEST_DATA` is set, else the shipped subset.
fn default_files() -> Vec<PathBuf> {
    if let Some(dir) = std::env::var_os("PORCUPINE_TEST_DATA") {
        let dir = PathBuf::from(dir);
        let mut files = Vec::new();
        for (sub, ext) in [("jepsen", "log"), ("kv", "txt")] {
            let entries = std::fs::read_dir(dir.join(sub))
                .unwrap_or_else(|e| panic!("{}/{sub}: {e}", dir.display()));
            let mut found: Vec<PathBuf> = entries
                .map(|entry| entry.expect("a readable directory").path())
                .filter(|path| path.extension().is_some_and(|e| e == ext))
                .collect();
            found.sort();
            files.extend(found);
        }
        return files;
    }
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

/// User plus system CPU time of this process (fields 14 and 15 of /proc/self/stat).
fn cpu_time() -> Duration {
    proc_stat_ticks(11, 12)
}

/// User plus system CPU time of the children this process waited for (fields 16 and 17).
fn cpu_time_of_children() -> Duration {
    proc_stat_ticks(13, 14)
}

/// The sum of two fields of /proc/self/stat, counted after the command name, in clock ticks of
/// 1/100 s on Linux, so no libc is needed. Zero where /proc is missing.
fn proc_stat_ticks(first: usize, second: usize) -> Duration {
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
    // Field n overall is index n - 3 here (field 3 is index 0 after the name).
    Duration::from_millis((ticks(first) + ticks(second)) * 10)
}
