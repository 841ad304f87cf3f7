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
//!
//! A *realigned* run ([`Choices::realigned`]) answers each draw from an old run's draws of
//! the same stream (by name) and purpose, in their order, and records what it answered as a
//! plain buffer that replays the same run. In one shared buffer, removing one draw moves
//! every later draw of every stream onto other bytes; realigned, the other streams keep the
//! values they drew, which is what a shrinker's structural edits need.

use crate::rng::{derive_seed, Rng};
pub use labels::{Kind, Labels, Mark, Span};
pub use realign::Draws;
use realign::StreamQueue;
use std::fmt;
use std::sync::{Arc, Mutex};

mod labels;
mod realign;

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
    /// Realigned mode: draws are answered from these and appended to `bytes`.
    realign: Option<Realign>,
}

/// The old draws a realigned run answers from: all of them, and each made stream's own.
struct Realign {
    source: Arc<Draws>,
    /// By stream index, as the streams are made.
    live: Vec<StreamQueue>,
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
            realign: None,
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

    /// Every draw of stream S is answered from `draws`' old draws of S (see the module's
    /// notes); labelled, and [`Choices::recorded`] is the buffer of what was answered.
    pub fn realigned(draws: Draws) -> Choices {
        Choices::realigned_from(Arc::new(draws))
    }

    fn realigned_from(source: Arc<Draws>) -> Choices {
        let choices = Choices::with_state(false, Vec::new(), true);
        if let Some(tape) = &choices.tape {
            tape.lock().realign = Some(Realign {
                source,
                live: Vec::new(),
            });
        }
        choices
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
        if let Some(realign) = &state.realign {
            return Choices::realigned_from(realign.source.clone());
        }
        let bytes = if state.recording {
            Vec::new()
        } else {
            state.bytes.clone()
        };
        Choices::with_state(state.recording, bytes, state.spans.is_some())
    }

    /// The buffer a buffer run reads, whole; `None` for a seeded, recording or realigned one.
    pub fn buffer_bytes(&self) -> Option<Vec<u8>> {
        let state = self.tape.as_ref()?.lock();
        (!state.recording && state.realign.is_none()).then(|| state.bytes.clone())
    }

    /// Whether choices are read rather than drawn from the seed (a buffer or realigned run).
    pub fn is_buffer(&self) -> bool {
        self.tape.as_ref().is_some_and(|t| !t.lock().recording)
    }

    /// What a recording (or realigned) run has drawn so far, as a buffer; `None` otherwise.
    pub fn recorded(&self) -> Option<Vec<u8>> {
        let state = self.tape.as_ref()?.lock();
        (state.recording || state.realign.is_some()).then(|| state.bytes.clone())
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
        if let Some(realign) = &mut state.realign {
            let mine = realign.source.stream(label);
            realign.live.push(mine);
        }
        (state.streams.len() - 1) as u16
    }

    /// Fills `out` from the buffer (replay) and returns true, or returns false (record).
    pub(crate) fn read(&self, out: &mut [u8], stream: u16, kind: Kind) -> bool {
        let state = &mut *self.lock();
        if state.recording {
            return false;
        }
        if let Some(realign) = &mut state.realign {
            realign.live[usize::from(stream)].answer(kind, out);
            let start = state.bytes.len();
            state.bytes.extend_from_slice(out);
            state.pos = state.bytes.len();
            state.note(start, out.len(), stream, kind);
            return true;
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
                } else if state.realign.is_some() {
                    "realigned"
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
mod tests;
