//! The computing half of a task: partitioning map output and grouping reduce input. Pure
//! functions of the bytes the worker was given; the worker does the file traffic.

use crate::apps::{App, CallContext, KeyValue};
use crate::task::ihash;
use std::collections::BTreeMap;

/// Intermediate files hold a postcard-encoded list of pairs.
pub fn encode_intermediate(pairs: &[KeyValue]) -> Vec<u8> {
    // Encoding into a Vec cannot fail for plain strings.
    postcard::to_stdvec(pairs).expect("pairs of strings always encode")
}

/// Decodes an intermediate file; bad bytes are an error, never a panic.
pub fn decode_intermediate(bytes: &[u8]) -> Result<Vec<KeyValue>, String> {
    postcard::from_bytes(bytes).map_err(|error| format!("bad intermediate file: {error}"))
}

/// Runs one map call and splits its pairs into `n_reduce` buckets by `ihash(key)`.
/// Returns the buckets and the call's virtual duration.
pub(crate) fn run_map(
    app: &dyn App,
    ctx: &CallContext,
    file: &str,
    contents: &[u8],
    n_reduce: u32,
) -> (Vec<Vec<KeyValue>>, u64) {
    assert!(n_reduce >= 1, "map with no reduce buckets");
    let mut buckets: Vec<Vec<KeyValue>> = vec![Vec::new(); n_reduce as usize];
    let pairs = app.map(ctx, file, contents);
    let count = pairs.len();
    for pair in pairs {
        let bucket = ihash(&pair.key) % n_reduce;
        buckets[bucket as usize].push(pair);
    }
    assert_eq!(buckets.iter().map(Vec::len).sum::<usize>(), count);
    (buckets, app.map_ms(ctx, file))
}

/// Groups `pairs` by key and reduces each key in key order, as the course's sort does.
/// Each call starts at `ctx.now` plus the durations of the calls before it. Returns the
/// output text (`"key value\n"` lines) and the total virtual duration. A key or value holding a
/// newline cannot be written as a line (an input file's name, or a damaged intermediate file
/// that still decodes): an error, not a panic.
pub(crate) fn run_reduce(
    app: &dyn App,
    ctx: &CallContext,
    pairs: Vec<KeyValue>,
) -> Result<(String, u64), String> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in pairs {
        groups.entry(pair.key).or_default().push(pair.value);
    }
    let mut output = String::new();
    let mut elapsed_ms = 0;
    for (key, values) in &groups {
        let call = CallContext {
            now: ctx.now.plus_ms(elapsed_ms),
            ..*ctx
        };
        let value = app.reduce(&call, key, values);
        if key.contains('\n') || value.contains('\n') {
            return Err(format!("reduce output for key {key:?} holds a newline"));
        }
        output.push_str(key);
        output.push(' ');
        output.push_str(&value);
        output.push('\n');
        elapsed_ms += app.reduce_ms(&call, key);
    }
    Ok((output, elapsed_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::{ctx, AppKind};

    #[test]
    fn intermediate_bytes_round_trip_and_garbage_is_an_error() {
        let pairs = vec![KeyValue::new("a", "1"), KeyValue::new("b", "2")];
        assert_eq!(decode_intermediate(&encode_intermediate(&pairs)), Ok(pairs));
        assert!(decode_intermediate(&[0xff, 0xff, 0xff]).is_err());
    }

    #[test]
    fn a_newline_in_a_key_is_an_error_not_a_panic() {
        let pairs = vec![KeyValue::new("a\nb", "1")];
        assert!(run_reduce(AppKind::Wc.app(), &ctx(1, 0), pairs).is_err());
    }

    #[test]
    fn map_partitions_by_ihash() {
        let app = AppKind::Wc.app();
        let (buckets, _) = run_map(app, &ctx(1, 0), "f", b"a b a c", 3);
        for (index, bucket) in buckets.iter().enumerate() {
            for pair in bucket {
                assert_eq!(ihash(&pair.key) % 3, index as u32);
            }
        }
        assert_eq!(buckets.iter().map(Vec::len).sum::<usize>(), 4);
    }

    #[test]
    fn reduce_sorts_keys_and_advances_time_per_call() {
        let pairs = vec![KeyValue::new("b", "1"), KeyValue::new("a", "1")];
        let (text, ms) = run_reduce(AppKind::Wc.app(), &ctx(1, 0), pairs.clone()).unwrap();
        assert_eq!((text.as_str(), ms), ("a 1\nb 1\n", 0));
        let (text, ms) = run_reduce(AppKind::RTiming.app(), &ctx(1, 0), pairs).unwrap();
        assert_eq!(
            (text.as_str(), ms),
            ("a n1 0 1000\nb n1 1000 2000\n", 2_000)
        );
    }
}
