//! Shard migration, deletion and rejection end to end on the rig, without the simulator: the
//! course's join/leave, static-shards, rejection and challenge-2 tests in small (`faults.rs`
//! has the rest). Every event goes through the watches.

mod common;

use common::course::{
    challenge2_partial, challenge2_unaffected, join_then_leave, static_and_rejection,
};

#[test]
fn join_then_leave_moves_the_data_and_the_old_owner_deletes_it() {
    let t = join_then_leave(1, None).unwrap_or_else(|v| panic!("{v}"));
    let (gets, reports) = (t.history.gets_checked, t.shards.reports());
    assert!(
        gets >= 20 && reports > 20,
        "something to check: {gets} gets, {reports} shard reports"
    );
}

/// TestStaticShards, and TestRejection: a clerk whose controller says g100 owns every shard
/// still gets only g100's own keys answered.
#[test]
fn exactly_half_the_keys_answer_with_a_group_down_or_a_rogue_controller() {
    static_and_rejection(2, None).unwrap_or_else(|v| panic!("{v}"));
}

#[test]
fn arrived_shards_are_served_while_others_are_still_pulled() {
    challenge2_partial(3, None).unwrap_or_else(|v| panic!("{v}"));
}

#[test]
fn unaffected_shards_keep_being_served_during_a_stuck_migration() {
    challenge2_unaffected(4, None).unwrap_or_else(|v| panic!("{v}"));
}
