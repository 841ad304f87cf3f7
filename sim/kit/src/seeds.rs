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
}
