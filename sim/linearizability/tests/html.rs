//! The HTML view's structure: self-contained, every operation drawn, the order numbered and the
//! first operation that cannot be placed marked.

use linearizability::formats::{parse, ParsedHistory};
use linearizability::models::cas_register::CasRegisterModel;
use linearizability::models::kv::KvModel;
use linearizability::{check, html, CheckOptions, Model, Verdict};
use std::path::Path;

fn read(file: &str) -> ParsedHistory {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/histories")
        .join(file);
    parse(&std::fs::read_to_string(path).expect("fixture exists")).expect("fixture parses")
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[test]
fn a_failing_kv_history_marks_its_first_unplaceable_operation() {
    let ParsedHistory::Kv {
        history,
        call_lines,
    } = read("kv/c01-bad.txt")
    else {
        panic!("kv")
    };
    let result = check(&KvModel, &history, &CheckOptions::default());
    assert_eq!(result.verdict, Verdict::NotLinearizable);
    let page = html::page(
        "c01-bad",
        &[html::render_section(
            &KvModel,
            &history,
            &result,
            &call_lines,
            "c01-bad",
        )],
    );
    assert!(
        !page.contains("http:") && !page.contains("https:"),
        "self-contained: no URLs"
    );
    assert!(
        !page.contains("<link") && !page.contains(" src="),
        "no external resources"
    );
    assert_eq!(
        count(&page, "<div class=\"op "),
        history.operations.len(),
        "one bar per operation"
    );
    for op in &history.operations {
        let description = KvModel.describe_operation(&op.input, op.output.as_ref());
        assert!(page.contains(&escaped(&description)), "shows {description}");
    }
    let failures: Vec<_> = result.failures().collect();
    assert_eq!(
        count(&page, " first-unplaced\""),
        failures.len(),
        "one marked per failing partition"
    );
    for failed in failures {
        let first = failed.unplaced[0];
        let marked = " first-unplaced\" style=";
        let at = page
            .find(&format!("data-op=\"{first}\""))
            .expect("the first unplaceable op is drawn");
        let bar_start = page[..at].rfind("<div class=").expect("inside a bar");
        assert!(
            page[bar_start..at].contains(marked),
            "op {first} is the one marked"
        );
        assert!(page.contains(&format!(
            "longest linearizable prefix {} of {}",
            failed.order.len(),
            failed.ops.len()
        )));
    }
    // The decision's reason, operations named by their file lines.
    let failed = result.failures().next().expect("a failure");
    let why = failed
        .why
        .as_ref()
        .expect("decided by the unique-writes procedure");
    let name = |i: usize| {
        format!(
            "{} at line {}",
            KvModel.describe_call(&history.operations[i].input),
            call_lines[i]
        )
    };
    let sentence = escaped(&why.render(name));
    assert!(sentence.contains(" at line "), "{sentence}");
    assert!(
        page.contains(&format!("<p class=\"why\">Why: {sentence}</p>")),
        "{sentence}"
    );
}

#[test]
fn a_linearizable_register_history_numbers_every_operation() {
    let ParsedHistory::Register {
        history,
        call_lines,
    } = read("jepsen/etcd_005.log")
    else {
        panic!("register")
    };
    let result = check(&CasRegisterModel, &history, &CheckOptions::default());
    assert_eq!(result.verdict, Verdict::Linearizable);
    let page = html::page(
        "etcd_005",
        &[html::render_section(
            &CasRegisterModel,
            &history,
            &result,
            &call_lines,
            "etcd",
        )],
    );
    assert_eq!(count(&page, "first-unplaced\""), 0);
    let checked = history
        .operations
        .iter()
        .filter(|op| !op.is_failed())
        .count();
    assert_eq!(
        count(&page, " linearized\""),
        checked,
        "every checked operation is in the order"
    );
    assert_eq!(
        count(&page, " failed"),
        history.operations.len() - checked,
        "failed ones are drawn apart"
    );
    assert!(
        page.contains(&format!("<b>{checked}</b> ")),
        "positions are numbered up to {checked}"
    );
    assert!(
        page.contains("data-line=\""),
        "file lines are given for hover"
    );
}
