//! Checksummed records: how a core tells bytes it wrote from bytes a crash tore or the disk
//! rotted.
//!
//! A record is `[length: u32 LE][checksum: u64 LE][payload]`, the checksum covering the
//! length and the payload. [`Records`] walks a file of records back to back and stops at the
//! first one that is incomplete or does not match its checksum: what follows is not to be
//! trusted without knowing more (a torn tail, or damage; the core decides which).
//!
//! The checksum is our own, so bytes on a disk never change meaning with a dependency
//! upgrade. It mixes eight bytes at a time; it is not cryptographic.

/// Bytes before a record's payload.
pub const HEADER_BYTES: usize = 4 + 8;

const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

/// A 64-bit checksum of `bytes`, never zero for any input (so zeros never look valid).
pub fn checksum(bytes: &[u8]) -> u64 {
    let mut state: u64 = 0x1357_9bdf_2468_ace0 ^ (bytes.len() as u64);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        // chunks_exact yields exactly eight bytes.
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        state = (state.rotate_left(23) ^ word).wrapping_mul(MULTIPLIER);
    }
    let mut tail = [0u8; 8];
    let rest = chunks.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    state = (state.rotate_left(23) ^ u64::from_le_bytes(tail)).wrapping_mul(MULTIPLIER);
    state ^= state >> 29;
    state = state.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    state ^= state >> 32;
    state.max(1)
}

/// Appends `payload` to `out` as one record.
pub fn push_record(out: &mut Vec<u8>, payload: &[u8]) {
    let len = u32::try_from(payload.len()).expect("a record is under 4 GiB");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&record_checksum(len, payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// `payload` as one record.
pub fn record(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_BYTES + payload.len());
    push_record(&mut out, payload);
    out
}

/// One intact record read from a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Where the record starts in its file.
    pub offset: usize,
    /// Its checksum: what a record written after it names to chain to it.
    pub checksum: u64,
    pub payload: &'a [u8],
    /// The record's whole length, header included.
    pub len: usize,
}

/// The record at the start of `bytes` (as if at `offset`), if one is there whole and intact.
pub fn read_record(bytes: &[u8], offset: usize) -> Option<Record<'_>> {
    let header = bytes.get(..HEADER_BYTES)?;
    let len = u32::from_le_bytes(header[..4].try_into().expect("four bytes"));
    let sum = u64::from_le_bytes(header[4..].try_into().expect("eight bytes"));
    let end = HEADER_BYTES.checked_add(len as usize)?;
    let payload = bytes.get(HEADER_BYTES..end)?;
    (record_checksum(len, payload) == sum).then_some(Record {
        offset,
        checksum: sum,
        payload,
        len: end,
    })
}

/// The checksum [`push_record`] gives `payload`: what the next record chains to.
pub fn checksum_of_record(payload: &[u8]) -> u64 {
    let len = u32::try_from(payload.len()).expect("a record is under 4 GiB");
    record_checksum(len, payload)
}

fn record_checksum(len: u32, payload: &[u8]) -> u64 {
    checksum(payload) ^ u64::from(len).wrapping_mul(MULTIPLIER)
}

/// The intact records of a file, in order, from `start` up to the first that is not.
pub struct Records<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Records<'a> {
    pub fn new(bytes: &'a [u8], start: usize) -> Records<'a> {
        Records {
            bytes,
            at: start.min(bytes.len()),
        }
    }

    /// Where the intact records read so far end: after the last one yielded.
    pub fn valid_end(&self) -> usize {
        self.at
    }

    /// Whether anything follows the intact records (a torn or damaged record, or garbage).
    pub fn has_rest(&self) -> bool {
        self.at < self.bytes.len()
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    fn next(&mut self) -> Option<Record<'a>> {
        let record = read_record(&self.bytes[self.at..], self.at)?;
        self.at += record.len;
        Some(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_until_the_first_damage() {
        let mut file = Vec::new();
        push_record(&mut file, b"one");
        push_record(&mut file, b"");
        let second_end = file.len();
        push_record(&mut file, b"three");
        let whole: Vec<&[u8]> = Records::new(&file, 0).map(|r| r.payload).collect();
        assert_eq!(whole, [&b"one"[..], b"", b"three"]);
        for cut in second_end..file.len() {
            let mut records = Records::new(&file[..cut], 0);
            assert_eq!(records.by_ref().count(), 2, "a torn third record at {cut}");
            assert_eq!(records.valid_end(), second_end);
            assert_eq!(records.has_rest(), cut > second_end);
        }
        for at in 0..file.len() {
            for bit in [0, 3, 7] {
                let mut bad = file.clone();
                bad[at] ^= 1 << bit;
                let n = Records::new(&bad, 0).count();
                assert!(n < 3, "a flipped bit at {at} went unnoticed");
            }
        }
    }

    #[test]
    fn zeros_are_never_a_record() {
        assert_eq!(read_record(&[0u8; 64], 0), None);
        assert_ne!(checksum(&[]), 0);
        assert_ne!(checksum(&[0; 8]), checksum(&[0; 9]));
        let one = record(b"x");
        let read = read_record(&one, 7).expect("intact");
        assert_eq!(
            (read.payload, read.len, read.offset),
            (&b"x"[..], HEADER_BYTES + 1, 7)
        );
        assert_eq!(read.checksum, checksum_of_record(b"x"));
    }
}
