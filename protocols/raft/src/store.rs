//! Getting durable state onto the disk, and holding back what must wait for it.
//!
//! One job at a time, each capturing the state as it starts (group commit: what changes
//! meanwhile waits for the next job):
//! - an *append*: the log's changed suffix as one batch record appended to `raft-log`, a
//!   sync, then `raft-meta` (term, vote, the log's synced length) rewritten in place, a sync;
//! - a *rewrite*, for a snapshot or the first write: the snapshot to `snapshot.tmp` and the
//!   whole log to `raft-log.tmp` of the next generation, both synced; `raft-meta` naming the
//!   new generation and the one it replaces, synced; both renamed into place and the
//!   directory synced.
//!
//! A job completes when its last sync does; only then is its captured state *promised*: a
//! vote granted, an entry acknowledged, a term answered with. Replies sent meanwhile wait
//! here, tagged with the job whose state they depend on, and leave in order when it
//! completes. (A leader's AppendEntries and InstallSnapshot do not wait: a leader counts
//! itself towards a commit only with its promised log.)

use crate::disk_format::{
    batch, encode, log_file, meta_bytes, snapshot_file, BatchAt, LogHeader, Meta, LOG_FILE,
    LOG_TEMP, META_FILE, SNAPSHOT_FILE, SNAPSHOT_TEMP,
};
use crate::durable::Durable;
use crate::msg::RaftMsg;
use crate::recover::OnDisk;
use crate::types::{LogIndex, Term};
use protocol_core::record::checksum_of_record;
use protocol_core::{FileOp, NodeId, Outbox, SyncTarget, SyncToken};
use std::collections::VecDeque;

/// What a node has made durable and may have told others: its state when its latest
/// completed job started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Promised {
    pub term: Term,
    pub voted_for: Option<NodeId>,
    /// The promised log ends with this entry.
    pub last_index: LogIndex,
    pub last_term: Term,
    pub snapshot_index: LogIndex,
}

impl Promised {
    pub(crate) fn of(durable: &Durable) -> Promised {
        Promised {
            term: durable.term,
            voted_for: durable.voted_for,
            last_index: durable.log.last_index(),
            last_term: durable.log.last_term(),
            snapshot_index: durable.log.snapshot_index(),
        }
    }
}

/// How the store writes: the ways a mutant gets it wrong.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct WriteMode {
    pub forget_vote: bool,
    pub snapshot_in_place: bool,
    /// Takes each sync for done as soon as it is asked for (the AckBeforeSync mutant).
    pub ack_early: bool,
}

enum Stage {
    /// An append's batch is written; waiting for the log's sync.
    Log(SyncToken),
    /// The meta record is written; waiting for its sync.
    Meta(SyncToken),
    /// A rewrite's temp files are written; waiting for these syncs.
    Temps(Vec<SyncToken>),
    /// A rewrite's meta record is written; waiting for its sync.
    RewriteMeta(SyncToken),
    /// The SnapshotInPlace mutant's snapshot is written over the live one; waiting for its
    /// sync before the log is renamed.
    InPlace(SyncToken),
    /// A rewrite's files are renamed into place; waiting for the directory's sync.
    Directory(SyncToken),
}

/// A rewrite's new files.
struct Rewrite {
    generation: u64,
    file_len: u64,
    last_checksum: u64,
    /// The snapshot written, if it changed.
    snapshot: Option<LogIndex>,
    /// The SnapshotInPlace mutant's snapshot, written over the live one where the snapshot
    /// would be renamed into place.
    in_place: Option<Vec<u8>>,
}

struct Job {
    seq: u64,
    stage: Stage,
    captured: Promised,
    /// What the meta record will say of term and vote.
    term: Term,
    voted_for: Option<NodeId>,
    rewrite: Option<Rewrite>,
}

/// What a completed sync means for the node.
pub(crate) enum SyncStep {
    /// The job goes on.
    Waiting,
    /// A job completed: its state is promised.
    Completed,
    /// The disk failed a sync: the node cannot know what it holds.
    Failed,
}

