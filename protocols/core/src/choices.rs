//! One source for every choice of a run: the seed (ChaCha streams, as always), or a byte
//! buffer shared by every stream of the run in draw order.
//!
//! A run is single-threaded, so the order in which its streams draw is itself a function of
//! the run: one buffer read front to back serves them all. Each typed draw reads its own few
//! bytes and reads zero as "nothing unusual" (a chance is false, a range gives its low end,
//! an index the first item), and past the end of the buffer every byte is zero, so an empty
//! buffer is a quiet run and a small edit to the buffer is a small edit to the run: what a
//! fuzzer and a shrinker need.
//!
//! A seeded run can also *record* its choices as the canonical bytes a buffer run reads back
//! as the same choices: replaying them gives the same run, and the recording is where a
//! shrinker starts from a failing seed.
//!
//! Some choices exist only for a buffer: a *keep mark* ([`Choices::keep`], [`Rng::keep`])
//! guards one fault or one client operation. A seeded run draws nothing for it (so seeded
//! runs are what they were before marks existed) and always keeps; a recording writes a 1;
//! a buffer's zero drops the fault (or ends the client there), as zero is the quiet choice.
//! A *labelled* buffer run ([`Choices::labelled`]) also notes which bytes each draw read and
//! what it was for (its stream, a node seed, a keep mark), so a shrinker can act on a run's
//! faults and operations as data rather than as bytes.

use crate::rng::{derive_seed, Rng};
use std::fmt;
use std::sync::{Arc, Mutex};

/// How a run's streams draw: the handle every stream of one run shares.
#[derive(Clone, Default)]
pub struct Choices {
    tape: Option<Tape>,
}

/// The shared buffer of a buffer-mode or recording run.
#[derive(Clone)]
pub(crate) struct Tape(Arc<Mutex<TapeState>>);

struct TapeState {
    /// Record mode: choices come from the seed and are appended to `bytes` as a buffer run
    /// would read them. Otherwise they are read from `bytes`, from `pos` on; zeros past the end.
    recording: bool,
    bytes: Vec<u8>,
    pos: usize,
    /// The names of the streams drawn from, in the order they were first made.
    streams: Vec<String>,
    /// Every draw inside the buffer, when the run is labelled.
    spans: Option<Vec<Span>>,
}

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

/// The stream name keep marks of [`Choices::keep`] are labelled with.
const WORLD_MARKS: &str = "marks";

impl Choices {
    /// Every stream is ChaCha expanded from the seed (the default).
    pub fn seeded() -> Choices {
        Choices::default()
    }

    fn with_state(recording: bool, bytes: Vec<u8>, labelled: bool) -> Choices {
        let state = TapeState {
            recording,
            bytes,
            pos: 0,
            streams: Vec::new(),
            spans: labelled.then(Vec::new),
        };
        Choices {
            tape: Some(Tape(Arc::new(Mutex::new(state)))),
        }
    }

    /// Every stream reads from `bytes`, in the run's draw order.
    pub fn buffer(bytes: Vec<u8>) -> Choices {
        Choices::with_state(false, bytes, false)
    }

    /// As [`Choices::buffer`], noting what each draw read (see [`Choices::labels`]).
    pub fn labelled(bytes: Vec<u8>) -> Choices {
        Choices::with_state(false, bytes, true)
    }

    /// Seed mode that also records every choice as canonical buffer bytes.
    pub fn record() -> Choices {
        Choices::with_state(true, Vec::new(), false)
    }

    /// A live source for one run of this one: a buffer read again from its start (labelled
    /// if this one is), or an empty recording. Runs start from this, so a replay of a buffer
    /// run reads it afresh.
    pub fn fresh(&self) -> Choices {
        let Some(tape) = &self.tape else {
            return Choices::seeded();
        };
        let state = tape.lock();
        let bytes = if state.recording {
            Vec::new()
        } else {
            state.bytes.clone()
        };
        Choices::with_state(state.recording, bytes, state.spans.is_some())
    }

    /// The buffer a buffer run reads, whole; `None` for a seeded or recording one.
    pub fn buffer_bytes(&self) -> Option<Vec<u8>> {
        let state = self.tape.as_ref()?.lock();
        (!state.recording).then(|| state.bytes.clone())
    }

    pub fn is_buffer(&self) -> bool {
        self.tape.as_ref().is_some_and(|t| !t.lock().recording)
    }

