//! Operations as the clients saw them, written as the JSON lines `sim check` reads.
//!
//! Times are nanoseconds on the monotonic clock since the load started, taken before the
//! request leaves (call) and after the answer arrived (return), so each recorded interval
//! holds the real one: ordering lines by these times can only add overlap, never remove it,
//! and so never makes a linearizable history look otherwise. Each line carries its `time`
//! (the checker ignores it; a reader of the file may not). An operation still open when the
//! load stopped ends with an `info` line at the very end: its outcome is unknown.

use kvraft::Op;
use serde_json::{json, Value};
use std::io::{self, Write};

/// One clerk operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The clerk that ran it; a clerk runs one operation at a time.
    pub process: u64,
    pub op: Op,
    pub call_ns: u64,
    pub ret: Option<Return>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Return {
    pub at_ns: u64,
    /// What a Get read; empty for Put and Append.
    pub value: String,
}

/// Counts for the run's summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub gets: usize,
    pub puts: usize,
    pub appends: usize,
    pub ok: usize,
    pub open: usize,
}

impl Tally {
    pub fn of(records: &[Record]) -> Tally {
        let mut tally = Tally::default();
        for record in records {
            match record.op {
                Op::Get { .. } => tally.gets += 1,
                Op::Put { .. } => tally.puts += 1,
                Op::Append { .. } => tally.appends += 1,
            }
            match record.ret {
                Some(_) => tally.ok += 1,
                None => tally.open += 1,
            }
        }
        tally
    }

    pub fn total(&self) -> usize {
        self.ok + self.open
    }
}

/// Writes every call and return in time order (calls first at equal times: they overlap),
/// then an `info` line for each operation still open, stamped `end_ns`.
pub fn write_json_lines(records: &[Record], end_ns: u64, out: &mut impl Write) -> io::Result<()> {
    // (time, is a return, record index)
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(records.len() * 2);
    for (index, record) in records.iter().enumerate() {
        assert!(
            record
                .ret
                .as_ref()
                .is_none_or(|r| r.at_ns >= record.call_ns),
            "operation {index} returned before its call"
        );
        events.push((record.call_ns, false, index));
        if let Some(ret) = &record.ret {
            events.push((ret.at_ns, true, index));
        }
    }
    events.sort_unstable();
    for &(time, is_return, index) in &events {
        let record = &records[index];
        let line = match (&record.ret, is_return) {
            (Some(ret), true) => event(record, "ok", ok_value(&record.op, &ret.value), time),
            _ => event(record, "invoke", call_value(&record.op), time),
        };
        writeln!(out, "{line}")?;
    }
    for record in records.iter().filter(|r| r.ret.is_none()) {
        writeln!(out, "{}", event(record, "info", Value::Null, end_ns))?;
    }
    Ok(())
}

fn event(record: &Record, kind: &str, value: Value, time: u64) -> Value {
    let f = match record.op {
        Op::Get { .. } => "get",
        Op::Put { .. } => "put",
        Op::Append { .. } => "append",
    };
    json!({
        "process": record.process, "type": kind, "f": f, "key": record.op.key(),
        "value": value, "time": time,
    })
}

fn call_value(op: &Op) -> Value {
    match op {
        Op::Get { .. } => Value::Null,
        Op::Put { value, .. } | Op::Append { value, .. } => json!(value),
    }
}

fn ok_value(op: &Op, read: &str) -> Value {
    match op {
        Op::Get { .. } => json!(read),
        Op::Put { .. } | Op::Append { .. } => call_value(op),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(process: u64, op: Op, call_ns: u64, ret: Option<(u64, &str)>) -> Record {
        Record {
            process,
            op,
            call_ns,
            ret: ret.map(|(at_ns, value)| Return {
                at_ns,
                value: value.into(),
            }),
        }
    }

    #[test]
    fn lines_are_in_time_order_with_open_operations_last() {
        let put = Op::Put {
            key: "k".into(),
            value: "x 0 1 y".into(),
        };
        let get = Op::Get { key: "k".into() };
        let records = vec![
            record(0, put.clone(), 10, Some((40, ""))),
            record(1, get.clone(), 40, Some((50, "x 0 1 y"))),
            record(2, put, 5, None),
        ];
        let mut out = Vec::new();
        write_json_lines(&records, 99, &mut out).unwrap();
        let lines: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let shape: Vec<(u64, &str, u64)> = lines
            .iter()
            .map(|l| {
                let process = l["process"].as_u64().unwrap();
                (
                    process,
                    l["type"].as_str().unwrap(),
                    l["time"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (2, "invoke", 5),
                (0, "invoke", 10),
                (1, "invoke", 40), // a call at a return's time is written first: they overlap
                (0, "ok", 40),
                (1, "ok", 50),
                (2, "info", 99),
            ]
        );
        assert_eq!(lines[4]["value"], "x 0 1 y");
        assert_eq!(lines[2]["value"], Value::Null);
        let tally = Tally::of(&records);
        assert_eq!((tally.ok, tally.open, tally.gets, tally.puts), (2, 1, 1, 2));
    }
}
