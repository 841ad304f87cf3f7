//! The failure page: one self-contained HTML file a person reads first. The replay command
//! at the top, the failing check and its evidence, then a timeline drawn on a canvas from a
//! compact JSON document (one lane per node with its role and term, crashes and pauses, the
//! network's partitions as bands, messages as arrows, client operations), zoomed to the
//! evidence when it opens, and the text report with message contents below. No external
//! scripts, fonts or styles; the DOM stays small whatever the run's length.

use crate::page_data::{document, Evidence};
use crate::report::{failure_report, ReplayPrefix, RunReport};
use std::fmt::Write;
use std::path::{Path, PathBuf};

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// The page's file name in a failing run's directory.
pub const PAGE_FILE: &str = "index.html";

/// Writes the page of a failed, recorded run into `dir`; its path. `None` when the report
/// has no failure or no recording (nothing to draw).
pub fn write(
    dir: &Path,
    report: &RunReport,
    replay: &ReplayPrefix,
) -> Option<std::io::Result<PathBuf>> {
    let html = render(report, replay)?;
    let path = dir.join(PAGE_FILE);
    let written = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, html));
    Some(written.map(|()| path))
}

/// The page of a failed, recorded run.
pub fn render(report: &RunReport, replay: &ReplayPrefix) -> Option<String> {
    let failure = report.failure.as_ref()?;
    let recording = report.recording.as_deref()?;
    let evidence = Evidence::of(failure, recording);
    let data = document(failure, recording, &evidence);
    let mut title = format!("{} seed {}", report.scenario, report.seed);
    if let Some(mutant) = &report.mutant {
        let _ = write!(title, " mutant {mutant}");
    }
    let mut html = String::with_capacity(64 * 1024);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>FAILED {check}: {title}</title><style>{STYLE}</style></head><body>\n\
         <header><h1>FAILED check <span class=\"check\">{check}</span> \
         <span class=\"run\">{title}</span></h1>\n\
         <div class=\"replay\">replay: <code id=\"replay\">{replay}</code></div></header>\n",
        check = escape(&failure.check.to_string()),
        title = escape(&title),
        replay = escape(&replay.for_report(report)),
    );
    html.push_str(&evidence_box(report, recording, &evidence));
    html.push_str(TIMELINE_HTML);
    html.push_str(&details(report, replay));
    let json = serde_json::to_string(&data).expect("a JSON value always serialises");
    // '<' never appears outside strings in JSON; escaped, no string can end the script.
    let json = json.replace('<', "\\u003c");
    let _ = write!(
        html,
        "<script type=\"application/json\" id=\"data\">{json}</script>\n\
         <script>{SCRIPT}</script>\n</body></html>\n"
    );
    Some(html)
}

/// The failing check's evidence in words: message, time, nodes, the operation.
fn evidence_box(
    report: &RunReport,
    recording: &crate::recording::Recording,
    evidence: &Evidence,
) -> String {
    let failure = report.failure.as_ref().expect("render checked the failure");
    let mut html = String::from("<section id=\"evidence\"><h2>Evidence</h2>");
    let _ = write!(
        html,
        "<p class=\"message\">{}</p><p>at <b>t={}</b> (event {}), seed {}",
        escape(&failure.message).replace('\n', "<br>"),
        failure.time,
        failure.events,
        failure.seed
    );
    if !evidence.nodes.is_empty() {
        let nodes: Vec<String> = evidence.nodes.iter().map(|n| n.to_string()).collect();
        let _ = write!(html, "; involves <b>{}</b>", escape(&nodes.join(" ")));
    }
    html.push_str("</p>");
    if let Some(op) = evidence.operation.map(|i| &recording.operations[i]) {
        let ret = op.ret.map_or("never".to_string(), |t| t.to_string());
        let _ = write!(
            html,
            "<p>cannot be placed: <b>client {} {}</b>, called at t={}, returned {ret}</p>",
            op.client,
            escape(&op.text),
            op.call
        );
    }
    let _ = writeln!(
        html,
        "<p class=\"hint\">The timeline below opens on this evidence (marked red). \
         Wheel: zoom; drag: pan; hover: details. {} messages, {} state changes, {} client operations.</p></section>",
        recording.timeline.messages.len() as u64 + recording.timeline.messages_omitted,
        recording.timeline.states.len(),
        recording.operations.len()
    );
    html
}

const TIMELINE_HTML: &str = "<section id=\"timeline\">\
<div class=\"toolbar\"><button id=\"to-evidence\">evidence</button>\
<button id=\"whole\">whole run</button><button id=\"zoom-in\">+</button>\
<button id=\"zoom-out\">\u{2212}</button>\
<label><input type=\"checkbox\" id=\"all-messages\"> all messages</label>\
<span id=\"range\"></span></div>\
<div id=\"hover\">Hover over the timeline for details.</div>\
<div id=\"canvas-box\"><canvas id=\"canvas\"></canvas><div id=\"evidence-mark\"></div></div>\
<div id=\"legend\"></div></section>\n";

