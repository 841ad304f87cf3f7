//! Jepsen etcd log lines: `INFO  jepsen.util - PROCESS TYPE F VALUE`, fields split on whitespace.

use super::edn::Cursor;
use super::{shown, RawEvent, RawF, RawKind};

const PREFIX: &str = "INFO  jepsen.util - ";

pub(crate) fn parse_line(line: &str) -> Result<RawEvent, String> {
    let Some(fields) = line.strip_prefix(PREFIX) else {
        return Err(format!(
            "expected a line starting `{PREFIX}`, found {}",
            shown(line)
        ));
    };
    // VALUE may hold a space (`[3 0]`), so it is the rest after three fields.
    let mut rest = fields.trim_start();
    let mut field = || {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(end);
        rest = tail.trim_start();
        word
    };
    let (process, kind, f) = (field(), field(), field());
    let process = process
        .parse()
        .map_err(|_| format!("expected a process number, found {}", shown(process)))?;
    let kind = kind
        .strip_prefix(':')
        .and_then(RawKind::from_name)
        .ok_or_else(|| {
            format!(
                "expected :invoke, :ok, :fail or :info, found {}",
                shown(kind)
            )
        })?;
    let f = f
        .strip_prefix(':')
        .and_then(RawF::from_name)
        .filter(|f| !f.is_kv())
        .ok_or_else(|| format!("expected :read, :write or :cas, found {}", shown(f)))?;
    let value_text = rest.trim_end();
    let mut cursor = Cursor::new(value_text);
    let value = cursor.value()?;
    if !cursor.rest().trim().is_empty() {
        return Err(format!(
            "expected the end of the line after the value, found {}",
            shown(cursor.rest())
        ));
    }
    Ok(RawEvent {
        line: 0,
        process,
        kind,
        f,
        key: String::new(),
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::RawValue;

    #[test]
    fn parses_tabs_and_spaces_and_pairs() {
        let cas = parse_line("INFO  jepsen.util - 2\t:invoke\t:cas\t[3 0]").unwrap();
        assert_eq!(
            (cas.process, cas.kind, cas.f, cas.value),
            (2, RawKind::Invoke, RawF::Cas, RawValue::Pair(3, 0))
        );
        let read = parse_line("INFO  jepsen.util - 3   :ok   :read   nil").unwrap();
        assert_eq!((read.kind, read.value), (RawKind::Ok, RawValue::Nil));
        let info = parse_line("INFO  jepsen.util - 4\t:info\t:write\t:timed-out").unwrap();
        assert_eq!(info.value, RawValue::Keyword("timed-out".into()));
    }

    #[test]
    fn says_what_was_expected_and_found() {
        let message = parse_line("INFO  jepsen.util - 2\t:okk\t:cas\t[3 0]").unwrap_err();
        assert_eq!(
            message,
            "expected :invoke, :ok, :fail or :info, found `:okk`"
        );
        let message = parse_line("INFO  jepsen.util - x\t:ok\t:cas\t[3 0]").unwrap_err();
        assert_eq!(message, "expected a process number, found `x`");
        let message = parse_line("INFO  jepsen.util - 2\t:ok\t:cas\t[3 zero]").unwrap_err();
        assert_eq!(message, "expected an integer, found `zero]`");
        assert!(parse_line("WARN something")
            .unwrap_err()
            .starts_with("expected a line starting"));
    }
}
