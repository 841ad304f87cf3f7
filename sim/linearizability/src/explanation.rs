//! Why a partition is not linearizable, in a person's terms: text and the operations it names.
//!
//! A decision procedure ([`crate::Model::decide`]) knows which link or which order constraint
//! failed; it says so as an [`Explanation`] whose operations are history indices, so that the
//! printer can name them the way its reader finds them: by file line in `sim check`, by client
//! and call time in a simulation's report.

use crate::history::History;
use crate::model::Model;

/// One piece of an explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phrase {
    Text(String),
    /// An operation (history index), named by whoever renders the explanation.
    Op(usize),
}

/// A sentence of text and operations:
/// `get("1") at line 838 saw "x 3 1 y" right after "x 5 0 y", but append("1", "x 5 0 y") at
/// line 900 was called after it returned`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Explanation {
    pub phrases: Vec<Phrase>,
}

impl Explanation {
    pub fn new() -> Explanation {
        Explanation::default()
    }

    /// Appends text.
    pub fn text(mut self, text: impl Into<String>) -> Explanation {
        self.phrases.push(Phrase::Text(text.into()));
        self
    }

    /// Appends an operation, by history index.
    pub fn op(mut self, index: usize) -> Explanation {
        self.phrases.push(Phrase::Op(index));
        self
    }

    /// Appends another explanation.
    pub fn append(mut self, other: Explanation) -> Explanation {
        self.phrases.extend(other.phrases);
        self
    }

    /// The operations named, in order of mention.
    pub fn ops(&self) -> impl Iterator<Item = usize> + '_ {
        self.phrases.iter().filter_map(|phrase| match phrase {
            Phrase::Op(index) => Some(*index),
            Phrase::Text(_) => None,
        })
    }

    /// The sentence, each operation named by `name`.
    pub fn render(&self, name: impl Fn(usize) -> String) -> String {
        let mut sentence = String::new();
        for phrase in &self.phrases {
            match phrase {
                Phrase::Text(text) => sentence.push_str(text),
                Phrase::Op(index) => sentence.push_str(&name(*index)),
            }
        }
        sentence
    }
}

/// Names operation `index` for an explanation: its call (`get("1")`) and where to find it,
/// `at line L` of the file when `call_lines` gives it, else `of client C called at T`.
pub fn name_operation<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    call_lines: &[usize],
    index: usize,
) -> String {
    let op = &history.operations[index];
    let call = model.describe_call(&op.input);
    match call_lines.get(index) {
        Some(line) => format!("{call} at line {line}"),
        None => format!("{call} of client {} called at {}", op.client, op.call),
    }
}

/// `text` quoted for an explanation, its middle cut out past `max_chars` characters so that a
/// long value read stays one readable line: `"x 1 0 yx 2 0 y…x 9 3 y"`.
pub(crate) fn quoted_short(text: &str, max_chars: usize) -> String {
    format!("{:?}", cut_middle(text, max_chars))
}

/// `text`, or its first and last `max_chars / 2` characters around `…` if it is longer.
pub(crate) fn cut_middle(text: &str, max_chars: usize) -> String {
    let count = text.chars().count();
    if count <= max_chars {
        return text.to_string();
    }
    let head: String = text.chars().take(max_chars / 2).collect();
    let tail: String = text.chars().skip(count - max_chars / 2).collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_operations_by_the_given_names() {
        let why = Explanation::new()
            .op(3)
            .text(" saw 5, but ")
            .op(1)
            .text(" was called after it returned");
        assert_eq!(why.ops().collect::<Vec<_>>(), vec![3, 1]);
        let sentence = why.render(|i| format!("op{i}"));
        assert_eq!(sentence, "op3 saw 5, but op1 was called after it returned");
    }

    #[test]
    fn long_values_are_cut_in_the_middle() {
        assert_eq!(quoted_short("abc", 10), "\"abc\"");
        assert_eq!(quoted_short("abcdefghij", 4), "\"ab…ij\"");
    }
}
