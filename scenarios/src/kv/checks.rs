//! The checks of the KV scenarios, each declared once. Linearizability and the history's
//! shape are the kit's (`sim_kit::checks`); the Raft beneath is checked with Raft's checks.

use sim::CheckId;

/// The course's `checkClntAppends`: a client's appends missing, repeated or out of order.
pub const CLIENT_APPENDS: CheckId = CheckId::new("client-appends");
/// The course's `check(cfg, ck, key, value)`: a Get read another value than the test wrote.
pub const GET_VALUE: CheckId = CheckId::new("get-value");
/// A client loop's Get of its own key read another value than its appends made.
pub const GET_WRONG_VALUE: CheckId = CheckId::new("get-wrong-value");
/// An operation did not complete within its bound once it could.
pub const LIVENESS: CheckId = CheckId::new("liveness");
/// An operation in a minority partition completed.
pub const MINORITY_PROGRESS: CheckId = CheckId::new("minority-progress");
/// The snapshot is missing, or larger than the bound, or present when snapshots are off.
pub const SNAPSHOT_SIZE: CheckId = CheckId::new("snapshot-size");
/// The Raft state on disk outgrew 8 × maxraftstate.
pub const LOG_SIZE: CheckId = CheckId::new("log-size");
/// TestSpeed: operations slower than a third of a heartbeat each.
pub const SPEED: CheckId = CheckId::new("speed");
/// A server's store is behind (or ahead of) what its Raft applied: the service lost state
/// Raft handed it, or never got a snapshot Raft kept.
pub const SERVICE_APPLIED: CheckId = CheckId::new("service-applied");
