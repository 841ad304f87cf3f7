//! Deliberately broken variants of a protocol, chosen by name (`--mutant skip-truncation`).
//!
//! A protocol declares its mutants once, with [`mutants!`](crate::mutants): the enum, each
//! variant's name and its doc come from that one declaration, and everything that lists,
//! validates or parses mutants (`sim list`, `--mutant`, the corpus, tests) reads
//! [`Mutant::ALL`], so no list of names is kept in sync by hand.

use std::fmt;

/// A protocol's set of deliberate bugs: a fieldless enum declared with [`mutants!`](crate::mutants).
pub trait Mutant: Copy + Eq + fmt::Debug + 'static {
    /// The protocol's name, for messages: `"raft"`.
    const FAMILY: &'static str;
    /// Every variant, in declaration order.
    const ALL: &'static [Self];

    /// The kebab-case name a command line takes: `vote-twice-in-term`.
    fn name(self) -> &'static str;

    /// One line on what the bug is, from the variant's doc comment.
    fn about(self) -> &'static str;

    /// The variant named `name`, if this protocol has one.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|m| m.name() == name)
    }
}

/// The variant of `M` named `wanted`, or an error listing the known names.
pub fn parse<M: Mutant>(wanted: &str) -> Result<M, String> {
    M::from_name(wanted).ok_or_else(|| {
        let known: Vec<&str> = M::ALL.iter().map(|m| m.name()).collect();
        format!(
            "unknown {} mutant {wanted:?}; known: {}",
            M::FAMILY,
            known.join(", ")
        )
    })
}

/// Declares a protocol's mutants: the enum, its [`Mutant`] impl, `Display` and `FromStr`.
///
/// ```
/// protocol_core::mutants! {
///     family = "raft";
///     pub enum Mutant {
///         /// Grants a second vote in a term it already voted in.
///         VoteTwiceInTerm = "vote-twice-in-term",
///     }
/// }
/// use protocol_core::mutant::Mutant as _;
/// assert_eq!(Mutant::VoteTwiceInTerm.name(), "vote-twice-in-term");
/// assert_eq!("vote-twice-in-term".parse::<Mutant>(), Ok(Mutant::VoteTwiceInTerm));
/// ```
#[macro_export]
macro_rules! mutants {
    (
        family = $family:literal;
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( #[doc = $doc:literal] $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        $vis enum $name {
            $( #[doc = $doc] $variant, )+
        }

        impl $crate::mutant::Mutant for $name {
            const FAMILY: &'static str = $family;
            const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];

            fn name(self) -> &'static str {
                match self { $( $name::$variant => $text, )+ }
            }

            fn about(self) -> &'static str {
                match self { $( $name::$variant => $doc.trim(), )+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::mutant::Mutant::name(*self))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<$name, String> {
                $crate::mutant::parse::<$name>(s)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::Mutant;

    crate::mutants! {
        family = "demo";
        /// Two bugs to test the declaration with.
        pub enum Demo {
            /// Forgets things.
            ForgetThings = "forget-things",
            /// Says yes twice.
            SayYesTwice = "say-yes-twice",
        }
    }

    #[test]
    fn names_round_trip_and_typos_list_the_known_ones() {
        for &m in Demo::ALL {
            assert_eq!(m.name().parse::<Demo>(), Ok(m));
            assert_eq!(m.to_string(), m.name());
        }
        assert_eq!(Demo::SayYesTwice.about(), "Says yes twice.");
        let error = "say-yes".parse::<Demo>().unwrap_err();
        assert_eq!(
            error,
            "unknown demo mutant \"say-yes\"; known: forget-things, say-yes-twice"
        );
    }
}
