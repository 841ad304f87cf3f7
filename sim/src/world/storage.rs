//! A node's storage outputs carried out: file operations, syncs and their completion, the
//! course's atomic `Persist` built from them, crashes within a step, halts, and the disk
//! faults (what a crash keeps, failed syncs, latent errors, misdirected writes).

use super::disk::{Aim, Fates, SyncReach};
use super::{Event, Frame, Sim};
use crate::checks;
use crate::hash::Hasher64;
use crate::observer::Observer;
use crate::storage::StorageClass;
use crate::trace::{StorageRecord, TraceRecord};
use protocol_core::rng::{index, range_inclusive, Ratio};
use protocol_core::{
    BootError, DurableWrite, FileOp, Input, Node, NodeId, SyncError, SyncTarget, SyncToken,
    Violation,
};
use std::collections::VecDeque;

/// A sync in flight: what it will make durable, and whom to tell.
pub(super) struct PendingSync {
    reach: SyncReach,
    /// The core's token; `None` for a sync of a `Persist` the simulator carries out.
    token: Option<SyncToken>,
}

/// `Persist`s in progress, oldest first: each part written to `<name>.tmp` and synced, then
/// every part renamed into place and the directory synced.
#[derive(Default)]
pub(super) struct PersistChain {
    queue: VecDeque<DurableWrite>,
    stage: Option<ChainStage>,
}

enum ChainStage {
    /// Temp files written; waiting for this many of their syncs.
    Data { write: DurableWrite, waiting: usize },
    /// Renamed into place; waiting for the directory's sync.
    Directory,
}

impl PersistChain {
    /// Whether a `Persist` is not yet durable: the node's sends must wait.
    pub fn busy(&self) -> bool {
        self.stage.is_some() || !self.queue.is_empty()
    }
}

fn temp_name(name: &str) -> String {
    format!("{name}.tmp")
}

impl<N: Node, O: Observer<N>> Sim<N, O> {
    /// A file operation: visible at once, durable when synced (at once, without
    /// `UnsyncedLoss`).
    pub(super) fn file_op(&mut self, id: NodeId, op: FileOp) {
        self.stats.writes += 1;
        self.stats.bytes_written += op.bytes() as u64;
        if self.trace.is_rendering() {
            self.trace
                .line(self.now, &[id], format_args!("{id} {op:?}"));
        }
        let misdirect = self.misdirect_ratio(id);
        let disk = &mut self.slots[id.index()].disk;
        let digest = disk.apply(&op);
        if !self.storage.has(StorageClass::UnsyncedLoss) {
            let mut aim = Aim {
                rng: &mut self.storage_rng,
                misdirect,
            };
            disk.flush_all(Some(&mut aim));
            self.trace_misdirected(id);
        }
        let record = TraceRecord::Storage {
            node: id,
            what: StorageRecord::File,
        };
        self.trace.record(self.now, record, digest);
    }

    /// Starts a sync; it completes after the disk's latency.
    pub(super) fn sync(&mut self, id: NodeId, target: SyncTarget, token: Option<SyncToken>) {
        self.stats.syncs += 1;
        if self.trace.is_rendering() && token.is_some() {
            let text = format_args!("{id} sync {target:?} ({})", token.map_or(0, |t| t.0));
            self.trace.line(self.now, &[id], text);
        }
        let slot = &mut self.slots[id.index()];
        let reach = match &target {
            SyncTarget::File(name) => slot.disk.reach(Some(name)),
            SyncTarget::Directory => slot.disk.reach(None),
        };
        let latency = self.storage.sync_latency.sample(&mut self.storage_rng);
        let sync = self.next_sync;
        self.next_sync += 1;
        slot.syncs.insert(sync, PendingSync { reach, token });
        let incarnation = slot.incarnation;
        let event = Event::Synced {
            node: id,
            incarnation,
            sync,
        };
        self.queue.push(self.now.plus_micros(latency), event);
        let what = StorageRecord::Sync;
        let content = token.map_or(u64::MAX, |t| t.0);
        self.trace
            .record(self.now, TraceRecord::Storage { node: id, what }, content);
    }

