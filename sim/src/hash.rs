//! Our own 64-bit hash, for trace hashes and wire checksums.
//!
//! Written here rather than borrowed so that a recorded trace hash never changes with a
//! dependency upgrade. It mixes eight bytes at a time; it is not cryptographic.

const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

/// An incremental hasher. Feed it the same values in the same order, get the same hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hasher64 {
    state: u64,
}

impl Default for Hasher64 {
    fn default() -> Self {
        Hasher64 {
            state: 0x243f_6a88_85a3_08d3,
        }
    }
}

impl Hasher64 {
    pub fn new() -> Hasher64 {
        Hasher64::default()
    }

    pub fn write_u64(&mut self, value: u64) {
        self.state = (self.state.rotate_left(5) ^ value).wrapping_mul(MULTIPLIER);
    }

    pub fn write_bytes(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            // chunks_exact yields exactly eight bytes.
            let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            self.write_u64(word);
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.write_u64(u64::from_le_bytes(tail) ^ ((bytes.len() as u64) << 56));
    }

    /// Like [`Hasher64::write_bytes`] (a different value), four words at a time in independent
    /// lanes, so long inputs do not wait on one multiply per word: durable writes are whole
    /// files, hashed on every persist.
    pub fn write_bytes_wide(&mut self, bytes: &[u8]) {
        let mut lanes = [1, 2, 3, 4].map(|lane: u64| self.state ^ lane.wrapping_mul(MULTIPLIER));
        let mut blocks = bytes.chunks_exact(32);
        for block in &mut blocks {
            for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(8)) {
                // chunks_exact yields exactly eight bytes.
                let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
                *lane = (lane.rotate_left(5) ^ word).wrapping_mul(MULTIPLIER);
            }
        }
        lanes.into_iter().for_each(|lane| self.write_u64(lane));
        self.write_bytes(blocks.remainder());
        self.write_u64(bytes.len() as u64);
    }

    pub fn write_str(&mut self, text: &str) {
        self.write_bytes(text.as_bytes());
    }

    pub fn finish(&self) -> u64 {
        let mut x = self.state;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }
}

/// Feeds a value's `Hash` into a [`Hasher64`]. Every integer is widened to 64 bits (a
/// `usize` length is the same on any machine) and long byte runs take the wide path, so the
/// digest of an event or a timer depends on its contents alone, not on the platform.
struct StdHasher(Hasher64);

impl std::hash::Hasher for StdHasher {
    fn finish(&self) -> u64 {
        self.0.finish()
    }

    fn write(&mut self, bytes: &[u8]) {
        if bytes.len() >= WIDE_FROM {
            self.0.write_bytes_wide(bytes);
        } else {
            self.0.write_bytes(bytes);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.0.write_u64(i.into());
    }

    fn write_u16(&mut self, i: u16) {
        self.0.write_u64(i.into());
    }

    fn write_u32(&mut self, i: u32) {
        self.0.write_u64(i.into());
    }

    fn write_u64(&mut self, i: u64) {
        self.0.write_u64(i);
    }

    fn write_u128(&mut self, i: u128) {
        self.0.write_u64(i as u64);
        self.0.write_u64((i >> 64) as u64);
    }

    fn write_usize(&mut self, i: usize) {
        self.0.write_u64(i as u64);
    }

    fn write_i8(&mut self, i: i8) {
        self.0.write_u64(i as u64);
    }

    fn write_i16(&mut self, i: i16) {
        self.0.write_u64(i as u64);
    }

    fn write_i32(&mut self, i: i32) {
        self.0.write_u64(i as u64);
    }

    fn write_i64(&mut self, i: i64) {
        self.0.write_u64(i as u64);
    }

    fn write_isize(&mut self, i: isize) {
        self.0.write_u64(i as u64);
    }
}

/// The digest of a value's `Hash`: what a trace records of an emitted event, a request or a
/// timer, whatever its `Debug` says.
pub fn hash_value(value: &impl std::hash::Hash) -> u64 {
    let mut hasher = StdHasher(Hasher64::new());
    value.hash(&mut hasher);
    std::hash::Hasher::finish(&hasher)
}

/// Frames this long and longer are hashed four words at a time.
const WIDE_FROM: usize = 64;

/// The checksum a simulated wire frame carries.
pub fn checksum(bytes: &[u8]) -> u64 {
    let mut hasher = Hasher64::new();
    if bytes.len() >= WIDE_FROM {
        hasher.write_bytes_wide(bytes);
    } else {
        hasher.write_bytes(bytes);
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_values() {
        // Changing these changes every recorded trace hash.
        assert_eq!(checksum(b""), checksum(&[]));
        assert_ne!(checksum(b"a"), checksum(b"a\0"));
        assert_ne!(checksum(b"abcdefgh"), checksum(b"abcdefgi"));
        assert_eq!(checksum(b"hello, world"), 9_751_627_122_156_371_826);
    }

    #[test]
    fn value_hash_follows_the_contents_not_the_platform() {
        #[derive(Hash)]
        enum Event {
            Applied { index: usize, command: Vec<u8> },
            Named(String),
        }
        let applied = |index, command: &[u8]| Event::Applied {
            index,
            command: command.to_vec(),
        };
        let base = hash_value(&applied(3, b"abc"));
        assert_eq!(base, hash_value(&applied(3, b"abc")));
        assert_ne!(base, hash_value(&applied(4, b"abc")));
        assert_ne!(base, hash_value(&applied(3, b"abd")));
        assert_ne!(base, hash_value(&Event::Named("abc".into())));
        let long: Vec<u8> = (0..200).collect();
        let mut changed = long.clone();
        changed[150] ^= 1;
        assert_ne!(
            hash_value(&applied(0, &long)),
            hash_value(&applied(0, &changed))
        );
        // A usize is hashed as 64 bits: the digest is the same on any machine.
        assert_eq!(hash_value(&7usize), hash_value(&7u64));
    }

    #[test]
    fn wide_hash_sees_every_bit_length_and_position() {
        let digest = |bytes: &[u8]| {
            let mut h = Hasher64::new();
            h.write_bytes_wide(bytes);
            h.finish()
        };
        let bytes: Vec<u8> = (0..100).collect();
        let base = digest(&bytes);
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.clone();
                flipped[i] ^= 1 << bit;
                assert_ne!(digest(&flipped), base, "byte {i} bit {bit}");
            }
        }
        assert_ne!(digest(&[0; 32]), digest(&[0; 64]));
        assert_ne!(digest(&bytes[..32]), digest(&bytes[..33]));
        // Words swapped between lanes, or between blocks, are different content.
        let mut swapped = bytes.clone();
        swapped.copy_within(0..8, 8);
        swapped[..8].copy_from_slice(&bytes[8..16]);
        assert_ne!(digest(&swapped), base);
        let mut moved = bytes.clone();
        moved[..32].copy_from_slice(&bytes[32..64]);
        moved[32..64].copy_from_slice(&bytes[..32]);
        assert_ne!(digest(&moved), base);
    }

    #[test]
    fn one_flipped_bit_changes_the_checksum() {
        let bytes: Vec<u8> = (0..100).collect();
        let base = checksum(&bytes);
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.clone();
                flipped[i] ^= 1 << bit;
                assert_ne!(checksum(&flipped), base, "byte {i} bit {bit}");
            }
        }
    }
}
