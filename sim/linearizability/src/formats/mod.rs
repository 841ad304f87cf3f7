//! History files: three formats read, one written.
//!
//! - Jepsen etcd logs (`INFO  jepsen.util - 3\t:ok\t:read\t0`): a single register with
//!   read, write and compare-and-set.
//! - EDN lines (`{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}`): a
//!   key/value store with get, put and append.
//! - JSON lines, our own format and the one `porcupine-bench` reads, one event per line:
//!   `{"process":3,"type":"invoke","f":"cas","key":"k0","value":[1,2]}`. `type` is `invoke`,
//!   `ok`, `fail` (ended without effect) or `info` (outcome unknown: the operation stays open and
//!   its process is not used again). `f` is `read`, `write` or `cas` with integer values (`null`
//!   for a read's invocation or a read of nothing, `[from, to]` for a cas), or `get`, `put` or
//!   `append` with string values (`null` for a get's invocation). `key` is optional for registers.
//!   Events are in real-time order; an operation lasts from its `invoke` to its end.
//!
//! The format is detected from the first non-blank line. Blank lines are skipped. Every error
//! names the line, what was expected and what was found.

mod build;
mod edn;
mod jepsen;
mod jsonl;

pub use build::ParsedHistory;
pub use jsonl::{write_json_lines, JsonLinesInput};

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Jepsen,
    Edn,
    JsonLines,
}