pub(crate) struct Store {
    on_disk: OnDisk,
    /// Log entries from this index on may differ from the log file's.
    log_dirty_from: Option<LogIndex>,
    /// Term or vote changed since the last job started.
    pub state_dirty: bool,
    /// The log was compacted (a snapshot) since the last job started.
    pub snapshot_dirty: bool,
    job: Option<Job>,
    next_token: u64,
    /// The latest job started, and the latest completed.
    started: u64,
    completed: u64,
    promised: Promised,
    /// Messages waiting for the job of their tag to complete, in the order sent.
    held: VecDeque<(u64, NodeId, RaftMsg)>,
}

impl Store {
    pub fn new(on_disk: OnDisk, durable: &Durable) -> Store {
        Store {
            on_disk,
            log_dirty_from: None,
            state_dirty: !on_disk.marked,
            // A snapshot that got further than the log file (a rewrite whose rename a crash
            // undid): the log file no longer matches the log, so it is rewritten first.
            snapshot_dirty: on_disk.log_behind_snapshot,
            job: None,
            next_token: 1,
            started: 0,
            completed: 0,
            promised: Promised::of(durable),
            held: VecDeque::new(),
        }
    }

    /// Entries from `index` on changed (appended, or a conflicting suffix replaced).
    pub fn log_changed(&mut self, index: LogIndex) {
        let from = self.log_dirty_from.map_or(index, |from| from.min(index));
        self.log_dirty_from = Some(from);
    }

    pub fn promised(&self) -> Promised {
        self.promised
    }

    /// The state the job under way captured, if one is: a crash may leave it or the promised.
    pub fn writing(&self) -> Option<Promised> {
        self.job.as_ref().map(|job| job.captured)
    }

    fn is_dirty(&self) -> bool {
        self.state_dirty || self.snapshot_dirty || self.log_dirty_from.is_some()
    }

    /// The bytes of Raft's state on disk (the course's `RaftStateSize`): the log file's, or
    /// the size its rewrite will have once one is due.
    pub fn state_bytes(&self, durable: &Durable) -> usize {
        match &self.job {
            Some(Job {
                rewrite: Some(rewrite),
                ..
            }) => rewrite.file_len as usize,
            _ if self.snapshot_dirty => durable.log.entry_bytes().len() + 64,
            _ => self.on_disk.file_len as usize,
        }
    }

    /// Starts a job if none runs and something changed.
    pub fn flush(&mut self, durable: &Durable, mode: WriteMode, out: &mut Outbox<crate::RaftNode>) {
        if self.job.is_some() || !self.is_dirty() {
            return;
        }
        self.started += 1;
        let captured = Promised::of(durable);
        let voted_for = if mode.forget_vote {
            None
        } else {
            durable.voted_for
        };
        let mut job = Job {
            seq: self.started,
            stage: Stage::Log(SyncToken(0)),
            captured,
            term: durable.term,
            voted_for,
            rewrite: None,
        };
        if self.snapshot_dirty || self.on_disk.generation == 0 {
            self.start_rewrite(&mut job, durable, mode, out);
        } else {
            self.start_append(&mut job, durable, out);
        }
        self.state_dirty = false;
        self.snapshot_dirty = false;
        self.log_dirty_from = None;
        self.job = Some(job);
        if mode.ack_early {
            self.complete_without_waiting(out);
        }
    }

    /// The AckBeforeSync mutant: carries the job through every stage at once, as if each
    /// sync had completed the moment it was asked for.
    fn complete_without_waiting(&mut self, out: &mut Outbox<crate::RaftNode>) {
        while let Some(job) = &self.job {
            let tokens = match &job.stage {
                Stage::Log(t)
                | Stage::Meta(t)
                | Stage::RewriteMeta(t)
                | Stage::InPlace(t)
                | Stage::Directory(t) => vec![*t],
                Stage::Temps(tokens) => tokens.clone(),
            };
            for token in tokens {
                self.on_synced(token, true, out);
            }
        }
    }

    fn start_append(
        &mut self,
        job: &mut Job,
        durable: &Durable,
        out: &mut Outbox<crate::RaftNode>,
    ) {
        let Some(first) = self.log_dirty_from else {
            job.stage = self.write_meta(job, None, out);
            return;
        };
        let log = &durable.log;
        assert!(
            first > log.snapshot_index(),
            "appending from {first}, inside the snapshot at {}",
            log.snapshot_index()
        );
        let entries = if first <= log.last_index() {
            log.slice(first, usize::MAX)
        } else {
            &[]
        };
        let bytes: Vec<u8> = entries.iter().flat_map(encode).collect();
        let record = batch(BatchAt {
            offset: self.on_disk.file_len,
            prev: self.on_disk.last_checksum,
            first,
            entries: &bytes,
            count: entries.len() as u64,
        });
        self.on_disk.last_checksum =
            checksum_of_record(&record[protocol_core::record::HEADER_BYTES..]);
        let offset = self.on_disk.file_len;
        self.on_disk.file_len += record.len() as u64;
        out.write(LOG_FILE, offset, record);
        job.stage = Stage::Log(self.sync(SyncTarget::File(LOG_FILE.into()), out));
    }

