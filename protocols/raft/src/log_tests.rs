//! Unit tests of the log: index arithmetic, backup helpers, compaction, and its checks.

use super::*;

fn log_of(snapshot: u64, terms: &[u64]) -> Log {
    let entries = terms
        .iter()
        .map(|&t| Entry {
            term: Term(t),
            command: vec![t as u8],
        })
        .collect();
    Log::new(
        LogIndex(snapshot),
        Term(terms.first().copied().unwrap_or(0)),
        entries,
    )
}

#[test]
fn indexes_and_terms_account_for_the_snapshot() {
    let log = log_of(10, &[2, 2, 3]);
    assert_eq!(log.first_index(), LogIndex(11));
    assert_eq!(log.last_index(), LogIndex(13));
    assert_eq!(log.term_at(LogIndex(10)), Some(Term(2)));
    assert_eq!(log.term_at(LogIndex(13)), Some(Term(3)));
    assert_eq!(log.term_at(LogIndex(9)), None);
    assert_eq!(log.term_at(LogIndex(14)), None);
    assert_eq!(log.slice(LogIndex(12), 10).len(), 2);
    assert_eq!(log.slice(LogIndex(14), 10).len(), 0);
}

#[test]
fn backup_helpers_find_term_boundaries() {
    let log = log_of(0, &[1, 1, 4, 4, 4, 6]);
    assert_eq!(log.first_index_of_term_at(LogIndex(5)), LogIndex(3));
    assert_eq!(log.first_index_of_term_at(LogIndex(2)), LogIndex(1));
    assert_eq!(log.last_index_of_term(Term(4)), Some(LogIndex(5)));
    assert_eq!(log.last_index_of_term(Term(5)), None);
    assert_eq!(log.last_index_of_term(Term(6)), Some(LogIndex(6)));
}

#[test]
fn compaction_keeps_a_matching_suffix_only() {
    let mut log = log_of(0, &[1, 1, 2, 2]);
    log.compact_to(LogIndex(2), Term(1));
    assert_eq!(
        (log.first_index(), log.last_index()),
        (LogIndex(3), LogIndex(4))
    );
    log.compact_to(LogIndex(3), Term(9));
    assert_eq!(log.last_index(), LogIndex(3));
    assert!(log.entries().is_empty());
    assert_eq!(log.last_term(), Term(9));
}

#[test]
fn check_finds_decreasing_terms() {
    assert!(log_of(0, &[1, 2, 2]).check().is_ok());
    let bad = Log::new(
        LogIndex(0),
        Term(0),
        vec![
            Entry {
                term: Term(2),
                command: vec![],
            },
            Entry {
                term: Term(1),
                command: vec![],
            },
        ],
    );
    assert!(bad.check().unwrap_err().contains("index 2"));
}

/// A log from `terms` with no snapshot, its entries in any order (`Log::new` takes them as
/// decoded, unchecked, as `Durable::decode` does before checking).
fn unchecked(terms: &[u64]) -> Log {
    let entries = terms.iter().map(|&t| entry(t)).collect();
    Log::new(LogIndex(0), Term(0), entries)
}

fn entry(term: u64) -> Entry {
    Entry {
        term: Term(term),
        command: vec![term as u8],
    }
}

#[test]
fn well_formed_logs_pass_both_checks() {
    let mut log = unchecked(&[]);
    assert_eq!((log.check_recent(), log.check()), (Ok(()), Ok(())));
    for terms in [&[1][..], &[1, 1], &[1, 2], &[1, 1, 2, 2, 3]] {
        let log = unchecked(terms);
        assert_eq!(
            (log.check_recent(), log.check()),
            (Ok(()), Ok(())),
            "{terms:?}"
        );
    }
    // After a truncation the newest write number is below the count of writes.
    log.append(entry(1));
    log.append(entry(2));
    log.truncate_after(LogIndex(1));
    assert_eq!((log.check_recent(), log.check()), (Ok(()), Ok(())));
    log.append(entry(3));
    assert_eq!((log.check_recent(), log.check()), (Ok(()), Ok(())));
}

