//! The etcd-real histories (a real etcd cluster under kills and pauses, unique values, up to
//! 200 operations of unknown outcome): each gets its expected verdict and counts, and every key
//! is decided by the register decision, never left to the search. Two files are shipped; all
//! ten are checked when `../shared/histories/etcd-real` is there (else that test says it
//! skipped).

use linearizability::formats::{parse, ParsedHistory};
use linearizability::models::cas_register::CasRegisterModel;
use linearizability::{check, CheckOptions, Model, Verdict};
use std::path::{Path, PathBuf};

/// Checks every row of `dir/EXPECTED.tsv`; how many rows there were.
fn check_table(dir: &Path) -> usize {
    let table = std::fs::read_to_string(dir.join("EXPECTED.tsv")).expect("EXPECTED.tsv");
    let mut rows = 0;
    for row in table.lines().filter(|row| !row.trim().is_empty()) {
        let fields: Vec<&str> = row.split('\t').collect();
        let [file, verdict, invocations, processes, keys] = fields[..] else {
            panic!("{row:?}: expected five tab-separated fields");
        };
        let text = std::fs::read_to_string(dir.join(file)).expect("a listed file");
        let Ok(ParsedHistory::Register { history, .. }) = parse(&text) else {
            panic!("{file}: a register history");
        };
        let model = CasRegisterModel;
        let partitions = model.partition(&history);
        for partition in &partitions {
            let decision = model.decide(&history.operations, &partition.ops);
            assert!(decision.is_some(), "{file} {}: decided", partition.label);
        }
        let result = check(&model, &history, &CheckOptions::default());
        let expected = match verdict {
            "linearizable" => Verdict::Linearizable,
            "not" => Verdict::NotLinearizable,
            other => panic!("{file}: unknown verdict {other:?}"),
        };
        assert_eq!(result.verdict, expected, "{file}");
        assert_eq!(history.operations.len().to_string(), invocations, "{file}");
        assert_eq!(history.client_count().to_string(), processes, "{file}");
        assert_eq!(partitions.len().to_string(), keys, "{file}");
        if let Some(failed) = result.failures().next() {
            assert!(failed.why.is_some(), "{file}: the decision says why");
        }
        rows += 1;
    }
    rows
}

#[test]
fn the_shipped_etcd_real_histories_get_their_verdicts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/histories/etcd-real");
    assert_eq!(check_table(&dir), 2);
}

#[test]
fn every_etcd_real_history_in_shared_gets_its_verdict() {
    let dir: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/histories/etcd-real");
    if !dir.join("EXPECTED.tsv").is_file() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    assert_eq!(check_table(&dir), 10);
}
