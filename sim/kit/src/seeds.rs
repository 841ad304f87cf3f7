//! Seeds and seed ranges as typed on the command line.

use std::fmt;
use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedError {
    pub input: String,
    pub reason: &'static str,
}

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed seed '{}': {}", self.input, self.reason)
    }
}

impl std::error::Error for SeedError {}

/// A seed: a decimal `u64`, or hex with `0x`.
pub fn parse_seed(input: &str) -> Result<u64, SeedError> {
    let trimmed = input.trim();
    let error = |reason| SeedError {
        input: input.to_string(),
        reason,
    };
    if trimmed.is_empty() {
        return Err(error("empty"));
    }
    let parsed = match trimmed.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => trimmed.parse::<u64>(),
    };
    parsed.map_err(|_| error("expected a whole number from 0 to 18446744073709551615 (or 0x hex)"))
}

/// A range `A..B` (B excluded) or `A..=B` (B included), or a single seed.
pub fn parse_seed_range(input: &str) -> Result<Range<u64>, SeedError> {
    let error = |reason| SeedError {
        input: input.to_string(),
        reason,
    };
    let (start, end) = if let Some((a, b)) = input.split_once("..=") {
        let end = parse_seed(b)?;
        (
            parse_seed(a)?,
            end.checked_add(1).ok_or(error("range end too large"))?,
        )
    } else if let Some((a, b)) = input.split_once("..") {
        (parse_seed(a)?, parse_seed(b)?)
    } else {
        let seed = parse_seed(input)?;
        (
            seed,
            seed.checked_add(1)
                .ok_or(error("seed too large for a range"))?,
        )
    };
    if start >= end {
        return Err(error("empty range: the start must be below the end"));
    }
    if end - start > MAX_SEEDS_PER_RANGE {
        return Err(error("too many seeds: at most 100000000 in one range"));
    }
    Ok(start..end)
}

/// A sweep of more seeds than this would run for months; it is a typo, not a plan.
pub const MAX_SEEDS_PER_RANGE: u64 = 100_000_000;

/// The K-th of N disjoint slices of a seed range (`--partition K/N`, K from 1), as test
/// runners shard a suite: N machines given the same range and K = 1..=N run every seed once
/// between them, with no coordinator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    pub index: u64,
    pub count: u64,
}

impl Partition {
    /// Slice `index` of `count` of `range`: contiguous, sizes differing by at most one,
    /// empty when there are fewer seeds than slices.
    pub fn slice(&self, range: &Range<u64>) -> Range<u64> {
        let len = u128::from(range.end - range.start);
        let bound = |k: u64| range.start + (len * u128::from(k) / u128::from(self.count)) as u64;
        bound(self.index - 1)..bound(self.index)
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// `K/N` with 1 <= K <= N.
pub fn parse_partition(input: &str) -> Result<Partition, String> {
    let bad = |why: &str| format!("malformed partition '{input}': {why}");
    let (k, n) = input
        .split_once('/')
        .ok_or_else(|| bad("expected K/N, such as 2/8"))?;
    let number = |text: &str| {
        text.trim()
            .parse::<u64>()
            .map_err(|_| bad("K and N are whole numbers"))
    };
    let (index, count) = (number(k)?, number(n)?);
    if count == 0 || index == 0 || index > count {
        return Err(bad("K runs from 1 to N"));
    }
    Ok(Partition { index, count })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_in_decimal_and_hex() {
        assert_eq!(parse_seed("42"), Ok(42));
        assert_eq!(parse_seed("0x2a"), Ok(42));
        assert!(parse_seed("-1").is_err());
        assert!(parse_seed("12abc").is_err());
        assert!(parse_seed("").is_err());
        assert!(parse_seed("18446744073709551616").is_err());
    }

    #[test]
    fn ranges_parse_both_ways() {
        assert_eq!(parse_seed_range("1..5"), Ok(1..5));
        assert_eq!(parse_seed_range("1..=5"), Ok(1..6));
        assert_eq!(parse_seed_range("7"), Ok(7..8));
        assert!(parse_seed_range("5..5").is_err());
        assert!(parse_seed_range("9..2").is_err());
        assert!(parse_seed_range("a..b").is_err());
        assert!(parse_seed_range("0..18446744073709551615").is_err());
        assert!(parse_seed_range("0..=100000000").is_err());
        assert_eq!(parse_seed_range("5..100000005"), Ok(5..100_000_005));
        let message = parse_seed_range("3..x").unwrap_err().to_string();
        assert!(message.contains("'x'"), "{message}");
    }

    #[test]
    fn partition_slices_are_disjoint_and_cover_the_range() {
        let ranges = [0..1, 0..10, 5..12, 1..1001, 7..8, u64::MAX - 100..u64::MAX];
        for range in ranges {
            for count in [1, 2, 3, 7, 8, 64] {
                let slices: Vec<Range<u64>> = (1..=count)
                    .map(|index| Partition { index, count }.slice(&range))
                    .collect();
                assert_eq!(slices[0].start, range.start, "{range:?} /{count}");
                assert_eq!(
                    slices[slices.len() - 1].end,
                    range.end,
                    "{range:?} /{count}"
                );
                for pair in slices.windows(2) {
                    assert_eq!(
                        pair[0].end, pair[1].start,
                        "{range:?} /{count}: gap or overlap"
                    );
                }
                let sizes: Vec<u64> = slices.iter().map(|s| s.end - s.start).collect();
                let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(
                    max - min <= 1,
                    "{range:?} /{count}: uneven slices {sizes:?}"
                );
                assert_eq!(sizes.iter().sum::<u64>(), range.end - range.start);
            }
        }
    }

    #[test]
    fn partitions_parse_k_of_n() {
        assert_eq!(parse_partition("2/8"), Ok(Partition { index: 2, count: 8 }));
        assert_eq!(parse_partition("1/1"), Ok(Partition { index: 1, count: 1 }));
        for bad in ["0/3", "4/3", "3/0", "3", "a/b", "1/-2", ""] {
            let error = parse_partition(bad).unwrap_err();
            assert!(error.contains(&format!("'{bad}'")), "{error}");
        }
    }
}