    fn start_rewrite(
        &mut self,
        job: &mut Job,
        durable: &Durable,
        mode: WriteMode,
        out: &mut Outbox<crate::RaftNode>,
    ) {
        let log = &durable.log;
        let generation = self.on_disk.generation + 1;
        let header = LogHeader::new(generation, log.snapshot_index(), log.snapshot_term());
        let count = log.entries().len() as u64;
        let bytes = log_file(header, log.first_index(), log.entry_bytes(), count);
        let last_checksum = last_record_checksum(&bytes);
        let mut tokens = Vec::new();
        let mut snapshot = None;
        let mut in_place = None;
        let index = log.snapshot_index();
        if index > self.on_disk.snapshot_index {
            let file = snapshot_file(index, log.snapshot_term(), &durable.snapshot);
            snapshot = Some(index);
            if mode.snapshot_in_place {
                in_place = Some(file);
            } else {
                replace(SNAPSHOT_TEMP, out);
                out.write(SNAPSHOT_TEMP, 0, file);
                tokens.push(self.sync(SyncTarget::File(SNAPSHOT_TEMP.into()), out));
            }
        }
        replace(LOG_TEMP, out);
        let file_len = bytes.len() as u64;
        out.write(LOG_TEMP, 0, bytes);
        tokens.push(self.sync(SyncTarget::File(LOG_TEMP.into()), out));
        job.stage = Stage::Temps(tokens);
        job.rewrite = Some(Rewrite {
            generation,
            file_len,
            last_checksum,
            snapshot,
            in_place,
        });
    }

    /// A sync of this node's completed: the running job moves on.
    pub fn on_synced(
        &mut self,
        token: SyncToken,
        ok: bool,
        out: &mut Outbox<crate::RaftNode>,
    ) -> SyncStep {
        let mut job = self
            .job
            .take()
            .expect("a sync completes only for a running job");
        if !ok {
            return SyncStep::Failed;
        }
        let stage = std::mem::replace(&mut job.stage, Stage::Log(SyncToken(0)));
        job.stage = match stage {
            Stage::Log(t) => {
                assert_eq!(t, token, "the log's sync answered out of turn");
                self.write_meta(&job, None, out)
            }
            Stage::Meta(t) => {
                assert_eq!(t, token, "the meta sync answered out of turn");
                return self.complete(job);
            }
            Stage::Temps(mut waiting) => {
                let pos = waiting.iter().position(|&t| t == token);
                waiting.remove(pos.expect("a rewrite's temp sync"));
                if waiting.is_empty() {
                    let rewrite = job.rewrite.as_ref().expect("a rewrite's job");
                    let previous = (self.on_disk.generation, self.on_disk.file_len);
                    let meta = Meta {
                        generation: rewrite.generation,
                        synced_len: rewrite.file_len,
                        ..self.meta(&job, Some(previous))
                    };
                    Stage::RewriteMeta(self.write_meta_record(meta, out))
                } else {
                    Stage::Temps(waiting)
                }
            }
            Stage::RewriteMeta(t) => {
                assert_eq!(t, token, "the rewrite's meta sync answered out of turn");
                let rewrite = job.rewrite.as_mut().expect("a rewrite's job");
                if let Some(file) = rewrite.in_place.take() {
                    // Overwritten in place: a torn write leaves it neither old nor new.
                    out.write(SNAPSHOT_FILE, 0, file);
                    Stage::InPlace(self.sync(SyncTarget::File(SNAPSHOT_FILE.into()), out))
                } else {
                    if rewrite.snapshot.is_some() {
                        rename(SNAPSHOT_TEMP, SNAPSHOT_FILE, out);
                    }
                    rename(LOG_TEMP, LOG_FILE, out);
                    Stage::Directory(self.sync(SyncTarget::Directory, out))
                }
            }
            Stage::InPlace(t) => {
                assert_eq!(
                    t, token,
                    "the in-place snapshot's sync answered out of turn"
                );
                rename(LOG_TEMP, LOG_FILE, out);
                Stage::Directory(self.sync(SyncTarget::Directory, out))
            }
            Stage::Directory(t) => {
                assert_eq!(t, token, "the directory's sync answered out of turn");
                let rewrite = job.rewrite.take().expect("a rewrite's job");
                self.on_disk.generation = rewrite.generation;
                self.on_disk.file_len = rewrite.file_len;
                self.on_disk.last_checksum = rewrite.last_checksum;
                if let Some(index) = rewrite.snapshot {
                    self.on_disk.snapshot_index = index;
                }
                return self.complete(job);
            }
        };
        self.job = Some(job);
        SyncStep::Waiting
    }

