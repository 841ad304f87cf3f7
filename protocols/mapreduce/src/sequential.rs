//! The reference: the whole job in one call, like the course's `mrsequential`.

use crate::apps::{App, CallContext, KeyValue};
use crate::compute::run_reduce;
use protocol_core::{NodeId, Time};

/// Maps every input, then reduces every key in key order. Returns the text of the single
/// output file (`"key value\n"` lines). Each call sees worker n0 and a virtual clock that
/// advances by the app's declared durations, so the result is deterministic. Fails only if
/// an output line would hold a newline (an input name with one, under the indexer).
pub fn sequential(app: &dyn App, inputs: &[(String, Vec<u8>)]) -> Result<String, String> {
    let mut ctx = CallContext {
        worker: NodeId(0),
        now: Time::ZERO,
        invocation: 0,
        listed: 0,
    };
    let mut pairs: Vec<KeyValue> = Vec::new();
    for (name, contents) in inputs {
        pairs.extend(app.map(&ctx, name, contents));
        ctx.now = ctx.now.plus_ms(app.map_ms(&ctx, name));
        ctx.invocation += 1;
    }
    // Sequentially, every map "ran exactly once": that is what jobcount's listing counts.
    ctx.listed = inputs.len();
    run_reduce(app, &ctx, pairs).map(|(text, _)| text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::AppKind;

    #[test]
    fn word_count_of_two_documents() {
        let inputs = vec![
            ("a".to_string(), b"x y".to_vec()),
            ("b".to_string(), b"y, z! y".to_vec()),
        ];
        assert_eq!(
            sequential(AppKind::Wc.app(), &inputs).unwrap(),
            "x 1\ny 3\nz 1\n"
        );
        assert_eq!(
            sequential(AppKind::Indexer.app(), &inputs).unwrap(),
            "x 1 a\ny 2 a,b\nz 1 b\n"
        );
        assert_eq!(
            sequential(AppKind::JobCount.app(), &inputs).unwrap(),
            "a 2\n"
        );
    }
}
