//! What the draws of a labelled buffer run were for (see [`super::Choices::labelled`]).

/// What a keep mark guards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mark {
    /// One fault the world is about to apply (a crash, a partition, a pause, ...).
    Fault,
    /// Client `client`'s next operation; dropping it ends that client's workload there.
    Op { client: u32 },
}

/// What one draw of a labelled run was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A typed draw (range, chance, index, raw bits) of a stream.
    Draw,
    /// A node's own seed.
    NodeSeed,
    /// A keep mark.
    Keep(Mark),
    /// How long a phase of the scenario runs ([`Choices::run_length`]).
    Length,
}

/// The bytes one draw of a labelled run read: `bytes[start..start + len]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub len: u16,
    /// Index into [`Labels::streams`].
    pub stream: u16,
    pub kind: Kind,
}

impl Span {
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.start as usize + usize::from(self.len)
    }
}

/// What each byte of a labelled run's buffer was read for, in draw order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels {
    pub streams: Vec<String>,
    pub spans: Vec<Span>,
}

impl Labels {
    /// The name of the stream `span` drew from.
    pub fn stream(&self, span: &Span) -> &str {
        self.streams
            .get(usize::from(span.stream))
            .map_or("?", String::as_str)
    }
}