    /// What a recording run has drawn so far, as a buffer; `None` unless recording.
    pub fn recorded(&self) -> Option<Vec<u8>> {
        let state = self.tape.as_ref()?.lock();
        state.recording.then(|| state.bytes.clone())
    }

    /// How many bytes a buffer run has read so far (past the end counts too).
    pub fn consumed(&self) -> Option<usize> {
        let state = self.tape.as_ref()?.lock();
        (!state.recording).then_some(state.pos)
    }

    /// What each draw of a labelled run read so far; `None` unless labelled.
    pub fn labels(&self) -> Option<Labels> {
        let state = self.tape.as_ref()?.lock();
        let spans = state.spans.clone()?;
        Some(Labels {
            streams: state.streams.clone(),
            spans,
        })
    }

    /// The stream named `label` (and `index`) of the run of `seed`.
    pub fn stream(&self, seed: u64, label: &str, index: u64) -> Rng {
        let derived = derive_seed(seed, label, index);
        match &self.tape {
            None => Rng::with_tape(derived, None, 0),
            Some(tape) => {
                let stream = tape.intern(label);
                Rng::with_tape(derived, Some(tape.clone()), stream)
            }
        }
    }

    /// A node's own seed (it seeds the node's private randomness). From a buffer it is
    /// eight raw bytes mixed with a constant per `key`, so that zeros still give every node
    /// its own seed (identical election timeouts would never elect anyone).
    pub fn node_seed(&self, seed: u64, key: u64) -> u64 {
        let derived = derive_seed(seed, "node", key);
        let Some(tape) = &self.tape else {
            return derived;
        };
        let base = derive_seed(0, "node", key);
        let stream = tape.intern("node");
        let mut raw = [0u8; 8];
        if tape.read(&mut raw, stream, Kind::NodeSeed) {
            return u64::from_be_bytes(raw) ^ base;
        }
        tape.write(&(derived ^ base).to_be_bytes(), stream, Kind::NodeSeed);
        derived
    }

    /// Whether to keep what `mark` guards (see the module's notes): always from a seed,
    /// drawing nothing; from a buffer, unless its byte is zero.
    pub fn keep(&self, mark: Mark) -> bool {
        match &self.tape {
            None => true,
            Some(tape) => tape.keep(tape.intern(WORLD_MARKS), mark),
        }
    }

    /// How long a scenario's phase runs, within `lo..=hi` (ms, say): `hi` from a seed,
    /// drawing nothing (seeded runs are unchanged); a recording writes 255; a buffer's byte
    /// `b` gives `lo + (hi - lo) * b / 255`, so zero, the quiet choice, is the shortest run.
    pub fn run_length(&self, lo: u64, hi: u64) -> u64 {
        assert!(lo <= hi, "empty range {lo}..={hi}");
        let Some(tape) = &self.tape else {
            return hi;
        };
        let stream = tape.intern(WORLD_MARKS);
        let mut byte = [0u8];
        if tape.read(&mut byte, stream, Kind::Length) {
            return lo + (hi - lo) * u64::from(byte[0]) / 255;
        }
        tape.write(&[255], stream, Kind::Length);
        hi
    }
}

impl Tape {
    fn lock(&self) -> std::sync::MutexGuard<'_, TapeState> {
        // A run that panicked mid-draw leaves the tape as it was; it is still readable.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The index of stream `label`, named for labelled runs.
    fn intern(&self, label: &str) -> u16 {
        let mut state = self.lock();
        if let Some(i) = state.streams.iter().position(|s| s == label) {
            return i as u16;
        }
        // More streams than this would be a run making streams per event: a bug.
        assert!(
            state.streams.len() < usize::from(u16::MAX),
            "too many streams"
        );
        state.streams.push(label.to_string());
        (state.streams.len() - 1) as u16
    }

    /// Fills `out` from the buffer (replay) and returns true, or returns false (record).
    pub(crate) fn read(&self, out: &mut [u8], stream: u16, kind: Kind) -> bool {
        let state = &mut *self.lock();
        if state.recording {
            return false;
        }
        let start = state.pos;
        for byte in out.iter_mut() {
            *byte = state.bytes.get(state.pos).copied().unwrap_or(0);
            state.pos += 1;
        }
        // Reads past the end are zeros whatever the buffer says: nothing to label.
        if start < state.bytes.len() {
            state.note(start, out.len(), stream, kind);
        }
        true
    }

