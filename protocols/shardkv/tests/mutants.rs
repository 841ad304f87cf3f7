//! Each shardkv mutant is caught, within a few seeds, by the check that names its bug.

mod common;

use common::churn::churn;
use common::course::{
    challenge2_partial, challenge2_unaffected, static_and_rejection, REJECTION,
    SERVED_DURING_MIGRATION,
};
use common::history::{APPENDS_ONCE_IN_ORDER, READ_SEES_WRITES};
use common::Tester;
use protocol_core::{CheckId, Violation};
use shardkv::watch::{DELETED_BEFORE_INSTALLED, GROUP_CONFIG_ORDER, SHARD_DELETED};
use shardkv::Mutant;

type Scenario = fn(u64, Option<Mutant>) -> Result<Tester, Violation>;

/// The first of `seeds` on which `scenario` catches `mutant`, and the check that did.
fn first_catch(scenario: Scenario, mutant: Mutant, seeds: u64) -> (u64, CheckId) {
    (0..seeds)
        .find_map(|seed| scenario(seed, Some(mutant)).err().map(|v| (seed, v.check)))
        .unwrap_or_else(|| panic!("{mutant} survived {seeds} seeds"))
}

#[test]
fn serving_unowned_keys_is_caught_by_rejection() {
    assert_eq!(
        first_catch(static_and_rejection, Mutant::ServeUnowned, 3).1,
        REJECTION
    );
}

#[test]
fn serving_a_shard_before_it_arrived_is_caught_by_reads_missing_writes() {
    assert_eq!(
        first_catch(churn, Mutant::ServeWhilePulling, 5).1,
        READ_SEES_WRITES
    );
}

#[test]
fn skipping_configurations_is_caught_by_the_order_check() {
    assert_eq!(
        first_catch(churn, Mutant::SkipConfigs, 5).1,
        GROUP_CONFIG_ORDER
    );
}

#[test]
fn migrating_without_duplicate_tables_is_caught_by_append_exactly_once() {
    assert_eq!(
        first_catch(churn, Mutant::DropDupTableOnMigrate, 10).1,
        APPENDS_ONCE_IN_ORDER
    );
}

#[test]
fn deleting_before_the_new_owner_confirmed_is_caught() {
    assert_eq!(
        first_catch(churn, Mutant::DeleteBeforeConfirm, 5).1,
        DELETED_BEFORE_INSTALLED
    );
}

#[test]
fn keeping_deleted_data_is_caught_by_the_deletion_check() {
    assert_eq!(first_catch(churn, Mutant::NeverDelete, 5).1, SHARD_DELETED);
}

#[test]
fn serving_nothing_until_settled_is_caught_by_challenge_two() {
    assert_eq!(
        first_catch(challenge2_unaffected, Mutant::ServeOnlyWhenSettled, 3).1,
        SERVED_DURING_MIGRATION
    );
    assert_eq!(
        first_catch(challenge2_partial, Mutant::ServeOnlyWhenSettled, 3).1,
        SERVED_DURING_MIGRATION
    );
}

#[test]
fn applying_retries_again_is_caught_by_append_exactly_once() {
    assert_eq!(
        first_catch(churn, Mutant::NoDuplicateDetection, 5).1,
        APPENDS_ONCE_IN_ORDER
    );
}
