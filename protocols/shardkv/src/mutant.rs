//! Deliberate bugs in the sharded service, off by default, at least one per mechanism, that
//! the scenarios must catch.

use crate::state::Quirks;

protocol_core::mutants! {
    family = "shardkv";
    pub enum Mutant {
        /// Ownership: a group answers a Get of a key whose shard it does not serve, from whatever it holds (TestRejection's bug).
        ServeUnowned = "serve-unowned",
        /// Ownership: a group answers a Get of a shard it is still pulling, before the data arrived.
        ServeWhilePulling = "serve-while-pulling",
        /// Configuration order: a group polls for the latest configuration and jumps to it, skipping those between.
        SkipConfigs = "skip-configs",
        /// What migrates: shards move without their duplicate tables, so a retry the old owner applied applies again.
        DropDupTableOnMigrate = "drop-dup-table-on-migrate",
        /// When data is deleted: the old owner deletes a shard once it has sent it, before the new owner has installed it.
        DeleteBeforeConfirm = "delete-before-confirm",
        /// When data is deleted: the old owner keeps a shard's data after the new owner confirmed it (challenge 1's bound).
        NeverDelete = "never-delete",
        /// Challenge 2: a group serves nothing while a reconfiguration is under way, not even shards it did not touch or that have arrived.
        ServeOnlyWhenSettled = "serve-only-when-settled",
        /// When data is deleted, on disk: a group never compacts its log, so its Raft state keeps every entry it applied, the data of shards long handed over included.
        NeverSnapshot = "never-snapshot",
        /// Applies every committed Put and Append, retried duplicates included.
        NoDuplicateDetection = "shardkv-no-duplicate-detection",
    }
}

impl Mutant {
    /// The state machine's deviations this mutant makes (the server's own are checked where
    /// they happen).
    pub fn quirks(mutant: Option<Mutant>) -> Quirks {
        let mut quirks = Quirks::default();
        match mutant {
            None | Some(Mutant::DeleteBeforeConfirm) | Some(Mutant::NeverSnapshot) => {}
            Some(Mutant::ServeUnowned) => quirks.serve_unowned_gets = true,
            Some(Mutant::ServeWhilePulling) => quirks.serve_pulling_gets = true,
            Some(Mutant::SkipConfigs) => quirks.accept_any_newer_config = true,
            Some(Mutant::DropDupTableOnMigrate) => quirks.drop_dup_tables = true,
            Some(Mutant::NeverDelete) => quirks.keep_deleted_data = true,
            Some(Mutant::ServeOnlyWhenSettled) => quirks.serve_only_when_settled = true,
            Some(Mutant::NoDuplicateDetection) => quirks.no_duplicate_detection = true,
        }
        quirks
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol_core::mutant::Mutant as _;

    #[test]
    fn names_round_trip_and_each_but_the_servers_own_changes_the_state_machine() {
        let servers_own = [Mutant::DeleteBeforeConfirm, Mutant::NeverSnapshot];
        for &m in Mutant::ALL {
            assert_eq!(m.name().parse::<Mutant>(), Ok(m));
            let quirky = Mutant::quirks(Some(m)) != Quirks::default();
            assert_eq!(quirky, !servers_own.contains(&m), "{m}");
        }
        assert_eq!(Mutant::quirks(None), Quirks::default());
    }
}
