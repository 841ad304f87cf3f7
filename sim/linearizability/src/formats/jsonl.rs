//! JSON lines, one event per line: `{"process":3,"type":"ok","f":"read","key":"k0","value":7}`.

use super::{shown, RawEvent, RawF, RawKind, RawValue};
use crate::history::History;
use crate::models::kv::{KvInput, KvOp, KvOutput};
use crate::models::register::{RegisterInput, RegisterOp, RegisterOutput};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{self, Write};

pub(crate) fn parse_line(line: &str) -> Result<RawEvent, String> {
    let value: Value = serde_json::from_str(line)
        .map_err(|e| format!("expected a JSON object, found invalid JSON ({e})"))?;
    let Value::Object(fields) = value else {
        return Err(format!(
            "expected a JSON object, found {}",
            shown(line.trim())
        ));
    };
    let name = |field: &str| fields.get(field).and_then(Value::as_str);
    let process = fields
        .get("process")
        .and_then(Value::as_u64)
        .ok_or_else(|| {
            format!(
                "expected \"process\": a number, found {}",
                found(fields.get("process"))
            )
        })?;
    let kind = name("type").and_then(RawKind::from_name).ok_or_else(|| {
        format!(
            "expected \"type\": \"invoke\", \"ok\", \"fail\" or \"info\", found {}",
            found(fields.get("type"))
        )
    })?;
    let f = name("f").and_then(RawF::from_name).ok_or_else(|| {
        format!(
            "expected \"f\": read, write, cas, get, put or append, found {}",
            found(fields.get("f"))
        )
    })?;
    let key = match fields.get("key") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(key)) => key.clone(),
        Some(Value::Number(key)) => key.to_string(),
        other => {
            return Err(format!(
                "expected \"key\": a string, found {}",
                found(other)
            ))
        }
    };
    let value = raw_value(fields.get("value"))?;
    Ok(RawEvent {
        line: 0,
        process,
        kind,
        f,
        key,
        value,
    })
}

fn raw_value(value: Option<&Value>) -> Result<RawValue, String> {
    let pair = |items: &[Value]| match items {
        [from, to] => Some(RawValue::Pair(from.as_i64()?, to.as_i64()?)),
        _ => None,
    };
    let raw = match value {
        None | Some(Value::Null) => Some(RawValue::Nil),
        Some(Value::Number(number)) => number.as_i64().map(RawValue::Int),
        Some(Value::String(text)) => Some(RawValue::Str(text.clone())),
        Some(Value::Array(items)) => pair(items),
        Some(Value::Bool(_) | Value::Object(_)) => None,
    };
    raw.ok_or_else(|| {
        format!(
            "expected \"value\": null, an integer, a string or [from, to], found {}",
            found(value)
        )
    })
}

fn found(value: Option<&Value>) -> String {
    value.map_or_else(|| String::from("none"), |value| shown(&value.to_string()))
}

/// An input type that has a JSON-lines form.
pub trait JsonLinesInput {
    type Output;
    /// `read`, `cas`, `get`...
    fn f(&self) -> &'static str;
    fn key(&self) -> &str;
    /// The invocation's `value`.
    fn call_value(&self) -> Value;
    /// The `ok` event's `value`, or `None` if the format cannot say it.
    fn return_value(&self, output: &Self::Output) -> Option<Value>;
}

impl JsonLinesInput for KvInput {
    type Output = KvOutput;
    fn f(&self) -> &'static str {
        match self.op {
            KvOp::Get => "get",
            KvOp::Put => "put",
            KvOp::Append => "append",
        }
    }
    fn key(&self) -> &str {
        &self.key
    }
    fn call_value(&self) -> Value {
        match self.op {
            KvOp::Get => Value::Null,
            KvOp::Put | KvOp::Append => json!(self.value),
        }
    }
    fn return_value(&self, output: &KvOutput) -> Option<Value> {
        Some(match self.op {
            KvOp::Get => json!(output.value),
            KvOp::Put | KvOp::Append => json!(self.value),
        })
    }
}

impl JsonLinesInput for RegisterInput {
    type Output = RegisterOutput;
    fn f(&self) -> &'static str {
        match self.op {
            RegisterOp::Read => "read",
            RegisterOp::Write(_) => "write",
            RegisterOp::Cas { .. } => "cas",
        }
    }
    fn key(&self) -> &str {
        &self.key
    }
    fn call_value(&self) -> Value {
        match self.op {
            RegisterOp::Read => Value::Null,
            RegisterOp::Write(value) => json!(value),
            RegisterOp::Cas { from, to } => json!([from, to]),
        }
    }
    fn return_value(&self, output: &RegisterOutput) -> Option<Value> {
        match output {
            RegisterOutput::Read(value) => Some(json!(value)),
            // A refused cas constrains the state, a `fail` line would not: no way to say it.
            RegisterOutput::Cas { ok: false } => None,
            RegisterOutput::Write | RegisterOutput::Cas { ok: true } => Some(self.call_value()),
        }
    }
}