/// A history file that does not parse: its 1-based line and what went wrong there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// One event as a file states it, before it is typed for a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawEvent {
    pub line: usize,
    pub process: u64,
    pub kind: RawKind,
    pub f: RawF,
    pub key: String,
    pub value: RawValue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RawKind {
    Invoke,
    Ok,
    Fail,
    Info,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RawF {
    Read,
    Write,
    Cas,
    Get,
    Put,
    Append,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RawValue {
    Nil,
    Int(i64),
    Str(String),
    Pair(i64, i64),
    /// Any keyword (`:timed-out`): says nothing about the outcome.
    Keyword(String),
}

impl RawValue {
    /// As the files write it: `nil`, `3`, `"x"`, `[1 2]`, `:timed-out`.
    pub(crate) fn describe(&self) -> String {
        match self {
            RawValue::Nil => String::from("nil"),
            RawValue::Int(value) => value.to_string(),
            RawValue::Str(value) => format!("{value:?}"),
            RawValue::Pair(from, to) => format!("[{from} {to}]"),
            RawValue::Keyword(name) => format!(":{name}"),
        }
    }
}

impl RawKind {
    fn from_name(name: &str) -> Option<RawKind> {
        match name {
            "invoke" => Some(RawKind::Invoke),
            "ok" => Some(RawKind::Ok),
            "fail" => Some(RawKind::Fail),
            "info" => Some(RawKind::Info),
            _ => None,
        }
    }
}

impl RawF {
    fn from_name(name: &str) -> Option<RawF> {
        match name {
            "read" => Some(RawF::Read),
            "write" => Some(RawF::Write),
            "cas" => Some(RawF::Cas),
            "get" => Some(RawF::Get),
            "put" => Some(RawF::Put),
            "append" => Some(RawF::Append),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            RawF::Read => "read",
            RawF::Write => "write",
            RawF::Cas => "cas",
            RawF::Get => "get",
            RawF::Put => "put",
            RawF::Append => "append",
        }
    }

    fn is_kv(self) -> bool {
        match self {
            RawF::Get | RawF::Put | RawF::Append => true,
            RawF::Read | RawF::Write | RawF::Cas => false,
        }
    }
}

/// The first non-blank line decides the format; `None` for a blank file.
pub fn detect(text: &str) -> Result<Option<Format>, ParseError> {
    let Some((index, line)) = text
        .lines()
        .enumerate()
        .find(|(_, line)| !line.trim().is_empty())
    else {
        return Ok(None);
    };
    let trimmed = line.trim_start();
    if trimmed.starts_with("INFO") {
        Ok(Some(Format::Jepsen))
    } else if trimmed.starts_with("{:") {
        Ok(Some(Format::Edn))
    } else if trimmed.starts_with('{') {
        Ok(Some(Format::JsonLines))
    } else {
        Err(ParseError {
            line: index + 1,
            message: format!(
                "expected a Jepsen log line (INFO  jepsen.util - ...), an EDN map ({{:process ...}}) \
                 or a JSON object ({{\"process\": ...}}), found {}",
                shown(trimmed)
            ),
        })
    }
}

/// Parses a history file of any of the three formats.
pub fn parse(text: &str) -> Result<ParsedHistory, ParseError> {
    let Some(format) = detect(text)? else {
        return Ok(ParsedHistory::empty());
    };
    let mut events = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = match format {
            Format::Jepsen => jepsen::parse_line(line),
            Format::Edn => edn::parse_line(line),
            Format::JsonLines => jsonl::parse_line(line),
        };
        let mut event = parsed.map_err(|message| ParseError {
            line: index + 1,
            message,
        })?;
        event.line = index + 1;
        events.push(event);
    }
    build::build(events)
}

/// `found` text for an error message: quoted, and cut short if long.
pub(crate) fn shown(text: &str) -> String {
    const MAX_CHARS: usize = 40;
    if text.is_empty() {
        return String::from("the end of the line");
    }
    let cut: String = text.chars().take(MAX_CHARS).collect();
    let more = if cut.len() < text.len() { "..." } else { "" };
    format!("`{cut}{more}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn a_blank_file_is_an_empty_history() {
        assert_eq!(parse(""), Ok(ParsedHistory::Empty));
        assert_eq!(parse("\n  \n"), Ok(ParsedHistory::Empty));
    }

    #[test]
    fn detects_each_format_from_the_first_line() {
        assert_eq!(
            detect("\nINFO  jepsen.util - 1 :invoke :read nil"),
            Ok(Some(Format::Jepsen))
        );
        assert_eq!(detect("{:process 1}"), Ok(Some(Format::Edn)));
        assert_eq!(detect("{\"process\": 1}"), Ok(Some(Format::JsonLines)));
        assert_eq!(
            detect("\n\nprocess 1 invoke").unwrap_err().to_string(),
            "3: expected a Jepsen log line (INFO  jepsen.util - ...), an EDN map ({:process ...}) \
             or a JSON object ({\"process\": ...}), found `process 1 invoke`"
        );
    }

    #[test]
    fn ends_must_pair_with_invocations() {
        let orphan = "INFO  jepsen.util - 1\t:ok\t:read\tnil";
        assert_eq!(
            error_of(orphan),
            "1: expected an :invoke of process 1 before this end, found none"
        );
        let twice =
            "INFO  jepsen.util - 1\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:invoke\t:write\t3";
        assert_eq!(
            error_of(twice),
            "2: expected an end of process 1's :read of line 1 before its next :invoke, found :invoke"
        );
        let mismatched =
            "INFO  jepsen.util - 1\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:ok\t:write\t3";
        assert_eq!(
            error_of(mismatched),
            "2: expected :read to end process 1's invocation of line 1, found :write"
        );
    }

    #[test]
    fn values_must_fit_the_operation() {
        let write = "{\"process\":1,\"type\":\"invoke\",\"f\":\"write\",\"value\":\"x\"}";
        assert_eq!(
            error_of(write),
            "1: expected an integer to write, found \"x\""
        );
        let mixed = "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\"}\n\n{\"process\":2,\"type\":\"invoke\",\"f\":\"get\"}";
        assert_eq!(
            error_of(mixed),
            "3: expected :read, :write or :cas like line 1, found :get"
        );
    }

    #[test]
    fn fail_has_no_effect_and_info_stays_open() {
        let text = "INFO  jepsen.util - 1\t:invoke\t:cas\t[1 2]\n\
                    INFO  jepsen.util - 2\t:invoke\t:write\t5\n\
                    INFO  jepsen.util - 1\t:fail\t:cas\t[1 2]\n\
                    INFO  jepsen.util - 2\t:info\t:write\t:timed-out";
        let ParsedHistory::Register {
            history,
            call_lines,
        } = parse(text).unwrap()
        else {
            panic!("a register history");
        };
        assert_eq!(call_lines, vec![1, 2]);
        assert!(history.operations[0].is_failed());
        assert!(history.operations[1].is_open());
    }
}
