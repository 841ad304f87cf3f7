//! `lincheck` end to end: output lines and exit codes (0 all linearizable, 1 not or unknown,
//! 2 bad usage or input).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn histories() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/histories")
}

fn lincheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lincheck"))
        .args(args)
        .current_dir(histories())
        .output()
        .expect("lincheck runs")
}

fn temp_file(name: &str, text: &str) -> String {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, text).expect("the target tmpdir is writable");
    path.to_string_lossy().into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn linearizable_files_exit_0_with_one_line_each() {
    let output = lincheck(&["jepsen/etcd_002.log", "kv/c10-ok.txt"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with(
            "jepsen/etcd_002.log: linearizable, 77 operations, 23 clients, 1 partitions,"
        ),
        "{text}"
    );
    assert!(
        lines[1]
            .starts_with("kv/c10-ok.txt: linearizable, 337 operations, 10 clients, 10 partitions,"),
        "{text}"
    );
}

#[test]
fn a_file_that_is_not_linearizable_exits_1_and_says_where() {
    let output = lincheck(&["kv/c10-ok.txt", "kv/c01-bad.txt"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("kv/c01-bad.txt: not linearizable, 38 operations"),
        "{text}"
    );
    assert!(text.contains("cannot be placed"), "{text}");
}

#[test]
fn a_memory_budget_gives_unknown_and_exits_1() {
    let output = lincheck(&["--max-memory-mib", "0", "jepsen/etcd_002.log"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("unknown (partition key \"\": memory budget"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn an_empty_history_is_linearizable() {
    let empty = temp_file("empty.jsonl", "");
    let output = lincheck(&[&empty]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains(": linearizable, 0 operations"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn malformed_input_exits_2_with_file_and_line() {
    let bad = temp_file(
        "bad.edn",
        "{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}\n\
                                    {:process 0, :type :okk, :f :get, :key \"1\", :value \"\"}\n",
    );
    let output = lincheck(&[&bad]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert_eq!(
        message,
        format!("{bad}:2: expected :type :invoke, :ok, :fail or :info, found :okk\n")
    );
    assert!(!message.contains("panicked"));
}

#[test]
fn a_model_that_does_not_fit_exits_2() {
    let output = lincheck(&["--model", "register", "jepsen/etcd_000.log"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.starts_with("jepsen/etcd_000.log:"), "{message}");
    assert!(
        message.contains("expected read or write (a plain register) for --model, found cas"),
        "{message}"
    );
    let output = lincheck(&["--model", "kv", "jepsen/etcd_000.log"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("jepsen/etcd_000.log:1: expected a key/value operation"));
}

#[test]
fn bad_usage_and_missing_files_exit_2() {
    assert_eq!(lincheck(&[]).status.code(), Some(2));
    assert_eq!(
        lincheck(&["--model", "nope", "kv/c01-ok.txt"])
            .status
            .code(),
        Some(2)
    );
    let output = lincheck(&["no/such/file.log"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("no/such/file.log: reading: "),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_decided_failure_says_why_naming_file_lines() {
    let output = lincheck(&["kv/c10-bad.txt", "etcd-real/etcd_d006.jsonl"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains(
            "key \"0\": get(\"0\") at line 158 saw \"x 8 0 y\" last, without \"x 7 1 y\", but \
             append(\"0\", \"x 7 1 y\") at line 82 had returned before it was called; 9 of 36 \
             operations linearized, then line 158"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "key \"k1\": read(\"k1\") at line 930 read 193, but cas(\"k1\", 193, 241) at line 889, \
             which replaced it, returned before it was called; "
        ),
        "{text}"
    );
}

#[test]
fn a_witness_search_cut_short_says_so() {
    let output = lincheck(&["--witness-steps", "0", "kv/c10-bad.txt"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains(
            "9 of 36 operations linearized (the search for a longer prefix stopped early: no \
             budget left for a search), then line 158"
        ),
        "{text}"
    );
}
