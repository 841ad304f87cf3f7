//! Boot's reading of the disk: what a crash leaves is recovered, what damage leaves is
//! reported, and each mutant's misreading shows.

use super::*;
use crate::config::Config;
use crate::disk_format::{meta_bytes, read_meta, LOG_FILE, META_FILE};
use crate::test_support::*;
use protocol_core::disk::SECTOR_BYTES;
use protocol_core::{Disk, Outbox, Output, Time};

const T: Time = Time::from_ms(1);

/// A follower's disk after it appended `batches` (each a list of terms) from leader n0.
fn follower_disk(batches: &[&[u64]]) -> (Disk, Vec<u64>) {
    let config = Config::with_size(3);
    let mut disk = Disk::new();
    let (mut node, _) = boot_with(&config, 1, &disk);
    let mut prev = 0;
    let mut terms = Vec::new();
    for batch in batches {
        let term = batch.iter().copied().max().unwrap_or(1);
        let prev_term = terms.last().copied().unwrap_or(0);
        let outs = deliver(&mut node, T, 0, append(term, 0, prev, prev_term, batch, 0));
        apply_persists(&mut disk, &outs);
        prev += batch.len() as u64;
        terms.extend_from_slice(batch);
    }
    (disk, terms)
}

fn read(disk: &Disk) -> Result<Recovered, String> {
    recover(disk, ReadMode::default())
}

fn terms_of(recovered: &Recovered) -> Vec<u64> {
    recovered
        .durable
        .log
        .entries()
        .iter()
        .map(|e| e.term.0)
        .collect()
}

#[test]
fn an_empty_disk_is_a_first_boot_and_a_written_one_reads_back_marked() {
    let fresh = read(&Disk::new()).unwrap();
    assert_eq!(fresh.durable, Durable::default());
    assert!(fresh.on_disk.marked && fresh.cleanup.is_empty());
    let (disk, terms) = follower_disk(&[&[1, 1], &[1, 2]]);
    let back = read(&disk).unwrap();
    assert_eq!(terms_of(&back), terms);
    assert_eq!(back.durable.term, Term(2));
    assert!(
        back.on_disk.marked,
        "every write's meta was synced: nothing to rewrite"
    );
    assert!(back.cleanup.is_empty());
}

#[test]
fn a_torn_tail_past_the_synced_end_is_cut() {
    let (mut disk, terms) = follower_disk(&[&[1, 1], &[1]]);
    let synced = disk.size_of(LOG_FILE);
    // An append the crash tore: its first bytes made it, the rest did not.
    let mut log = disk.read(LOG_FILE).unwrap().to_vec();
    log.extend_from_within(synced - 30..synced - 10);
    disk.overwrite(LOG_FILE, log);
    let back = read(&disk).unwrap();
    assert_eq!(terms_of(&back), terms);
    let truncate = FileOp::Truncate {
        file: LOG_FILE.into(),
        len: synced as u64,
    };
    assert_eq!(back.cleanup, vec![truncate]);
}

#[test]
fn damage_before_the_synced_end_is_reported_unless_a_mutant_cuts_it() {
    let (mut disk, _) = follower_disk(&[&[1, 1], &[1, 1]]);
    let len = disk.size_of(LOG_FILE);
    let mut log = disk.read(LOG_FILE).unwrap().to_vec();
    log[len - 5] ^= 0x04;
    disk.overwrite(LOG_FILE, log);
    let err = read(&disk).err().expect("a synced record is damaged");
    assert!(err.contains("before its synced end"), "{err}");
    let mode = ReadMode {
        cut_any_bad_record: true,
        ..ReadMode::default()
    };
    let cut = recover(&disk, mode).expect("the mutant takes it for a torn tail");
    assert_eq!(terms_of(&cut), vec![1, 1], "and loses acknowledged entries");
}