    /// A sync completes (or fails); the node learns it, or its `Persist` moves on.
    pub(super) fn synced(&mut self, id: NodeId, incarnation: u32, sync: u64) {
        let slot = &mut self.slots[id.index()];
        if slot.incarnation != incarnation {
            return; // From before a crash, which resolved what it covered.
        }
        if slot.paused_until > self.now {
            let at = slot.paused_until;
            let event = Event::Synced {
                node: id,
                incarnation,
                sync,
            };
            self.queue.push(at, event);
            return;
        }
        let pending = slot.syncs.remove(&sync).expect("a live sync is listed");
        self.stats.steps += 1;
        let fails = pending.token.is_some()
            && self.storage.has(StorageClass::SyncErrors)
            && self.storage.sync_error.chance(&mut self.storage_rng);
        let misdirect = self.misdirect_ratio(id);
        let torn = self.storage.has(StorageClass::TornWrites);
        let mut aim = Aim {
            rng: &mut self.storage_rng,
            misdirect,
        };
        let disk = &mut self.slots[id.index()].disk;
        let (what, content) = if fails {
            self.stats.sync_failures += 1;
            let fates = disk.fail(pending.reach, torn, &mut aim);
            (StorageRecord::SyncFailed, hash_fates(fates))
        } else {
            disk.complete(pending.reach, &mut aim);
            (StorageRecord::Synced, 0)
        };
        self.trace
            .record(self.now, TraceRecord::Storage { node: id, what }, content);
        self.trace_misdirected(id);
        match pending.token {
            Some(token) => {
                let result = if fails { Err(SyncError) } else { Ok(()) };
                if self.trace.is_rendering() {
                    let text = format_args!("{id} synced {}: {result:?}", token.0);
                    self.trace.line(self.now, &[id], text);
                }
                self.handle(id, Input::Synced { token, result });
            }
            None => self.chain_synced(id),
        }
    }

    /// Says which writes just landed elsewhere (the trace hash covers them through the disk
    /// digests of later boots; this is for reading a trace).
    fn trace_misdirected(&mut self, id: NodeId) {
        for (file, shift) in self.slots[id.index()].disk.take_misdirected() {
            self.stats.misdirected_writes += 1;
            let text = format_args!("{id} a write to {file} landed {shift} bytes off");
            self.trace.line(self.now, &[id], text);
        }
    }

    fn misdirect_ratio(&self, id: NodeId) -> Ratio {
        let on = self.storage.has(StorageClass::MisdirectedWrites) && self.storage.is_victim(id);
        if on {
            self.storage.misdirect
        } else {
            Ratio::NEVER
        }
    }

    /// The course's atomic write. Without `UnsyncedLoss` it is durable at once; with it, it
    /// becomes durable through temp files, syncs and renames, and the node's later sends
    /// wait for that.
    pub(super) fn persist(&mut self, id: NodeId, write: DurableWrite) {
        let bytes = write.bytes();
        self.stats.persists += 1;
        self.stats.bytes_persisted += bytes as u64;
        if self.trace.is_rendering() {
            let text = format_args!("{id} persist {write:?}");
            self.trace.line(self.now, &[id], text);
        }
        let slot = &mut self.slots[id.index()];
        let content = if self.storage.has(StorageClass::UnsyncedLoss) {
            let digest = hash_write(&write);
            slot.chain.queue.push_back(write);
            if slot.chain.stage.is_none() {
                self.advance_chain(id);
            }
            digest
        } else {
            slot.disk.apply_atomic(&write)
        };
        let record = TraceRecord::Persist {
            node: id,
            bytes: bytes as u32,
        };
        self.trace.record(self.now, record, content);
    }