/// Writes `history` as JSON lines that both this checker and `porcupine-bench` read. A refused
/// cas (`Cas { ok: false }`) has no such form: that is an `InvalidInput` error.
///
/// Events are ordered by time, calls before returns at equal times (they overlap). An open
/// operation ends with an `info` line at the very end. A client's operation that starts while
/// an earlier one of the same client is still outstanding (after an open one, say) gets a fresh
/// process number, as Jepsen does, so process numbers need not equal client numbers.
pub fn write_json_lines<I: JsonLinesInput>(
    history: &History<I, I::Output>,
    out: &mut impl Write,
) -> io::Result<()> {
    let ops = &history.operations;
    // (time, ends after calls, op index, is the call)
    let mut events: Vec<(u64, bool, usize, bool)> = Vec::with_capacity(ops.len() * 2);
    for (index, op) in ops.iter().enumerate() {
        events.push((op.call, false, index, true));
        events.push((op.ret.unwrap_or(u64::MAX), true, index, false));
    }
    events.sort_unstable();
    let processes = assign_processes(history, &events);
    for &(_, _, index, is_call) in &events {
        let op = &ops[index];
        let (kind, value) = match (is_call, op.ret, &op.output) {
            (true, _, _) => ("invoke", op.input.call_value()),
            (false, None, _) => ("info", Value::Null),
            (false, Some(_), None) => ("fail", op.input.call_value()),
            (false, Some(_), Some(output)) => {
                let value = op.input.return_value(output).ok_or_else(|| {
                    let what =
                        format!("operation {index}: {} has no JSON-lines form", op.input.f());
                    io::Error::new(io::ErrorKind::InvalidInput, what)
                })?;
                ("ok", value)
            }
        };
        let line = json!({
            "process": processes[index], "type": kind, "f": op.input.f(),
            "key": op.input.key(), "value": value,
        });
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// A process number per operation: its client's, unless that process is still busy.
fn assign_processes<I, O>(
    history: &History<I, O>,
    events: &[(u64, bool, usize, bool)],
) -> Vec<u64> {
    let ops = &history.operations;
    let mut fresh = ops.iter().map(|op| op.client + 1).max().unwrap_or(0);
    let mut process_of_client: BTreeMap<u64, u64> = BTreeMap::new();
    let mut busy: BTreeMap<u64, bool> = BTreeMap::new();
    let mut processes = vec![0; ops.len()];
    for &(_, _, index, is_call) in events {
        let client = ops[index].client;
        if !is_call {
            busy.insert(processes[index], false);
            continue;
        }
        let mut process = *process_of_client.entry(client).or_insert(client);
        if busy.get(&process).copied().unwrap_or(false) {
            process = fresh;
            fresh += 1;
            process_of_client.insert(client, process);
        }
        busy.insert(process, true);
        processes[index] = process;
    }
    processes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{parse, ParsedHistory};
    use crate::history::Operation;

    fn op(
        client: u64,
        call: u64,
        ret: Option<u64>,
        op: KvOp,
        value: &str,
    ) -> Operation<KvInput, KvOutput> {
        let input = KvInput {
            op,
            key: "k".into(),
            value: if op == KvOp::Get {
                String::new()
            } else {
                value.into()
            },
        };
        let output = ret.map(|_| KvOutput {
            value: if op == KvOp::Get {
                value.into()
            } else {
                String::new()
            },
        });
        Operation {
            client,
            call,
            ret,
            input,
            output,
        }
    }

    #[test]
    fn writes_what_parses_back_with_fresh_processes_after_open_operations() {
        let history = History::new(vec![
            op(1, 0, None, KvOp::Put, "a"),
            op(2, 1, Some(3), KvOp::Append, "b"),
            op(1, 5, Some(6), KvOp::Get, "ab"),
        ]);
        let mut text = Vec::new();
        write_json_lines(&history, &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert_eq!(text.lines().count(), 6);
        assert!(text.lines().last().unwrap().contains("\"info\""), "{text}");
        let ParsedHistory::Kv {
            history: parsed,
            call_lines,
        } = parse(&text).unwrap()
        else {
            panic!("a kv history parses as kv");
        };
        assert_eq!(call_lines, vec![1, 2, 4]);
        let clients: Vec<u64> = parsed.operations.iter().map(|op| op.client).collect();
        assert_eq!(
            clients,
            vec![1, 2, 3],
            "client 1 continues as process 3 after its open put"
        );
        let inputs: Vec<_> = parsed
            .operations
            .iter()
            .map(|op| (&op.input, &op.output))
            .collect();
        let expected: Vec<_> = history
            .operations
            .iter()
            .map(|op| (&op.input, &op.output))
            .collect();
        assert_eq!(inputs, expected);
    }

    #[test]
    fn says_what_was_expected_and_found() {
        let message =
            parse_line(r#"{"process":1,"type":"okk","f":"read","value":null}"#).unwrap_err();
        assert_eq!(
            message,
            "expected \"type\": \"invoke\", \"ok\", \"fail\" or \"info\", found `\"okk\"`"
        );
        let message =
            parse_line(r#"{"process":1,"type":"ok","f":"read","value":true}"#).unwrap_err();
        assert!(message.starts_with("expected \"value\""), "{message}");
        assert!(parse_line("{\"process\":")
            .unwrap_err()
            .starts_with("expected a JSON object"));
    }
}
