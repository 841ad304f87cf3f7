//! The tester's memory for long runs. The course's tester keeps every server's applied
//! commands forever and its snapshots hold every command since index 1, so both grow with
//! the run. In digest mode a snapshot is (index, digest of commands 1..=index), each server's
//! applied stream is checked against one shared chain of digests, and everything below the
//! lowest snapshot any server holds is dropped: memory stays flat however long the run.

use std::collections::BTreeMap;

pub(crate) struct DigestLog {
    /// index -> digest of the commands 1..=index, as the first server to apply it saw them.
    chain: BTreeMap<u64, u64>,
    /// Per server, the digest up to what its current incarnation last applied.
    server_digest: Vec<u64>,
    /// Per server, the highest snapshot index it holds.
    snapshot_index: Vec<u64>,
    floor: u64,
}

/// Extends a digest by one command.
fn mix(digest: u64, value: u64) -> u64 {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&digest.to_le_bytes());
    bytes[8..].copy_from_slice(&value.to_le_bytes());
    sim::hash::checksum(&bytes)
}

impl DigestLog {
    pub(crate) fn new(servers: usize) -> DigestLog {
        DigestLog {
            chain: BTreeMap::new(),
            server_digest: vec![0; servers],
            snapshot_index: vec![0; servers],
            floor: 0,
        }
    }

    /// Server `i` applied `value` at `index`: its whole prefix must match the chain.
    pub(crate) fn applied(&mut self, i: usize, index: u64, value: u64) -> Result<(), String> {
        let digest = mix(self.server_digest[i], value);
        match self.chain.get(&index) {
            Some(&agreed) if agreed != digest => {
                return Err(format!(
                    "n{i} applied a log up to index {index} that differs from what another server applied"
                ))
            }
            Some(_) => {}
            None => {
                self.chain.insert(index, digest);
            }
        }
        self.server_digest[i] = digest;
        Ok(())
    }

    /// The snapshot bytes for `index` (applied by some server, so in the chain).
    pub(crate) fn snapshot_bytes(&self, index: u64) -> Vec<u8> {
        let digest = self.chain.get(&index).copied().unwrap_or(0);
        // Encoding two integers into a Vec cannot fail.
        postcard::to_allocvec(&(index, digest)).expect("encode snapshot")
    }

    /// Server `i` took (or installed, or booted from) a snapshot at `index`; the new floor
    /// if it rose.
    pub(crate) fn snapshot(
        &mut self,
        i: usize,
        index: u64,
        data: &[u8],
    ) -> Result<Option<u64>, String> {
        let (encoded, digest): (u64, u64) = postcard::from_bytes(data)
            .map_err(|e| format!("n{i}: snapshot does not decode: {e}"))?;
        if encoded != index {
            return Err(format!(
                "n{i}: snapshot doesn't match SnapshotIndex: {encoded} != {index}"
            ));
        }
        if self
            .chain
            .get(&index)
            .is_some_and(|&agreed| agreed != digest)
        {
            return Err(format!(
                "n{i}: snapshot at {index} differs from the agreed log"
            ));
        }
        self.server_digest[i] = digest;
        self.snapshot_index[i] = self.snapshot_index[i].max(index);
        Ok(self.raise_floor())
    }

    /// A restarted server applies from its snapshot (which it emits at boot) or from 1.
    pub(crate) fn restarted(&mut self, i: usize) {
        self.server_digest[i] = 0;
    }

    fn raise_floor(&mut self) -> Option<u64> {
        let lowest = self.snapshot_index.iter().copied().min().unwrap_or(0);
        if lowest <= self.floor {
            return None;
        }
        self.floor = lowest;
        self.chain = self.chain.split_off(&lowest);
        Some(lowest)
    }

    pub(crate) fn len(&self) -> usize {
        self.chain.len()
    }
}
