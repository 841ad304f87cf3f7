//! The parallelism probes, redesigned Sans-IO.
//!
//! The course's `mtiming` and `rtiming` create a file per pid, count the live ones and sleep
//! 1 s. Ours record the virtual span each call occupied on its worker (`n3 1000 2000`: worker,
//! start ms, end ms); the worker holds its results back for the call's declared duration, so a
//! recorded span lies inside the time the task really took. Overlapping spans of different
//! workers prove that tasks ran in parallel.

use super::{App, CallContext, KeyValue};
use std::fmt;
use std::str::FromStr;

/// How long one probe call lasts: the course sleeps 1 s.
const PROBE_MS: u64 = 1_000;

/// The virtual time one call occupied on one worker, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub worker: u32,
    pub start_ms: u64,
    pub end_ms: u64,
}

impl Span {
    fn of_call(ctx: &CallContext, duration_ms: u64) -> Span {
        let start_ms = ctx.now.as_ms();
        Span {
            worker: ctx.worker.0,
            start_ms,
            end_ms: start_ms + duration_ms,
        }
    }

    fn overlaps(&self, other: &Span) -> bool {
        self.start_ms < other.end_ms && other.start_ms < self.end_ms
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{} {} {}", self.worker, self.start_ms, self.end_ms)
    }
}

impl FromStr for Span {
    type Err = String;

    fn from_str(text: &str) -> Result<Span, String> {
        let mut fields = text.split_whitespace();
        let mut next = |what: &str| fields.next().ok_or(format!("{text:?}: no {what}"));
        let worker = next("worker")?;
        let worker = worker
            .strip_prefix('n')
            .and_then(|id| id.parse().ok())
            .ok_or(format!("{text:?}: bad worker"))?;
        let start_ms = next("start")?
            .parse()
            .map_err(|_| format!("{text:?}: bad start"))?;
        let end_ms = next("end")?
            .parse()
            .map_err(|_| format!("{text:?}: bad end"))?;
        Ok(Span {
            worker,
            start_ms,
            end_ms,
        })
    }
}

/// The most distinct workers whose spans all contain one instant.
pub fn max_parallel_workers(spans: &[Span]) -> usize {
    // Some span start is always a point of maximal overlap.
    let count_at = |instant: u64| {
        let mut workers: Vec<u32> = spans
            .iter()
            .filter(|span| span.start_ms <= instant && instant < span.end_ms)
            .map(|span| span.worker)
            .collect();
        workers.sort_unstable();
        workers.dedup();
        workers.len()
    };
    spans
        .iter()
        .map(|span| count_at(span.start_ms))
        .max()
        .unwrap_or(0)
}

/// `mtiming`: each map records ("times-nW", start ms) and ("parallel", its span); the reduce
/// of "parallel" outputs the most workers seen mapping at once (the course checks for 2).
pub struct MTiming;

impl App for MTiming {
    fn map(&self, ctx: &CallContext, _file: &str, _contents: &[u8]) -> Vec<KeyValue> {
        let span = Span::of_call(ctx, PROBE_MS);
        vec![
            KeyValue::new(
                format!("times-n{}", ctx.worker.0),
                span.start_ms.to_string(),
            ),
            KeyValue::new("parallel", span.to_string()),
        ]
    }

    fn map_ms(&self, _ctx: &CallContext, _file: &str) -> u64 {
        PROBE_MS
    }

    fn reduce(&self, _ctx: &CallContext, key: &str, values: &[String]) -> String {
        if key == "parallel" {
            // Values are our own map's output; an unparsable one is simply not counted.
            let spans: Vec<Span> = values.iter().filter_map(|v| v.parse().ok()).collect();
            return max_parallel_workers(&spans).to_string();
        }
        let mut sorted = values.to_vec();
        sorted.sort();
        sorted.join(" ")
    }
}

/// `rtiming`: maps emit the keys a..j; each reduce call lasts 1 s and outputs its span, so
/// the output line is `a n3 1000 2000`.
pub struct RTiming;

impl App for RTiming {
    fn map(&self, _ctx: &CallContext, _file: &str, _contents: &[u8]) -> Vec<KeyValue> {
        "abcdefghij"
            .chars()
            .map(|key| KeyValue::new(key.to_string(), "1"))
            .collect()
    }

    fn reduce(&self, ctx: &CallContext, _key: &str, _values: &[String]) -> String {
        Span::of_call(ctx, PROBE_MS).to_string()
    }

    fn reduce_ms(&self, _ctx: &CallContext, _key: &str) -> u64 {
        PROBE_MS
    }
}

/// How many `rtiming` output lines overlap a line from another worker (the course wants
/// at least 2). Lines that are not `key span` are skipped.
pub fn rtiming_parallel_lines(output: &str) -> usize {
    let spans: Vec<Span> = output
        .lines()
        .filter_map(|line| line.split_once(' '))
        .filter_map(|(_, span)| span.parse().ok())
        .collect();
    spans
        .iter()
        .filter(|a| spans.iter().any(|b| a.worker != b.worker && a.overlaps(b)))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::ctx;

    fn span(worker: u32, start_ms: u64) -> Span {
        Span {
            worker,
            start_ms,
            end_ms: start_ms + 1_000,
        }
    }

    #[test]
    fn spans_round_trip_through_text() {
        let s = span(3, 1_500);
        assert_eq!(s.to_string().parse::<Span>(), Ok(s));
        assert!("x 1 2".parse::<Span>().is_err());
    }

    #[test]
    fn overlap_counts_distinct_workers_only() {
        // One worker back to back is not parallel; two workers half overlapping are.
        assert_eq!(max_parallel_workers(&[span(1, 0), span(1, 1_000)]), 1);
        assert_eq!(max_parallel_workers(&[span(1, 0), span(1, 500)]), 1);
        assert_eq!(max_parallel_workers(&[span(1, 0), span(2, 500)]), 2);
        assert_eq!(max_parallel_workers(&[]), 0);
    }

    #[test]
    fn mtiming_reduce_reports_parallel_maps() {
        let a = MTiming.map(&ctx(1, 0), "f", b"");
        let b = MTiming.map(&ctx(2, 400), "g", b"");
        let values = vec![a[1].value.clone(), b[1].value.clone()];
        assert_eq!(MTiming.reduce(&ctx(1, 0), "parallel", &values), "2");
        assert_eq!(a[0].key, "times-n1");
    }

    #[test]
    fn rtiming_lines_overlap_only_across_workers() {
        let line = |key: &str, worker, start| {
            format!("{key} {}\n", RTiming.reduce(&ctx(worker, start), key, &[]))
        };
        let serial = line("a", 1, 0) + &line("b", 1, 1_000) + &line("c", 2, 2_000);
        assert_eq!(rtiming_parallel_lines(&serial), 0);
        let parallel = line("a", 1, 0) + &line("b", 2, 500) + &line("c", 2, 5_000);
        assert_eq!(rtiming_parallel_lines(&parallel), 2);
    }
}
