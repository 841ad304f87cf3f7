//! EDN map lines: `{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}`.
//! Also the value grammar the Jepsen log shares: `nil`, integers, `[A B]`, `:keyword`.

use super::{shown, RawEvent, RawF, RawKind, RawValue};

pub(crate) fn parse_line(line: &str) -> Result<RawEvent, String> {
    let mut cursor = Cursor::new(line);
    cursor.expect_char('{')?;
    let mut fields: Vec<(String, RawValue)> = Vec::new();
    loop {
        cursor.skip_separators();
        if cursor.eat('}') {
            break;
        }
        let name = cursor
            .keyword()
            .map_err(|found| format!("expected a :field name or }}, found {found}"))?;
        cursor.skip_separators();
        let value = cursor.value()?;
        fields.push((name, value));
    }
    cursor.skip_separators();
    if !cursor.rest().is_empty() {
        return Err(format!(
            "expected the end of the line after }}, found {}",
            shown(cursor.rest())
        ));
    }
    event_from_fields(fields)
}

fn event_from_fields(fields: Vec<(String, RawValue)>) -> Result<RawEvent, String> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.clone())
            .ok_or_else(|| format!("expected a :{name} field, found none"))
    };
    let process = match field("process")? {
        RawValue::Int(process) if process >= 0 => process as u64,
        other => {
            return Err(format!(
                "expected a process number, found {}",
                other.describe()
            ))
        }
    };
    let kind = match field("type")? {
        RawValue::Keyword(name) => RawKind::from_name(&name),
        _ => None,
    }
    .ok_or_else(|| {
        format!(
            "expected :type :invoke, :ok, :fail or :info, found {}",
            fields_value(&fields, "type").describe()
        )
    })?;
    let f = match field("f")? {
        RawValue::Keyword(name) => RawF::from_name(&name),
        _ => None,
    }
    .ok_or_else(|| {
        format!(
            "expected :f :get, :put, :append, :read, :write or :cas, found {}",
            fields_value(&fields, "f").describe()
        )
    })?;
    let key = match field("key") {
        Ok(RawValue::Str(key)) => key,
        Ok(RawValue::Int(key)) => key.to_string(),
        Ok(other) => {
            return Err(format!(
                "expected a string :key, found {}",
                other.describe()
            ))
        }
        Err(_) => String::new(),
    };
    let value = field("value").unwrap_or(RawValue::Nil);
    Ok(RawEvent {
        line: 0,
        process,
        kind,
        f,
        key,
        value,
    })
}

fn fields_value(fields: &[(String, RawValue)], name: &str) -> RawValue {
    fields
        .iter()
        .find(|(field, _)| field == name)
        .map_or(RawValue::Nil, |(_, v)| v.clone())
}

/// A position in one line.
pub(crate) struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(text: &'a str) -> Self {
        Cursor { text, pos: 0 }
    }

    pub fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        let ate = self.peek() == Some(c);
        if ate {
            self.pos += c.len_utf8();
        }
        ate
    }

    fn expect_char(&mut self, c: char) -> Result<(), String> {
        if self.eat(c) {
            return Ok(());
        }
        Err(format!("expected `{c}`, found {}", shown(self.rest())))
    }

    /// Whitespace and EDN's commas.
    fn skip_separators(&mut self) {
        let rest = self.rest();
        let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        self.pos += rest.len() - trimmed.len();
    }

    /// A run of characters up to a separator or bracket.
    fn word(&mut self) -> &'a str {
        let rest = self.rest();
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | '}' | ']' | '[' | '{'))
            .unwrap_or(rest.len());
        self.pos += end;
        &rest[..end]
    }

    /// `:name`, or the found text as an error.
    fn keyword(&mut self) -> Result<String, String> {
        if !self.eat(':') {
            return Err(shown(self.rest()));
        }
        let name = self.word();
        if name.is_empty() {
            return Err(shown(self.rest()));
        }
        Ok(name.to_string())
    }

    /// `nil`, an integer, a keyword, a double-quoted string, or `[A B]` of integers.
    pub fn value(&mut self) -> Result<RawValue, String> {
        match self.peek() {
            Some(':') => {
                Ok(RawValue::Keyword(self.keyword().map_err(|found| {
                    format!("expected a keyword, found {found}")
                })?))
            }
            Some('"') => self.string().map(RawValue::Str),
            Some('[') => self.pair(),
            _ => {
                let start = self.rest();
                match self.word() {
                    "nil" => Ok(RawValue::Nil),
                    word => word.parse().map(RawValue::Int).map_err(|_| {
                        format!(
                            "expected nil, an integer, a keyword, a string or [A B], found {}",
                            shown(start)
                        )
                    }),
                }
            }
        }
    }

    fn integer(&mut self) -> Result<i64, String> {
        let start = self.rest();
        self.word()
            .parse()
            .map_err(|_| format!("expected an integer, found {}", shown(start)))
    }

    fn pair(&mut self) -> Result<RawValue, String> {
        self.expect_char('[')?;
        self.skip_separators();
        let from = self.integer()?;
        self.skip_separators();
        let to = self.integer()?;
        self.skip_separators();
        self.expect_char(']')?;
        Ok(RawValue::Pair(from, to))
    }

    fn string(&mut self) -> Result<String, String> {
        let start = self.rest();
        self.expect_char('"')?;
        let mut value = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((offset, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += offset + 1;
                    return Ok(value);
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, 't')) => value.push('\t'),
                    Some((_, escaped)) => value.push(escaped),
                    None => break,
                },
                c => value.push(c),
            }
        }
        Err(format!(
            "expected a closing `\"`, found the end of the line in {}",
            shown(start)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_kv_line() {
        let line = r#"{:process 4, :type :ok, :f :get, :key "5", :value "x 9 1 y"}"#;
        let event = parse_line(line).unwrap();
        assert_eq!(
            (event.process, event.kind, event.f),
            (4, RawKind::Ok, RawF::Get)
        );
        assert_eq!(
            (event.key.as_str(), event.value),
            ("5", RawValue::Str("x 9 1 y".into()))
        );
    }

    #[test]
    fn parses_nil_and_escapes() {
        let line = r#"{:process 0, :type :invoke, :f :put, :key "a\"b", :value nil}"#;
        let event = parse_line(line).unwrap();
        assert_eq!((event.key.as_str(), event.value), ("a\"b", RawValue::Nil));
    }

    #[test]
    fn says_what_was_expected_and_found() {
        let bad_type = r#"{:process 0, :type :okk, :f :get, :key "1", :value nil}"#;
        let message = parse_line(bad_type).unwrap_err();
        assert!(
            message.contains("expected :type :invoke") && message.contains("okk"),
            "{message}"
        );
        let unclosed = r#"{:process 0, :type :ok, :f :get, :key "1, :value nil}"#;
        assert!(parse_line(unclosed).unwrap_err().contains("closing"));
        let missing = r#"{:type :ok, :f :get}"#;
        assert_eq!(
            parse_line(missing).unwrap_err(),
            "expected a :process field, found none"
        );
    }
}
