//! The checks of the sharded KV scenarios, each declared once. The shard watch's checks
//! (ownership, configuration order, deletion after installation, no data after handing a
//! shard over) are the shardkv crate's (`shardkv::watch`), the configurations' the
//! controller's (`shardctrler::checks`), linearizability and the history's shape the kit's,
//! and the Raft clusters' Raft's; these are the course tests' own on top.

use sim::CheckId;

/// The course's `check(ck, key, value)`: a Get read another value than the test wrote, or an
/// appender's key does not hold exactly what it appended.
pub const GET_VALUE: CheckId = CheckId::new("get-value");
/// TestStaticShards: with one of two groups down, not exactly its five keys' Gets failed.
pub const STATIC_SHARDS: CheckId = CheckId::new("static-shards-half-answer");
/// TestRejection: a clerk misled by a second controller had other than the owner's five
/// keys answered.
pub const REJECTION: CheckId = CheckId::new("rejection-half-answer");
/// Challenge 2: a shard untouched by a stuck migration, or one that arrived, was not served.
pub const SERVED_DURING_MIGRATION: CheckId = CheckId::new("served-during-migration");
/// Challenge 1: the groups' Raft state and snapshots together outgrew the course's budget.
pub const STORAGE_BOUND: CheckId = CheckId::new("storage-bound");
/// The course's `checklogs`: with snapshots, a group server's Raft state outgrew
/// 8 × maxraftstate; without, a group server took a snapshot.
pub const CHECK_LOGS: CheckId = CheckId::new("checklogs");
/// An operation (or the groups' settling) did not complete within its bound once it could.
pub const LIVENESS: CheckId = CheckId::new("liveness");
