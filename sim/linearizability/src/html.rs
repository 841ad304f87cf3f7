//! A self-contained HTML view of checked histories, in the spirit of Porcupine's visualiser:
//! per partition, one lane per client, each operation a bar from call to return labelled with
//! its input and output; the linearization (or the longest linearizable prefix) numbered on the
//! bars; the first operation that cannot be placed highlighted, with why when the model's
//! decision says (and whether the search for a longer prefix stopped early); hover for details.
//! No scripts, styles or fonts are fetched: everything is inline.

use crate::check::{CheckResult, PartitionResult, PartitionVerdict, PrefixSearch, Verdict};
use crate::explanation::name_operation;
use crate::history::{History, Operation};
use crate::model::Model;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// Pixels between two consecutive distinct event times, and per lane.
const STEP_PX: usize = 56;
const LANE_PX: usize = 30;

/// One history as a whole page.
pub fn render<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    result: &CheckResult,
    title: &str,
) -> String {
    page(title, &[render_section(model, history, result, &[], title)])
}

/// A page holding the sections of several histories.
pub fn page(title: &str, sections: &[String]) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n\
         <div id=\"details\">Hover over an operation for details.</div>\n",
        escape(title)
    );
    for section in sections {
        html.push_str(section);
    }
    let _ = writeln!(html, "<script>{SCRIPT}</script>\n</body></html>");
    html
}

/// One history: its verdict and each partition's lanes. `call_lines[i]`, if given, is the file
/// line that invoked operation `i`.
pub fn render_section<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    result: &CheckResult,
    call_lines: &[usize],
    title: &str,
) -> String {
    let verdict = match &result.verdict {
        Verdict::Linearizable => String::from("linearizable"),
        Verdict::NotLinearizable => String::from("not linearizable"),
        Verdict::Unknown { reason } => format!("unknown: {reason}"),
    };
    let mut html = String::new();
    let _ = writeln!(
        html,
        "<section class=\"history\"><h1>{}</h1><p class=\"verdict {}\">{} \
         ({} operations, {} partitions)</p>",
        escape(title),
        verdict_class(&result.verdict),
        escape(&verdict),
        history.operations.len(),
        result.partitions.len()
    );
    let failing: Vec<&PartitionResult> = result.failures().collect();
    if !failing.is_empty() {
        html.push_str("<p class=\"jump\">Not linearizable: ");
        for partition in failing {
            let anchor = anchor(title, &partition.label);
            let _ = write!(
                html,
                "<a href=\"#{anchor}\">{}</a> ",
                escape(&partition.label)
            );
        }
        html.push_str("</p>\n");
    }
    for partition in &result.partitions {
        let anchor = anchor(title, &partition.label);
        let _ = write!(html, "<div id=\"{anchor}\">");
        html.push_str(&render_partition(model, history, partition, call_lines));
        html.push_str("</div>\n");
    }
    html.push_str("</section>\n");
    html
}

/// An element id for a partition: letters and digits of the title and label.
fn anchor(title: &str, label: &str) -> String {
    let id: String = format!("{title}-{label}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("p-{id}")
}

fn verdict_class(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Linearizable => "ok",
        Verdict::NotLinearizable => "bad",
        Verdict::Unknown { .. } => "unknown",
    }
}

