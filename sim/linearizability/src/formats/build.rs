//! Raw events to a typed history: pairing each end with its process's invocation.

use super::{ParseError, RawEvent, RawF, RawKind, RawValue};
use crate::history::{Event, EventKind, History};
use crate::models::kv::{KvInput, KvOp, KvOutput};
use crate::models::register::{RegisterInput, RegisterOp, RegisterOutput};
use std::collections::BTreeMap;

/// A parsed history file, typed by the kind of operations it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParsedHistory {
    /// No events at all: linearizable under any model.
    Empty,
    /// get, put and append. `call_lines[i]` is the line that invoked operation `i`.
    Kv {
        history: History<KvInput, KvOutput>,
        call_lines: Vec<usize>,
    },
    /// read, write and cas.
    Register {
        history: History<RegisterInput, RegisterOutput>,
        call_lines: Vec<usize>,
    },
}

impl ParsedHistory {
    pub(crate) fn empty() -> ParsedHistory {
        ParsedHistory::Empty
    }
}

pub(crate) fn build(events: Vec<RawEvent>) -> Result<ParsedHistory, ParseError> {
    let Some(first) = events.first() else {
        return Ok(ParsedHistory::Empty);
    };
    let kv = first.f.is_kv();
    for event in &events {
        if event.f.is_kv() != kv {
            let expected = if kv {
                ":get, :put or :append"
            } else {
                ":read, :write or :cas"
            };
            return Err(error(
                event,
                format!(
                    "expected {expected} like line {}, found :{}",
                    first.line,
                    event.f.name()
                ),
            ));
        }
    }
    check_pairing(&events)?;
    let call_lines = events
        .iter()
        .filter(|e| e.kind == RawKind::Invoke)
        .map(|e| e.line)
        .collect();
    if kv {
        let typed = type_events(&events, kv_input, kv_output)?;
        Ok(ParsedHistory::Kv {
            history: into_history(typed),
            call_lines,
        })
    } else {
        let typed = type_events(&events, register_input, register_output)?;
        Ok(ParsedHistory::Register {
            history: into_history(typed),
            call_lines,
        })
    }
}

fn into_history<I, O>(events: Vec<Event<I, O>>) -> History<I, O> {
    History::from_events(events).expect("check_pairing accepted these events")
}

/// Each process has at most one operation outstanding, and each end names the invoked `f`.
fn check_pairing(events: &[RawEvent]) -> Result<(), ParseError> {
    let mut outstanding: BTreeMap<u64, &RawEvent> = BTreeMap::new();
    for event in events {
        let process = event.process;
        if event.kind == RawKind::Invoke {
            if let Some(call) = outstanding.insert(process, event) {
                let message = format!(
                    "expected an end of process {process}'s :{} of line {} before its next :invoke, found :invoke",
                    call.f.name(),
                    call.line
                );
                return Err(error(event, message));
            }
            continue;
        }
        let Some(call) = outstanding.remove(&process) else {
            let message =
                format!("expected an :invoke of process {process} before this end, found none");
            return Err(error(event, message));
        };
        if call.f != event.f {
            let message = format!(
                "expected :{} to end process {process}'s invocation of line {}, found :{}",
                call.f.name(),
                call.line,
                event.f.name()
            );
            return Err(error(event, message));
        }
    }
    Ok(())
}

fn type_events<I, O>(
    events: &[RawEvent],
    input: fn(&RawEvent) -> Result<I, String>,
    output: fn(&RawEvent) -> Result<O, String>,
) -> Result<Vec<Event<I, O>>, ParseError> {
    let mut typed = Vec::with_capacity(events.len());
    for event in events {
        let kind = match event.kind {
            RawKind::Invoke => EventKind::Call(input(event).map_err(|m| error(event, m))?),
            RawKind::Ok => EventKind::Return(output(event).map_err(|m| error(event, m))?),
            RawKind::Fail => EventKind::Fail,
            RawKind::Info => EventKind::Unknown,
        };
        typed.push(Event {
            client: event.process,
            kind,
        });
    }
    Ok(typed)
}

fn kv_input(event: &RawEvent) -> Result<KvInput, String> {
    let (op, value) = match event.f {
        RawF::Get => (KvOp::Get, String::new()),
        RawF::Put => (KvOp::Put, string_value(event)?),
        RawF::Append => (KvOp::Append, string_value(event)?),
        RawF::Read | RawF::Write | RawF::Cas => unreachable!("families checked in build"),
    };
    Ok(KvInput {
        op,
        key: event.key.clone(),
        value,
    })
}

fn kv_output(event: &RawEvent) -> Result<KvOutput, String> {
    let value = match event.f {
        RawF::Get => string_value(event)?,
        RawF::Put | RawF::Append => String::new(),
        RawF::Read | RawF::Write | RawF::Cas => unreachable!("families checked in build"),
    };
    Ok(KvOutput { value })
}

fn register_input(event: &RawEvent) -> Result<RegisterInput, String> {
    let op = match (event.f, &event.value) {
        (RawF::Read, _) => RegisterOp::Read,
        (RawF::Write, RawValue::Int(value)) => RegisterOp::Write(*value),
        (RawF::Cas, RawValue::Pair(from, to)) => RegisterOp::Cas {
            from: *from,
            to: *to,
        },
        (RawF::Write, value) => {
            return Err(format!(
                "expected an integer to write, found {}",
                value.describe()
            ))
        }
        (RawF::Cas, value) => {
            return Err(format!(
                "expected [from to] for a cas, found {}",
                value.describe()
            ))
        }
        (RawF::Get | RawF::Put | RawF::Append, _) => unreachable!("families checked in build"),
    };
    Ok(RegisterInput {
        key: event.key.clone(),
        op,
    })
}

fn register_output(event: &RawEvent) -> Result<RegisterOutput, String> {
    match (event.f, &event.value) {
        (RawF::Read, RawValue::Nil) => Ok(RegisterOutput::Read(None)),
        (RawF::Read, RawValue::Int(value)) => Ok(RegisterOutput::Read(Some(*value))),
        (RawF::Read, value) => Err(format!(
            "expected the integer read or nil, found {}",
            value.describe()
        )),
        (RawF::Write, _) => Ok(RegisterOutput::Write),
        (RawF::Cas, _) => Ok(RegisterOutput::Cas { ok: true }),
        (RawF::Get | RawF::Put | RawF::Append, _) => unreachable!("families checked in build"),
    }
}

fn string_value(event: &RawEvent) -> Result<String, String> {
    match &event.value {
        RawValue::Str(value) => Ok(value.clone()),
        value => Err(format!(
            "expected a string value for :{}, found {}",
            event.f.name(),
            value.describe()
        )),
    }
}

fn error(event: &RawEvent, message: String) -> ParseError {
    ParseError {
        line: event.line,
        message,
    }
}