    /// Starts the next `Persist` if none is in progress; with none left, the held sends go.
    fn advance_chain(&mut self, id: NodeId) {
        let slot = &mut self.slots[id.index()];
        if slot.chain.stage.is_some() {
            return;
        }
        let Some(write) = slot.chain.queue.pop_front() else {
            let held: Vec<Frame> = slot.held.drain(..).collect();
            return held.into_iter().for_each(|frame| self.transmit(frame));
        };
        let mut waiting = 0;
        for (name, contents) in write.parts() {
            if let Some(bytes) = contents {
                let temp = temp_name(name);
                let file = temp.clone().into();
                slot.disk.apply(&FileOp::Truncate { file, len: 0 });
                let file = temp.clone().into();
                let bytes = bytes.clone();
                slot.disk.apply(&FileOp::Write {
                    file,
                    offset: 0,
                    bytes,
                });
                waiting += 1;
            }
        }
        let temps: Vec<String> = write
            .parts()
            .iter()
            .filter(|(_, contents)| contents.is_some())
            .map(|(name, _)| temp_name(name))
            .collect();
        slot.chain.stage = Some(ChainStage::Data { write, waiting });
        for temp in temps {
            self.sync(id, SyncTarget::File(temp.into()), None);
        }
        if waiting == 0 {
            self.chain_synced_data(id);
        }
    }

    /// One of the current `Persist`'s syncs completed.
    fn chain_synced(&mut self, id: NodeId) {
        let slot = &mut self.slots[id.index()];
        match slot.chain.stage.as_mut() {
            Some(ChainStage::Data { waiting, .. }) => {
                *waiting -= 1;
                if *waiting == 0 {
                    self.chain_synced_data(id);
                }
            }
            Some(ChainStage::Directory) => {
                slot.chain.stage = None;
                self.advance_chain(id);
            }
            None => panic!("{id}: a Persist sync completed with no Persist in progress"),
        }
    }

    /// The temp files are durable: rename them into place, then sync the directory.
    fn chain_synced_data(&mut self, id: NodeId) {
        let slot = &mut self.slots[id.index()];
        let Some(ChainStage::Data { write, .. }) = slot.chain.stage.take() else {
            panic!("{id}: renaming with no temp files written");
        };
        for (name, contents) in write.parts() {
            let op = match contents {
                Some(_) => FileOp::Rename {
                    from: temp_name(name).into(),
                    to: name.clone(),
                },
                None => FileOp::Delete { file: name.clone() },
            };
            slot.disk.apply(&op);
        }
        slot.chain.stage = Some(ChainStage::Directory);
        self.sync(id, SyncTarget::Directory, None);
    }

    /// The node gives up its volatile state: it crashes now and boots again shortly.
    pub(super) fn halt(&mut self, id: NodeId, reason: &str) {
        self.stats.halts += 1;
        if self.trace.is_rendering() {
            self.trace
                .line(self.now, &[id], format_args!("{id} halts: {reason}"));
        }
        let record = TraceRecord::Storage {
            node: id,
            what: StorageRecord::Halt,
        };
        self.trace.record(self.now, record, 0);
        self.crash(id);
        let back = range_inclusive(&mut self.storage_rng, 1, 50);
        let at = self.now.plus_ms(back);
        self.queue
            .push(at, Event::Fault(crate::fault::FaultAction::Restart(id)));
    }

    /// A crash the plan schedules falls within the node's next step when the run has
    /// `CrashMidStep` and the seed says so; true if it was put off to then.
    pub(super) fn arm_mid_step_crash(&mut self, id: NodeId) -> bool {
        if !self.is_up(id) || !self.storage.has(StorageClass::CrashMidStep) {
            return false;
        }
        if !self.storage.mid_step.chance(&mut self.storage_rng) {
            return false;
        }
        self.slots[id.index()].crash_armed = true;
        self.trace.line(
            self.now,
            &[id],
            format_args!("{id} crash armed: it falls within its next step"),
        );
        let record = TraceRecord::Storage {
            node: id,
            what: StorageRecord::CrashArmed,
        };
        self.trace.record(self.now, record, 0);
        true
    }

