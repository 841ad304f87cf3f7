//! The course's other test apps: job count, early exit, crash and nocrash.

use super::{fnv64, App, CallContext, KeyValue};

/// `jobcount`: every map leaves a marker file; the reduce of "a" counts them, so the output
/// is `a 8` for 8 inputs exactly when no map ran twice.
pub struct JobCount;

impl App for JobCount {
    fn map(&self, _ctx: &CallContext, _file: &str, _contents: &[u8]) -> Vec<KeyValue> {
        vec![KeyValue::new("a", "x")]
    }

    /// The course sleeps 2000-4999 ms at random; ours picks by the file name's hash.
    fn map_ms(&self, _ctx: &CallContext, file: &str) -> u64 {
        2_000 + fnv64(file) % 3_000
    }

    fn map_marker(&self, ctx: &CallContext) -> Option<String> {
        Some(format!(
            "mr-worker-jobcount-n{}-{}",
            ctx.worker.0, ctx.invocation
        ))
    }

    fn reduce_listing_prefix(&self) -> Option<&'static str> {
        Some("mr-worker-jobcount")
    }

    fn reduce(&self, ctx: &CallContext, _key: &str, _values: &[String]) -> String {
        ctx.listed.to_string()
    }
}

/// `early_exit`: (file, "1") per map; reduces of keys naming sherlock or tom take 3 s, so a
/// process that exits before the job is done is caught with output still missing.
pub struct EarlyExit;

impl App for EarlyExit {
    fn map(&self, _ctx: &CallContext, file: &str, _contents: &[u8]) -> Vec<KeyValue> {
        vec![KeyValue::new(file, "1")]
    }

    fn reduce_ms(&self, _ctx: &CallContext, key: &str) -> u64 {
        if key.contains("sherlock") || key.contains("tom") {
            3_000
        } else {
            0
        }
    }

    fn reduce(&self, _ctx: &CallContext, _key: &str, values: &[String]) -> String {
        values.len().to_string()
    }
}

fn crash_map(file: &str, contents: &[u8]) -> Vec<KeyValue> {
    vec![
        KeyValue::new("a", file),
        KeyValue::new("b", file.len().to_string()),
        KeyValue::new("c", contents.len().to_string()),
        KeyValue::new("d", "xyzzy"),
    ]
}

fn crash_reduce(values: &[String]) -> String {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted.join(" ")
}

/// The course's crash app exits a third of the time and stalls 0-9999 ms another third.
/// Here the driver does the crashing; the app keeps the stalls, chosen by a hash of worker,
/// invocation and name so that a re-execution elsewhere stalls differently.
fn crash_stall_ms(ctx: &CallContext, name: &str) -> u64 {
    let hash = fnv64(&format!("n{}/{}/{name}", ctx.worker.0, ctx.invocation));
    if hash.is_multiple_of(3) {
        (hash / 3) % 10_000
    } else {
        0
    }
}

/// `crash`: the nocrash output, with stalls. Compare it against `nocrash` run sequentially.
pub struct Crash;

impl App for Crash {
    fn map(&self, _ctx: &CallContext, file: &str, contents: &[u8]) -> Vec<KeyValue> {
        crash_map(file, contents)
    }

    fn map_ms(&self, ctx: &CallContext, file: &str) -> u64 {
        crash_stall_ms(ctx, file)
    }

    fn reduce_ms(&self, ctx: &CallContext, key: &str) -> u64 {
        crash_stall_ms(ctx, key)
    }

    fn reduce(&self, _ctx: &CallContext, _key: &str, values: &[String]) -> String {
        crash_reduce(values)
    }
}

/// `nocrash`: the crash app with no stalls.
pub struct NoCrash;

impl App for NoCrash {
    fn map(&self, _ctx: &CallContext, file: &str, contents: &[u8]) -> Vec<KeyValue> {
        crash_map(file, contents)
    }

    fn reduce(&self, _ctx: &CallContext, _key: &str, values: &[String]) -> String {
        crash_reduce(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::ctx;

    #[test]
    fn jobcount_markers_differ_per_invocation_and_reduce_reports_the_listing() {
        let mut first = ctx(4, 0);
        let second = CallContext {
            invocation: 1,
            ..first
        };
        assert_ne!(JobCount.map_marker(&first), JobCount.map_marker(&second));
        assert!((2_000..5_000).contains(&JobCount.map_ms(&first, "pg-grimm.txt")));
        first.listed = 8;
        assert_eq!(JobCount.reduce(&first, "a", &[]), "8");
    }

    #[test]
    fn crash_and_nocrash_agree_on_output_and_only_crash_stalls() {
        let c = ctx(2, 0);
        assert_eq!(Crash.map(&c, "f", b"abc"), NoCrash.map(&c, "f", b"abc"));
        let values = ["b".to_string(), "a".to_string()];
        assert_eq!(Crash.reduce(&c, "a", &values), "a b");
        let stalls = (0..30)
            .filter(|i| {
                Crash.map_ms(
                    &CallContext {
                        invocation: *i,
                        ..c
                    },
                    "f",
                ) > 0
            })
            .count();
        assert!(stalls > 0 && stalls < 30, "{stalls} of 30 calls stalled");
        assert_eq!(NoCrash.map_ms(&c, "f"), 0);
    }

    #[test]
    fn early_exit_slows_sherlock_and_tom_only() {
        let c = ctx(1, 0);
        assert_eq!(EarlyExit.reduce_ms(&c, "../pg-sherlock_holmes.txt"), 3_000);
        assert_eq!(EarlyExit.reduce_ms(&c, "pg-grimm.txt"), 0);
    }
}
