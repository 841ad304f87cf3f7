//! A node's simulated disk, and the digest of each durable write for the trace hash.
//!
//! A core writes whole files (the course's `Persister.Save`), so a Raft follower rewrites its
//! whole log for each entry it appends: hashing every written byte cost a churn run more than
//! running it. The digest of a file is instead a hash over the hashes of its 1 KiB chunks, and
//! the chunk hashes of each file as last written are kept: a chunk whose bytes equal the
//! file's bytes on disk at the same place (compared, not assumed) reuses its hash. The digest
//! still covers every byte written, so a divergence in disk contents changes the trace hash.

use crate::hash::Hasher64;
use protocol_core::disk::FileName;
use protocol_core::{Disk, DurableWrite};
use std::collections::BTreeMap;

/// Chunk length of the digest: small enough that an append or a header change rehashes
/// little, large enough that the per-chunk hashes are few.
const CHUNK: usize = 1024;

#[derive(Default)]
pub(super) struct SimDisk {
    disk: Disk,
    /// Per file on `disk`, the hash of each of its chunks. Describes `disk` exactly: cleared
    /// whenever `disk` is changed other than through [`SimDisk::apply`].
    chunks: BTreeMap<FileName, Vec<u64>>,
}

impl SimDisk {
    pub fn disk(&self) -> &Disk {
        &self.disk
    }

    /// For storage-fault injection; the chunk hashes are dropped, since the files may change.
    pub fn disk_mut(&mut self) -> &mut Disk {
        self.chunks.clear();
        &mut self.disk
    }

    /// Applies `write` and returns its digest: the file names and contents, in order.
    pub fn apply(&mut self, write: DurableWrite) -> u64 {
        let mut hasher = Hasher64::new();
        for (name, contents) in write.parts() {
            hasher.write_str(name);
            match contents {
                Some(bytes) => {
                    let old = self.disk.read(name).unwrap_or_default();
                    let known = self.chunks.remove(name).unwrap_or_default();
                    let hashes = chunk_hashes(bytes, old, &known);
                    hashes.iter().for_each(|&h| hasher.write_u64(h));
                    hasher.write_u64(bytes.len() as u64);
                    self.chunks.insert(name.clone(), hashes);
                }
                None => {
                    self.chunks.remove(name);
                    hasher.write_u64(u64::MAX);
                }
            }
        }
        self.disk.apply(write);
        hasher.finish()
    }
}

/// The hash of each chunk of `bytes`; where a chunk equals the chunk of `old` at the same
/// place, its hash in `known` (the hashes of `old`'s chunks) is reused.
fn chunk_hashes(bytes: &[u8], old: &[u8], known: &[u64]) -> Vec<u64> {
    // Either none are known (a disk changed behind our back) or all of them.
    debug_assert!(
        known.is_empty() || known.len() == old.len().div_ceil(CHUNK),
        "stale chunk hashes"
    );
    bytes
        .chunks(CHUNK)
        .enumerate()
        .map(|(i, chunk)| {
            let start = i * CHUNK;
            let same = old.get(start..start + chunk.len()) == Some(chunk)
                && (chunk.len() == CHUNK || old.len() == start + chunk.len());
            match known.get(i) {
                Some(&hash) if same => hash,
                _ => hash_chunk(chunk),
            }
        })
        .collect()
}

fn hash_chunk(chunk: &[u8]) -> u64 {
    let mut hasher = Hasher64::new();
    hasher.write_bytes_wide(chunk);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digest of writing `bytes` to "f" on a disk that already went through `history`.
    fn digest_after(history: &[&[u8]], bytes: &[u8]) -> u64 {
        let mut disk = SimDisk::default();
        for old in history {
            disk.apply(DurableWrite::file("f", old.to_vec()));
        }
        disk.apply(DurableWrite::file("f", bytes.to_vec()))
    }

    #[test]
    fn the_digest_depends_on_the_bytes_not_on_what_was_there_before() {
        let a: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 251) as u8).collect();
        let mut b = a.clone();
        b[3000] ^= 1;
        let fresh = digest_after(&[], &a);
        assert_eq!(digest_after(&[&b], &a), fresh);
        assert_eq!(digest_after(&[&a[..2048], &a[..100]], &a), fresh);
        assert_eq!(digest_after(&[&a, &b], &a), fresh);
        let mut longer = a.clone();
        longer.extend_from_slice(&a[..700]);
        assert_eq!(digest_after(&[&longer], &a), fresh);
    }

    #[test]
    fn every_flipped_bit_and_every_length_changes_the_digest() {
        let a: Vec<u8> = (0..2100u32).map(|i| (i * 7) as u8).collect();
        let base = digest_after(&[&a], &a);
        for at in [0, 1, 1023, 1024, 1500, 2047, 2048, 2099] {
            for bit in 0..8 {
                let mut b = a.clone();
                b[at] ^= 1 << bit;
                assert_ne!(digest_after(&[&a], &b), base, "byte {at} bit {bit}");
            }
        }
        for len in [0, 1, 1024, 2048, 2099] {
            assert_ne!(digest_after(&[&a], &a[..len]), base, "length {len}");
        }
        let mut zeros = a.clone();
        zeros.extend_from_slice(&[0; 1024]);
        assert_ne!(digest_after(&[&a], &zeros), base, "a zero chunk appended");
    }

    #[test]
    fn a_disk_changed_behind_its_back_is_rehashed() {
        let a: Vec<u8> = (0..3000u32).map(|i| (i * 13) as u8).collect();
        let mut disk = SimDisk::default();
        disk.apply(DurableWrite::file("f", a.clone()));
        let mut b = a.clone();
        b[10] ^= 0x40;
        disk.disk_mut().overwrite("f", b.clone());
        assert_eq!(
            disk.apply(DurableWrite::file("f", b.clone())),
            digest_after(&[], &b)
        );
        disk.apply(DurableWrite::new().with_delete("f"));
        assert_eq!(disk.disk().read("f"), None);
        assert_eq!(
            disk.apply(DurableWrite::file("f", a.clone())),
            digest_after(&[], &a)
        );
    }
}
