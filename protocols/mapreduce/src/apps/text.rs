//! The two real applications: word count and the inverted index.

use super::{App, CallContext, KeyValue};
use std::collections::BTreeSet;

/// Words are maximal runs of letters (the course splits on `!unicode.IsLetter`).
fn words(contents: &[u8]) -> impl Iterator<Item = &str> {
    // The inputs are ASCII; anything not UTF-8 simply splits words there.
    let text = std::str::from_utf8(contents).unwrap_or_else(|error| {
        // The valid prefix keeps the call total rather than panicking on odd bytes.
        std::str::from_utf8(&contents[..error.valid_up_to()]).unwrap_or("")
    });
    text.split(|c: char| !c.is_alphabetic())
        .filter(|word| !word.is_empty())
}

/// `wc`: (word, "1") per occurrence; reduce counts.
pub struct WordCount;

impl App for WordCount {
    fn map(&self, _ctx: &CallContext, _file: &str, contents: &[u8]) -> Vec<KeyValue> {
        words(contents)
            .map(|word| KeyValue::new(word, "1"))
            .collect()
    }

    fn reduce(&self, _ctx: &CallContext, _key: &str, values: &[String]) -> String {
        values.len().to_string()
    }
}

/// `indexer`: (word, document) once per distinct word of a document; reduce lists documents.
pub struct Indexer;

impl App for Indexer {
    fn map(&self, _ctx: &CallContext, file: &str, contents: &[u8]) -> Vec<KeyValue> {
        let distinct: BTreeSet<&str> = words(contents).collect();
        distinct
            .into_iter()
            .map(|word| KeyValue::new(word, file))
            .collect()
    }

    fn reduce(&self, _ctx: &CallContext, _key: &str, values: &[String]) -> String {
        let mut documents = values.to_vec();
        documents.sort();
        format!("{} {}", documents.len(), documents.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::ctx;

    #[test]
    fn wc_splits_on_non_letters_and_is_case_sensitive() {
        let pairs = WordCount.map(&ctx(1, 0), "f", b"The cat's cat, the42dog");
        let keys: Vec<&str> = pairs.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, ["The", "cat", "s", "cat", "the", "dog"]);
        assert_eq!(
            WordCount.reduce(&ctx(1, 0), "cat", &["1".into(), "1".into()]),
            "2"
        );
    }

    #[test]
    fn indexer_emits_each_word_once_per_document_and_sorts_documents() {
        let pairs = Indexer.map(&ctx(1, 0), "b.txt", b"x y x");
        assert_eq!(
            pairs,
            vec![KeyValue::new("x", "b.txt"), KeyValue::new("y", "b.txt")]
        );
        let out = Indexer.reduce(&ctx(1, 0), "x", &["b.txt".into(), "a.txt".into()]);
        assert_eq!(out, "2 a.txt,b.txt");
    }
}
