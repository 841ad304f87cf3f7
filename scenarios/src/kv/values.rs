//! The course's value checks: `checkClntAppends` and `checkConcurrentAppends`.

use super::checks;
use super::harness::{KvHarness, Step};

/// `checkClntAppends`: every append "x cli j y" for j < count appears exactly once, in order.
pub fn check_clnt_appends(h: &mut KvHarness, cli: usize, value: &str, count: u64) -> Step {
    if appends_in_order(value, cli, count) {
        return Ok(());
    }
    // Something is off: the course's search, for its exact message.
    let mut last_offset: Option<usize> = None;
    for j in 0..count {
        let wanted = format!("x {cli} {j} y");
        let Some(offset) = value.find(&wanted) else {
            let message = format!("{cli} missing element {wanted:?} in Append result {value:?}");
            return Err(h.fail(checks::CLIENT_APPENDS, message));
        };
        if value.rfind(&wanted) != Some(offset) {
            let message = format!("duplicate element {wanted:?} in Append result");
            return Err(h.fail(checks::CLIENT_APPENDS, message));
        }
        if last_offset.is_some_and(|last| offset <= last) {
            let message = format!("wrong order for element {wanted:?} in Append result");
            return Err(h.fail(checks::CLIENT_APPENDS, message));
        }
        last_offset = Some(offset);
    }
    Ok(())
}

/// The common case in one pass: `value` is a run of elements "x c j y", and client `cli`'s
/// are exactly j = 0, 1, ..., count - 1 in that order. Then the course's search passes too:
/// an 'x' starts only an element and a 'y' ends one, so its substring matches are elements.
/// False when it cannot tell; the search then decides.
fn appends_in_order(value: &str, cli: usize, count: u64) -> bool {
    let mut next = 0;
    for element in value.split_terminator('y') {
        let mut fields = element.split(' ');
        let (Some("x"), Some(c), Some(j), Some(""), None) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return false;
        };
        let (Ok(c), Ok(j)) = (c.parse::<usize>(), j.parse::<u64>()) else {
            return false;
        };
        if c == cli {
            if j != next {
                return false;
            }
            next += 1;
        }
    }
    next == count
}

/// `checkConcurrentAppends`: each client's appends "x cli j y", j < counts[cli], once and in
/// order, whatever the interleaving between clients.
pub fn check_concurrent_appends(h: &mut KvHarness, value: &str, counts: &[u64]) -> Step {
    for (cli, &count) in counts.iter().enumerate() {
        check_clnt_appends(h, cli, value, count)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::appends_in_order;

    #[test]
    fn the_one_pass_check_passes_only_what_the_search_passes() {
        let value = "x 0 0 yx 1 0 yx 0 1 yx 1 1 yx 0 2 y";
        assert!(appends_in_order(value, 0, 3));
        assert!(appends_in_order(value, 1, 2));
        assert!(appends_in_order("", 4, 0));
        assert!(
            !appends_in_order(value, 0, 2),
            "an extra element: let the search judge"
        );
        assert!(!appends_in_order(value, 0, 4), "a missing element");
        assert!(!appends_in_order("x 0 1 yx 0 0 y", 0, 2), "out of order");
        assert!(!appends_in_order("x 0 0 yx 0 0 y", 0, 1), "a duplicate");
        assert!(!appends_in_order("x 0 0 yx 0", 0, 1), "a torn element");
        assert!(
            !appends_in_order("x 0 0 yz", 0, 1),
            "not the workload's format"
        );
    }
}