    /// How many of a step's `outputs` are carried out before an armed crash, if one is.
    pub(super) fn mid_step_cut(&mut self, id: NodeId, outputs: usize) -> Option<usize> {
        let slot = &mut self.slots[id.index()];
        if !std::mem::take(&mut slot.crash_armed) {
            return None;
        }
        Some(index(&mut self.storage_rng, outputs + 1))
    }

    /// The crash's end of the disk: pending writes meet their fates; a `Persist` in progress
    /// and the sends it held are gone. Returns a digest of the fates for the trace.
    pub(super) fn crash_storage(&mut self, id: NodeId) -> u64 {
        let torn = self.storage.has(StorageClass::TornWrites);
        let misdirect = self.misdirect_ratio(id);
        let slot = &mut self.slots[id.index()];
        slot.syncs.clear();
        slot.chain = PersistChain::default();
        slot.held.clear();
        slot.crash_armed = false;
        let mut aim = Aim {
            rng: &mut self.storage_rng,
            misdirect,
        };
        let fates = slot.disk.crash(torn, &mut aim);
        self.stats.writes_lost += fates.lost;
        self.stats.writes_torn += fates.torn;
        self.trace_misdirected(id);
        hash_fates(fates)
    }

    /// A latent error on one of the node's durable files, if the run has them, the node is
    /// a victim, and no other corruption hit it since it booted.
    pub(super) fn latent_error(&mut self, id: NodeId) {
        let on = self.storage.has(StorageClass::LatentErrors) && self.storage.is_victim(id);
        let disk = &mut self.slots[id.index()].disk;
        if !on || disk.corrupted_since_boot {
            return;
        }
        if let Some((file, sector)) = disk.latent_error(&mut self.storage_rng) {
            self.stats.latent_errors += 1;
            let text = format_args!("{id} {file} sector {sector} flipped bits");
            self.trace.line(self.now, &[id], text);
        }
    }

    /// A boot failed. A corrupt disk that a storage fault could have caused takes the node
    /// down for good; any other boot error fails the run.
    pub(super) fn boot_failed(&mut self, id: NodeId, error: BootError) {
        let slot = &mut self.slots[id.index()];
        let expected = slot.disk.ever_corrupted;
        match error {
            BootError::CorruptDisk { reason, .. } if expected => {
                self.stats.disk_failures += 1;
                let text = format_args!("{id} corrupt disk, down for good: {reason}");
                self.trace.line(self.now, &[id], text);
                let record = TraceRecord::Storage {
                    node: id,
                    what: StorageRecord::DiskFailed,
                };
                self.trace.record(self.now, record, 0);
                self.observer.on_disk_failed(self.now, id, &reason);
                slot.failed = Some(reason);
            }
            BootError::CorruptDisk { .. } => {
                let message = format!("{error} (no storage fault touched its disk)");
                let violation = Violation::new(checks::BOOT, message).involving([id]);
                self.record_failure(violation);
            }
            BootError::InvalidConfig { .. } => {
                let violation = Violation::new(checks::BOOT, error.to_string()).involving([id]);
                self.record_failure(violation);
            }
        }
    }
}

fn hash_fates(fates: Fates) -> u64 {
    let mut hasher = Hasher64::new();
    hasher.write_u64(fates.kept);
    hasher.write_u64(fates.torn);
    hasher.write_u64(fates.lost);
    hasher.finish()
}

fn hash_write(write: &DurableWrite) -> u64 {
    let mut hasher = Hasher64::new();
    for (name, contents) in write.parts() {
        hasher.write_str(name);
        match contents {
            Some(bytes) => hasher.write_bytes_wide(bytes),
            None => hasher.write_u64(u64::MAX),
        }
    }
    hasher.finish()
}
