//! The course's kvraft tests (Labs 3A and 3B) as seeded scenarios, and `kv-random`. Every
//! scenario records its whole client history and checks it for linearizability.

pub mod bench;
pub mod checks;
pub mod generic;
pub mod harness;
pub mod random;
pub mod special;
pub mod watch;
pub mod workload;

use crate::registry::Scenario;

/// The service's broken variants, then Raft's: a KV scenario takes either kind.
pub const MUTANTS: &[&str] = &[
    "no-duplicate-detection",
    "dup-table-not-in-snapshot",
    "stale-local-read",
    "reply-before-apply",
    "vote-twice-in-term",
    "commit-old-term-by-counting",
    "forget-vote-on-restart",
    "skip-consistency-check",
    "skip-truncation",
    "drop-snapshot-on-restart",
];

/// Splits a validated `--mutant` name into Raft's or the service's.
pub fn parse_mutant(name: Option<&str>) -> (Option<raft::Mutant>, Option<kvraft::Mutant>) {
    let Some(name) = name else {
        return (None, None);
    };
    if let Ok(mutant) = name.parse::<kvraft::Mutant>() {
        return (None, Some(mutant));
    }
    // The registry validated the name against MUTANTS before the run.
    let mutant = name.parse::<raft::Mutant>().expect("validated mutant name");
    (Some(mutant), None)
}

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "kv-3a-basic",
        about: "TestBasic3A: one client, 5 servers",
        mutants: MUTANTS,
        run: generic::basic_3a,
    },
    Scenario {
        name: "kv-3a-speed",
        about: "TestSpeed3A: 1000 sequential appends, each within a third of a heartbeat",
        mutants: MUTANTS,
        run: generic::speed_3a,
    },
    Scenario {
        name: "kv-3a-concurrent",
        about: "TestConcurrent3A: 5 clients, 5 servers",
        mutants: MUTANTS,
        run: generic::concurrent_3a,
    },
    Scenario {
        name: "kv-3a-unreliable",
        about: "TestUnreliable3A: 5 clients on a lossy, slow network",
        mutants: MUTANTS,
        run: generic::unreliable_3a,
    },
    Scenario {
        name: "kv-3a-unreliable-one-key",
        about: "TestUnreliableOneKey3A: 5 clients append to one key, each exactly once in order",
        mutants: MUTANTS,
        run: special::unreliable_one_key_3a,
    },
    Scenario {
        name: "kv-3a-one-partition",
        about: "TestOnePartition3A: majority progresses, minority blocks, the minority Put completes after heal",
        mutants: MUTANTS,
        run: special::one_partition_3a,
    },
    Scenario {
        name: "kv-3a-many-partitions-one-client",
        about: "TestManyPartitionsOneClient3A: random partitions every ~1 s",
        mutants: MUTANTS,
        run: generic::many_partitions_one_client_3a,
    },
    Scenario {
        name: "kv-3a-many-partitions-many-clients",
        about: "TestManyPartitionsManyClients3A",
        mutants: MUTANTS,
        run: generic::many_partitions_many_clients_3a,
    },
    Scenario {
        name: "kv-3a-persist-one-client",
        about: "TestPersistOneClient3A: every server restarts each round",
        mutants: MUTANTS,
        run: generic::persist_one_client_3a,
    },
    Scenario {
        name: "kv-3a-persist-concurrent",
        about: "TestPersistConcurrent3A",
        mutants: MUTANTS,
        run: generic::persist_concurrent_3a,
    },
    Scenario {
        name: "kv-3a-persist-concurrent-unreliable",
        about: "TestPersistConcurrentUnreliable3A",
        mutants: MUTANTS,
        run: generic::persist_concurrent_unreliable_3a,
    },
    Scenario {
        name: "kv-3a-persist-partition",
        about: "TestPersistPartition3A",
        mutants: MUTANTS,
        run: generic::persist_partition_3a,
    },
    Scenario {
        name: "kv-3a-persist-partition-unreliable",
        about: "TestPersistPartitionUnreliable3A",
        mutants: MUTANTS,
        run: generic::persist_partition_unreliable_3a,
    },
    Scenario {
        name: "kv-3a-persist-partition-unreliable-linearizable",
        about: "TestPersistPartitionUnreliableLinearizable3A: 15 clients, 7 servers, random keys",
        mutants: MUTANTS,
        run: generic::persist_partition_unreliable_linearizable_3a,
    },
    Scenario {
        name: "kv-3b-snapshot-rpc",
        about: "TestSnapshotRPC3B: the majority compacts; a lagging server catches up by InstallSnapshot",
        mutants: MUTANTS,
        run: special::snapshot_rpc_3b,
    },
    Scenario {
        name: "kv-3b-snapshot-size",
        about: "TestSnapshotSize3B: 800 ops; raft state <= 8 x maxraftstate, snapshot small",
        mutants: MUTANTS,
        run: special::snapshot_size_3b,
    },
    Scenario {
        name: "kv-3b-speed",
        about: "TestSpeed3B: 1000 sequential appends with snapshots",
        mutants: MUTANTS,
        run: generic::speed_3b,
    },
    Scenario {
        name: "kv-3b-snapshot-recover",
        about: "TestSnapshotRecover3B",
        mutants: MUTANTS,
        run: generic::snapshot_recover_3b,
    },
    Scenario {
        name: "kv-3b-snapshot-recover-many-clients",
        about: "TestSnapshotRecoverManyClients3B: 20 clients",
        mutants: MUTANTS,
        run: generic::snapshot_recover_many_clients_3b,
    },
    Scenario {
        name: "kv-3b-snapshot-unreliable",
        about: "TestSnapshotUnreliable3B",
        mutants: MUTANTS,
        run: generic::snapshot_unreliable_3b,
    },
    Scenario {
        name: "kv-3b-snapshot-unreliable-recover",
        about: "TestSnapshotUnreliableRecover3B",
        mutants: MUTANTS,
        run: generic::snapshot_unreliable_recover_3b,
    },
    Scenario {
        name: "kv-3b-snapshot-unreliable-recover-concurrent-partition",
        about: "TestSnapshotUnreliableRecoverConcurrentPartition3B",
        mutants: MUTANTS,
        run: generic::snapshot_unreliable_recover_concurrent_partition_3b,
    },
    Scenario {
        name: "kv-3b-snapshot-unreliable-recover-concurrent-partition-linearizable",
        about: "TestSnapshotUnreliableRecoverConcurrentPartitionLinearizable3B: 15 clients, 7 servers",
        mutants: MUTANTS,
        run: generic::snapshot_unreliable_recover_concurrent_partition_linearizable_3b,
    },
    Scenario {
        name: "kv-random",
        about: "random cluster, clients, keys, maxraftstate and swarm faults; then heal: pending ops complete, history linearizable",
        mutants: MUTANTS,
        run: random::kv_random,
    },
];

pub fn scenarios() -> Vec<&'static Scenario> {
    SCENARIOS.iter().collect()
}