#[test]
fn one_bad_meta_copy_is_survived_and_a_misplaced_one_is_found() {
    let (disk, terms) = follower_disk(&[&[1, 1, 1]]);
    let meta = disk.read(META_FILE).unwrap().to_vec();
    let mut one_bad = disk.clone();
    let mut bytes = meta.clone();
    bytes[13] ^= 0x80;
    one_bad.overwrite(META_FILE, bytes.clone());
    assert_eq!(terms_of(&read(&one_bad).unwrap()), terms);
    bytes[SECTOR_BYTES as usize + 13] ^= 0x80;
    let mut both_bad = disk.clone();
    both_bad.overwrite(META_FILE, bytes);
    let err = read(&both_bad).err().expect("a log without its meta");
    assert!(err.contains("without an intact"), "{err}");
    // A misdirected rewrite: the new copies landed two sectors on, the old ones stayed.
    let old = read_meta(&meta, None).unwrap();
    let newer = Meta {
        seq: old.seq + 1,
        term: Term(old.term.0 + 1),
        ..old
    };
    let mut moved = meta.clone();
    moved.extend(vec![0; 2 * SECTOR_BYTES as usize]);
    moved.extend(meta_bytes(&newer));
    let mut misdirected = disk.clone();
    misdirected.overwrite(META_FILE, moved);
    assert_eq!(read(&misdirected).unwrap().durable.term, newer.term);
    let fixed = ReadMode {
        meta_at_fixed_offsets: true,
        ..ReadMode::default()
    };
    let mutant = recover(&misdirected, fixed).unwrap();
    assert_eq!(
        mutant.durable.term, old.term,
        "the mutant reads the stale copy"
    );
}

#[test]
fn a_rewrite_whose_rename_was_lost_reads_the_old_generation() {
    let config = Config::with_size(3);
    let mut disk = Disk::new();
    let (mut node, _) = boot_with(&config, 1, &disk);
    let outs = deliver(&mut node, T, 0, append(1, 0, 0, 0, &[1, 1, 1], 3));
    apply_persists(&mut disk, &outs);
    let mut out = Outbox::new();
    node.snapshot(T, crate::LogIndex(2), b"s2".to_vec(), &mut out);
    let outs = settle(&mut node, T, &mut out);
    // Everything but the renames and the directory's sync reached the disk.
    let mut lost_renames = disk.clone();
    for o in &outs {
        if let Output::File(op) = o {
            if !matches!(op, FileOp::Rename { .. }) {
                lost_renames.apply_op(op);
            }
        }
    }
    let back = read(&lost_renames).unwrap();
    assert_eq!(back.durable.log.snapshot_index(), crate::LogIndex(0));
    assert_eq!(terms_of(&back), vec![1, 1, 1]);
    assert!(
        !back.on_disk.marked,
        "meta must be rewritten for the old generation"
    );
    assert_eq!(
        back.cleanup.len(),
        2,
        "both temp files go: {:?}",
        back.cleanup
    );
    apply_persists(&mut disk, &outs);
    let done = read(&disk).unwrap();
    assert_eq!(done.durable.log.snapshot_index(), crate::LogIndex(2));
    assert_eq!(done.durable.snapshot, b"s2".to_vec());
    assert_eq!(terms_of(&done), vec![1]);
}

#[test]
fn a_missing_or_stale_snapshot_is_damage() {
    let config = Config::with_size(3);
    let mut disk = Disk::new();
    let (mut node, _) = boot_with(&config, 1, &disk);
    apply_persists(
        &mut disk,
        &deliver(&mut node, T, 0, append(1, 0, 0, 0, &[1, 1], 2)),
    );
    let mut out = Outbox::new();
    node.snapshot(T, crate::LogIndex(2), b"s".to_vec(), &mut out);
    apply_persists(&mut disk, &settle(&mut node, T, &mut out));
    let mut missing = disk.clone();
    missing.apply_op(&FileOp::Delete {
        file: crate::SNAPSHOT_FILE.into(),
    });
    assert!(read(&missing).err().unwrap().contains("is missing"));
    let mut damaged = disk.clone();
    let mut bytes = disk.read(crate::SNAPSHOT_FILE).unwrap().to_vec();
    bytes[14] ^= 1;
    damaged.overwrite(crate::SNAPSHOT_FILE, bytes);
    assert!(read(&damaged).err().unwrap().contains(crate::SNAPSHOT_FILE));
}

#[test]
fn a_leftover_batch_past_a_cut_never_rejoins_the_log() {
    // n1 appends [1, 1] then [1]; a new leader of term 2 replaces index 2 on.
    let (mut disk, _) = follower_disk(&[&[1, 1], &[1]]);
    let before = disk.read(LOG_FILE).unwrap().to_vec();
    let config = Config::with_size(3);
    let (mut node, _) = boot_with(&config, 1, &disk);
    let outs = deliver(&mut node, T, 2, append(2, 2, 1, 1, &[2], 0));
    apply_persists(&mut disk, &outs);
    assert_eq!(terms_of(&read(&disk).unwrap()), vec![1, 2]);
    // Splice the old third record back after the new one: it chains to the old second.
    let mut log = disk.read(LOG_FILE).unwrap().to_vec();
    let old_tail = before[before.len() - 20..].to_vec();
    log.extend(old_tail);
    disk.overwrite(LOG_FILE, log);
    assert_eq!(terms_of(&read(&disk).unwrap()), vec![1, 2]);
}