fn render_partition<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    partition: &PartitionResult,
    call_lines: &[usize],
) -> String {
    let ops = &history.operations;
    let stopped = match &partition.prefix {
        PrefixSearch::Complete => String::new(),
        PrefixSearch::StoppedEarly { reason } => {
            format!(" found (the search for a longer one stopped early: {reason})")
        }
    };
    let (status, class) = match &partition.verdict {
        PartitionVerdict::Linearizable => (String::from("linearizable"), "ok"),
        PartitionVerdict::NotLinearizable => (
            format!(
                "not linearizable: longest linearizable prefix {} of {}{stopped}",
                partition.order.len(),
                partition.ops.len()
            ),
            "bad",
        ),
        PartitionVerdict::Unknown { reason } => (format!("unknown: {reason}"), "unknown"),
    };
    let timeline = Timeline::new(partition.ops.iter().map(|&i| &ops[i]));
    let lanes: BTreeSet<u64> = partition.ops.iter().map(|&i| ops[i].client).collect();
    let lane_of: BTreeMap<u64, usize> = lanes
        .iter()
        .enumerate()
        .map(|(lane, &c)| (c, lane))
        .collect();
    let position: BTreeMap<usize, usize> = partition
        .order
        .iter()
        .enumerate()
        .map(|(p, &i)| (i, p + 1))
        .collect();
    let states = states_after(model, history, &partition.order);
    let mut html = String::new();
    let _ = writeln!(
        html,
        "<div class=\"partition {class}\"><h2>{} <span class=\"status\">{}</span></h2>\n\
         <div class=\"lanes\" style=\"height:{}px;width:{}px\">",
        escape(&partition.label),
        escape(&status),
        lanes.len() * LANE_PX,
        timeline.end_px() + 200
    );
    for (&client, &lane) in &lane_of {
        let top = lane * LANE_PX;
        let _ = writeln!(
            html,
            "<div class=\"lane-label\" style=\"top:{top}px\">client {client}</div>"
        );
    }
    for &index in &partition.ops {
        let bar = Bar {
            index,
            lane: lane_of[&ops[index].client],
            position: position.get(&index).copied(),
            unplaced_rank: partition.unplaced.iter().position(|&u| u == index),
            line: call_lines.get(index).copied(),
            description: model.describe_operation(&ops[index].input, ops[index].output.as_ref()),
            state_after: states.get(&index).cloned(),
        };
        html.push_str(&bar.render(&ops[index], &timeline));
    }
    html.push_str("</div>\n");
    if let Some(why) = &partition.why {
        let name = |i: usize| name_operation(model, history, call_lines, i);
        let _ = writeln!(
            html,
            "<p class=\"why\">Why: {}</p>",
            escape(&why.render(name))
        );
    }
    html.push_str(&render_order(model, history, partition, &states));
    html.push_str("</div>\n");
    html
}

/// The model's state after each operation of `order`, described.
fn states_after<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    order: &[usize],
) -> BTreeMap<usize, String> {
    let mut state = model.init();
    let mut states = BTreeMap::new();
    for &index in order {
        let op = &history.operations[index];
        let next = model.step(&state, &op.input, op.output.as_ref());
        state = next.expect("the checker's order replays through the model");
        states.insert(index, model.describe_state(&state));
    }
    states
}

/// The linearization (or prefix) as a numbered list, then what could not be placed.
fn render_order<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    partition: &PartitionResult,
    states: &BTreeMap<usize, String>,
) -> String {
    let describe = |index: usize| {
        let op = &history.operations[index];
        escape(&model.describe_operation(&op.input, op.output.as_ref()))
    };
    let mut html =
        String::from("<details class=\"order\"><summary>Linearization order</summary><ol>");
    for &index in &partition.order {
        let state = escape(&states[&index]);
        let _ = write!(
            html,
            "<li>{} <span class=\"state\">→ {state}</span></li>",
            describe(index)
        );
    }
    html.push_str("</ol></details>\n");
    if let Some((&first, rest)) = partition.unplaced.split_first() {
        let _ = write!(
            html,
            "<p class=\"unplaced-list\">Cannot be placed next: <b>{}</b>",
            describe(first)
        );
        for &index in rest {
            let _ = write!(html, "; {}", describe(index));
        }
        html.push_str("</p>\n");
    }
    html
}

/// Distinct event times in order: x positions are ranks, so long quiet gaps take no room.
struct Timeline {
    times: Vec<u64>,
}

impl Timeline {
    fn new<'a, I: 'a, O: 'a>(ops: impl Iterator<Item = &'a Operation<I, O>>) -> Timeline {
        let mut times = BTreeSet::new();
        for op in ops {
            times.insert(op.call);
            times.extend(op.ret);
        }
        Timeline {
            times: times.into_iter().collect(),
        }
    }

    fn x_px(&self, time: u64) -> usize {
        let rank = self.times.partition_point(|&t| t < time);
        80 + rank * STEP_PX
    }

    /// Where open operations end: past the last event.
    fn end_px(&self) -> usize {
        80 + (self.times.len() + 2) * STEP_PX
    }
}

/// One operation's bar.
struct Bar {
    index: usize,
    lane: usize,
    position: Option<usize>,
    unplaced_rank: Option<usize>,
    line: Option<usize>,
    description: String,
    state_after: Option<String>,
}

