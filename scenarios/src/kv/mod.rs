//! The course's kvraft tests (Labs 3A and 3B) as seeded scenarios, and `kv-random`. Every
//! scenario records its whole client history and checks it for linearizability.

pub mod bench;
pub mod checks;
pub mod coverage;
pub mod generic;
pub mod goals;
pub mod harness;
pub mod random;
pub mod special;
pub mod values;
pub mod watch;
pub mod workload;

use sim_kit::{Family, Scenario};

/// The KV family: the course's Labs 3A and 3B and `kv-random`, taking the service's mutants
/// and the Raft beneath's.
pub fn family() -> Family {
    Family::new("kv")
        .mutants::<kvraft::Mutant>()
        .mutants::<raft::Mutant>()
        .scenarios(SCENARIOS.iter().copied())
}

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new("kv-3a-basic", "TestBasic3A: one client, 5 servers", generic::basic_3a),
    Scenario::new("kv-3a-speed", "TestSpeed3A: 1000 sequential appends, each within a third of a heartbeat", generic::speed_3a),
    Scenario::new("kv-3a-concurrent", "TestConcurrent3A: 5 clients, 5 servers", generic::concurrent_3a),
    Scenario::new("kv-3a-unreliable", "TestUnreliable3A: 5 clients on a lossy, slow network", generic::unreliable_3a),
    Scenario::new("kv-3a-unreliable-one-key", "TestUnreliableOneKey3A: 5 clients append to one key, each exactly once in order", special::unreliable_one_key_3a),
    Scenario::new("kv-3a-one-partition", "TestOnePartition3A: majority progresses, minority blocks, the minority Put completes after heal", special::one_partition_3a),
    Scenario::new("kv-3a-many-partitions-one-client", "TestManyPartitionsOneClient3A: random partitions every ~1 s", generic::many_partitions_one_client_3a),
    Scenario::new("kv-3a-many-partitions-many-clients", "TestManyPartitionsManyClients3A", generic::many_partitions_many_clients_3a),
    Scenario::new("kv-3a-persist-one-client", "TestPersistOneClient3A: every server restarts each round", generic::persist_one_client_3a),
    Scenario::new("kv-3a-persist-concurrent", "TestPersistConcurrent3A", generic::persist_concurrent_3a),
    Scenario::new("kv-3a-persist-concurrent-unreliable", "TestPersistConcurrentUnreliable3A", generic::persist_concurrent_unreliable_3a),
    Scenario::new("kv-3a-persist-partition", "TestPersistPartition3A", generic::persist_partition_3a),
    Scenario::new("kv-3a-persist-partition-unreliable", "TestPersistPartitionUnreliable3A", generic::persist_partition_unreliable_3a),
    Scenario::new("kv-3a-persist-partition-unreliable-linearizable", "TestPersistPartitionUnreliableLinearizable3A: 15 clients, 7 servers, random keys", generic::persist_partition_unreliable_linearizable_3a),
    Scenario::new("kv-3b-snapshot-rpc", "TestSnapshotRPC3B: the majority compacts; a lagging server catches up by InstallSnapshot", special::snapshot_rpc_3b),
    Scenario::new("kv-3b-snapshot-size", "TestSnapshotSize3B: 800 ops; raft state <= 8 x maxraftstate, snapshot small", special::snapshot_size_3b),
    Scenario::new("kv-3b-speed", "TestSpeed3B: 1000 sequential appends with snapshots", generic::speed_3b),
    Scenario::new("kv-3b-snapshot-recover", "TestSnapshotRecover3B", generic::snapshot_recover_3b),
    Scenario::new("kv-3b-snapshot-recover-many-clients", "TestSnapshotRecoverManyClients3B: 20 clients", generic::snapshot_recover_many_clients_3b),
    Scenario::new("kv-3b-snapshot-unreliable", "TestSnapshotUnreliable3B", generic::snapshot_unreliable_3b),
    Scenario::new("kv-3b-snapshot-unreliable-recover", "TestSnapshotUnreliableRecover3B", generic::snapshot_unreliable_recover_3b),
    Scenario::new("kv-3b-snapshot-unreliable-recover-concurrent-partition", "TestSnapshotUnreliableRecoverConcurrentPartition3B", generic::snapshot_unreliable_recover_concurrent_partition_3b),
    Scenario::new("kv-3b-snapshot-unreliable-recover-concurrent-partition-linearizable", "TestSnapshotUnreliableRecoverConcurrentPartitionLinearizable3B: 15 clients, 7 servers", generic::snapshot_unreliable_recover_concurrent_partition_linearizable_3b),
    Scenario::new("kv-random", "random cluster, clients, keys, maxraftstate and swarm faults; then heal: pending ops complete, history linearizable", random::kv_random)
        .with_goals(&[goals::RETRY_OF_APPLIED, crate::raft::goals::LEADER_DEPOSED_WITH_UNCOMMITTED, crate::raft::goals::SNAPSHOT_OVER_LONGER_LOG]),
];
