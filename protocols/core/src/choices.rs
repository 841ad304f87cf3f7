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

enum TapeState {
    /// Choices are read from `bytes`, from `pos` on; zeros past the end.
    Replay { bytes: Vec<u8>, pos: usize },
    /// Choices come from the seed and are appended to `bytes` as a buffer run would read them.
    Record { bytes: Vec<u8> },
}

impl Choices {
    /// Every stream is ChaCha expanded from the seed (the default).
    pub fn seeded() -> Choices {
        Choices::default()
    }

    /// Every stream reads from `bytes`, in the run's draw order.
    pub fn buffer(bytes: Vec<u8>) -> Choices {
        Choices {
            tape: Some(Tape(Arc::new(Mutex::new(TapeState::Replay {
                bytes,
                pos: 0,
            })))),
        }
    }

    /// Seed mode that also records every choice as canonical buffer bytes.
    pub fn record() -> Choices {
        Choices {
            tape: Some(Tape(Arc::new(Mutex::new(TapeState::Record {
                bytes: Vec::new(),
            })))),
        }
    }

    /// A live source for one run of this one: a buffer read again from its start, or an
    /// empty recording. Runs start from this, so a replay of a buffer run reads it afresh.
    pub fn fresh(&self) -> Choices {
        let Some(tape) = &self.tape else {
            return Choices::seeded();
        };
        let state = match &*tape.lock() {
            TapeState::Replay { bytes, .. } => TapeState::Replay {
                bytes: bytes.clone(),
                pos: 0,
            },
            TapeState::Record { .. } => TapeState::Record { bytes: Vec::new() },
        };
        Choices {
            tape: Some(Tape(Arc::new(Mutex::new(state)))),
        }
    }

    /// The buffer a buffer run reads, whole; `None` for a seeded or recording one.
    pub fn buffer_bytes(&self) -> Option<Vec<u8>> {
        let tape = self.tape.as_ref()?;
        match &*tape.lock() {
            TapeState::Replay { bytes, .. } => Some(bytes.clone()),
            TapeState::Record { .. } => None,
        }
    }

    pub fn is_buffer(&self) -> bool {
        self.tape.as_ref().is_some_and(|t| t.is_replay())
    }

    /// What a recording run has drawn so far, as a buffer; `None` unless recording.
    pub fn recorded(&self) -> Option<Vec<u8>> {
        let tape = self.tape.as_ref()?;
        match &*tape.lock() {
            TapeState::Record { bytes } => Some(bytes.clone()),
            TapeState::Replay { .. } => None,
        }
    }

    /// How many bytes a buffer run has read so far (past the end counts too).
    pub fn consumed(&self) -> Option<usize> {
        let tape = self.tape.as_ref()?;
        match &*tape.lock() {
            TapeState::Replay { pos, .. } => Some(*pos),
            TapeState::Record { .. } => None,
        }
    }

    /// The stream named `label` (and `index`) of the run of `seed`.
    pub fn stream(&self, seed: u64, label: &str, index: u64) -> Rng {
        Rng::with_tape(derive_seed(seed, label, index), self.tape.clone())
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
        let mut raw = [0u8; 8];
        match &mut *tape.lock() {
            TapeState::Replay { bytes, pos } => {
                read(bytes, pos, &mut raw);
                u64::from_be_bytes(raw) ^ base
            }
            TapeState::Record { bytes } => {
                bytes.extend_from_slice(&(derived ^ base).to_be_bytes());
                derived
            }
        }
    }
}

impl Tape {
    fn lock(&self) -> std::sync::MutexGuard<'_, TapeState> {
        // A run that panicked mid-draw leaves the tape as it was; it is still readable.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_replay(&self) -> bool {
        matches!(&*self.lock(), TapeState::Replay { .. })
    }

    /// Fills `out` from the buffer (replay) and returns true, or returns false (record).
    pub(crate) fn read(&self, out: &mut [u8]) -> bool {
        match &mut *self.lock() {
            TapeState::Replay { bytes, pos } => {
                read(bytes, pos, out);
                true
            }
            TapeState::Record { .. } => false,
        }
    }

    /// Appends what a buffer run would read for this choice (record mode only).
    pub(crate) fn write(&self, chosen: &[u8]) {
        if let TapeState::Record { bytes } = &mut *self.lock() {
            bytes.extend_from_slice(chosen);
        }
    }
}

fn read(bytes: &[u8], pos: &mut usize, out: &mut [u8]) {
    for byte in out.iter_mut() {
        *byte = bytes.get(*pos).copied().unwrap_or(0);
        *pos += 1;
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
            Some(tape) => match &*tape.lock() {
                TapeState::Replay { bytes, .. } => write!(f, "buffer({} bytes)", bytes.len()),
                TapeState::Record { bytes } => write!(f, "recording({} bytes)", bytes.len()),
            },
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
}
