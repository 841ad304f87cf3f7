//! Every history in `tests/histories/` gets the verdict, operation count and client count that
//! `EXPECTED.tsv` gives.

use linearizability::cli::check_file;
use linearizability::{CheckOptions, Verdict};
use std::path::Path;

#[test]
fn every_history_gets_its_expected_verdict() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/histories");
    let table =
        std::fs::read_to_string(root.join("EXPECTED.tsv")).expect("EXPECTED.tsv is shipped");
    let options = CheckOptions {
        max_memory_bytes: None,
        ..CheckOptions::default()
    };
    let mut checked = 0;
    let mut seen = [0usize; 2];
    for row in table.lines().filter(|row| !row.trim().is_empty()) {
        let fields: Vec<&str> = row.split('\t').collect();
        let [file, verdict, operations, clients] = fields[..] else {
            panic!("EXPECTED.tsv row {row:?}: expected four tab-separated fields");
        };
        let report = check_file(&root.join(file), None, &options, false)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let expected = match verdict {
            "linearizable" => Verdict::Linearizable,
            "not" => Verdict::NotLinearizable,
            other => panic!("EXPECTED.tsv: unknown verdict {other:?}"),
        };
        assert_eq!(report.verdict, expected, "{file}");
        assert_eq!(
            report.operations.to_string(),
            operations,
            "{file}: operations"
        );
        assert_eq!(report.clients.to_string(), clients, "{file}: clients");
        seen[usize::from(expected == Verdict::Linearizable)] += 1;
        checked += 1;
    }
    assert_eq!(checked, 64, "every row of EXPECTED.tsv was checked");
    assert!(seen[0] > 0 && seen[1] > 0, "both verdicts occur: {seen:?}");
}