impl Bar {
    fn render<I, O>(&self, op: &Operation<I, O>, timeline: &Timeline) -> String {
        let left = timeline.x_px(op.call);
        let right = op.ret.map_or(timeline.end_px(), |ret| timeline.x_px(ret));
        let width = right.saturating_sub(left).max(STEP_PX / 2);
        let ending = if op.is_open() {
            "open"
        } else if op.is_failed() {
            "failed"
        } else {
            "returned"
        };
        let placement = match (self.position, self.unplaced_rank) {
            (Some(_), _) => " linearized",
            (None, Some(0)) => " first-unplaced",
            (None, Some(_)) => " unplaced",
            (None, None) => "",
        };
        let badge = self
            .position
            .map_or(String::new(), |p| format!("<b>{p}</b> "));
        let ret = op
            .ret
            .map_or(String::from("never (outcome unknown)"), |ret| {
                ret.to_string()
            });
        let note = if op.is_failed() {
            " (failed: no effect)"
        } else {
            ""
        };
        let text = escape(&format!("{}{note}", self.description));
        format!(
            "<div class=\"op {ending}{placement}\" style=\"left:{left}px;width:{width}px;top:{}px\" \
             data-op=\"{}\" data-client=\"{}\" data-call=\"{}\" data-ret=\"{}\" data-line=\"{}\" \
             data-position=\"{}\" data-state=\"{}\" data-desc=\"{text}\" title=\"{text}\">{badge}{text}</div>\n",
            self.lane * LANE_PX + 3,
            self.index,
            op.client,
            op.call,
            escape(&ret),
            self.line.map_or(String::from("-"), |line| line.to_string()),
            self.position.map_or(String::from("-"), |p| p.to_string()),
            escape(self.state_after.as_deref().unwrap_or("-")),
        )
    }
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

const STYLE: &str = "
body{font:13px system-ui,sans-serif;margin:16px;color:#222;background:#fafafa}
h1{font-size:18px;margin:24px 0 4px} h2{font-size:14px;margin:12px 0 6px}
.verdict.ok,.partition.ok .status{color:#1a7f37} .verdict.bad,.partition.bad .status{color:#c62828}
.verdict.unknown,.partition.unknown .status{color:#b26a00} .status{font-weight:normal}
.partition{border-top:2px solid #ccc;padding:4px 0 10px;margin-top:10px}
.lanes{position:relative;overflow:visible;margin:4px 0;background:repeating-linear-gradient(#fff 0 30px,#f0f0f0 30px 60px)}
.lane-label{position:absolute;left:4px;height:30px;line-height:30px;color:#666;font-size:11px}
.op{position:absolute;height:22px;line-height:22px;font-size:11px;white-space:nowrap;overflow:hidden;
 text-overflow:ellipsis;border-radius:3px;padding:0 3px;box-sizing:border-box;cursor:default;
 background:#dde3ea;border:1px solid #98a6b5}
.op.linearized{background:#c8e6c9;border-color:#4caf50}
.op.unplaced{background:#ffe0b2;border-color:#fb8c00}
.op.first-unplaced{background:#ef5350;border:2px solid #b71c1c;color:#fff;font-weight:bold}
.op.open{border-style:dashed;background-image:linear-gradient(90deg,transparent 60%,#fafafa)}
.op.failed{opacity:.45;text-decoration:line-through}
.op:hover,.op.hover{outline:2px solid #1565c0;z-index:2;overflow:visible}
#details{position:sticky;top:0;z-index:5;background:#263238;color:#eceff1;padding:6px 10px;border-radius:4px;
 font-family:ui-monospace,monospace;white-space:pre-wrap;min-height:2.6em}
.order li{font-family:ui-monospace,monospace;font-size:12px} .state{color:#666}
.unplaced-list{color:#c62828} .why{color:#c62828;font-weight:bold} .jump a{color:#c62828;margin-right:8px}
";

const SCRIPT: &str = "
(function(){
  var details=document.getElementById('details');
  document.querySelectorAll('.op').forEach(function(el){
    el.addEventListener('mouseenter',function(){
      var d=el.dataset;
      details.textContent=d.desc+'\\nclient '+d.client+'  call '+d.call+'  return '+d.ret+
        '  file line '+d.line+'\\nlinearization position '+d.position+'  state after '+d.state;
      el.classList.add('hover');
    });
    el.addEventListener('mouseleave',function(){el.classList.remove('hover');});
  });
  // Open on the operation that cannot be placed: lanes are wider than any window.
  var stuck=document.querySelector('.op.first-unplaced');
  if(stuck){stuck.scrollIntoView({block:'center',inline:'center'});}
  if(stuck){var r=stuck.getBoundingClientRect();document.body.setAttribute('data-stuck-in-view',
    r.left>=0&&r.top>=0&&r.right<=innerWidth&&r.bottom<=innerHeight?'yes':'no');}
  // For tools/scripts/check-html-view.sh: hover the first marked operation as a person would.
  if(location.hash==='#selftest'){
    var target=document.querySelector('.op.first-unplaced')||document.querySelector('.op');
    if(target){target.dispatchEvent(new MouseEvent('mouseenter'));}
    document.body.setAttribute('data-hovered',details.textContent);
  }
  document.body.setAttribute('data-ready','yes');
})();
";
