//! Deliberately broken variants of a protocol, chosen by name (`--mutant skip-truncation`).

/// The variant of `all` whose `name` is `wanted`, or an error listing the known names.
/// Every protocol's `Mutant` parses through this, so they all answer a typo the same way.
pub fn by_name<M: Copy>(
    family: &str,
    all: &[M],
    name: impl Fn(M) -> &'static str,
    wanted: &str,
) -> Result<M, String> {
    all.iter()
        .copied()
        .find(|&m| name(m) == wanted)
        .ok_or_else(|| {
            let known: Vec<&str> = all.iter().map(|&m| name(m)).collect();
            format!(
                "unknown {family} mutant {wanted:?}; known: {}",
                known.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_by_name_and_lists_the_known_ones() {
        let name = |m: u8| ["a-b", "c-d"][m as usize];
        assert_eq!(by_name("x", &[0u8, 1], name, "c-d"), Ok(1));
        let error = by_name("x", &[0u8, 1], name, "e").unwrap_err();
        assert_eq!(error, "unknown x mutant \"e\"; known: a-b, c-d");
    }
}