    /// Appends what a buffer run would read for this choice (record mode only).
    pub(crate) fn write(&self, chosen: &[u8], stream: u16, kind: Kind) {
        let state = &mut *self.lock();
        if state.recording {
            let start = state.bytes.len();
            state.bytes.extend_from_slice(chosen);
            state.note(start, chosen.len(), stream, kind);
        }
    }

    /// A keep mark: one byte, nonzero to keep; a recording keeps and writes a 1.
    pub(crate) fn keep(&self, stream: u16, mark: Mark) -> bool {
        let mut byte = [0u8];
        if self.read(&mut byte, stream, Kind::Keep(mark)) {
            return byte[0] != 0;
        }
        self.write(&[1], stream, Kind::Keep(mark));
        true
    }
}

impl TapeState {
    fn note(&mut self, start: usize, len: usize, stream: u16, kind: Kind) {
        if len == 0 {
            return; // a range of one value reads nothing
        }
        if let Some(spans) = &mut self.spans {
            spans.push(Span {
                start: start as u32,
                len: len.min(usize::from(u16::MAX)) as u16,
                stream,
                kind,
            });
        }
    }
}

/// How many bytes a range with `span + 1` values reads: the fewest that cover the span.
pub(crate) fn width(span: u64) -> usize {
    (64 - span.leading_zeros() as usize).div_ceil(8)
}

/// A buffer's reading of a chance of `numerator / denominator`: zero is false, 255 is true,
/// and a uniform byte is true about as often as the ratio says.
pub(crate) fn chance_from_byte(byte: u8, numerator: u32, denominator: u32) -> bool {
    byte != 0 && u64::from(255 - byte) * u64::from(denominator) < u64::from(numerator) * 256
}

impl fmt::Debug for Choices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.tape {
            None => write!(f, "seeded"),
            Some(tape) => {
                let state = tape.lock();
                let mode = if state.recording {
                    "recording"
                } else {
                    "buffer"
                };
                write!(f, "{mode}({} bytes)", state.bytes.len())
            }
        }
    }
}

/// Two handles are equal when they are the same source (both seeded, or one shared tape).
impl PartialEq for Choices {
    fn eq(&self, other: &Self) -> bool {
        match (&self.tape, &other.tape) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(&a.0, &b.0),
            _ => false,
        }
    }
}

impl Eq for Choices {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{index, range_inclusive, Ratio};
    use rand_core::RngCore;

    /// A little of everything a run draws, from two streams of one source.
    fn draws(choices: &Choices) -> Vec<u64> {
        let mut a = choices.stream(9, "a", 0);
        let mut b = choices.stream(9, "b", 0);
        let mut out = Vec::new();
        for i in 0..50u64 {
            out.push(range_inclusive(&mut a, 10, 10 + i * 1_000));
            out.push(u64::from(Ratio::percent(30).chance(&mut b)));
            out.push(index(&mut b, 7) as u64);
            out.push(range_inclusive(&mut a, 5, 5));
            out.push(crate::rng::range_toward_high(&mut b, 100, 5_000));
            out.push(a.next_u64() >> 32);
            out.push(choices.node_seed(9, i));
        }
        out
    }

    #[test]
    fn recording_changes_nothing_and_its_buffer_replays_the_same_choices() {
        let seeded = draws(&Choices::seeded());
        let recording = Choices::record();
        assert_eq!(draws(&recording), seeded);
        let buffer = recording.recorded().expect("recorded");
        assert_eq!(draws(&Choices::buffer(buffer.clone())), seeded);
        // Changed bytes are a different run; the original replays again afresh.
        let mut edited = buffer.clone();
        edited.iter_mut().take(8).for_each(|b| *b ^= 0xff);
        assert_ne!(draws(&Choices::buffer(edited)), seeded);
        assert_eq!(draws(&Choices::buffer(buffer).fresh()), seeded);
    }

    #[test]
    fn zeros_are_the_quiet_choice() {
        let empty = Choices::buffer(Vec::new());
        let mut rng = empty.stream(1, "x", 0);
        assert_eq!(range_inclusive(&mut rng, 300, 5_000), 300);
        assert!(!Ratio::new(99, 100).chance(&mut rng));
        assert_eq!(index(&mut rng, 5), 0);
        assert_eq!(crate::rng::range_toward_high(&mut rng, 300, 5_000), 5_000);
        assert_eq!(rng.next_u64(), 0);
        // Node seeds still differ from node to node.
        assert_ne!(empty.node_seed(1, 0), empty.node_seed(1, 1));
        assert_eq!(empty.consumed(), Some(2 + 1 + 1 + 2 + 8 + 16));
    }