/// The text report (tails with message contents) and the files the run wrote.
fn details(report: &RunReport, replay: &ReplayPrefix) -> String {
    let mut html = String::from("<section id=\"report\">");
    let files: Vec<&(&str, PathBuf)> = report
        .artifacts
        .iter()
        .filter(|(_, path)| path.file_name().is_some_and(|n| n != PAGE_FILE))
        .collect();
    if !files.is_empty() {
        html.push_str("<p>Files of this run: ");
        for (what, path) in files {
            let name = path
                .file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into_owned());
            let _ = write!(html, "<a href=\"{}\">{}</a> ", escape(&name), escape(what));
        }
        html.push_str("</p>");
    }
    let _ = writeln!(
        html,
        "<details open><summary>Failure report (last events with message contents)</summary>\
         <pre>{}</pre></details></section>",
        escape(&failure_report(report, replay))
    );
    html
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::RunOptions;
    use crate::page_data::SELECTED_MESSAGES as SELECTED;
    use crate::recording::{ClientOp, OpMark, Recording};
    use protocol_core::{CheckId, NodeId, Time};
    use sim::timeline::{Mark, MarkKind, MessageFlight, Outcome};
    use sim::{NodeState, Timeline};

    const CHECK: CheckId = CheckId::new("two-leaders");

    /// A failed run of four nodes where n0 and n2 both lead, with messages among all of them
    /// and a note whose text would end a script element if it were not escaped.
    fn report(operations: Vec<ClientOp>) -> RunReport {
        let options = RunOptions::new("toy", 9).with_mutant("vote-twice");
        let mut report = RunReport::could_not_start(&options, CHECK, "n0 and n2 lead term 2");
        let failure = report.failure.as_mut().unwrap();
        failure.nodes = vec![NodeId(0), NodeId(2)];
        failure.time = Time(10_000);
        let mut timeline = Timeline::default();
        for i in 0..4 {
            timeline.set_state(Time(0), NodeId(i), Some(NodeState::numbered("follower", 1)));
        }
        for i in 0..200u64 {
            let (from, to) = (NodeId((i % 4) as u32), NodeId(((i + 1) % 4) as u32));
            timeline.messages.push_back(MessageFlight {
                from,
                to,
                kind: "Ping",
                sent: Time(i * 50),
                end: Time(i * 50 + 30),
                outcome: Outcome::Delivered,
            });
        }
        timeline.marks.push(Mark {
            time: Time(5),
            nodes: Vec::new(),
            kind: MarkKind::Note,
            text: "</script><b>".into(),
        });
        timeline.end = Time(10_000);
        report.recording = Some(Box::new(Recording {
            timeline,
            operations,
        }));
        report
    }

    fn data(html: &str) -> serde_json::Value {
        let start = html.find("id=\"data\">").expect("a data element") + "id=\"data\">".len();
        let end = start + html[start..].find("</script>").expect("its end");
        serde_json::from_str(&html[start..end]).expect("the data is JSON")
    }

    #[test]
    fn the_page_opens_on_the_violations_nodes_and_their_latest_messages() {
        let report = report(Vec::new());
        let html =
            render(&report, &ReplayPrefix::cargo_bin("toy")).expect("a failed, recorded run");
        assert!(html.contains(
            "cargo run --release --bin toy -- --seed 9 --scenario toy --mutant vote-twice"
        ));
        assert_eq!(
            html.matches("</script>").count(),
            2,
            "the note's text is escaped inside the data"
        );
        let data = data(&html);
        assert_eq!(data["evidence"]["nodes"], serde_json::json!([0, 2]));
        assert_eq!(data["marks"][0][3], "</script><b>", "and reads back whole");
        let messages = data["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 200);
        let selected: Vec<&serde_json::Value> = messages.iter().filter(|m| m[6] == 1).collect();
        assert_eq!(
            selected.len(),
            SELECTED,
            "the latest of the evidence's nodes"
        );
        for m in &selected {
            let (from, to) = (m[0].as_u64().unwrap(), m[1].as_u64().unwrap());
            assert!([0, 2].contains(&from) || [0, 2].contains(&to), "{m}");
        }
        let oldest_selected = selected[0][3].as_u64().unwrap();
        assert!(
            oldest_selected > 5_000,
            "the latest ones: {oldest_selected}"
        );
    }

    #[test]
    fn a_linearizability_failure_opens_on_the_operation_that_cannot_be_placed() {
        let op = |client, call, ret, mark| ClientOp {
            client,
            call: Time(call),
            ret: Some(Time(ret)),
            text: format!("get from {client}"),
            mark,
        };
        let operations = vec![
            op(1, 100, 900, OpMark::Linearized),
            op(3, 2_000, 2_600, OpMark::FirstUnplaced),
        ];
        let mut report = report(operations);
        report.failure.as_mut().unwrap().nodes.clear();
        let html = render(&report, &ReplayPrefix::cargo_bin("toy")).unwrap();
        let data = data(&html);
        assert_eq!(data["evidence"]["op"], 1);
        assert_eq!(data["evidence"]["from"], 2_000);
        assert_eq!(data["evidence"]["to"], 2_600);
        assert_eq!(
            data["evidence"]["nodes"],
            serde_json::json!([3]),
            "client 3 is node n3"
        );
        assert!(
            html.contains("cannot be placed: <b>client 3 get from 3</b>"),
            "{html}"
        );
        for m in data["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m[6] == 1)
        {
            let (sent, end) = (m[3].as_u64().unwrap(), m[4].as_u64().unwrap());
            assert!(
                sent <= 2_600 && end >= 2_000,
                "in flight while it was open: {m}"
            );
        }
    }

    #[test]
    fn no_page_without_a_failure_or_a_recording() {
        let mut report = report(Vec::new());
        report.recording = None;
        assert!(render(&report, &ReplayPrefix::cargo_bin("toy")).is_none());
        let mut report = self::report(Vec::new());
        report.failure = None;
        assert!(render(&report, &ReplayPrefix::cargo_bin("toy")).is_none());
    }
}
