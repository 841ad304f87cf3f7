//! What `sim sweep` writes for CI systems and batch jobs: JSON lines and JUnit XML that agree
//! with its text summary, partitions that split a range among machines, a time budget that
//! says how far it got, and Chrome traces of one seed.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

mod common;

use common::{sim, stderr, stdout};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sweep-files-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `N runs, P passed, F failed, T timed out` from the summary line.
fn counts(stdout: &str) -> [usize; 4] {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("sweep "))
        .expect("a summary line");
    let after = &line[line.find(": ").unwrap() + 2..];
    let numbers: Vec<usize> = after
        .split(", ")
        .take(4)
        .map(|part| part.split(' ').next().unwrap().parse().unwrap())
        .collect();
    [numbers[0], numbers[1], numbers[2], numbers[3]]
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON record"))
        .collect()
}

#[test]
fn json_and_junit_agree_with_the_text_summary() {
    let dir = scratch("agree");
    let (json, junit) = (dir.join("runs.jsonl"), dir.join("junit.xml"));
    let output = sim(&[
        "sweep",
        "--scenario",
        "raft-election-random",
        "--seeds",
        "1..41",
        "--jobs",
        "2",
        "--mutant",
        "vote-twice-in-term",
        "--json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}{}", stderr(&output));
    let [runs, passed, failed, timed_out] = counts(&out);
    assert_eq!((runs, timed_out), (40, 0), "{out}");
    assert!(failed > 0, "the mutant is caught within 40 seeds: {out}");
    let failing_text: BTreeSet<u64> = out
        .lines()
        .filter_map(|l| l.strip_prefix("  corpus: raft-election-random "))
        .map(|rest| rest.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        failing_text.len(),
        failed,
        "a ready corpus line per failing seed"
    );

    let records = json_lines(&std::fs::read_to_string(&json).unwrap());
    assert_eq!(records.len(), runs);
    let verdict = |v: &str| records.iter().filter(|r| r["verdict"] == v).count();
    assert_eq!(
        (verdict("pass"), verdict("fail"), verdict("timeout")),
        (passed, failed, 0)
    );
    let failing_json: BTreeSet<u64> = records
        .iter()
        .filter(|r| r["verdict"] == "fail")
        .map(|r| r["seed"].as_u64().unwrap())
        .collect();
    assert_eq!(failing_json, failing_text);
    for r in &records {
        assert_eq!(r["scenario"], "raft-election-random");
        assert_eq!(r["mutant"], "vote-twice-in-term");
        assert!(r["events"].as_u64().unwrap() > 0 && r["virtual_us"].as_u64().unwrap() > 0);
        assert!(r["cpu_secs"].as_f64().is_some_and(|s| s >= 0.0), "{r}");
        assert_eq!(r["check"].is_null(), r["verdict"] == "pass", "{r}");
    }

    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("JUnit is well-formed XML");
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(
        suite.attribute("tests"),
        Some((failed + 1).to_string().as_str())
    );
    assert_eq!(
        suite.attribute("failures"),
        Some(failed.to_string().as_str())
    );
    let cases: Vec<roxmltree::Node> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let failing_junit: BTreeSet<u64> = cases
        .iter()
        .filter(|c| c.children().any(|f| f.has_tag_name("failure")))
        .map(|c| {
            c.attribute("name")
                .unwrap()
                .strip_prefix("seed ")
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(failing_junit, failing_text);
    let failure = cases[0]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(failure.attribute("type"), Some("election-safety"));
    assert!(
        failure
            .text()
            .unwrap()
            .contains("corpus: raft-election-random"),
        "{xml}"
    );
    let summary = cases.last().unwrap().attribute("name").unwrap();
    assert_eq!(
        summary,
        format!("summary: {runs} runs, {passed} passed, {failed} failed, 0 timed out")
    );
}

#[test]
fn partitions_split_a_range_among_machines_with_nothing_run_twice() {
    let runs = |extra: &[&str]| {
        let mut args = vec![
            "sweep",
            "--scenario",
            "raft-2a-*",
            "--seeds",
            "1..8",
            "--json",
            "-",
        ];
        args.extend_from_slice(extra);
        let output = sim(&args);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        json_lines(&stdout(&output))
            .into_iter()
            .map(|r| {
                (
                    r["scenario"].as_str().unwrap().to_string(),
                    r["seed"].as_u64().unwrap(),
                    r["verdict"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let mut whole = runs(&[]);
    whole.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let mut parts = Vec::new();
    for k in 1..=3 {
        parts.extend(runs(&["--partition", &format!("{k}/3")]));
    }
    assert_eq!(whole.len(), 7 * 3, "three 2A scenarios, seven seeds");
    parts.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    assert_eq!(
        parts, whole,
        "the slices together are the whole sweep, each run once"
    );
}

#[test]
fn a_spent_time_budget_says_how_far_the_sweep_got() {
    let output = sim(&[
        "sweep",
        "--scenario",
        "raft-2a-*",
        "--seeds",
        "1..8",
        "--time-budget",
        "0",
    ]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains("[stopped by the time budget: 0 of 21 runs]"),
        "{out}"
    );
    assert!(out.contains("resume with --seeds 1..8"), "{out}");
}

#[test]
fn bad_partitions_and_traces_are_usage_errors() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "sweep",
                "--scenario",
                "raft-2a-*",
                "--seeds",
                "1..8",
                "--partition",
                "4/3",
            ],
            "malformed partition '4/3'",
        ),
        (
            &[
                "sweep",
                "--scenario",
                "raft-2a-*",
                "--seeds",
                "1..8",
                "--partition",
                "0/3",
            ],
            "K runs from 1 to N",
        ),
        (
            &["--seed", "1", "--trace-format", "chrome"],
            "give --trace FILE",
        ),
    ];
    for (args, expected) in cases {
        let output = sim(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains(expected),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn a_chrome_trace_shows_the_two_leaders_of_one_term() {
    let dir = scratch("chrome");
    let path = dir.join("trace.json");
    let output = sim(&[
        "--seed",
        "14",
        "--scenario",
        "raft-election-random",
        "--mutant",
        "vote-twice-in-term",
        "--trace-format",
        "chrome",
        "--trace",
        path.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let events = doc["traceEvents"].as_array().unwrap();
    let nodes = events
        .iter()
        .filter(|e| {
            e["name"] == "process_name"
                && e["args"]["name"]
                    .as_str()
                    .unwrap()
                    .strip_prefix('n')
                    .is_some_and(|id| id.parse::<u32>().is_ok())
        })
        .count();
    assert_eq!(nodes, 5);
    let leaders: BTreeSet<u64> = events
        .iter()
        .filter(|e| e["cat"] == "state" && e["name"] == "leader 1")
        .map(|e| e["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(leaders.len(), 2, "n1 and n3 both lead term 1");
    let flows = events.iter().filter(|e| e["ph"] == "s").count();
    // The run fails in its first election (16 messages delivered by then).
    assert!(flows > 10, "messages are flows: {flows}");
}