    #[test]
    fn a_buffer_byte_reads_as_a_chance_about_as_often_as_the_ratio_says() {
        let hits = (0..=255u8)
            .filter(|&b| chance_from_byte(b, 30, 100))
            .count();
        assert!((70..=85).contains(&hits), "{hits}");
        assert!(chance_from_byte(255, 1, 1000));
        assert!(!chance_from_byte(0, 999, 1000));
        assert_eq!(
            (width(0), width(255), width(256), width(u64::MAX)),
            (0, 1, 2, 8)
        );
    }

    #[test]
    fn keep_marks_draw_nothing_from_a_seed_and_a_buffer_zero_drops() {
        // A seeded stream with marks between its draws gives the draws it gives without.
        let plain: Vec<u64> = {
            let mut rng = Choices::seeded().stream(3, "s", 0);
            (0..20)
                .map(|_| range_inclusive(&mut rng, 0, 1_000))
                .collect()
        };
        let recording = Choices::record();
        let mut rng = recording.stream(3, "s", 0);
        let mut marked = Vec::new();
        for i in 0..20 {
            assert!(rng.keep(Mark::Op { client: i }));
            marked.push(range_inclusive(&mut rng, 0, 1_000));
        }
        assert!(recording.keep(Mark::Fault));
        assert_eq!(marked, plain);
        let bytes = recording.recorded().expect("recorded");
        assert_eq!(bytes[0], 1, "a recording keeps with a 1");
        assert_eq!(bytes.len(), 20 * 3 + 1);
        assert_eq!(recording.run_length(2_000, 20_000), 20_000);
        assert_eq!(Choices::seeded().run_length(2_000, 20_000), 20_000);
        let lengths = Choices::buffer(vec![255, 0, 51]);
        let got: Vec<u64> = (0..4).map(|_| lengths.run_length(0, 1_000)).collect();
        assert_eq!(got, vec![1_000, 0, 200, 0]);
        // A buffer keeps on a nonzero byte and drops on a zero (and past its end).
        let buffer = Choices::buffer(vec![7, 0]);
        assert!(buffer.keep(Mark::Fault));
        assert!(!buffer.keep(Mark::Fault));
        assert!(!buffer.keep(Mark::Fault));
    }

    #[test]
    fn a_labelled_run_names_the_stream_and_kind_of_every_draw_inside_the_buffer() {
        let recording = Choices::record();
        let mut shape = recording.stream(1, "shape", 0);
        let mut net = recording.stream(1, "network", 0);
        range_inclusive(&mut shape, 0, 70_000);
        recording.keep(Mark::Fault);
        Ratio::percent(40).chance(&mut net);
        recording.node_seed(1, 0);
        let bytes = recording.recorded().expect("recorded");
        let labelled = Choices::labelled(bytes.clone());
        let mut shape = labelled.stream(1, "shape", 0);
        let mut net = labelled.stream(1, "network", 0);
        range_inclusive(&mut shape, 0, 70_000);
        labelled.keep(Mark::Fault);
        Ratio::percent(40).chance(&mut net);
        labelled.node_seed(1, 0);
        range_inclusive(&mut net, 0, 9); // past the end: not labelled
        let labels = labelled.labels().expect("labelled");
        let seen: Vec<(&str, Kind, usize, usize)> = labels
            .spans
            .iter()
            .map(|s| (labels.stream(s), s.kind, s.range().start, s.range().end))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("shape", Kind::Draw, 0, 3),
                ("marks", Kind::Keep(Mark::Fault), 3, 4),
                ("network", Kind::Draw, 4, 5),
                ("node", Kind::NodeSeed, 5, 13),
            ]
        );
        assert_eq!(bytes.len(), 13);
        // A plain buffer run and a recording keep no labels; a fresh labelled run does.
        assert_eq!(Choices::buffer(bytes).labels(), None);
        assert_eq!(recording.labels(), None);
        assert_eq!(labelled.fresh().labels(), Some(Labels::default()));
    }
}