#[test]
fn the_newest_entry_below_the_one_before_is_caught_by_both_checks() {
    let log = unchecked(&[2, 1]);
    assert!(log
        .check_recent()
        .unwrap_err()
        .contains("term 1 at index 2 after term 2"));
    assert!(log.check().is_err());
    let mut below_snapshot = Log::new(LogIndex(4), Term(3), vec![entry(2)]);
    assert!(below_snapshot
        .check_recent()
        .unwrap_err()
        .contains("after term 3"));
    below_snapshot.compact_to(LogIndex(5), Term(2));
    assert_eq!(below_snapshot.check_recent(), Ok(()));
}

#[test]
fn the_full_check_finds_disorder_the_recent_one_cannot_see() {
    let log = unchecked(&[2, 1, 3]);
    assert_eq!(log.check_recent(), Ok(()));
    assert!(log
        .check()
        .unwrap_err()
        .contains("term 1 at index 2 after term 2"));
    let shifted = Log::new(LogIndex(10), Term(0), unchecked(&[1, 3, 2, 4]).entries);
    assert!(shifted.check().unwrap_err().contains("index 13"));
}

#[test]
fn an_encoding_out_of_step_with_the_entries_is_caught() {
    let mut short = unchecked(&[1, 2]);
    short.bytes.truncate(1);
    assert!(short
        .check_recent()
        .unwrap_err()
        .contains("2 entries but 1 encoded"));
    let mut other = unchecked(&[1, 2]);
    other.bytes = unchecked(&[1, 3]).bytes;
    assert_eq!(other.check_recent(), Ok(()), "the same count");
    assert!(other.check().unwrap_err().contains("encoding differs"));
}

#[test]
fn write_numbers_out_of_step_are_caught() {
    let mut missing = unchecked(&[1, 2]);
    missing.written.pop();
    let err = missing.check_recent().unwrap_err();
    assert!(err.contains("2 entries but 1 write numbers"), "{err}");
    let mut repeated = unchecked(&[1, 2]);
    repeated.written = vec![2, 2];
    assert!(repeated
        .check_recent()
        .unwrap_err()
        .contains("write number 2 after 2"));
    let mut deep = unchecked(&[1, 2, 3]);
    deep.written = vec![2, 1, 3];
    assert_eq!(deep.check_recent(), Ok(()), "the newest two increase");
    assert!(deep
        .check()
        .unwrap_err()
        .contains("do not increase at index 2"));
    let mut ahead = unchecked(&[1, 2]);
    ahead.written = vec![1, 3];
    assert!(ahead.check_recent().unwrap_err().contains("only 2 writes"));
}

#[test]
fn first_written_after_names_the_lowest_new_entry() {
    let mut log = unchecked(&[1, 1, 1]);
    let mark = log.writes();
    assert_eq!((mark, log.first_written_after(mark)), (3, None));
    assert_eq!(log.first_written_after(1), Some(LogIndex(2)));
    log.truncate_after(LogIndex(1));
    assert_eq!(
        log.first_written_after(mark),
        None,
        "a truncation writes nothing"
    );
    log.append(entry(2));
    assert_eq!(log.first_written_after(mark), Some(LogIndex(2)));
    log.compact_to(LogIndex(1), Term(1));
    assert_eq!(log.first_written_after(mark), Some(LogIndex(2)));
    assert_eq!(
        log.first_written_after(0),
        Some(LogIndex(2)),
        "older ones are gone"
    );
}

#[test]
fn logs_are_equal_by_contents_not_by_history() {
    let mut grown = unchecked(&[1, 2]);
    grown.append(entry(3));
    grown.truncate_after(LogIndex(2));
    assert_eq!(
        grown,
        unchecked(&[1, 2]),
        "other write numbers, same contents"
    );
    assert_ne!(unchecked(&[1, 2]), unchecked(&[1, 3]), "entries");
    let snapshot = |index: u64, term: u64| Log::new(LogIndex(index), Term(term), vec![]);
    assert_ne!(snapshot(1, 1), snapshot(2, 1), "snapshot index");
    assert_ne!(snapshot(1, 1), snapshot(1, 2), "snapshot term");
    assert_eq!(snapshot(1, 1), snapshot(1, 1));
}