    fn complete(&mut self, job: Job) -> SyncStep {
        assert!(job.seq > self.completed, "jobs complete in order");
        self.completed = job.seq;
        self.promised = job.captured;
        SyncStep::Completed
    }

    /// Whether a message sent now must wait, and for which job.
    pub fn tag(&self) -> Option<u64> {
        if self.is_dirty() {
            Some(self.started + 1)
        } else {
            self.job.as_ref().map(|job| job.seq)
        }
    }

    pub fn hold(&mut self, tag: u64, to: NodeId, msg: RaftMsg) {
        self.held.push_back((tag, to, msg));
    }

    /// The held messages whose jobs completed, in the order they were sent.
    pub fn release(&mut self) -> Vec<(NodeId, RaftMsg)> {
        let mut ready = Vec::new();
        while let Some(&(tag, ..)) = self.held.front() {
            if tag > self.completed {
                break;
            }
            let (_, to, msg) = self.held.pop_front().expect("peeked above");
            ready.push((to, msg));
        }
        ready
    }

    /// The store's own invariants.
    pub fn check(&self) -> Result<(), String> {
        if self.completed > self.started {
            return Err(format!(
                "job {} completed, {} started",
                self.completed, self.started
            ));
        }
        if let Some(&(tag, ..)) = self.held.front() {
            if tag <= self.completed {
                return Err(format!("a message held for job {tag}, which completed"));
            }
        }
        if self.job.is_none() && self.started != self.completed {
            return Err(format!(
                "no job runs, yet job {} never completed",
                self.started
            ));
        }
        Ok(())
    }

    fn write_meta(
        &mut self,
        job: &Job,
        previous: Option<(u64, u64)>,
        out: &mut Outbox<crate::RaftNode>,
    ) -> Stage {
        let meta = self.meta(job, previous);
        Stage::Meta(self.write_meta_record(meta, out))
    }

    /// The meta record for the log file as it now stands.
    fn meta(&self, job: &Job, previous: Option<(u64, u64)>) -> Meta {
        Meta {
            seq: self.on_disk.meta_seq + 1,
            term: job.term,
            voted_for: job.voted_for,
            generation: self.on_disk.generation,
            synced_len: self.on_disk.file_len,
            previous,
        }
    }

    fn write_meta_record(&mut self, meta: Meta, out: &mut Outbox<crate::RaftNode>) -> SyncToken {
        self.on_disk.meta_seq = meta.seq;
        out.write(META_FILE, 0, meta_bytes(&meta));
        self.sync(SyncTarget::File(META_FILE.into()), out)
    }

    fn sync(&mut self, target: SyncTarget, out: &mut Outbox<crate::RaftNode>) -> SyncToken {
        let token = SyncToken(self.next_token);
        self.next_token += 1;
        out.sync(target, token);
        token
    }
}

/// Empties `name` before it is written from the start (a leftover of a failed rewrite).
fn replace(name: &'static str, out: &mut Outbox<crate::RaftNode>) {
    out.file(FileOp::Truncate {
        file: name.into(),
        len: 0,
    });
}

fn rename(from: &'static str, to: &'static str, out: &mut Outbox<crate::RaftNode>) {
    out.file(FileOp::Rename {
        from: from.into(),
        to: to.into(),
    });
}

/// The checksum of the last record of a file written whole.
fn last_record_checksum(bytes: &[u8]) -> u64 {
    let records = protocol_core::record::Records::new(bytes, 0);
    let last = records.last().expect("a log file has its header");
    last.checksum
}
